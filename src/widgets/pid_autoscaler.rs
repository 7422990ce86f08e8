//! View of `pid-autoscaler` (book page 32): a feedback loop holding CPU at a target, the book's
//! controller as printed beside a corrected PID and a threshold rule, and the loop played live.

use crate::chrome::chart::{Chart, ChartSpec, Kind, Mark, Series};
use crate::chrome::host::{use_from_report, use_report, WidgetCtx};
use crate::chrome::metrics::{int, metric, notes, pct, sig3, Tone};
use crate::chrome::player::use_live_sim;
use sim::models::pid_autoscaler::{
    Kind as Ctrl, Loop, Outcome, Params, Report, Snapshot, BAND, CONTROLLERS, SLO_CPU,
};
use std::rc::Rc;
use yew::prelude::*;

/// Props of [`View`].
#[derive(Properties, PartialEq)]
pub struct Props {
    /// From the host.
    pub ctx: WidgetCtx,
}

fn label(key: &str) -> &'static str {
    CONTROLLERS
        .iter()
        .find(|c| c.0 == key)
        .map(|c| c.1)
        .unwrap_or("")
}

/// Category names short enough for a phone-width bar chart.
fn short(key: &str) -> &'static str {
    match key {
        "pid" => "PID",
        "book" => "book",
        "book_fixed_sign" => "book, sign fixed",
        _ => "threshold",
    }
}

fn minutes(x: Option<f64>) -> String {
    x.map(|m| format!("{} min", sig3(m)))
        .unwrap_or_else(|| "never".into())
}

/// The PID-autoscaler widget.
#[component]
pub fn View(props: &Props) -> Html {
    let ctx = &props.ctx;
    let p: Params = ctx.params();
    let report = use_report::<Report>(ctx);
    let charts = use_from_report(&report, |r| (cpu_chart(r), fleet_chart(r), cost_chart(r)));
    let Some(r) = report else {
        return html! { <p class="muted">{"Computing…"}</p> };
    };
    let o = &r.outcomes[r.shown as usize];
    let settled = o.settling_min.is_some();
    html! {
        <>
        <p class="callout">
            { format!("{}: holding CPU at {} against a {} of the load at minute {}: ", label(&r.controller), pct(r.target_cpu / 100.0, 0), p.scenario, r.disturbance_min) }
            <strong>{ format!("{} → {} instances", r.initial_instances, o.final_instances) }</strong>
            { format!(" (the new load needs {}).", r.needed_final) }
        </p>
        <dl class="metrics">
            { metric("overshoot", "Peak CPU above target", format!("{} pts", sig3(o.overshoot_pp)), Some(format!("dip below target after: {} pts", sig3(o.undershoot_pp))), Tone::Plain) }
            { metric("settling", "Settling time (±5 %)", minutes(o.settling_min), Some(format!("from minute {}", r.disturbance_min)), if settled { Tone::Good } else { Tone::Bad }) }
            { metric("steady_error", "Steady-state error", format!("{} pts", sig3(o.steady_error_pp)), Some("mean CPU − target, last fifth".into()), if o.steady_error_pp.abs() < BAND * r.target_cpu { Tone::Good } else { Tone::Bad }) }
            { metric("oscillation", "Oscillation: swings across the ±5 % band", int(u64::from(o.band_crossings)), Some(format!("the fleet changed direction {} times", o.reversals)), if o.band_crossings >= 3 { Tone::Bad } else { Tone::Plain }) }
            { metric("instance_minutes", "Cost", format!("{} inst·min", int(o.instance_minutes.round() as u64)), Some(format!("a perfect scaler: {}", int(r.ideal_instance_minutes.round() as u64))), Tone::Plain) }
            { metric("above_slo", "Minutes above 90 % CPU", format!("{} min", sig3(o.minutes_above_slo)), Some(format!("{} of requests dropped", pct(o.dropped_fraction, 2))), if o.minutes_above_slo > 0.0 { Tone::Bad } else { Tone::Good }) }
        </dl>
        if let Some((cpu, fleet, cost)) = (*charts).clone() {
            <Chart spec={cpu} height={240} caption="CPU utilisation over time for the controller shown, with the target and its ±5 % band" />
            <Chart spec={fleet} height={240} caption="Desired and ready instances over time, with the instances the load needs at the target" />
            <div class="table-wrap">
                <table class="data pid-table" aria-label="Controllers compared">
                    <thead><tr>
                        <th>{"controller"}</th><th>{"peak above"}</th><th>{"dip below"}</th><th>{"settles in"}</th><th>{"steady error"}</th>
                        <th>{"band swings"}</th><th>{"inst·min"}</th><th>{"min > 90 %"}</th><th>{"dropped"}</th><th>{"final"}</th>
                    </tr></thead>
                    <tbody>
                        { for r.outcomes.iter().map(|x| row(x, x.controller == r.controller)) }
                    </tbody>
                </table>
            </div>
            <Chart spec={cost} height={200} caption="Cost and time above 90 % CPU of each controller on the same load" />
        }
        { notes(&r.notes) }
        <LiveLoop params={p.clone()} seed={ctx.seed} id={ctx.id.clone()} />
        <section class="explain">
            <h3>{"What you are looking at"}</h3>
            <p>{"Once per control interval (30 s by default, as in the book's loop) the loop reads the fleet's CPU, a controller decides how many instances it wants, and new ones take traffic only after their start-up delay. CPU is load ÷ (ready instances × capacity), capped at 100 %: past that, requests are dropped. The same noisy load is played against four controllers: a corrected PID (error = CPU − target, integral with anti-windup, derivative on the measurement, output = instance count), the book's class and loop exactly as printed, the book's code with only its sign fixed, and a threshold rule that adds or removes one instance at a time."}</p>
            <h3>{"Try this"}</h3>
            <p>
                { ctx.try_this("The book's gains", &[("controller", "pid"), ("kp", "2"), ("ki", "0.5"), ("kd", "0.1"), ("target_cpu", "70"), ("anti_windup", "true"), ("scenario", "step"), ("startup_s", "90")]) }
                { ctx.try_this("The book's code, as printed", &[("controller", "book")]) }
                { ctx.try_this("Wind-up: long spike, anti-windup off", &[("controller", "pid"), ("scenario", "spike"), ("load_change_pct", "300"), ("spike_min", "30"), ("max_instances", "60"), ("anti_windup", "false")]) }
                { ctx.try_this("…and on", &[("controller", "pid"), ("scenario", "spike"), ("load_change_pct", "300"), ("spike_min", "30"), ("max_instances", "60"), ("anti_windup", "true")]) }
                { ctx.try_this("Dead time: 10 min start-up", &[("controller", "pid"), ("startup_s", "600"), ("noise_pct", "0")]) }
                { ctx.try_this("P only: an error that stays", &[("controller", "pid"), ("ki", "0"), ("kd", "0"), ("startup_s", "0"), ("noise_pct", "0")]) }
                { ctx.try_this("Threshold rule", &[("controller", "threshold")]) }
            </p>
            <h3>{"What to notice"}</h3>
            <p>{"With Ki = 0 the corrected PID stops short of the target: it needs a lasting error to keep the extra instances. Integral action removes that error, up to what whole instances allow. A long start-up delay lets the integral keep adding instances that are still booting, so the fleet overshoots and CPU dives below target before coming back: the dead time, not the gains alone, sets how hard you can push (feedback-control texts such as Åström & Murray, Feedback Systems, ch. 10–11, treat both dead time and integrator windup). When the fleet hits its maximum during a long spike, an unguarded integral keeps counting; after the spike it must unwind before the fleet shrinks, and you pay for the idle instances."}</p>
            <h3>{"Where the book's controller holds and where it fails"}</h3>
            <p>{"The diagram is right: a feedback loop with P, I and D terms is the standard way to hold a measured value at a set point. The code is not. Its error is setpoint − measured, so a hot fleet yields a negative output and is scaled down: under the default step it shrinks to the minimum and drops most requests (see the table). With the sign fixed it works, but it adds its whole PID output to the fleet every interval, so the proportional term behaves like a second integral and the fleet over-corrects. int(output / 10) truncates: outputs under 10 do nothing. And its integral is never bounded."}</p>
        </section>
        </>
    }
}

fn row(o: &Outcome, shown: bool) -> Html {
    html! {
        <tr class={classes!(shown.then_some("pid-sel"))}>
            <td>{ label(&o.controller) }</td>
            <td>{ sig3(o.overshoot_pp) }</td>
            <td>{ sig3(o.undershoot_pp) }</td>
            <td>{ minutes(o.settling_min) }</td>
            <td>{ sig3(o.steady_error_pp) }</td>
            <td>{ o.band_crossings }</td>
            <td>{ int(o.instance_minutes.round() as u64) }</td>
            <td>{ sig3(o.minutes_above_slo) }</td>
            <td>{ pct(o.dropped_fraction, 1) }</td>
            <td>{ o.final_instances }</td>
        </tr>
    }
}

fn zip(t: &[f64], y: &[f64]) -> Vec<(f64, f64)> {
    t.iter().copied().zip(y.iter().copied()).collect()
}

fn cpu_chart(r: &Report) -> Rc<ChartSpec> {
    let s = &r.series;
    let (x0, x1) = (0.0, s.t_min.last().copied().unwrap_or(1.0));
    let flat = |y: f64| vec![(x0, y), (x1, y)];
    let band = r.target_cpu * BAND;
    Rc::new(ChartSpec {
        title: "CPU vs time".into(),
        x_label: "minutes".into(),
        y_label: "CPU %".into(),
        y_min: Some(0.0),
        series: vec![
            Series::new("CPU", Kind::Line, 0, zip(&s.t_min, &s.cpu)),
            Series::new("target", Kind::Dashed, 2, flat(r.target_cpu)),
            Series::new("target + 5 %", Kind::Dashed, 5, flat(r.target_cpu + band)),
            Series::new("target − 5 %", Kind::Dashed, 5, flat(r.target_cpu - band)),
            Series::new("90 % (SLO)", Kind::Dashed, 1, flat(SLO_CPU)),
        ],
        marks: vec![Mark {
            x: r.disturbance_min,
            label: "load changes".into(),
        }],
        ..Default::default()
    })
}

fn fleet_chart(r: &Report) -> Rc<ChartSpec> {
    let s = &r.series;
    Rc::new(ChartSpec {
        title: "Instances vs time".into(),
        x_label: "minutes".into(),
        y_label: "instances".into(),
        y_min: Some(0.0),
        series: vec![
            Series::new("desired", Kind::Line, 3, zip(&s.t_min, &s.desired)),
            Series::new("ready", Kind::Line, 0, zip(&s.t_min, &s.ready)),
            Series::new(
                "needed at target",
                Kind::Dashed,
                5,
                zip(&s.t_min, &s.needed),
            ),
            Series::new("integral term", Kind::Dashed, 1, zip(&s.t_min, &s.integral)),
        ],
        marks: vec![Mark {
            x: r.disturbance_min,
            label: "load changes".into(),
        }],
        ..Default::default()
    })
}

fn cost_chart(r: &Report) -> Rc<ChartSpec> {
    let pts = |f: fn(&Outcome) -> f64| -> Vec<(f64, f64)> {
        r.outcomes
            .iter()
            .enumerate()
            .map(|(i, o)| (i as f64, f(o)))
            .collect()
    };
    Rc::new(ChartSpec {
        title: "Controllers compared".into(),
        x_label: "controller".into(),
        y_label: "instance-hours".into(),
        y_min: Some(0.0),
        categories: r
            .outcomes
            .iter()
            .map(|o| short(&o.controller).into())
            .collect(),
        series: vec![Series::new(
            "instance-hours",
            Kind::Bars,
            0,
            pts(|o| o.instance_minutes / 60.0),
        )],
        ..Default::default()
    })
}

type LiveProps = crate::chrome::player::LiveProps<Params>;

fn make(d: &(Params, u64)) -> Loop {
    Loop::new(&d.0, Ctrl::from_key(&d.0.controller), d.1)
}

/// The loop of the controller shown, tick by tick from the same seed.
#[component]
fn LiveLoop(props: &LiveProps) -> Html {
    let LiveProps { params, seed, id } = props;
    let live = use_live_sim((params.clone(), *seed), make, Loop::snapshot, 30.0);
    let s: &Snapshot = &live.snap;
    let spike = live.poke(|l: &mut Loop, now: f64, _: MouseEvent| l.spike(now));
    html! {
        <section class="live" aria-label="Live loop">
            <h3>{ format!("The loop, live: {}", label(&params.controller)) }</h3>
            { live.player(vec![10.0, 30.0, 120.0, 600.0], format!("t = {:.1} min · load {} req/s", s.t / 60.0, int(s.load.round() as u64)), id.clone()) }
            <p><button type="button" onclick={spike}>{ format!("Spike now (+{} % for {} min)", sig3(params.load_change_pct), sig3(params.spike_min)) }</button></p>
            { fleet_svg(s, params) }
            <dl class="metrics">
                { metric("live_cpu", "CPU", pct(s.cpu / 100.0, 1), Some(format!("target {}", pct(params.target_cpu / 100.0, 0))), if s.cpu > SLO_CPU { Tone::Bad } else { Tone::Plain }) }
                { metric("live_ready", "Ready / desired", format!("{} / {}", s.ready, s.desired), Some(format!("{} starting", s.desired.saturating_sub(s.ready))), Tone::Plain) }
                { metric("live_integral", "Integral term", format!("{} inst", sig3(s.integral)), Some(if s.spiking { "spike running".into() } else { format!("output {}", sig3(s.output)) }), Tone::Plain) }
            </dl>
        </section>
    }
}

/// A CPU gauge, then the fleet as boxes: ready filled, starting ones filling up.
fn fleet_svg(s: &Snapshot, p: &Params) -> Html {
    let cols = 20u32;
    let shown = (s.ready + s.pending.len() as u32).min(200);
    let rows = shown.div_ceil(cols).max(1);
    let cell = 14.0;
    let top = 34.0;
    let h = top + f64::from(rows) * cell + 4.0;
    let w = f64::from(cols) * cell;
    let gauge = (s.cpu / 100.0).clamp(0.0, 1.0) * w;
    let tx = p.target_cpu / 100.0 * w;
    html! {
        <svg class="drawing pid-fleet" viewBox={format!("0 0 {w} {h}")} role="img"
             aria-label={format!("CPU {:.0} %, {} instances ready, {} starting", s.cpu, s.ready, s.pending.len())}>
            <rect x="0" y="4" width={format!("{w}")} height="14" rx="3" fill="var(--bg)" stroke="var(--border)" />
            <rect x="0" y="4" width={format!("{gauge:.1}")} height="14" rx="3" fill={if s.cpu > SLO_CPU { "var(--c1)" } else { "var(--c0)" }} />
            <line x1={format!("{tx:.1}")} x2={format!("{tx:.1}")} y1="1" y2="21" stroke="var(--fg)" stroke-width="1.5" />
            <text x="2" y="30" font-size="8" fill="var(--muted)">{ format!("CPU {:.0} % · target {:.0} %", s.cpu, p.target_cpu) }</text>
            { for (0..shown).map(|i| {
                let (x, y) = (f64::from(i % cols) * cell, top + f64::from(i / cols) * cell);
                if i < s.ready {
                    html! { <rect x={format!("{:.0}", x + 1.0)} y={format!("{:.0}", y + 1.0)} width="12" height="12" rx="2" fill="var(--c0)" /> }
                } else {
                    let f = s.pending.get((i - s.ready) as usize).copied().unwrap_or(0.0);
                    html! { <g>
                        <rect x={format!("{:.0}", x + 1.0)} y={format!("{:.0}", y + 1.0)} width="12" height="12" rx="2" fill="none" stroke="var(--c3)" />
                        <rect x={format!("{:.0}", x + 1.0)} y={format!("{:.1}", y + 13.0 - 12.0 * f)} width="12" height={format!("{:.1}", 12.0 * f)} fill="var(--c3)" opacity="0.5" />
                    </g> }
                }
            }) }
        </svg>
    }
}
