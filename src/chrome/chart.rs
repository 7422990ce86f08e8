//! Charts on plotters-canvas.
//!
//! A view describes a chart as plain data ([`ChartSpec`]); [`Chart`] draws it from scratch on a
//! canvas sized to its box × `devicePixelRatio` (sharp on high-DPI screens), in the colours of
//! the current theme (read from CSS custom properties), and redraws when the spec, the theme or
//! the width changes. Each chart carries its own PNG and CSV export.

use super::{dom, export, theme::Theme};
use gloo::events::EventListener;
use plotters::prelude::*;
use plotters_canvas::CanvasBackend;
use std::rc::Rc;
use yew::prelude::*;

/// How a series is drawn.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// Solid line.
    Line,
    /// Dashed line (theory, references).
    Dashed,
    /// Dots.
    Points,
    /// Bars centred on each x (categorical charts). Several `Bars` series overlap: a larger
    /// total behind a smaller part.
    Bars,
    /// Bars side by side: at each x, this series takes slot `slot` of `of` equal slots
    /// (categorical charts comparing several series per category).
    Grouped { slot: u8, of: u8 },
    /// A short horizontal tick across slot `slot` of `of` at each x, in the text colour: a
    /// second figure (a median) on a [`Kind::Grouped`] bar (its 99th percentile).
    Tick { slot: u8, of: u8 },
}

impl Kind {
    fn is_bar_like(self) -> bool {
        matches!(self, Kind::Bars | Kind::Grouped { .. } | Kind::Tick { .. })
    }
}

/// The x span of slot `slot` of `of` in the bar width around `x`.
fn slot_span(x: f64, slot: u8, of: u8) -> (f64, f64) {
    let w = 0.76 / f64::from(of.max(1));
    let a = x - 0.38 + w * f64::from(slot.min(of.max(1) - 1));
    // a hair of space between neighbouring bars
    (a + w * 0.06, a + w * 0.94)
}

/// One named series.
#[derive(Clone, Debug, PartialEq)]
pub struct Series {
    /// Legend name.
    pub name: String,
    /// Drawing style.
    pub kind: Kind,
    /// Palette index (0–5), so the same quantity keeps its colour across charts.
    pub color: usize,
    /// Data points `(x, y)`; non-finite points are skipped.
    pub points: Vec<(f64, f64)>,
}

impl Series {
    /// A series from points.
    pub fn new(name: impl Into<String>, kind: Kind, color: usize, points: Vec<(f64, f64)>) -> Self {
        Series {
            name: name.into(),
            kind,
            color,
            points,
        }
    }
}

/// A vertical reference line with a label.
#[derive(Clone, Debug, PartialEq)]
pub struct Mark {
    /// Where, in data units.
    pub x: f64,
    /// Label drawn beside it.
    pub label: String,
}

/// Everything needed to draw one chart.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct ChartSpec {
    /// Title: the canvas's accessible name and the export file name.
    pub title: String,
    /// X axis description.
    pub x_label: String,
    /// Y axis description.
    pub y_label: String,
    /// Logarithmic x axis (base 10).
    pub x_log: bool,
    /// Logarithmic y axis (base 10).
    pub y_log: bool,
    /// Fix the lower end of the y axis (e.g. 0).
    pub y_min: Option<f64>,
    /// Names of categories, for bar charts with x = 0, 1, 2, …
    pub categories: Vec<String>,
    /// The series.
    pub series: Vec<Series>,
    /// Vertical reference lines.
    pub marks: Vec<Mark>,
}

impl ChartSpec {
    /// The data as CSV: one row per point.
    pub fn to_csv(&self) -> String {
        let rows = self.series.iter().flat_map(|s| {
            s.points
                .iter()
                .map(move |(x, y)| vec![s.name.clone(), x.to_string(), y.to_string()])
        });
        export::csv(&["series", &self.x_label, &self.y_label], rows)
    }
}

/// Colours of the current theme.
struct Palette {
    bg: RGBColor,
    fg: RGBColor,
    grid: RGBColor,
    series: [RGBColor; 6],
}

fn parse_hex(s: &str, fallback: RGBColor) -> RGBColor {
    let h = s.trim().trim_start_matches('#');
    if h.len() != 6 {
        return fallback;
    }
    let p = |i: usize| u8::from_str_radix(&h[i..i + 2], 16).ok();
    match (p(0), p(2), p(4)) {
        (Some(r), Some(g), Some(b)) => RGBColor(r, g, b),
        _ => fallback,
    }
}

fn palette(at: &web_sys::Element, dark: bool) -> Palette {
    let (bg0, fg0) = if dark {
        (RGBColor(24, 26, 31), RGBColor(230, 232, 236))
    } else {
        (WHITE, RGBColor(30, 32, 38))
    };
    let var = |name: &str| dom::css_var_at(at, name);
    let c = |i: usize, f: RGBColor| parse_hex(&var(&format!("--c{i}")), f);
    Palette {
        bg: parse_hex(&var("--panel"), bg0),
        fg: parse_hex(&var("--fg"), fg0),
        grid: parse_hex(&var("--grid"), RGBColor(128, 128, 128)),
        series: [
            c(0, RGBColor(37, 99, 235)),
            c(1, RGBColor(234, 88, 12)),
            c(2, RGBColor(22, 163, 74)),
            c(3, RGBColor(147, 51, 234)),
            c(4, RGBColor(220, 38, 38)),
            c(5, RGBColor(100, 116, 139)),
        ],
    }
}

fn tx(v: f64, log: bool) -> f64 {
    if log {
        if v > 0.0 {
            v.log10()
        } else {
            f64::NAN
        }
    } else {
        v
    }
}

/// Format an axis value compactly (k, M; powers of ten on log axes).
pub fn fmt_tick(v: f64, log: bool) -> String {
    let x = if log { 10f64.powf(v) } else { v };
    // on log axes keep two significant figures: 31.62 → 32
    let x = if log && x != 0.0 {
        let mag = 10f64.powf(x.abs().log10().floor() - 1.0);
        (x / mag).round() * mag
    } else {
        x
    };
    let a = x.abs();
    if a >= 1e6 {
        format!("{}M", trim(x / 1e6))
    } else if a >= 1e4 {
        format!("{}k", trim(x / 1e3))
    } else if a >= 100.0 || a == 0.0 {
        format!("{x:.0}")
    } else if a >= 1.0 {
        trim(x)
    } else {
        format!("{}", (x * 1e4).round() / 1e4)
    }
}

fn trim(x: f64) -> String {
    let s = format!("{x:.2}");
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

fn bounds(spec: &ChartSpec) -> Option<((f64, f64), (f64, f64))> {
    let pts = spec
        .series
        .iter()
        .flat_map(|s| s.points.iter())
        .map(|&(x, y)| (tx(x, spec.x_log), tx(y, spec.y_log)));
    let pts: Vec<(f64, f64)> = pts
        .filter(|(x, y)| x.is_finite() && y.is_finite())
        .collect();
    if pts.is_empty() {
        return None;
    }
    let (mut x0, mut x1, mut y0, mut y1) = (f64::MAX, f64::MIN, f64::MAX, f64::MIN);
    for (x, y) in pts {
        x0 = x0.min(x);
        x1 = x1.max(x);
        y0 = y0.min(y);
        y1 = y1.max(y);
    }
    for m in &spec.marks {
        let x = tx(m.x, spec.x_log);
        if x.is_finite() {
            x0 = x0.min(x);
            x1 = x1.max(x);
        }
    }
    if !spec.categories.is_empty() || spec.series.iter().any(|s| s.kind.is_bar_like()) {
        x0 -= 0.6;
        x1 += 0.6;
    }
    if let Some(m) = spec.y_min {
        y0 = y0.min(tx(m, spec.y_log));
    }
    if (x1 - x0).abs() < 1e-12 {
        x0 -= 1.0;
        x1 += 1.0;
    }
    if (y1 - y0).abs() < 1e-12 {
        y1 += if y1 == 0.0 { 1.0 } else { y1.abs() * 0.1 };
    }
    let pad = (y1 - y0) * 0.06;
    let y0 = if spec.y_min.is_some() { y0 } else { y0 - pad };
    Some(((x0, x1), (y0, y1 + pad)))
}

/// Draw `spec` on `canvas`; an empty spec draws a "no data" note.
pub fn draw(
    canvas: &web_sys::HtmlCanvasElement,
    spec: &ChartSpec,
    dark: bool,
) -> Result<(), String> {
    let ratio = dom::pixel_ratio();
    let css_w = f64::from(canvas.client_width().max(200));
    let css_h = f64::from(canvas.client_height().max(120));
    // resize only when the size changed: a resize invalidates layout, and the next chart's size
    // read would force a fresh one (the draw below repaints every pixel either way)
    let (w, h) = ((css_w * ratio) as u32, (css_h * ratio) as u32);
    if canvas.width() != w {
        canvas.set_width(w);
    }
    if canvas.height() != h {
        canvas.set_height(h);
    }
    let pal = palette(canvas, dark);
    let px = |v: f64| (v * ratio) as u32;
    let font = |size: f64| {
        (FontFamily::SansSerif, size * ratio)
            .into_font()
            .color(&pal.fg)
    };
    let backend = CanvasBackend::with_canvas_object(canvas.clone()).ok_or("no 2d context")?;
    let root = backend.into_drawing_area();
    root.fill(&pal.bg).map_err(|e| e.to_string())?;
    let Some(((x0, x1), (y0, y1))) = bounds(spec) else {
        root.draw(&Text::new(
            "no data yet",
            (px(12.0) as i32, px(20.0) as i32),
            font(13.0),
        ))
        .map_err(|e| e.to_string())?;
        return root.present().map_err(|e| e.to_string());
    };
    let narrow = css_w < 420.0;
    // the legend gets its own strip under the plot: it never covers data, and it stays in PNGs
    let layout = legend_layout(spec, css_w, narrow);
    let legend_h = px(layout
        .last()
        .map(|i| i.row as f64 * 18.0 + 24.0)
        .unwrap_or(0.0));
    let (plot_area, legend_area) = root.split_vertically(px(css_h).saturating_sub(legend_h));
    let mut chart = ChartBuilder::on(&plot_area)
        .margin_top(px(10.0))
        .margin_right(px(14.0))
        .margin_left(px(4.0))
        .x_label_area_size(px(40.0))
        .y_label_area_size(px(if narrow { 44.0 } else { 58.0 }))
        .build_cartesian_2d(x0..x1, y0..y1)
        .map_err(|e| e.to_string())?;
    let cats = spec.categories.clone();
    let (xl, yl) = (spec.x_log, spec.y_log);
    let x_fmt = move |v: &f64| {
        if cats.is_empty() {
            fmt_tick(*v, xl)
        } else {
            let i = v.round();
            if (v - i).abs() < 1e-6 && i >= 0.0 {
                cats.get(i as usize).cloned().unwrap_or_default()
            } else {
                String::new()
            }
        }
    };
    let y_fmt = move |v: &f64| fmt_tick(*v, yl);
    let n_x = if spec.categories.is_empty() {
        if narrow {
            4
        } else {
            8
        }
    } else {
        (spec.categories.len() * 2 + 2).min(if narrow { 12 } else { 40 })
    };
    chart
        .configure_mesh()
        .x_desc(spec.x_label.as_str())
        .y_desc(spec.y_label.as_str())
        .x_labels(n_x)
        .y_labels(if narrow { 5 } else { 7 })
        .x_label_formatter(&x_fmt)
        .y_label_formatter(&y_fmt)
        .label_style(font(11.5))
        .axis_desc_style(font(12.5))
        .axis_style(pal.grid.stroke_width(px(1.0)))
        .bold_line_style(pal.grid.mix(0.35).stroke_width(px(1.0).max(1)))
        .light_line_style(TRANSPARENT)
        .draw()
        .map_err(|e| e.to_string())?;

    let w = px(2.0).max(1);
    for s in &spec.series {
        let color = pal.series[s.color % 6];
        let pts: Vec<(f64, f64)> = s
            .points
            .iter()
            .map(|&(x, y)| (tx(x, xl), tx(y, yl)))
            .filter(|(x, y)| x.is_finite() && y.is_finite())
            .collect();
        match s.kind {
            Kind::Line => chart.draw_series(LineSeries::new(pts, color.stroke_width(w))),
            Kind::Dashed => chart.draw_series(DashedLineSeries::new(
                pts,
                px(6.0),
                px(4.0),
                color.stroke_width(w),
            )),
            Kind::Points => chart.draw_series(
                pts.into_iter()
                    .map(|p| Circle::new(p, px(3.0), color.filled())),
            ),
            Kind::Bars | Kind::Grouped { .. } => {
                let base = if yl { y0 } else { 0f64.max(y0) };
                let span = |x: f64| match s.kind {
                    Kind::Grouped { slot, of } => slot_span(x, slot, of),
                    _ => (x - 0.38, x + 0.38),
                };
                chart.draw_series(pts.into_iter().map(|(x, y)| {
                    let (a, b) = span(x);
                    Rectangle::new([(a, base), (b, y)], color.mix(0.85).filled())
                }))
            }
            // in the text colour: it sits on a bar of its own series' colour
            Kind::Tick { slot, of } => chart.draw_series(pts.into_iter().map(|(x, y)| {
                let (a, b) = slot_span(x, slot, of);
                PathElement::new(vec![(a, y), (b, y)], pal.fg.stroke_width(px(3.0).max(2)))
            })),
        }
        .map_err(|e| e.to_string())?;
    }
    // a mark's label that would run into the previous one's drops a line ("bad", "rollback"
    // four seconds apart must both be readable)
    let plot_h = f64::from(chart.plotting_area().dim_in_pixel().1.max(1));
    let line = (y1 - y0) * f64::from(px(13.0)) / plot_h;
    let mut prev_end = f64::NEG_INFINITY;
    let mut level = 0u8;
    for m in &spec.marks {
        let x = tx(m.x, xl);
        chart
            .draw_series(DashedLineSeries::new(
                vec![(x, y0), (x, y1)],
                px(3.0),
                px(3.0),
                pal.fg.mix(0.6).stroke_width(px(1.0)),
            ))
            .map_err(|e| e.to_string())?;
        let at = f64::from(chart.backend_coord(&(x, y1)).0);
        level = if at < prev_end + f64::from(px(4.0)) && level < 2 {
            level + 1
        } else {
            0
        };
        prev_end = at + m.label.chars().count() as f64 * f64::from(px(6.5));
        chart
            .draw_series(std::iter::once(Text::new(
                m.label.clone(),
                (x, y1 - f64::from(level) * line),
                font(11.0),
            )))
            .map_err(|e| e.to_string())?;
    }
    for item in &layout {
        let s = &spec.series[item.series];
        let color = pal.series[s.color % 6];
        let (x, y) = (px(item.x) as i32, px(item.row as f64 * 18.0 + 12.0) as i32);
        let swatch = px(18.0) as i32;
        let style = match s.kind {
            Kind::Bars | Kind::Grouped { .. } | Kind::Points => color.stroke_width(px(6.0).max(3)),
            Kind::Tick { .. } => pal.fg.stroke_width(px(3.0).max(2)),
            _ => color.stroke_width(w),
        };
        if s.kind == Kind::Dashed {
            for k in 0..3 {
                let x0 = x + k * swatch / 3;
                legend_area
                    .draw(&PathElement::new(
                        vec![(x0, y), (x0 + swatch / 5, y)],
                        style,
                    ))
                    .map_err(|e| e.to_string())?;
            }
        } else {
            legend_area
                .draw(&PathElement::new(vec![(x, y), (x + swatch, y)], style))
                .map_err(|e| e.to_string())?;
        }
        let text_pos = (x + swatch + px(5.0) as i32, y - px(7.0) as i32);
        legend_area
            .draw(&Text::new(s.name.clone(), text_pos, font(11.5)))
            .map_err(|e| e.to_string())?;
    }
    root.present().map_err(|e| e.to_string())
}

/// Where one legend entry goes: which series, which row, how far from the left (CSS px).
struct LegendItem {
    series: usize,
    row: u32,
    x: f64,
}

/// Lay the legend out in rows that fit the canvas width (text width estimated from its length).
/// Single-series charts need no legend: their title names the series.
fn legend_layout(spec: &ChartSpec, css_w: f64, narrow: bool) -> Vec<LegendItem> {
    if spec.series.len() < 2 {
        return Vec::new();
    }
    let left = if narrow { 44.0 } else { 58.0 };
    let (mut row, mut x) = (0u32, left);
    let mut out = Vec::new();
    for (i, s) in spec.series.iter().enumerate() {
        let w = 18.0 + 5.0 + s.name.chars().count() as f64 * 6.6 + 16.0;
        if x + w > css_w - 8.0 && x > left {
            row += 1;
            x = left;
        }
        out.push(LegendItem { series: i, row, x });
        x += w;
    }
    out
}

/// Props of [`Chart`].
#[derive(Properties, PartialEq)]
pub struct ChartProps {
    /// What to draw.
    pub spec: Rc<ChartSpec>,
    /// Height in CSS pixels.
    #[prop_or(260)]
    pub height: u32,
    /// A sentence describing what the chart shows (for screen readers).
    #[prop_or_default]
    pub caption: AttrValue,
}

/// A themed, high-DPI chart with PNG and CSV export.
#[component]
pub fn Chart(props: &ChartProps) -> Html {
    let ChartProps {
        spec,
        height,
        caption,
    } = props;
    let canvas = use_node_ref();
    let theme = use_context::<Theme>().unwrap_or(Theme { dark: false });
    let width_tick = use_state(|| 0u32);
    {
        let width_tick = width_tick.clone();
        use_effect_with((), move |_| {
            let l = dom::window().map(|w| {
                EventListener::new(&w, "resize", move |_| width_tick.set(*width_tick + 1))
            });
            move || drop(l)
        });
    }
    // Draw on the next animation frame, not inside the render: the new numbers paint first, and
    // a burst of updates (a slider being dragged) draws once, with the newest spec.
    let pending = use_mut_ref(|| None::<gloo::render::AnimationFrame>);
    {
        // set through the CSSOM: a style attribute would need 'unsafe-inline' in the CSP
        let canvas = canvas.clone();
        use_effect_with(*height, move |h| {
            if let Some(c) = canvas.cast::<web_sys::HtmlElement>() {
                let _ = c.style().set_property("height", &format!("{h}px"));
            }
        });
    }
    {
        let canvas = canvas.clone();
        use_effect_with(
            (spec.clone(), theme, *width_tick),
            move |(spec, theme, _)| {
                let (spec, dark) = (spec.clone(), theme.dark);
                *pending.borrow_mut() = Some(gloo::render::request_animation_frame(move |_| {
                    if let Some(c) = canvas.cast::<web_sys::HtmlCanvasElement>() {
                        if let Err(e) = draw(&c, &spec, dark) {
                            web_sys::console::warn_1(&format!("chart: {e}").into());
                        }
                    }
                }));
            },
        );
    }
    let file = spec
        .title
        .to_ascii_lowercase()
        .replace(|c: char| !c.is_ascii_alphanumeric(), "-");
    let png = {
        let (canvas, file) = (canvas.clone(), file.clone());
        Callback::from(move |_| {
            if let Some(c) = canvas.cast::<web_sys::HtmlCanvasElement>() {
                export::download_canvas_png(&format!("{file}.png"), &c);
            }
        })
    };
    let csv = {
        let (spec, file) = (spec.clone(), file.clone());
        Callback::from(move |_| {
            export::download_text(&format!("{file}.csv"), "text/csv", &spec.to_csv())
        })
    };
    let label = if caption.is_empty() {
        spec.title.clone()
    } else {
        format!("{}: {}", spec.title, caption)
    };
    html! {
        <figure class="chart">
            <figcaption>
                <span class="chart-title">{ &spec.title }</span>
                <span class="chart-tools">
                    <button type="button" class="link" onclick={png} title="Download this chart as PNG">{"PNG"}</button>
                    <button type="button" class="link" onclick={csv} title="Download this chart's data as CSV">{"CSV"}</button>
                </span>
            </figcaption>
            <canvas ref={canvas} role="img" aria-label={label} />
        </figure>
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn grouped_slots_split_the_bar_width_in_order_without_overlap() {
        let spans: Vec<(f64, f64)> = (0..3).map(|k| slot_span(4.0, k, 3)).collect();
        assert!(spans[0].0 > 4.0 - 0.38 && spans[2].1 < 4.0 + 0.38);
        for w in spans.windows(2) {
            assert!(w[0].1 < w[1].0, "{spans:?}");
        }
        // one slot of one is the whole bar, less the gap; an out-of-range slot stays in the bar
        let (a, b) = slot_span(0.0, 0, 1);
        assert!((b - a - 0.76 * 0.88).abs() < 1e-9);
        assert_eq!(slot_span(1.0, 9, 2), slot_span(1.0, 1, 2));
    }

    #[test]
    fn grouped_bars_pad_the_x_range_like_bars() {
        let spec = ChartSpec {
            series: vec![Series::new(
                "a",
                Kind::Grouped { slot: 0, of: 2 },
                0,
                vec![(0.0, 1.0), (2.0, 3.0)],
            )],
            ..Default::default()
        };
        let ((x0, x1), _) = bounds(&spec).unwrap();
        assert!(x0 <= -0.6 + 1e-9 && x1 >= 2.6 - 1e-9, "{x0} {x1}");
    }
}
