//! View of `rate-limiters` (book page 23): one seeded trace through a token bucket, a fixed
//! window, a sliding log and a sliding-window counter — 429 rates, the most each admits in any
//! window, the time series, and a live replay of the requests and the limiters' state.

use crate::chrome::chart::{Chart, ChartSpec, Kind, Mark, Series};
use crate::chrome::host::{use_from_report, use_report, WidgetCtx};
use crate::chrome::metrics::{int, metric, notes, pct, sig3, Tone};
use crate::chrome::player::use_live_sim_at;
use sim::models::rate_limiters::{
    LimiterKind, LimiterReport, Params, Replay, Report, Snapshot, EDGE_SHARE,
};
use std::rc::Rc;
use yew::prelude::*;

/// Props of [`View`].
#[derive(Properties, PartialEq)]
pub struct Props {
    /// From the host.
    pub ctx: WidgetCtx,
}

/// Requests drawn per lane in the live strip.
const STRIP: usize = 32;

/// `sig3` without trailing zeros: 0.5, 10, 29.4.
fn num(x: f64) -> String {
    let s = sig3(x);
    if s.contains('.') && !s.contains('e') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    }
}

/// A whole number whose thin-space separators do not break lines (for running text).
fn nb(s: String) -> String {
    s.replace('\u{2009}', "\u{202f}")
}

/// A ratio to three decimals without trailing zeros: 1.999, 1.04, 2.
fn times(x: f64) -> String {
    let s = format!("{x:.3}");
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

fn secs(x: f64) -> String {
    format!("{} s", num(x))
}

/// What the trace is, in a phrase.
fn trace_phrase(r: &Report) -> String {
    let rate = sig3(r.offered_mean_rate);
    match r.trace.as_str() {
        "steady" => format!("steady Poisson traffic at {rate} req/s"),
        "bursty" => format!("on/off bursts averaging {rate} req/s"),
        "spike" => "steady traffic with a tenfold spike from 40 % to 50 % of the run".into(),
        "edge" => format!(
            "silence, then {} requests in the last {} before the edge at {}, then steady traffic",
            nb(int(u64::from(r.limit))),
            secs(EDGE_SHARE * r.window_s),
            secs(r.edge_s.unwrap_or(0.0))
        ),
        _ => format!(
            "a light background plus {} requests in the {} before the window edge at {} and {} more in the {} after it",
            nb(int(u64::from(r.limit))),
            secs(EDGE_SHARE * r.window_s),
            secs(r.edge_s.unwrap_or(0.0)),
            nb(int(u64::from(r.limit))),
            secs(EDGE_SHARE * r.window_s)
        ),
    }
}

fn max_tone(l: &LimiterReport, limit: u32) -> Tone {
    if l.key == "token_bucket" {
        Tone::Plain
    } else if l.max_in_window > u64::from(limit) {
        Tone::Bad
    } else {
        Tone::Good
    }
}

/// The rate-limiters widget.
#[component]
pub fn View(props: &Props) -> Html {
    let ctx = &props.ctx;
    let p: Params = ctx.params();
    let report = use_report::<Report>(ctx);
    let charts = use_from_report(&report, |r| (rate_chart(r), window_chart(r)));
    let Some(r) = report else {
        return html! { <p class="muted">{"Running the trace…"}</p> };
    };
    let Some((rates, windows)) = (*charts).clone() else {
        return html! {};
    };
    let w = secs(r.window_s);
    let limit = u64::from(r.limit);
    html! {
        <>
        <p class="callout">
            { "One trace of " }<strong data-metric="requests">{ nb(int(r.requests)) }</strong>{ " requests over " }{ secs(r.duration_s) }
            { format!(" — {} — offered to four limiters, each allowing {} per {w} (the token bucket holds {} tokens and refills at {} req/s).", trace_phrase(&r), nb(int(limit)), nb(int(u64::from(r.burst))), num(r.allowed_rate)) }
        </p>
        <h3 class="rl-h">{ format!("Most admitted in any {w} (limit {})", nb(int(limit))) }</h3>
        <dl class="metrics rl-four">
            { for r.limiters.iter().map(|l| metric(
                &format!("max_{}", l.key),
                &l.name,
                int(l.max_in_window),
                Some(format!("{}× the limit · worst case {}×", times(l.max_over_limit), times(l.worst_case / limit.max(1) as f64))),
                max_tone(l, r.limit),
            )) }
        </dl>
        <h3 class="rl-h">{"Rejected (429 Too Many Requests)"}</h3>
        <dl class="metrics rl-four">
            { for r.limiters.iter().map(|l| metric(
                &format!("reject_{}", l.key),
                &l.name,
                pct(l.reject_rate, 1),
                Some(format!("{} of {} requests", nb(int(l.rejected)), nb(int(r.requests)))),
                Tone::Plain,
            )) }
        </dl>
        <Chart spec={windows} height={270} caption={format!("The most requests each limiter admitted in a trailing {w}, over time, against the limit")} />
        <Chart spec={rates} height={250} caption="Requests offered and admitted per second by each limiter, over time" />
        { notes(&r.notes) }
        <LiveReplay params={p.clone()} seed={ctx.seed} id={ctx.id.clone()} />
        <section class="explain">
            <h3>{"What you are looking at"}</h3>
            <p>{ format!("The same requests, at the same instants, meet four limiters that all claim to allow {} per {w}. Each answers every request at once: admit, or reject with a 429. None of them queues, and each counts only what it admits.", nb(int(limit))) }</p>
            <ul>
                <li><strong>{"Token bucket"}</strong>{" — a bucket of tokens refilled at a steady rate; a request takes one or is turned away. The bucket's size is the burst it lets through at once, the refill rate the pace it sustains. This is the limiter of the book's Go snippet."}</li>
                <li><strong>{"Fixed window"}</strong>{" — a counter per calendar window (0–10 s, 10–20 s, …) reset at each edge. One integer per client, and the classic weakness: a client can spend a full quota just before an edge and a fresh one just after it."}</li>
                <li><strong>{"Sliding log"}</strong>{" — remembers when each admitted request arrived and counts those of the last window: exact, whatever the timing, at the cost of one timestamp per admitted request. This is the book's sliding window."}</li>
                <li><strong>{"Sliding-window counter"}</strong>{" — two counters (this window, the previous one) and a weighted guess of the trailing count: the previous count scaled by how much of the previous window still overlaps, plus the current count. Cheap, and close when traffic within a window is even; used by Cloudflare and many Redis-based limiters."}</li>
            </ul>
            <p>{ format!("The first chart shows, for each limiter, the largest number it had admitted within a trailing {w} at any moment; the dashed line is the limit. The tiles above give the same maximum over the whole run, measured exactly over every possible window position.") }</p>
            <h3>{"Try this"}</h3>
            <p>
                { ctx.try_this("Boundary burst (default)", &[("trace", "boundary"), ("offered_rate", "10"), ("duration_s", "60"), ("limit", "1000"), ("window_s", "10"), ("burst", "100")]) }
                { ctx.try_this("Steady, 20 % over the limit", &[("trace", "steady"), ("offered_rate", "120"), ("duration_s", "60"), ("limit", "1000"), ("window_s", "10"), ("burst", "100")]) }
                { ctx.try_this("Bursty, averaging the limit", &[("trace", "bursty"), ("offered_rate", "100"), ("duration_s", "120"), ("limit", "1000"), ("window_s", "10"), ("burst", "100")]) }
                { ctx.try_this("Same, bucket as big as a window", &[("trace", "bursty"), ("offered_rate", "100"), ("duration_s", "120"), ("limit", "1000"), ("window_s", "10"), ("burst", "1000")]) }
                { ctx.try_this("A tenfold spike", &[("trace", "spike"), ("offered_rate", "60"), ("duration_s", "60"), ("limit", "1000"), ("window_s", "10"), ("burst", "100")]) }
                { ctx.try_this("Fool the counter", &[("trace", "edge"), ("offered_rate", "400"), ("duration_s", "60"), ("limit", "1000"), ("window_s", "10"), ("burst", "100")]) }
            </p>
            <h3>{"What to notice"}</h3>
            <ul>
                <li>{"Boundary burst: the fixed window admits both bursts, just under twice its limit within one window length; the sliding log admits exactly the limit and turns the rest away; the counter lets only a few dozen of the second burst through."}</li>
                <li>{"Steady overload: all four settle on the allowed rate, so each rejects about 1 − allowed ÷ offered of the traffic (the notes compare that with the measurement). Where they differ is in timing: the fixed window spends each fresh quota in a rush after an edge and then rejects everything until the next one, while the log and the counter admit a steady trickle."}</li>
                <li>{"Bursty, averaging the limit: the window limiters absorb bursts as long as the window's quota lasts; a small token bucket rejects most of each burst even though the average is within the limit. Make the bucket as big as a window's quota and it turns into the most permissive of the four. Then press “Run 100 trials”: on bursty traffic the counter's overshoot is no corner case — over 200 seeds of this preset its busiest window held a median of 1.32× the limit (1.54× at the 95th percentile), the fixed window's 1.71× (2× at the 95th), the log's exactly 1× every time."}</li>
                <li>{"Fool the counter: after a burst at the very end of a quiet window, the counter assumes those requests were spread over the whole window and lets new ones in as if they were expiring. Steady traffic after the burst takes it to about 1.95× the limit; the sliding log stays at exactly 1×."}</li>
            </ul>
            <h3>{"Where the book holds, and where it is silent"}</h3>
            <p>{ format!("The book's token bucket holds exactly as described: across every trace and setting the property tests try, no interval of length t ever saw more than burst + rate × t admitted (here the most in any {w} was {} against that bound of {}). Its sliding window — a count of the last {w} checked against the limit — is the sliding log, and it is exact: {} at most here. What the book leaves out is the limiter most systems actually start with: a fixed-window counter admits up to twice its limit across an edge ({} here), and the cheap two-counter sliding window is only an estimate that the right pattern pushes close to twice as well. And the bucket's size is a real decision, not a detail: at the same sustained rate, a bucket smaller than a window's quota turns away bursts that every window limiter admits. {}",
                nb(int(r.limiters[0].max_in_window)), nb(int(r.limiters[0].worst_case as u64)), nb(int(r.limiters[2].max_in_window)), nb(int(r.limiters[1].max_in_window)),
                bucket_vs_log(&r)) }</p>
            <p>{"When each fits: a token bucket when bursts should be short and the sustained rate is what matters (API gateways, per-connection shaping); a fixed window when one integer per client must do and a 2× overshoot at edges is acceptable (daily quotas); a sliding log when the limit must hold exactly and limits are small (login attempts); a sliding-window counter for large limits at scale, where its usual closeness is worth the rare overshoot."}</p>
        </section>
        </>
    }
}

/// The token bucket's 429 rate against the sliding log's, in a sentence.
fn bucket_vs_log(r: &Report) -> String {
    let (b, l) = (r.limiters[0].reject_rate, r.limiters[2].reject_rate);
    if b > l + 0.01 {
        format!(
            "Here the bucket rejected {} of requests, the sliding log {}.",
            pct(b, 1),
            pct(l, 1)
        )
    } else {
        format!(
            "On this trace the two rejected about as much ({} for the bucket, {} for the log): it has no burst the bucket cannot hold.",
            pct(b, 1),
            pct(l, 1)
        )
    }
}

/// Short legend names (the chart legends sit over the plot; narrow screens need them short).
const SHORT: [&str; 4] = ["bucket", "fixed window", "sliding log", "counter"];

/// Colour index of a limiter in charts and drawings.
fn colour(i: usize) -> usize {
    i.min(3)
}

fn edge_marks(r: &Report) -> Vec<Mark> {
    r.edge_s
        .map(|e| {
            vec![Mark {
                x: e,
                label: format!("edge {}", secs(e)),
            }]
        })
        .unwrap_or_default()
}

fn rate_chart(r: &Report) -> Rc<ChartSpec> {
    let mid = |b: usize| (b as f64 + 0.5) * r.bin_s;
    let per_s = |v: &[u32]| -> Vec<(f64, f64)> {
        v.iter()
            .enumerate()
            .map(|(b, &n)| (mid(b), f64::from(n) / r.bin_s))
            .collect()
    };
    let mut series = vec![Series::new(
        "offered",
        Kind::Dashed,
        5,
        per_s(&r.offered_per_bin),
    )];
    for (i, l) in r.limiters.iter().enumerate() {
        series.push(Series::new(
            SHORT[i.min(3)],
            Kind::Line,
            colour(i),
            per_s(&l.admitted_per_bin),
        ));
    }
    series.push(Series::new(
        "allowed rate",
        Kind::Dashed,
        4,
        vec![(0.0, r.allowed_rate), (r.duration_s, r.allowed_rate)],
    ));
    Rc::new(ChartSpec {
        title: "Admitted per second".into(),
        x_label: "time (s)".into(),
        y_label: "requests per second".into(),
        y_min: Some(0.0),
        series,
        marks: edge_marks(r),
        ..Default::default()
    })
}

fn window_chart(r: &Report) -> Rc<ChartSpec> {
    let mut series: Vec<Series> = r
        .limiters
        .iter()
        .enumerate()
        .map(|(i, l)| {
            Series::new(
                SHORT[i.min(3)],
                Kind::Line,
                colour(i),
                l.window_count_per_bin
                    .iter()
                    .enumerate()
                    .map(|(b, &n)| ((b as f64 + 1.0) * r.bin_s, f64::from(n)))
                    .collect(),
            )
        })
        .collect();
    let limit = f64::from(r.limit);
    series.push(Series::new(
        "limit",
        Kind::Dashed,
        4,
        vec![(0.0, limit), (r.duration_s, limit)],
    ));
    Rc::new(ChartSpec {
        title: format!("Admitted in the trailing {}", secs(r.window_s)),
        x_label: "time (s)".into(),
        y_label: format!("requests in {}", secs(r.window_s)),
        y_min: Some(0.0),
        series,
        marks: edge_marks(r),
        ..Default::default()
    })
}

type LiveProps = crate::chrome::player::LiveProps<Params>;

const SPEEDS: [f64; 5] = [0.05, 0.2, 1.0, 3.0, 10.0];

/// The trace replayed live, request by request, from the same seed.
#[component]
fn LiveReplay(props: &LiveProps) -> Html {
    let LiveProps { params, seed, id } = props;
    fn make((p, seed): &(Params, u64)) -> Replay {
        Replay::new(p, *seed)
    }
    // the limiters' state (tokens refilling, windows sliding) is read at the view's clock, not
    // at the last request's
    let live = use_live_sim_at(
        (params.clone(), *seed),
        make,
        Replay::snapshot_at,
        1.0,
        |r| r.params().duration_s,
    );
    let skip = live.with(Replay::edge_s).map(|e| {
        let target = e - 1.2 * EDGE_SHARE * params.window_s;
        let label = format!("Skip to {} (slow motion)", secs(target));
        let cb = live.seek().reform(move |_: MouseEvent| (target, SPEEDS[0]));
        html! { <button type="button" class="rl-skip" onclick={cb}>{ label }</button> }
    });
    let s: &Snapshot = &live.snap;
    html! {
        <section class="live" aria-label="Live replay">
            <h3>{"The trace, replayed"}</h3>
            { live.player(SPEEDS.to_vec(), format!("t = {:.2} s · {} of {} requests", s.t, nb(int(s.offered)), nb(int(s.total))), id.clone()) }
            if let Some(b) = skip { <p class="rl-tools">{ b }</p> }
            { lanes_svg(s, params) }
        </section>
    }
}

/// Four lanes, one per limiter: its name and state, the state as a gauge, and the latest
/// requests as ■ admitted / · rejected — the same requests in every lane, newest on the right.
fn lanes_svg(s: &Snapshot, p: &Params) -> Html {
    const W: f64 = 320.0;
    const LANE: f64 = 50.0;
    const TOP: f64 = 14.0;
    const PAD: f64 = 6.0;
    let cell = (W - 2.0 * PAD) / STRIP as f64;
    let recent = &s.recent[s.recent.len().saturating_sub(STRIP)..];
    let first = STRIP - recent.len();
    let h = TOP + 4.0 * LANE;
    let limit = u64::from(p.limit);
    let state_text = |i: usize| -> String {
        let g = s.gauges[i];
        match LimiterKind::ALL[i] {
            LimiterKind::TokenBucket => {
                format!("{} of {} tokens", num(g.level), nb(int(g.capacity as u64)))
            }
            LimiterKind::FixedWindow => format!(
                "{} of {} · window {} gone",
                nb(int(g.level as u64)),
                nb(int(limit)),
                pct(s.window_progress, 0)
            ),
            LimiterKind::SlidingLog => format!(
                "{} of {} in last {}",
                nb(int(g.level as u64)),
                nb(int(limit)),
                secs(p.window_s)
            ),
            LimiterKind::SlidingCounter => {
                format!("estimate {} of {}", num(g.level), nb(int(limit)))
            }
        }
    };
    let label = format!(
        "At {:.2} s: {}",
        s.t,
        LimiterKind::ALL
            .iter()
            .enumerate()
            .map(|(i, k)| format!(
                "{} {}, {} admitted so far",
                k.name(),
                state_text(i),
                s.admitted[i]
            ))
            .collect::<Vec<_>>()
            .join("; ")
    );
    html! {
        <svg class="drawing rl-lanes" viewBox={format!("0 0 {W} {h}")} role="img" aria-label={label}>
            <text x={format!("{PAD}")} y="10" font-size="9" fill="var(--muted)">{ format!("last {STRIP} requests: ■ admitted, · rejected") }</text>
            <text x={format!("{}", W - PAD)} y="10" font-size="9" fill="var(--muted)" text-anchor="end">{"newest →"}</text>
            { for LimiterKind::ALL.iter().enumerate().map(|(i, k)| {
                let y = TOP + i as f64 * LANE;
                let g = s.gauges[i];
                let frac = if g.capacity > 0.0 { (g.level / g.capacity).clamp(0.0, 1.0) } else { 0.0 };
                let c = format!("var(--c{})", colour(i));
                let cy = y + 36.0;
                html! { <g>
                    <rect x="0.5" y={format!("{:.1}", y + 0.5)} width={format!("{}", W - 1.0)} height={format!("{:.1}", LANE - 5.0)} rx="5" fill="var(--bg)" stroke="var(--border)" />
                    <text x={format!("{PAD}")} y={format!("{:.1}", y + 14.0)} font-size="11.5" font-weight="600" fill="var(--fg)">{ k.name() }</text>
                    <text x={format!("{}", W - PAD)} y={format!("{:.1}", y + 14.0)} font-size="9.5" fill="var(--muted)" text-anchor="end">{ state_text(i) }</text>
                    <rect x={format!("{PAD}")} y={format!("{:.1}", y + 19.0)} width={format!("{:.1}", W - 2.0 * PAD)} height="5" rx="2" fill="none" stroke="var(--grid)" stroke-width="0.6" />
                    <rect x={format!("{PAD}")} y={format!("{:.1}", y + 19.0)} width={format!("{:.1}", (W - 2.0 * PAD) * frac)} height="5" rx="2" fill={c.clone()} />
                    { for recent.iter().enumerate().map(|(j, q)| {
                        let x = PAD + (first + j) as f64 * cell + cell / 2.0;
                        if (q.admitted >> i) & 1 == 1 {
                            html! { <rect x={format!("{:.1}", x - 3.5)} y={format!("{:.1}", cy - 3.5)} width="7" height="7" rx="1" fill={c.clone()} /> }
                        } else {
                            html! { <circle cx={format!("{:.1}", x)} cy={format!("{:.1}", cy)} r="1.6" fill="var(--muted)" /> }
                        }
                    }) }
                </g> }
            }) }
        </svg>
    }
}
