//! View of `conflict-resolution` (book page 27): one seeded history of a shared cart and a like
//! counter, resolved three ways — last-write-wins, vector clocks with siblings, CRDTs — measured
//! against the single-copy truth, and played live on a space-time diagram with faults to click.

use crate::chrome::chart::{Chart, ChartSpec, Kind, Mark, Series};
use crate::chrome::dom;
use crate::chrome::host::{use_from_report, use_report, WidgetCtx};
use crate::chrome::metrics::{int, metric, notes, sig3, Tone};
use crate::chrome::player::use_live_sim;
use sim::models::conflict_resolution::{
    CrSim, Fault, MsgMark, OpKind, Params, ReplicaView, Report, Sibling, Snapshot, ITEMS,
};
use std::rc::Rc;
use yew::prelude::*;

/// Props of [`View`].
#[derive(Properties, PartialEq)]
pub struct Props {
    /// From the host.
    pub ctx: WidgetCtx,
}

fn cart_text(items: &[u8]) -> String {
    if items.is_empty() {
        return "(empty)".into();
    }
    items
        .iter()
        .map(|&i| ITEMS.get(i as usize).copied().unwrap_or("?"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn signed_ms(x: f64) -> String {
    if x > 0.0 {
        format!("+{} ms", sig3(x))
    } else if x < 0.0 {
        format!("−{} ms", sig3(-x))
    } else {
        "0 ms".into()
    }
}

/// The conflict-resolution widget.
#[component]
pub fn View(props: &Props) -> Html {
    let ctx = &props.ctx;
    let p: Params = ctx.params();
    let report = use_report::<Report>(ctx);
    let charts = use_from_report(&report, {
        let skew = p.skew_ms;
        move |r| (likes_chart(r), skew_chart(r, skew))
    });
    let Some(r) = report else {
        return html! { <p class="muted">{"Replaying the history…"}</p> };
    };
    let Some((likes, skew)) = (*charts).clone() else {
        return html! {};
    };
    let (Some(l), Some(v), Some(c)) = (r.strategy("lww"), r.strategy("vclock"), r.strategy("crdt"))
    else {
        return html! {};
    };
    let converged = r.strategies.iter().filter(|s| s.converged).count();
    html! {
        <>
        <p class="callout">
            { format!("One history, three ways to reconcile it: {} client operations on {} replicas ({} on the like counter, the rest on a shared cart). The truth — every operation applied once, in real-time order, to a single copy — ends with ", int(u64::from(r.ops)), p.replicas, int(u64::from(r.like_ops))) }
            <strong data-metric="truth_likes">{ r.truth_likes }</strong>{" likes and the cart "}
            <strong>{ format!("{{{}}}", cart_text(&r.truth_cart)) }</strong>{"."}
        </p>
        <dl class="metrics">
            { metric("lww_lost", "LWW: like ops lost", int(u64::from(l.likes_lost)), Some(format!("of {}; final count {}", r.like_ops, l.likes.first().copied().unwrap_or(0))), if l.likes_lost > 0 { Tone::Bad } else { Tone::Good }) }
            { metric("lww_inverted", "LWW: older write won", int(u64::from(r.inverted_overwrites)), Some(format!("clock skew; {} lost to concurrent writes", r.concurrent_overwrites)), if r.inverted_overwrites > 0 { Tone::Bad } else { Tone::Plain }) }
            { metric("conflicts", "Vector clocks: conflicts", int(u64::from(r.conflicts)), Some(format!("up to {} siblings; {} left at the end", r.max_siblings, v.siblings_left)), Tone::Plain) }
            { metric("vclock_lost", "Vector clocks: like ops lost", int(u64::from(v.likes_lost)), Some("app keeps the largest sibling".into()), if v.likes_lost > 0 { Tone::Bad } else { Tone::Good }) }
            { metric("crdt_lost", "CRDT: like ops lost", int(u64::from(c.likes_lost)), Some(format!("PN-Counter reads {} everywhere", c.likes.first().copied().unwrap_or(0))), if c.likes_lost == 0 { Tone::Good } else { Tone::Bad }) }
            { metric("converged", "Replicas converged", format!("{converged} of 3"), Some(match c.converge_ms { Some(ms) => format!("CRDT: {} ms after the last write", sig3(ms)), None => "CRDT did not converge".into() }), if converged == 3 { Tone::Good } else { Tone::Bad }) }
        </dl>
        <div class="table-wrap">
            <table class="data cr-table" aria-label="Final state of each strategy against the truth">
                <thead><tr>
                    <th>{"strategy"}</th><th>{"likes (per replica)"}</th><th>{"ops lost"}</th><th>{"cart at A"}</th><th>{"missing / extra"}</th><th>{"converged"}</th><th>{"metadata"}</th>
                </tr></thead>
                <tbody>
                    <tr class="cr-truth"><th scope="row">{"truth (one copy)"}</th><td>{ r.truth_likes }</td><td>{"—"}</td><td>{ cart_text(&r.truth_cart) }</td><td>{"—"}</td><td>{"—"}</td><td>{"—"}</td></tr>
                    { for r.strategies.iter().map(|s| html! {
                        <tr class={classes!((p.strategy == s.key).then_some("cr-sel"))}>
                            <th scope="row">{ &s.name }</th>
                            <td>{ s.likes.iter().map(|x| x.to_string()).collect::<Vec<_>>().join(" · ") }</td>
                            <td data-metric={format!("lost_{}", s.key)}>{ s.likes_lost }</td>
                            <td>{ s.cart.first().map(|c| cart_text(c)).unwrap_or_default() }</td>
                            <td data-metric={format!("cart_{}", s.key)}>{ format!("{} / {}", s.cart_missing, s.cart_extra) }</td>
                            <td>{ match (s.converged, s.converge_ms) { (true, Some(ms)) => format!("yes, +{} ms", sig3(ms)), (true, None) => "yes".into(), _ => "no".into() } }</td>
                            <td>{ match s.key.as_str() { "lww" => format!("{} timestamps", s.metadata), "vclock" => format!("{} clock entries", s.metadata), _ => format!("{} entries, tags, tombstones", s.metadata) } }</td>
                        </tr>
                    }) }
                </tbody>
            </table>
        </div>
        <LiveHistory params={p.clone()} seed={ctx.seed} id={ctx.id.clone()} />
        <div class="grid2">
            <Chart spec={likes} height={280} caption="the like count at replica A under each strategy, against the true count" />
            <Chart spec={skew} height={280} caption="like operations LWW loses, and writes an older write beats, as replica A's clock skew changes" />
        </div>
        { notes(&r.notes) }
        <section class="explain">
            <h3>{"What you are looking at"}</h3>
            <p>{"Each replica accepts writes from its own clients without asking the others (the available side of CAP), and every second or so pushes its whole state to a peer. The same operations are reconciled three ways at once. Last-write-wins keeps whichever version has the highest timestamp from the writer's own clock. Vector clocks tell “this version saw that one” from “neither saw the other”; concurrent versions are both kept as siblings until a client writes over them. CRDTs are data types whose merge cannot lose anything: a PN-Counter keeps one increment and one decrement total per replica; an OR-Set tags every add uniquely, and a remove deletes only the tags it has seen."}</p>
            <p>{"Every like carries, for measurement only, the list of operations it includes, so “lost” means an operation whose +1 or −1 is missing from the final count, not just a wrong total (a wrong total can be right by accident). Every LWW write also carries a hidden vector clock, so an overwrite is classed as concurrent or as an older write beating a newer one because a clock ran ahead."}</p>
            <h3>{"Try this"}</h3>
            <p>
                { ctx.try_this("Defaults", &[("strategy", "all"), ("replicas", "3"), ("rate", "1"), ("skew_ms", "1500"), ("partition", "both"), ("part_from_s", "3"), ("part_len_s", "4"), ("drop_pct", "0"), ("crash_at_s", "0"), ("like_share", "50"), ("sync_ms", "1000"), ("latency_ms", "80"), ("duration_s", "12")]) }
                { ctx.try_this("Synchronised clocks", &[("skew_ms", "0")]) }
                { ctx.try_this("A's clock 3 s behind", &[("skew_ms", "-3000"), ("strategy", "lww")]) }
                { ctx.try_this("Long split brain", &[("partition", "both"), ("part_from_s", "1"), ("part_len_s", "10"), ("strategy", "vclock")]) }
                { ctx.try_this("One-way partition", &[("partition", "deaf"), ("part_from_s", "2"), ("part_len_s", "8")]) }
                { ctx.try_this("Fast sync, rare writes", &[("sync_ms", "100"), ("rate", "0.2"), ("partition", "none"), ("skew_ms", "0")]) }
                { ctx.try_this("Busy cart only", &[("like_share", "0"), ("rate", "4"), ("strategy", "crdt")]) }
                { ctx.try_this("Lossy network + crash", &[("drop_pct", "40"), ("crash_at_s", "4"), ("crash_len_s", "3")]) }
            </p>
            <h3>{"What to notice"}</h3>
            <ul>
                <li>{"LWW loses likes even with perfect clocks: two replicas that each add 1 to the same count both write “count + 1”, and one of those writes is thrown away. Set the skew to 0 and the “older write won” count drops to 0, but the concurrent losses stay."}</li>
                <li>{"Skew turns LWW from arbitrary into wrong: once A's clock runs ahead by more than the sync interval, a write that had already seen A's write still loses to it. The right-hand chart shows both losses against skew, on the same histories."}</li>
                <li>{"Vector clocks detect every conflict — watch the highlighted arrows and the siblings on the replica cards — but detection is not resolution: an application that keeps the largest sibling loses as many likes as LWW, and one that unions cart siblings brings removed items back, as Dynamo's cart did."}</li>
                <li>{"CRDTs lose nothing and converge whatever the order, duplication or loss of messages, as long as every state eventually gets through. The price is metadata (the OR-Set's tags and tombstones only grow) and semantics: a remove concurrent with an add loses — add wins — so the CRDT cart can hold an item the single-copy truth removed."}</li>
            </ul>
            <h3>{"Where the book's claims hold, and where they fail"}</h3>
            <ul>{ for claims(&r, &p).into_iter().map(|l| html! { <li>{ l }</li> }) }</ul>
        </section>
        </>
    }
}

/// The page's claims, judged against this run.
fn claims(r: &Report, p: &Params) -> Vec<String> {
    let (Some(l), Some(v), Some(c)) = (r.strategy("lww"), r.strategy("vclock"), r.strategy("crdt"))
    else {
        return Vec::new();
    };
    let mut out = vec![format!(
        "LWW, “lost updates, clock dependent”: holds. {} of {} like operations lost here; {} writes were beaten by a causally older write with A's clock at {}, and the sweep measures {} such inversions at zero skew.",
        l.likes_lost,
        r.like_ops,
        r.inverted_overwrites,
        signed_ms(p.skew_ms),
        r.sweep.iter().find(|s| s.skew_ms == 0.0).map(|s| sig3(s.lww_inverted)).unwrap_or_else(|| "—".into()),
    )];
    out.push(format!(
        "Vector clocks, “detects all conflicts”: holds — {} merges found concurrent versions (at most {} siblings). “Requires resolution logic” is the catch: with a simple resolver {} like operations were still lost and the cart ended with {} extra item(s).",
        r.conflicts, r.max_siblings, v.likes_lost, v.cart_extra
    ));
    let wrong = c.cart_missing + c.cart_extra;
    out.push(format!(
        "CRDTs, “automatic merge”: {} — {} like operations lost, replica A reads {} (the truth is {}). “Limited operations” is the price: {} and the OR-Set's tags and tombstones only grow ({} metadata entries here, against LWW's {}).",
        if c.likes_lost == 0 && c.converged { "holds" } else { "fails here (messages never got through)" },
        c.likes_lost,
        c.likes.first().copied().unwrap_or(0),
        r.truth_likes,
        if wrong > 0 {
            format!("{wrong} cart item(s) differ from the single-copy truth because an add concurrent with a remove wins,")
        } else {
            "the cart matches the truth in this run, but an add concurrent with a remove always wins (try the busy cart),".to_string()
        },
        c.metadata,
        l.metadata
    ));
    out.push("The split-brain vignette's lesson, that some conflicts need a human, is what the sibling list is for: vector clocks keep both sides of a conflict so someone can choose; LWW chooses silently by clock.".into());
    out
}

fn likes_chart(r: &Report) -> Rc<ChartSpec> {
    let pts = |f: &dyn Fn(&sim::models::conflict_resolution::SeriesPoint) -> i64| {
        r.series
            .iter()
            .map(|s| (s.t, f(s) as f64))
            .collect::<Vec<_>>()
    };
    Rc::new(ChartSpec {
        title: "Likes at replica A".into(),
        x_label: "time (s)".into(),
        y_label: "like count".into(),
        series: vec![
            Series::new("truth", Kind::Dashed, 5, pts(&|s| s.truth)),
            Series::new("last write wins", Kind::Line, 1, pts(&|s| s.at_a[0])),
            Series::new("vector clocks", Kind::Line, 3, pts(&|s| s.at_a[1])),
            Series::new("PN-Counter", Kind::Line, 2, pts(&|s| s.at_a[2])),
        ],
        marks: vec![Mark {
            x: r.last_op_s,
            label: "clients stop".into(),
        }],
        ..Default::default()
    })
}

fn skew_chart(r: &Report, skew: f64) -> Rc<ChartSpec> {
    let lost: Vec<(f64, f64)> = r.sweep.iter().map(|s| (s.skew_ms, s.lww_lost)).collect();
    let inv: Vec<(f64, f64)> = r
        .sweep
        .iter()
        .map(|s| (s.skew_ms, s.lww_inverted))
        .collect();
    let crdt: Vec<(f64, f64)> = r.sweep.iter().map(|s| (s.skew_ms, 0.0)).collect();
    Rc::new(ChartSpec {
        title: "LWW losses vs clock skew".into(),
        x_label: "A's clock offset (ms)".into(),
        y_label: "operations (mean of 2 runs)".into(),
        y_min: Some(0.0),
        series: vec![
            Series::new("LWW likes lost", Kind::Line, 1, lost),
            Series::new("older write won", Kind::Line, 4, inv),
            Series::new("CRDT likes lost", Kind::Dashed, 2, crdt),
        ],
        marks: vec![Mark {
            x: skew,
            label: "now".into(),
        }],
        ..Default::default()
    })
}

type LiveProps = crate::chrome::player::LiveProps<Params>;

/// Crash or restart replica `r` now.
fn toggle_crash(s: &mut CrSim, t: f64, r: u32) {
    if s.is_up(r) {
        s.crash(r, t);
    } else {
        s.restart(r, t);
    }
}

/// Cut replica `r` off (both ways) or reconnect it now.
fn toggle_cut(s: &mut CrSim, t: f64, r: u32) {
    let cut = !s.is_isolated(r);
    s.isolate(r, cut, t);
}

/// The history played live: space-time diagram, replica cards, fault buttons.
#[component]
fn LiveHistory(props: &LiveProps) -> Html {
    let LiveProps { params, seed, id } = props;
    let live = use_live_sim(
        (params.clone(), *seed),
        |d| CrSim::from_params(&d.0, d.1),
        |s| s.snapshot(),
        1.0,
    );
    let crash = live.poke(toggle_crash);
    let cut = live.poke(toggle_cut);
    let clock = live.clock;
    let s: &Snapshot = &live.snap;
    let now = s.t.max(clock).min(s.end);
    let show = params.strategy.as_str();
    html! {
        <section class="live" aria-label="Live history">
            <h3>{"Live: the history, replica by replica"}</h3>
            { live.player(vec![0.5, 1.0, 2.0, 5.0], format!("t = {:.2} s · truth: {} likes", now, s.truth_likes), id.clone()) }
            <div class={crate::chrome::dom::scroll_box(720.0, 9.0)}>{ spacetime(s, now, show) }</div>
            <p class="muted cr-key">
                {"Dots: client writes (green +1, red −1, blue add, orange remove; grey: refused by a crashed replica). "}
                if show == "all" || show == "lww" { {"A ringed dot: a write LWW has overwritten. "} }
                {"Arrows: anti-entropy pushes; "}
                if show == "all" || show == "vclock" { {"purple: the merge found concurrent versions; "} }
                {"✕: lost. Shaded bands: a replica down (red) or partitioned (orange). The buttons crash or cut off a replica at the current moment."}
            </p>
            <div class="cr-cards">
                { for s.replicas.iter().enumerate().map(|(i, rep)| card(i as u32, rep, show, &crash, &cut)) }
            </div>
        </section>
    }
}

fn lane_y(i: usize) -> f64 {
    34.0 + 56.0 * i as f64
}

fn spacetime(s: &Snapshot, now: f64, show: &str) -> Html {
    let n = s.replicas.len();
    let (w, left, right) = (720.0, 64.0, 12.0);
    let h = lane_y(n - 1) + 34.0;
    let span = s.end.max(1e-9);
    let x = |t: f64| left + (w - left - right) * (t / span).clamp(0.0, 1.0);
    let reduced = dom::reduced_motion();
    let lww = show == "all" || show == "lww";
    let vc = show == "all" || show == "vclock";
    let step = if span > 30.0 {
        10.0
    } else if span > 12.0 {
        4.0
    } else {
        2.0
    };
    let ticks: Vec<f64> = (0..=((span / step) as u32))
        .map(|k| f64::from(k) * step)
        .collect();
    let lost: std::collections::BTreeSet<u32> = s.lww_lost.iter().copied().collect();
    let msg = |m: &MsgMark| -> Html {
        if m.sent > now {
            return html! {};
        }
        let (x1, y1) = (x(m.sent), lane_y(m.from as usize));
        let (x2, y2) = (x(m.arrive), lane_y(m.to as usize));
        let conflict = vc && m.conflict;
        let class = if m.lost {
            "cr-msg cr-lost"
        } else if conflict {
            "cr-msg cr-conflict"
        } else {
            "cr-msg"
        };
        if m.arrive <= now {
            if m.lost {
                let (mx, my) = ((x1 + x2) / 2.0, (y1 + y2) / 2.0);
                return html! { <g class={class}>
                    <line x1={format!("{x1:.1}")} y1={format!("{y1:.1}")} x2={format!("{mx:.1}")} y2={format!("{my:.1}")} />
                    <text x={format!("{mx:.1}")} y={format!("{:.1}", my + 4.0)} text-anchor="middle" font-size="11">{"✕"}</text>
                </g> };
            }
            html! { <line class={class} x1={format!("{x1:.1}")} y1={format!("{y1:.1}")} x2={format!("{x2:.1}")} y2={format!("{y2:.1}")} marker-end="url(#cr-arrow)" /> }
        } else {
            // in flight: tween the head, or park it half way under reduced motion
            let f = crate::chrome::player::flight_progress(now, m.sent, m.arrive, reduced);
            let (hx, hy) = (x1 + (x2 - x1) * f, y1 + (y2 - y1) * f);
            html! { <g class="cr-msg cr-flight">
                <line x1={format!("{x1:.1}")} y1={format!("{y1:.1}")} x2={format!("{hx:.1}")} y2={format!("{hy:.1}")} />
                <circle cx={format!("{hx:.1}")} cy={format!("{hy:.1}")} r="3" />
            </g> }
        }
    };
    html! {
        <svg class="drawing cr-spacetime" viewBox={format!("0 0 {w} {h:.0}")} role="img"
             aria-label={format!("Space-time diagram: {} replicas, {} writes and {} sync messages so far", n, s.ops.iter().filter(|o| o.t <= now).count(), s.msgs.iter().filter(|m| m.sent <= now).count())}>
            <defs>
                <marker id="cr-arrow" viewBox="0 0 8 8" refX="7" refY="4" markerUnits="userSpaceOnUse" markerWidth="7" markerHeight="7" orient="auto-start-reverse">
                    <path d="M0,0 L8,4 L0,8 z" fill="var(--muted)" />
                </marker>
            </defs>
            <rect x={format!("{:.1}", x(s.stop))} y="8" width={format!("{:.1}", x(s.end) - x(s.stop))} height={format!("{:.0}", h - 22.0)} fill="var(--bg)" />
            <text x={format!("{:.1}", x(s.stop) + 4.0)} y="18" font-size="10" fill="var(--muted)">{"clients stop, network heals"}</text>
            { for ticks.iter().map(|&t| html! {
                <text x={format!("{:.1}", x(t))} y={format!("{:.0}", h - 2.0)} text-anchor="middle" font-size="10" fill="var(--muted)">{ format!("{t:.0} s") }</text>
            }) }
            { for s.replicas.iter().enumerate().map(|(i, r)| {
                let y = lane_y(i);
                let status = if !r.up { " down" } else if !r.hears && !r.heard { " cut off" } else if !r.hears { " deaf" } else if !r.heard { " mute" } else { "" };
                html! { <g>
                    <line x1={format!("{left:.1}")} y1={format!("{y:.1}")} x2={format!("{:.1}", w - right)} y2={format!("{y:.1}")} stroke="var(--border)" stroke-width="2" />
                    <text x="4" y={format!("{:.1}", y + 4.0)} font-size="13" font-weight="600" fill="var(--fg)">{ r.name.clone() }</text>
                    <text x="18" y={format!("{:.1}", y + 4.0)} font-size="9" fill="var(--muted)">{ if r.skew_ms != 0.0 { signed_ms(r.skew_ms) } else { String::new() } }</text>
                    if !status.is_empty() {
                        <text x="4" y={format!("{:.1}", y + 17.0)} font-size="10" fill="var(--c4)">{ status.trim() }</text>
                    }
                </g> }
            }) }
            { for s.outages.iter().map(|o| {
                let (x1, x2) = (x(o.from), x(o.to.unwrap_or(now).min(now)));
                let y = lane_y(o.replica as usize);
                let (fill, what) = match o.fault { Fault::Down => ("var(--c4)", "down"), Fault::CutOff => ("var(--c1)", "cut off"), Fault::Deaf => ("var(--c1)", "hears nothing"), Fault::Mute => ("var(--c1)", "unheard") };
                html! { <rect x={format!("{x1:.1}")} y={format!("{:.1}", y - 11.0)} width={format!("{:.1}", (x2 - x1).max(0.0))} height="22" rx="3" fill={fill} fill-opacity="0.16">
                    <title>{ format!("{} {} from {:.1} s{}", s.replicas.get(o.replica as usize).map(|r| r.name.as_str()).unwrap_or("?"), what, o.from, o.to.map(|t| format!(" to {t:.1} s")).unwrap_or_default()) }</title>
                </rect> }
            }) }
            { for s.msgs.iter().map(msg) }
            { for s.ops.iter().filter(|o| o.t <= now).map(|o| {
                let (cx, cy) = (x(o.t), lane_y(o.replica as usize));
                let fill = if o.rejected { "var(--muted)" } else { match o.kind { OpKind::Like => "var(--c2)", OpKind::Unlike => "var(--c4)", OpKind::Add(_) => "var(--c0)", OpKind::Remove(_) => "var(--c1)" } };
                let what = match o.kind { OpKind::Like => "+1 like".to_string(), OpKind::Unlike => "−1 like".to_string(), OpKind::Add(i) => format!("add {}", ITEMS[i as usize % ITEMS.len()]), OpKind::Remove(i) => format!("remove {}", ITEMS[i as usize % ITEMS.len()]) };
                let ring = lww && lost.contains(&o.id);
                html! { <g>
                    <circle cx={format!("{cx:.1}")} cy={format!("{cy:.1}")} r="4.5" fill={fill}>
                        <title>{ format!("{} at {}, t = {:.2} s{}", what, s.replicas[o.replica as usize % n].name, o.t, if o.rejected { " (refused)" } else if ring { " (overwritten under LWW)" } else { "" }) }</title>
                    </circle>
                    if ring {
                        <circle cx={format!("{cx:.1}")} cy={format!("{cy:.1}")} r="8" fill="none" stroke="var(--c4)" stroke-width="1.5" />
                    }
                </g> }
            }) }
            <line x1={format!("{:.1}", x(now))} y1="8" x2={format!("{:.1}", x(now))} y2={format!("{:.0}", h - 14.0)} stroke="var(--fg)" stroke-width="1" stroke-dasharray="2 2" />
        </svg>
    }
}

fn siblings(v: &[Sibling], cart: bool) -> Html {
    let conflict = v.len() > 1;
    html! {
        <span class={classes!("cr-sibs", conflict.then_some("cr-conflict-text"))}>
            if v.is_empty() { {"—"} }
            { for v.iter().enumerate().map(|(k, s)| html! {
                <>
                    if k > 0 { <span class="cr-sep">{" | "}</span> }
                    { if cart { format!("{{{}}}", cart_text(&s.cart)) } else { s.likes.to_string() } }
                    <span class="cr-clock">{ format!(" {}", s.clock) }</span>
                </>
            }) }
        </span>
    }
}

fn card(i: u32, r: &ReplicaView, show: &str, crash: &Callback<u32>, cut: &Callback<u32>) -> Html {
    let cut_off = !r.hears && !r.heard;
    let on_crash = crash.reform(move |_: MouseEvent| i);
    let on_cut = cut.reform(move |_: MouseEvent| i);
    let row = |key: &str| show == "all" || show == key;
    html! {
        <div class={classes!("cr-card", (!r.up).then_some("cr-down"))} data-replica={r.name.clone()}>
            <div class="cr-head">
                <strong>{ format!("Replica {}", r.name) }</strong>
                <span class="muted">{ if r.skew_ms != 0.0 { format!(" clock {}", signed_ms(r.skew_ms)) } else { String::new() } }</span>
                <span class="cr-state">{ if !r.up { "down" } else if cut_off { "cut off" } else if !r.hears { "hears nothing" } else if !r.heard { "unheard" } else { "up" } }</span>
            </div>
            <div class="cr-buttons">
                <button type="button" onclick={on_crash} aria-label={format!("{} replica {}", if r.up { "Crash" } else { "Restart" }, r.name)}>{ if r.up { "Crash" } else { "Restart" } }</button>
                <button type="button" onclick={on_cut} aria-label={format!("{} replica {}", if cut_off { "Reconnect" } else { "Cut off" }, r.name)}>{ if cut_off { "Reconnect" } else { "Cut off" } }</button>
            </div>
            <dl class="cr-rows">
                if row("lww") {
                    <dt>{"LWW"}</dt>
                    <dd>{ format!("♥ {} · {}", r.lww_likes, cart_text(&r.lww_cart)) }</dd>
                }
                if row("vclock") {
                    <dt>{"Vector clocks"}</dt>
                    <dd>{"♥ "}{ siblings(&r.mv_likes, false) }<br/>{ siblings(&r.mv_cart, true) }</dd>
                }
                if row("crdt") {
                    <dt>{"CRDT"}</dt>
                    <dd>{ format!("♥ {} · {}", r.pn_likes, cart_text(&r.or_cart)) }<span class="cr-clock">{ format!(" ({} tags)", r.or_metadata) }</span></dd>
                }
            </dl>
        </div>
    }
}
