//! View of `consistent-hashing` (book page 25): the ring, per-node load, what a membership
//! change moves, and how load spread shrinks with virtual nodes.

use crate::chrome::chart::{Chart, ChartSpec, Kind, Mark, Series};
use crate::chrome::host::{use_from_report, use_report, WidgetCtx};
use crate::chrome::metrics::{int, metric, notes, pct, sig3, Tone};
use sim::models::consistent_hashing::{Params, Report};
use std::f64::consts::TAU;
use std::rc::Rc;
use yew::prelude::*;

/// Props of [`View`].
#[derive(Properties, PartialEq)]
pub struct Props {
    /// From the host.
    pub ctx: WidgetCtx,
}

/// A distinct colour per node (golden-angle hues), as a CSS colour.
fn node_colour(i: usize, dark: bool) -> String {
    let hue = (i as f64 * 137.508 + 215.0) % 360.0;
    format!("hsl({hue:.0} 70% {}%)", if dark { 62 } else { 45 })
}

fn placement_name(key: &str) -> &'static str {
    match key {
        "ring" => "the ring",
        "rendezvous" => "rendezvous hashing",
        "jump" => "jump hash",
        _ => "hash mod N",
    }
}

/// The consistent-hashing widget.
#[component]
pub fn View(props: &Props) -> Html {
    let ctx = &props.ctx;
    let p: Params = ctx.params();
    let report = use_report::<Report>(ctx);
    let theme = use_context::<crate::chrome::theme::Theme>()
        .unwrap_or(crate::chrome::theme::Theme { dark: false });
    let charts = use_from_report(&report, {
        let vnodes = p.vnodes;
        move |r| (load_chart(r), spread_chart(r, vnodes))
    });
    // the ring's ticks are a thousand-odd points: built once per report, not on every render
    let ticks = use_from_report(&report, |r| tick_paths(r, RING));
    let Some(r) = report else {
        return html! { <p class="muted">{"Building the ring…"}</p> };
    };
    let Some((load, spread)) = (*charts).clone() else {
        return html! {};
    };
    let n = r.nodes.len();
    let change = r.change.as_ref();
    html! {
        <>
        <dl class="metrics">
            { metric("max_over_mean", "Busiest node vs mean", format!("{}×", sig3(r.max_over_mean)), Some(format!("max {} keys, mean {}", int(r.max), sig3(r.mean))), if r.max_over_mean > 1.25 { Tone::Bad } else { Tone::Plain }) }
            { metric("cv", "Load spread (sd ÷ mean)", pct(r.cv, 1), Some(format!("sd {} keys; theory ≈ {}", sig3(r.sd), pct(r.cv_theory, 1))), Tone::Plain) }
            { match change {
                Some(c) => html! { <>
                    { metric("moved", &format!("Keys moved ({} {})", c.kind, c.node), int(c.moved), Some(format!("{} of all keys", pct(c.moved_fraction, 1))), if c.only_affected_moved { Tone::Good } else { Tone::Bad }) }
                    { metric("theory", "Theory (Karger et al.)", pct(c.theory_fraction, 1), Some(if c.kind == "add" { format!("1/(N+1), N = {}", c.nodes_before) } else { format!("1/N, N = {}", c.nodes_before) }), Tone::Plain) }
                    { metric("mod_n_moved", "Same change with hash mod N", pct(c.mod_n_fraction, 1), Some(format!("{} keys; theory {}", int(c.mod_n_moved), pct(c.mod_n_theory, 1))), Tone::Bad) }
                </> },
                None => html! {},
            } }
        </dl>
        if let Some(c) = change {
            if let Some(book) = c.book_snippet_moved {
                if c.kind == "remove" {
                    <p class="callout warn" data-testid="book-snippet">
                        { format!("The book's snippet would print {} keys moved ({}). It compares against an invented baseline (it assumes key i lived on the removed node whenever i mod N equals that node's position), not against where the keys really were. The true count is {} — ", int(book), pct(book as f64 / r.total_keys as f64, 1), int(c.moved)) }
                        { if c.only_affected_moved { format!("exactly the keys that {} held.", c.node) } else { "more than the keys the removed node held, because this placement reshuffles.".to_string() } }
                    </p>
                }
            }
        }
        <div class="grid2">
            <figure class="chart">
                <figcaption><span class="chart-title">{ if r.ring.is_empty() { format!("{} has no ring", placement_name(&p.placement)) } else { format!("The ring: {} virtual nodes{}", int(u64::from(p.vnodes) * n as u64), if r.ring_sampled { " (a sample drawn)" } else { "" }) } }</span></figcaption>
                { ring_svg(&r, theme.dark, ticks.as_deref().unwrap_or(&[])) }
            </figure>
            <Chart spec={load} height={300} caption="keys held by each node, with the mean" />
        </div>
        <Chart spec={spread} height={260} caption="measured load spread against virtual nodes per node, with theory" />
        { notes(&r.notes) }
        <section class="explain">
            <h3>{"What you are looking at"}</h3>
            <p>{"Each node is hashed onto a circle many times (its virtual nodes); a key belongs to the first virtual node clockwise from the key's own hash. With MD5, 150 virtual nodes, three nodes and 10 000 keys — the book's example — db1 gets 3678 keys, db2 3114 and db3 3208: an exact reproduction of the book's run."}</p>
            <p>{"When a node leaves, only its keys move, and they spread over the others; when one joins, it takes about 1/(N+1) of the keys from the rest. Hashing mod N instead reshuffles almost everything. Rendezvous hashing moves as little with no ring at all; jump hash is fast and even but can only add or remove the last bucket — remove a middle node and watch it reshuffle."}</p>
            <h3>{"Try this"}</h3>
            <p>
                { ctx.try_this("The book's example", &[("nodes", "3"), ("vnodes", "150"), ("keys", "10000"), ("hash", "md5"), ("placement", "ring"), ("change", "remove"), ("remove", "2")]) }
                { ctx.try_this("One virtual node each", &[("vnodes", "1"), ("nodes", "8")]) }
                { ctx.try_this("Add a 17th node", &[("nodes", "16"), ("change", "add"), ("vnodes", "200")]) }
                { ctx.try_this("Hash mod N", &[("placement", "mod"), ("change", "add")]) }
                { ctx.try_this("Jump hash, remove a middle node", &[("placement", "jump"), ("nodes", "10"), ("change", "remove"), ("remove", "5")]) }
            </p>
            <h3>{"What to notice"}</h3>
            <p>{"Spread falls roughly as 1/√(virtual nodes) until the number of keys, not the ring, limits it. The badge on “keys moved” is green when only the keys that had to move did."}</p>
        </section>
        </>
    }
}

/// The ring's centre and radius in the drawing's coordinates.
const RING: (f64, f64, f64) = (150.0, 150.0, 112.0);

fn ring_svg(r: &Report, dark: bool, ticks: &[(usize, String, bool)]) -> Html {
    let (cx, cy, _) = RING;
    let n = r.nodes.len();
    let legend_rows = n.min(12);
    let height = 300.0
        + if legend_rows > 0 {
            18.0 * legend_rows.div_ceil(3) as f64 + 6.0
        } else {
            0.0
        };
    html! {
        <svg class="drawing ring" viewBox={format!("0 0 300 {height}")} role="img"
             aria-label={format!("A hash ring with {} nodes; each tick is a virtual node coloured by its node", n)}>
            <circle cx={cx.to_string()} cy={cy.to_string()} r={RING.2.to_string()} fill="none" stroke="var(--border)" stroke-width="18" />
            // one path per node (not one element per virtual node): a few elements to diff and
            // paint however many ticks there are
            { for ticks.iter().map(|(node, d, wide)| html! {
                <path d={d.clone()} stroke={node_colour(*node, dark)} stroke-width={if *wide { "2" } else { "1.2" }} fill="none" />
            }) }
            <text x={cx.to_string()} y={(cy - 6.0).to_string()} text-anchor="middle" fill="var(--fg)" font-size="15" font-weight="600">{ format!("{} nodes", n) }</text>
            <text x={cx.to_string()} y={(cy + 14.0).to_string()} text-anchor="middle" fill="var(--muted)" font-size="12">{ format!("{} keys", int(r.total_keys)) }</text>
            { for r.nodes.iter().take(legend_rows).enumerate().map(|(i, node)| {
                let (x, y) = (8.0 + (i % 3) as f64 * 98.0, 306.0 + (i / 3) as f64 * 18.0);
                html! { <g>
                    <rect x={x.to_string()} y={(y - 9.0).to_string()} width="10" height="10" fill={node_colour(i, dark)} />
                    <text x={(x + 14.0).to_string()} y={y.to_string()} font-size="11" fill="var(--fg)">{ format!("{} {}", node.name, pct(node.share, 1)) }</text>
                </g> }
            }) }
        </svg>
    }
}

/// Append `v` rounded to one decimal, as `{:.1}` would print it but through integer
/// formatting, several times quicker on wasm (the ring writes four numbers per tick).
fn push_tenths(out: &mut String, v: f64) {
    use std::fmt::Write;
    let t = (v * 10.0).round() as i64;
    let sign = if t < 0 { "-" } else { "" };
    let _ = write!(out, "{sign}{}.{}", t.abs() / 10, t.abs() % 10);
}

/// The ring's ticks as SVG path data, one path per node: `(node, d, is_the_removed_node)`. The
/// removed node is the one the report's change names.
fn tick_paths(r: &Report, (cx, cy, rad): (f64, f64, f64)) -> Vec<(usize, String, bool)> {
    let removed = r
        .change
        .as_ref()
        .filter(|c| c.kind == "remove")
        .and_then(|c| r.nodes.iter().position(|n| n.name == c.node));
    let mut paths: Vec<(usize, String, bool)> = (0..r.nodes.len())
        .map(|i| (i, String::new(), removed == Some(i)))
        .collect();
    for pt in &r.ring {
        let Some((_, d, wide)) = paths.get_mut(pt.node as usize) else {
            continue;
        };
        let a = pt.pos * TAU - TAU / 4.0;
        let (c, s) = (libm::cos(a), libm::sin(a));
        let (r0, r1) = if *wide {
            (rad - 13.0, rad + 13.0)
        } else {
            (rad - 9.0, rad + 9.0)
        };
        d.push('M');
        push_tenths(d, cx + r0 * c);
        d.push(' ');
        push_tenths(d, cy + r0 * s);
        d.push('L');
        push_tenths(d, cx + r1 * c);
        d.push(' ');
        push_tenths(d, cy + r1 * s);
    }
    paths.retain(|(_, d, _)| !d.is_empty());
    paths
}

fn load_chart(r: &Report) -> Rc<ChartSpec> {
    let bars: Vec<(f64, f64)> = r
        .nodes
        .iter()
        .enumerate()
        .map(|(i, n)| (i as f64, n.keys as f64))
        .collect();
    let mean: Vec<(f64, f64)> = vec![(-0.5, r.mean), (r.nodes.len() as f64 - 0.5, r.mean)];
    Rc::new(ChartSpec {
        title: "Keys per node".into(),
        x_label: "node".into(),
        y_label: "keys".into(),
        y_min: Some(0.0),
        categories: r.nodes.iter().map(|n| n.name.clone()).collect(),
        series: vec![
            Series::new("keys", Kind::Bars, 0, bars),
            Series::new("mean", Kind::Dashed, 1, mean),
        ],
        ..Default::default()
    })
}

fn spread_chart(r: &Report, vnodes: u32) -> Rc<ChartSpec> {
    let measured: Vec<(f64, f64)> = r
        .spread
        .iter()
        .map(|s| (f64::from(s.vnodes), s.cv * 100.0))
        .collect();
    let theory: Vec<(f64, f64)> = r
        .spread
        .iter()
        .map(|s| (f64::from(s.vnodes), s.cv_theory * 100.0))
        .collect();
    let maxm: Vec<(f64, f64)> = r
        .spread
        .iter()
        .map(|s| (f64::from(s.vnodes), (s.max_over_mean - 1.0) * 100.0))
        .collect();
    Rc::new(ChartSpec {
        title: "Load spread vs virtual nodes (ring)".into(),
        x_label: "virtual nodes per node".into(),
        y_label: "% of mean".into(),
        x_log: true,
        y_log: true,
        series: vec![
            Series::new("sd ÷ mean, measured", Kind::Line, 0, measured),
            Series::new("sd ÷ mean, theory", Kind::Dashed, 5, theory),
            Series::new("busiest − mean", Kind::Line, 1, maxm),
        ],
        marks: vec![Mark {
            x: f64::from(vnodes),
            label: "now".into(),
        }],
        ..Default::default()
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn tenths_print_as_the_float_formatter_does() {
        for v in [
            0.0, 1.0, 150.0, 37.26, 262.94, 299.99, 0.04, -3.27, -0.5, 12.5001,
        ] {
            let mut s = String::new();
            push_tenths(&mut s, v);
            assert_eq!(s, format!("{v:.1}"), "{v}");
        }
    }

    #[test]
    fn the_ring_widens_the_ticks_of_the_node_the_report_removes() {
        use sim::model::Model;
        use sim::models::consistent_hashing::ConsistentHashing;
        let p = Params {
            nodes: 4,
            vnodes: 5,
            change: "remove".into(),
            remove: 3,
            ..Params::default()
        };
        let r = ConsistentHashing::run(&p, 1);
        let paths = tick_paths(&r, RING);
        assert_eq!(paths.len(), 4);
        for (node, d, wide) in &paths {
            assert_eq!(*wide, *node == 2, "node {node}");
            // five ticks, each a move and a line
            assert_eq!(d.matches('M').count(), 5, "{d}");
            assert_eq!(d.matches('L').count(), 5, "{d}");
        }
        let none = ConsistentHashing::run(
            &Params {
                change: "none".into(),
                ..p
            },
            1,
        );
        assert!(tick_paths(&none, RING).iter().all(|(_, _, wide)| !wide));
    }
}
