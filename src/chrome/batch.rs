//! Batch runs for stochastic models: N seeded trials in the worker, then the distribution of
//! each headline metric. Shown by the host for every model the registry marks stochastic.

use super::host::WidgetCtx;
use super::metrics::sig3;
use super::runner;
use sim::stats::Summary;
use std::collections::BTreeMap;
use wasm_bindgen::JsCast;
use yew::prelude::*;

#[derive(Clone, PartialEq, serde::Deserialize)]
struct Trials {
    trials: u32,
    seed: u64,
    metrics: BTreeMap<String, Summary>,
}

/// Props of [`Batch`].
#[derive(Properties, PartialEq)]
pub struct BatchProps {
    /// The widget's context (slug, knobs, seed).
    pub ctx: WidgetCtx,
}

/// "Run N trials" and the resulting distributions.
#[component]
pub fn Batch(props: &BatchProps) -> Html {
    let ctx = &props.ctx;
    let n = use_state(|| 100u32);
    let result = use_state(|| None::<Result<Trials, String>>);
    let running = use_state(|| false);
    // a result belongs to the settings it was run with
    {
        let result = result.clone();
        use_effect_with((ctx.pairs.clone(), ctx.seed), move |_| result.set(None));
    }
    let run = {
        let (n, result, running, slug, pairs, seed) = (
            *n,
            result.clone(),
            running.clone(),
            ctx.widget.slug,
            ctx.pairs.clone(),
            ctx.seed,
        );
        Callback::from(move |_: MouseEvent| {
            running.set(true);
            let (result, running) = (result.clone(), running.clone());
            runner::request(slug, &pairs, seed, runner::Job::Trials(n), move |res| {
                running.set(false);
                result.set(Some(res.and_then(|j| {
                    serde_json::from_str::<Trials>(&j).map_err(|e| e.to_string())
                })));
            });
        })
    };
    let on_n = {
        let n = n.clone();
        Callback::from(move |e: Event| {
            if let Some(s) = e
                .target()
                .and_then(|t| t.dyn_into::<web_sys::HtmlSelectElement>().ok())
            {
                n.set(s.value().parse().unwrap_or(100));
            }
        })
    };
    let id = format!("{}-trials", ctx.id);
    html! {
        <section class="batch" aria-label="Batch of seeded trials">
            <h3>{"Many seeds at once"}</h3>
            <p class="muted">{"One run is one sample. Run the same settings with many seeds (derived from this seed) to see how much the measured figures vary."}</p>
            <div class="player">
                <label for={id.clone()}>{"Trials"}</label>
                <select id={id} onchange={on_n}>
                    { for [20u32, 100, 500].iter().map(|v| html! { <option value={v.to_string()} selected={*v == *n}>{ v }</option> }) }
                </select>
                <button type="button" class="primary" onclick={run} disabled={*running}>{ format!("Run {} trials", *n) }</button>
                if *running { <span class="busy" role="status"><span class="spinner" aria-hidden="true"></span>{"running in the background…"}</span> }
            </div>
            { match &*result {
                Some(Ok(t)) => html! {
                    <div class="table-wrap">
                        <table class="data" data-testid="trials">
                            <caption class="sr-only">{ format!("{} trials from seed {}", t.trials, t.seed) }</caption>
                            <thead><tr><th>{"metric"}</th><th>{"mean"}</th><th>{"sd"}</th><th>{"p5"}</th><th>{"median"}</th><th>{"p95"}</th></tr></thead>
                            <tbody>
                                { for t.metrics.iter().map(|(k, s)| html! {
                                    <tr><td>{ k.replace('_', " ") }</td><td>{ sig3(s.mean) }</td><td>{ sig3(s.sd) }</td><td>{ sig3(s.p5) }</td><td>{ sig3(s.p50) }</td><td>{ sig3(s.p95) }</td></tr>
                                }) }
                            </tbody>
                        </table>
                    </div>
                },
                Some(Err(e)) => html! { <p class="notice">{ format!("The batch failed: {e}") }</p> },
                None => html! {},
            } }
        </section>
    }
}
