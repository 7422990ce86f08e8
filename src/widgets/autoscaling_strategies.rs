//! View of `autoscaling-strategies` (book page 23): one seeded day served by a reactive, a
//! scheduled and a predictive autoscaler — cost against late requests, demand against capacity
//! over the day, the book's table beside the measurements, and the three fleets played live.

use crate::chrome::chart::{Chart, ChartSpec, Kind, Mark, Series};
use crate::chrome::host::{use_from_report, use_report, WidgetCtx};
use crate::chrome::metrics::{metric, notes, pct, sig3, Tone};
use crate::chrome::player::use_live_sim_at;
use sim::models::autoscaling_strategies::{
    DaySim, DaySnapshot, FleetReport, Params, Report, DAY_MIN, STRATEGIES,
};
use std::rc::Rc;
use yew::prelude::*;

/// Props of [`View`].
#[derive(Properties, PartialEq)]
pub struct Props {
    /// From the host.
    pub ctx: WidgetCtx,
}

/// Short name of a strategy key.
fn name(key: &str) -> &'static str {
    match key {
        "reactive" => "Reactive",
        "scheduled" => "Scheduled",
        _ => "Predictive",
    }
}

/// Palette index of a strategy key (the same colour in every chart and drawing).
fn colour(key: &str) -> usize {
    match key {
        "reactive" => 0,
        "scheduled" => 1,
        _ => 2,
    }
}

fn response(f: &FleetReport, spike: bool) -> String {
    if !spike {
        return "no spike".into();
    }
    match f.spike_response_min {
        Some(0) => "absorbed".into(),
        Some(m) => format!("{m} min"),
        None => "never".into(),
    }
}

/// A knob value: whole numbers without decimals, others to three significant figures.
fn num(x: f64) -> String {
    if x.fract() == 0.0 && x.abs() < 1e6 {
        format!("{x:.0}")
    } else {
        sig3(x)
    }
}

fn hhmm(minute: u32) -> String {
    format!("{:02}:{:02}", (minute / 60) % 24, minute % 60)
}

/// The book's claims, by strategy key: (response time, stability, cost).
fn book(key: &str) -> (&'static str, &'static str, &'static str) {
    match key {
        "reactive" => ("slow (minutes)", "good", "low"),
        "scheduled" => ("instant", "high", "medium"),
        _ => ("fast (seconds)", "medium", "medium"),
    }
}

/// The autoscaling-strategies widget.
#[component]
pub fn View(props: &Props) -> Html {
    let ctx = &props.ctx;
    let p: Params = ctx.params();
    let report = use_report::<Report>(ctx);
    let charts = use_from_report(&report, {
        let p = p.clone();
        move |r| (cost_chart(r, &p), day_chart(r, &p))
    });
    let Some(r) = report else {
        return html! { <p class="muted">{"Computing…"}</p> };
    };
    let spike = p.spike_pct > 0.0;
    let (s0, s1) = r.spike_window;
    let best_late = r
        .fleets
        .iter()
        .map(|f| f.late_fraction)
        .fold(f64::MAX, f64::min);
    let cheapest = r
        .fleets
        .iter()
        .map(|f| f.instance_hours)
        .fold(f64::MAX, f64::min);
    html! {
        <>
        <p class="callout">
            { format!("One day: demand follows a daily curve peaking at {} req/s at 14:00", num(p.peak_rate)) }
            { if spike { format!(", with an unannounced +{} % flash crowd {}–{}. ", num(p.spike_pct), hhmm(s0), hhmm(s1)) } else { ". ".into() } }
            { format!("Instances serve {} req/s each and take {} min to start. A request is late past {} ms.", num(p.capacity), p.startup_min, num(p.slo_ms)) }
        </p>
        <dl class="metrics as2-three">
            { for r.fleets.iter().map(|f| metric(&format!("late_{}", f.key), &format!("{}: late", name(&f.key)), pct(f.late_fraction, 2),
                Some(format!("{} requests over the SLO", sig3(f.late))), if f.late_fraction <= best_late { Tone::Good } else { Tone::Plain })) }
            { for r.fleets.iter().map(|f| metric(&format!("cost_{}", f.key), &format!("{}: cost", name(&f.key)), format!("{:.1} inst·h", f.instance_hours),
                Some(format!("{:.2}× the ideal", f.cost_vs_ideal)), if f.instance_hours <= cheapest { Tone::Good } else { Tone::Plain })) }
            { for r.fleets.iter().map(|f| metric(&format!("response_{}", f.key), &format!("{}: spike answered", name(&f.key)), response(f, spike),
                Some(format!("{} scaling actions", f.actions)), if spike && f.spike_response_min.is_none() { Tone::Bad } else { Tone::Plain })) }
        </dl>
        if let Some((cost, day)) = (*charts).clone() {
            <div class="grid2">
                <Chart spec={cost} height={260} caption={format!("Cost against quality: each line is one strategy sized for 40–90 % utilisation; dots are this run ({} %)", num(p.target_util))} />
                <Chart spec={day} height={260} caption={format!("Demand and the {} fleet's ready capacity over the day", name(&p.strategy).to_ascii_lowercase())} />
            </div>
        }
        <div class="table-wrap">
            <table class="data as2-table" aria-label="The book's table against the measurements">
                <thead>
                    <tr><th>{"strategy"}</th><th>{"response: book → spike answered"}</th><th>{"stability: book → scaling actions"}</th><th>{"cost: book → instance-hours"}</th><th>{"late"}</th><th>{"short min"}</th></tr>
                </thead>
                <tbody>
                    { for r.fleets.iter().map(|f| {
                        let (br, bs, bc) = book(&f.key);
                        html! { <tr class={classes!((f.key == p.strategy).then_some("as2-sel"))}>
                            <th scope="row">{ name(&f.key) }</th>
                            <td><span class="as2-book">{ br }</span>{" → "}<strong>{ response(f, spike) }</strong></td>
                            <td><span class="as2-book">{ bs }</span>{" → "}<strong>{ f.actions }</strong></td>
                            <td><span class="as2-book">{ bc }</span>{" → "}<strong>{ format!("{:.1}", f.instance_hours) }</strong>{ format!(" ({:.2}×)", f.cost_vs_ideal) }</td>
                            <td>{ pct(f.late_fraction, 2) }</td><td>{ f.short_minutes }</td>
                        </tr> }
                    }) }
                    <tr class="as2-ml"><th scope="row">{"ML-based"}</th><td colspan="5">{"book: fast, low–med stability, high cost. Not modelled; set the forecast to “oracle” to see the best any forecaster could do."}</td></tr>
                </tbody>
            </table>
        </div>
        <p class="as2-key">{ format!("Ideal fleet (exactly what each minute needs at {} % utilisation, no start-up delay): {:.1} instance-hours. Scheduled plan by hour: {}.", num(p.target_util), r.ideal_instance_hours, r.schedule.iter().map(|n| n.to_string()).collect::<Vec<_>>().join(" ")) }</p>
        { notes(&r.notes) }
        <LiveDay params={p.clone()} seed={ctx.seed} id={ctx.id.clone()} />
        <section class="explain">
            <h3>{"What you are looking at"}</h3>
            <p>{"Three autoscalers run the same day of traffic. Demand rises and falls with the clock, wobbles minute to minute, and at one moment jumps in a flash crowd nobody announced. Each fleet adds and removes instances by its own rule; a new instance only serves after its start-up delay, but is paid for from launch. Each minute the fleet is judged as an M/M/c queue (each ready instance one server whose mean service time is 1 ÷ its capacity): when demand reaches capacity the minute is short and every request in it (and those stuck behind the backlog) is late; otherwise only the queueing tail beyond the SLO is."}</p>
            <p>{"Reactive looks at the last minute's utilisation and scales out above one threshold, in below another, then waits out a cooldown. Scheduled follows an hourly plan sized from the expected curve, launched early so each hour's fleet is ready on time. Predictive sizes the fleet one start-up delay ahead from a forecast — Holt's linear trend (α = 0.5, β = 0.3) of the observed demand, yesterday's same minute, or an oracle that knows the future — plus headroom."}</p>
            <h3>{"Try this"}</h3>
            <p>
                { ctx.try_this("The default day", &[("spike_pct", "100"), ("startup_min", "5"), ("forecast", "holt"), ("noise_pct", "5")]) }
                { ctx.try_this("Instant start-up", &[("startup_min", "0")]) }
                { ctx.try_this("Slow start-up: 15 min", &[("startup_min", "15")]) }
                { ctx.try_this("No spike", &[("spike_pct", "0")]) }
                { ctx.try_this("Perfect forecast", &[("forecast", "oracle"), ("strategy", "predictive")]) }
                { ctx.try_this("Forecast from yesterday", &[("forecast", "yesterday"), ("strategy", "predictive")]) }
                { ctx.try_this("Long cooldown: 30 min", &[("cooldown_min", "30"), ("strategy", "reactive")]) }
                { ctx.try_this("Noisy day", &[("noise_pct", "20")]) }
            </p>
            <h3>{"What to notice"}</h3>
            <p>{"In the time chart the reactive fleet's capacity steps up only after demand has crossed it: one minute to notice plus the start-up delay. The scheduled fleet follows the expected curve perfectly and does not move at all for the spike. The Holt forecast follows every wobble, so its fleet twitches one instance up and down all day, and after the spike's jump it briefly overshoots. Drag the start-up delay: reactive and predictive get worse with it, scheduled does not care."}</p>
            <h3>{"Where the book's table holds and where it fails"}</h3>
            <p>{"“Scheduled: instant” holds for the traffic it planned for — with no spike it is never short — and fails completely for the traffic it did not: it never answers the flash crowd. “Reactive: slow (minutes)” holds, and the minutes are measured: one plus the start-up delay. “Predictive: fast (seconds)” only holds for trends a forecaster can see; a flash crowd is unpredictable, so a trend forecast answers it no sooner than reactive, and only the oracle is early. On stability the table is reversed here: the threshold scaler acts least, the per-minute forecaster most. On cost the differences are a few percent of the ideal; what separates the strategies is the late requests, not the bill."}</p>
        </section>
        </>
    }
}

fn cost_chart(r: &Report, p: &Params) -> Rc<ChartSpec> {
    let mut series = Vec::new();
    let (mut lo, mut hi) = (f64::MAX, 0.0f64);
    for (key, _) in STRATEGIES {
        let pts: Vec<(f64, f64)> = r
            .frontier
            .iter()
            .filter(|f| f.key == *key)
            .map(|f| (f.instance_hours, f.late_pct))
            .collect();
        for &(_, y) in &pts {
            if y > 0.0 {
                lo = lo.min(y);
            }
            hi = hi.max(y);
        }
        series.push(Series::new(name(key), Kind::Line, colour(key), pts));
    }
    for f in &r.fleets {
        series.push(Series::new(
            format!(
                "{} at {} %",
                name(&f.key).to_ascii_lowercase(),
                num(p.target_util)
            ),
            Kind::Points,
            colour(&f.key),
            vec![(f.instance_hours, 100.0 * f.late_fraction)],
        ));
    }
    let y_log = lo > 0.0 && hi > 20.0 * lo;
    Rc::new(ChartSpec {
        title: "Instance-hours vs late requests".into(),
        x_label: "instance-hours".into(),
        y_label: "late (%)".into(),
        y_log,
        y_min: if y_log { None } else { Some(0.0) },
        series,
        marks: vec![Mark {
            x: r.ideal_instance_hours,
            label: "ideal".into(),
        }],
        ..Default::default()
    })
}

fn day_chart(r: &Report, p: &Params) -> Rc<ChartSpec> {
    let f = r.fleet(&p.strategy).or_else(|| r.fleets.first()).cloned();
    let demand: Vec<(f64, f64)> = r
        .demand
        .iter()
        .enumerate()
        .map(|(m, &x)| (m as f64 / 60.0, x))
        .collect();
    let expected: Vec<(f64, f64)> = r
        .expected
        .iter()
        .enumerate()
        .map(|(k, &x)| (k as f64 / 6.0, x))
        .collect();
    let mut series = vec![
        Series::new("demand", Kind::Line, 3, demand),
        Series::new("expected", Kind::Dashed, 5, expected),
    ];
    if let Some(f) = f {
        let cap: Vec<(f64, f64)> = f
            .ready
            .iter()
            .enumerate()
            .map(|(m, &n)| (m as f64 / 60.0, f64::from(n) * p.capacity))
            .collect();
        series.push(Series::new(
            format!("{} capacity", name(&f.key).to_ascii_lowercase()),
            Kind::Line,
            colour(&f.key),
            cap,
        ));
    }
    let mut marks = Vec::new();
    if p.spike_pct > 0.0 {
        marks.push(Mark {
            x: f64::from(r.spike_window.0) / 60.0,
            label: "spike".into(),
        });
    }
    Rc::new(ChartSpec {
        title: "Demand vs ready capacity".into(),
        x_label: "hour of day".into(),
        y_label: "req/s".into(),
        y_min: Some(0.0),
        series,
        marks,
        ..Default::default()
    })
}

type LiveProps = crate::chrome::player::LiveProps<Params>;

/// Simulated seconds per real second: 1 min/s, 10 min/s, 1 h/s, 4 h/s.
const SPEEDS: [f64; 4] = [60.0, 600.0, 3600.0, 14400.0];

/// The three fleets played live, minute by minute, from the same seed.
#[component]
fn LiveDay(props: &LiveProps) -> Html {
    let LiveProps { params, seed, id } = props;
    fn make((p, seed): &(Params, u64)) -> DaySim {
        DaySim::new(p, *seed)
    }
    // the view's clock is in simulated seconds; the day advances a minute whenever it passes one
    let live = use_live_sim_at(
        (params.clone(), *seed),
        make,
        |s: &DaySim, _| s.snapshot(),
        600.0,
        |_| f64::from(DAY_MIN) * 60.0,
    );
    let (s0, _) = live.with(|s| s.params().spike_window());
    let skip = (params.spike_pct > 0.0).then(|| {
        let target_min = s0.saturating_sub(3);
        let target = f64::from(target_min) * 60.0;
        let cb = live.seek().reform(move |_: MouseEvent| (target, SPEEDS[0]));
        html! { <button type="button" class="as2-skip" onclick={cb}>{ format!("Skip to {} (just before the spike), 1 min/s", hhmm(target_min)) }</button> }
    });
    let s: &DaySnapshot = &live.snap;
    let clock_min = s.minute;
    let scale = 1.15 * live.with(DaySim::peak_demand);
    html! {
        <section class="live" aria-label="The day, live">
            <h3>{"The three fleets, live"}</h3>
            { live.player(SPEEDS.to_vec(), format!("{} · minute {} of {} · demand {} req/s{}", hhmm(clock_min), clock_min, DAY_MIN, sig3(s.demand), if s.spike_on { " · SPIKE" } else { "" }), id.clone()) }
            if let Some(b) = skip { <p class="as2-tools">{ b }</p> }
            { fleets_svg(s, params, scale) }
            <p class="as2-key">{"Filled: ready instances · outlined: starting (paid, not serving) · bar: ready capacity, with demand marked by the line."}</p>
        </section>
    }
}

/// One row per fleet: its name, its state in words, its instances as boxes, then its ready
/// capacity as a bar with the minute's demand marked.
fn fleets_svg(s: &DaySnapshot, p: &Params, scale: f64) -> Html {
    const W: f64 = 360.0;
    const ROW: f64 = 78.0;
    const BOXES: u32 = 24;
    // a fixed scale for the whole day: a little above its highest demand
    let top_cap = scale.max(1.0);
    let h = ROW * STRATEGIES.len() as f64;
    let label = s
        .fleets
        .iter()
        .map(|f| {
            format!(
                "{}: {} ready, {} starting",
                name(&f.key),
                f.ready,
                f.starting
            )
        })
        .collect::<Vec<_>>()
        .join("; ");
    html! {
        <svg class="drawing as2-fleets" viewBox={format!("0 0 {W} {h}")} role="img" aria-label={label}>
            { for s.fleets.iter().enumerate().map(|(i, f)| {
                let y = i as f64 * ROW + 2.0;
                let c = format!("var(--c{})", colour(&f.key));
                let total = f.ready + f.starting;
                // one box per instance up to BOXES, else one box per ⌈n/BOXES⌉ instances
                let per = total.div_ceil(BOXES).max(1);
                let ready_boxes = f.ready.div_ceil(per);
                let start_boxes = total.div_ceil(per).saturating_sub(ready_boxes);
                let cap = f64::from(f.ready) * p.capacity;
                let bar_w = W - 8.0;
                let cap_w = bar_w * (cap / top_cap).min(1.0);
                let dem_x = 4.0 + bar_w * (s.demand / top_cap).min(1.0);
                let short = s.minute > 0 && s.demand >= cap;
                html! {
                    <g>
                        <text x="4" y={format!("{:.0}", y + 13.0)} font-size="14" font-weight="600" fill="var(--fg)">{ name(&f.key) }</text>
                        <text x={format!("{}", W - 4.0)} y={format!("{:.0}", y + 13.0)} font-size="12.5" text-anchor="end" fill={if short { "var(--bad)" } else { "var(--muted)" }}>
                            { if short { format!("SHORT · util {}", pct(f.utilisation, 0)) } else { format!("util {}", pct(f.utilisation, 0)) } }
                        </text>
                        <text x="4" y={format!("{:.0}", y + 30.0)} font-size="12" fill="var(--muted)">
                            { format!("{} ready · {} starting · late {} · {:.1} inst·h{}", f.ready, f.starting, sig3(f.late), f.instance_hours, if per > 1 { format!(" · box = {per}") } else { String::new() }) }
                        </text>
                        { for (0..ready_boxes + start_boxes).map(|k| {
                            let x = 4.0 + f64::from(k) * 14.8;
                            let ready = k < ready_boxes;
                            html! { <rect x={format!("{x:.1}")} y={format!("{:.0}", y + 37.0)} width="12" height="12" rx="2"
                                fill={if ready { c.clone() } else { "none".into() }} stroke={c.clone()} stroke-width="1.2"
                                stroke-dasharray={(!ready).then_some("2 2")} /> }
                        }) }
                        <rect x="4" y={format!("{:.0}", y + 55.0)} width={format!("{bar_w:.1}")} height="12" rx="3" fill="var(--bg)" stroke="var(--border)" />
                        <rect x="4" y={format!("{:.0}", y + 55.0)} width={format!("{:.1}", cap_w.max(0.0))} height="12" rx="3" fill={c.clone()} opacity="0.55" />
                        if s.minute > 0 {
                            <line x1={format!("{dem_x:.1}")} x2={format!("{dem_x:.1}")} y1={format!("{:.0}", y + 51.0)} y2={format!("{:.0}", y + 71.0)} stroke={if short { "var(--bad)" } else { "var(--fg)" }} stroke-width="2.5" />
                        }
                    </g>
                }
            }) }
        </svg>
    }
}
