//! [`WidgetHost`]: the frame every widget lives in.
//!
//! It owns the widget's state — validated knob values and the seed — reading it from the URL on
//! mount and writing it back on every change; asks the runner for the report whenever the state
//! changes (coalescing a burst of slider moves into one run at a time); and lays out the shared
//! chrome: title, clamp notices, generated controls, seed, export and share. The widget's own
//! view (from [`crate::widgets`]) gets a [`WidgetCtx`] with the state, the report and callbacks.

use super::{controls::Controls, export, runner, url};
use crate::widgets;
use serde::de::DeserializeOwned;
use sim::params::{self, Notice};
use sim::registry::{self, Widget};
use std::cell::RefCell;
use std::rc::Rc;
use yew::prelude::*;
use yew_router::history::{BrowserHistory, History};

/// How the widget is shown.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// Its own page: everything, state in bare query keys.
    Full,
    /// On a book page beside others: state under `slug.` keys.
    Inline,
    /// In an iframe or script embed: no site chrome.
    Embed,
}

/// What a view receives from its host.
#[derive(Clone)]
pub struct WidgetCtx {
    /// The registry entry.
    pub widget: &'static Widget,
    /// Validated knob values, in knob order. For the widget's view these are the values its
    /// report was computed for (the newest settings until the first report arrives), so what a
    /// view draws always matches its numbers, and moving a knob does not re-render the view
    /// until the new report is in.
    pub pairs: Rc<Vec<(String, String)>>,
    /// The seed (for the view: the report's seed).
    pub seed: u64,
    /// The latest report (the JSON the CLI prints), parsed; `None` until the first run ends.
    pub output: Option<Rc<serde_json::Value>>,
    /// Set several knobs at once (e.g. a "Try this" link or an action button).
    pub set: Callback<Vec<(String, String)>>,
    /// Unique prefix for element ids.
    pub id: AttrValue,
    /// How the widget is shown.
    pub mode: Mode,
}

impl PartialEq for WidgetCtx {
    fn eq(&self, o: &Self) -> bool {
        self.widget.slug == o.widget.slug
            && self.pairs == o.pairs
            && self.seed == o.seed
            && self.output.as_ref().map(Rc::as_ptr) == o.output.as_ref().map(Rc::as_ptr)
            && self.set == o.set
            && self.id == o.id
            && self.mode == o.mode
    }
}

impl WidgetCtx {
    /// The typed params (already valid; parsing again cannot produce notices).
    pub fn params<P: params::Params>(&self) -> P {
        params::from_pairs::<P>(&self.pairs, &[]).0
    }

    /// A "Try this" button that sets the given knobs.
    pub fn try_this(&self, label: &str, set: &[(&str, &str)]) -> Html {
        let pairs: Vec<(String, String)> = set
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let cb = self.set.reform(move |_: MouseEvent| pairs.clone());
        html! { <button type="button" class="try" onclick={cb}>{ label }</button> }
    }
}

/// A memo key that is one particular `Rc`: equal only to itself (`Rc::ptr_eq`), never compared
/// by content. It holds its `Rc`, so the address cannot be freed and handed to the next report
/// while the key is kept — which a bare address (`Rc::as_ptr as usize`) allows, since
/// `use_memo` drops its old value before computing the new one: same-sized reports then land
/// on the same address and the memo wrongly keeps the old result.
pub struct Same<T>(pub Rc<T>);

impl<T> PartialEq for Same<T> {
    fn eq(&self, o: &Self) -> bool {
        Rc::ptr_eq(&self.0, &o.0)
    }
}

/// Parse the report inside the output once per new output.
#[hook]
pub fn use_report<R: DeserializeOwned + 'static>(ctx: &WidgetCtx) -> Option<Rc<R>> {
    let out = ctx.output.clone();
    let memo = use_memo(out.clone().map(Same), move |_| {
        // deserialise straight from the borrowed value: no copy of the report's JSON tree
        out.and_then(|o| R::deserialize(o.get("report")?).ok())
            .map(Rc::new)
    });
    (*memo).clone()
}

/// Something derived from the report — its charts, usually — computed once when a report
/// arrives and kept until the next one; `None` until the first. Keyed with [`Same`], so a new
/// report always recomputes, even one that reuses the old one's address.
#[hook]
pub fn use_from_report<R, T, F>(report: &Option<Rc<R>>, derive: F) -> Rc<Option<T>>
where
    R: 'static,
    T: 'static,
    F: FnOnce(&R) -> T,
{
    use_memo(report.clone().map(Same), move |key| {
        key.as_ref().map(|Same(r)| derive(r))
    })
}

/// Props of [`WidgetHost`].
#[derive(Properties, PartialEq)]
pub struct HostProps {
    /// The widget's slug.
    pub slug: AttrValue,
    /// How it is shown.
    #[prop_or(Mode::Full)]
    pub mode: Mode,
    /// Query string to start from instead of the page URL (script embeds); state is then not
    /// written back to the URL.
    #[prop_or_default]
    pub initial_query: Option<AttrValue>,
}

#[derive(Clone, PartialEq)]
struct State {
    slug: &'static str,
    pairs: Rc<Vec<(String, String)>>,
    seed: u64,
    notices: Rc<Vec<Notice>>,
    runs: Runs,
}

/// What a run is for: validated knob values and the seed.
type Key = (Rc<Vec<(String, String)>>, u64);

/// A finished run: its key, the parsed JSON and the exact text (for export).
type Done = (Key, Rc<serde_json::Value>, Rc<String>);

/// The widget's runs: at most one in flight, the newest wanted state waiting behind it (a burst
/// of slider moves coalesces into one run at a time). The reducer asks for a run the moment the
/// state changes — before Yew renders — so the worker computes while the page repaints the
/// controls.
#[derive(Clone, Default)]
struct Runs(Rc<RunsInner>);

#[derive(Default)]
struct RunsInner {
    inflight: std::cell::Cell<bool>,
    /// The newest key asked for (in flight, waiting or done): asking again for it is a no-op.
    asked: RefCell<Option<Key>>,
    /// The key to run once the one in flight is done, and whether it wants the full run (after
    /// its quick first look came back partial) rather than the quick one.
    waiting: RefCell<Option<(Key, bool)>>,
    /// Where finished runs go (the host's state handle, refreshed every render).
    done: RefCell<Option<UseStateHandle<Option<Done>>>>,
}

impl PartialEq for Runs {
    fn eq(&self, o: &Self) -> bool {
        Rc::ptr_eq(&self.0, &o.0)
    }
}

impl Runs {
    /// Ask for the report of `key`; a no-op if it is already the newest asked for.
    fn want(&self, slug: &'static str, key: Key) {
        if self.0.asked.borrow().as_ref() == Some(&key) {
            return;
        }
        *self.0.asked.borrow_mut() = Some(key.clone());
        *self.0.waiting.borrow_mut() = Some((key, false));
        self.pump(slug);
    }

    /// Start the waiting run unless one is in flight; on completion, start the next.
    fn pump(&self, slug: &'static str) {
        if self.0.inflight.get() {
            return;
        }
        let Some((key, full)) = self.0.waiting.borrow_mut().take() else {
            return;
        };
        self.0.inflight.set(true);
        let (this, pairs, seed) = (self.clone(), key.0.clone(), key.1);
        // the quick look first: for most models it is the full run; for a model with a slow
        // part it is the report without it, shown at once while the full run follows —
        // unless the reader has moved on by then
        let job = if full {
            runner::Job::Run
        } else {
            runner::Job::Quick
        };
        runner::request(slug, &pairs, seed, job, move |res| {
            this.0.inflight.set(false);
            match res {
                Ok(raw) => match serde_json::from_str::<serde_json::Value>(&raw) {
                    Ok(v) => {
                        let partial = is_partial(&v);
                        let mut waiting = this.0.waiting.borrow_mut();
                        match &*waiting {
                            // a quick look: the full run follows unless the reader moved on
                            None if partial => *waiting = Some((key.clone(), true)),
                            // asked again for this very key meanwhile (A → B → A): this answers it
                            Some((k, false)) if *k == key => {
                                *waiting = partial.then(|| (key.clone(), true))
                            }
                            _ => {}
                        }
                        drop(waiting);
                        if let Some(done) = this.0.done.borrow().as_ref() {
                            done.set(Some((key, Rc::new(v), Rc::new(raw))));
                        }
                    }
                    Err(e) => {
                        web_sys::console::warn_1(&format!("{slug}: unreadable report: {e}").into())
                    }
                },
                Err(e) => web_sys::console::warn_1(&format!("{slug}: {e}").into()),
            }
            this.pump(slug);
        });
    }
}

/// Whether a run's output is only a quick look (`sim::quick_json` marks it), the full run to come.
fn is_partial(out: &serde_json::Value) -> bool {
    out.get("partial").and_then(|p| p.as_bool()) == Some(true)
}

/// Everything that changes a widget's state. Applied by a reducer, so an action always works on
/// the newest state, whichever render created the callback that sent it.
enum Action {
    /// Set these knobs (validated; `seed` is ignored here).
    Knobs(Vec<(String, String)>),
    /// Use this seed.
    Seed(u64),
    /// The seed typed was unreadable.
    BadSeed(Notice),
    /// Back to the defaults and the default seed.
    Defaults,
    /// Hide the notices.
    Dismiss,
}

impl Reducible for State {
    type Action = Action;
    fn reduce(self: Rc<Self>, action: Action) -> Rc<Self> {
        let Some(m) = registry::widget(self.slug).and_then(|w| w.runnable()) else {
            return self;
        };
        let mut next = (*self).clone();
        match action {
            Action::Knobs(changes) => {
                let mut pairs = (*self.pairs).clone();
                for (k, v) in changes.into_iter().filter(|(k, _)| k != "seed") {
                    match pairs.iter_mut().find(|(key, _)| *key == k) {
                        Some(kv) => kv.1 = v,
                        None => pairs.push((k, v)),
                    }
                }
                let (pairs, notices) = (m.validate)(&pairs);
                next.pairs = Rc::new(pairs);
                next.notices = Rc::new(notices);
            }
            Action::Seed(s) => next.seed = s,
            Action::BadSeed(n) => next.notices = Rc::new(vec![n]),
            Action::Defaults => {
                next.pairs = Rc::new((m.validate)(&[]).0);
                next.seed = params::DEFAULT_SEED;
                next.notices = Rc::new(Vec::new());
            }
            Action::Dismiss => next.notices = Rc::new(Vec::new()),
        }
        if next.pairs != self.pairs || next.seed != self.seed {
            // start computing now; the render this dispatch schedules overlaps the run
            next.runs.want(next.slug, (next.pairs.clone(), next.seed));
        }
        Rc::new(next)
    }
}

fn initial_state(w: &Widget, mode: Mode, initial_query: Option<&str>) -> State {
    let m = w.model.as_ref().expect("host only mounts built widgets");
    let prefix = (mode == Mode::Inline).then(|| format!("{}.", w.slug));
    let all = match initial_query {
        Some(q) => url::parse_query(q),
        None => url::current_pairs(),
    };
    let mine = url::scoped(&all, prefix.as_deref());
    // not knobs: the seed, an embed's theme, and the site an embed came from
    let reserved = ["seed", "theme", "site"];
    let mut notices = Vec::new();
    let mut seed = params::DEFAULT_SEED;
    if let Some((_, raw)) = mine.iter().rev().find(|(k, _)| k == "seed") {
        match params::parse_seed(raw) {
            Ok(s) => seed = s,
            Err(n) => notices.push(n),
        }
    }
    let knob_pairs: Vec<(String, String)> = mine
        .into_iter()
        .filter(|(k, _)| !reserved.contains(&k.as_str()))
        .collect();
    let (pairs, more) = (m.validate)(&knob_pairs);
    notices.extend(more);
    State {
        slug: w.slug,
        pairs: Rc::new(pairs),
        seed,
        notices: Rc::new(notices),
        runs: Runs::default(),
    }
}

/// Only the pairs that differ from the model's defaults, plus the seed if not the default.
fn url_pairs(w: &Widget, st: &State) -> Vec<(String, String)> {
    let m = w.model.as_ref().expect("built");
    let (defaults, _) = (m.validate)(&[]);
    let mut out: Vec<(String, String)> = st
        .pairs
        .iter()
        .filter(|kv| !defaults.contains(kv))
        .cloned()
        .collect();
    if st.seed != params::DEFAULT_SEED {
        out.push(("seed".into(), st.seed.to_string()));
    }
    out
}

fn random_seed() -> u64 {
    (js_sys::Math::random() * 1e9).floor() as u64 + 1
}

/// The frame every widget lives in. Shows "not built" for planned widgets and "no such widget"
/// for unknown slugs, never a blank page.
#[component]
pub fn WidgetHost(props: &HostProps) -> Html {
    match registry::widget(&props.slug) {
        Some(w) if w.runnable().is_some() => {
            html! { <BuiltHost widget_slug={w.slug} mode={props.mode} initial_query={props.initial_query.clone()} /> }
        }
        // built, but into another page's bundle (a script embed that loaded the wrong one)
        Some(w) if w.is_built() => html! {
            <section class="widget">
                <h2>{ w.title }</h2>
                <p class="notice" role="alert">{ format!("This copy of Pillars Lab was built without “{}”: it lives in page {}'s bundle.", w.slug, w.page) }</p>
            </section>
        },
        Some(w) => html! {
            <section class="widget planned">
                <h2>{ w.title }</h2>
                <p class="muted">{ w.summary }</p>
                <p class="badge">{"Not built yet"}</p>
            </section>
        },
        None => html! {
            <section class="widget">
                <p class="notice" role="alert">{ format!("There is no widget called “{}”.", props.slug) }</p>
            </section>
        },
    }
}

#[derive(Properties, PartialEq)]
struct BuiltProps {
    widget_slug: &'static str,
    mode: Mode,
    initial_query: Option<AttrValue>,
}

#[component]
fn BuiltHost(props: &BuiltProps) -> Html {
    let w = registry::widget(props.widget_slug).expect("checked by WidgetHost");
    let m = w.model.expect("built");
    let mode = props.mode;
    let iq = props.initial_query.clone();
    let state = use_reducer(|| initial_state(w, mode, iq.as_deref()));
    let done = use_state(|| None::<Done>);
    *state.runs.0.done.borrow_mut() = Some(done.clone());
    // busy: the report shown is not for the current settings (or there is none yet), or is
    // only its quick first look
    let busy = done
        .as_ref()
        .is_none_or(|(key, v, _)| key.0 != state.pairs || key.1 != state.seed || is_partial(v));
    let output = done.as_ref().map(|(_, v, raw)| (v.clone(), raw.clone()));
    let writes_url = props.initial_query.is_none();
    let prefix = (mode == Mode::Inline).then(|| format!("{}.", w.slug));

    {
        // write the URL once a burst of moves settles (history.replaceState costs a few ms;
        // a slider drag need not pay it on every frame)
        let (st, prefix) = ((*state).clone(), prefix.clone());
        let timer = use_mut_ref(|| None::<gloo::timers::callback::Timeout>);
        use_effect_with((st.pairs.clone(), st.seed), move |_| {
            if writes_url {
                let pairs = url_pairs(w, &st);
                *timer.borrow_mut() = Some(gloo::timers::callback::Timeout::new(120, move || {
                    url::replace_scoped(prefix.as_deref(), &pairs);
                }));
            }
        });
    }
    {
        // the first run (later ones start in the reducer; asking again is a no-op)
        let runs = state.runs.clone();
        use_effect_with((state.pairs.clone(), state.seed), move |(pairs, seed)| {
            runs.want(w.slug, (pairs.clone(), *seed));
        });
    }

    // callbacks built on the reducer's dispatcher are stable across renders, so components
    // that take them (controls, seed field) re-render only when their values change — and never
    // rewrite an input the reader is typing in because a report arrived
    let dispatch = state.dispatcher();
    let set = use_callback(dispatch.clone(), |changes: Vec<(String, String)>, d| {
        d.dispatch(Action::Knobs(changes))
    });
    let on_knob = use_callback(dispatch.clone(), |kv: (String, String), d| {
        d.dispatch(Action::Knobs(vec![kv]))
    });
    let set_seed = use_callback(dispatch.clone(), |s: u64, d| d.dispatch(Action::Seed(s)));
    let bad_seed = use_callback(dispatch.clone(), |n: Notice, d| {
        d.dispatch(Action::BadSeed(n))
    });
    let id: AttrValue = format!("w-{}", w.slug).into();
    let ctx = WidgetCtx {
        widget: w,
        pairs: state.pairs.clone(),
        seed: state.seed,
        output: output.as_ref().map(|(v, _)| v.clone()),
        set: set.clone(),
        id: id.clone(),
        mode,
    };
    // the view sees the settings of the report it shows (see `WidgetCtx::pairs`)
    let view_ctx = match done.as_ref() {
        Some(((pairs, seed), _, _)) => WidgetCtx {
            pairs: pairs.clone(),
            seed: *seed,
            ..ctx.clone()
        },
        None => ctx.clone(),
    };
    let export_json = {
        let output = output.clone();
        let name = format!("{}-seed{}.json", w.slug, state.seed);
        Callback::from(move |_: MouseEvent| {
            if let Some((_, raw)) = output.as_ref() {
                export::download_text(&name, "application/json", raw);
            }
        })
    };
    let share = Callback::from(move |_: MouseEvent| {
        if let Some(href) = super::dom::window().and_then(|w| w.location().href().ok()) {
            export::copy_text(&href);
        }
    });
    let reset = use_callback(dispatch.clone(), |_: MouseEvent, d| {
        d.dispatch(Action::Defaults)
    });
    let dismiss = use_callback(dispatch, |_: MouseEvent, d| d.dispatch(Action::Dismiss));
    let title = match mode {
        Mode::Full => html! { <h1>{ w.title }</h1> },
        // in the app: the page's bundle carries the widget, so its own page opens without a load,
        // with the settings the reader has made here (their keys lose the page's `slug.` prefix).
        // The query is written here, not by yew-router's `Link`, whose query support would link
        // serde_urlencoded into every bundle (≈ 2 KiB brotli per address).
        Mode::Inline => {
            let q = url::encode_query(&url_pairs(w, &state));
            let href = if q.is_empty() {
                format!("/widget/{}", w.slug)
            } else {
                format!("/widget/{}?{q}", w.slug)
            };
            let onclick = {
                let href = href.clone();
                Callback::from(move |e: MouseEvent| {
                    // a plain click opens it here; a modified one does what the browser does
                    if e.button() == 0
                        && !(e.ctrl_key() || e.meta_key() || e.shift_key() || e.alt_key())
                    {
                        e.prevent_default();
                        BrowserHistory::new().push(href.clone());
                    }
                })
            };
            html! { <h2><a href={href} {onclick}>{ w.title }</a></h2> }
        }
        Mode::Embed => {
            // in someone else's page a relative link would point at their site, not ours
            let site = props
                .initial_query
                .as_deref()
                .and_then(|q| {
                    url::parse_query(q)
                        .into_iter()
                        .find(|(k, _)| k == "site")
                        .map(|(_, v)| v)
                })
                .filter(|s| s.starts_with("https://") || s.starts_with("http://"))
                .unwrap_or_else(url::origin);
            let q = url::encode_query(&url_pairs(w, &state));
            let href = if q.is_empty() {
                format!("{site}/widget/{}", w.slug)
            } else {
                format!("{site}/widget/{}?{q}", w.slug)
            };
            html! { <h2>{ w.title }{" "}<a class="open-full" href={href} target="_blank" rel="noopener">{"Open in Pillars Lab ↗"}</a></h2> }
        }
    };
    html! {
        <section class={classes!("widget", format!("widget-{}", w.slug), (mode == Mode::Embed).then_some("embedded"))} data-slug={w.slug}
            aria-busy={busy.to_string()}>
            <header class="widget-head">
                { title }
                <p class="summary">{ w.summary }</p>
            </header>
            if !state.notices.is_empty() {
                <div class="notice" role="status">
                    <strong>{"Some settings were adjusted: "}</strong>
                    <ul>{ for state.notices.iter().map(|n| html! { <li>{ &n.message }</li> }) }</ul>
                    <button type="button" class="link" onclick={dismiss}>{"Dismiss"}</button>
                </div>
            }
            <div class="widget-body">
                <aside class="panel controls-panel" aria-label="Settings">
                    <Controls knobs={(m.knobs)()} values={state.pairs.clone()} on_change={on_knob} id_prefix={id.clone()} />
                    <SeedField seed={state.seed} on_seed={set_seed} on_bad={bad_seed} id={id.clone()} />
                    <div class="actions">
                        <button type="button" onclick={export_json} disabled={output.is_none()} title="Download the report: the same JSON the CLI prints">{"Export JSON"}</button>
                        if writes_url { <button type="button" onclick={share} title="Copy a link to exactly this run">{"Copy link"}</button> }
                        <button type="button" onclick={reset}>{"Defaults"}</button>
                    </div>
                    if busy { <p class="busy" role="status"><span class="spinner" aria-hidden="true"></span>{"computing…"}</p> }
                </aside>
                <div class="view">
                    { widgets::view(view_ctx) }
                    if m.stochastic { <super::batch::Batch ctx={ctx} /> }
                    if mode == Mode::Full {
                        <crate::pages::embed::EmbedSnippets slug={w.slug} title={w.title} pairs={url_pairs(w, &state)} />
                    }
                </div>
            </div>
        </section>
    }
}

#[derive(Properties, PartialEq)]
struct SeedProps {
    seed: u64,
    on_seed: Callback<u64>,
    on_bad: Callback<Notice>,
    id: AttrValue,
}

/// The seed box and "New seed". Its own component, so that a report arriving (which re-renders
/// the host) never rewrites what the reader is typing here.
#[component]
fn SeedField(props: &SeedProps) -> Html {
    let SeedProps {
        seed,
        on_seed,
        on_bad,
        id,
    } = props;
    let onchange = {
        let (on_seed, on_bad) = (on_seed.clone(), on_bad.clone());
        Callback::from(move |e: Event| {
            use wasm_bindgen::JsCast;
            if let Some(t) = e
                .target()
                .and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok())
            {
                match params::parse_seed(&t.value()) {
                    Ok(s) => on_seed.emit(s),
                    Err(n) => on_bad.emit(n),
                }
            }
        })
    };
    let new_seed = on_seed.reform(|_: MouseEvent| random_seed());
    html! {
        <div class="knob seed">
            <div class="knob-head"><label for={format!("{id}-seed")}>{"Seed"}</label><span class="range">{"same seed, same run"}</span></div>
            <div class="knob-row">
                <input type="number" class="num wide" id={format!("{id}-seed")} min="0" value={seed.to_string()} {onchange} />
                <button type="button" onclick={new_seed}>{"New seed"}</button>
            </div>
        </div>
    }
}
