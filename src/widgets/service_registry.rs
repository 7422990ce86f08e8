//! View of `service-registry` (book page 29): the book's TTL registry (or phi accrual) with
//! instances heartbeating over a lossy network, crashing and restarting, and clients that cache
//! what they discover. Played live with faults on demand, a swimlane of what was true against
//! what the registry said, and the detection-time / false-alarm trade-off of both rules.

use crate::chrome::chart::{Chart, ChartSpec, Kind, Series};
use crate::chrome::host::{use_from_report, use_report, WidgetCtx};
use crate::chrome::metrics::{int, metric, notes, pct, sig3, Tone};
use crate::chrome::player::use_live_sim;
use sim::models::service_registry::{
    Lane, Params, Report, Snapshot, TradeoffPoint, View as RegView, World,
};
use std::rc::Rc;
use yew::prelude::*;

/// Props of [`View`].
#[derive(Properties, PartialEq)]
pub struct Props {
    /// From the host.
    pub ctx: WidgetCtx,
}

fn secs(x: Option<f64>) -> String {
    match x {
        Some(v) if v.is_finite() => format!("{} s", sig3(v)),
        _ => "—".into(),
    }
}

/// A knob value without trailing zeros: 10, 0.5, 2.25.
fn num(x: f64) -> String {
    let s = format!("{x:.2}");
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

fn rule_name(p: &Params) -> String {
    if p.detector == "phi" {
        format!("phi accrual (threshold {})", num(p.phi_threshold))
    } else {
        format!("a fixed TTL of {} s", num(p.ttl_s))
    }
}

/// The service-registry widget.
#[component]
pub fn View(props: &Props) -> Html {
    let ctx = &props.ctx;
    let p: Params = ctx.params();
    let report = use_report::<Report>(ctx);
    let chart = use_from_report(&report, {
        let p = p.clone();
        move |r| tradeoff_chart(r, &p)
    });
    let Some(r) = report else {
        return html! { <p class="muted">{"Computing…"}</p> };
    };
    let b = &r.book_example;
    let dead_share = if r.requests > 0 {
        r.to_dead as f64 / r.requests as f64
    } else {
        0.0
    };
    let compare = phi_vs_ttl(&r.tradeoff);
    html! {
        <>
        <p class="callout">
            { format!("Registry with {}, swept every {} s, {} instances heartbeating every {} s: a crash was noticed after ", rule_name(&p), num(p.sweep_s), p.instances, num(p.heartbeat_s)) }
            <strong>{ secs(r.detect.mean) }</strong>
            { format!(" on average, and live instances were wrongly marked unhealthy {} times per instance-hour.", sig3(r.fp_per_instance_hour)) }
        </p>
        <dl class="metrics">
            { metric("detect_mean", "Crash → marked unhealthy", secs(r.detect.mean), Some(format!("p50 {} · p99 {} · {} crashes{}", secs(r.detect.p50), secs(r.detect.p99), r.detect.n, if p.detector == "ttl" { format!(" · theory {}", secs(Some(r.detect_theory_s))) } else { String::new() })), Tone::Plain) }
            { metric("removal_mean", "Crash → removed", secs(r.removal.mean), Some(format!("after {} × TTL = {} s of silence", num(p.remove_multiple), num(p.remove_multiple * p.ttl_s))), Tone::Plain) }
            { metric("false_positives", "False alarms per instance-hour", sig3(r.fp_per_instance_hour), Some(format!("{} live instances marked unhealthy{}", r.false_positives, if p.detector == "ttl" && p.blips_per_hour == 0.0 { format!(" · loss theory {}", sig3(r.fp_theory_per_instance_hour)) } else { String::new() })), if r.fp_per_instance_hour > 1.0 { Tone::Bad } else { Tone::Plain }) }
            { metric("live_removed", "Live instances removed", int(u64::from(r.live_removed)), Some(format!("invisible for {} instance-s{}", sig3(r.invisible_live_s), if p.reregister { "" } else { " (the book's heartbeat)" })), if r.live_removed > 0 { Tone::Bad } else { Tone::Good }) }
            { metric("to_dead", "Requests sent to dead instances", pct(dead_share, 2), Some(format!("{} of {} requests", int(r.to_dead), int(r.requests))), if dead_share > 0.01 { Tone::Bad } else { Tone::Plain }) }
            { metric("coverage", "Live instances clients can discover", pct(r.coverage, 2), Some(format!("{} of the healthy list was in fact dead", pct(r.dead_listed, 2))), if r.coverage < 0.99 { Tone::Bad } else { Tone::Plain }) }
        </dl>
        <LiveRegistry params={p.clone()} seed={ctx.seed} id={ctx.id.clone()} />
        <h3>{"What was true, and what the registry said"}</h3>
        { lanes_svg(&r.lanes, r.duration_s) }
        if let Some(spec) = (*chart).clone() {
            <Chart spec={spec} height={280} caption="Mean detection time against false alarms per instance-hour, for fixed TTLs and phi thresholds replayed on the same heartbeats; the point is this run's setting" />
        }
        <p class="muted">{"Each curve replays this run's heartbeats against registries with other TTLs (multiples of h) and phi thresholds 1–16, all with re-registration on, so each point measures the health rule alone. Left and low is better."}</p>
        { notes(&r.notes) }
        <section class="explain">
            <h3>{"What you are looking at"}</h3>
            <p>{"Each instance registers, then sends a heartbeat every h seconds over a network that loses some and, during a blip, holds them up. The registry follows the book's code: every sweep it marks an instance unhealthy once more than the TTL has passed since its last heartbeat, and removes it once three TTLs have passed; a heartbeat marks it healthy again. Clients ask for the healthy list, keep their copy for a while, and send requests to instances picked at random from it. Instances crash now and then and restart a minute later. The alternative health rule, phi accrual (Hayashibara et al., 2004, as implemented in Akka and Cassandra), learns each instance's heartbeat rhythm and suspects it when the current silence becomes improbable."}</p>
            <h3>{"Try this"}</h3>
            <p>
                { ctx.try_this("The book's example: TTL 10 s", &[("detector", "ttl"), ("ttl_s", "10"), ("heartbeat_s", "3"), ("sweep_s", "5"), ("remove_multiple", "3"), ("reregister", "false")]) }
                { ctx.try_this("Flaky network, fixed TTL", &[("detector", "ttl"), ("loss_pct", "10"), ("blips_per_hour", "20"), ("blip_s", "10"), ("blip_delay_s", "8"), ("sweep_s", "1"), ("duration_s", "1800")]) }
                { ctx.try_this("…same network, phi accrual", &[("detector", "phi"), ("loss_pct", "10"), ("blips_per_hour", "20"), ("blip_s", "10"), ("blip_delay_s", "8"), ("sweep_s", "1"), ("duration_s", "1800")]) }
                { ctx.try_this("Aggressive TTL: 4 s", &[("detector", "ttl"), ("ttl_s", "4"), ("sweep_s", "1")]) }
                { ctx.try_this("Long blips: the book loses live instances", &[("blips_per_hour", "4"), ("blip_s", "60"), ("blip_delay_s", "45"), ("crash_per_hour", "1"), ("duration_s", "1800"), ("reregister", "false")]) }
                { ctx.try_this("…with re-registration", &[("blips_per_hour", "4"), ("blip_s", "60"), ("blip_delay_s", "45"), ("crash_per_hour", "1"), ("duration_s", "1800"), ("reregister", "true")]) }
                { ctx.try_this("Clients cache for 2 minutes", &[("refresh_s", "120")]) }
            </p>
            <h3>{"What to notice"}</h3>
            <ul>
                <li>{ format!("Detection is not “TTL plus a sweep”: the registry counts from the last heartbeat it received, which came on average h/2 before the crash, and then waits for the next sweep. Expect TTL − h/2 + sweep/2 = {} here; measured {}.", secs(Some(r.detect_theory_s)), secs(r.detect.mean)) }</li>
                <li>{"Shorter TTLs detect sooner and raise more false alarms: with independent loss p, a live instance is marked whenever ⌊TTL/h⌋ heartbeats in a row are lost, about (1 − p)·p^⌊TTL/h⌋ / h times a second (a test checks the simulation against it). Blips add alarms that no TTL shorter than the blip's delay can avoid."}</li>
                <li>{ format!("Clients keep a dead instance in their copy until their next refresh, so requests to dead instances cost detection plus up to one refresh period ({} s): {} of requests here.", num(p.refresh_s), pct(dead_share, 2)) }</li>
                if let Some(c) = compare { <li>{ c }</li> }
            </ul>
            <h3>{"Where the book's registry holds and where it fails"}</h3>
            <ul>
                <li>{ format!("The usage example as printed does not show what its comment suggests: host1's heartbeats stop after 9 s too, so the sweep at {} s marks it and the script prints “Healthy instances: {}”. Only if host1 keeps heartbeating does it print {}. host2 is marked at {} s (its silence is exactly 10 s at the 10 s sweep, not more) and removed at {} s.", b.host1_unhealthy_at_s, b.healthy_at_21s, b.healthy_at_21s_if_host1_keeps_beating, b.host2_unhealthy_at_s, b.host2_removed_at_s) }</li>
                <li>{"Between a TTL running out and the next sweep, discover() still returns the dead instance as healthy: the flag is only updated by the sweep."}</li>
                <li>{ format!("heartbeat() ignores an instance it has removed. A live instance silenced for three TTLs by a blip or a long pause is never listed again until it restarts, though it heartbeats all along: try “Long blips”. Here {} live instances were removed.", r.live_removed) }</li>
                <li>{"A fixed TTL must be tuned to the worst network the instances will see; phi accrual learns the rhythm per instance, but under its normal model a rare long gap (a blip) is still judged improbable, so it does not escape the trade-off — compare the two curves."}</li>
            </ul>
        </section>
        </>
    }
}

/// A sentence comparing phi 8 with the fixed TTL closest to it in detection time.
fn phi_vs_ttl(points: &[TradeoffPoint]) -> Option<String> {
    let phi = points
        .iter()
        .find(|x| x.detector == "phi" && (x.setting - 8.0).abs() < 1e-9)?;
    let d = phi.detect_mean_s?;
    let ttl = points
        .iter()
        .filter(|x| x.detector == "ttl" && x.detect_mean_s.is_some())
        .min_by(|a, b| {
            let da = (a.detect_mean_s.unwrap_or(0.0) - d).abs();
            let db = (b.detect_mean_s.unwrap_or(0.0) - d).abs();
            da.total_cmp(&db)
        })?;
    Some(format!(
        "Measured on these heartbeats: phi 8 noticed crashes in {} with {} false alarms per instance-hour; the fixed TTL closest in detection time ({} s) took {} with {}.",
        secs(Some(d)),
        sig3(phi.fp_per_instance_hour),
        num(ttl.setting),
        secs(ttl.detect_mean_s),
        sig3(ttl.fp_per_instance_hour)
    ))
}

fn tradeoff_chart(r: &Report, p: &Params) -> Rc<ChartSpec> {
    let pts = |det: &str| -> Vec<(f64, f64)> {
        r.tradeoff
            .iter()
            .filter(|x| x.detector == det)
            .filter_map(|x| x.detect_mean_s.map(|d| (d, x.fp_per_instance_hour)))
            .collect()
    };
    let mut series = vec![
        Series::new("fixed TTL", Kind::Line, 0, pts("ttl")),
        Series::new("phi accrual", Kind::Line, 3, pts("phi")),
    ];
    if let Some(d) = r.detect.mean {
        series.push(Series::new(
            format!(
                "this run ({})",
                if p.detector == "phi" { "phi" } else { "TTL" }
            ),
            Kind::Points,
            1,
            vec![(d, r.fp_per_instance_hour)],
        ));
    }
    Rc::new(ChartSpec {
        title: "Detection time vs false alarms".into(),
        x_label: "mean crash → marked (s)".into(),
        y_label: "false alarms per instance-hour".into(),
        y_min: Some(0.0),
        series,
        ..Default::default()
    })
}

fn lanes_svg(lanes: &[Lane], duration: f64) -> Html {
    let w = 600.0;
    let left = 30.0;
    let row = 26.0;
    let top = 4.0;
    let h = top + row * lanes.len() as f64 + 22.0;
    let x = |t: f64| left + (t / duration).clamp(0.0, 1.0) * (w - left - 4.0);
    let segs = |pts: &[(f64, u8)], end: f64| -> Vec<(f64, f64, u8)> {
        pts.iter()
            .enumerate()
            .map(|(k, &(t, s))| (t, pts.get(k + 1).map(|n| n.0).unwrap_or(end), s))
            .collect()
    };
    let rows = lanes.iter().enumerate().map(|(i, l)| {
        let y = top + row * i as f64;
        let end = l.cut_at.unwrap_or(duration);
        let truth = segs(&l.truth, end).into_iter().filter(|s| s.2 == 0).map(|(a, b, _)| html! {
            <rect x={format!("{:.1}", x(a))} y={format!("{:.1}", y + 1.0)} width={format!("{:.1}", (x(b) - x(a)).max(1.0))} height="6" fill="var(--c4)" />
        });
        let view = segs(&l.view, end).into_iter().filter(|s| s.2 != 0).map(|(a, b, s)| html! {
            <rect x={format!("{:.1}", x(a))} y={format!("{:.1}", y + 8.0)} width={format!("{:.1}", (x(b) - x(a)).max(1.0))} height="14" fill={if s == 1 { "var(--c2)" } else { "var(--c1)" }} />
        });
        html! {
            <g>
                <text x="0" y={format!("{:.1}", y + 18.0)} font-size="14" fill="var(--muted)">{ format!("i{}", i + 1) }</text>
                <rect x={format!("{left}")} y={format!("{:.1}", y + 8.0)} width={format!("{:.1}", x(end) - left)} height="14" fill="none" stroke="var(--border)" stroke-width="0.8" />
                { for truth }
                { for view }
                if let Some(c) = l.cut_at {
                    <text x={format!("{:.1}", x(c) + 2.0)} y={format!("{:.1}", y + 16.0)} font-size="8" fill="var(--muted)">{"…"}</text>
                }
            </g>
        }
    });
    let ly = top + row * lanes.len() as f64 + 4.0;
    html! {
        <figure class="sr-lanes-fig">
            <div class={crate::chrome::dom::scroll_box(w, 14.0)}>
            <svg class="drawing sr-lanes" viewBox={format!("0 0 {w} {h:.0}")} role="img"
                 aria-label={format!("Swimlanes of {} instances over {} s: crashes in red above, the registry's view below (green healthy, orange unhealthy, empty removed)", lanes.len(), duration)}>
                { for rows }
                <text x={format!("{left}")} y={format!("{:.1}", ly + 14.0)} font-size="14" fill="var(--muted)">{"0 s"}</text>
                <text x={format!("{:.1}", w - 4.0)} y={format!("{:.1}", ly + 14.0)} font-size="14" text-anchor="end" fill="var(--muted)">{ format!("{} s", num(duration)) }</text>
            </svg>
            </div>
            <figcaption class="muted sr-key">
                <span class="sr-k4">{"▬ crashed"}</span>{" (truth, thin bar) · "}
                <span class="sr-k2">{"■ listed healthy"}</span>{" · "}
                <span class="sr-k1">{"■ marked unhealthy"}</span>{" · □ absent (removed or not yet registered)"}
            </figcaption>
        </figure>
    }
}

type LiveProps = crate::chrome::player::LiveProps<Params>;

fn make(d: &(Params, u64)) -> World {
    World::new(&d.0, d.1)
}

/// The run, live: instances blink as they heartbeat, turn amber when marked, fade when removed.
#[component]
fn LiveRegistry(props: &LiveProps) -> Html {
    let LiveProps { params, seed, id } = props;
    let live = use_live_sim((params.clone(), *seed), make, World::snapshot, 2.0);
    let crash = live.poke(|w: &mut World, t: f64, _: MouseEvent| w.crash_now(t));
    let blip = live.poke(|w: &mut World, t: f64, _: MouseEvent| w.blip_now(t));
    let s: &Snapshot = &live.snap;
    let healthy = s
        .instances
        .iter()
        .filter(|i| i.view == RegView::Healthy)
        .count();
    let up = s.instances.iter().filter(|i| i.alive).count();
    html! {
        <section class="live" aria-label="Live registry">
            <h3>{"The registry, live"}</h3>
            { live.player(vec![0.5, 1.0, 2.0, 5.0, 20.0], format!("t = {:.1} s · {} up · {} listed healthy", s.t, up, healthy), id.clone()) }
            <p class="sr-pokes">
                <button type="button" onclick={crash}>{"Crash an instance now"}</button>
                <button type="button" onclick={blip}>{ format!("Network blip now ({} s, +{} s delay)", num(params.blip_s), num(params.blip_delay_s)) }</button>
            </p>
            { system_svg(s, params) }
            <dl class="metrics">
                { metric("live_crashes", "Crashes / detected", format!("{} / {}", s.crashes, s.detected), Some(format!("last detection {}", secs(s.last_detect_s))), Tone::Plain) }
                { metric("live_fp", "False alarms", int(u64::from(s.false_positives)), Some(format!("{} live instances removed", s.live_removed)), if s.false_positives > 0 { Tone::Bad } else { Tone::Plain }) }
                { metric("live_dead", "Requests to dead instances", int(s.to_dead), Some(format!("of {} sent", int(s.requests))), if s.to_dead > 0 { Tone::Bad } else { Tone::Plain }) }
            </dl>
        </section>
    }
}

fn system_svg(s: &Snapshot, p: &Params) -> Html {
    let n = s.instances.len();
    let cols = n.clamp(1, 6);
    let rows = n.div_ceil(cols).max(1);
    let w = 420.0;
    let cell = w / cols as f64;
    let reg_y = 6.0;
    let reg_h = 48.0;
    let inst_top = 96.0;
    let row_h = 70.0;
    let inst_bottom = inst_top + row_h * rows as f64;
    let m = s.client_lists.len().max(1);
    let ccols = m.min(5);
    let crows = m.div_ceil(ccols);
    let client_y = inst_bottom + 26.0;
    let h = client_y + 36.0 * crows as f64 + 4.0;
    let pos = |i: usize| -> (f64, f64) {
        (
            cell * (i % cols) as f64 + cell / 2.0,
            inst_top + row_h * (i / cols) as f64 + 18.0,
        )
    };
    let ccell = w / ccols as f64;
    let cpos = |c: usize| -> (f64, f64) {
        (
            ccell * ((c % ccols) as f64 + 0.5),
            client_y + 36.0 * (c / ccols) as f64,
        )
    };
    let regx = w / 2.0;
    let healthy = s
        .instances
        .iter()
        .filter(|i| i.view == RegView::Healthy)
        .count();
    let unhealthy = s
        .instances
        .iter()
        .filter(|i| i.view == RegView::Unhealthy)
        .count();
    let pulses = s.instances.iter().enumerate().map(|(i, v)| {
        let (x, y) = pos(i);
        let fresh = v.alive && v.since_sent < 0.6;
        let stroke = if v.blip { "var(--c3)" } else { "var(--c0)" };
        html! {
            <line x1={format!("{x:.1}")} y1={format!("{:.1}", y - 16.0)} x2={format!("{regx:.1}")} y2={format!("{:.1}", reg_y + reg_h)}
                stroke={if fresh { stroke } else { "var(--grid)" }} stroke-width={if fresh { "2.2" } else { "0.7" }}
                stroke-dasharray={if v.blip { "5 4" } else { "none" }} />
        }
    });
    let reqs = s.recent.iter().filter(|q| s.t - q.t < 0.5).filter_map(|q| {
        let i = q.instance? as usize;
        let (x, y) = pos(i);
        let (cx, cy) = cpos(q.client as usize);
        Some(html! {
            <line x1={format!("{cx:.1}")} y1={format!("{:.1}", cy - 12.0)} x2={format!("{x:.1}")} y2={format!("{:.1}", y + 16.0)}
                stroke={if q.ok { "var(--c2)" } else { "var(--c4)" }} stroke-width="1.8" stroke-opacity="0.6" />
        })
    });
    let nodes = s.instances.iter().enumerate().map(|(i, v)| {
        let (x, y) = pos(i);
        let fill = match v.view {
            RegView::Absent => "var(--bg)",
            RegView::Healthy => "var(--c2)",
            RegView::Unhealthy => "var(--c1)",
        };
        let fresh = v.alive && v.since_sent < 0.6;
        let state = match (v.started, v.alive, v.view) {
            (false, _, _) => "starting",
            (_, true, RegView::Healthy) => "up, listed healthy",
            (_, true, RegView::Unhealthy) => "up, but marked unhealthy",
            (_, true, RegView::Absent) => "up, but not in the registry",
            (_, false, RegView::Healthy) => "crashed, still listed healthy",
            (_, false, RegView::Unhealthy) => "crashed, marked unhealthy",
            (_, false, RegView::Absent) => "crashed, removed",
        };
        let crashed = v.started && !v.alive;
        let detail = if !v.started {
            "starting".to_string()
        } else if p.detector == "phi" && v.view != RegView::Absent {
            format!("φ {}", sig3(v.phi.min(99.0)))
        } else {
            v.age
                .map(|a| format!("{:.1} s", a))
                .unwrap_or_else(|| "absent".into())
        };
        html! {
            <g>
                <title>{ format!("Instance {}: {}", i + 1, state) }</title>
                if fresh {
                    <circle cx={format!("{x:.1}")} cy={format!("{y:.1}")} r="20" fill="none" stroke="var(--c0)" stroke-width="2.2" />
                }
                <circle cx={format!("{x:.1}")} cy={format!("{y:.1}")} r="15" fill={fill}
                    stroke={if crashed { "var(--c4)" } else if v.alive { "var(--fg)" } else { "var(--muted)" }} stroke-width={if crashed { "2.2" } else { "1.2" }}
                    stroke-dasharray={if v.view == RegView::Absent { "3 3" } else { "none" }} />
                if crashed {
                    <path d={format!("M{:.1} {:.1} l14 14 m0 -14 l-14 14", x - 7.0, y - 7.0)} stroke="var(--c4)" stroke-width="2.6" />
                }
                <text x={format!("{x:.1}")} y={format!("{:.1}", y + 32.0)} text-anchor="middle" font-size="13" fill="var(--fg)">{ format!("i{}", i + 1) }</text>
                <text x={format!("{x:.1}")} y={format!("{:.1}", y + 46.0)} text-anchor="middle" font-size="12" fill="var(--muted)">{ detail }</text>
            </g>
        }
    });
    let clients = s.client_lists.iter().enumerate().map(|(c, &len)| {
        let (cx, cy) = cpos(c);
        html! {
            <g>
                <rect x={format!("{:.1}", cx - 36.0)} y={format!("{:.1}", cy - 12.0)} width="72" height="30" rx="4" fill="var(--bg)" stroke="var(--border)" />
                <text x={format!("{cx:.1}")} y={format!("{:.1}", cy + 1.0)} text-anchor="middle" font-size="12" fill="var(--fg)">{ format!("client {}", c + 1) }</text>
                <text x={format!("{cx:.1}")} y={format!("{:.1}", cy + 14.0)} text-anchor="middle" font-size="11.5" fill="var(--muted)">{ format!("{len} cached") }</text>
            </g>
        }
    });
    html! {
        <svg class="drawing sr-system" viewBox={format!("0 0 {w} {h:.0}")} role="img"
             aria-label={format!("Registry, {} instances ({} up, {} listed healthy, {} unhealthy) and {} clients", n, s.instances.iter().filter(|i| i.alive).count(), healthy, unhealthy, s.client_lists.len())}>
            { for pulses }
            { for reqs }
            <rect x={format!("{:.1}", regx - 160.0)} y={format!("{reg_y}")} width="320" height={format!("{reg_h}")} rx="6" fill="var(--bg)" stroke="var(--fg)" />
            <text x={format!("{regx:.1}")} y={format!("{:.1}", reg_y + 20.0)} text-anchor="middle" font-size="14" font-weight="bold" fill="var(--fg)">
                { if p.detector == "phi" { format!("Registry · phi > {} · sweep {} s", num(p.phi_threshold), num(p.sweep_s)) } else { format!("Registry · TTL {} s · sweep {} s", num(p.ttl_s), num(p.sweep_s)) } }
            </text>
            <text x={format!("{regx:.1}")} y={format!("{:.1}", reg_y + 38.0)} text-anchor="middle" font-size="12" fill="var(--muted)">
                { format!("{healthy} healthy · {unhealthy} unhealthy · {} absent", n - healthy - unhealthy) }
            </text>
            { for nodes }
            { for clients }
        </svg>
    }
}
