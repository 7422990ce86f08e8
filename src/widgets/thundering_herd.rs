//! View of `thundering-herd` (book page 22): a fleet of cold caches in front of one database,
//! the load it sends with and without the fixes, each fix alone, and the start-up played live.

use crate::chrome::chart::{Chart, ChartSpec, Kind, Mark, Series};
use crate::chrome::host::{use_from_report, use_report, WidgetCtx};
use crate::chrome::metrics::{int, metric, ms, notes, pct, sig3, Tone};
use crate::chrome::player::use_live_sim;
use sim::models::thundering_herd::{
    Config, Fixes, HerdSim, LastEvent, Outcome, Params, Report, Snapshot,
};
use std::rc::Rc;
use yew::prelude::*;

/// Props of [`View`].
#[derive(Properties, PartialEq)]
pub struct Props {
    /// From the host.
    pub ctx: WidgetCtx,
}

fn chosen_fixes(p: &Params) -> Fixes {
    Fixes {
        stagger: p.stagger,
        jitter: p.jitter,
        coalesce: p.coalesce,
        prime: p.prime,
    }
}

/// The thundering-herd widget.
#[component]
pub fn View(props: &Props) -> Html {
    let ctx = &props.ctx;
    let p: Params = ctx.params();
    let report = use_report::<Report>(ctx);
    let chart = use_from_report(&report, {
        let ttl = p.ttl_s;
        move |r| load_chart(r, ttl)
    });
    let Some(r) = report else {
        return html! { <p class="muted">{"Starting the fleet…"}</p> };
    };
    let b = &r.baseline;
    let c = &r.chosen;
    let cap = r.capacity_qps;
    let fixes = chosen_fixes(&p);
    let ratio = f64::from(b.peak_qps) / cap;
    html! {
        <>
        <p class="callout">
            { format!("{} instances start together with empty caches. With no fix the database is asked for ", p.instances) }
            <strong>{ format!("{} queries in its worst second", int(u64::from(b.peak_qps))) }</strong>
            { format!(", {}× the {} q/s it can serve", sig3(ratio), sig3(cap)) }
            { if fixes == Fixes::NONE { ". Switch fixes on at the left to compare.".to_string() } else { format!("; with {} its worst second is {} queries.", fixes.name(), int(u64::from(c.peak_qps))) } }
        </p>
        <dl class="metrics">
            { metric("baseline_peak", "Peak DB load, no fixes", format!("{} q/s", int(u64::from(b.peak_qps))), Some(format!("at t = {} s; capacity {}", sig3(b.peak_at_s), sig3(cap))), if f64::from(b.peak_qps) > cap { Tone::Bad } else { Tone::Plain }) }
            { metric("chosen_peak", "Peak DB load, your fixes", format!("{} q/s", int(u64::from(c.peak_qps))), Some(format!("{} of the unfixed peak", pct(f64::from(c.peak_qps) / f64::from(b.peak_qps.max(1)), 0))), if f64::from(c.peak_qps) > cap { Tone::Bad } else { Tone::Good }) }
            { metric("chosen_over", "Seconds over capacity, yours", int(u64::from(c.seconds_over)), Some(format!("no fixes: {} s", b.seconds_over)), if c.seconds_over > 0 { Tone::Bad } else { Tone::Good }) }
            { metric("chosen_total", "DB queries in all, yours", int(c.total_queries), Some(format!("no fixes: {}", int(b.total_queries))), Tone::Plain) }
            { metric("chosen_p99", "p99 request latency, yours", ms(Some(c.p99_ms)), Some(format!("no fixes: {}", ms(Some(b.p99_ms)))), if c.p99_ms > 10.0 * (p.db_ms + 1000.0 / cap) { Tone::Bad } else { Tone::Plain }) }
            { metric("burst", "Cold burst, first TTL", int(b.first_ttl_queries), Some(format!("between {} pairs and {} requests", int(b.first_ttl_pairs), int(b.first_ttl_requests))), Tone::Plain) }
        </dl>
        if let Some(spec) = (*chart).clone() {
            <Chart spec={spec} height={280} caption="Database queries per second: no fixes against your fixes, same requests, with the database's capacity" />
        }
        <div class="table-wrap">
            <table class="data th-table" aria-label="Each fix alone and all four together">
                <thead><tr><th>{"fixes"}</th><th title="most database queries in one second">{"peak q/s"}</th><th title="seconds in which the database was asked for more than its capacity">{"s over"}</th><th class="th-opt">{"DB queries"}</th><th class="th-opt">{"hits"}</th><th title="99th percentile of request latency">{"p99"}</th></tr></thead>
                <tbody>
                    { for r.table.iter().map(|o| row(o, o.fixes == fixes, cap)) }
                </tbody>
            </table>
        </div>
        { notes(&r.notes) }
        <LiveHerd params={p.clone()} seed={ctx.seed} id={ctx.id.clone()} />
        <section class="explain">
            <h3>{"What you are looking at"}</h3>
            <p>{"Each instance keeps its own cache in front of one shared database. Requests arrive at random, ask for keys whose popularity follows a Zipf law (a few keys are very hot), and go to any instance that is up. A cache hit costs nothing; a miss asks the database, which serves a fixed number of queries per second and queues the rest, so a miss during an overload waits, and while it waits more requests for the same key miss too. Every run below uses the very same request stream; only the fixes differ."}</p>
            <h3>{"Try this"}</h3>
            <p>
                { ctx.try_this("No fixes at all", &with_base(&[("stagger", "false"), ("jitter", "false"), ("coalesce", "false"), ("prime", "false")])) }
                { ctx.try_this("Stagger too short", &with_base(&[("stagger", "true"), ("stagger_s", "3"), ("jitter", "false"), ("coalesce", "false"), ("prime", "false")])) }
                { ctx.try_this("Priming alone: the herd comes back one TTL later", &with_base(&[("stagger", "false"), ("jitter", "false"), ("coalesce", "false"), ("prime", "true"), ("prime_keys", "100")])) }
                { ctx.try_this("…and jitter spreads it", &with_base(&[("stagger", "false"), ("jitter", "true"), ("jitter_pct", "40"), ("coalesce", "false"), ("prime", "true"), ("prime_keys", "100")])) }
                { ctx.try_this("Few busy instances, slow database: coalescing", &[("instances", "5"), ("rate", "1500"), ("zipf", "1.3"), ("db_ms", "300"), ("db_capacity", "250"), ("stagger", "false"), ("jitter", "false"), ("coalesce", "true"), ("prime", "false")]) }
                { ctx.try_this("All four fixes", &with_base(&[("stagger", "true"), ("stagger_s", "15"), ("jitter", "true"), ("jitter_pct", "25"), ("coalesce", "true"), ("prime", "true"), ("prime_keys", "25")])) }
            </p>
            <h3>{"What to notice"}</h3>
            <ul>
                <li>{"The cold burst is bounded by the theory: at least one query per (instance, key) pair touched before the first TTL ends, at most one per request. The “cold burst” tile shows where the run falls; a slow database pushes it up towards the request count, because every request for a key already in flight misses again."}</li>
                <li>{"Once the database is over capacity its queue grows, answers come back later, and more requests miss while they wait: the overload feeds itself, and the p99 latency column shows it in seconds."}</li>
                <li>{"Staggering only helps if the window is long enough for the cold loads to fit under the capacity: roughly instances × keys each touches ÷ spare capacity. Too short a window (try 3 s) lowers the peak but leaves the database overrun for as long as before, or longer."}</li>
                <li>{"Priming moves the burst rather than removing it when every primed entry expires at the same moment one TTL later; jitter is what breaks that alignment. Primed entries are loaded from outside this database (a snapshot or a warm peer) and are not counted as its queries."}</li>
            </ul>
            <h3>{"Where the book's claim holds and where it needs help"}</h3>
            <p>{"The book names staggered starts and cache priming. Both cut the peak here, measured in the table. But priming alone leaves a second herd at t = TTL unless expiries are jittered, and staggering alone still sends every cold miss to the database, just spread out. Request coalescing, which the book does not list, is the fix that stops a hot key from becoming a stream of identical queries while the database is slow: with five busy instances and a 300 ms database it cuts the peak to under a third. With coalescing on, the cold burst falls to exactly the lower bound, one query per (instance, key) pair. The four together keep the database under its capacity in the default run."}</p>
        </section>
        </>
    }
}

/// The default fleet (instances, traffic, database) under a preset's fixes, so that presets
/// compare like with like whatever was set before.
fn with_base<'a>(fixes: &[(&'a str, &'a str)]) -> Vec<(&'a str, &'a str)> {
    let mut v = vec![
        ("instances", "40"),
        ("rate", "600"),
        ("keys", "100"),
        ("zipf", "1"),
        ("ttl_s", "15"),
        ("db_capacity", "250"),
        ("db_ms", "5"),
    ];
    v.extend_from_slice(fixes);
    v
}

fn row(o: &Outcome, selected: bool, cap: f64) -> Html {
    let over = f64::from(o.peak_qps) > cap;
    html! {
        <tr class={classes!(selected.then_some("th-sel"))}>
            <th scope="row">{ &o.name }if selected { <span class="th-yours">{" ◀ yours"}</span> }</th>
            <td class={classes!(over.then_some("th-over"))}>{ int(u64::from(o.peak_qps)) }</td>
            <td>{ int(u64::from(o.seconds_over)) }</td>
            <td class="th-opt">{ int(o.total_queries) }</td>
            <td class="th-opt">{ pct(o.hit_ratio, 1) }</td>
            <td>{ ms(Some(o.p99_ms)) }</td>
        </tr>
    }
}

fn series_of(o: &Outcome, bin: f64) -> Vec<(f64, f64)> {
    o.qps
        .iter()
        .enumerate()
        .map(|(i, &q)| (i as f64 * bin + bin / 2.0, f64::from(q) / bin))
        .collect()
}

fn load_chart(r: &Report, ttl: f64) -> Rc<ChartSpec> {
    let bin = r.bin_s;
    let end = r.baseline.qps.len() as f64 * bin;
    let mut marks = Vec::new();
    let mut t = ttl;
    while t < end && marks.len() < 4 {
        marks.push(Mark {
            x: t,
            label: if marks.is_empty() {
                "TTL".into()
            } else {
                format!("{}×TTL", marks.len() + 1)
            },
        });
        t += ttl;
    }
    Rc::new(ChartSpec {
        title: "Database load over time".into(),
        x_label: "time (s)".into(),
        y_label: "DB queries per second".into(),
        y_min: Some(0.0),
        series: vec![
            Series::new("no fixes", Kind::Line, 4, series_of(&r.baseline, bin)),
            Series::new(
                format!("your fixes ({})", r.chosen.fixes.name()),
                Kind::Line,
                0,
                series_of(&r.chosen, bin),
            ),
            Series::new(
                "DB capacity",
                Kind::Dashed,
                5,
                vec![(0.0, r.capacity_qps), (end, r.capacity_qps)],
            ),
        ],
        marks,
        ..Default::default()
    })
}

type LiveProps = crate::chrome::player::LiveProps<Params>;

fn new_sim(p: &Params, seed: u64, fixed: bool) -> HerdSim {
    let f = if fixed { chosen_fixes(p) } else { Fixes::NONE };
    HerdSim::new(&Config::new(p, f), seed)
}

/// The start-up played event by event, with or without the reader's fixes.
#[component]
fn LiveHerd(props: &LiveProps) -> Html {
    let LiveProps { params, seed, id } = props;
    let fixed = use_state(|| false);
    let live = use_live_sim(
        (params.clone(), *seed, *fixed),
        |d| new_sim(&d.0, d.1, d.2),
        |s| s.snapshot(),
        1.0,
    );
    let clock = live.clock;
    let pick = |v: bool| {
        let fixed = fixed.clone();
        Callback::from(move |_: MouseEvent| fixed.set(v))
    };
    let s: &Snapshot = &live.snap;
    let fx = chosen_fixes(params);
    let hit = if s.requests > 0 {
        s.hits as f64 / s.requests as f64
    } else {
        0.0
    };
    html! {
        <section class="live" aria-label="Live simulation">
            <h3>{"The start-up, live"}</h3>
            <div class="th-pick" role="group" aria-label="Which fleet to watch">
                <button type="button" aria-pressed={(!*fixed).to_string()} onclick={pick(false)}>{"Watch: no fixes"}</button>
                <button type="button" aria-pressed={fixed.to_string()} onclick={pick(true)}>{ format!("Watch: your fixes ({})", fx.name()) }</button>
            </div>
            { live.player(vec![0.1, 0.5, 1.0, 2.0, 5.0], format!("t = {:.2} s · {} requests · {} DB queries", s.t.max(clock), int(s.requests), int(s.queries)), id.clone()) }
            { fleet_svg(s) }
            <p class="th-last muted" aria-live="off">{ last_text(&s.last) }</p>
            <dl class="metrics">
                { metric("live_db", "DB queries, last second", int(u64::from(s.db_last_second)), Some(format!("capacity {}", sig3(s.capacity))), if f64::from(s.db_last_second) > s.capacity { Tone::Bad } else { Tone::Plain }) }
                { metric("live_wait", "DB queue wait now", ms(Some(s.db_wait * 1000.0)), Some(format!("{} queries in flight", int(u64::from(s.in_flight)))), if s.db_wait > 0.1 { Tone::Bad } else { Tone::Plain }) }
                { metric("live_hits", "Hit ratio so far", pct(hit, 1), Some(format!("{} misses on expired entries", int(s.expired_misses))), Tone::Plain) }
            </dl>
        </section>
    }
}

fn last_text(e: &LastEvent) -> String {
    match *e {
        LastEvent::None => "Press Step to send the first request.".into(),
        LastEvent::Hit { inst, key } => format!(
            "Last event: instance {} answered key #{} from its cache.",
            inst + 1,
            key + 1
        ),
        LastEvent::Miss { inst, key, expired } => format!(
            "Last event: instance {} missed key #{} ({}) and asked the database.",
            inst + 1,
            key + 1,
            if expired { "expired" } else { "never loaded" }
        ),
        LastEvent::Joined { inst, key } => format!(
            "Last event: instance {} missed key #{} and joined the query already in flight.",
            inst + 1,
            key + 1
        ),
        LastEvent::Reply {
            inst,
            key,
            answered,
        } => format!(
            "Last event: the database answered key #{} for instance {}; {} request{} served.",
            key + 1,
            inst + 1,
            answered,
            if answered == 1 { "" } else { "s" }
        ),
    }
}

/// Instances as a grid shaded by cache warmth (recent hit share), the database as a gauge of
/// its last second's queries against its capacity.
fn fleet_svg(s: &Snapshot) -> Html {
    let n = s.started.len().max(1) as u32;
    let cols = (f64::from(n).sqrt() * 1.6).ceil().clamp(1.0, 20.0) as u32;
    let rows = n.div_ceil(cols);
    let cell = 14.0;
    let gw = f64::from(cols) * cell;
    let gh = f64::from(rows) * cell;
    let gx = gw.max(150.0) + 25.0;
    let gauge_h = gh.max(90.0) - 22.0;
    let top = 14.0;
    let full = (s.capacity * 2.0).max(f64::from(s.db_last_second)).max(1.0);
    let frac = (f64::from(s.db_last_second) / full).clamp(0.0, 1.0);
    let cap_y = top + gauge_h * (1.0 - s.capacity / full);
    let over = f64::from(s.db_last_second) > s.capacity || s.db_wait > 0.1;
    let h = gh.max(90.0) + 12.0;
    let w = gx + 135.0;
    html! {
        <svg class="drawing th-fleet" viewBox={format!("0 0 {w:.0} {h:.0}")} role="img"
             aria-label={format!("{} instances; database asked for {} queries in the last second against a capacity of {:.0}", n, s.db_last_second, s.capacity)}>
            { for (0..n).map(|i| {
                let (x, y) = (f64::from(i % cols) * cell, f64::from(i / cols) * cell);
                let up = s.started.get(i as usize).copied().unwrap_or(false);
                let w = s.warmth.get(i as usize).copied().unwrap_or(0.0);
                // cold (orange) fades out as the cache fills; warm (green) fades in
                let (fill, op) = if w < 0.5 { ("var(--c1)", 1.0 - 1.4 * w) } else { ("var(--c2)", 0.3 + 0.7 * w) };
                html! { <rect x={format!("{:.0}", x + 1.0)} y={format!("{:.0}", y + 1.0)} width="12" height="12" rx="2"
                    fill={if up { fill } else { "none" }} fill-opacity={format!("{op:.2}")} stroke={if up { "var(--border)" } else { "var(--muted)" }} stroke-width="0.8"
                    stroke-dasharray={if up { "none" } else { "2 2" }}>
                    <title>{ format!("instance {}{}: a request for a hot key hits {} of the time", i + 1, if up { "" } else { " (not up yet)" }, pct(w, 0)) }</title>
                </rect> }
            }) }
            <text x={format!("{:.0}", gx)} y="10" font-size="11" fill="var(--muted)">{"database"}</text>
            <rect x={format!("{:.0}", gx)} y={format!("{top:.0}")} width="26" height={format!("{gauge_h:.0}")} rx="3" fill="var(--bg)" stroke="var(--border)" />
            <rect x={format!("{:.0}", gx)} y={format!("{:.1}", top + gauge_h * (1.0 - frac))} width="26" height={format!("{:.1}", gauge_h * frac)} rx="3"
                fill={if over { "var(--c4)" } else { "var(--c0)" }} />
            <line x1={format!("{:.0}", gx - 4.0)} x2={format!("{:.0}", gx + 30.0)} y1={format!("{cap_y:.1}")} y2={format!("{cap_y:.1}")} stroke="var(--fg)" stroke-dasharray="3 2" />
            <text x={format!("{:.0}", gx + 34.0)} y={format!("{:.1}", cap_y + 4.0)} font-size="11" fill="var(--fg)">{ format!("capacity {}", sig3(s.capacity)) }</text>
            <text x={format!("{:.0}", gx + 34.0)} y={format!("{:.1}", top + 9.0)} font-size="11" fill={if over { "var(--c4)" } else { "var(--muted)" }}>{ format!("{} q/s", int(u64::from(s.db_last_second))) }</text>
            <text x={format!("{:.0}", gx + 34.0)} y={format!("{:.1}", top + 23.0)} font-size="11" fill={if s.db_wait > 0.1 { "var(--c4)" } else { "var(--muted)" }}>{ format!("queue {}", ms(Some(s.db_wait * 1000.0))) }</text>
            <g font-size="10" fill="var(--muted)">
                <rect x="1" y={format!("{:.0}", gh + 1.0)} width="9" height="9" rx="2" fill="var(--c1)" fill-opacity="0.9" />
                <text x="14" y={format!("{:.0}", gh + 9.0)}>{"cold"}</text>
                <rect x="40" y={format!("{:.0}", gh + 1.0)} width="9" height="9" rx="2" fill="var(--c2)" />
                <text x="54" y={format!("{:.0}", gh + 9.0)}>{"warm"}</text>
                <rect x="86" y={format!("{:.0}", gh + 1.0)} width="9" height="9" rx="2" fill="none" stroke="var(--muted)" stroke-dasharray="2 2" />
                <text x="98" y={format!("{:.0}", gh + 9.0)}>{"not up yet"}</text>
            </g>
        </svg>
    }
}
