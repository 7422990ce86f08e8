//! View of `canary-mesh` (book page 30): a control plane pushing weighted routes to proxies in
//! front of blue and green, canary analysis with automatic rollback, the control plane taken
//! down, and each proxy's route config as text.

use crate::chrome::chart::{Chart, ChartSpec, Kind, Mark, Series};
use crate::chrome::host::{use_from_report, use_report, WidgetCtx};
use crate::chrome::metrics::{int, metric, notes, pct, sig3, Tone};
use crate::chrome::player::use_live_sim;
use sim::models::canary_mesh::{render_config, Mesh, Params, Report, Snapshot, Stage};
use std::rc::Rc;
use yew::prelude::*;

/// Props of [`View`].
#[derive(Properties, PartialEq)]
pub struct Props {
    /// From the host.
    pub ctx: WidgetCtx,
}

fn secs(x: f64) -> String {
    format!("{} s", sig3(x))
}

/// The canary-mesh widget.
#[component]
pub fn View(props: &Props) -> Html {
    let ctx = &props.ctx;
    let p: Params = ctx.params();
    let report = use_report::<Report>(ctx);
    let charts = use_from_report(&report, {
        let p = p.clone();
        move |r| charts(r, &p)
    });
    let Some(r) = report else {
        return html! { <p class="muted">{"Computing…"}</p> };
    };
    let t = &r.totals;
    let (rb_value, rb_sub, rb_tone) = match &r.rollback {
        Some(rb) => (
            format!("at {}", secs(rb.decided_at)),
            rb.reason.clone(),
            if r.canary_bad { Tone::Good } else { Tone::Bad },
        ),
        None if r.canary_bad && r.configured_green > 0 => (
            "none".into(),
            "the bad canary kept its traffic".into(),
            Tone::Bad,
        ),
        None => (
            "none".into(),
            "the canary passed its analysis".into(),
            Tone::Plain,
        ),
    };
    let detect_sub = {
        let all = r
            .detect_applied_s
            .map(|x| format!("all proxies switched after {}", secs(x)));
        let th = r
            .detect_theory_s
            .map(|x| format!("full-window theory {}", secs(x)));
        Some(all.into_iter().chain(th).collect::<Vec<_>>().join(" · "))
    };
    html! {
        <>
        <p class="callout">
            { format!("The control plane starts every proxy on blue {} / green {}", 100 - r.configured_green, r.configured_green) }
            { match (&r.rollback, r.bad_at) {
                (Some(rb), Some(b)) if rb.decided_at >= b => html! { <>{ format!("; green turns bad at {} and ", secs(b)) }<strong>{ format!("is rolled back {} later", secs(rb.decided_at - b)) }</strong>{"."}</> },
                (Some(rb), _) => html! { <>{"; "}<strong>{ format!("it rolls green back at {}", secs(rb.decided_at)) }</strong>{"."}</> },
                (None, Some(b)) => html! { <>{ format!("; green turns bad at {} and ", secs(b)) }<strong>{"is never rolled back"}</strong>{"."}</> },
                (None, None) => html! { <>{ format!("; green ends at {} %.", r.final_green) }</> },
            } }
        </p>
        <dl class="metrics">
            { metric("green_share", "Traffic to green", pct(r.share_before_rollback / 100.0, 1), Some(format!("configured {} % (measured until a rollback)", r.configured_green)), Tone::Plain) }
            { metric("rollback", "Automatic rollback", rb_value, Some(rb_sub), rb_tone) }
            { metric("detect", "Canary bad → rollback decided", r.detect_s.map(secs).unwrap_or_else(|| "—".into()), detect_sub, Tone::Plain) }
            { metric("canary_errors", "Errors caused by the canary", format!("{:.0}", t.canary_errors), Some(format!("green failed {} of {} requests; blue's rate predicts {:.0}", int(t.green_errors), int(t.green_requests), t.green_errors as f64 - t.canary_errors)), if t.canary_errors > 20.0 { Tone::Bad } else { Tone::Plain }) }
            { metric("availability", "Availability (whole run)", pct(r.availability, 2), Some(format!("{} errors in {} requests, none dropped", int(t.errors), int(t.requests))), Tone::Plain) }
            { match &r.outage {
                Some(o) => metric("outage_served", "Served while the control plane was down", format!("{} / {}", int(o.served), int(o.arrivals)), Some(format!("{}–{}: availability {}, {} config changes", secs(o.from), secs(o.to), pct(o.availability, 2), o.config_changes)), Tone::Good),
                None => metric("outage_served", "Control-plane outage", "none".into(), Some("set “Control plane down for”, or kill it in the live run".into()), Tone::Plain),
            } }
            if let Some(c) = &r.no_outage {
                { metric("outage_cost", "Extra canary errors from the outage", format!("{:+.0}", t.canary_errors - c.canary_errors), Some(format!("rollback at {} instead of {} with the control plane up", r.rollback.as_ref().map(|x| secs(x.decided_at)).unwrap_or_else(|| "never".into()), c.rollback_at.map(secs).unwrap_or_else(|| "never".into()))), if t.canary_errors > c.canary_errors + 1.0 { Tone::Bad } else { Tone::Plain }) }
            }
        </dl>
        if let Some((share, errs, lat, vers)) = (*charts).clone() {
            <Chart spec={share} height={220} caption="Green's weight as configured by the control plane, as applied by the proxies (mean), and the share of requests that actually went to green" />
            <Chart spec={errs} height={220} caption="Error rates of green and blue over the analysis window, with the rollback threshold" />
            <Chart spec={vers} height={200} caption="The config version each proxy has applied over time" />
            <Chart spec={lat} height={200} caption="p99 latency of green and blue over the analysis window" />
        }
        { notes(&r.notes) }
        <LiveMesh params={p.clone()} seed={ctx.seed} id={ctx.id.clone()} />
        <section class="explain">
            <h3>{"What you are looking at"}</h3>
            <p>{"A service mesh with two versions of one service: blue (stable) and green (the canary). The control plane decides the route — a version number and the weights blue/green — and pushes it to every proxy; each push takes its own random time to arrive. Each proxy routes its own Poisson stream of requests by the weights it has now, sending each request to green with probability weight ÷ 100. Once a second the control plane's canary analysis looks at green's requests over the last window: with at least the minimum number of requests and an error rate above the threshold (or a p99 above the limit), it rolls back by pushing a new version with green at 0. Taking the control plane down stops analysis and pushes, and drops pushes still in flight; the proxies carry on with what they have."}</p>
            <h3>{"Try this"}</h3>
            <p>
                { ctx.try_this("The book's 90/10, healthy canary", &[("green_weight_pct", "10"), ("green_error_pct", "0.5"), ("green_latency_x", "1"), ("cp_down_s", "0"), ("progressive", "false"), ("auto_rollback", "true")]) }
                { ctx.try_this("Bad canary: automatic rollback", &[("green_weight_pct", "10"), ("green_error_pct", "5"), ("bad_at_s", "30"), ("cp_down_s", "0"), ("progressive", "false"), ("auto_rollback", "true")]) }
                { ctx.try_this("Bad canary, control plane down", &[("green_weight_pct", "10"), ("green_error_pct", "5"), ("bad_at_s", "30"), ("cp_down_at_s", "30"), ("cp_down_s", "60"), ("progressive", "false"), ("auto_rollback", "true")]) }
                { ctx.try_this("Progressive delivery", &[("progressive", "true"), ("green_weight_pct", "10"), ("green_error_pct", "5"), ("bad_at_s", "50"), ("cp_down_s", "0"), ("auto_rollback", "true")]) }
                { ctx.try_this("50/50, no rollback", &[("green_weight_pct", "50"), ("green_error_pct", "5"), ("auto_rollback", "false"), ("cp_down_s", "0"), ("progressive", "false")]) }
                { ctx.try_this("Slow canary (p99)", &[("green_error_pct", "0.5"), ("green_latency_x", "3"), ("p99_limit_ms", "250"), ("cp_down_s", "0"), ("auto_rollback", "true")]) }
            </p>
            <h3>{"What to notice"}</h3>
            <p>{ format!("The measured share to green wobbles around the weight: each request is a coin flip, so over n requests the share is off by about √(w(1−w)/n). The analysis judges a sliding window, so after green turns bad its error rate climbs linearly as bad seconds replace good ones; with a full window it crosses the threshold about W·(h − b)/(g − b) seconds later ({}). At the default's few hundred green requests noise moves that by several seconds either way, and a threshold close to blue's own error rate turns noise into false alarms. Between the decision and the last proxy's switch lies the push delay: proxies flip one by one (the version chart).", r.detect_theory_s.map(secs).unwrap_or_else(|| "not defined for these rates".into())) }</p>
            <h3>{"Where the book's claim holds, and where it costs"}</h3>
            <p>{"The page's benefit list says the data plane continues if the control plane fails. Measured, it does: during an outage every request is served, at blue's own error rate, with no config change anywhere — proxies hold their last config. The cost is that the mesh is frozen: a canary that turns bad while the control plane is down keeps its share of the traffic until the control plane returns, and pushes lost in flight can leave proxies on different versions. The “extra canary errors” tile compares the same seed with the control plane up. The book's Envoy snippet shows weighted_clusters with blue 90 / green 10 under static_resources; a config a control plane pushes arrives dynamically (xDS, here RDS) as a versioned resource like the one rendered below."}</p>
        </section>
        </>
    }
}

type Charts = (Rc<ChartSpec>, Rc<ChartSpec>, Rc<ChartSpec>, Rc<ChartSpec>);

fn marks(r: &Report) -> Vec<Mark> {
    r.events
        .iter()
        .filter_map(|e| {
            let label = match e.kind.as_str() {
                "bad" => "bad",
                "rollback" => "rollback",
                "cp_down" => "CP down",
                "cp_up" => "CP up",
                "promote" => "promote",
                _ => return None,
            };
            Some(Mark {
                x: e.t,
                label: label.into(),
            })
        })
        .collect()
}

fn opt(t: &[f64], y: &[Option<f64>]) -> Vec<(f64, f64)> {
    t.iter()
        .zip(y)
        .map(|(&t, y)| (t, y.unwrap_or(f64::NAN)))
        .collect()
}

fn zip(t: &[f64], y: &[f64]) -> Vec<(f64, f64)> {
    t.iter().copied().zip(y.iter().copied()).collect()
}

fn charts(r: &Report, p: &Params) -> Charts {
    let s = &r.series;
    let m = marks(r);
    let end = s.t.last().copied().unwrap_or(p.duration_s);
    let flat = |y: f64| vec![(0.0, y), (end, y)];
    let share = Rc::new(ChartSpec {
        title: "Traffic to green".into(),
        x_label: "seconds".into(),
        y_label: "% of requests".into(),
        y_min: Some(0.0),
        series: vec![
            Series::new("measured share", Kind::Line, 2, opt(&s.t, &s.share)),
            Series::new(
                "proxies' weight (mean)",
                Kind::Line,
                3,
                zip(&s.t, &s.applied),
            ),
            Series::new(
                "control plane wants",
                Kind::Dashed,
                5,
                zip(&s.t, &s.desired),
            ),
        ],
        marks: m.clone(),
        ..Default::default()
    });
    let errs = Rc::new(ChartSpec {
        title: "Error rate over the analysis window".into(),
        x_label: "seconds".into(),
        y_label: "% errors".into(),
        y_min: Some(0.0),
        series: vec![
            Series::new("green", Kind::Line, 2, opt(&s.t, &s.green_err)),
            Series::new("blue", Kind::Line, 0, opt(&s.t, &s.blue_err)),
            Series::new("rollback threshold", Kind::Dashed, 4, flat(p.threshold_pct)),
        ],
        marks: m.clone(),
        ..Default::default()
    });
    let mut lat_series = vec![
        Series::new("green p99", Kind::Line, 2, opt(&s.t, &s.green_p99)),
        Series::new("blue p99", Kind::Line, 0, opt(&s.t, &s.blue_p99)),
    ];
    if p.p99_limit_ms > 0.0 {
        lat_series.push(Series::new(
            "p99 limit",
            Kind::Dashed,
            4,
            flat(p.p99_limit_ms),
        ));
    }
    let lat = Rc::new(ChartSpec {
        title: "p99 latency over the analysis window".into(),
        x_label: "seconds".into(),
        y_label: "ms".into(),
        y_min: Some(0.0),
        series: lat_series,
        marks: m.clone(),
        ..Default::default()
    });
    let n = r.applies.iter().map(|a| a.proxy + 1).max().unwrap_or(1);
    let vers = Rc::new(ChartSpec {
        title: "Config version at each proxy".into(),
        x_label: "seconds".into(),
        y_label: "version".into(),
        y_min: Some(0.0),
        series: (0..n)
            .map(|i| {
                let mut pts: Vec<(f64, f64)> = Vec::new();
                for a in r.applies.iter().filter(|a| a.proxy == i) {
                    if let Some(&(_, v)) = pts.last() {
                        pts.push((a.t, v));
                    }
                    pts.push((a.t, a.version as f64));
                }
                if let Some(&(_, v)) = pts.last() {
                    pts.push((end, v));
                }
                Series::new(format!("proxy {}", i + 1), Kind::Line, i as usize % 6, pts)
            })
            .collect(),
        marks: m,
        ..Default::default()
    });
    (share, errs, lat, vers)
}

type LiveProps = crate::chrome::player::LiveProps<Params>;

fn make(d: &(Params, u64)) -> Mesh {
    Mesh::new(&d.0, d.1)
}

/// The mesh, live: the same run as the numbers above until you poke it.
#[component]
fn LiveMesh(props: &LiveProps) -> Html {
    let LiveProps { params, seed, id } = props;
    let live = use_live_sim((params.clone(), *seed), make, Mesh::snapshot, 5.0);
    let s: &Snapshot = &live.snap;
    let brk = live.poke(|m: &mut Mesh, now: f64, _: MouseEvent| m.break_canary(now));
    let kill = live.poke(|m: &mut Mesh, now: f64, _: MouseEvent| m.kill_control_plane(now));
    let restore = live.poke(|m: &mut Mesh, now: f64, _: MouseEvent| m.restore_control_plane(now));
    let p0 = s.proxies.first();
    let (v0, g0) = p0.map(|p| (p.version, p.green)).unwrap_or((1, 0));
    let status = format!(
        "t = {:.1} s · control plane {} · v{} wanted",
        s.t.max(live.clock.min(params.duration_s)),
        if s.cp_up { "up" } else { "DOWN" },
        s.desired_version
    );
    let (gn, ge) = s.window_green;
    html! {
        <section class="live" aria-label="Live mesh">
            <h3>{"The mesh, live"}</h3>
            { live.player(vec![1.0, 5.0, 20.0], status, id.clone()) }
            <p class="cm-buttons">
                <button type="button" onclick={brk} disabled={s.green_bad}>{ "Break the canary now" }</button>
                if s.cp_up {
                    <button type="button" onclick={kill}>{ "Kill the control plane" }</button>
                } else {
                    <button type="button" onclick={restore}>{ "Restore the control plane" }</button>
                }
            </p>
            { mesh_svg(s) }
            <dl class="metrics">
                { metric("live_green_err", "Green errors in window", ge.map(|x| pct(x, 1)).unwrap_or_else(|| "—".into()), Some(format!("{} requests; threshold {} %", int(gn), sig3(params.threshold_pct))), if ge.is_some_and(|x| x * 100.0 > params.threshold_pct) { Tone::Bad } else { Tone::Plain }) }
                { metric("live_stage", "Rollout", match s.stage { Stage::Canary => format!("canary at {} %", s.desired_green), Stage::RolledBack => "rolled back".into() }, Some(s.last_event.as_ref().map(|e| format!("{}: {}", secs(e.t), e.text)).unwrap_or_default()), if s.stage == Stage::RolledBack { Tone::Bad } else { Tone::Plain }) }
                { metric("live_served", "Requests served", int(s.requests), Some(format!("{} errors", int(s.errors))), Tone::Plain) }
            </dl>
            <h4>{ format!("Proxy 1's route config now (v{v0})") }</h4>
            <pre class="cm-yaml" aria-live="polite">{ render_config(v0, g0) }</pre>
        </section>
    }
}

/// Control plane above the dashed line, proxies below with their weights, blue and green at the
/// bottom; push arrows light up while a push is in flight and turn red when the control plane is
/// down.
fn mesh_svg(s: &Snapshot) -> Html {
    // narrow on purpose: the drawing stays legible when a phone scales it down
    let w = 420.0;
    let n = s.proxies.len().max(1) as f64;
    let slot = w / n;
    let bw = (slot - 6.0).min(90.0);
    let pf = if slot >= 60.0 {
        14
    } else if slot >= 45.0 {
        12
    } else {
        10
    };
    let (py, ph) = (112.0, 48.0);
    let cx = w / 2.0;
    let cp_class = if s.cp_up { "cm-cp" } else { "cm-cp cm-down" };
    let blue = (10.0, 250.0, 190.0, 40.0);
    let green = (220.0, 250.0, 190.0, 40.0);
    html! {
        <svg class="drawing cm-mesh" viewBox="0 0 420 296" role="img"
             aria-label={format!("Control plane {}, wanting v{} with green at {} %; {} proxies", if s.cp_up { "up" } else { "down" }, s.desired_version, s.desired_green, s.proxies.len())}>
            <g class={cp_class}>
                <rect x={format!("{}", cx - 135.0)} y="4" width="270" height="58" rx="6" fill="var(--bg)" stroke={if s.cp_up { "var(--fg)" } else { "var(--c4)" }} stroke-width="1.5" />
                <text x={format!("{cx}")} y="26" text-anchor="middle" font-size="16" font-weight="600" fill={if s.cp_up { "var(--fg)" } else { "var(--c4)" }}>{ if s.cp_up { "Control plane" } else { "Control plane — DOWN" } }</text>
                <text x={format!("{cx}")} y="50" text-anchor="middle" font-size="14" fill="var(--muted)">{ format!("wants v{}: blue {} / green {}", s.desired_version, 100 - s.desired_green, s.desired_green) }</text>
            </g>
            <line x1="0" x2="420" y1="80" y2="80" stroke="var(--border)" stroke-dasharray="6 4" />
            <text x="2" y="76" font-size="12" fill="var(--muted)">{"control"}</text>
            <text x="2" y="94" font-size="12" fill="var(--muted)">{"data plane"}</text>
            { for s.proxies.iter().enumerate().map(|(i, pr)| {
                let x = slot * i as f64 + (slot - bw) / 2.0;
                let mx = x + bw / 2.0;
                let (stroke, dash, width) = if !s.cp_up {
                    ("var(--c4)", "3 3", "1")
                } else if pr.pending.is_some() {
                    ("var(--c3)", "", "2.5")
                } else {
                    ("var(--border)", "", "1")
                };
                let gw = f64::from(pr.green);
                let stale = pr.version < s.desired_version;
                html! { <g>
                    <line x1={format!("{cx}")} y1="62" x2={format!("{mx:.1}")} y2={format!("{py}")} stroke={stroke} stroke-dasharray={dash} stroke-width={width} />
                    <line x1={format!("{mx:.1}")} y1={format!("{}", py + ph)} x2={format!("{:.1}", blue.0 + blue.2 / 2.0)} y2={format!("{}", blue.1)} stroke="var(--c0)" stroke-opacity="0.7" stroke-width={format!("{:.1}", 0.4 + 4.0 * (100.0 - gw) / 100.0)} />
                    if pr.green > 0 {
                        <line x1={format!("{mx:.1}")} y1={format!("{}", py + ph)} x2={format!("{:.1}", green.0 + green.2 / 2.0)} y2={format!("{}", green.1)} stroke="var(--c2)" stroke-opacity="0.8" stroke-width={format!("{:.1}", 0.4 + 4.0 * gw / 100.0)} />
                    }
                    <rect x={format!("{x:.1}")} y={format!("{py}")} width={format!("{bw:.1}")} height={format!("{ph}")} rx="5" fill="var(--bg)" stroke={if stale { "var(--c1)" } else { "var(--fg)" }} stroke-width="1.2" />
                    <text x={format!("{mx:.1}")} y={format!("{}", py + 20.0)} text-anchor="middle" font-size={pf.to_string()} font-weight="600" fill="var(--fg)">{ format!("v{}", pr.version) }</text>
                    <text x={format!("{mx:.1}")} y={format!("{}", py + 39.0)} text-anchor="middle" font-size={pf.to_string()} fill="var(--muted)">{ format!("{}/{}", 100 - pr.green, pr.green) }</text>
                </g> }
            }) }
            <rect x={format!("{}", blue.0)} y={format!("{}", blue.1)} width={format!("{}", blue.2)} height={format!("{}", blue.3)} rx="6" fill="var(--c0)" fill-opacity="0.15" stroke="var(--c0)" stroke-width="1.5" />
            <text x={format!("{}", blue.0 + blue.2 / 2.0)} y={format!("{}", blue.1 + 25.0)} text-anchor="middle" font-size="14" fill="var(--fg)">{"service_blue (stable)"}</text>
            <rect x={format!("{}", green.0)} y={format!("{}", green.1)} width={format!("{}", green.2)} height={format!("{}", green.3)} rx="6" fill={if s.green_bad { "var(--c4)" } else { "var(--c2)" }} fill-opacity="0.15" stroke={if s.green_bad { "var(--c4)" } else { "var(--c2)" }} stroke-width="1.5" />
            <text x={format!("{}", green.0 + green.2 / 2.0)} y={format!("{}", green.1 + 25.0)} text-anchor="middle" font-size="14" fill="var(--fg)">{ if s.green_bad { "service_green — failing" } else { "service_green (canary)" } }</text>
        </svg>
    }
}
