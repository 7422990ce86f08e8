//! View of `sharding-journey` (book page 25): a timeline of five stages of one data layer, the
//! selected stage's databases drawn with their load, a table comparing all five, and charts of
//! keys moved on growth and of stale reads.

use crate::chrome::chart::{Chart, ChartSpec, Kind, Mark, Series};
use crate::chrome::host::{use_from_report, use_report, WidgetCtx};
use crate::chrome::metrics::{int, metric, ms, notes, pct, sig3, Tone};
use sim::models::sharding_journey::{Params, Report, StageRow};
use std::rc::Rc;
use yew::prelude::*;

/// Props of [`View`].
#[derive(Properties, PartialEq)]
pub struct Props {
    /// From the host.
    pub ctx: WidgetCtx,
}

/// The sharding-journey widget.
#[component]
pub fn View(props: &Props) -> Html {
    let ctx = &props.ctx;
    let p: Params = ctx.params();
    let report = use_report::<Report>(ctx);
    let charts = use_from_report(&report, {
        let (n, t) = (p.shards, p.read_after_ms);
        move |r| (moved_chart(r, n), busiest_chart(r), stale_chart(r, t))
    });
    let Some(r) = report else {
        return html! { <p class="muted">{"Running the workload…"}</p> };
    };
    let Some((moved, busiest, stale)) = (*charts).clone() else {
        return html! {};
    };
    let Some(s) = r.stages.iter().find(|s| s.key == r.stage).cloned() else {
        return html! {};
    };
    let fair = 1.0 / f64::from(s.dbs.max(1));
    let grow = format!("{} → {}", p.shards, p.shards + p.added);
    html! {
        <>
        <ol class="sj-timeline" aria-label="The journey, stage by stage">
            { for r.stages.iter().map(|st| {
                let on = st.key == r.stage;
                let kv = vec![("stage".to_string(), st.key.clone())];
                html! {
                    <li class={classes!("sj-step", on.then_some("on"))} aria-current={on.then_some("step")}>
                        <button type="button" class="sj-pick" aria-pressed={on.to_string()} onclick={ctx.set.reform(move |_: MouseEvent| kv.clone())}>
                            <span class="sj-year">{ st.year }</span>
                            <span class="sj-title">{ &st.title }</span>
                        </button>
                        <span class="sj-problem">{ &st.problem }</span>
                        <a class="sj-link" href={st.link.clone()}>{"open in the state-strategies widget"}</a>
                    </li>
                }
            }) }
        </ol>
        <dl class="metrics">
            { metric("busiest_share", "Busiest database's share of load", pct(s.busiest_share, 1), Some(format!("{}× the fair share of {}", sig3(s.busiest_over_mean), pct(fair, 2))), if s.busiest_over_mean > 1.5 { Tone::Bad } else { Tone::Plain }) }
            { metric("cross", "Requests touching more than one database", pct(s.cross, 1), Some(if s.key == "eventual" { "denormalised: one partition per query".to_string() } else { format!("joins are {} of requests", pct(p.joins / 100.0, 0)) }), if s.cross > 0.2 { Tone::Bad } else { Tone::Plain }) }
            { match (s.moved, s.moved_theory) {
                (Some(m), Some(t)) => metric("moved", &format!("Keys moved when growing {grow}"), pct(m, 1), Some(format!("theory {}", pct(t, 1))), if m > 0.5 { Tone::Bad } else { Tone::Good }),
                _ => metric("moved", "Keys moved when growing", "—".into(), Some(if s.key == "single" { "no second node: only a bigger machine".into() } else { "a new database needs a new function to host".into() }), Tone::Plain),
            } }
            { metric("stale", &format!("Stale reads {} after a write", ms(Some(p.read_after_ms))), pct(s.stale, 1), Some(if s.key == "eventual" { format!("theory {}; all {} replicas by {} (p99)", pct(r.stale.theory, 1), r.stale.replicas, ms(Some(r.stale.window_p99_ms))) } else { "reads go to the shard's primary".into() }), if s.stale > 0.0 { Tone::Bad } else { Tone::Good }) }
        </dl>
        <figure class="fig">
            <figcaption>{ format!("{} ({}): load on each database, dashed line = fair share", s.title, s.year) }</figcaption>
            { dbs_svg(&r, &s) }
        </figure>
        { notes(&r.notes) }
        <p class="sj-caption" id="sj-table-caption">{ format!("All five stages on the same {} requests", int(u64::from(r.requests))) }</p>
        <div class="table-wrap">
            <table class="data sj-table" data-testid="stages" aria-labelledby="sj-table-caption">
                <thead><tr>
                    <th scope="col">{"Stage"}</th><th scope="col">{"DBs"}</th><th scope="col">{"Busiest"}</th><th scope="col">{"× fair"}</th>
                    <th scope="col">{"Cross-DB"}</th><th scope="col">{ format!("Moved {grow}") }</th><th scope="col">{"Stale"}</th>
                </tr></thead>
                <tbody>
                    { for r.stages.iter().map(|st| html! {
                        <tr class={classes!((st.key == r.stage).then_some("sj-sel"))}>
                            <th scope="row">{ format!("{} {}", st.year, st.title) }</th>
                            <td data-label="DBs">{ st.dbs }</td>
                            <td data-label="Busiest">{ pct(st.busiest_share, 1) }</td>
                            <td data-label="× fair">{ format!("{}×", sig3(st.busiest_over_mean)) }</td>
                            <td data-label="Cross-DB">{ pct(st.cross, 1) }</td>
                            <td data-label={format!("Moved {grow}")}>{ st.moved.map_or("—".to_string(), |m| pct(m, 1)) }</td>
                            <td data-label="Stale">{ pct(st.stale, 1) }</td>
                        </tr>
                    }) }
                </tbody>
            </table>
        </div>
        <div class="grid2">
            <Chart spec={moved} height={260} caption="fraction of keys moved when nodes are added, against the number of databases, measured and in theory" />
            <Chart spec={busiest} height={260} caption="busiest database's load against the fair share, per stage" />
        </div>
        if r.stage == "eventual" {
            <Chart spec={stale} height={240} caption="chance a read from one replica is stale, against time since the write" />
        }
        <section class="explain">
            <h3>{"What you are looking at"}</h3>
            <p>{"The book's page 25 tells how Reddit's data layer grew: one PostgreSQL server until its CPU ran out, then users, posts and comments on separate servers, then users spread by user_id mod 16 and posts by community, then 1000 virtual shards mapped onto 16 machines, and finally Cassandra, eventually consistent and spread over regions. Here one seeded workload — users and communities with Zipf-skewed activity, some requests needing both — runs against all five layouts, and each stage's cost is measured instead of told."}</p>
            <h3>{"Try this"}</h3>
            <p>
                { ctx.try_this("The book's user_id % 16", &[("stage", "modulo"), ("shards", "16"), ("added", "1")]) }
                { ctx.try_this("Grow 16 → 32 by mod", &[("stage", "modulo"), ("added", "16")]) }
                { ctx.try_this("Virtual shards, add one node", &[("stage", "virtual"), ("added", "1")]) }
                { ctx.try_this("No hot communities", &[("skew", "0")]) }
                { ctx.try_this("A very hot /r/funny", &[("skew", "1.6"), ("stage", "virtual")]) }
                { ctx.try_this("Join-heavy, functional split", &[("stage", "functional"), ("joins", "80")]) }
                { ctx.try_this("Slow replication", &[("stage", "eventual"), ("lag_ms", "200"), ("read_after_ms", "50")]) }
            </p>
            <h3>{"What to notice"}</h3>
            <p>{"Adding one database to user_id mod N re-homes N/(N+1) of the keys (16 → 17: 94 %), because almost every id's remainder changes; doubling moves exactly half. Virtual shards move only the shards handed to the new machine, about 1/(N+1). The functional split balances nothing — one table is one machine — and turns every join into a cross-database call. Denormalising for the eventual stage removes cross-partition reads, and pays with stale reads: a read from a random one of three replicas t ms after a write misses it with probability ⅔·e^(−t/lag)."}</p>
            <h3>{"Where the book holds, and where it does not"}</h3>
            <p>{ format!("The book names hot communities as the problem of the modulo stage, and measurement agrees: with Zipf s = {} the hottest of {} communities draws {} of community traffic, and the busiest shard carries {}× its fair share. But virtual shards do not cure it, as the story might suggest: balancing whole shards by load gets the busiest database to {}× here, and no mapping can split one community — only splitting the key itself (see the hot-shard widget, page 22) or caching does. What virtual shards fix is growth: {} of keys moved instead of {}.",
                sig3(p.skew), int(u64::from(p.subreddits)), pct(r.top_sub_share, 1),
                sig3(r.stages[2].busiest_over_mean), sig3(r.stages[3].busiest_over_mean),
                r.stages[3].moved.map_or("—".into(), |m| pct(m, 1)), r.stages[2].moved.map_or("—".into(), |m| pct(m, 1))) }</p>
        </section>
        </>
    }
}

fn dbs_svg(r: &Report, s: &StageRow) -> Html {
    let n = r.nodes.len().max(1);
    let (w, h, top, base) = (340.0, 170.0, 14.0, 138.0);
    let gap = if n > 32 { 1.0 } else { 3.0 };
    let bw = ((w - 8.0) / n as f64 - gap).max(1.0);
    let max = r
        .nodes
        .iter()
        .map(|x| x.share)
        .fold(1.0 / n as f64, f64::max)
        .max(1e-9);
    let y = |share: f64| base - (base - top) * share / max;
    let busiest = r.nodes.iter().map(|x| x.share).fold(0.0, f64::max);
    let fair_y = y(1.0 / n as f64);
    let labels = n <= 16;
    // the share above each bar is the smallest text, and sets how far the drawing may shrink
    let share_font = if n <= 3 { 11.0 } else { 7.5 };
    html! {
        <div class={crate::chrome::dom::scroll_box(w, share_font)}>
        <svg class="drawing sj-dbs" viewBox={format!("0 0 {w} {h}")} role="img"
             aria-label={format!("{} databases; the busiest holds {} of the load", n, pct(s.busiest_share, 1))}>
            { for r.nodes.iter().enumerate().map(|(i, node)| {
                let x = 4.0 + i as f64 * (bw + gap);
                let yy = y(node.share);
                let hot = node.share >= busiest && n > 1;
                html! { <g>
                    <rect x={format!("{x:.1}")} y={format!("{yy:.1}")} width={format!("{bw:.1}")} height={format!("{:.1}", (base - yy).max(0.5))} rx="2"
                          fill={if hot { "var(--c4)" } else { "var(--c0)" }} />
                    <rect x={format!("{x:.1}")} y={format!("{:.1}", base + 3.0)} width={format!("{bw:.1}")} height="8" rx="2" fill="var(--border)" />
                    if labels {
                        <text x={format!("{:.1}", x + bw / 2.0)} y={format!("{:.1}", base + 24.0)} text-anchor="middle" font-size={if n <= 3 { "11" } else { "8.5" }} fill="var(--muted)">{ if n > 8 { i.to_string() } else { node.name.clone() } }</text>
                        <text x={format!("{:.1}", x + bw / 2.0)} y={format!("{:.1}", yy - 3.0)} text-anchor="middle" font-size={share_font.to_string()} fill="var(--fg)">{ format!("{:.0}", node.share * 100.0) }</text>
                    }
                </g> }
            }) }
            if n > 1 {
                <line x1="2" x2={format!("{:.1}", w - 2.0)} y1={format!("{fair_y:.1}")} y2={format!("{fair_y:.1}")} stroke="var(--fg)" stroke-dasharray="4 3" stroke-width="1" />
            }
            if !labels {
                <text x="4" y={format!("{:.1}", base + 24.0)} font-size="10" fill="var(--muted)">{ format!("db0 … db{} (busiest in red; bars in % of all load)", n - 1) }</text>
            }
        </svg>
        </div>
    }
}

fn moved_chart(r: &Report, n: u32) -> Rc<ChartSpec> {
    let pts = |f: &dyn Fn(&sim::models::sharding_journey::SweepPoint) -> f64| -> Vec<(f64, f64)> {
        r.sweep
            .iter()
            .map(|s| (f64::from(s.n), f(s) * 100.0))
            .collect()
    };
    Rc::new(ChartSpec {
        title: "Keys moved when databases are added".into(),
        x_label: "databases N before growth".into(),
        y_label: "% of keys moved".into(),
        x_log: true,
        y_min: Some(0.0),
        series: vec![
            Series::new("mod N, measured", Kind::Points, 4, pts(&|s| s.modulo)),
            Series::new("mod N, theory", Kind::Dashed, 4, pts(&|s| s.modulo_theory)),
            Series::new(
                "virtual shards, measured",
                Kind::Points,
                0,
                pts(&|s| s.virtual_shards),
            ),
            Series::new("minimum a/(N+a)", Kind::Dashed, 0, pts(&|s| s.minimal)),
        ],
        marks: vec![Mark {
            x: f64::from(n),
            label: "now".into(),
        }],
        ..Default::default()
    })
}

fn busiest_chart(r: &Report) -> Rc<ChartSpec> {
    let bars: Vec<(f64, f64)> = r
        .stages
        .iter()
        .enumerate()
        .map(|(i, s)| (i as f64, s.busiest_over_mean))
        .collect();
    let n = r.stages.len() as f64;
    Rc::new(ChartSpec {
        title: "Busiest database vs fair share".into(),
        x_label: "stage".into(),
        y_label: "busiest ÷ fair share".into(),
        y_min: Some(0.0),
        categories: r.stages.iter().map(|s| s.year.to_string()).collect(),
        series: vec![
            Series::new("busiest ÷ fair", Kind::Bars, 1, bars),
            Series::new("even", Kind::Dashed, 5, vec![(-0.5, 1.0), (n - 0.5, 1.0)]),
        ],
        ..Default::default()
    })
}

fn stale_chart(r: &Report, read_after: f64) -> Rc<ChartSpec> {
    let end = r.stale.curve.last().map_or(0.0, |c| c.0);
    Rc::new(ChartSpec {
        title: "Stale reads against time since the write".into(),
        x_label: "ms after the write".into(),
        y_label: "% of reads stale".into(),
        y_min: Some(0.0),
        series: vec![
            Series::new(
                "measured",
                Kind::Line,
                0,
                r.stale.curve.iter().map(|c| (c.0, c.1 * 100.0)).collect(),
            ),
            Series::new(
                "theory (RF−1)/RF·e^(−t/lag)",
                Kind::Dashed,
                5,
                r.stale.curve.iter().map(|c| (c.0, c.2 * 100.0)).collect(),
            ),
        ],
        marks: (read_after <= end)
            .then(|| Mark {
                x: read_after,
                label: "your read".into(),
            })
            .into_iter()
            .collect(),
        ..Default::default()
    })
}
