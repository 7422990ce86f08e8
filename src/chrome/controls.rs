//! Controls generated from a model's knobs: one labelled native input per knob, showing its
//! unit and range. Numbers get a slider (logarithmic where the knob says so) plus an exact
//! number box; choices get a `<select>`; switches get a checkbox. All keyboard-operable.

use sim::params::{Knob, KnobKind};
use std::rc::Rc;
use wasm_bindgen::JsCast;
use web_sys::{HtmlInputElement, HtmlSelectElement};
use yew::prelude::*;

/// Slider resolution for logarithmic knobs.
const LOG_STEPS: f64 = 1000.0;

fn to_slider(k: &Knob, v: f64) -> f64 {
    match k.kind {
        KnobKind::Int {
            min,
            max,
            log: true,
        } => log_pos(v, min as f64, max as f64),
        KnobKind::Float {
            min,
            max,
            log: true,
            ..
        } => log_pos(v, min, max),
        _ => v,
    }
}

fn log_pos(v: f64, min: f64, max: f64) -> f64 {
    let (a, b) = (min.max(1e-9).ln(), max.ln());
    ((v.max(1e-9).ln() - a) / (b - a) * LOG_STEPS)
        .round()
        .clamp(0.0, LOG_STEPS)
}

fn from_slider(k: &Knob, s: f64) -> String {
    let unlog = |min: f64, max: f64| {
        let (a, b) = (min.max(1e-9).ln(), max.ln());
        libm::exp(a + (b - a) * s / LOG_STEPS)
    };
    match k.kind {
        KnobKind::Int {
            min,
            max,
            log: true,
        } => format!("{}", unlog(min as f64, max as f64).round() as i64),
        KnobKind::Float {
            min,
            max,
            step,
            log: true,
        } => {
            let x = unlog(min, max);
            // keep 3 significant figures, never finer than the step
            let mag = 10f64.powf(x.log10().floor() - 2.0).max(step);
            format!("{}", (x / mag).round() * mag)
        }
        _ => format!("{s}"),
    }
}

/// Props of [`Controls`].
#[derive(Properties, PartialEq)]
pub struct ControlsProps {
    /// The model's knobs, in display order.
    pub knobs: &'static [Knob],
    /// Current validated values, `key → value`.
    pub values: Rc<Vec<(String, String)>>,
    /// A knob changed: `(key, raw value)`.
    pub on_change: Callback<(String, String)>,
    /// Unique prefix for element ids (several widgets may share a page).
    pub id_prefix: AttrValue,
}

/// One control per knob.
#[component]
pub fn Controls(props: &ControlsProps) -> Html {
    let ControlsProps {
        knobs,
        values,
        on_change,
        id_prefix,
    } = props;
    html! {
        <div class="controls">
            { for knobs.iter().map(|k| {
                let value = values.iter().find(|(key, _)| key == k.key).map(|(_, v)| v.clone()).unwrap_or_default();
                html! { <KnobControl knob={*k} value={value} on_change={on_change.clone()} id={format!("{id_prefix}-{}", k.key)} /> }
            }) }
        </div>
    }
}

#[derive(Properties, PartialEq)]
struct KnobProps {
    knob: Knob,
    value: String,
    on_change: Callback<(String, String)>,
    id: String,
}

fn range_hint(k: &Knob) -> String {
    let unit = if k.unit.is_empty() {
        String::new()
    } else {
        format!(" {}", k.unit)
    };
    match k.kind {
        KnobKind::Int { min, max, .. } => format!(
            "{}–{}{}",
            crate::chrome::chart::fmt_tick(min as f64, false),
            crate::chrome::chart::fmt_tick(max as f64, false),
            unit
        ),
        KnobKind::Float { min, max, .. } => format!(
            "{}–{}{}",
            crate::chrome::chart::fmt_tick(min, false),
            crate::chrome::chart::fmt_tick(max, false),
            unit
        ),
        _ => String::new(),
    }
}

#[component]
fn KnobControl(props: &KnobProps) -> Html {
    let KnobProps {
        knob,
        value,
        on_change,
        id,
    } = props;
    let key = knob.key.to_string();
    let help_id = format!("{id}-help");
    let label = html! {
        <label for={id.clone()}>
            { knob.label }
            if !knob.unit.is_empty() && !knob.label.eq_ignore_ascii_case(knob.unit) { <span class="unit">{ format!(" ({})", knob.unit) }</span> }
        </label>
    };
    let help = html! { <small id={help_id.clone()} class="help">{ knob.help }</small> };
    match knob.kind {
        KnobKind::Int { .. } | KnobKind::Float { .. } => {
            let (lo, hi, step, is_log) = match knob.kind {
                KnobKind::Int { min, max, log } => (min as f64, max as f64, 1.0, log),
                KnobKind::Float {
                    min,
                    max,
                    step,
                    log,
                } => (min, max, step, log),
                _ => (0.0, 1.0, 1.0, false),
            };
            let v: f64 = value.parse().unwrap_or(lo);
            let k = *knob;
            let slider_input = {
                let (on_change, key) = (on_change.clone(), key.clone());
                Callback::from(move |e: InputEvent| {
                    if let Some(t) = e
                        .target()
                        .and_then(|t| t.dyn_into::<HtmlInputElement>().ok())
                    {
                        on_change.emit((key.clone(), from_slider(&k, t.value_as_number())));
                    }
                })
            };
            let number_change = {
                let (on_change, key) = (on_change.clone(), key.clone());
                Callback::from(move |e: Event| {
                    if let Some(t) = e
                        .target()
                        .and_then(|t| t.dyn_into::<HtmlInputElement>().ok())
                    {
                        on_change.emit((key.clone(), t.value()));
                    }
                })
            };
            let (s_min, s_max, s_step) = if is_log {
                (0.0, LOG_STEPS, 1.0)
            } else {
                (lo, hi, step)
            };
            html! {
                <div class="knob">
                    <div class="knob-head">{ label }<span class="range">{ range_hint(knob) }</span></div>
                    <div class="knob-row">
                        <input type="range" id={id.clone()} min={s_min.to_string()} max={s_max.to_string()} step={s_step.to_string()}
                            value={to_slider(knob, v).to_string()} oninput={slider_input} aria-describedby={help_id.clone()}
                            aria-valuetext={format!("{value} {}", knob.unit)} />
                        <input type="number" class="num" min={lo.to_string()} max={hi.to_string()} step={step.to_string()}
                            value={value.clone()} onchange={number_change} aria-label={format!("{} exact value", knob.label)} />
                    </div>
                    { help }
                </div>
            }
        }
        KnobKind::Choice { options } => {
            let onchange = {
                let (on_change, key) = (on_change.clone(), key.clone());
                Callback::from(move |e: Event| {
                    if let Some(t) = e
                        .target()
                        .and_then(|t| t.dyn_into::<HtmlSelectElement>().ok())
                    {
                        on_change.emit((key.clone(), t.value()));
                    }
                })
            };
            html! {
                <div class="knob">
                    <div class="knob-head">{ label }</div>
                    <select id={id.clone()} onchange={onchange} aria-describedby={help_id.clone()}>
                        { for options.iter().map(|(v, l)| html! { <option value={*v} selected={*v == value.as_str()}>{ *l }</option> }) }
                    </select>
                    { help }
                </div>
            }
        }
        KnobKind::Bool => {
            let onchange = {
                let (on_change, key) = (on_change.clone(), key.clone());
                Callback::from(move |e: Event| {
                    if let Some(t) = e
                        .target()
                        .and_then(|t| t.dyn_into::<HtmlInputElement>().ok())
                    {
                        on_change.emit((key.clone(), t.checked().to_string()));
                    }
                })
            };
            html! {
                <div class="knob knob-bool">
                    <input type="checkbox" id={id.clone()} checked={value == "true"} onchange={onchange} aria-describedby={help_id.clone()} />
                    { label }
                    { help }
                </div>
            }
        }
    }
}
