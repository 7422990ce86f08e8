//! Headline numbers as text: tiles that screen readers and tests can read, and the number
//! formatting every view shares.

use yew::prelude::*;

/// Whether a number is good news, bad news, or neither.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tone {
    /// Neither.
    Plain,
    /// Good news.
    Good,
    /// Bad news.
    Bad,
}

/// One headline metric: `label`, big `value`, small `sub` line. `key` becomes `data-metric`,
/// the hook the end-to-end tests read.
pub fn metric(key: &str, label: &str, value: String, sub: Option<String>, tone: Tone) -> Html {
    let class = match tone {
        Tone::Plain => "metric",
        Tone::Good => "metric good",
        Tone::Bad => "metric bad",
    };
    html! {
        <div class={class} data-metric={key.to_string()}>
            <dt>{ label }</dt>
            <dd><span class="value">{ value }</span>if let Some(s) = sub { <span class="sub">{ s }</span> }</dd>
        </div>
    }
}

/// The model's own plain-language notes on a run, as a list (nothing when there are none).
pub fn notes(notes: &[String]) -> Html {
    if notes.is_empty() {
        return html! {};
    }
    html! { <ul class="notes">{ for notes.iter().map(|n| html! { <li>{ n }</li> }) }</ul> }
}

/// A whole number with thin-space thousands separators: 1 234 567.
pub fn int(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push('\u{2009}');
        }
        out.push(c);
    }
    out
}

/// A fraction as a percentage with `digits` decimals: 0.3114 → "31.1 %". Small non-zero values
/// keep two significant figures instead of rounding to zero: 0.0000321 → "0.0032 %".
pub fn pct(x: f64, digits: usize) -> String {
    if !x.is_finite() {
        return "—".into();
    }
    let v = x * 100.0;
    if v != 0.0 && v.abs() < 0.5 * 10f64.powi(-(digits as i32)) {
        let d = (-v.abs().log10().floor()) as usize + 1;
        return format!("{:.*}\u{a0}%", d.min(8), v);
    }
    format!("{:.*}\u{a0}%", digits, v)
}

/// A number with 3 significant figures (no exponent for everyday sizes).
pub fn sig3(x: f64) -> String {
    if !x.is_finite() {
        return "∞".into();
    }
    let a = x.abs();
    if a == 0.0 {
        "0".into()
    } else if a >= 1000.0 {
        int(x.round() as u64)
    } else if a >= 100.0 {
        format!("{x:.0}")
    } else if a >= 10.0 {
        format!("{x:.1}")
    } else if a >= 1.0 {
        format!("{x:.2}")
    } else if a >= 0.001 {
        format!("{x:.3}")
    } else {
        format!("{x:.2e}")
    }
}

/// Milliseconds, human-sized: "460 ms", "1.52 s", "—" for none.
pub fn ms(x: Option<f64>) -> String {
    match x {
        None => "∞".into(),
        Some(v) if !v.is_finite() => "∞".into(),
        Some(v) if v >= 10_000.0 => format!("{} s", sig3(v / 1000.0)),
        Some(v) if v > 0.0 && v < 0.01 => "< 0.01 ms".into(),
        Some(v) => format!("{} ms", sig3(v)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn formats() {
        assert_eq!(int(1234567), "1\u{2009}234\u{2009}567");
        assert_eq!(int(999), "999");
        assert_eq!(pct(0.3114, 1), "31.1\u{a0}%");
        assert_eq!(sig3(142.857), "143");
        assert_eq!(sig3(0.0123), "0.012");
        assert_eq!(ms(Some(460.517)), "461 ms");
        assert_eq!(ms(None), "∞");
        assert_eq!(ms(Some(7.46e-5)), "< 0.01 ms");
        assert_eq!(pct(0.0000321, 2), "0.0032\u{a0}%");
        assert_eq!(pct(0.0, 2), "0.00\u{a0}%");
    }
}
