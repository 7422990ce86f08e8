//! The one registry: every book page 21–32 and every widget planned for it.
//!
//! The app's routes, home page, navigation and embeds, the CLI's `list` and `run`, and the test
//! sweeps all iterate [`WIDGETS`]. A widget whose `model` is `None` is planned but not built: the
//! site shows it as such and nothing runs it. Building a widget means writing its model file,
//! its view file, and changing its line here from `None` to `Some(ModelEntry::of::<…>())`.

use crate::model::ModelEntry;
use crate::models;
use serde::Serialize;

/// The five pillars of Part II, plus the opening page that frames them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Pillar {
    /// Page 21 and the summary: why these pillars.
    Overview,
    /// Pillar I: distribution of work.
    Work,
    /// Pillar II: distribution of state.
    State,
    /// Pillar III: distribution of truth.
    Truth,
    /// Pillar IV: distribution of control.
    Control,
    /// Pillar V: distribution of intelligence.
    Intelligence,
}

impl Pillar {
    /// Display name.
    pub fn name(self) -> &'static str {
        match self {
            Pillar::Overview => "Overview",
            Pillar::Work => "Work",
            Pillar::State => "State",
            Pillar::Truth => "Truth",
            Pillar::Control => "Control",
            Pillar::Intelligence => "Intelligence",
        }
    }
}

/// One page of the book.
#[derive(Clone, Copy, Debug, Serialize)]
pub struct Page {
    /// Book page number, 21–32.
    pub number: u8,
    /// Title, in our words.
    pub title: &'static str,
    /// Pillar the page belongs to.
    pub pillar: Pillar,
    /// One line on what the page is about.
    pub blurb: &'static str,
}

/// One widget: a model in this crate plus a view in the app.
#[derive(Clone, Copy)]
pub struct Widget {
    /// URL and CLI name.
    pub slug: &'static str,
    /// Book page it belongs to.
    pub page: u8,
    /// Title shown on cards and headings.
    pub title: &'static str,
    /// One line on what it shows.
    pub summary: &'static str,
    /// The other pillars it crosses into beyond its own page's, each with the reason: the cells
    /// of the pillar map's interaction matrix it appears in (our judgement; may be empty).
    pub crosses: &'static [(Pillar, &'static str)],
    /// The model, or `None` while the widget is planned but not built.
    pub model: Option<ModelEntry>,
}

impl Widget {
    /// Whether the widget is built (has a model), in this build or in another page's bundle.
    pub fn is_built(&self) -> bool {
        self.model.is_some()
    }

    /// The model, if it is built and this build carries its code.
    pub fn runnable(&self) -> Option<ModelEntry> {
        self.model.filter(|m| m.here)
    }
}

/// Whether this build was compiled with page `page`'s feature.
///
/// The native CLI, the tests and `trunk serve` build everything (the default feature
/// `all-pages`). The web app's release build is split into one bundle per page (features
/// `page-21` … `page-32`), one per widget of a page with several ([`ONE_WIDGET`]) and one for
/// the summary (`all-models`: every model, no view), so a reader downloads only the code of the
/// address they open (`scripts/build_bundles.py`).
const fn page_feature(page: u8) -> bool {
    (cfg!(feature = "all-pages") && 21 <= page && page <= 32)
        || match page {
            21 => cfg!(feature = "page-21"),
            22 => cfg!(feature = "page-22"),
            23 => cfg!(feature = "page-23"),
            24 => cfg!(feature = "page-24"),
            25 => cfg!(feature = "page-25"),
            26 => cfg!(feature = "page-26"),
            27 => cfg!(feature = "page-27"),
            28 => cfg!(feature = "page-28"),
            29 => cfg!(feature = "page-29"),
            30 => cfg!(feature = "page-30"),
            31 => cfg!(feature = "page-31"),
            32 => cfg!(feature = "page-32"),
            _ => false,
        }
}

/// A one-widget bundle's widget: the slug in the environment variable `PILLARS_ONE_WIDGET` at
/// compile time, built with its page's feature. Such a bundle serves that widget's own address
/// and its embed (`/widget/<slug>`, `/embed/<slug>`) without the code of the page's other
/// widgets. `None` in every other build.
pub const ONE_WIDGET: Option<&str> = option_env!("PILLARS_ONE_WIDGET");

// A one-widget build must name a widget of the page it is built with: anything else is a
// mistake in the build script, caught here rather than shipped as an empty bundle.
const _: () = if let Some(slug) = ONE_WIDGET {
    assert!(
        page_of(slug) != 0 && page_feature(page_of(slug)),
        "PILLARS_ONE_WIDGET must name a widget of the page this build carries"
    )
};

/// Whether a build with page features as here and one-widget slug `only` carries the view and
/// model of widget `slug`. [`carries_widget`] is this with the build's own [`ONE_WIDGET`].
pub const fn carries_widget_in(only: Option<&str>, slug: &str) -> bool {
    page_feature(page_of(slug))
        && match only {
            Some(w) => str_eq(w, slug),
            None => true,
        }
}

/// Whether this build carries widget `slug`'s view and model: its address and embed work here.
pub const fn carries_widget(slug: &str) -> bool {
    carries_widget_in(ONE_WIDGET, slug)
}

/// Whether a build with one-widget slug `only` carries every widget of page `page` (and so the
/// page's own address); [`carries_page`] is this with the build's own [`ONE_WIDGET`].
pub const fn carries_page_in(only: Option<&str>, page: u8) -> bool {
    if !page_feature(page) {
        return false;
    }
    let mut i = 0;
    while i < SLUG_PAGE.len() {
        let (slug, on) = SLUG_PAGE[i];
        if on == page && !carries_widget_in(only, slug) {
            return false;
        }
        i += 1;
    }
    true
}

/// Whether this build carries every widget of page `page`, so it can show the page.
pub const fn carries_page(page: u8) -> bool {
    carries_page_in(ONE_WIDGET, page)
}

/// Whether this build carries widget `slug`'s model (not necessarily its view).
pub const fn carries_model(slug: &str) -> bool {
    carries_widget(slug) || cfg!(feature = "all-models")
}

/// Whether this build carries every model (the summary page runs widgets of every pillar).
pub const CARRIES_ALL_MODELS: bool =
    (cfg!(feature = "all-pages") && ONE_WIDGET.is_none()) || cfg!(feature = "all-models");

/// The page of the widget `slug` in the full registry, at compile time (`0` if none).
pub const fn page_of(slug: &str) -> u8 {
    let mut i = 0;
    while i < SLUG_PAGE.len() {
        if str_eq(SLUG_PAGE[i].0, slug) {
            return SLUG_PAGE[i].1;
        }
        i += 1;
    }
    0
}

const fn str_eq(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    let mut i = 0;
    while i < a.len() {
        if a[i] != b[i] {
            return false;
        }
        i += 1;
    }
    true
}

/// [`LISTED`] as this build carries it: the model of a widget the build leaves out becomes
/// [`ModelEntry::ELSEWHERE`]. Done at compile time, so the left-out models' code is never
/// referenced and the linker drops it.
const fn gate<const N: usize>(listed: &[Widget]) -> [Widget; N] {
    let mut out = [listed[0]; N];
    let mut i = 0;
    while i < N {
        out[i] = listed[i];
        if out[i].model.is_some() && !carries_model(out[i].slug) {
            out[i].model = Some(ModelEntry::ELSEWHERE);
        }
        i += 1;
    }
    out
}

/// Pages 21–32, in book order.
pub static PAGES: &[Page] = &[
    Page { number: 21, title: "Why pillars?", pillar: Pillar::Overview, blurb: "Axioms are the constraints; the five pillars are the patterns that live within them." },
    Page { number: 22, title: "Pillar I: distributing work", pillar: Pillar::Work, blurb: "Spreading requests over instances, and how many instances a load really needs." },
    Page { number: 23, title: "Autoscaling and back-pressure", pillar: Pillar::Work, blurb: "Rate limits, concurrency limits and queues that push back when demand outruns capacity." },
    Page { number: 24, title: "Work stealing", pillar: Pillar::Work, blurb: "Idle workers taking tasks from busy ones, and what it does to the finish time." },
    Page { number: 25, title: "Pillar II: distributing state", pillar: Pillar::State, blurb: "Partitioning, replication and caching, and the rings that decide where a key lives." },
    Page { number: 26, title: "Choosing data models", pillar: Pillar::State, blurb: "Which store fits which access pattern, and what moving between models costs." },
    Page { number: 27, title: "Pillar III: distributing truth", pillar: Pillar::Truth, blurb: "Consensus, quorums, partitions and conflicts: how replicas agree on what happened." },
    Page { number: 28, title: "The consistency dial", pillar: Pillar::Truth, blurb: "From linearizable to eventual: what each level costs and what it lets readers see." },
    Page { number: 29, title: "Pillar IV: distributing control", pillar: Pillar::Control, blurb: "Discovery, health checks and workflows that coordinate without a single brain." },
    Page { number: 30, title: "Control plane and data plane", pillar: Pillar::Control, blurb: "Configuration pushed to proxies that keep serving even when the controller is gone." },
    Page { number: 31, title: "Pillar V: distributing intelligence", pillar: Pillar::Intelligence, blurb: "Detecting anomalies and learning at the edge, then acting on what was learnt." },
    Page { number: 32, title: "Feedback control", pillar: Pillar::Intelligence, blurb: "A PID loop holding a target against delays, limits and noise." },
];

/// Every widget, grouped by page in book order, as this build carries it (see
/// [`carries_widget`]); every list and lookup goes through this.
pub static WIDGETS: &[Widget] = &CARRIED;

const CARRIED: [Widget; LISTED.len()] = gate(LISTED);

/// Each registry line's slug and page, and nothing else: what the questions of which build
/// carries what ([`page_of`], [`carries_page`], [`carries_widget`]) read, at compile time and at
/// run time. [`LISTED`] itself must never be read at run time: its lines hold every model's
/// functions, so reading it from code that runs would link every model into every bundle.
const SLUG_PAGE: [(&str, u8); LISTED.len()] = slug_pages(LISTED);

const fn slug_pages<const N: usize>(listed: &[Widget]) -> [(&'static str, u8); N] {
    let mut out = [("", 0); N];
    let mut i = 0;
    while i < N {
        out[i] = (listed[i].slug, listed[i].page);
        i += 1;
    }
    out
}

/// Every widget, grouped by page in book order: the registry lines. Read only at compile time
/// (by [`gate`] and [`slug_pages`]), so that a page bundle links only its own models.
const LISTED: &[Widget] = &[
    Widget {
        slug: "pillar-map",
        page: 21,
        title: "Pillar map",
        summary: "Axioms, pillars and where they meet: the house, the interaction matrix and the timeline, linked to every widget.",
        crosses: &[],
        model: Some(ModelEntry::of::<models::pillar_map::PillarMap>()),
    },
    Widget {
        slug: "autoscaling-calculator",
        page: 22,
        title: "Autoscaling calculator",
        summary:
            "⌈λ·S/U⌉ instances, judged as an M/M/c queue: wait probability, p99 latency, simulated.",
        crosses: &[],
        model: Some(ModelEntry::of::<
            models::autoscaling_calculator::AutoscalingCalculator,
        >()),
    },
    Widget {
        slug: "load-balancer",
        page: 22,
        title: "Load balancer",
        summary: "Seven dispatch strategies on the same seeded traffic, measured against one shared queue; balls into bins.",
        crosses: &[],
        model: Some(ModelEntry::of::<models::load_balancer::LoadBalancer>()),
    },
    Widget {
        slug: "hot-shard",
        page: 22,
        title: "Hot shard",
        summary: "Zipf-popular keys on mod-N, virtual shards and a ring; the celebrity key and splitting it.",
        crosses: &[(Pillar::State, "popular keys pile onto the shard that holds them")],
        model: Some(ModelEntry::of::<models::hot_shard::HotShard>()),
    },
    Widget {
        slug: "thundering-herd",
        page: 22,
        title: "Thundering herd",
        summary: "Cold caches starting at once, and the fixes that flatten the database peak.",
        crosses: &[(Pillar::State, "cold caches send every miss to the database at once")],
        model: Some(ModelEntry::of::<models::thundering_herd::ThunderingHerd>()),
    },
    Widget {
        slug: "rate-limiters",
        page: 23,
        title: "Rate limiters",
        summary: "Token bucket, fixed window, sliding log and sliding-window counter on one seeded trace: 429 rates and the most each admits in any window.",
        crosses: &[(Pillar::Control, "an admission policy that operators set and tune")],
        model: Some(ModelEntry::of::<models::rate_limiters::RateLimiters>()),
    },
    Widget {
        slug: "adaptive-concurrency",
        page: 23,
        title: "Adaptive concurrency",
        summary: "AIMD, Gradient2 and Vegas limiters finding a capacity that moves.",
        crosses: &[(Pillar::Intelligence, "limits learnt from latency feedback")],
        model: Some(ModelEntry::of::<models::adaptive_concurrency::AdaptiveConcurrency>()),
    },
    Widget {
        slug: "backpressure-chain",
        page: 23,
        title: "Back-pressure chain",
        summary: "Bounded queues, timeouts and shedding along a user → gateway → A → B → database chain: where goodput collapses and where back-pressure saves it.",
        crosses: &[(Pillar::Control, "timeouts and shedding as flow control along a chain")],
        model: Some(ModelEntry::of::<models::backpressure_chain::BackpressureChain>()),
    },
    Widget {
        slug: "autoscaling-strategies",
        page: 23,
        title: "Autoscaling strategies",
        summary: "Reactive, scheduled and predictive scaling over a seeded day with a flash crowd: instance-hours against requests over the latency SLO.",
        crosses: &[(Pillar::Intelligence, "predictive scaling learns the daily pattern")],
        model: Some(ModelEntry::of::<models::autoscaling_strategies::AutoscalingStrategies>()),
    },
    Widget {
        slug: "work-stealing",
        page: 24,
        title: "Work stealing",
        summary: "Idle workers take queued tasks from busy ones: the book's 16∶4∶2∶0 step by step, then any mix of workers, task sizes, skew, policy and steal cost, judged against the lower bound.",
        crosses: &[],
        model: Some(ModelEntry::of::<models::work_stealing::WorkStealing>()),
    },
    Widget {
        slug: "consistent-hashing",
        page: 25,
        title: "Consistent hashing",
        summary: "Nodes and virtual nodes on a ring; how many keys move when a node comes or goes.",
        crosses: &[(Pillar::Work, "where a key lands is where its requests go")],
        model: Some(ModelEntry::of::<
            models::consistent_hashing::ConsistentHashing,
        >()),
    },
    Widget {
        slug: "state-strategies",
        page: 25,
        title: "State strategies",
        summary: "Partitioning, replication and caching on one workload, through a node failure and a network partition (CP or AP).",
        crosses: &[(Pillar::Truth, "a partition forces the choice between CP and AP")],
        model: Some(ModelEntry::of::<models::state_strategies::StateStrategies>()),
    },
    Widget {
        slug: "replication-lag",
        page: 25,
        title: "Replication lag",
        summary: "Stale reads and read-your-writes violations from asynchronous replicas, and what each fix costs.",
        crosses: &[(Pillar::Truth, "stale reads and read-your-writes are consistency guarantees")],
        model: Some(ModelEntry::of::<models::replication_lag::ReplicationLag>()),
    },
    Widget {
        slug: "cache",
        page: 25,
        title: "Cache",
        summary: "LRU, LFU and TTL caches on a Zipf workload: hit ratio against size beside theory, latency saved, stale reads.",
        crosses: &[(Pillar::Work, "hits save request latency"), (Pillar::Truth, "a TTL cache serves stale values"),],
        model: Some(ModelEntry::of::<models::cache::CacheModel>()),
    },
    Widget {
        slug: "sharding-journey",
        page: 25,
        title: "A sharding journey",
        summary: "One database to eventual consistency, stage by stage: hot shards, keys moved, joins lost, stale reads.",
        crosses: &[(Pillar::Work, "hot shards take the load"), (Pillar::Truth, "each stage gives up some consistency"),],
        model: Some(ModelEntry::of::<models::sharding_journey::ShardingJourney>()),
    },
    Widget {
        slug: "datastore-picker",
        page: 26,
        title: "Data store picker",
        summary: "From access pattern to store, with the reasons, the book's matrices and its e-commerce map.",
        crosses: &[],
        model: Some(ModelEntry::of::<models::datastore_picker::DatastorePicker>()),
    },
    Widget {
        slug: "raft-election",
        page: 27,
        title: "Raft election",
        summary: "Terms, votes and heartbeats: crash, cut or time out servers as it runs, and time a thousand elections.",
        crosses: &[(Pillar::Control, "the leader a control plane (etcd, ZooKeeper) runs on")],
        model: Some(ModelEntry::of::<models::raft_election::RaftElection>()),
    },
    Widget {
        slug: "quorum",
        page: 27,
        title: "Quorums",
        summary: "N, W, R: when reads see the last write, how stale they get, and what fails.",
        crosses: &[(Pillar::State, "N replicas of the data, W to write and R to read")],
        model: Some(ModelEntry::of::<models::quorum::Quorum>()),
    },
    Widget {
        slug: "cap-partition",
        page: 27,
        title: "CAP under partition",
        summary: "Cut the cluster: CP refuses, AP diverges, healing reconciles.",
        crosses: &[(Pillar::State, "replicas that diverge while cut off")],
        model: Some(ModelEntry::of::<models::cap_partition::CapPartition>()),
    },
    Widget {
        slug: "conflict-resolution",
        page: 27,
        title: "Conflict resolution",
        summary: "Last-write-wins, vector clocks and CRDTs on the same concurrent cart and like counter: lost updates, siblings, convergence.",
        crosses: &[(Pillar::State, "replicated carts and counters that must merge")],
        model: Some(ModelEntry::of::<models::conflict_resolution::ConflictResolution>()),
    },
    Widget {
        slug: "two-phase-commit",
        page: 27,
        title: "Two-phase commit",
        summary: "A coordinator crash after prepare: 2PC participants block holding locks; Paxos Commit finishes without it.",
        crosses: &[(Pillar::State, "locks held on participants' data"), (Pillar::Control, "a coordinator orchestrates the commit"),],
        model: Some(ModelEntry::of::<models::two_phase_commit::TwoPhaseCommit>()),
    },
    Widget {
        slug: "consistency-dial",
        page: 28,
        title: "Consistency dial",
        summary: "Turn from linearizable to eventual on a 3-replica store; a checker judges every history.",
        crosses: &[(Pillar::State, "a 3-replica store read at each level")],
        model: Some(ModelEntry::of::<models::consistency_dial::ConsistencyDial>()),
    },
    Widget {
        slug: "service-registry",
        page: 29,
        title: "Service registry",
        summary: "Heartbeats, TTLs and phi-accrual: detection time against false alarms.",
        crosses: &[(Pillar::Truth, "agreeing on who is alive from heartbeats")],
        model: Some(ModelEntry::of::<models::service_registry::ServiceRegistry>()),
    },
    Widget {
        slug: "saga",
        page: 29,
        title: "Saga",
        summary: "One order run as orchestration and as choreography: fail any step, watch the compensations, count messages and log lines.",
        crosses: &[(Pillar::Truth, "compensations instead of an atomic commit")],
        model: Some(ModelEntry::of::<models::saga::Saga>()),
    },
    Widget {
        slug: "canary-mesh",
        page: 30,
        title: "Canary mesh",
        summary: "Weighted routes pushed to proxies; automatic rollback; control plane down.",
        crosses: &[(Pillar::Work, "weighted routes split live traffic"), (Pillar::Intelligence, "rollback decided from measured errors"),],
        model: Some(ModelEntry::of::<models::canary_mesh::CanaryMesh>()),
    },
    Widget {
        slug: "anomaly-detection",
        page: 31,
        title: "Anomaly detection",
        summary: "Thresholds, EWMA and Holt-Winters on a seasonal metric with injected faults.",
        crosses: &[(Pillar::Control, "alerts that operators act on")],
        model: Some(ModelEntry::of::<models::anomaly_detection::AnomalyDetection>()),
    },
    Widget {
        slug: "federated-learning",
        page: 31,
        title: "Federated learning",
        summary: "FedAvg rounds over edge nodes with skewed data, stragglers and dropouts, beside FedSGD and central training.",
        crosses: &[(Pillar::Work, "training spread over edge nodes"), (Pillar::State, "the data stays where it was made"),],
        model: Some(ModelEntry::of::<models::federated_learning::FederatedLearning>()),
    },
    Widget {
        slug: "pid-autoscaler",
        page: 32,
        title: "PID autoscaler",
        summary:
            "Kp, Ki, Kd against start-up delay and noise; the book's controller beside a fixed one.",
        crosses: &[(Pillar::Work, "the loop scales the instances serving work")],
        model: Some(ModelEntry::of::<models::pid_autoscaler::PidAutoscaler>()),
    },
];

/// The widget with this slug.
pub fn widget(slug: &str) -> Option<&'static Widget> {
    WIDGETS.iter().find(|w| w.slug == slug)
}

/// The page with this number.
pub fn page(number: u8) -> Option<&'static Page> {
    PAGES.iter().find(|p| p.number == number)
}

/// The widgets of a page, in registry order.
pub fn widgets_on(page: u8) -> impl Iterator<Item = &'static Widget> {
    WIDGETS.iter().filter(move |w| w.page == page)
}

/// The built widgets, in registry order.
pub fn built() -> impl Iterator<Item = &'static Widget> {
    WIDGETS.iter().filter(|w| w.is_built())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    #[test]
    fn the_default_build_carries_every_page_and_knows_each_widgets_page() {
        const { assert!(CARRIES_ALL_MODELS) };
        for p in PAGES {
            assert!(carries_page(p.number));
        }
        for w in WIDGETS {
            assert_eq!(page_of(w.slug), w.page, "{}", w.slug);
            assert!(
                carries_widget(w.slug) && carries_model(w.slug),
                "{}",
                w.slug
            );
            assert!(w.model.is_none_or(|m| m.here), "{}", w.slug);
            assert_eq!(w.runnable().is_some(), w.is_built(), "{}", w.slug);
        }
        assert_eq!(page_of("no-such-widget"), 0);
        assert_eq!(WIDGETS.len(), LISTED.len());
    }

    #[test]
    fn a_one_widget_build_carries_that_widget_and_no_page_with_others() {
        assert!(carries_widget_in(Some("quorum"), "quorum"));
        assert!(!carries_widget_in(Some("quorum"), "raft-election"));
        assert!(!carries_widget_in(Some("quorum"), "cache"));
        // its own page has four more widgets, so the page's address is another bundle's
        assert!(!carries_page_in(Some("quorum"), 27));
        assert!(!carries_page_in(Some("quorum"), 32));
        // a page with that one widget only is the whole page
        assert!(carries_page_in(Some("pid-autoscaler"), 32));
        // no slug: the page features decide alone (here every page's)
        assert!(WIDGETS.iter().all(|w| carries_widget_in(None, w.slug)));
        assert!(PAGES.iter().all(|p| carries_page_in(None, p.number)));
        // a page number that is not the book's is carried by nothing
        assert!(!carries_page_in(None, 33) && !carries_widget_in(None, "no-such-widget"));
    }

    #[test]
    fn a_left_out_model_runs_nothing_and_says_why() {
        let m = ModelEntry::ELSEWHERE;
        assert!(!m.here && (m.knobs)().is_empty());
        let out = (m.run)("quorum", &[("n".into(), "5".into())], 9);
        assert_eq!((out.slug.as_str(), out.seed), ("quorum", 9));
        assert!(out.report.is_null() && out.params.is_null());
        assert_eq!(out.notices.len(), 1);
        assert!(out.notices[0].message.contains("leaves the model out"));
        let t = (m.trials)("quorum", &[], 9, 10);
        assert!(t.trials == 0 && t.metrics.is_empty() && t.notices.len() == 1);
        assert!((m.quick)("quorum", &[], 9).is_none());
    }

    #[test]
    fn pages_are_21_to_32_in_order() {
        let n: Vec<u8> = PAGES.iter().map(|p| p.number).collect();
        assert_eq!(n, (21..=32).collect::<Vec<_>>());
    }

    #[test]
    fn slugs_are_unique_kebab_case_and_on_real_pages() {
        let mut seen = BTreeSet::new();
        for w in WIDGETS {
            assert!(seen.insert(w.slug), "duplicate slug {}", w.slug);
            assert!(
                w.slug
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-'),
                "{}",
                w.slug
            );
            assert!(
                page(w.page).is_some(),
                "{} on missing page {}",
                w.slug,
                w.page
            );
        }
        // widgets appear grouped in book order
        assert!(WIDGETS.windows(2).all(|p| p[0].page <= p[1].page));
    }

    #[test]
    fn every_page_has_a_widget() {
        for p in PAGES {
            assert!(
                widgets_on(p.number).next().is_some(),
                "page {} has no widget",
                p.number
            );
        }
    }

    /// The registry drives this sweep: a widget is tested the moment its model is registered.
    #[test]
    fn every_built_model_runs_on_defaults_and_is_deterministic() {
        for w in built() {
            let m = w.model.unwrap();
            let a = (m.run)(w.slug, &[], 7);
            let b = (m.run)(w.slug, &[], 7);
            assert!(
                a.notices.is_empty(),
                "{}: defaults raised notices {:?}",
                w.slug,
                a.notices
            );
            assert_eq!(a, b, "{} is not deterministic", w.slug);
            assert!(a.report.is_object(), "{}: report is not an object", w.slug);
            assert!(!(m.knobs)().is_empty(), "{} has no knobs", w.slug);
        }
    }

    #[test]
    fn every_built_model_survives_garbage_and_extremes() {
        for w in built() {
            let m = w.model.unwrap();
            for knob in (m.knobs)() {
                for raw in ["-1e308", "1e308", "NaN", "", "🙂", "0"] {
                    let pairs = vec![(knob.key.to_string(), raw.to_string())];
                    // must not panic; a run with extreme values may take long, so only validate
                    let (full, _) = (m.validate)(&pairs);
                    assert_eq!(full.len(), (m.knobs)().len());
                }
            }
            let out = (m.run)(w.slug, &[("nope".into(), "1".into())], 1);
            assert_eq!(out.notices.len(), 1, "{}: unknown key not reported", w.slug);
        }
    }

    #[test]
    fn knob_keys_match_the_serde_fields() {
        for w in built() {
            let m = w.model.unwrap();
            let defaults = (m.defaults)();
            let obj = defaults.as_object().expect("params serialise to an object");
            for k in (m.knobs)() {
                assert!(
                    obj.contains_key(k.key),
                    "{}: knob {} is not a field",
                    w.slug,
                    k.key
                );
            }
            assert_eq!(
                obj.len(),
                (m.knobs)().len(),
                "{}: a field has no knob",
                w.slug
            );
        }
    }
}
