//! One module per model. Each module holds the model's `Params`, its simulation, its `Report`
//! and its tests; the registry ([`crate::registry`]) names it.

pub mod adaptive_concurrency;
pub mod anomaly_detection;
pub mod autoscaling_calculator;
pub mod autoscaling_strategies;
pub mod backpressure_chain;
pub mod cache;
pub mod canary_mesh;
pub mod cap_partition;
pub mod conflict_resolution;
pub mod consistency_dial;
pub mod consistent_hashing;
pub mod datastore_picker;
pub mod federated_learning;
pub mod hot_shard;
pub mod load_balancer;
pub mod pid_autoscaler;
pub mod pillar_map;
pub mod quorum;
pub mod raft_election;
pub mod rate_limiters;
pub mod replication_lag;
pub mod saga;
pub mod service_registry;
pub mod sharding_journey;
pub mod state_strategies;
pub mod thundering_herd;
pub mod two_phase_commit;
pub mod work_stealing;
