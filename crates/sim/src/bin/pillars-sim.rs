//! `pillars-sim`: run any registered model natively and print its report as JSON.
//!
//! ```text
//! pillars-sim list [--json]
//! pillars-sim knobs <slug>
//! pillars-sim run <slug> [--seed N] [--set key=value]... [--trials N] [--pretty]
//! pillars-sim summary [--seed N]
//! ```
//!
//! `run` prints exactly what the site's "Export JSON" button saves for the same settings.

use sim::params::{self, KnobKind};
use sim::registry::{self, WIDGETS};
use std::process::ExitCode;

const USAGE: &str = "usage:
  pillars-sim list [--json]                 every widget, built or planned
  pillars-sim knobs <slug>                  the knobs of a model, with ranges
  pillars-sim run <slug> [--seed N] [--set key=value]... [--trials N] [--pretty]
  pillars-sim summary [--seed N]            the summary page's takeaways, each measured
  pillars-sim bench [--rounds N]            time the core benchmark natively";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match run(&args) {
        Ok(out) => {
            println!("{out}");
            ExitCode::SUCCESS
        }
        Err(msg) => {
            eprintln!("pillars-sim: {msg}\n{USAGE}");
            ExitCode::from(2)
        }
    }
}

fn run(args: &[String]) -> Result<String, String> {
    match args.first().map(String::as_str) {
        Some("list") => Ok(list(args.iter().any(|a| a == "--json"))),
        Some("knobs") => knobs(args.get(1).ok_or("knobs needs a slug")?),
        Some("run") => run_model(&args[1..]),
        Some("bench") => bench(&args[1..]),
        Some("summary") => summary(&args[1..]),
        Some("-h" | "--help" | "help") | None => Ok(USAGE.to_string()),
        Some(other) => Err(format!("unknown command “{other}”")),
    }
}

fn list(json: bool) -> String {
    if json {
        let rows: Vec<serde_json::Value> = WIDGETS
            .iter()
            .map(|w| {
                serde_json::json!({
                    "slug": w.slug, "page": w.page, "title": w.title,
                    "summary": w.summary, "built": w.is_built(),
                })
            })
            .collect();
        return serde_json::to_string_pretty(&rows).unwrap_or_default();
    }
    WIDGETS
        .iter()
        .map(|w| {
            format!(
                "{:>3}  {:<24} {}  {}",
                w.page,
                w.slug,
                if w.is_built() { "built  " } else { "planned" },
                w.title
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn built_model(slug: &str) -> Result<&'static sim::model::ModelEntry, String> {
    let w = registry::widget(slug)
        .ok_or_else(|| format!("no widget “{slug}” (try `pillars-sim list`)"))?;
    w.model
        .as_ref()
        .ok_or_else(|| format!("widget “{slug}” is planned but not built yet"))
}

fn knobs(slug: &str) -> Result<String, String> {
    let m = built_model(slug)?;
    let defaults = (m.defaults)();
    Ok((m.knobs)()
        .iter()
        .map(|k| {
            let kind = match k.kind {
                KnobKind::Bool => "bool".to_string(),
                _ => params::range_text(k),
            };
            format!(
                "{:<20} {:<40} default {}  ({}{})  {}",
                k.key,
                k.label,
                defaults[k.key],
                kind,
                if k.unit.is_empty() {
                    String::new()
                } else {
                    format!(", {}", k.unit)
                },
                k.help
            )
        })
        .collect::<Vec<_>>()
        .join("\n"))
}

fn run_model(args: &[String]) -> Result<String, String> {
    let slug = args.first().ok_or("run needs a slug")?;
    built_model(slug)?;
    let mut seed = params::DEFAULT_SEED;
    let mut trials: Option<u32> = None;
    let mut pretty = false;
    let mut pairs = Vec::new();
    let mut it = args[1..].iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--seed" => {
                let v = it.next().ok_or("--seed needs a value")?;
                seed = params::parse_seed(v).map_err(|n| n.message)?;
            }
            "--trials" => {
                let v = it.next().ok_or("--trials needs a value")?;
                let n: u32 = v
                    .parse()
                    .map_err(|_| format!("--trials takes a whole number, not “{v}”"))?;
                trials = Some(n);
            }
            "--set" => {
                let kv = it.next().ok_or("--set needs key=value")?;
                let (k, v) = kv
                    .split_once('=')
                    .ok_or_else(|| format!("--set takes key=value, not “{kv}”"))?;
                pairs.push((k.to_string(), v.to_string()));
            }
            "--pretty" => pretty = true,
            other => return Err(format!("unknown option “{other}”")),
        }
    }
    let text = match trials {
        Some(n) => sim::trials_json(slug, &pairs, seed, n)?,
        None => sim::run_json(slug, &pairs, seed)?,
    };
    if pretty {
        let v: serde_json::Value = serde_json::from_str(&text).map_err(|e| e.to_string())?;
        return serde_json::to_string_pretty(&v).map_err(|e| e.to_string());
    }
    Ok(text)
}

fn bench(args: &[String]) -> Result<String, String> {
    let rounds = match args {
        [flag, n] if flag == "--rounds" => n
            .parse()
            .map_err(|_| format!("--rounds takes a whole number, not “{n}”"))?,
        [] => 20u32,
        _ => return Err("bench takes only --rounds N".into()),
    };
    sim::bench::core_benchmark(1); // warm-up
    let t0 = std::time::Instant::now();
    let check = sim::bench::core_benchmark(rounds);
    let ms = t0.elapsed().as_secs_f64() * 1e3;
    // Per model: the median wall time of one default run (what a knob change costs the worker).
    let per_model: serde_json::Map<String, serde_json::Value> = sim::registry::built()
        .filter_map(|w| w.model.map(|m| (w.slug, m)))
        .map(|(slug, m)| {
            let mut t: Vec<f64> = (0..rounds.max(1))
                .map(|r| {
                    let t0 = std::time::Instant::now();
                    std::hint::black_box((m.run)(slug, &[], u64::from(r) + 1));
                    t0.elapsed().as_secs_f64() * 1e3
                })
                .collect();
            t.sort_unstable_by(f64::total_cmp);
            let median = (t[t.len() / 2] * 1e3).round() / 1e3;
            (slug.to_string(), serde_json::json!(median))
        })
        .collect();
    Ok(serde_json::json!({
        "rounds": rounds, "ms": (ms * 1e3).round() / 1e3, "check": check,
        "median_ms_per_default_run": per_model,
    })
    .to_string())
}

fn summary(args: &[String]) -> Result<String, String> {
    let seed = match args {
        [] => sim::summary::SEED,
        [flag, n] if flag == "--seed" => n.parse().map_err(|_| format!("bad seed “{n}”"))?,
        _ => return Err("summary takes only --seed N".into()),
    };
    serde_json::to_string_pretty(&sim::summary::findings(seed)).map_err(|e| e.to_string())
}
