//! One view per built model, and the slug → view table.
//!
//! Adding a widget: its model in `crates/sim/src/models/`, its view here, a line in the core
//! registry and a line in [`VIEWS`]. The wasm test `every_built_widget_has_a_view` fails until
//! the two agree.

use crate::chrome::host::WidgetCtx;
use yew::prelude::*;

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

type ViewFn = fn(WidgetCtx) -> Html;

/// Slug → view, for every built widget this build carries (see
/// `sim::registry::carries_widget`): a view left out becomes [`not_here`], so the linker drops
/// its code.
pub static VIEWS: &[(&str, ViewFn)] = &CARRIED;

const CARRIED: [(&str, ViewFn); LISTED.len()] = gate(LISTED);

const fn gate<const N: usize>(listed: &[(&'static str, ViewFn)]) -> [(&'static str, ViewFn); N] {
    let mut out = [listed[0]; N];
    let mut i = 0;
    while i < N {
        out[i] = listed[i];
        if !sim::registry::carries_widget(out[i].0) {
            out[i].1 = not_here;
        }
        i += 1;
    }
    out
}

fn not_here(ctx: WidgetCtx) -> Html {
    html! { <p class="notice">{ format!("This build leaves out the view of “{}”.", ctx.widget.slug) }</p> }
}

/// Slug → view, one line per built widget, in book order. Read only at compile time.
#[rustfmt::skip]
const LISTED: &[(&str, ViewFn)] = &[
    ("pillar-map", |ctx| html! { <pillar_map::View ctx={ctx} /> }),
    ("autoscaling-calculator", |ctx| html! { <autoscaling_calculator::View ctx={ctx} /> }),
    ("load-balancer", |ctx| html! { <load_balancer::View ctx={ctx} /> }),
    ("hot-shard", |ctx| html! { <hot_shard::View ctx={ctx} /> }),
    ("thundering-herd", |ctx| html! { <thundering_herd::View ctx={ctx} /> }),
    ("rate-limiters", |ctx| html! { <rate_limiters::View ctx={ctx} /> }),
    ("adaptive-concurrency", |ctx| html! { <adaptive_concurrency::View ctx={ctx} /> }),
    ("backpressure-chain", |ctx| html! { <backpressure_chain::View ctx={ctx} /> }),
    ("autoscaling-strategies", |ctx| html! { <autoscaling_strategies::View ctx={ctx} /> }),
    ("work-stealing", |ctx| html! { <work_stealing::View ctx={ctx} /> }),
    ("consistent-hashing", |ctx| html! { <consistent_hashing::View ctx={ctx} /> }),
    ("state-strategies", |ctx| html! { <state_strategies::View ctx={ctx} /> }),
    ("replication-lag", |ctx| html! { <replication_lag::View ctx={ctx} /> }),
    ("cache", |ctx| html! { <cache::View ctx={ctx} /> }),
    ("sharding-journey", |ctx| html! { <sharding_journey::View ctx={ctx} /> }),
    ("datastore-picker", |ctx| html! { <datastore_picker::View ctx={ctx} /> }),
    ("raft-election", |ctx| html! { <raft_election::View ctx={ctx} /> }),
    ("quorum", |ctx| html! { <quorum::View ctx={ctx} /> }),
    ("cap-partition", |ctx| html! { <cap_partition::View ctx={ctx} /> }),
    ("conflict-resolution", |ctx| html! { <conflict_resolution::View ctx={ctx} /> }),
    ("two-phase-commit", |ctx| html! { <two_phase_commit::View ctx={ctx} /> }),
    ("consistency-dial", |ctx| html! { <consistency_dial::View ctx={ctx} /> }),
    ("service-registry", |ctx| html! { <service_registry::View ctx={ctx} /> }),
    ("saga", |ctx| html! { <saga::View ctx={ctx} /> }),
    ("canary-mesh", |ctx| html! { <canary_mesh::View ctx={ctx} /> }),
    ("anomaly-detection", |ctx| html! { <anomaly_detection::View ctx={ctx} /> }),
    ("federated-learning", |ctx| html! { <federated_learning::View ctx={ctx} /> }),
    ("pid-autoscaler", |ctx| html! { <pid_autoscaler::View ctx={ctx} /> }),
];

/// The view of a built widget (a notice if the app has none, never a blank).
pub fn view(ctx: WidgetCtx) -> Html {
    match VIEWS.iter().find(|(slug, _)| *slug == ctx.widget.slug) {
        Some((_, f)) => f(ctx),
        None => {
            html! { <p class="notice">{ format!("The widget “{}” has a model but no view yet.", ctx.widget.slug) }</p> }
        }
    }
}
