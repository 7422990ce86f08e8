//! Pillar map (book page 21, "Why Pillars?"): the page's model of Part II as data — the
//! constraints (axioms) each pillar wrestles with, the five pillars, the coverage table, the
//! pillar-interaction model, the historical timeline and the "house" — joined to this site's own
//! widgets, so the page's claims can be checked against something measured.
//!
//! What lives here, in our own words: the eight constraint labels the page's diagram hangs under
//! the pillars, which pillar lists which label, the page's five interaction lines, its seven
//! decades and its house. What is *derived*, never repeated: pages, titles, routes and whether a
//! widget is built all come from [`crate::registry`], as does the one judgement the map needs
//! from each widget: `Widget::crosses`, the other pillars it crosses into beyond the pillar of
//! its own page, each with a one-line reason. From that the report builds the 5 × 5
//! interaction matrix (a cell counts the widgets that touch both pillars) and measures the page's
//! three checks — completeness, minimality, orthogonality — on our data.
//!
//! Knobs choose what the map highlights: a focus (a pillar, or an axiom, which lights the
//! pillars that list it) and one cell of the matrix, whose widgets the report lists. The model
//! has no randomness and no time: the seed is ignored.

use crate::model::Model;
use crate::params::{Knob, KnobKind, Notice, Params as ParamsTrait};
use crate::registry::{self, Pillar};
use serde::{Deserialize, Serialize};

/// The pillar map model.
pub struct PillarMap;

/// The five pillars, in the book's order (I–V).
pub const FIVE: [Pillar; 5] = [
    Pillar::Work,
    Pillar::State,
    Pillar::Truth,
    Pillar::Control,
    Pillar::Intelligence,
];

/// The identifier of a pillar, as used in knob values and the report (`"work"`, …).
pub fn pillar_id(p: Pillar) -> &'static str {
    match p {
        Pillar::Overview => "overview",
        Pillar::Work => "work",
        Pillar::State => "state",
        Pillar::Truth => "truth",
        Pillar::Control => "control",
        Pillar::Intelligence => "intelligence",
    }
}

/// The pillar with this identifier (one of the five; `overview` is not a pillar).
pub fn pillar_of(id: &str) -> Option<Pillar> {
    FIVE.iter().copied().find(|p| pillar_id(*p) == id)
}

/// One constraint label that the page's diagram names under a pillar.
#[derive(Clone, Copy, Debug)]
pub struct Axiom {
    /// Identifier (knob value).
    pub id: &'static str,
    /// The label as the page writes it.
    pub name: &'static str,
    /// What the constraint says, in our words.
    pub gloss: &'static str,
}

/// The constraint labels of page 21's diagram, in the order it first names them. The page says
/// the pillars rest on Part I's eight axioms; Part I is not part of this text, so these are the
/// page's own labels, not a transcription of Part I's list.
pub static AXIOMS: &[Axiom] = &[
    Axiom {
        id: "capacity",
        name: "Capacity",
        gloss: "Every machine, link and queue holds only so much.",
    },
    Axiom {
        id: "latency",
        name: "Latency",
        gloss: "Information takes time to travel; distance is never free.",
    },
    Axiom {
        id: "failure",
        name: "Failure",
        gloss: "Components break, so a design has to expect it.",
    },
    Axiom {
        id: "coordination",
        name: "Coordination",
        gloss: "Agreeing costs messages, round trips and waiting.",
    },
    Axiom {
        id: "concurrency",
        name: "Concurrency",
        gloss: "Many things happen at once, in no single global order.",
    },
    Axiom {
        id: "partial_failure",
        name: "Partial failure",
        gloss: "Some parts fail while others run on, and nobody can be sure which.",
    },
    Axiom {
        id: "human_interface",
        name: "Human interface",
        gloss: "People run the system, and people slip under pressure.",
    },
    Axiom {
        id: "observability",
        name: "Observability",
        gloss: "Nobody sees the whole system's state at one moment.",
    },
];

/// How many axioms Part I has, as the page's prerequisites box and the summary say.
pub const PART_ONE_AXIOMS: u32 = 8;

/// What the page says about one pillar, in our words.
#[derive(Clone, Copy, Debug)]
pub struct PillarFacts {
    /// Which pillar.
    pub pillar: Pillar,
    /// Roman numeral, as the pages number them.
    pub numeral: &'static str,
    /// Core pillar (I–III) or extension (IV–V).
    pub core: bool,
    /// Ids of the [`AXIOMS`] the page's diagram hangs under it.
    pub axioms: &'static [&'static str],
    /// Anything else the diagram names under it that is not an axiom.
    pub also: &'static str,
    /// The system aspect the coverage table gives it.
    pub aspect: &'static str,
    /// Its part of the house.
    pub house_part: &'static str,
    /// What that part does, in our words.
    pub house_role: &'static str,
}

const ALL_AXIOMS: &[&str] = &[
    "capacity",
    "latency",
    "failure",
    "coordination",
    "concurrency",
    "partial_failure",
    "human_interface",
    "observability",
];

/// The five pillars as page 21 (diagram, coverage table, house) and the summary describe them.
pub static PILLARS: &[PillarFacts] = &[
    PillarFacts {
        pillar: Pillar::Work,
        numeral: "I",
        core: true,
        axioms: &["capacity", "latency"],
        also: "",
        aspect: "Request handling",
        house_part: "rooms",
        house_role: "a living space: where requests are served",
    },
    PillarFacts {
        pillar: Pillar::State,
        numeral: "II",
        core: true,
        axioms: &["capacity", "latency", "failure"],
        also: "",
        aspect: "Data persistence",
        house_part: "rooms",
        house_role: "a living space: where the data is kept",
    },
    PillarFacts {
        pillar: Pillar::Truth,
        numeral: "III",
        core: true,
        axioms: &["coordination", "concurrency", "partial_failure"],
        also: "",
        aspect: "Consistency",
        house_part: "foundation",
        house_role: "the foundation: everything above stands on agreed facts",
    },
    PillarFacts {
        pillar: Pillar::Control,
        numeral: "IV",
        core: false,
        axioms: &["human_interface", "observability"],
        also: "",
        aspect: "Operations",
        house_part: "walls",
        house_role: "the walls: hold the structure up and in shape",
    },
    PillarFacts {
        pillar: Pillar::Intelligence,
        numeral: "V",
        core: false,
        axioms: ALL_AXIOMS,
        also: "feedback loops",
        aspect: "Adaptation",
        house_part: "roof",
        house_role: "the roof: protects the house and adapts to the weather",
    },
];

/// The facts of one of the five pillars.
pub fn facts(p: Pillar) -> Option<&'static PillarFacts> {
    PILLARS.iter().find(|f| f.pillar == p)
}

/// One line of the page's pillar-interaction model. `b == None` means "× all".
#[derive(Clone, Copy, Debug)]
pub struct Interaction {
    /// First pillar.
    pub a: Pillar,
    /// Second pillar, or `None` for every other pillar.
    pub b: Option<Pillar>,
    /// What the page says lives there, in short.
    pub label: &'static str,
}

/// The page's five interaction lines.
pub static INTERACTIONS: &[Interaction] = &[
    Interaction {
        a: Pillar::Work,
        b: Some(Pillar::State),
        label: "Stateless or stateful services",
    },
    Interaction {
        a: Pillar::Work,
        b: Some(Pillar::Truth),
        label: "How consistent computation must be",
    },
    Interaction {
        a: Pillar::State,
        b: Some(Pillar::Truth),
        label: "Where the CAP theorem rules",
    },
    Interaction {
        a: Pillar::Control,
        b: None,
        label: "Orchestration, where control meets every pillar",
    },
    Interaction {
        a: Pillar::Intelligence,
        b: None,
        label: "Self-healing, where intelligence meets every pillar",
    },
];

/// One decade of the page's historical timeline.
#[derive(Clone, Copy, Debug)]
pub struct EraFacts {
    /// First year of the decade.
    pub decade: u16,
    /// What the decade is remembered for.
    pub label: &'static str,
    /// The pillar the page says emerged (or became critical) then, if one.
    pub emerges: Option<Pillar>,
    /// What happened, in our words.
    pub note: &'static str,
}

/// The page's timeline, 1960s–2020s.
pub static TIMELINE: &[EraFacts] = &[
    EraFacts {
        decade: 1960,
        label: "Mainframes",
        emerges: None,
        note: "One big machine: nothing to distribute yet.",
    },
    EraFacts {
        decade: 1970,
        label: "Client-server",
        emerges: Some(Pillar::Work),
        note: "Work leaves the central machine for clients and servers.",
    },
    EraFacts {
        decade: 1980,
        label: "Databases",
        emerges: Some(Pillar::State),
        note: "Data starts to be split and copied across machines.",
    },
    EraFacts {
        decade: 1990,
        label: "The Internet",
        emerges: Some(Pillar::Truth),
        note: "Machines far apart must agree over links that fail.",
    },
    EraFacts {
        decade: 2000,
        label: "Web scale",
        emerges: Some(Pillar::Control),
        note: "Fleets grow too big to run by hand.",
    },
    EraFacts {
        decade: 2010,
        label: "Cloud",
        emerges: None,
        note: "All the pillars mature as rented infrastructure.",
    },
    EraFacts {
        decade: 2020,
        label: "AI and the edge",
        emerges: Some(Pillar::Intelligence),
        note: "Systems learn from their own signals and act near the data.",
    },
];

/// The crossings of a slug (from its registry line), if the slug is registered.
pub fn tags_of(slug: &str) -> Option<&'static [(Pillar, &'static str)]> {
    registry::widget(slug).map(|w| w.crosses)
}

/// The pillar of a widget's own page.
pub fn home_of(w: &registry::Widget) -> Pillar {
    registry::page(w.page)
        .map(|p| p.pillar)
        .unwrap_or(Pillar::Overview)
}

/// Every pillar a widget touches: its home (unless that is the overview) and its crossings, in
/// pillar order, each once.
pub fn touches(w: &registry::Widget) -> Vec<Pillar> {
    let home = home_of(w);
    let tags = tags_of(w.slug).unwrap_or(&[]);
    FIVE.iter()
        .copied()
        .filter(|p| *p == home || tags.iter().any(|(t, _)| t == p))
        .collect()
}

const FOCUS: &[(&str, &str)] = &[
    ("none", "Nothing"),
    ("work", "Pillar I: Work"),
    ("state", "Pillar II: State"),
    ("truth", "Pillar III: Truth"),
    ("control", "Pillar IV: Control"),
    ("intelligence", "Pillar V: Intelligence"),
    ("capacity", "Axiom: Capacity"),
    ("latency", "Axiom: Latency"),
    ("failure", "Axiom: Failure"),
    ("coordination", "Axiom: Coordination"),
    ("concurrency", "Axiom: Concurrency"),
    ("partial_failure", "Axiom: Partial failure"),
    ("human_interface", "Axiom: Human interface"),
    ("observability", "Axiom: Observability"),
];

const CELL: &[(&str, &str)] = &[
    ("none", "None"),
    ("work", "Work"),
    ("state", "State"),
    ("truth", "Truth"),
    ("control", "Control"),
    ("intelligence", "Intelligence"),
];

/// The knobs: what the map highlights.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Params {
    /// `none`, a pillar id, or an axiom id: what to highlight.
    pub focus: String,
    /// Row of the open matrix cell: a pillar id or `none`.
    pub row: String,
    /// Column of the open matrix cell: a pillar id or `none`.
    pub col: String,
    /// A year on the page's timeline: pillars that had not emerged by then are drawn faded.
    pub year: u32,
}

impl Default for Params {
    fn default() -> Self {
        Params {
            focus: "none".into(),
            row: "state".into(),
            col: "truth".into(),
            year: 2025,
        }
    }
}

static KNOBS: &[Knob] = &[
    Knob {
        key: "focus",
        label: "Focus",
        unit: "",
        help: "A pillar (its axioms, pages and widgets light up) or an axiom (the pillars that wrestle with it light up).",
        kind: KnobKind::Choice { options: FOCUS },
    },
    Knob {
        key: "row",
        label: "Matrix row",
        unit: "",
        help: "Row pillar of the interaction-matrix cell to open.",
        kind: KnobKind::Choice { options: CELL },
    },
    Knob {
        key: "col",
        label: "Matrix column",
        unit: "",
        help: "Column pillar of the interaction-matrix cell to open.",
        kind: KnobKind::Choice { options: CELL },
    },
    Knob {
        key: "year",
        label: "Year",
        unit: "",
        help: "Walk the page's timeline: a pillar joins the house in the decade the page says it emerged.",
        kind: KnobKind::Int {
            min: 1960,
            max: 2029,
            log: false,
        },
    },
];

fn valid(options: &[(&str, &str)], v: &str) -> bool {
    options.iter().any(|(o, _)| *o == v)
}

impl ParamsTrait for Params {
    fn knobs() -> &'static [Knob] {
        KNOBS
    }

    fn check(&mut self, notices: &mut Vec<Notice>) {
        // range clamping already made every choice valid; this guards direct construction
        if !valid(FOCUS, &self.focus) {
            notices.push(Notice::new("focus", "Focus: unknown; showing nothing"));
            self.focus = "none".into();
        }
        for (key, v) in [("row", &mut self.row), ("col", &mut self.col)] {
            if !valid(CELL, v) {
                notices.push(Notice::new(key, "unknown pillar; using none"));
                *v = "none".into();
            }
        }
        match (self.row == "none", self.col == "none") {
            (false, true) => {
                notices.push(Notice::new(
                    "col",
                    format!(
                        "Matrix column: a cell needs a row and a column; showing {0} × {0}",
                        name(&self.row)
                    ),
                ));
                self.col = self.row.clone();
            }
            (true, false) => {
                notices.push(Notice::new(
                    "row",
                    format!(
                        "Matrix row: a cell needs a row and a column; showing {0} × {0}",
                        name(&self.col)
                    ),
                ));
                self.row = self.col.clone();
            }
            _ => {}
        }
    }
}

fn name(id: &str) -> &'static str {
    pillar_of(id).map(Pillar::name).unwrap_or("None")
}

/// A link to a book page of this site.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PageLink {
    /// Book page number.
    pub number: u8,
    /// Its title.
    pub title: String,
    /// The site route, `/page/N`.
    pub route: String,
}

/// One widget of the registry as the map sees it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct WidgetInfo {
    /// Slug.
    pub slug: String,
    /// Title.
    pub title: String,
    /// Book page.
    pub page: u8,
    /// Built (has a model) or planned.
    pub built: bool,
    /// The site route, `/widget/slug`.
    pub route: String,
    /// Pillar id of its page (`overview` for page 21).
    pub home: String,
    /// Pillars it crosses into, as `(pillar id, reason)`.
    pub crosses: Vec<(String, String)>,
    /// Whether the current focus lights it (it touches a highlighted pillar).
    pub lit: bool,
}

/// One pillar, with everything the map shows for it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PillarInfo {
    /// Id (`work`, …).
    pub id: String,
    /// Name.
    pub name: String,
    /// Roman numeral.
    pub numeral: String,
    /// Core (I–III) or extension (IV–V).
    pub core: bool,
    /// Axiom ids the page hangs under it.
    pub axioms: Vec<String>,
    /// Anything else it wrestles with (not an axiom).
    pub also: String,
    /// The system aspect of the coverage table.
    pub aspect: String,
    /// Part of the house.
    pub house_part: String,
    /// What that part does.
    pub house_role: String,
    /// The summary page's takeaway for this pillar: its insight and rule of thumb.
    pub insight: String,
    /// Its pages.
    pub pages: Vec<PageLink>,
    /// Slugs of the widgets on its pages.
    pub widgets: Vec<String>,
    /// Slugs of widgets from other pillars' pages that cross into it.
    pub visitors: Vec<String>,
    /// How many of its own widgets are built.
    pub built: u32,
    /// Highlighted by the current focus.
    pub lit: bool,
    /// The decade the page says it emerged.
    pub since: u16,
    /// Emerged by the chosen year.
    pub emerged: bool,
}

/// One axiom and the pillars that wrestle with it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AxiomInfo {
    /// Id.
    pub id: String,
    /// The page's label.
    pub name: String,
    /// What it says, in our words.
    pub gloss: String,
    /// Pillar ids that list it.
    pub pillars: Vec<String>,
    /// Highlighted by the current focus.
    pub lit: bool,
}

/// One cell of the 5 × 5 interaction matrix.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Cell {
    /// Row pillar id.
    pub row: String,
    /// Column pillar id.
    pub col: String,
    /// Indices into the report's `interactions`: the page's lines that apply here (none on
    /// the diagonal).
    pub notes: Vec<u32>,
    /// Slugs: off the diagonal, widgets touching both pillars; on it, widgets touching only
    /// that pillar.
    pub widgets: Vec<String>,
}

/// The open cell, spelled out.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Selected {
    /// Row pillar id.
    pub row: String,
    /// Column pillar id.
    pub col: String,
    /// "State × Truth".
    pub label: String,
    /// The page's lines for it.
    pub notes: Vec<String>,
    /// Its widgets, each with why it belongs here.
    pub widgets: Vec<(String, String)>,
}

/// One decade of the timeline.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Era {
    /// First year of the decade.
    pub decade: u16,
    /// What it is remembered for.
    pub label: String,
    /// Pillar id that emerged then, or "".
    pub emerges: String,
    /// In our words.
    pub note: String,
}

/// One line of the coverage table.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Aspect {
    /// System aspect.
    pub aspect: String,
    /// Pillar id covering it.
    pub pillar: String,
}

/// The page's claims, measured on the site's own widgets.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Checks {
    /// Coverage-table aspects with a pillar, and how many distinct pillars they use.
    pub aspects: u32,
    /// Distinct pillars the coverage table uses.
    pub aspect_pillars: u32,
    /// Widgets (besides the overview page's) with a home pillar.
    pub homed: u32,
    /// Widgets considered (all but the overview page's).
    pub widgets: u32,
    /// Pillars that are the home of at least one widget.
    pub pillars_with_widgets: u32,
    /// Pillars with a widget that touches no other pillar.
    pub pillars_with_pure: u32,
    /// Widgets that touch two or more pillars.
    pub crossing: u32,
    /// Share of `widgets` that cross.
    pub crossing_share: f64,
    /// Off-diagonal pairs (of 10) with at least one widget.
    pub pairs_covered: u32,
    /// The pair with the most widgets, as "State × Truth", and its count.
    pub busiest_pair: (String, u32),
    /// Pairs the page names (three lines and two "× all") with no widget of ours.
    pub named_pairs_empty: Vec<String>,
    /// Constraint labels the page's diagram names.
    pub axioms_named: u32,
    /// Axioms Part I has, by the page's own count.
    pub axioms_claimed: u32,
    /// The decades in which the pillars emerge follow the numerals I–V.
    pub emergence_in_order: bool,
}

/// The model's output.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Report {
    /// Focus id.
    pub focus: String,
    /// What the focus is: `none`, `pillar` or `axiom`.
    pub focus_kind: String,
    /// Its label.
    pub focus_label: String,
    /// The five pillars.
    pub pillars: Vec<PillarInfo>,
    /// The constraint labels with the pillars that list them.
    pub axioms: Vec<AxiomInfo>,
    /// Every widget of the registry, in registry order.
    pub widgets: Vec<WidgetInfo>,
    /// The overview page(s) (page 21).
    pub overview_pages: Vec<PageLink>,
    /// The matrix, row-major, rows and columns in pillar order.
    pub matrix: Vec<Vec<Cell>>,
    /// The most widgets in any cell (for shading).
    pub max_cell: u32,
    /// The open cell.
    pub selected: Option<Selected>,
    /// Widgets lit by the focus.
    pub lit_widgets: u32,
    /// The chosen year.
    pub year: u32,
    /// Pillar ids emerged by `year`, in pillar order.
    pub emerged: Vec<String>,
    /// Index into `timeline` of the decade holding `year`.
    pub era: u32,
    /// The timeline.
    pub timeline: Vec<Era>,
    /// The coverage table.
    pub coverage: Vec<Aspect>,
    /// The page's five interaction lines, as "Work × State: …".
    pub interactions: Vec<String>,
    /// Built widgets, of all.
    pub built: u32,
    /// All widgets in the registry.
    pub total: u32,
    /// The page's claims, measured.
    pub checks: Checks,
    /// Plain-language notes on this state of the map.
    pub notes: Vec<String>,
}

/// The summary page's takeaway for a pillar (its insight and its rule of thumb), from the one
/// list the summary page measures ([`crate::summary::TAKEAWAYS`]).
fn takeaway(p: Pillar) -> String {
    crate::summary::TAKEAWAYS
        .iter()
        .find(|t| t.pillar == p)
        .map(|t| format!("{} {}", t.insight, t.remember))
        .unwrap_or_default()
}

/// Indices into [`INTERACTIONS`] of the page's lines for a pair of pillars (`a == b` gives none).
pub fn cell_note_ids(a: Pillar, b: Pillar) -> Vec<u32> {
    if a == b {
        return Vec::new();
    }
    (0..INTERACTIONS.len())
        .filter(|&k| {
            let i = &INTERACTIONS[k];
            match i.b {
                Some(b2) => (i.a == a && b2 == b) || (i.a == b && b2 == a),
                None => i.a == a || i.a == b,
            }
        })
        .map(|k| k as u32)
        .collect()
}

/// The page's lines for a pair of pillars (`a == b` gives none).
pub fn cell_notes(a: Pillar, b: Pillar) -> Vec<String> {
    cell_note_ids(a, b)
        .into_iter()
        .map(|k| INTERACTIONS[k as usize].label.to_string())
        .collect()
}

/// Slugs in a cell: off the diagonal, widgets touching both; on it, widgets touching only `a`.
pub fn cell_widgets(a: Pillar, b: Pillar) -> Vec<&'static registry::Widget> {
    registry::WIDGETS
        .iter()
        .filter(|w| {
            let t = touches(w);
            if a == b {
                t == [a]
            } else {
                t.contains(&a) && t.contains(&b)
            }
        })
        .collect()
}

fn page_link(p: &registry::Page) -> PageLink {
    PageLink {
        number: p.number,
        title: p.title.into(),
        route: format!("/page/{}", p.number),
    }
}

/// The decade in which the page says a pillar emerged.
pub fn emerged_in(p: Pillar) -> u16 {
    TIMELINE
        .iter()
        .find(|e| e.emerges == Some(p))
        .map_or(u16::MAX, |e| e.decade)
}

/// The pillars a focus lights: the pillar itself, or the pillars listing the axiom.
pub fn focus_pillars(focus: &str) -> Vec<Pillar> {
    if let Some(p) = pillar_of(focus) {
        return vec![p];
    }
    PILLARS
        .iter()
        .filter(|f| f.axioms.contains(&focus))
        .map(|f| f.pillar)
        .collect()
}

fn pair_label(a: Pillar, b: Pillar) -> String {
    format!("{} × {}", a.name(), b.name())
}

impl Model for PillarMap {
    type Params = Params;
    type Report = Report;
    const STOCHASTIC: bool = false;

    fn run(params: &Params, _seed: u64) -> Report {
        let mut p = params.clone();
        p.check(&mut Vec::new());
        let lit_pillars = focus_pillars(&p.focus);
        let focus_axiom = AXIOMS.iter().find(|a| a.id == p.focus);
        let (focus_kind, focus_label) = match (pillar_of(&p.focus), focus_axiom) {
            (Some(pl), _) => ("pillar", format!("Pillar {}", pl.name())),
            (None, Some(a)) => ("axiom", a.name.to_string()),
            _ => ("none", "Nothing".to_string()),
        };
        let lit_axioms: Vec<&str> = match (pillar_of(&p.focus), focus_axiom) {
            (Some(pl), _) => facts(pl).map(|f| f.axioms.to_vec()).unwrap_or_default(),
            (None, Some(a)) => vec![a.id],
            _ => Vec::new(),
        };

        let mut notes = Vec::new();
        let widgets: Vec<WidgetInfo> = registry::WIDGETS
            .iter()
            .map(|w| {
                let t = touches(w);
                WidgetInfo {
                    slug: w.slug.into(),
                    title: w.title.into(),
                    page: w.page,
                    built: w.is_built(),
                    route: format!("/widget/{}", w.slug),
                    home: pillar_id(home_of(w)).into(),
                    crosses: tags_of(w.slug)
                        .unwrap_or(&[])
                        .iter()
                        .map(|(pl, why)| (pillar_id(*pl).to_string(), why.to_string()))
                        .collect(),
                    lit: t.iter().any(|x| lit_pillars.contains(x)),
                }
            })
            .collect();

        let pillars: Vec<PillarInfo> = PILLARS
            .iter()
            .map(|f| {
                let own: Vec<&registry::Widget> = registry::WIDGETS
                    .iter()
                    .filter(|w| home_of(w) == f.pillar)
                    .collect();
                PillarInfo {
                    id: pillar_id(f.pillar).into(),
                    name: f.pillar.name().into(),
                    numeral: f.numeral.into(),
                    core: f.core,
                    axioms: f.axioms.iter().map(|a| a.to_string()).collect(),
                    also: f.also.into(),
                    aspect: f.aspect.into(),
                    house_part: f.house_part.into(),
                    house_role: f.house_role.into(),
                    insight: takeaway(f.pillar),
                    pages: registry::PAGES
                        .iter()
                        .filter(|pg| pg.pillar == f.pillar)
                        .map(page_link)
                        .collect(),
                    widgets: own.iter().map(|w| w.slug.to_string()).collect(),
                    visitors: registry::WIDGETS
                        .iter()
                        .filter(|w| home_of(w) != f.pillar && touches(w).contains(&f.pillar))
                        .map(|w| w.slug.to_string())
                        .collect(),
                    built: own.iter().filter(|w| w.is_built()).count() as u32,
                    lit: lit_pillars.contains(&f.pillar),
                    since: emerged_in(f.pillar),
                    emerged: u32::from(emerged_in(f.pillar)) <= p.year,
                }
            })
            .collect();

        let axioms: Vec<AxiomInfo> = AXIOMS
            .iter()
            .map(|a| AxiomInfo {
                id: a.id.into(),
                name: a.name.into(),
                gloss: a.gloss.into(),
                pillars: focus_pillars(a.id)
                    .into_iter()
                    .map(|pl| pillar_id(pl).to_string())
                    .collect(),
                lit: lit_axioms.contains(&a.id),
            })
            .collect();

        let matrix: Vec<Vec<Cell>> = FIVE
            .iter()
            .map(|&a| {
                FIVE.iter()
                    .map(|&b| Cell {
                        row: pillar_id(a).into(),
                        col: pillar_id(b).into(),
                        notes: cell_note_ids(a, b),
                        widgets: cell_widgets(a, b)
                            .iter()
                            .map(|w| w.slug.to_string())
                            .collect(),
                    })
                    .collect()
            })
            .collect();
        let max_cell = matrix
            .iter()
            .flatten()
            .map(|c| c.widgets.len() as u32)
            .max()
            .unwrap_or(0);

        let selected = match (pillar_of(&p.row), pillar_of(&p.col)) {
            (Some(a), Some(b)) => Some(Selected {
                row: pillar_id(a).into(),
                col: pillar_id(b).into(),
                label: if a == b {
                    format!("{} alone", a.name())
                } else {
                    pair_label(a, b)
                },
                notes: cell_notes(a, b),
                widgets: cell_widgets(a, b)
                    .iter()
                    .map(|w| {
                        let why = if a == b {
                            "touches no other pillar".to_string()
                        } else {
                            let home = home_of(w);
                            let wanted = [a, b];
                            tags_of(w.slug)
                                .unwrap_or(&[])
                                .iter()
                                .filter(|(pl, _)| *pl != home && wanted.contains(pl))
                                .map(|(_, why)| *why)
                                .collect::<Vec<_>>()
                                .join("; ")
                        };
                        (w.slug.to_string(), why)
                    })
                    .collect(),
            }),
            _ => None,
        };

        // --- the page's claims, measured ---
        let considered: Vec<&registry::Widget> = registry::WIDGETS
            .iter()
            .filter(|w| home_of(w) != Pillar::Overview)
            .collect();
        let homed = considered.iter().filter(|w| !touches(w).is_empty()).count() as u32;
        let crossing = considered.iter().filter(|w| touches(w).len() >= 2).count() as u32;
        let mut pairs_covered = 0;
        let mut busiest = (String::new(), 0u32);
        let mut named_pairs_empty = Vec::new();
        for (i, &a) in FIVE.iter().enumerate() {
            for &b in &FIVE[i + 1..] {
                let n = cell_widgets(a, b).len() as u32;
                if n > 0 {
                    pairs_covered += 1;
                }
                if n > busiest.1 {
                    busiest = (pair_label(a, b), n);
                }
                if n == 0 && !cell_notes(a, b).is_empty() {
                    named_pairs_empty.push(pair_label(a, b));
                }
            }
        }
        let aspect_pillars = FIVE
            .iter()
            .filter(|&&x| {
                PILLARS
                    .iter()
                    .any(|f| f.pillar == x && !f.aspect.is_empty())
            })
            .count();
        let emerged: Vec<Pillar> = TIMELINE.iter().filter_map(|e| e.emerges).collect();
        let checks = Checks {
            aspects: PILLARS.iter().filter(|f| !f.aspect.is_empty()).count() as u32,
            aspect_pillars: aspect_pillars as u32,
            homed,
            widgets: considered.len() as u32,
            pillars_with_widgets: pillars.iter().filter(|p| !p.widgets.is_empty()).count() as u32,
            pillars_with_pure: FIVE
                .iter()
                .filter(|&&a| !cell_widgets(a, a).is_empty())
                .count() as u32,
            crossing,
            crossing_share: if considered.is_empty() {
                0.0
            } else {
                f64::from(crossing) / considered.len() as f64
            },
            pairs_covered,
            busiest_pair: busiest,
            named_pairs_empty,
            axioms_named: AXIOMS.len() as u32,
            axioms_claimed: PART_ONE_AXIOMS,
            emergence_in_order: emerged == FIVE,
        };

        let lit_widgets = widgets.iter().filter(|w| w.lit).count() as u32;
        let emerged: Vec<String> = pillars
            .iter()
            .filter(|x| x.emerged)
            .map(|x| x.id.clone())
            .collect();
        let era = TIMELINE
            .iter()
            .rposition(|e| u32::from(e.decade) <= p.year)
            .unwrap_or(0) as u32;
        match focus_kind {
            "axiom" => notes.push(format!(
                "{} is wrestled with by {} of 5 pillars; {} widgets touch one of them.",
                focus_label,
                lit_pillars.len(),
                lit_widgets
            )),
            "pillar" => {
                if let Some(pi) = pillars.iter().find(|x| x.lit) {
                    notes.push(format!(
                        "{}: {} widgets on its pages ({} built), {} more cross in from other pillars.",
                        focus_label,
                        pi.widgets.len(),
                        pi.built,
                        pi.visitors.len()
                    ));
                }
            }
            _ => {}
        }
        if let Some(s) = &selected {
            if s.widgets.is_empty() {
                notes.push(format!("No widget of ours sits at {} yet.", s.label));
            }
        }

        Report {
            focus: p.focus.clone(),
            focus_kind: focus_kind.into(),
            focus_label,
            pillars,
            axioms,
            overview_pages: registry::PAGES
                .iter()
                .filter(|pg| pg.pillar == Pillar::Overview)
                .map(page_link)
                .collect(),
            built: widgets.iter().filter(|w| w.built).count() as u32,
            total: widgets.len() as u32,
            widgets,
            matrix,
            max_cell,
            selected,
            lit_widgets,
            year: p.year,
            emerged,
            era,
            timeline: TIMELINE
                .iter()
                .map(|e| Era {
                    decade: e.decade,
                    label: e.label.into(),
                    emerges: e.emerges.map(pillar_id).unwrap_or("").into(),
                    note: e.note.into(),
                })
                .collect(),
            coverage: PILLARS
                .iter()
                .map(|f| Aspect {
                    aspect: f.aspect.into(),
                    pillar: pillar_id(f.pillar).into(),
                })
                .collect(),
            interactions: INTERACTIONS
                .iter()
                .map(|i| {
                    let b = i.b.map(Pillar::name).unwrap_or("All");
                    format!("{} × {}: {}", i.a.name(), b, i.label)
                })
                .collect(),
            checks,
            notes,
        }
    }

    fn headline(r: &Report) -> Vec<(&'static str, f64)> {
        vec![
            ("widgets", f64::from(r.total)),
            ("built", f64::from(r.built)),
            ("crossing_share", r.checks.crossing_share),
            ("pairs_covered", f64::from(r.checks.pairs_covered)),
            ("emerged", r.emerged.len() as f64),
            (
                "cell_widgets",
                r.selected.as_ref().map_or(0.0, |s| s.widgets.len() as f64),
            ),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::params::from_pairs;
    use proptest::prelude::*;
    use std::collections::BTreeSet;

    fn run(focus: &str, row: &str, col: &str) -> Report {
        PillarMap::run(
            &Params {
                focus: focus.into(),
                row: row.into(),
                col: col.into(),
                year: 2025,
            },
            1,
        )
    }

    fn pairs(kv: &[(&str, &str)]) -> Vec<(String, String)> {
        kv.iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn every_crossing_is_another_real_pillar_with_a_reason() {
        for w in registry::WIDGETS {
            let slug = w.slug;
            let mut seen = BTreeSet::new();
            for (pl, why) in w.crosses {
                assert!(seen.insert(pl.name()), "{slug}: crosses into {pl:?} twice");
                assert!(FIVE.contains(pl), "{slug}: crosses into the overview");
                assert_ne!(*pl, home_of(w), "{slug}: crosses into its own pillar");
                assert!(!why.is_empty(), "{slug}: a crossing without a reason");
            }
        }
    }

    #[test]
    fn every_widget_sits_under_exactly_one_home_pillar_and_its_pages() {
        let r = run("none", "none", "none");
        for w in registry::WIDGETS {
            let homes: Vec<&PillarInfo> = r
                .pillars
                .iter()
                .filter(|p| p.widgets.iter().any(|s| s == w.slug))
                .collect();
            if home_of(w) == Pillar::Overview {
                assert!(homes.is_empty(), "{}", w.slug);
                assert!(r.overview_pages.iter().any(|p| p.number == w.page));
            } else {
                assert_eq!(homes.len(), 1, "{} has {} homes", w.slug, homes.len());
                assert_eq!(homes[0].id, pillar_id(home_of(w)));
                assert!(
                    homes[0].pages.iter().any(|p| p.number == w.page),
                    "{}: its page is not under its pillar",
                    w.slug
                );
            }
        }
        let listed: usize = r.pillars.iter().map(|p| p.widgets.len()).sum();
        assert_eq!(listed + 1, registry::WIDGETS.len()); // + the map itself, on page 21
        assert_eq!(r.total as usize, registry::WIDGETS.len());
        assert_eq!(r.built as usize, registry::built().count());
    }

    fn resolves(route: &str) -> bool {
        if let Some(n) = route.strip_prefix("/page/") {
            n.parse::<u8>().ok().and_then(registry::page).is_some()
        } else if let Some(s) = route.strip_prefix("/widget/") {
            registry::widget(s).is_some()
        } else {
            false
        }
    }

    #[test]
    fn no_dead_links() {
        let r = run("latency", "work", "state");
        let mut links = 0;
        for p in r.pillars.iter() {
            for pg in &p.pages {
                assert!(resolves(&pg.route), "{}", pg.route);
                assert_eq!(pg.route, format!("/page/{}", pg.number));
                links += 1;
            }
            for s in p.widgets.iter().chain(&p.visitors) {
                assert!(registry::widget(s).is_some(), "{s}");
            }
        }
        for pg in &r.overview_pages {
            assert!(resolves(&pg.route));
        }
        for w in &r.widgets {
            assert!(resolves(&w.route), "{}", w.route);
            links += 1;
        }
        for c in r.matrix.iter().flatten() {
            for s in &c.widgets {
                assert!(registry::widget(s).is_some(), "{s}");
            }
        }
        // every book page is reachable from the map
        let pages: BTreeSet<u8> = r
            .pillars
            .iter()
            .flat_map(|p| p.pages.iter().map(|x| x.number))
            .chain(r.overview_pages.iter().map(|x| x.number))
            .collect();
        assert_eq!(pages.len(), registry::PAGES.len());
        assert!(links > 30);
    }

    #[test]
    fn the_matrix_is_symmetric_and_counts_what_it_says() {
        let r = run("none", "none", "none");
        assert_eq!(r.matrix.len(), 5);
        for (i, row) in r.matrix.iter().enumerate() {
            assert_eq!(row.len(), 5);
            for (j, c) in row.iter().enumerate() {
                let t = &r.matrix[j][i];
                assert_eq!(c.widgets, t.widgets, "{i},{j}");
                assert_eq!(c.notes, t.notes, "{i},{j}");
                assert_eq!(c.row, pillar_id(FIVE[i]));
                assert_eq!(c.col, pillar_id(FIVE[j]));
                for s in &c.widgets {
                    let touched = touches(registry::widget(s).unwrap());
                    if i == j {
                        assert_eq!(touched, vec![FIVE[i]]);
                    } else {
                        assert!(touched.contains(&FIVE[i]) && touched.contains(&FIVE[j]));
                    }
                }
            }
        }
        // an independent count: each crossing widget adds one to every pair it spans
        let mut pair_sum = 0;
        for w in registry::WIDGETS {
            let k = touches(w).len();
            pair_sum += k * k.saturating_sub(1) / 2;
        }
        let upper: usize = (0..5)
            .flat_map(|i| (i + 1..5).map(move |j| (i, j)))
            .map(|(i, j)| r.matrix[i][j].widgets.len())
            .sum();
        assert_eq!(upper, pair_sum);
        let max = r.matrix.iter().flatten().map(|c| c.widgets.len()).max();
        assert_eq!(max, Some(r.max_cell as usize));
    }

    #[test]
    fn the_book_s_five_interaction_lines_land_in_the_right_cells() {
        let idx = |p: Pillar| FIVE.iter().position(|x| *x == p).unwrap();
        let r = run("none", "none", "none");
        let at = |a: Pillar, b: Pillar| -> Vec<String> {
            r.matrix[idx(a)][idx(b)]
                .notes
                .iter()
                .map(|&k| r.interactions[k as usize].clone())
                .collect()
        };
        assert_eq!(at(Pillar::Work, Pillar::State).len(), 1);
        assert_eq!(at(Pillar::Work, Pillar::Truth).len(), 1);
        assert!(at(Pillar::State, Pillar::Truth)[0].contains("CAP"));
        // Control × all and Intelligence × all: every off-diagonal cell of their rows
        for p in FIVE {
            if p != Pillar::Control {
                assert!(at(Pillar::Control, p)
                    .iter()
                    .any(|n| n.contains("Orchestration")));
            }
            if p != Pillar::Intelligence {
                assert!(at(Pillar::Intelligence, p)
                    .iter()
                    .any(|n| n.contains("Self-healing")));
            }
            assert!(at(p, p).is_empty());
        }
        assert_eq!(at(Pillar::Control, Pillar::Intelligence).len(), 2);
        // cells the page says nothing about
        assert!(
            at(Pillar::State, Pillar::Work).len() == 1
                && at(Pillar::Truth, Pillar::Work).len() == 1
        );
        assert_eq!(r.interactions.len(), 5);
    }

    #[test]
    fn the_brief_s_examples_sit_where_they_should() {
        let has = |a: Pillar, b: Pillar, s: &str| cell_widgets(a, b).iter().any(|w| w.slug == s);
        assert!(has(Pillar::State, Pillar::Work, "consistent-hashing"));
        assert!(has(Pillar::State, Pillar::Truth, "cap-partition"));
        assert!(has(Pillar::Intelligence, Pillar::Work, "pid-autoscaler"));
        assert!(has(Pillar::Control, Pillar::Truth, "service-registry"));
        assert!(has(
            Pillar::Intelligence,
            Pillar::Control,
            "anomaly-detection"
        ));
    }

    #[test]
    fn every_axiom_the_page_names_maps_to_a_pillar() {
        let r = run("none", "none", "none");
        assert_eq!(r.axioms.len(), 8);
        let ids: BTreeSet<&str> = AXIOMS.iter().map(|a| a.id).collect();
        assert_eq!(ids.len(), AXIOMS.len());
        for a in &r.axioms {
            assert!(!a.pillars.is_empty(), "{} has no pillar", a.id);
            // intelligence wrestles with every axiom, as the page says
            assert!(a.pillars.iter().any(|p| p == "intelligence"));
        }
        for f in PILLARS {
            for a in f.axioms {
                assert!(ids.contains(a), "{a} is not an axiom");
            }
        }
        // the page's diagram, pillar by pillar
        let of = |p: Pillar| facts(p).unwrap().axioms.to_vec();
        assert_eq!(of(Pillar::Work), ["capacity", "latency"]);
        assert_eq!(of(Pillar::State), ["capacity", "latency", "failure"]);
        assert_eq!(
            of(Pillar::Truth),
            ["coordination", "concurrency", "partial_failure"]
        );
        assert_eq!(of(Pillar::Control), ["human_interface", "observability"]);
        assert_eq!(of(Pillar::Intelligence).len(), 8);
        assert_eq!(facts(Pillar::Intelligence).unwrap().also, "feedback loops");
        // pillar ids and axiom ids never collide (they share the focus knob)
        for p in FIVE {
            assert!(!ids.contains(pillar_id(p)));
        }
    }

    #[test]
    fn latency_is_wrestled_with_by_work_state_and_intelligence() {
        let r = run("latency", "none", "none");
        let lit: Vec<&str> = r
            .pillars
            .iter()
            .filter(|p| p.lit)
            .map(|p| p.id.as_str())
            .collect();
        assert_eq!(lit, ["work", "state", "intelligence"]);
        assert_eq!(r.focus_kind, "axiom");
        let lit_ax: Vec<&str> = r
            .axioms
            .iter()
            .filter(|a| a.lit)
            .map(|a| a.id.as_str())
            .collect();
        assert_eq!(lit_ax, ["latency"]);
        // a pillar focus lights that pillar and exactly its axioms
        let r = run("truth", "none", "none");
        let lit: Vec<&str> = r
            .pillars
            .iter()
            .filter(|p| p.lit)
            .map(|p| p.id.as_str())
            .collect();
        assert_eq!(lit, ["truth"]);
        let lit_ax: Vec<&str> = r
            .axioms
            .iter()
            .filter(|a| a.lit)
            .map(|a| a.id.as_str())
            .collect();
        assert_eq!(lit_ax, ["coordination", "concurrency", "partial_failure"]);
        let none = run("none", "none", "none");
        assert!(none.pillars.iter().all(|p| !p.lit) && none.axioms.iter().all(|a| !a.lit));
        assert_eq!(none.lit_widgets, 0);
        assert!(none.selected.is_none());
    }

    #[test]
    fn the_timeline_is_in_order_and_the_pillars_emerge_i_to_v() {
        assert!(TIMELINE.windows(2).all(|w| w[0].decade + 10 == w[1].decade));
        assert_eq!(TIMELINE.first().unwrap().decade, 1960);
        assert_eq!(TIMELINE.last().unwrap().decade, 2020);
        let r = run("none", "none", "none");
        assert!(r.checks.emergence_in_order);
        for e in &r.timeline {
            assert!(e.emerges.is_empty() || pillar_of(&e.emerges).is_some());
        }
    }

    #[test]
    fn the_house_and_coverage_table_are_the_page_s() {
        let part = |p: Pillar| facts(p).unwrap().house_part;
        assert_eq!(part(Pillar::Intelligence), "roof");
        assert_eq!(part(Pillar::Control), "walls");
        assert_eq!(part(Pillar::Truth), "foundation");
        assert_eq!(part(Pillar::Work), "rooms");
        assert_eq!(part(Pillar::State), "rooms");
        let r = run("none", "none", "none");
        assert_eq!(r.coverage.len(), 5);
        let distinct: BTreeSet<&str> = r.coverage.iter().map(|a| a.pillar.as_str()).collect();
        assert_eq!(distinct.len(), 5);
        assert_eq!(r.checks.aspects, 5);
        assert_eq!(r.checks.aspect_pillars, 5);
        let core: Vec<bool> = r.pillars.iter().map(|p| p.core).collect();
        assert_eq!(core, [true, true, true, false, false]);
    }

    /// The measured checks, pinned: if a tag changes, these say how the story changed.
    #[test]
    fn the_page_s_claims_measured_on_our_widgets() {
        let r = run("none", "state", "truth");
        let c = &r.checks;
        assert_eq!(c.widgets, 27);
        assert_eq!(c.homed, 27); // completeness: every widget has a pillar
        assert_eq!(c.pillars_with_widgets, 5); // minimality: none is empty
        assert_eq!(c.crossing, 23); // orthogonality: most widgets cross
        assert!((c.crossing_share - 23.0 / 27.0).abs() < 1e-12);
        assert_eq!(c.pillars_with_pure, 2); // only Work and State have widgets of their own alone
                                            // the page says intelligence meets every pillar; none of our widgets puts it with truth
        assert_eq!(c.pairs_covered, 9);
        assert_eq!(c.busiest_pair, ("State × Truth".to_string(), 9));
        assert_eq!(c.named_pairs_empty, ["Truth × Intelligence"]);
        assert_eq!((c.axioms_named, c.axioms_claimed), (8, 8));
        let s = r.selected.unwrap();
        assert_eq!(s.label, "State × Truth");
        assert_eq!(s.widgets.len(), 9);
        assert!(s.notes[0].contains("CAP"));
        assert!(s.widgets.iter().all(|(_, why)| !why.is_empty()));
    }

    #[test]
    fn a_half_chosen_cell_becomes_the_diagonal_with_a_notice() {
        let (p, n) = from_pairs::<Params>(&pairs(&[("row", "work"), ("col", "none")]), &[]);
        assert_eq!((p.row.as_str(), p.col.as_str()), ("work", "work"));
        assert_eq!(n.len(), 1);
        assert_eq!(n[0].key, "col");
        let (p, n) = from_pairs::<Params>(&pairs(&[("row", "none"), ("col", "control")]), &[]);
        assert_eq!((p.row.as_str(), p.col.as_str()), ("control", "control"));
        assert_eq!(n[0].key, "row");
        let (p, n) = from_pairs::<Params>(&pairs(&[("focus", "gravity")]), &[]);
        assert_eq!(p.focus, "none");
        assert_eq!(n.len(), 1);
        let (_, n) = from_pairs::<Params>(&[], &[]);
        assert!(n.is_empty());
        // the diagonal lists widgets that touch only that pillar
        let r = run("none", "work", "work");
        let s = r.selected.unwrap();
        assert_eq!(s.label, "Work alone");
        let slugs: Vec<&str> = s.widgets.iter().map(|(x, _)| x.as_str()).collect();
        assert_eq!(
            slugs,
            ["autoscaling-calculator", "load-balancer", "work-stealing"]
        );
    }

    #[test]
    fn the_house_is_built_decade_by_decade() {
        let at = |year: u32| {
            PillarMap::run(
                &Params {
                    year,
                    ..Params::default()
                },
                1,
            )
        };
        assert!(at(1969).emerged.is_empty());
        assert_eq!(at(1970).emerged, ["work"]);
        assert_eq!(at(1985).emerged, ["work", "state"]);
        assert_eq!(at(2015).emerged, ["work", "state", "truth", "control"]);
        assert_eq!(at(2025).emerged.len(), 5);
        assert_eq!(at(1985).era, 2);
        assert_eq!(at(2029).era, 6);
        let (p, n) = from_pairs::<Params>(&pairs(&[("year", "1012")]), &[]);
        assert_eq!(p.year, 1960);
        assert_eq!(n.len(), 1);
    }

    #[test]
    fn the_default_report_is_small() {
        let r = PillarMap::run(&Params::default(), 1);
        let n = serde_json::to_string(&r).unwrap().len();
        assert!(n < 20_000, "report is {n} bytes");
    }

    fn any_choice(
        options: &'static [(&'static str, &'static str)],
    ) -> impl Strategy<Value = String> {
        prop_oneof![
            (0..options.len()).prop_map(move |i| options[i].0.to_string()),
            "[a-z_]{0,12}",
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(128))]

        /// Whatever the knobs say, the run is valid: the focus lights exactly the pillars that
        /// list the axiom (or the pillar itself), and the open cell holds exactly the widgets
        /// that touch both of its pillars.
        #[test]
        fn focus_and_cell_are_exact(focus in any_choice(FOCUS), row in any_choice(CELL), col in any_choice(CELL), year in 1900u32..2100) {
            let y = year.to_string();
            let raw = pairs(&[("focus", &focus), ("row", &row), ("col", &col), ("year", &y)]);
            let (p, _) = from_pairs::<Params>(&raw, &[]);
            let r = PillarMap::run(&p, 3);
            let lit: Vec<&str> = r.pillars.iter().filter(|x| x.lit).map(|x| x.id.as_str()).collect();
            let want: Vec<&str> = if let Some(pl) = pillar_of(&p.focus) {
                vec![pillar_id(pl)]
            } else {
                PILLARS.iter().filter(|f| f.axioms.contains(&p.focus.as_str())).map(|f| pillar_id(f.pillar)).collect()
            };
            prop_assert_eq!(lit, want);
            for a in &r.axioms {
                for pl in &a.pillars {
                    let f = facts(pillar_of(pl).unwrap()).unwrap();
                    prop_assert!(f.axioms.contains(&a.id.as_str()));
                }
            }
            prop_assert_eq!(r.selected.is_some(), p.row != "none");
            prop_assert_eq!(p.row == "none", p.col == "none");
            if let Some(s) = &r.selected {
                let (a, b) = (pillar_of(&s.row).unwrap(), pillar_of(&s.col).unwrap());
                let want: Vec<&str> = registry::WIDGETS.iter().filter(|w| {
                    let t = touches(w);
                    if a == b { t == [a] } else { t.contains(&a) && t.contains(&b) }
                }).map(|w| w.slug).collect();
                let got: Vec<&str> = s.widgets.iter().map(|(x, _)| x.as_str()).collect();
                prop_assert_eq!(got, want);
            }
            let lit_w = r.widgets.iter().filter(|w| w.lit).count() as u32;
            prop_assert_eq!(lit_w, r.lit_widgets);
            // the house only grows with the years, in the pillars' order
            let later = PillarMap::run(&Params { year: (p.year + 10).min(2029), ..p.clone() }, 3);
            prop_assert!(r.emerged.len() <= later.emerged.len());
            prop_assert_eq!(&later.emerged[..r.emerged.len()], &r.emerged[..]);
            prop_assert!((1960..=2029).contains(&r.year));
        }
    }
}
