//! Knobs: the typed, documented parameters of every model, and their validation.
//!
//! A model's `Params` struct lists its knobs once ([`Params::knobs`]): key (the serde field name,
//! also the URL query key and the CLI `--set` key), label, unit, help text and range. From that
//! one list the core clamps bad values ([`validate`]), reads key/value pairs from a URL or the
//! command line ([`from_pairs`]), writes them back ([`to_pairs`]), and the app builds controls.
//!
//! Bad input never panics: every unreadable or out-of-range value becomes the nearest valid one
//! (or the default) and a human-readable [`Notice`] says what happened.

use serde::{de::DeserializeOwned, Deserialize, Serialize};
use serde_json::{Map, Value};

/// One `key=value` setting, as in a URL query or `--set key=value`.
pub type Pair = (String, String);

/// Validated settings and what validation changed.
pub type Checked = (Vec<Pair>, Vec<Notice>);

/// What a knob accepts.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum KnobKind {
    /// A whole number in `min..=max`; `log` asks the UI for a logarithmic slider.
    Int { min: i64, max: i64, log: bool },
    /// A real number in `min..=max` moved in `step`s by the UI.
    Float {
        min: f64,
        max: f64,
        step: f64,
        log: bool,
    },
    /// One of a fixed set of `(value, label)` options.
    Choice {
        options: &'static [(&'static str, &'static str)],
    },
    /// On or off.
    Bool,
}

/// One documented knob of a model.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Knob {
    /// Field name in the serde form, the URL query and `--set key=value`.
    pub key: &'static str,
    /// Short label shown beside the control.
    pub label: &'static str,
    /// Unit shown beside the value ("req/s", "ms", "" for none).
    pub unit: &'static str,
    /// One sentence on what the knob does.
    pub help: &'static str,
    /// Accepted values.
    pub kind: KnobKind,
}

/// A message telling the reader that a value was changed or ignored.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Notice {
    /// The knob concerned (or `"seed"`, or the unknown key).
    pub key: String,
    /// What happened, in plain words.
    pub message: String,
}

impl Notice {
    /// A notice about `key`.
    pub fn new(key: impl Into<String>, message: impl Into<String>) -> Self {
        Notice {
            key: key.into(),
            message: message.into(),
        }
    }
}

/// The parameters of one model. Implemented by each model's `Params` struct.
pub trait Params: Serialize + DeserializeOwned + Default + Clone + PartialEq + 'static {
    /// Every knob, in display order. Keys must equal the serde field names.
    fn knobs() -> &'static [Knob];

    /// Cross-field checks beyond each knob's own range (e.g. "remove node ≤ nodes"). Range
    /// clamping has already happened when this is called. Push a notice for each change.
    fn check(&mut self, _notices: &mut Vec<Notice>) {}
}

/// Clamp every knob of `p` into its range and run the model's own checks.
pub fn validate<P: Params>(p: P) -> (P, Vec<Notice>) {
    let mut notices = Vec::new();
    let value = serde_json::to_value(&p).unwrap_or(Value::Null);
    let obj = merge_pairs(value, P::knobs(), &[], &[], &mut notices);
    read_back(obj, notices)
}

/// Read `key=value` pairs (from a URL query or the CLI) on top of the defaults, then validate.
/// Unknown keys and unreadable values are reported and ignored. Keys not among the knobs are
/// returned untouched in neither form: callers handle `seed` and friends themselves.
pub fn from_pairs<P: Params>(pairs: &[(String, String)], ignore: &[&str]) -> (P, Vec<Notice>) {
    let mut notices = Vec::new();
    let defaults = serde_json::to_value(P::default()).unwrap_or(Value::Null);
    let obj = merge_pairs(defaults, P::knobs(), pairs, ignore, &mut notices);
    read_back(obj, notices)
}

/// The typed end of [`validate`] and [`from_pairs`]: the clamped object read back as `P` (the
/// defaults, said so, if it cannot be), then the model's own cross-field checks.
fn read_back<P: Params>(obj: Value, mut notices: Vec<Notice>) -> (P, Vec<Notice>) {
    let mut p: P = match serde_json::from_value(obj) {
        Ok(p) => p,
        Err(_) => {
            notices.push(Notice::new(
                "params",
                "could not read the settings; using defaults",
            ));
            P::default()
        }
    };
    p.check(&mut notices);
    (p, notices)
}

/// The untyped part of [`validate`] and [`from_pairs`], one copy for every model: the object of
/// a `Params` (its defaults, for `from_pairs`) with the readable pairs set on it and every knob
/// clamped to its range.
fn merge_pairs(
    defaults: Value,
    knobs: &[Knob],
    pairs: &[(String, String)],
    ignore: &[&str],
    notices: &mut Vec<Notice>,
) -> Value {
    let mut obj = match defaults {
        Value::Object(m) => m,
        _ => Map::new(),
    };
    for (key, raw) in pairs {
        if ignore.contains(&key.as_str()) {
            continue;
        }
        let Some(knob) = knobs.iter().find(|k| k.key == key) else {
            notices.push(Notice::new(
                key.clone(),
                format!("unknown setting “{key}” ignored"),
            ));
            continue;
        };
        match parse_raw(knob, raw) {
            Some(v) => {
                obj.insert(knob.key.to_string(), v);
            }
            None => notices.push(Notice::new(
                key.clone(),
                format!(
                    "{}: could not read “{}”; using the default",
                    knob.label,
                    shorten(raw)
                ),
            )),
        }
    }
    // clamp before deserialising: a value out of the field's type range (−5 for a u32) must
    // become the nearest valid value, not reset every other knob
    clamp_object(knobs, &mut obj, notices);
    Value::Object(obj)
}

fn clamp_object(knobs: &[Knob], obj: &mut Map<String, Value>, notices: &mut Vec<Notice>) {
    for knob in knobs {
        if let Some(v) = obj.get(knob.key).cloned() {
            let (fixed, note) = clamp_value(knob, &v);
            notices.extend(note);
            obj.insert(knob.key.to_string(), fixed);
        }
    }
}

/// The knobs of `p` as `key=value` pairs, in knob order: the inverse of [`from_pairs`].
pub fn to_pairs<P: Params>(p: &P) -> Vec<(String, String)> {
    object_pairs(serde_json::to_value(p).unwrap_or(Value::Null), P::knobs())
}

/// The untyped part of [`to_pairs`], one copy for every model.
fn object_pairs(v: Value, knobs: &[Knob]) -> Vec<(String, String)> {
    let Value::Object(obj) = v else {
        return Vec::new();
    };
    knobs
        .iter()
        .filter_map(|k| obj.get(k.key).map(|v| (k.key.to_string(), format_value(v))))
        .collect()
}

/// Only the pairs that differ from the defaults: short, shareable URLs.
pub fn changed_pairs<P: Params>(p: &P) -> Vec<(String, String)> {
    let d = to_pairs(&P::default());
    to_pairs(p)
        .into_iter()
        .filter(|kv| !d.contains(kv))
        .collect()
}

/// Read one knob's current value as a string (for the UI).
pub fn get<P: Params>(p: &P, key: &str) -> Option<String> {
    to_pairs(p)
        .into_iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v)
}

/// Set one knob from a string, validating; returns the new params and any notices.
pub fn set<P: Params>(p: &P, key: &str, raw: &str) -> (P, Vec<Notice>) {
    let mut pairs = to_pairs(p);
    match pairs.iter_mut().find(|(k, _)| k == key) {
        Some(kv) => kv.1 = raw.to_string(),
        None => pairs.push((key.to_string(), raw.to_string())),
    }
    from_pairs(&pairs, &[])
}

fn format_value(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Bool(b) => b.to_string(),
        // 1000.0 reads better as 1000 in a URL or an input box; it parses back the same
        Value::Number(n) => match n.as_f64() {
            Some(f) if n.is_f64() && f.fract() == 0.0 && f.abs() < 1e15 => format!("{}", f as i64),
            _ => n.to_string(),
        },
        other => other.to_string(),
    }
}

fn shorten(s: &str) -> String {
    let mut out: String = s.chars().take(24).collect();
    if s.chars().count() > 24 {
        out.push('…');
    }
    out
}

fn parse_raw(knob: &Knob, raw: &str) -> Option<Value> {
    let raw = raw.trim();
    match knob.kind {
        KnobKind::Int { .. } => {
            let x: f64 = raw.parse().ok().filter(|x: &f64| x.is_finite())?;
            // out-of-range values are kept (as numbers) so validate() can clamp and say so
            Some(Value::from(
                x.round().clamp(i64::MIN as f64, i64::MAX as f64) as i64,
            ))
        }
        KnobKind::Float { .. } => {
            let x: f64 = raw.parse().ok().filter(|x: &f64| x.is_finite())?;
            serde_json::Number::from_f64(x).map(Value::Number)
        }
        KnobKind::Choice { options } => options
            .iter()
            .find(|(v, _)| v.eq_ignore_ascii_case(raw))
            .map(|(v, _)| Value::from(*v)),
        KnobKind::Bool => match raw.to_ascii_lowercase().as_str() {
            "1" | "true" | "on" | "yes" => Some(Value::Bool(true)),
            "0" | "false" | "off" | "no" => Some(Value::Bool(false)),
            _ => None,
        },
    }
}

fn clamp_value(knob: &Knob, v: &Value) -> (Value, Option<Notice>) {
    let say = |shown: String| {
        Some(Notice::new(
            knob.key,
            format!(
                "{} must be {}; using {}",
                knob.label,
                range_text(knob),
                shown
            ),
        ))
    };
    match knob.kind {
        KnobKind::Int { min, max, .. } => {
            let x = v.as_f64().unwrap_or(min as f64);
            let c = x.round().clamp(min as f64, max as f64) as i64;
            if (c as f64 - x).abs() > 0.0 {
                (Value::from(c), say(c.to_string()))
            } else {
                (Value::from(c), None)
            }
        }
        KnobKind::Float { min, max, .. } => {
            let x = v.as_f64().filter(|x| x.is_finite()).unwrap_or(min);
            let c = x.clamp(min, max);
            let val = serde_json::Number::from_f64(c)
                .map(Value::Number)
                .unwrap_or(Value::from(min));
            if c != x {
                (val, say(c.to_string()))
            } else {
                (val, None)
            }
        }
        KnobKind::Choice { options } => {
            let ok = v
                .as_str()
                .is_some_and(|s| options.iter().any(|(o, _)| *o == s));
            if ok {
                (v.clone(), None)
            } else {
                let first = options.first().map(|o| o.0).unwrap_or("");
                (Value::from(first), say(first.to_string()))
            }
        }
        KnobKind::Bool => match v.as_bool() {
            Some(_) => (v.clone(), None),
            None => (Value::Bool(false), say("off".into())),
        },
    }
}

/// The accepted range of a knob, in words ("between 1 and 64", "one of ring, jump").
pub fn range_text(knob: &Knob) -> String {
    match knob.kind {
        KnobKind::Int { min, max, .. } => format!("a whole number from {min} to {max}"),
        KnobKind::Float { min, max, .. } => format!("between {min} and {max}"),
        KnobKind::Choice { options } => {
            let names: Vec<&str> = options.iter().map(|o| o.0).collect();
            format!("one of {}", names.join(", "))
        }
        KnobKind::Bool => "on or off".into(),
    }
}

/// Parse a seed from text: a non-negative whole number below 2^53 (so it survives JavaScript).
pub fn parse_seed(raw: &str) -> Result<u64, Notice> {
    match raw.trim().parse::<u64>() {
        Ok(s) if s <= MAX_SEED => Ok(s),
        Ok(_) => Err(Notice::new(
            "seed",
            format!("seed must be at most {MAX_SEED}; using the default"),
        )),
        Err(_) => Err(Notice::new(
            "seed",
            format!(
                "could not read the seed “{}”; using the default",
                shorten(raw)
            ),
        )),
    }
}

/// Largest seed: 2^53 − 1, the largest integer a JavaScript number holds exactly.
pub const MAX_SEED: u64 = (1 << 53) - 1;

/// The seed used when none is given.
pub const DEFAULT_SEED: u64 = 1;

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
    struct Demo {
        n: u32,
        rate: f64,
        mode: String,
        on: bool,
    }
    impl Default for Demo {
        fn default() -> Self {
            Demo {
                n: 3,
                rate: 0.5,
                mode: "a".into(),
                on: false,
            }
        }
    }
    static KNOBS: &[Knob] = &[
        Knob {
            key: "n",
            label: "Nodes",
            unit: "",
            help: "",
            kind: KnobKind::Int {
                min: 1,
                max: 64,
                log: false,
            },
        },
        Knob {
            key: "rate",
            label: "Rate",
            unit: "",
            help: "",
            kind: KnobKind::Float {
                min: 0.0,
                max: 1.0,
                step: 0.01,
                log: false,
            },
        },
        Knob {
            key: "mode",
            label: "Mode",
            unit: "",
            help: "",
            kind: KnobKind::Choice {
                options: &[("a", "A"), ("b", "B")],
            },
        },
        Knob {
            key: "on",
            label: "On",
            unit: "",
            help: "",
            kind: KnobKind::Bool,
        },
    ];
    impl Params for Demo {
        fn knobs() -> &'static [Knob] {
            KNOBS
        }
    }

    fn pairs(s: &[(&str, &str)]) -> Vec<(String, String)> {
        s.iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect()
    }

    #[test]
    fn out_of_range_values_are_clamped_with_a_notice() {
        let (p, n) = from_pairs::<Demo>(&pairs(&[("n", "1000"), ("rate", "-3")]), &[]);
        assert_eq!(p.n, 64);
        assert_eq!(p.rate, 0.0);
        assert_eq!(n.len(), 2);
        assert!(n[0]
            .message
            .contains("Nodes must be a whole number from 1 to 64"));
    }

    #[test]
    fn a_negative_count_is_clamped_without_resetting_the_others() {
        let (p, n) = from_pairs::<Demo>(&pairs(&[("n", "-5"), ("rate", "0.75")]), &[]);
        assert_eq!((p.n, p.rate), (1, 0.75));
        assert_eq!(n.len(), 1, "{n:?}");
        assert!(n[0].message.contains("using 1"));
    }

    #[test]
    fn garbage_keeps_the_default_and_says_so() {
        let (p, n) = from_pairs::<Demo>(
            &pairs(&[
                ("n", "lots"),
                ("mode", "zzz"),
                ("on", "maybe"),
                ("what", "1"),
            ]),
            &[],
        );
        assert_eq!(p, Demo::default());
        assert_eq!(n.len(), 4, "{n:?}");
    }

    #[test]
    fn pairs_round_trip() {
        let p = Demo {
            n: 9,
            rate: 0.25,
            mode: "b".into(),
            on: true,
        };
        let (q, n) = from_pairs::<Demo>(&to_pairs(&p), &[]);
        assert!(n.is_empty());
        assert_eq!(p, q);
        assert_eq!(changed_pairs(&Demo::default()), vec![]);
    }

    #[test]
    fn whole_floats_print_without_a_decimal_point() {
        let p = Demo {
            n: 2,
            rate: 1.0,
            mode: "a".into(),
            on: false,
        };
        assert_eq!(get(&p, "rate").as_deref(), Some("1"));
        let p = Demo { rate: 0.25, ..p };
        assert_eq!(get(&p, "rate").as_deref(), Some("0.25"));
    }

    #[test]
    fn ignored_keys_are_skipped_silently() {
        let (_, n) = from_pairs::<Demo>(&pairs(&[("seed", "5")]), &["seed"]);
        assert!(n.is_empty());
    }

    #[test]
    fn seeds_must_fit_in_a_javascript_number() {
        assert_eq!(parse_seed("42"), Ok(42));
        assert!(parse_seed("9007199254740992").is_err());
        assert!(parse_seed("-1").is_err());
    }
}
