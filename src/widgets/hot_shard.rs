//! View of `hot-shard` (book page 22): the same Zipf-skewed requests on three placements, the
//! celebrity key's server, the floor no placement can beat, and what splitting the key buys.

use crate::chrome::chart::{Chart, ChartSpec, Kind, Mark, Series};
use crate::chrome::host::{use_from_report, use_report, WidgetCtx};
use crate::chrome::metrics::{int, metric, notes, pct, sig3, Tone};
use sim::models::hot_shard::{Params, PlacementReport, Report, SweepPoint};
use std::rc::Rc;
use yew::prelude::*;

/// Props of [`View`].
#[derive(Properties, PartialEq)]
pub struct Props {
    /// From the host.
    pub ctx: WidgetCtx,
}

/// `2.24×`
fn times(x: f64) -> String {
    format!("{}×", sig3(x))
}

/// A short name for a placement, for panel titles and the table.
fn short(key: &str) -> &'static str {
    match key {
        "mod" => "hash mod N",
        "vshards" => "virtual shards",
        _ => "ring",
    }
}

/// Servers holding any of the celebrity's requests, as `s3, s7`.
fn celebrity_servers(pl: &PlacementReport) -> String {
    let v: Vec<String> = pl
        .celebrity_loads
        .iter()
        .enumerate()
        .filter(|(_, &c)| c > 0)
        .map(|(s, _)| format!("s{s}"))
        .collect();
    if v.is_empty() {
        "—".into()
    } else if v.len() > 6 {
        format!("{} servers", v.len())
    } else {
        v.join(", ")
    }
}

/// The hot-shard widget.
#[component]
pub fn View(props: &Props) -> Html {
    let ctx = &props.ctx;
    let p: Params = ctx.params();
    let report = use_report::<Report>(ctx);
    let charts = use_from_report(&report, {
        let (skew, split) = (p.skew, p.split);
        move |r| {
            (
                sweep_chart(
                    &r.skew_sweep,
                    "Busiest server vs Zipf skew",
                    "Zipf skew s",
                    false,
                    Mark {
                        x: skew,
                        label: "now".into(),
                    },
                ),
                sweep_chart(
                    &r.split_sweep,
                    "Busiest server vs splitting the celebrity",
                    "celebrity split into k sub-keys",
                    true,
                    Mark {
                        x: f64::from(split),
                        label: "now".into(),
                    },
                ),
            )
        }
    });
    let Some(r) = report else {
        return html! { <p class="muted">{"Drawing requests…"}</p> };
    };
    let Some((skew_chart, split_chart)) = (*charts).clone() else {
        return html! {};
    };
    let k = p.split;
    let hottest_what = if k > 1 {
        format!("one of {k} celebrity sub-keys")
    } else {
        "the celebrity key_0".to_string()
    };
    let best = r
        .placements
        .iter()
        .min_by(|a, b| a.max_over_mean.total_cmp(&b.max_over_mean))
        .cloned();
    html! {
        <>
        <dl class="metrics">
            { metric("floor", "Floor for any placement", times(r.bound), Some(format!("max(1, N × {}), N = {}", pct(r.top_unit_share, 1), r.servers)), if r.bound > 1.2 { Tone::Bad } else { Tone::Plain }) }
            { metric("celebrity_share", "Celebrity's share of requests", pct(r.celebrity_share, 1), Some(format!("theory c + (1−c)/H = {}; Zipf alone 1/H = {}", pct(r.celebrity_share_theory, 1), pct(r.zipf_top_share, 2))), Tone::Plain) }
            { for r.placements.iter().map(|pl| {
                // good: at the floor (nothing can do better); bad: well above it
                let tone = if pl.max_over_mean <= r.bound * 1.05 + 0.02 { Tone::Good } else if pl.max_over_mean > 1.25 { Tone::Bad } else { Tone::Plain };
                metric(&format!("mm_{}", pl.key), &format!("{}: busiest ÷ mean", pl.name), times(pl.max_over_mean), Some(format!("expected {}; p99 per window {}; celebrity on {}", times(pl.expected_max_over_mean), times(pl.p99_over_mean), celebrity_servers(pl))), tone)
            }) }
            { metric("noise", "No-skew theory (mod N)", times(r.noise_theory), Some(format!("balls into bins with {} keys, {} requests; ring {}", int(u64::from(p.keys)), int(r.requests), times(r.noise_theory_ring))), Tone::Plain) }
        </dl>
        <figure class="fig">
            <figcaption><span class="chart-title">{ format!("Requests per server, same {} requests on each placement", int(r.requests)) }</span></figcaption>
            { servers_panels(&r) }
            <p class="muted hs-key"><span class="hs-swatch hs-c4" aria-hidden="true" />{"the celebrity's requests; ★ the servers holding it; dashed line: mean; dotted line: the floor. All three panels share one scale."}</p>
        </figure>
        <div class="table-wrap">
            <table class="data hs-table" aria-label="The three placements on the same requests">
                <thead><tr>
                    <th>{"placement"}</th><th><abbr title="busiest server ÷ mean">{"peak"}</abbr></th><th><abbr title="99th percentile of per-server load in 100 time windows ÷ mean">{"p99"}</abbr></th>
                    <th>{ if k > 1 { html! { <abbr title="busiest ÷ mean on the same requests with the celebrity not split">{"unsplit"}</abbr> } } else { html! { <abbr title="expected busiest ÷ mean with the celebrity split into 8 sub-keys">{"split ×8"}</abbr> } } }</th><th>{"vs floor"}</th>
                </tr></thead>
                <tbody>
                    { for r.placements.iter().enumerate().map(|(i, pl)| {
                        let other = if k > 1 {
                            times(pl.unsplit_max_over_mean)
                        } else {
                            r.split_sweep.iter().find(|s| s.x == 8.0).map(|s| times([s.modn, s.vshards, s.ring][i])).unwrap_or_default()
                        };
                        html! {
                            <tr>
                                <th scope="row"><span class={format!("hs-swatch hs-c{i}")} aria-hidden="true" />{ short(&pl.key) }</th>
                                <td>{ times(pl.max_over_mean) }</td>
                                <td data-metric={format!("p99_{}", pl.key)}>{ times(pl.p99_over_mean) }</td>
                                <td data-metric={format!("other_{}", pl.key)}>{ other }</td>
                                <td>{ format!("+{}", pct(pl.max_over_mean / r.bound - 1.0, 0)) }</td>
                            </tr>
                        }
                    }) }
                </tbody>
            </table>
        </div>
        <div class="grid2">
            <Chart spec={skew_chart} height={300} caption="expected busiest server ÷ mean for each placement as Zipf skew grows, with the floor no placement can beat" />
            <Chart spec={split_chart} height={300} caption="expected busiest server ÷ mean for each placement as the celebrity is split into more sub-keys, with the floor" />
        </div>
        { notes(&r.notes) }
        <section class="explain">
            <h3>{"What you are looking at"}</h3>
            <p>{ format!("{} keys with Zipf popularity (rank r is asked for in proportion to r^−s) plus one celebrity, key_0, that gets an extra share of all traffic. The same {} seeded requests go to {} servers three ways: the book's hash(key) mod N; {} virtual shards (hash mod V) handed to servers {}; and a consistent-hash ring with {} points per server. Each bar is one server; the red part is the celebrity's traffic.",
                int(u64::from(p.keys)), int(r.requests), r.servers, int(u64::from(p.vshards)),
                if p.assign == "round" { "round-robin" } else { "largest-first onto the least-loaded server (LPT, by expected load)" }, p.vnodes) }</p>
            <p>{ format!("No placement can cut a single key in two, so the server that holds {} carries at least its share. That gives a floor: busiest ÷ mean ≥ N × (hottest share), here {} × {} = {}. The hottest Zipf key alone has share 1/H(n, s), with H the generalised harmonic number ({} for these settings).",
                hottest_what, r.servers, pct(r.top_unit_share, 1), times(r.bound), sig3(r.harmonic)) }</p>
            <h3>{"Try this"}</h3>
            <p>
                { ctx.try_this("No skew, no celebrity", &[("skew", "0"), ("celebrity", "0"), ("split", "1")]) }
                { ctx.try_this("Power law only (s = 1)", &[("skew", "1"), ("celebrity", "0"), ("split", "1")]) }
                { ctx.try_this("A 30 % celebrity", &[("skew", "1"), ("celebrity", "30"), ("split", "1")]) }
                { ctx.try_this("…split into 8", &[("skew", "1"), ("celebrity", "30"), ("split", "8")]) }
                { ctx.try_this("Round-robin virtual shards", &[("assign", "round"), ("vshards", "1000"), ("servers", "8")]) }
                { ctx.try_this("One ring point per server", &[("vnodes", "1"), ("skew", "0"), ("celebrity", "0")]) }
            </p>
            <h3>{"What to notice"}</h3>
            <ul>
                <li>{"With no skew every placement is close to even, within the balls-into-bins noise of keys and requests (the “no-skew theory” tile: 1 + E[max of N normals] × √(N/keys + N/requests)). A ring with few points per server is the exception: its arcs are uneven."}</li>
                <li>{"Once one key is hot enough that N × its share exceeds 1, the floor rises and every placement sits on or above it. Virtual shards balanced by load come closest — they can isolate the celebrity's shard on its own server — but cannot go below it."}</li>
                <li>{"Virtual shards have a floor of their own: a shard cannot be split either, so when a celebrity sub-key shares a shard with another hot key, that shard sets the peak (try 64 servers)."}</li>
                <li>{"Round-robin virtual shards with V a multiple of N are not a fix at all: shard mod N equals hash mod N, so the loads are identical to the book's hash mod N."}</li>
                <li>{"Splitting the celebrity into k sub-keys divides its share by k and lowers the floor until the next-hottest key sets it. Under hashing the peak usually falls too, but not always: the sub-keys land wherever their names hash, and if they land on a server that was already busy without the celebrity, that server becomes the new peak. The peak cannot rise when the celebrity's home server would be the busiest even without it (a property the tests check)."}</li>
            </ul>
            <h3>{"Where the book holds and where it does not"}</h3>
            <p>{ format!("The book blames Hash(UserID) % N for hot shards and offers virtual shards and consistent hashing as the fix. Measured here, the fix holds for the power-law part only when shards are moved by load: balanced virtual shards reach {} against hash mod N's {}. A consistent-hash ring reaches {} — it evens out the hash space, not the traffic. For the celebrity neither helps below the floor of {}; only splitting the key (or caching or replicating its reads) does.",
                r.placements.get(1).map(|x| times(x.max_over_mean)).unwrap_or_default(),
                r.placements.first().map(|x| times(x.max_over_mean)).unwrap_or_default(),
                r.placements.get(2).map(|x| times(x.max_over_mean)).unwrap_or_default(),
                times(r.bound)) }
               { best.map(|b| format!(" Best here: {}.", b.name)).unwrap_or_default() }</p>
        </section>
        </>
    }
}

/// Three panels of bars side by side, one per placement: requests per server, the celebrity's
/// part in red, the mean and the floor as dashed lines, a star over servers holding the
/// celebrity. All panels share one scale.
fn servers_panels(r: &Report) -> Html {
    let ymax = r
        .placements
        .iter()
        .flat_map(|p| p.loads.iter())
        .copied()
        .max()
        .unwrap_or(1)
        .max(1) as f64;
    let ymax = ymax.max(r.bound * r.mean) * 1.08;
    html! {
        <div class="hs-panels">
            { for r.placements.iter().enumerate().map(|(pi, pl)| html! {
                <div class="hs-panel">
                    <p class="hs-panel-title"><span class={format!("hs-swatch hs-c{pi}")} aria-hidden="true" />{ format!("{}: busiest {}", short(&pl.key), times(pl.max_over_mean)) }</p>
                    { panel_svg(r, pi, pl, ymax) }
                </div>
            }) }
        </div>
    }
}

fn panel_svg(r: &Report, pi: usize, pl: &PlacementReport, ymax: f64) -> Html {
    let n = pl.loads.len().max(1);
    let (w, left, right, top, bar_h) = (320.0, 34.0, 4.0, 14.0, 110.0);
    let base = top + bar_h;
    let h = base + if n <= 16 { 16.0 } else { 6.0 };
    let y_of = |v: f64| base - v / ymax * bar_h;
    let (mean_y, floor_y) = (y_of(r.mean), y_of(r.bound * r.mean));
    let slot = (w - left - right) / n as f64;
    let bw = (slot * 0.78).max(1.0);
    html! {
        <svg class="drawing hs-servers" viewBox={format!("0 0 {w} {h}")} role="img"
             aria-label={format!("{}: requests on each of {} servers; busiest {} the mean; the celebrity's requests in red on {}", pl.name, n, times(pl.max_over_mean), celebrity_servers(pl))}>
            <line x1={left.to_string()} x2={(w - right).to_string()} y1={base.to_string()} y2={base.to_string()} stroke="var(--border)" />
            { for pl.loads.iter().zip(&pl.celebrity_loads).enumerate().map(|(s, (&l, &c))| {
                let x = left + s as f64 * slot + (slot - bw) / 2.0;
                let (yt, yc) = (y_of(l as f64), y_of(c as f64));
                html! { <g>
                    <rect x={format!("{x:.1}")} y={format!("{yt:.1}")} width={format!("{bw:.1}")} height={format!("{:.1}", (base - yt).max(0.0))} fill={format!("var(--c{pi})")}>
                        <title>{ format!("server s{s}: {} requests ({} the mean), {} of them for the celebrity", int(l), times(l as f64 / r.mean), int(c)) }</title>
                    </rect>
                    if c > 0 {
                        <rect x={format!("{x:.1}")} y={format!("{yc:.1}")} width={format!("{bw:.1}")} height={format!("{:.1}", (base - yc).max(0.0))} fill="var(--c4)" />
                        <text x={format!("{:.1}", x + bw / 2.0)} y={format!("{:.1}", yt - 2.5)} text-anchor="middle" font-size="11" fill="var(--c4)">{"★"}</text>
                    }
                    if n <= 16 {
                        <text x={format!("{:.1}", x + bw / 2.0)} y={format!("{:.1}", base + 12.0)} text-anchor="middle" font-size="10" fill="var(--muted)">{ format!("s{s}") }</text>
                    }
                </g> }
            }) }
            <line x1={left.to_string()} x2={(w - right).to_string()} y1={format!("{mean_y:.1}")} y2={format!("{mean_y:.1}")} stroke="var(--fg)" stroke-dasharray="4 3" stroke-width="1" />
            <text x={(left - 3.0).to_string()} y={format!("{:.1}", mean_y + 3.5)} text-anchor="end" font-size="10" fill="var(--fg)">{"mean"}</text>
            if r.bound > 1.0 + 1e-9 {
                <line x1={left.to_string()} x2={(w - right).to_string()} y1={format!("{floor_y:.1}")} y2={format!("{floor_y:.1}")} stroke="var(--muted)" stroke-dasharray="1.5 2.5" stroke-width="1.5" />
                <text x={(left - 3.0).to_string()} y={format!("{:.1}", floor_y + 3.5)} text-anchor="end" font-size="10" fill="var(--muted)">{"floor"}</text>
            }
        </svg>
    }
}

fn sweep_chart(
    pts: &[SweepPoint],
    title: &str,
    x_label: &str,
    x_log: bool,
    mark: Mark,
) -> Rc<ChartSpec> {
    let s = |f: fn(&SweepPoint) -> f64| pts.iter().map(|p| (p.x, f(p))).collect::<Vec<_>>();
    Rc::new(ChartSpec {
        title: title.into(),
        x_label: x_label.into(),
        y_label: "busiest ÷ mean".into(),
        x_log,
        y_min: Some(1.0),
        series: vec![
            Series::new("hash mod N", Kind::Line, 0, s(|p| p.modn)),
            Series::new("virtual shards", Kind::Line, 1, s(|p| p.vshards)),
            Series::new("ring", Kind::Line, 2, s(|p| p.ring)),
            Series::new("floor", Kind::Dashed, 5, s(|p| p.bound)),
        ],
        marks: vec![mark],
        ..Default::default()
    })
}
