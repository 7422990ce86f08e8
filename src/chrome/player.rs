//! Play, pause, step, speed and reset for step-able simulations.
//!
//! [`use_frames`] calls back once per animation frame while running, with the real time elapsed;
//! the view turns that into simulated time (× speed) and advances its `Simulation`. When the
//! reader prefers reduced motion, frames come twice a second instead: the picture steps rather
//! than glides. Time stops while an embedded widget is scrolled off screen or the tab is hidden.

use super::dom;
use gloo::timers::callback::{Interval, Timeout};
use std::cell::{Cell, RefCell};
use std::rc::Rc;
use wasm_bindgen::{closure::Closure, JsCast};
use yew::prelude::*;

/// How far along its flight a message is at `now`: 0 when sent, 1 on arrival. With `still`
/// (the reader prefers reduced motion) it is half way, so a message shows as on its way without
/// gliding.
pub fn flight_progress(now: f64, sent: f64, arrive: f64, still: bool) -> f64 {
    if still {
        0.5
    } else {
        ((now - sent) / (arrive - sent).max(1e-9)).clamp(0.0, 1.0)
    }
}

type FrameClosure = Closure<dyn FnMut(f64)>;

/// One running animation-frame loop. The closure re-requests itself each frame; stopping
/// cancels the pending frame and drops the closure on a later task, never while it runs.
struct FrameLoop {
    alive: Cell<bool>,
    last: Cell<f64>,
    pending: Cell<Option<i32>>,
    closure: RefCell<Option<FrameClosure>>,
}

impl FrameLoop {
    fn request(&self) {
        let (Some(w), Some(c)) = (
            dom::window(),
            self.closure
                .borrow()
                .as_ref()
                .map(|c| c.as_ref().unchecked_ref::<js_sys::Function>().clone()),
        ) else {
            return;
        };
        self.pending.set(w.request_animation_frame(&c).ok());
    }
}

/// Call `on_frame(real_ms_elapsed)` every animation frame while `running`.
#[hook]
pub fn use_frames(running: bool, on_frame: Callback<f64>) {
    let cb = use_mut_ref(|| on_frame.clone());
    *cb.borrow_mut() = on_frame;
    use_effect_with(running, move |running| {
        let mut interval = None;
        let lp = Rc::new(FrameLoop {
            alive: Cell::new(true),
            last: Cell::new(0.0),
            pending: Cell::new(None),
            closure: RefCell::new(None),
        });
        if *running {
            if dom::reduced_motion() {
                let cb = cb.clone();
                interval = Some(Interval::new(500, move || {
                    if !dom::paused_by_page() {
                        cb.borrow().emit(500.0);
                    }
                }));
            } else {
                let me = lp.clone();
                let closure = Closure::<dyn FnMut(f64)>::new(move |t: f64| {
                    if !me.alive.get() {
                        return;
                    }
                    let last = me.last.replace(t);
                    let dt = if last > 0.0 {
                        (t - last).clamp(0.0, 100.0)
                    } else {
                        16.0
                    };
                    // off screen (embeds) or in a hidden tab: keep the loop, stop the clock
                    if !dom::paused_by_page() {
                        let f = cb.borrow().clone();
                        f.emit(dt);
                    }
                    if me.alive.get() {
                        me.request();
                    }
                });
                *lp.closure.borrow_mut() = Some(closure);
                lp.request();
            }
        }
        move || {
            lp.alive.set(false);
            if let (Some(w), Some(id)) = (dom::window(), lp.pending.take()) {
                let _ = w.cancel_animation_frame(id);
            }
            // break the Rc cycle, but not while the closure may be on the stack
            let closure = lp.closure.borrow_mut().take();
            Timeout::new(0, move || drop(closure)).forget();
            drop(interval);
        }
    });
}

/// Props of [`Player`].
#[derive(Properties, PartialEq)]
pub struct PlayerProps {
    /// Whether time is running.
    pub running: bool,
    /// Simulated seconds per real second.
    pub speed: f64,
    /// The speeds offered.
    #[prop_or(vec![0.1, 0.5, 1.0, 5.0, 20.0])]
    pub speeds: Vec<f64>,
    /// Play/pause pressed.
    pub on_toggle: Callback<()>,
    /// Step pressed.
    pub on_step: Callback<()>,
    /// Reset pressed.
    pub on_reset: Callback<()>,
    /// Speed chosen.
    pub on_speed: Callback<f64>,
    /// Status text (e.g. simulated time), announced politely.
    #[prop_or_default]
    pub status: AttrValue,
    /// How each speed is named in the menu, when "k×" (simulated seconds per real second) is not
    /// the natural unit — "4 req/s", say; one per speed, else "k×" is used.
    #[prop_or_default]
    pub labels: Vec<AttrValue>,
    /// Unique id prefix.
    pub id_prefix: AttrValue,
}

/// The transport bar.
#[component]
pub fn Player(props: &PlayerProps) -> Html {
    let p = props;
    let toggle = p.on_toggle.reform(|_| ());
    let step = p.on_step.reform(|_| ());
    let reset = p.on_reset.reform(|_| ());
    let on_speed = p.on_speed.clone();
    let speed_change = Callback::from(move |e: Event| {
        use wasm_bindgen::JsCast;
        if let Some(s) = e
            .target()
            .and_then(|t| t.dyn_into::<web_sys::HtmlSelectElement>().ok())
        {
            if let Ok(v) = s.value().parse::<f64>() {
                on_speed.emit(v);
            }
        }
    });
    let sid = format!("{}-speed", p.id_prefix);
    html! {
        <div class="player" role="group" aria-label="Simulation playback">
            <button type="button" class="primary" onclick={toggle} aria-pressed={p.running.to_string()}>
                { if p.running { "❚❚ Pause" } else { "▶ Play" } }
            </button>
            <button type="button" onclick={step} disabled={p.running}>{"Step"}</button>
            <button type="button" onclick={reset}>{"Reset"}</button>
            <label for={sid.clone()} class="speed">{"Speed"}</label>
            <select id={sid} onchange={speed_change}>
                { for p.speeds.iter().enumerate().map(|(i, s)| {
                    let label = match p.labels.get(i) {
                        Some(l) if p.labels.len() == p.speeds.len() => l.to_string(),
                        _ => format!("{s}×"),
                    };
                    html! { <option value={s.to_string()} selected={(*s - p.speed).abs() < 1e-9}>{ label }</option> }
                }) }
            </select>
            <span class="status" aria-live="polite">{ p.status.clone() }</span>
        </div>
    }
}

/// Props of a widget's live view: the params and seed it plays (the report's own, so the live
/// run is the run the numbers describe), and an id prefix for its controls.
#[derive(Properties, PartialEq)]
pub struct LiveProps<P: PartialEq> {
    /// The params it plays.
    pub params: P,
    /// The seed it plays.
    pub seed: u64,
    /// Unique id prefix.
    pub id: AttrValue,
}

/// A live, step-able simulation wired to a [`Player`]: what [`use_live_sim`] returns.
pub struct LiveSim<S: 'static, K: 'static> {
    /// The latest snapshot, for drawing.
    pub snap: UseStateHandle<K>,
    /// Simulated seconds shown so far. The view owns this clock: events are sparse, so it runs
    /// ahead of the last event.
    pub clock: f64,
    running: UseStateHandle<bool>,
    speed: UseStateHandle<f64>,
    toggle: Callback<()>,
    step: Callback<()>,
    reset: Callback<()>,
    sim: Rc<RefCell<S>>,
    clock_cell: Rc<RefCell<f64>>,
    snapshot: Reader<S, K>,
}

/// How a live view reads its picture: from the simulation alone, or at the view's clock (for
/// state that moves between events: tokens refilling, windows sliding).
enum Reader<S, K> {
    Plain(fn(&S) -> K),
    At(fn(&S, f64) -> K),
}

impl<S, K> Clone for Reader<S, K> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<S, K> Copy for Reader<S, K> {}

impl<S, K> Reader<S, K> {
    fn read(self, s: &S, t: f64) -> K {
        match self {
            Reader::Plain(f) => f(s),
            Reader::At(f) => f(s, t),
        }
    }
}

impl<S: sim::model::Simulation + 'static, K: 'static> LiveSim<S, K> {
    /// A callback that changes the running simulation, for faults injected while it plays
    /// (crash a node, cut a link): `f` gets the simulation, the view's clock (simulated seconds
    /// shown, which may be ahead of the last event) and the callback's argument. What `f`
    /// scheduled for now is applied at once (events up to the clock), so a fault clicked while
    /// paused shows straight away rather than at the next Step; the snapshot is refreshed after
    /// it. Playback state is left as it was.
    pub fn poke<A: 'static>(&self, f: fn(&mut S, f64, A)) -> Callback<A> {
        let (sim, clock, snap, snapshot) = (
            self.sim.clone(),
            self.clock_cell.clone(),
            self.snap.clone(),
            self.snapshot,
        );
        Callback::from(move |a: A| {
            let mut s = sim.borrow_mut();
            let t = *clock.borrow();
            f(&mut s, t, a);
            s.advance_to(t);
            snap.set(snapshot.read(&s, t));
        })
    }

    /// A callback that jumps ahead to simulated time `.0` (never back) and plays on from there
    /// at speed `.1`: "skip to just before the interesting part, in slow motion".
    pub fn seek(&self) -> Callback<(f64, f64)> {
        let (sim, clock, snap, snapshot, speed, running) = (
            self.sim.clone(),
            self.clock_cell.clone(),
            self.snap.clone(),
            self.snapshot,
            self.speed.clone(),
            self.running.clone(),
        );
        Callback::from(move |(target, pace): (f64, f64)| {
            let mut s = sim.borrow_mut();
            let t = target.max(*clock.borrow());
            s.advance_to(t);
            *clock.borrow_mut() = t;
            snap.set(snapshot.read(&s, t));
            speed.set(pace);
            running.set(true);
        })
    }

    /// Read the simulation (its params, its scale) without changing it.
    pub fn with<R>(&self, f: impl FnOnce(&S) -> R) -> R {
        f(&self.sim.borrow())
    }

    /// The transport bar for this simulation.
    pub fn player(&self, speeds: Vec<f64>, status: String, id: AttrValue) -> Html {
        self.player_labelled(speeds, Vec::new(), status, id)
    }

    /// [`LiveSim::player`] with a name for each speed in the menu (see [`PlayerProps::labels`]).
    pub fn player_labelled(
        &self,
        speeds: Vec<f64>,
        labels: Vec<AttrValue>,
        status: String,
        id: AttrValue,
    ) -> Html {
        let speed = self.speed.clone();
        html! {
            <Player running={*self.running} speed={*self.speed} {speeds} {labels} on_toggle={self.toggle.clone()}
                on_step={self.step.clone()} on_reset={self.reset.clone()}
                on_speed={Callback::from(move |v: f64| speed.set(v))} {status} id_prefix={id} />
        }
    }
}

/// Run a `Simulation` live: built by `make` from `deps` (rebuilt and paused whenever they
/// change), advanced on animation frames at the chosen speed, one event per Step, rebuilt on
/// Reset; `snapshot` reads what the view draws. `initial_speed` is the speed until the reader
/// picks one, and again whenever it changes. Play stops after the last event, and Play
/// again starts the run over.
#[hook]
pub fn use_live_sim<S, K, D>(
    deps: D,
    make: fn(&D) -> S,
    snapshot: fn(&S) -> K,
    initial_speed: f64,
) -> LiveSim<S, K>
where
    S: sim::model::Simulation + 'static,
    K: 'static,
    D: PartialEq + Clone + 'static,
{
    use_live(deps, make, Reader::Plain(snapshot), initial_speed, None)
}

/// [`use_live_sim`] for a view that draws state between events: `snapshot_at` reads the
/// simulation at the view's clock, and the clock runs on after the last event up to `end`
/// (simulated seconds), where play stops.
#[hook]
pub fn use_live_sim_at<S, K, D>(
    deps: D,
    make: fn(&D) -> S,
    snapshot_at: fn(&S, f64) -> K,
    initial_speed: f64,
    end: fn(&S) -> f64,
) -> LiveSim<S, K>
where
    S: sim::model::Simulation + 'static,
    K: 'static,
    D: PartialEq + Clone + 'static,
{
    use_live(
        deps,
        make,
        Reader::At(snapshot_at),
        initial_speed,
        Some(end),
    )
}

/// Whether a live run shown at clock `t` has nothing left to play: past its `end`, or, without
/// one, out of events.
fn finished<S: sim::model::Simulation>(s: &S, t: f64, end: Option<fn(&S) -> f64>) -> bool {
    match end {
        Some(end) => t >= end(s),
        None => s.next_event_time().is_none(),
    }
}

#[hook]
fn use_live<S, K, D>(
    deps: D,
    make: fn(&D) -> S,
    snapshot: Reader<S, K>,
    initial_speed: f64,
    end: Option<fn(&S) -> f64>,
) -> LiveSim<S, K>
where
    S: sim::model::Simulation + 'static,
    K: 'static,
    D: PartialEq + Clone + 'static,
{
    let sim = use_mut_ref(|| make(&deps));
    let clock = use_mut_ref(|| 0.0f64);
    let snap = use_state(|| snapshot.read(&sim.borrow(), 0.0));
    let running = use_state(|| false);
    let speed = use_state(|| initial_speed);
    {
        // a view whose speeds depend on its params passes a new default when they change: the
        // old speed may not be on offer any more, so take the new default
        let (speed, last) = (speed.clone(), use_mut_ref(|| initial_speed));
        use_effect_with(initial_speed.to_bits(), move |_| {
            if *last.borrow() != initial_speed {
                *last.borrow_mut() = initial_speed;
                speed.set(initial_speed);
            }
        });
    }
    let restart = {
        let (sim, clock, snap, running) =
            (sim.clone(), clock.clone(), snap.clone(), running.clone());
        move |d: &D| {
            *sim.borrow_mut() = make(d);
            *clock.borrow_mut() = 0.0;
            snap.set(snapshot.read(&sim.borrow(), 0.0));
            running.set(false);
        }
    };
    {
        let restart = restart.clone();
        use_effect_with(deps.clone(), move |d| restart(d));
    }
    let on_frame = {
        let (sim, clock, snap, running, speed) = (
            sim.clone(),
            clock.clone(),
            snap.clone(),
            running.clone(),
            *speed,
        );
        Callback::from(move |dt_ms: f64| {
            let mut s = sim.borrow_mut();
            let mut t = *clock.borrow() + dt_ms / 1000.0 * speed;
            if let Some(end) = end {
                t = t.min(end(&s));
            }
            *clock.borrow_mut() = t;
            s.advance_to(t);
            if finished(&*s, t, end) {
                running.set(false);
            }
            snap.set(snapshot.read(&s, t));
        })
    };
    use_frames(*running, on_frame);
    let toggle = {
        let (running, sim, clock, restart, deps) = (
            running.clone(),
            sim.clone(),
            clock.clone(),
            restart.clone(),
            deps.clone(),
        );
        Callback::from(move |_| {
            // Play on a finished run plays it again from the start
            let over = finished(&*sim.borrow(), *clock.borrow(), end);
            if !*running && over {
                restart(&deps);
            }
            running.set(!*running)
        })
    };
    let step = {
        let (sim, clock, snap) = (sim.clone(), clock.clone(), snap.clone());
        Callback::from(move |_| {
            let mut s = sim.borrow_mut();
            s.step();
            // never backwards: the clock may have run past the last event
            let t = s.now().max(*clock.borrow());
            *clock.borrow_mut() = t;
            snap.set(snapshot.read(&s, t));
        })
    };
    let reset = Callback::from(move |_| restart(&deps));
    let now = *clock.borrow();
    LiveSim {
        snap,
        clock: now,
        running,
        speed,
        toggle,
        step,
        reset,
        sim,
        clock_cell: clock,
        snapshot,
    }
}

#[cfg(test)]
mod flight_tests {
    use super::flight_progress;
    use wasm_bindgen_test::wasm_bindgen_test as test;

    #[test]
    fn a_message_moves_from_sender_to_receiver_and_stays_put_under_reduced_motion() {
        assert_eq!(flight_progress(5.0, 10.0, 20.0, false), 0.0); // not sent yet
        assert_eq!(flight_progress(15.0, 10.0, 20.0, false), 0.5);
        assert_eq!(flight_progress(25.0, 10.0, 20.0, false), 1.0); // arrived
        assert_eq!(flight_progress(10.0, 10.0, 10.0, false), 0.0); // zero-length flight
        assert_eq!(flight_progress(10.1, 10.0, 10.0, false), 1.0);
        assert_eq!(flight_progress(12.0, 10.0, 20.0, true), 0.5);
    }
}
