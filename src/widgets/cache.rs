//! View of `cache` (book page 25): a cache-aside cache on a Zipf workload — hit ratio against
//! size for LRU, LFU and TTL beside the optimal static cache and Che's approximation, the read
//! latency it saves, the stale reads it serves, and the cache itself played request by request.

use crate::chrome::chart::{Chart, ChartSpec, Kind, Mark, Series};
use crate::chrome::host::{use_from_report, use_report, WidgetCtx};
use crate::chrome::metrics::{int, metric, ms, notes, pct, sig3, Tone};
use crate::chrome::player::use_live_sim;
use sim::models::cache::{
    CacheSim, CacheSnapshot, LastEvent, Outcome, Params, Policy, Report, SlotView,
};
use std::rc::Rc;
use yew::prelude::*;

/// Props of [`View`].
#[derive(Properties, PartialEq)]
pub struct Props {
    /// From the host.
    pub ctx: WidgetCtx,
}

/// The cache widget.
#[component]
pub fn View(props: &Props) -> Html {
    let ctx = &props.ctx;
    let p: Params = ctx.params();
    let report = use_report::<Report>(ctx);
    let chart = use_from_report(&report, {
        let size = p.cache_size;
        move |r| curve_chart(r, size)
    });
    let Some(r) = report else {
        return html! { <p class="muted">{"Computing…"}</p> };
    };
    let c = &r.counts;
    let policy = p.policy();
    let stale_tone = if c.stale_hits > 0 {
        Tone::Bad
    } else {
        Tone::Good
    };
    html! {
        <>
        <p class="callout">
            { format!("{} keys with Zipf popularity (s = {}), {} writes, read through a {} cache of {} entries ({} of the keys). Measured over {} reads after a {}-request warm-up:",
                int(u64::from(p.keys)), (p.zipf_s * 100.0).round() / 100.0, pct(p.write_fraction, 0), policy.label(),
                int(u64::from(p.cache_size)), pct(f64::from(p.cache_size.min(p.keys)) / f64::from(p.keys), 1),
                int(u64::from(c.reads)), int(u64::from(r.warmup_requests))) }
        </p>
        <dl class="metrics">
            { metric("hit_ratio", "Hit ratio", pct(r.hit_ratio, 1), Some(format!("Che (LRU) {} · optimal {}", pct(r.che_hit_ratio, 1), pct(r.optimal_hit_ratio, 1))), Tone::Plain) }
            { metric("latency", "Mean read latency", ms(Some(r.mean_latency_ms)), Some(format!("no cache: {}", ms(Some(r.no_cache_latency_ms)))), Tone::Plain) }
            { metric("latency_saved", "Latency saved per read", ms(Some(r.latency_saved_ms)), Some(format!("{}× faster · break-even hit ratio {}", sig3(r.speedup), pct(r.break_even_hit_ratio, 1))), if r.latency_saved_ms > 0.0 { Tone::Good } else { Tone::Bad }) }
            { metric("stale_fraction", "Stale reads", pct(r.stale_fraction, 2), Some(format!("{} of hits · {} reads", pct(r.stale_share_of_hits, 1), nb(int(u64::from(c.stale_hits))))), stale_tone) }
            { metric("max_stale_age", "Longest staleness served", format!("{} s", sig3(r.max_stale_age_s)), Some(format!("mean {} s", sig3(r.mean_stale_age_s))), Tone::Plain) }
            { metric("store_load", "Store reads", format!("{}/s", sig3(r.store_reads_per_s)), Some(format!("of {}/s reads · {} evictions", nb(sig3(p.rate * (1.0 - p.write_fraction))), nb(int(u64::from(c.evictions))))), Tone::Plain) }
        </dl>
        if let Some(spec) = (*chart).clone() {
            <Chart spec={spec} height={300} caption="Hit ratio against cache size (log scale): LRU, LFU and TTL measured on the same requests, with the optimal static cache and Che's approximation for LRU" />
        }
        <div class="table-wrap">
            <table class="data ca-table" aria-label="Hit ratio against cache size">
                <thead><tr><th>{"size C"}</th><th>{"LRU"}</th><th>{"Che (LRU)"}</th><th>{"LFU"}</th><th>{"TTL"}</th><th>{"optimal"}</th></tr></thead>
                <tbody>
                    { for r.curve.iter().map(|pt| html! {
                        <tr class={classes!((pt.size == p.cache_size.min(p.keys)).then_some("ca-sel"))}>
                            <td>{ int(u64::from(pt.size)) }</td><td>{ pct(pt.lru, 1) }</td><td>{ pct(pt.che, 1) }</td>
                            <td>{ pct(pt.lfu, 1) }</td><td>{ pct(pt.ttl, 1) }</td><td>{ pct(pt.optimal, 1) }</td>
                        </tr>
                    }) }
                </tbody>
            </table>
        </div>
        { notes(&r.notes) }
        <LiveCache params={p.clone()} seed={ctx.seed} id={ctx.id.clone()} />
        <section class="explain">
            <h3>{"What you are looking at"}</h3>
            <p>{"A store of N keys sits behind a cache of C entries. Requests arrive at random; each names a key, and a few keys are asked for far more than the rest (a Zipf law: the key of rank i is asked for in proportion to 1/iˢ). A read looks in the cache first; on a miss it reads the store and keeps the answer, pushing out the entry the policy likes least. A write goes straight to the store and, unless invalidation is on, leaves the cached copy behind: later hits on that key return the old version. Every number above is measured on one seeded stream of requests; the chart replays that same stream for each size and policy."}</p>
            <p>{"Two theory lines sit beside the measurements. The best a cache can do when popularity does not change is to hold the C most popular keys: its hit ratio is H(C,s) ÷ H(N,s), with H(n,s) = 1 + 2⁻ˢ + … + n⁻ˢ. For LRU, Che, Tung and Wang (2002) showed that each key behaves as if it stayed cached for a fixed characteristic time T after its last request, where T is set so that on average C keys are inside: Σ(1 − e^(−pᵢT)) = C; the hit ratio is then Σ pᵢ(1 − e^(−pᵢT)). The tests hold the simulated LRU to within one point of it."}</p>
            <h3>{"Try this"}</h3>
            <p>
                { ctx.try_this("Defaults", &[("keys", "1000"), ("zipf_s", "0.9"), ("cache_size", "100"), ("policy", "lru"), ("write_fraction", "0.05"), ("invalidate", "false"), ("hit_ms", "1"), ("store_ms", "20")]) }
                { ctx.try_this("No skew (s = 0)", &[("zipf_s", "0")]) }
                { ctx.try_this("Strong skew (s = 1.2)", &[("zipf_s", "1.2")]) }
                { ctx.try_this("LFU instead of LRU", &[("policy", "lfu")]) }
                { ctx.try_this("Invalidate on write", &[("invalidate", "true")]) }
                { ctx.try_this("TTL of 0.5 s", &[("policy", "ttl"), ("ttl_s", "0.5")]) }
                { ctx.try_this("Write-heavy: 30 %", &[("write_fraction", "0.3")]) }
                { ctx.try_this("A slow cache, no skew", &[("zipf_s", "0"), ("hit_ms", "5"), ("store_ms", "10")]) }
            </p>
            <h3>{"What to notice"}</h3>
            <ul>
                <li>{"The curve is concave: the first few entries catch the hottest keys and most of the benefit; each doubling of the cache buys less. With s = 0 every curve is the straight line C ÷ N."}</li>
                <li>{"LRU sits below the optimal line because a cold key read once pushes out a hot one; LFU remembers counts and comes closer, but in-cache LFU forgets a key's count on eviction, so newcomers are the next victims and it stays a few points short."}</li>
                <li>{"The TTL curve flattens at large sizes: there, copies expire before they are evicted, so more room buys nothing; the TTL, not the size, sets the hit ratio."}</li>
                <li>{"Without invalidation the hottest keys are both the most read and the most written, so stale reads are a far larger share of reads than the write share suggests. A TTL bounds how old a served copy can be; invalidation removes stale reads here but costs hits."}</li>
            </ul>
            <h3>{"Where the book's claim holds and where it fails"}</h3>
            <p>{ book_verdict(&p, &r) }</p>
        </section>
        </>
    }
}

/// The book's caching card, judged on this run.
fn book_verdict(p: &Params, r: &Report) -> String {
    let perf = if r.latency_saved_ms > 0.0 {
        format!(
            "Here the cache answers {} of reads and cuts the mean read from {} to {} ({}× faster): the card's \"massive read performance\" holds to that degree, and only because the workload is skewed (the hottest 1 % of keys draw {} of requests).",
            pct(r.hit_ratio, 1),
            ms(Some(r.no_cache_latency_ms)),
            ms(Some(r.mean_latency_ms)),
            sig3(r.speedup),
            pct(r.top1pct_share, 1)
        )
    } else {
        format!(
            "Here the cache answers only {} of reads, under the break-even {}, so reads get slower with it ({} against {}): the card's \"massive read performance\" fails.",
            pct(r.hit_ratio, 1),
            pct(r.break_even_hit_ratio, 1),
            ms(Some(r.mean_latency_ms)),
            ms(Some(r.no_cache_latency_ms))
        )
    };
    let cons = if p.write_fraction == 0.0 {
        " With no writes there is nothing to be stale, so its \"consistency complexity\" does not show.".to_string()
    } else if p.invalidate {
        format!(
            " Invalidation on write keeps every read fresh in this model, at the price of {} invalidations; the card's \"consistency complexity\" is the race this instant model leaves out (a slow fill putting an old value back after the delete).",
            int(u64::from(r.counts.invalidations))
        )
    } else {
        format!(
            " Its \"consistency complexity\" is measurable: with {} writes and no invalidation, {} of reads returned an old version, some stale for {} s.",
            pct(p.write_fraction, 0),
            pct(r.stale_fraction, 1),
            sig3(r.max_stale_age_s)
        )
    };
    format!("The book's caching card promises massive read performance at the cost of consistency complexity, when there is locality. {perf}{cons} Its condition is right but worth sharpening: what pays is skew in popularity, and under a steady Zipf law recency (LRU) is only a proxy for it.")
}

fn curve_chart(r: &Report, chosen: u32) -> Rc<ChartSpec> {
    let line = |f: fn(&sim::models::cache::CurvePoint) -> f64| -> Vec<(f64, f64)> {
        r.curve
            .iter()
            .map(|c| (f64::from(c.size), 100.0 * f(c)))
            .collect()
    };
    let n = r.curve.last().map(|c| c.size).unwrap_or(1);
    Rc::new(ChartSpec {
        title: "Hit ratio vs cache size".into(),
        x_label: "cache size C (entries)".into(),
        y_label: "hit ratio (%)".into(),
        x_log: true,
        y_min: Some(0.0),
        series: vec![
            Series::new("optimal static", Kind::Dashed, 5, line(|c| c.optimal)),
            Series::new("Che (LRU theory)", Kind::Dashed, 3, line(|c| c.che)),
            Series::new("LRU", Kind::Line, 0, line(|c| c.lru)),
            Series::new("LFU", Kind::Line, 1, line(|c| c.lfu)),
            Series::new("TTL", Kind::Line, 2, line(|c| c.ttl)),
        ],
        marks: vec![Mark {
            x: f64::from(chosen.min(n)),
            label: format!("C = {}", chosen),
        }],
        ..Default::default()
    })
}

type LiveProps = crate::chrome::player::LiveProps<Params>;

/// 1, 2 or 5 times a power of ten, nearest below `x`.
fn nice(x: f64) -> f64 {
    let mag = 10f64.powf(x.log10().floor());
    let m = x / mag;
    let f = if m >= 5.0 {
        5.0
    } else if m >= 2.0 {
        2.0
    } else {
        1.0
    };
    // round away binary noise (0.001 × 2 = 0.002000…4)
    let v = f * mag;
    let digits = (-v.log10().floor()).max(0.0) as i32 + 1;
    let k = 10f64.powi(digits);
    (v * k).round() / k
}

/// The same cache, played request by request from the same seed.
#[component]
fn LiveCache(props: &LiveProps) -> Html {
    let LiveProps { params, seed, id } = props;
    let live = use_live_sim(
        (params.clone(), *seed),
        |d| CacheSim::new(&d.0, d.1),
        |s| s.snapshot(),
        nice(4.0 / params.rate.max(1.0)),
    );
    // simulated seconds per real second, chosen so that about 1, 4, 20, 100 and 1000 requests
    // play each second
    const PER_SECOND: [f64; 5] = [1.0, 4.0, 20.0, 100.0, 1000.0];
    let speeds: Vec<f64> = PER_SECOND
        .iter()
        .map(|k| nice(k / params.rate.max(1.0)))
        .collect();
    // named by what the reader sees: about so many requests a second
    let labels: Vec<AttrValue> = speeds
        .iter()
        .map(|s| {
            let v = s * params.rate.max(1.0);
            let v = if v >= 1.0 {
                int(v.round() as u64)
            } else {
                sig3(v)
            };
            format!("≈ {v} req/s").into()
        })
        .collect();
    let s: &CacheSnapshot = &live.snap;
    let c = &s.counters;
    let hit = if c.reads > 0 {
        f64::from(c.hits) / f64::from(c.reads)
    } else {
        0.0
    };
    html! {
        <section class="live" aria-label="Live simulation">
            <h3>{"The cache, request by request"}</h3>
            { live.player_labelled(speeds, labels, format!("t = {:.3} s · {} requests · {} hits", s.t.max(live.clock), int(u64::from(s.processed)), int(u64::from(c.hits))), id.clone()) }
            { cache_svg(s) }
            <p class="ca-legend muted">{ match s.policy {
                Policy::Lfu => "Blue: a fresh copy; red: a stale one. Under each key: its use count since it entered (×n). The next victim is last.",
                _ => "Blue: a fresh copy; red: stale (−n v: n versions behind the store); dashed: past its TTL. Under each key: the age of the copy. The next victim is last.",
            } }</p>
            <p class="ca-last muted">{ last_text(s.last.as_ref()) }</p>
            <dl class="metrics">
                { metric("live_hit", "Hit ratio so far", pct(hit, 1), Some(format!("{} reads from a cold cache", int(u64::from(c.reads)))), Tone::Plain) }
                { metric("live_stale", "Stale reads so far", int(u64::from(c.stale_hits)), Some(format!("{} writes", int(u64::from(c.writes)))), if c.stale_hits > 0 { Tone::Bad } else { Tone::Plain }) }
                { metric("live_evictions", "Evictions", int(u64::from(c.evictions)), Some(format!("{} of {} slots used", int(u64::from(s.len)), int(u64::from(s.capacity)))), Tone::Plain) }
            </dl>
        </section>
    }
}

fn last_text(e: Option<&LastEvent>) -> String {
    let Some(e) = e else {
        return "Press Step to send the first request.".into();
    };
    let k = e.request.key + 1;
    let ev = e
        .evicted
        .map(|v| format!("; key #{} was evicted to make room", v + 1))
        .unwrap_or_default();
    match e.outcome {
        Outcome::Hit => format!(
            "Read key #{k}: hit, fresh (copy fetched {} s ago).",
            sig3(e.copy_age_s.unwrap_or(0.0))
        ),
        Outcome::StaleHit => format!(
            "Read key #{k}: hit, but STALE — the store has moved on; the copy has been out of date for {} s.",
            sig3(e.stale_age_s.unwrap_or(0.0))
        ),
        Outcome::Miss => format!("Read key #{k}: miss, read from the store and cached{ev}."),
        Outcome::Expired => {
            format!("Read key #{k}: the cached copy was older than the TTL, so it was fetched again (a miss).")
        }
        Outcome::Write => {
            format!("Write key #{k}: the store has a new version; the cache is left alone.")
        }
        Outcome::WriteInvalidated => {
            format!("Write key #{k}: the store has a new version and the cached copy was deleted.")
        }
    }
}

const COLS: usize = 10;
const CELL: f64 = 40.0;

fn slot_cell(i: usize, v: &SlotView, policy: Policy, current: Option<u32>, top: f64) -> Html {
    let (x, y) = (
        (i % COLS) as f64 * CELL,
        top + (i / COLS) as f64 * (CELL - 4.0),
    );
    let class = if v.expired {
        "ca-slot ca-expired"
    } else if v.behind > 0 {
        "ca-slot ca-stale"
    } else {
        "ca-slot ca-fresh"
    };
    let sub = match policy {
        Policy::Lfu => format!("×{}", v.uses),
        _ if v.behind > 0 => format!("−{}v", v.behind),
        _ => format!("{}s", short_age(v.age_s)),
    };
    let cur = current == Some(v.key);
    html! {
        <g class={classes!(class, cur.then_some("ca-cur"))}>
            <rect x={fmt(x + 2.0)} y={fmt(y)} width={fmt(CELL - 4.0)} height={fmt(CELL - 8.0)} rx="4" />
            <text x={fmt(x + CELL / 2.0)} y={fmt(y + 13.0)} text-anchor="middle" font-size="11">{ format!("#{}", v.key + 1) }</text>
            <text x={fmt(x + CELL / 2.0)} y={fmt(y + 26.0)} text-anchor="middle" font-size="11" class="ca-sub">{ sub }</text>
        </g>
    }
}

/// Thin spaces that do not break a number across lines.
fn nb(s: String) -> String {
    s.replace('\u{2009}', "\u{202f}")
}

fn short_age(a: f64) -> String {
    if a >= 100.0 {
        format!("{a:.0}")
    } else if a >= 10.0 {
        format!("{a:.1}")
    } else {
        format!("{a:.2}")
    }
}

fn fmt(x: f64) -> String {
    format!("{x:.1}")
}

/// The cache's slots (safest first, next victim last) above the store's hottest keys.
fn cache_svg(s: &CacheSnapshot) -> Html {
    let current = s.last.map(|e| e.request.key);
    let mut cells: Vec<Option<&SlotView>> = s.hot.iter().map(Some).collect();
    if s.hidden > 0 {
        cells.push(None);
    }
    cells.extend(s.cold.iter().map(Some));
    let rows = cells.len().div_ceil(COLS).max(1);
    let top = 18.0;
    let store_top = top + rows as f64 * (CELL - 4.0) + 26.0;
    let store_n = s.store.len().max(1);
    let sw = (COLS as f64 * CELL) / store_n as f64;
    let h = store_top + 54.0;
    let order = match s.policy {
        Policy::Lfu => "most used first",
        _ => "most recent first",
    };
    let last_i = cells.len().saturating_sub(1);
    let victim = s.len >= s.capacity && s.len > 0;
    html! {
        <svg class="drawing ca-drawing" viewBox={format!("-2 0 {} {}", COLS as f64 * CELL + 4.0, h)} role="img"
             aria-label={format!("Cache holding {} of {} entries; store below", s.len, s.capacity)}>
            <text x="0" y="12" font-size="11" class="ca-label">{ format!("Cache · {} · {} / {} entries · {order}", s.policy.label(), s.len, s.capacity) }</text>
            if cells.is_empty() {
                <text x="0" y={fmt(top + 18.0)} font-size="11" class="ca-sub">{"empty: every first read misses"}</text>
            }
            { for cells.iter().enumerate().map(|(i, c)| match c {
                Some(v) => slot_cell(i, v, s.policy, current, top),
                None => {
                    let (x, y) = ((i % COLS) as f64 * CELL, top + (i / COLS) as f64 * (CELL - 4.0));
                    html! { <text x={fmt(x + CELL / 2.0)} y={fmt(y + 20.0)} text-anchor="middle" font-size="11" class="ca-sub">{ format!("+{}", s.hidden) }</text> }
                }
            }) }
            if victim && !cells.is_empty() {
                <text x={fmt((last_i % COLS) as f64 * CELL + CELL / 2.0)} y={fmt(top + (last_i / COLS) as f64 * (CELL - 4.0) + CELL - 1.0)} text-anchor="middle" font-size="11" class="ca-sub">{"next out"}</text>
            }
            <text x="0" y={fmt(store_top - 6.0)} font-size="11" class="ca-label">{ format!("Store · keys #1–#{} by popularity · version (● cached)", s.store.len()) }</text>
            { for s.store.iter().enumerate().map(|(k, &(ver, cached))| {
                let x = k as f64 * sw;
                let cur = current == Some(k as u32);
                html! {
                    <g class={classes!("ca-key", cached.then_some("ca-cached"), cur.then_some("ca-cur"))}>
                        <rect x={fmt(x + 1.0)} y={fmt(store_top)} width={fmt(sw - 2.0)} height="40" rx="3" />
                        <text x={fmt(x + sw / 2.0)} y={fmt(store_top + 12.0)} text-anchor="middle" font-size="11">{ k + 1 }</text>
                        <text x={fmt(x + sw / 2.0)} y={fmt(store_top + 24.0)} text-anchor="middle" font-size="11" class="ca-sub">{ format!("v{ver}") }</text>
                        if cached { <circle cx={fmt(x + sw / 2.0)} cy={fmt(store_top + 33.0)} r="2.5" class="ca-dot" /> }
                    </g>
                }
            }) }
        </svg>
    }
}
