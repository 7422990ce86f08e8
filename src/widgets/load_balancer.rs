//! View of `load-balancer` (book page 22): seven dispatch strategies measured on the same
//! seeded traffic against the pooled-queue yardstick, the book's efficiency ladder judged by
//! measurement, the selected strategy's queues played live, and balls into bins.

use crate::chrome::chart::{Chart, ChartSpec, Kind, Mark, Series};
use crate::chrome::host::{use_from_report, use_report, WidgetCtx};
use crate::chrome::metrics::{int, metric, notes, pct, sig3, Tone};
use crate::chrome::player::use_live_sim;
use sim::models::load_balancer::{LbSim, LbSnapshot, Params, Report, Strategy, StrategyResult};
use std::rc::Rc;
use yew::prelude::*;

/// Props of [`View`].
#[derive(Properties, PartialEq)]
pub struct Props {
    /// From the host.
    pub ctx: WidgetCtx,
}

/// Palette index and line style of a strategy, the same in every chart.
fn style(key: &str) -> (usize, Kind) {
    match key {
        "random" => (0, Kind::Line),
        "round_robin" => (1, Kind::Line),
        "weighted_rr" => (1, Kind::Dashed),
        "least_conn" => (2, Kind::Line),
        "power_of_d" => (3, Kind::Line),
        "hash" => (5, Kind::Line),
        _ => (4, Kind::Line),
    }
}

/// A short label for chart categories.
fn short(key: &str, d: u32) -> String {
    match key {
        "random" => "rand".into(),
        "round_robin" => "RR".into(),
        "weighted_rr" => "WRR".into(),
        "least_conn" => "LC".into(),
        "power_of_d" => format!("d={d}"),
        "hash" => "hash".into(),
        "peak_ewma" => "EWMA".into(),
        _ => key.into(),
    }
}

/// A compact legend name.
fn legend(key: &str, name: &str) -> String {
    match key {
        "weighted_rr" => "weighted RR".into(),
        "least_conn" => "least-conn".into(),
        "power_of_d" => name.replace("power of ", "").replace(" choices", ""),
        "hash" => "hash".into(),
        _ => name.into(),
    }
}

/// The book's level and band for a strategy, in words.
fn book_band(key: &str) -> String {
    match Strategy::from_key(key).book_level() {
        Some((level, lo, hi)) => format!("L{level}: {:.0}–{:.0} %", 100.0 * lo, 100.0 * hi),
        None => "not ranked".into(),
    }
}

/// Whether a measured efficiency falls inside the book's band (None when unranked).
fn in_band(s: &StrategyResult) -> Option<bool> {
    Strategy::from_key(&s.key)
        .book_level()
        .map(|(_, lo, hi)| s.efficiency >= lo && s.efficiency <= hi)
}

fn ms1(x: f64) -> String {
    if !x.is_finite() {
        "∞".into()
    } else if x >= 10_000.0 {
        format!("{} s", sig3(x / 1000.0))
    } else {
        format!("{} ms", sig3(x))
    }
}

/// The load-balancer widget.
#[component]
pub fn View(props: &Props) -> Html {
    let ctx = &props.ctx;
    let p: Params = ctx.params();
    let report = use_report::<Report>(ctx);
    let charts = use_from_report(&report, {
        let p = p.clone();
        move |r| {
            (
                latency_chart(r, p.d),
                sweep_chart(r, p.utilisation / 100.0),
                util_chart(r),
                bins_chart(r),
            )
        }
    });
    let Some(r) = report else {
        return html! { <p class="muted">{"Routing requests…"}</p> };
    };
    let Some((latency, sweep, util, bins)) = (*charts).clone() else {
        return html! {};
    };
    let sel = r.strategy(&r.selected).or(r.strategies.first()).cloned();
    let Some(sel) = sel else {
        return html! {};
    };
    let best = r
        .strategies
        .iter()
        .max_by(|a, b| a.efficiency.total_cmp(&b.efficiency))
        .cloned()
        .unwrap_or_else(|| sel.clone());
    let random = r.strategy("random").cloned();
    let big = r.bins.last().cloned();
    let sel_band = in_band(&sel);
    html! {
        <>
        <p class="callout">
            { "Efficiency, as measured here: the mean response time of " }<strong>{"one shared queue"}</strong>
            { " feeding every server (the ideal a balancer can approach) divided by the strategy's mean response time. 100 % = as good as the shared queue. All strategies see the very same " }
            { int(u64::from(r.requests_measured)) }{ " measured requests." }
        </p>
        <dl class="metrics">
            { metric("sel_p99", &format!("p99 — {}", sel.name), ms1(sel.p99_ms), Some(format!("median {}, mean {}", ms1(sel.p50_ms), ms1(sel.mean_ms))), Tone::Plain) }
            { metric("sel_eff", &format!("Efficiency — {}", sel.name), pct(sel.efficiency, 0), Some(format!("book: {}", book_band(&sel.key))), match sel_band { Some(true) => Tone::Good, Some(false) => Tone::Bad, None => Tone::Plain }) }
            { metric("pooled_mean", "Shared queue (yardstick), mean", ms1(r.pooled_mean_ms), Some(match &r.pooled_theory { Some(t) => format!("{} theory {}", t.model, ms1(t.mean_ms)), None => format!("p99 {}", ms1(r.pooled_p99_ms)) }), Tone::Plain) }
            if let Some(rnd) = &random {
                { metric("random_mean", "Random routing, mean", ms1(rnd.mean_ms), Some(match &rnd.theory { Some(t) => format!("{} theory {}", t.model, ms1(t.mean_ms)), None => format!("efficiency {}", pct(rnd.efficiency, 0)) }), Tone::Plain) }
            }
            { metric("best", "Best strategy here", best.name.clone(), Some(format!("efficiency {}, p99 {}", pct(best.efficiency, 0), ms1(best.p99_ms))), Tone::Good) }
            if let Some(b) = &big {
                { metric("bins_max", &format!("Fullest of 2^{} bins", b.n.trailing_zeros()), format!("{:.1} → {:.1}", b.max_load[0], b.max_load[1]), Some(format!("{} balls; 1 random choice → best of 2", int(u64::from(b.n)))), Tone::Plain) }
            }
        </dl>
        <div class="table-wrap">
            <table class="data lb-table" aria-label="Every strategy on the same traffic">
                <thead><tr>
                    <th>{"strategy"}</th><th>{"efficiency"}</th><th>{"book says"}</th><th>{"p99"}</th><th>{"mean"}</th><th>{"p50"}</th><th>{"max"}</th><th>{"theory mean"}</th>
                </tr></thead>
                <tbody>
                    { for r.strategies.iter().map(|s| {
                        let verdict = match in_band(s) { Some(true) => "✓ inside", Some(false) => if s.efficiency < Strategy::from_key(&s.key).book_level().map(|b| b.1).unwrap_or(0.0) { "✗ below" } else { "✗ above" }, None => "" };
                        html! {
                            <tr class={classes!((s.key == r.selected).then_some("lb-sel"))}>
                                <th scope="row">{ &s.name }</th>
                                <td data-metric={format!("eff_{}", s.key)}>{ pct(s.efficiency, 0) }<span class="lb-verdict">{ format!(" {verdict}") }</span></td>
                                <td>{ book_band(&s.key) }</td>
                                <td data-metric={format!("p99_{}", s.key)}>{ ms1(s.p99_ms) }</td>
                                <td>{ ms1(s.mean_ms) }</td>
                                <td>{ ms1(s.p50_ms) }</td>
                                <td>{ ms1(s.max_ms) }</td>
                                <td>{ s.theory.as_ref().map(|t| format!("{} ({})", ms1(t.mean_ms), t.model)).unwrap_or_else(|| "—".into()) }</td>
                            </tr>
                        }
                    }) }
                    <tr class="lb-pooled">
                        <th scope="row">{"shared queue (yardstick)"}</th>
                        <td>{"100 %"}</td>
                        <td>{"—"}</td>
                        <td>{ ms1(r.pooled_p99_ms) }</td>
                        <td>{ ms1(r.pooled_mean_ms) }</td>
                        <td>{ ms1(r.pooled_p50_ms) }</td>
                        <td>{"—"}</td>
                        <td>{ r.pooled_theory.as_ref().map(|t| format!("{} ({})", ms1(t.mean_ms), t.model)).unwrap_or_else(|| "—".into()) }</td>
                    </tr>
                </tbody>
            </table>
        </div>
        <div class="grid2">
            <Chart spec={latency} height={280} caption="p99 (bars) and median (dots) response time of each strategy on the same traffic" />
            <Chart spec={util} height={280} caption="share of the time each server was busy under the selected strategy" />
        </div>
        <Chart spec={sweep} height={340} caption="efficiency of each strategy against offered utilisation, with the current utilisation marked" />
        <LiveQueues params={p.clone()} seed={ctx.seed} id={ctx.id.clone()} />
        <Chart spec={bins} height={320} caption="fullest bin after n balls into n bins, with one, two and three choices, against theory" />
        { notes(&r.notes) }
        <section class="explain">
            <h3>{"What you are looking at"}</h3>
            <p>{"A balancer sends each request to one of N servers; each server works through its own queue, one request at a time. Every strategy gets exactly the same requests — the same arrival instants, sizes and keys — so the differences in the table are the strategies' doing, not luck. The yardstick is a single shared queue that hands the next request to whichever server frees first: no server ever idles while work waits. For identical servers with random arrivals and sizes that is Erlang's M/M/c queue, and the simulated yardstick lands on its formula."}</p>
            <p>{"Load-blind strategies (random, round-robin, hash) let one server queue while another sits idle; strategies that look at the servers (least connections, power of d choices, peak-EWMA) rarely do. Random routing is N separate M/M/1 queues, mean S/(1−ρ); round-robin spaces each server's arrivals out and does better; asking just two random servers and taking the emptier removes most of random's tail."}</p>
            <h3>{"Try this"}</h3>
            <p>
                { ctx.try_this("Defaults: 8 servers at 70 %", &[("servers", "8"), ("utilisation", "70"), ("speeds", "identical"), ("arrivals", "poisson"), ("service", "exponential"), ("fault", "none")]) }
                { ctx.try_this("Light load (30 %)", &[("utilisation", "30")]) }
                { ctx.try_this("Heavy load (95 %)", &[("utilisation", "95")]) }
                { ctx.try_this("Mixed server sizes", &[("speeds", "mixed"), ("strategy", "weighted_rr")]) }
                { ctx.try_this("A server slows down", &[("fault", "slow"), ("strategy", "peak_ewma")]) }
                { ctx.try_this("Heavy-tailed requests", &[("service", "pareto"), ("strategy", "least_conn")]) }
                { ctx.try_this("Bursty traffic", &[("arrivals", "bursty"), ("utilisation", "60")]) }
                { ctx.try_this("Hot keys, hash affinity", &[("zipf", "1.2"), ("strategy", "hash")]) }
                { ctx.try_this("64 servers, 2 choices", &[("servers", "64"), ("d", "2"), ("utilisation", "90"), ("strategy", "power_of_d")]) }
            </p>
            <h3>{"What to notice"}</h3>
            <ul>
                <li>{"Efficiency is not a property of the algorithm alone: in the second chart every load-blind strategy falls steadily as load rises, while least connections and peak-EWMA stay near the top. A single percentage per level cannot be right at every load."}</li>
                <li>{"Going from d = 1 to d = 2 choices cuts the p99 far more than going from 2 to 4. In balls into bins the fullest bin keeps growing with n for one choice (about ln n / ln ln n, more exactly Γ⁻¹(n) − 3/2) but barely moves for two (ln ln n / ln 2 + a constant)."}</li>
                <li>{"With mixed sizes, everything that ignores speed — random, round-robin, hash — overloads the small servers; weighted round-robin fixes the split, and least connections finds it by itself. When a server slows down, only the strategies that watch queues or latency route around it."}</li>
            </ul>
            <h3>{"Where the book's ladder holds, and where it fails"}</h3>
            <ul data-testid="ladder">{ for ladder(&r).into_iter().map(|l| html! { <li>{ l }</li> }) }</ul>
        </section>
        </>
    }
}

/// The book's ladder judged against this run, level by level, in sentences.
fn ladder(r: &Report) -> Vec<String> {
    let eff = |k: &str| r.strategy(k).map(|s| s.efficiency).unwrap_or(0.0);
    let p = |x: f64| pct(x, 0);
    let band = |x: f64, lo: f64, hi: f64| {
        if x < lo {
            "below"
        } else if x > hi {
            "above"
        } else {
            "inside"
        }
    };
    let mut out = Vec::new();
    let (rnd, rr) = (eff("random"), eff("round_robin"));
    let sweep_range = |i: usize| {
        let xs: Vec<f64> = r
            .sweep
            .iter()
            .filter_map(|s| s.efficiency.get(i).copied())
            .collect();
        let lo = xs.iter().copied().fold(f64::MAX, f64::min);
        let hi = xs.iter().copied().fold(0.0, f64::max);
        (lo, hi)
    };
    let (rlo, rhi) = sweep_range(0);
    out.push(format!(
        "Level 1, random and round-robin, “60–70 %”: measured {} and {} here ({} and {} the band); between 30 % and 95 % load random alone spans {}–{}.",
        p(rnd), p(rr), band(rnd, 0.6, 0.7), band(rr, 0.6, 0.7), p(rlo), p(rhi)
    ));
    let (lc, wrr, ew) = (eff("least_conn"), eff("weighted_rr"), eff("peak_ewma"));
    out.push(format!(
        "Level 2, least connections, weighted round-robin and response-time based (peak-EWMA), “70–85 %”: measured {}, {} and {}. Weighted round-robin is only as good as its weights: with identical servers it is round-robin, request for request.",
        p(lc), p(wrr), p(ew)
    ));
    let l1 = rnd.max(rr);
    let l2 = lc.min(ew);
    out.push(if l2 > l1 {
        format!(
            "The ordering holds: the adaptive level-2 strategies ({}+) beat level 1 (at most {}).",
            p(l2),
            p(l1)
        )
    } else {
        format!(
            "The ordering fails here: level 1 reaches {} while a level-2 strategy manages only {}.",
            p(l1),
            p(l2)
        )
    });
    let h = eff("hash");
    out.push(format!(
        "Level 3, affinity, “80–90 %”: hash affinity measures {} — {} level 1. Affinity buys locality (warm caches, sticky sessions), not balance: popular keys pin their load to one server.",
        p(h),
        if h < rnd.min(rr) { "below" } else if h > l1 { "above" } else { "between the two strategies of" }
    ));
    if let Some(best) = r
        .strategies
        .iter()
        .max_by(|a, b| a.efficiency.total_cmp(&b.efficiency))
    {
        out.push(format!(
            "Level 4 (predictive, cost- and SLO-aware), “90–95 %”, is not simulated; the best strategy here, {}, reaches {} with nothing more than a count of open requests.",
            best.name,
            p(best.efficiency)
        ));
    }
    out
}

fn latency_chart(r: &Report, d: u32) -> Rc<ChartSpec> {
    let mut cats: Vec<String> = r.strategies.iter().map(|s| short(&s.key, d)).collect();
    cats.push("pool".into());
    let n = r.strategies.len();
    let mut p99: Vec<(f64, f64)> = r
        .strategies
        .iter()
        .enumerate()
        .map(|(i, s)| (i as f64, s.p99_ms))
        .collect();
    p99.push((n as f64, r.pooled_p99_ms));
    let mut p50: Vec<(f64, f64)> = r
        .strategies
        .iter()
        .enumerate()
        .map(|(i, s)| (i as f64, s.p50_ms))
        .collect();
    p50.push((n as f64, r.pooled_p50_ms));
    let hi = p99.iter().map(|p| p.1).fold(0.0, f64::max);
    let lo = p50.iter().map(|p| p.1).fold(f64::MAX, f64::min);
    Rc::new(ChartSpec {
        title: "Response time by strategy".into(),
        x_label: "strategy".into(),
        y_label: "response time (ms)".into(),
        y_log: hi > 20.0 * lo.max(1e-9),
        y_min: Some(if hi > 20.0 * lo.max(1e-9) {
            lo * 0.5
        } else {
            0.0
        }),
        categories: cats,
        series: vec![
            Series::new("p99", Kind::Bars, 1, p99),
            Series::new("median", Kind::Points, 0, p50),
        ],
        ..Default::default()
    })
}

fn sweep_chart(r: &Report, current: f64) -> Rc<ChartSpec> {
    let series = r
        .strategies
        .iter()
        .enumerate()
        .map(|(i, s)| {
            let (c, k) = style(&s.key);
            let pts = r
                .sweep
                .iter()
                .filter_map(|pt| {
                    pt.efficiency
                        .get(i)
                        .map(|e| (100.0 * pt.utilisation, 100.0 * e))
                })
                .collect();
            Series::new(legend(&s.key, &s.name), k, c, pts)
        })
        .collect();
    Rc::new(ChartSpec {
        title: "Efficiency vs load".into(),
        x_label: "offered utilisation (%)".into(),
        y_label: "efficiency (%)".into(),
        y_min: Some(0.0),
        series,
        marks: vec![Mark {
            x: 100.0 * current,
            label: "now".into(),
        }],
        ..Default::default()
    })
}

fn util_chart(r: &Report) -> Rc<ChartSpec> {
    let sel = r.strategy(&r.selected).or(r.strategies.first());
    let Some(sel) = sel else {
        return Rc::new(ChartSpec::default());
    };
    let n = sel.utilisation.len();
    let cats: Vec<String> = (1..=n).map(|i| i.to_string()).collect();
    let pts = sel
        .utilisation
        .iter()
        .enumerate()
        .map(|(i, u)| (i as f64, 100.0 * u))
        .collect();
    let (c, _) = style(&sel.key);
    Rc::new(ChartSpec {
        title: format!("Server utilisation — {}", sel.name),
        x_label: "server".into(),
        y_label: "busy (%)".into(),
        y_min: Some(0.0),
        categories: cats,
        series: vec![Series::new(
            format!("busy, {}", sel.name),
            Kind::Bars,
            c,
            pts,
        )],
        ..Default::default()
    })
}

fn bins_chart(r: &Report) -> Rc<ChartSpec> {
    let pts = |f: &dyn Fn(&sim::models::load_balancer::BinsPoint) -> f64| -> Vec<(f64, f64)> {
        r.bins.iter().map(|b| (f64::from(b.n), f(b))).collect()
    };
    Rc::new(ChartSpec {
        title: "Balls into bins".into(),
        x_label: "balls = bins (n)".into(),
        y_label: "fullest bin (balls)".into(),
        x_log: true,
        y_min: Some(0.0),
        series: vec![
            Series::new("d = 1", Kind::Line, 0, pts(&|b| b.max_load[0])),
            Series::new("d = 2", Kind::Line, 3, pts(&|b| b.max_load[1])),
            Series::new("d = 3", Kind::Line, 2, pts(&|b| b.max_load[2])),
            Series::new(
                "Γ⁻¹(n) − 3/2",
                Kind::Dashed,
                0,
                pts(&|b| b.theory_d1_gonnet),
            ),
            Series::new("ln n / ln ln n", Kind::Dashed, 5, pts(&|b| b.theory_d1)),
            Series::new("ln ln n / ln 2", Kind::Dashed, 3, pts(&|b| b.theory_d2)),
        ],
        ..Default::default()
    })
}

type LiveProps = crate::chrome::player::LiveProps<Params>;

/// The selected strategy on the same traffic, played live.
#[component]
fn LiveQueues(props: &LiveProps) -> Html {
    let LiveProps { params, seed, id } = props;
    // speeds offered in mean service times per real second, shown as real-time ratios
    let base = params.service_ms / 1000.0;
    let speeds: Vec<f64> = [0.5, 2.0, 8.0, 32.0]
        .iter()
        .map(|k| round_sig(k * base))
        .collect();
    let live = use_live_sim(
        (params.clone(), *seed),
        |d| LbSim::from_params(&d.0, d.1),
        |s| s.snapshot(),
        round_sig(2.0 * base),
    );
    let clock = live.clock;
    let s: &LbSnapshot = &live.snap;
    let strategy = Strategy::from_key(&params.strategy).name(params.d);
    let in_flight: u32 = s.in_server.iter().sum();
    let longest = s.in_server.iter().copied().max().unwrap_or(0);
    html! {
        <section class="live" aria-label="Live simulation">
            <h3>{ format!("Live: {strategy}") }</h3>
            { live.player(speeds, format!("t = {:.2} s · {} arrived · {} done", s.t.max(clock), int(u64::from(s.arrived)), int(u64::from(s.completed))), id.clone()) }
            { servers_svg(s, &strategy) }
            <p class="muted lb-key">{"Filled box: serving a request. Dots: requests waiting in that server's queue. Box width: server speed. The highlighted line: where the last request went."}</p>
            <dl class="metrics">
                { metric("live_in_flight", "Requests in the servers", int(u64::from(in_flight)), None, Tone::Plain) }
                { metric("live_longest", "Longest server queue", int(u64::from(longest)), None, if longest > 4 { Tone::Bad } else { Tone::Plain }) }
                { metric("live_p50", "Recent median response", s.recent_p50_ms.map(ms1).unwrap_or_else(|| "—".into()), Some("last 200 requests".into()), Tone::Plain) }
                { metric("live_p99", "Recent p99 response", s.recent_p99_ms.map(ms1).unwrap_or_else(|| "—".into()), Some("last 200 requests".into()), Tone::Plain) }
            </dl>
        </section>
    }
}

/// `x` rounded to two significant figures (for speed choices).
fn round_sig(x: f64) -> f64 {
    if x <= 0.0 || !x.is_finite() {
        return 1.0;
    }
    let mag = 10f64.powf(x.log10().floor() - 1.0);
    (x / mag).round() * mag
}

/// The balancer above a row of servers; each server's queue hangs below it as dots.
fn servers_svg(s: &LbSnapshot, strategy: &str) -> Html {
    let n = s.in_server.len().max(1);
    let w = (n as f64 * 48.0).clamp(320.0, 640.0);
    let col = w / n as f64;
    let box_w = (col * 0.78).min(56.0);
    let r = (col * 0.28).clamp(1.8, 5.0);
    let gap = 2.0 * r + 2.0;
    let max_dots = 8u32;
    let (bx, by) = (w / 2.0, 16.0);
    let sy = 78.0;
    let h = sy + 26.0 + f64::from(max_dots) * gap + 22.0;
    let labels = n <= 16;
    // the smallest text (the "+n" under a long queue), which sets how far the drawing may shrink
    let small_font = if labels { 10.0 } else { 7.0 };
    let fastest = s.speeds.iter().copied().fold(1e-9, f64::max);
    html! {
        <crate::chrome::dom::ScrollBox view_w={w} font={small_font} centre_on={n as u32}>
        <svg class="drawing lb-servers" viewBox={format!("0 0 {w} {h:.0}")} role="img"
             aria-label={format!("{strategy}: {} servers; requests in each: {}", n, s.in_server.iter().map(|q| q.to_string()).collect::<Vec<_>>().join(", "))}>
            { for (0..n).map(|i| {
                let x = col * (i as f64 + 0.5);
                let hot = s.last_routed == Some(i as u32);
                html! { <line x1={format!("{bx:.1}")} y1={format!("{:.1}", by + 22.0)} x2={format!("{x:.1}")} y2={format!("{sy:.1}")}
                    stroke={if hot { "var(--c0)" } else { "var(--border)" }} stroke-width={if hot { "2" } else { "0.8" }} /> }
            }) }
            <rect x={format!("{:.1}", bx - 60.0)} y={format!("{:.1}", by - 12.0)} width="120" height="34" rx="6" fill="var(--bg)" stroke="var(--fg)" stroke-width="1.2" />
            <text x={format!("{bx:.1}")} y={format!("{:.1}", by + 9.0)} text-anchor="middle" font-size="13" font-weight="600" fill="var(--fg)">{"balancer"}</text>
            { for s.in_server.iter().enumerate().map(|(i, &q)| {
                let x = col * (i as f64 + 0.5);
                let busy = q > 0;
                let slow = s.slow_now && i == 0;
                let waiting = q.saturating_sub(1);
                let shown = waiting.min(max_dots);
                // box width shows the server's speed
                let bw = box_w * (0.4 + 0.6 * s.speeds.get(i).copied().unwrap_or(1.0) / fastest);
                html! { <g>
                    <rect x={format!("{:.1}", x - bw / 2.0)} y={format!("{sy:.1}")} width={format!("{bw:.1}")} height="22" rx="3"
                        fill={if busy { "var(--c0)" } else { "var(--bg)" }} stroke={if slow { "var(--c4)" } else { "var(--muted)" }} stroke-width={if slow { "2.5" } else { "1" }} />
                    if labels {
                        <text x={format!("{x:.1}")} y={format!("{:.1}", sy - 4.0)} text-anchor="middle" font-size="10" fill="var(--muted)">
                            { if s.speeds.iter().all(|v| (v - 1.0).abs() < 1e-9) { format!("{}", i + 1) } else { format!("{:.2}×", s.speeds[i]) } }
                        </text>
                    }
                    { for (0..shown).map(|j| html! {
                        <circle cx={format!("{x:.1}")} cy={format!("{:.1}", sy + 26.0 + r + f64::from(j) * gap)} r={format!("{r:.1}")} fill="var(--c1)" />
                    }) }
                    if waiting > max_dots {
                        <text x={format!("{x:.1}")} y={format!("{:.1}", sy + 26.0 + f64::from(max_dots) * gap + 12.0)} text-anchor="middle" font-size={small_font.to_string()} fill="var(--fg)">{ format!("+{}", waiting - max_dots) }</text>
                    }
                </g> }
            }) }
            if s.slow_now {
                // left of the balancer, within the part a phone shows first
                <text x={format!("{:.1}", (bx - 170.0).max(4.0))} y="12" font-size="11" fill="var(--c4)">{"server 1 slowed 5×"}</text>
            }
        </svg>
        </crate::chrome::dom::ScrollBox>
    }
}
