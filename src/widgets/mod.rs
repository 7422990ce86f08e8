//! One view per built model, and the slug → view table.
//!
//! Adding a widget: its model in `crates/sim/src/models/`, its view here, a line in the core
//! registry and a line in [`VIEWS`]. The wasm test `every_built_widget_has_a_view` fails until
//! the two agree.

use crate::chrome::host::WidgetCtx;
use yew::prelude::*;

pub mod adaptive_concurrency;
pub mod autoscaling_calculator;
pub mod autoscaling_strategies;
pub mod backpressure_chain;
pub mod cache;
pub mod consistent_hashing;
pub mod datastore_picker;
pub mod hot_shard;
pub mod load_balancer;
pub mod pid_autoscaler;
pub mod rate_limiters;
pub mod replication_lag;
pub mod sharding_journey;
pub mod state_strategies;
pub mod thundering_herd;
pub mod work_stealing;

type ViewFn = fn(WidgetCtx) -> Html;

/// Slug → view, for every built widget: one line each, in book order.
#[rustfmt::skip]
pub static VIEWS: &[(&str, ViewFn)] = &[
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
