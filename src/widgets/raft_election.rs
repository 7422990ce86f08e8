//! View of `raft-election` (book page 27): a Raft cluster playing live — click a server to crash
//! or restart it, make it time out, cut it off — with its terms on a timeline, the batch of
//! elections after a leader crash as a CDF, and the book snippet's rules beside Raft's.

use crate::chrome::chart::{Chart, ChartSpec, Kind, Mark, Series};
use crate::chrome::dom;
use crate::chrome::host::{use_from_report, use_report, WidgetCtx};
use crate::chrome::metrics::{int, metric, ms, notes, pct, Tone};
use crate::chrome::player::use_live_sim;
use sim::models::raft_election::{
    Cluster, MsgKind, Params, Report, Role, Snapshot, TermRecord, TRIAL_CAP_MS,
};
use std::rc::Rc;
use yew::prelude::*;

/// Props of [`View`].
#[derive(Properties, PartialEq)]
pub struct Props {
    /// From the host.
    pub ctx: WidgetCtx,
}

fn ms_cap(x: f64) -> String {
    if x >= TRIAL_CAP_MS {
        "> 10 s".into()
    } else {
        ms(Some(x))
    }
}

/// The raft-election widget.
#[component]
pub fn View(props: &Props) -> Html {
    let ctx = &props.ctx;
    let p: Params = ctx.params();
    let report = use_report::<Report>(ctx);
    let chart = use_from_report(&report, {
        let range = format!("{}–{} ms", p.timeout_min, p.timeout_max);
        move |r| cdf_chart(r, &range)
    });
    let Some(r) = report else {
        return html! { <p class="muted">{"Computing…"}</p> };
    };
    let b = &r.batch;
    let s = &r.scenario;
    let split_share = f64::from(b.split_trials) / f64::from(b.trials.max(1));
    let unsafe_total = s.safety_violations + b.unsafe_trials;
    html! {
        <>
        <LiveCluster params={p.clone()} seed={ctx.seed} id={ctx.id.clone()} />
        <h3>{ format!("{} elections after a leader crash", int(u64::from(b.trials))) }</h3>
        <dl class="metrics">
            { metric("election_p50", "Crash → new leader, median", ms_cap(b.p50_ms), Some(format!("timeouts {}–{} ms", p.timeout_min, p.timeout_max)), Tone::Plain) }
            { metric("election_p99", "99th percentile", ms_cap(b.p99_ms), Some(format!("longest {}", ms_cap(b.max_ms))), if b.p99_ms > 1000.0 { Tone::Bad } else { Tone::Plain }) }
            { metric("split_votes", "Elections needing more than one term", pct(split_share, 1), Some(format!("{} of {}; mean terms {:.2}", b.split_trials, b.trials, b.mean_rounds)), if split_share > 0.2 { Tone::Bad } else { Tone::Plain }) }
            { metric("no_leader", "No leader within 10 s", int(u64::from(b.trials - b.elected)), None, if b.elected < b.trials { Tone::Bad } else { Tone::Good }) }
            { metric("stale_leaders", "New leaders missing a committed entry", int(u64::from(b.stale_leader_trials + s.stale_leaders)), Some(if p.batch_logs == "lagging" { "laggards stood".into() } else { "set batch logs to “lagging” to test".into() }), if b.stale_leader_trials + s.stale_leaders > 0 { Tone::Bad } else { Tone::Good }) }
            { metric("safety", "Terms with two leaders", int(u64::from(unsafe_total)), Some("election safety: at most one per term".into()), if unsafe_total > 0 { Tone::Bad } else { Tone::Good }) }
        </dl>
        if let Some(spec) = (*chart).clone() {
            <Chart spec={spec} height={260} caption="Share of elections finished by each time after the leader's crash (log scale)" />
        }
        <p class="muted">
            { match b.reference { Some((m, q)) => format!("Same network with 150–300 ms timeouts: median {}, p99 {}.", ms_cap(m), ms_cap(q)), None => String::new() } }
            { format!(" Scripted run ({} s): first leader at {}; ", p.run_ms / 1000.0, ms(s.first_leader_ms)) }
            <span data-metric="recovery">{ match (s.crash, s.recovery_ms) {
                (Some((n, t)), Some(x)) => format!("server {} crashed at {} and a new leader took {}", n + 1, ms(Some(t)), ms(Some(x))),
                (Some((n, t)), None) => format!("server {} crashed at {} and no leader followed", n + 1, ms(Some(t))),
                _ => "no scripted crash".into(),
            } }</span>
            { format!("; {} terms, {} without a leader; {} entries committed", s.terms, s.leaderless_terms, s.committed) }
            <span data-metric="overwritten">{ format!(", {} overwritten after commit.", s.counters.overwritten) }</span>
        </p>
        { notes(&r.notes) }
        <section class="explain">
            <h3>{"What you are looking at"}</h3>
            <p>{"Each server is a follower, a candidate or the leader of a numbered term. A follower that hears nothing from a leader for its election timeout — drawn at random each time — starts a new term, votes for itself and asks the others. A server votes once per term, and only for a candidate whose log is at least as up to date as its own; a majority makes a leader, whose heartbeats keep everyone else from standing. The ring around a server is its timer running down. Click a server (or focus it and press Enter) to crash or restart it; the buttons under the drawing make one time out now or cut it off from everyone."}</p>
            <h3>{"Try this"}</h3>
            <p>
                { ctx.try_this("No randomness: 150–150", &[("timeout_min", "150"), ("timeout_max", "150")]) }
                { ctx.try_this("150–151", &[("timeout_min", "150"), ("timeout_max", "151")]) }
                { ctx.try_this("150–155", &[("timeout_min", "150"), ("timeout_max", "155")]) }
                { ctx.try_this("150–175", &[("timeout_min", "150"), ("timeout_max", "175")]) }
                { ctx.try_this("150–200", &[("timeout_min", "150"), ("timeout_max", "200")]) }
                { ctx.try_this("150–300", &[("timeout_min", "150"), ("timeout_max", "300")]) }
                { ctx.try_this("The paper's LAN, 150–155", &[("timeout_min", "150"), ("timeout_max", "155"), ("latency_min", "1"), ("latency_max", "3")]) }
                { ctx.try_this("1000 elections", &[("trials", "1000")]) }
                { ctx.try_this("The book's rules, laggards", &[("rules", "book"), ("batch_logs", "lagging")]) }
                { ctx.try_this("Raft's rules, laggards", &[("rules", "raft"), ("batch_logs", "lagging")]) }
                { ctx.try_this("One-way cut: server 1 deaf", &[("partition", "1"), ("one_way", "true"), ("partition_at", "1000"), ("heal_at", "3000"), ("crash_at", "0")]) }
                { ctx.try_this("Lossy network, 20 %", &[("drop_pct", "20")]) }
                { ctx.try_this("The book's rules, one-way cut", &[("rules", "book"), ("partition", "1"), ("one_way", "true"), ("partition_at", "1000"), ("heal_at", "3000"), ("crash_at", "0"), ("run_ms", "10000")]) }
            </p>
            <h3>{"What to notice"}</h3>
            <p>{"With identical timeouts every follower stands at once, votes split, and they all stand again together: the median election runs into seconds. A few milliseconds of randomness let one server stand alone first. Ongaro and Ousterhout (2014, §9.3) measured over 10 s without randomness, a 287 ms median for 150–155 ms and quick elections for 150–300 ms; on a 1–3 ms network (“The paper's LAN”) this simulation gives a median near 270 ms for 150–155 ms. With RaftScope's slower 10–15 ms messages, 5 ms of spread is not enough: a candidate's request arrives after its rivals have already stood. A deaf server (one-way cut) keeps raising its term and its requests depose a healthy leader again and again."}</p>
            <h3>{"Where the book's snippet falls short"}</h3>
            <ul>
                <li>{"It asks for votes by calling the other servers directly, in one loop: no network, no delay, no lost messages, no timeouts while it waits. Here every request and reply is a message that takes time and can be lost or cut off."}</li>
                <li>{"Its voter never looks at logs. Choose “The book's rules, laggards”: the last committed entry sits on a bare majority, and a server without it wins about half the elections — measured as “new leaders missing a committed entry”. Under Raft's rules that count stays at zero (tested under random crash, partition and loss schedules)."}</li>
                <li>{"Its voter grants a vote to a candidate of an older term whenever it has not voted in its own term, and a leader that grants a newer term's vote keeps acting as leader; both can put two leaders in one term. Choose “The book's rules, one-way cut” (seed 1): the scripted run records a term with two leaders, a leader missing committed entries, and committed entries overwritten; the same script under Raft's rules records none."}</li>
                <li>{"Its timeout is drawn once per server and never again, and a losing candidate drops straight back to follower; Raft redraws the timeout at every reset, which is what breaks repeated split votes."}</li>
                <li>{"It announces the leader once and sends no heartbeats, so followers would soon time out and depose a healthy leader; here the leader sends AppendEntries every heartbeat interval."}</li>
            </ul>
        </section>
        </>
    }
}

fn cdf_chart(r: &Report, range: &str) -> Rc<ChartSpec> {
    let b = &r.batch;
    let pts: Vec<(f64, f64)> = b.cdf.iter().map(|&(x, y)| (x.max(1.0), y)).collect();
    let mut marks = Vec::new();
    if b.p50_ms < TRIAL_CAP_MS {
        marks.push(Mark {
            x: b.p50_ms.max(1.0),
            label: "median".into(),
        });
    }
    Rc::new(ChartSpec {
        title: "time to a new leader (CDF)".into(),
        x_label: "ms after the crash".into(),
        y_label: "share of elections done".into(),
        x_log: true,
        y_min: Some(0.0),
        series: vec![Series::new(format!("timeouts {range}"), Kind::Line, 0, pts)],
        marks,
        ..Default::default()
    })
}

type LiveProps = crate::chrome::player::LiveProps<Params>;

const CX: f64 = 160.0;
const CY: f64 = 150.0;
const RING: f64 = 105.0;

fn pos(i: usize, n: usize) -> (f64, f64) {
    let a = -std::f64::consts::FRAC_PI_2 + std::f64::consts::TAU * i as f64 / n.max(1) as f64;
    (CX + RING * libm::cos(a), CY + RING * libm::sin(a))
}

/// The cluster, live, with faults at the click of a button.
#[component]
fn LiveCluster(props: &LiveProps) -> Html {
    let LiveProps { params, seed, id } = props;
    let live = use_live_sim(
        (params.clone(), *seed),
        |d| Cluster::new(&d.0, d.1),
        |s| s.snapshot(),
        0.05,
    );
    let toggle = live.poke(|s: &mut Cluster, t: f64, i: u8| s.toggle(i, t));
    let timeout = live.poke(|s: &mut Cluster, t: f64, i: u8| s.time_out_now(i, t));
    let isolate = live.poke(|s: &mut Cluster, t: f64, i: u8| s.toggle_isolation(i, t));
    let heal = live.poke(|s: &mut Cluster, t: f64, _: ()| s.heal(t));
    let clock = live.clock;
    let s: &Snapshot = &live.snap;
    let now = s.t.max(clock);
    let leader = s
        .servers
        .iter()
        .enumerate()
        .filter(|(_, v)| v.up && v.role == Role::Leader)
        .max_by_key(|(_, v)| v.term);
    let max_term = s.servers.iter().map(|v| v.term).max().unwrap_or(0);
    let safe = s.safety_violations == 0 && s.double_votes == 0;
    html! {
        <section class="live" aria-label="Live cluster">
            <h3>{"The cluster, live"}</h3>
            { live.player(vec![0.01, 0.02, 0.05, 0.1, 0.25, 1.0], format!("t = {:.3} s · term {} · {}", now, max_term, match leader { Some((i, v)) => format!("leader: server {} (term {})", i + 1, v.term), None => "no leader".into() }), id.clone()) }
            <dl class="metrics">
                { metric("live_safety", "Election safety", if safe { "holds".into() } else { "VIOLATED".into() }, Some(format!("{} terms with two leaders · {} double votes", s.safety_violations, s.double_votes)), if safe { Tone::Good } else { Tone::Bad }) }
                { metric("live_committed", "Entries committed", int(u64::from(s.committed)), Some(format!("{} leaders missing one", s.stale_leaders)), if s.stale_leaders > 0 { Tone::Bad } else { Tone::Plain }) }
            </dl>
            { cluster_svg(s, now, &toggle) }
            <div class="raft-actions" role="group" aria-label="Faults">
                { for (0..s.servers.len()).map(|i| {
                    let v = &s.servers[i];
                    let iso = s.cut.iter().filter(|&&(a, b)| a as usize == i || b as usize == i).count() >= 2 * (s.servers.len() - 1);
                    let (t, c, x) = (timeout.clone(), toggle.clone(), isolate.clone());
                    html! {
                        <span class="raft-act">
                            <strong>{ format!("S{}", i + 1) }</strong>
                            <button type="button" onclick={Callback::from(move |_| c.emit(i as u8))}>{ if v.up { "crash" } else { "restart" } }</button>
                            <button type="button" disabled={!v.up} onclick={Callback::from(move |_| t.emit(i as u8))}>{"time out"}</button>
                            <button type="button" aria-pressed={iso.to_string()} onclick={Callback::from(move |_| x.emit(i as u8))}>{ if iso { "reconnect" } else { "isolate" } }</button>
                        </span>
                    }
                }) }
                <button type="button" disabled={s.cut.is_empty()} onclick={Callback::from(move |_| heal.emit(()))}>{"heal all links"}</button>
            </div>
            { timeline_svg(&s.terms, now) }
            <p class="muted raft-key">{"Messages: "}<span class="raft-k0">{"● AppendEntries/heartbeat"}</span>{" · "}<span class="raft-k1">{"● RequestVote"}</span>{" · "}<span class="raft-k2">{"● vote granted"}</span>{" · "}<span class="raft-k4">{"● refused"}</span>{" · ○ lost. Timeline: one bar per term, coloured by its leader; grey = no leader."}</p>
        </section>
    }
}

fn role_fill(up: bool, role: Role) -> &'static str {
    match (up, role) {
        (false, _) => "var(--bg)",
        (_, Role::Leader) => "var(--c2)",
        (_, Role::Candidate) => "var(--c1)",
        (_, Role::Follower) => "var(--c0)",
    }
}

fn cluster_svg(s: &Snapshot, now: f64, toggle: &Callback<u8>) -> Html {
    let n = s.servers.len();
    let reduced = dom::reduced_motion();
    let msgs = s.msgs.iter().map(|m| {
        let (x0, y0) = pos(m.from as usize, n);
        let (x1, y1) = pos(m.to as usize, n);
        let mut f = crate::chrome::player::flight_progress(now, m.sent, m.arrive, reduced);
        if m.lost {
            f = f.min(0.5);
        }
        let (x, y) = (x0 + (x1 - x0) * f, y0 + (y1 - y0) * f);
        let color = match (m.kind, m.positive) {
            (MsgKind::Append, _) => "var(--c0)",
            (MsgKind::RequestVote, _) => "var(--c1)",
            (MsgKind::Vote, true) => "var(--c2)",
            (MsgKind::Vote, false) => "var(--c4)",
            (MsgKind::AppendReply, _) => "var(--c5)",
        };
        let r = if m.kind == MsgKind::Append && m.positive { "5" } else { "3.5" };
        if m.lost {
            html! { <circle cx={format!("{x:.1}")} cy={format!("{y:.1}")} r={r} fill="none" stroke={color} stroke-width="1.2" /> }
        } else {
            html! { <circle cx={format!("{x:.1}")} cy={format!("{y:.1}")} r={r} fill={color} /> }
        }
    });
    let cuts = s.cut.iter().filter(|&&(a, b)| a < b || !s.cut.contains(&(b, a))).map(|&(a, b)| {
        let (x0, y0) = pos(a as usize, n);
        let (x1, y1) = pos(b as usize, n);
        html! { <line x1={format!("{x0:.1}")} y1={format!("{y0:.1}")} x2={format!("{x1:.1}")} y2={format!("{y1:.1}")} stroke="var(--c4)" stroke-width="1" stroke-dasharray="3 4" /> }
    });
    let nodes = s.servers.iter().enumerate().map(|(i, v)| {
        let (x, y) = pos(i, n);
        let rr = 22.0;
        let circ = std::f64::consts::TAU * (rr + 4.0);
        let frac = match v.deadline {
            Some(d) if v.timer_len > 0.0 => ((d - now) / v.timer_len).clamp(0.0, 1.0),
            _ => 0.0,
        };
        let role = match v.role { Role::Leader => "leader", Role::Candidate => "candidate", Role::Follower => "follower" };
        let label = format!(
            "Server {}: {}, term {}, voted for {}, log {} entries ({} committed). Press to {}.",
            i + 1,
            if v.up { role } else { "crashed" },
            v.term,
            v.voted_for.map(|x| format!("server {}", x + 1)).unwrap_or("nobody".into()),
            v.log_len,
            v.commit,
            if v.up { "crash it" } else { "restart it" }
        );
        let click = toggle.reform(move |_: MouseEvent| i as u8);
        let key = dom::on_press(toggle, i as u8);
        html! {
            <g class="raft-node" tabindex="0" role="button" aria-label={label} onclick={click} onkeydown={key}>
                if frac > 0.0 {
                    <circle cx={format!("{x:.1}")} cy={format!("{y:.1}")} r={format!("{}", rr + 4.0)} fill="none" stroke="var(--muted)" stroke-width="2.5"
                        stroke-dasharray={format!("{:.1} {:.1}", circ * frac, circ)} transform={format!("rotate(-90 {x:.1} {y:.1})")} />
                }
                <circle cx={format!("{x:.1}")} cy={format!("{y:.1}")} r={format!("{rr}")} fill={role_fill(v.up, v.role)}
                    stroke={if v.up { "var(--fg)" } else { "var(--muted)" }} stroke-width={if v.role == Role::Leader && v.up { "3" } else { "1" }}
                    stroke-dasharray={if v.up { "none" } else { "4 3" }} />
                <text x={format!("{x:.1}")} y={format!("{:.1}", y - 3.0)} text-anchor="middle" font-size="11" font-weight="bold" fill={if v.up { "var(--bg)" } else { "var(--muted)" }}>{ format!("S{}", i + 1) }</text>
                <text x={format!("{x:.1}")} y={format!("{:.1}", y + 10.0)} text-anchor="middle" font-size="9" fill={if v.up { "var(--bg)" } else { "var(--muted)" }}>{ if v.up { format!("t{}", v.term) } else { "down".into() } }</text>
                <text x={format!("{x:.1}")} y={format!("{:.1}", if y > CY { y + 38.0 } else { y - 31.0 })} text-anchor="middle" font-size="9" fill="var(--muted)">
                    { format!("log {}{}", v.log_len, v.voted_for.map(|x| format!(" · ✓S{}", x + 1)).unwrap_or_default()) }
                </text>
            </g>
        }
    });
    html! {
        <svg class="drawing raft-ring" viewBox="0 0 320 300" role="group" aria-label="Servers in a ring with messages in flight">
            { for cuts }
            { for msgs }
            { for nodes }
        </svg>
    }
}

fn timeline_svg(terms: &[TermRecord], now: f64) -> Html {
    let win = 4.0;
    let t0 = (now - win).max(0.0);
    let w = 600.0;
    let x = |t: f64| ((t - t0) / win * w).clamp(0.0, w);
    let bars = terms.iter().enumerate().filter_map(|(k, r)| {
        let start = r.start_ms / 1000.0;
        let end = terms.get(k + 1).map(|n| n.start_ms / 1000.0).unwrap_or(now);
        if end < t0 || start > now {
            return None;
        }
        let (a, b) = (x(start), x(end.min(now)));
        // the ring's leader colour for a term that elected one (alternating shades so that
        // neighbouring terms stay apart; the label names the leader), grey for a leaderless term
        let (fill, opacity) = match r.leader {
            Some(_) => ("var(--c2)", if r.term % 2 == 0 { "0.9" } else { "0.6" }),
            None => ("var(--grid)", "0.8"),
        };
        let el = r.elected_ms.map(|e| x(e / 1000.0));
        Some(html! {
            <g>
                <rect x={format!("{a:.1}")} y="14" width={format!("{:.1}", (b - a).max(1.0))} height="16" fill={fill} fill-opacity={opacity} stroke="var(--bg)" stroke-width="1" />
                if b - a > 22.0 {
                    <text x={format!("{:.1}", a + 3.0)} y="26" font-size="10" fill="var(--fg)">{ match r.leader { Some(l) => format!("{}·S{}", r.term, l + 1), None => format!("{}", r.term) } }</text>
                }
                if let Some(e) = el {
                    <line x1={format!("{e:.1}")} x2={format!("{e:.1}")} y1="10" y2="34" stroke="var(--fg)" stroke-width="1" />
                }
            </g>
        })
    });
    html! {
        <div class={crate::chrome::dom::scroll_box(600.0, 9.0)}>
        <svg class="drawing raft-timeline" viewBox="0 0 600 48" role="img" aria-label={format!("Term timeline: {} terms so far", terms.last().map(|r| r.term).unwrap_or(0))}>
            <text x="0" y="9" font-size="9" fill="var(--muted)">{ format!("terms, last {win} s") }</text>
            { for bars }
            <text x="600" y="46" font-size="9" text-anchor="end" fill="var(--muted)">{ format!("{now:.2} s") }</text>
        </svg>
        </div>
    }
}
