//! Data store picker (book page 26, "Data-Modelling Matrix"): the page's polyglot-persistence
//! decision framework as data, with its use-case matrix, its transformation-cost matrix and its
//! e-commerce example, all linked.
//!
//! The framework is a two-level decision tree. The first question asks for the primary access
//! pattern (key lookup, complex queries, relationships, time-based data, large objects); each
//! answer leads to one follow-up question about what the data needs, and every answer to a
//! follow-up ends in a recommended store. Each question is one choice knob, so a path through
//! the tree is a set of knob values and lives in the URL. Only the follow-up of the chosen
//! pattern is asked; the others keep their values but are not on the path.
//!
//! The tables are facts transcribed from the book's page 26 (stores, difficulty grades) with the
//! reasons and examples in our own words. The report also measures two things about the book's
//! own data: how many of the e-commerce map's choices the framework itself reproduces when each
//! component's stated need is answered in the wizard, and how many model changes in the
//! transformation matrix fit a difficulty budget.
//!
//! The model has no randomness and no time: the seed is ignored.

use crate::model::Model;
use crate::params::{Knob, KnobKind, Notice, Params as ParamsTrait};
use serde::{Deserialize, Serialize};

/// The data-store picker model.
pub struct DatastorePicker;

/// Where a question's answer leads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Next {
    /// Ask the question with this key next.
    Ask(&'static str),
    /// Recommend the store with this id.
    Pick(&'static str),
}

/// One question of the decision tree; its key is also the knob key.
#[derive(Clone, Copy, Debug)]
pub struct Question {
    /// Knob key, URL key and identifier.
    pub key: &'static str,
    /// The question, in our words.
    pub text: &'static str,
    /// Answers as `(value, label)`; the same list the knob offers.
    pub answers: &'static [(&'static str, &'static str)],
    /// Where each answer leads, in the order of `answers`.
    pub next: &'static [Next],
}

/// A data model family: what kind of store this is.
#[derive(Clone, Copy, Debug)]
pub struct Family {
    /// Identifier.
    pub id: &'static str,
    /// Display name.
    pub name: &'static str,
}

/// A store the framework can recommend.
#[derive(Clone, Copy, Debug)]
pub struct Store {
    /// Identifier.
    pub id: &'static str,
    /// Display name, as the book names it.
    pub name: &'static str,
    /// Its data model family (an id of [`FAMILIES`]).
    pub family: &'static str,
    /// Why it fits, in our words.
    pub reasons: &'static [&'static str],
    /// What to watch out for, in our words.
    pub caveat: &'static str,
}

/// The root question's key.
pub const ROOT: &str = "pattern";

/// Answers of the root question.
pub const PATTERNS: &[(&str, &str)] = &[
    ("key", "Key lookup"),
    ("query", "Complex queries"),
    ("relations", "Relationships"),
    ("time", "Time-based"),
    ("objects", "Large objects"),
];
const KEY_NEEDS: &[(&str, &str)] = &[
    ("persist", "Must survive a restart"),
    ("cache", "Cache only"),
];
const QUERY_NEEDS: &[(&str, &str)] = &[
    ("transactions", "Transactions"),
    ("analytics", "Analytics"),
    ("search", "Full-text search"),
];
const RELATION_NEEDS: &[(&str, &str)] = &[
    ("social", "A social graph"),
    ("hierarchy", "A hierarchy (trees)"),
];
const TIME_NEEDS: &[(&str, &str)] = &[("metrics", "Metrics"), ("events", "Events")];
const OBJECT_NEEDS: &[(&str, &str)] = &[("frequent", "Read often"), ("archive", "Archive")];

/// The decision tree (book p. 26, "Polyglot Persistence Decision Framework"), root first.
pub static QUESTIONS: &[Question] = &[
    Question {
        key: ROOT,
        text: "What is the primary access pattern?",
        answers: PATTERNS,
        next: &[
            Next::Ask("key_need"),
            Next::Ask("query_need"),
            Next::Ask("relation_need"),
            Next::Ask("time_need"),
            Next::Ask("object_need"),
        ],
    },
    Question {
        key: "key_need",
        text: "Key lookups: must the data survive a restart, or is it only a cache?",
        answers: KEY_NEEDS,
        next: &[Next::Pick("redis_aof"), Next::Pick("memcached")],
    },
    Question {
        key: "query_need",
        text: "Complex queries: what kind?",
        answers: QUERY_NEEDS,
        next: &[
            Next::Pick("postgres"),
            Next::Pick("clickhouse"),
            Next::Pick("elasticsearch"),
        ],
    },
    Question {
        key: "relation_need",
        text: "Relationships: what shape do they take?",
        answers: RELATION_NEEDS,
        next: &[Next::Pick("neo4j"), Next::Pick("document")],
    },
    Question {
        key: "time_need",
        text: "Time-based data: measurements or a stream of events?",
        answers: TIME_NEEDS,
        next: &[Next::Pick("prometheus"), Next::Pick("kafka_s3")],
    },
    Question {
        key: "object_need",
        text: "Large objects: read often, or kept for the record?",
        answers: OBJECT_NEEDS,
        next: &[Next::Pick("cdn"), Next::Pick("glacier")],
    },
];

/// Data model families used by the stores and the matrices.
pub static FAMILIES: &[Family] = &[
    Family {
        id: "relational",
        name: "Relational",
    },
    Family {
        id: "key-value",
        name: "Key-value",
    },
    Family {
        id: "document",
        name: "Document",
    },
    Family {
        id: "graph",
        name: "Graph",
    },
    Family {
        id: "time-series",
        name: "Time series",
    },
    Family {
        id: "columnar",
        name: "Column store",
    },
    Family {
        id: "search",
        name: "Search index",
    },
    Family {
        id: "object",
        name: "Object store",
    },
];

/// Every store the framework recommends (the leaves of the tree).
pub static STORES: &[Store] = &[
    Store {
        id: "redis_aof",
        name: "Redis with AOF",
        family: "key-value",
        reasons: &[
            "Lookups by key answered from memory in well under a millisecond.",
            "The append-only file logs every write, so a restart replays it instead of losing data.",
        ],
        caveat: "Memory bounds the data set; with fsync every second a crash can still lose about a second of writes.",
    },
    Store {
        id: "memcached",
        name: "Memcached",
        family: "key-value",
        reasons: &[
            "The simplest fast key lookup: a multi-threaded in-memory hash table.",
            "Nothing to persist or replicate, so nothing to operate beyond the nodes themselves.",
        ],
        caveat: "A restart or eviction loses the entry: it must be rebuildable from a system of record.",
    },
    Store {
        id: "postgres",
        name: "PostgreSQL",
        family: "relational",
        reasons: &[
            "ACID transactions across rows and tables keep invariants (a balance, a stock count) true.",
            "Joins and ad-hoc SQL answer questions nobody planned for when the schema was made.",
        ],
        caveat: "One primary takes all writes: beyond that node's capacity it needs sharding, which is where joins get hard (page 25).",
    },
    Store {
        id: "clickhouse",
        name: "ClickHouse",
        family: "columnar",
        reasons: &[
            "Stores each column apart and compressed, so an aggregate reads only the columns it needs.",
            "Scans billions of rows per second for group-bys and dashboards.",
        ],
        caveat: "Built for appends and large scans, not for updating single rows or transactions.",
    },
    Store {
        id: "elasticsearch",
        name: "Elasticsearch",
        family: "search",
        reasons: &[
            "An inverted index finds documents by the words in them, with ranking and fuzzy matching.",
            "Facets and filters over the results come with the same query.",
        ],
        caveat: "Usually a derived copy, not the system of record; new writes become searchable after a refresh (about 1 s by default).",
    },
    Store {
        id: "neo4j",
        name: "Neo4j",
        family: "graph",
        reasons: &[
            "Follows relationships by pointer, so a friends-of-friends query costs the edges it touches, not a join over whole tables.",
            "Path and neighbourhood queries are one line of Cypher.",
        ],
        caveat: "Hard to shard: a graph cut across machines turns hops into network calls.",
    },
    Store {
        id: "document",
        name: "Document DB",
        family: "document",
        reasons: &[
            "A tree is stored as one nested document and read in one fetch, without joins.",
            "Flexible schema: each document can carry the fields it needs.",
        ],
        caveat: "Data shared between documents is duplicated; updating every copy is the application's job.",
    },
    Store {
        id: "prometheus",
        name: "Prometheus",
        family: "time-series",
        reasons: &[
            "Numeric samples per labelled series, compressed to a couple of bytes per sample.",
            "A query language for rates, percentiles and alerts over time windows.",
        ],
        caveat: "Meant for metrics, not events: high-cardinality labels (a user id) blow up the number of series.",
    },
    Store {
        id: "kafka_s3",
        name: "Kafka + S3",
        family: "object",
        reasons: &[
            "Kafka keeps an ordered, replayable log that many consumers read at their own pace.",
            "S3 keeps the full history cheaply as files for batch analytics.",
        ],
        caveat: "Two systems: a consumer must move the log into S3 and both must be operated.",
    },
    Store {
        id: "cdn",
        name: "CDN",
        family: "object",
        reasons: &[
            "Copies hot objects to edge servers near readers, cutting latency and origin load.",
            "The origin stays a cheap object store such as S3.",
        ],
        caveat: "Changing an object means invalidating cached copies or versioning its name.",
    },
    Store {
        id: "glacier",
        name: "Glacier",
        family: "object",
        reasons: &[
            "Archive storage at a fraction of the price of standard object storage.",
            "Durable by design for data kept only for the record.",
        ],
        caveat: "Reads are restores that take minutes to hours, and each retrieval is billed.",
    },
];

/// A row of the use-case matrix (book p. 26, "The Right Data Store for the Right Job").
#[derive(Clone, Copy, Debug)]
pub struct UseCaseRow {
    /// The use case.
    pub use_case: &'static str,
    /// The book's best fit.
    pub best_fit: &'static str,
    /// Its family (an id of [`FAMILIES`]).
    pub family: &'static str,
    /// Why, in our words.
    pub why: &'static str,
    /// The wizard answers for this use case, root first.
    pub path: &'static [(&'static str, &'static str)],
}

/// The use-case matrix.
pub static USE_CASES: &[UseCaseRow] = &[
    UseCaseRow {
        use_case: "User profiles",
        best_fit: "Document DB",
        family: "document",
        why: "Fields differ from user to user",
        path: &[("pattern", "relations"), ("relation_need", "hierarchy")],
    },
    UseCaseRow {
        use_case: "Financial ledger",
        best_fit: "RDBMS",
        family: "relational",
        why: "Needs ACID transactions",
        path: &[("pattern", "query"), ("query_need", "transactions")],
    },
    UseCaseRow {
        use_case: "Time series",
        best_fit: "TSDB",
        family: "time-series",
        why: "Storage built for timestamped samples",
        path: &[("pattern", "time"), ("time_need", "metrics")],
    },
    UseCaseRow {
        use_case: "Shopping cart",
        best_fit: "Redis",
        family: "key-value",
        why: "Short-lived and must be fast",
        path: &[("pattern", "key"), ("key_need", "persist")],
    },
    UseCaseRow {
        use_case: "Log search",
        best_fit: "Elasticsearch",
        family: "search",
        why: "Full-text search",
        path: &[("pattern", "query"), ("query_need", "search")],
    },
    UseCaseRow {
        use_case: "Social graph",
        best_fit: "Graph DB",
        family: "graph",
        why: "Queries follow relationships",
        path: &[("pattern", "relations"), ("relation_need", "social")],
    },
    UseCaseRow {
        use_case: "Analytics",
        best_fit: "Column store",
        family: "columnar",
        why: "Aggregations over few columns",
        path: &[("pattern", "query"), ("query_need", "analytics")],
    },
    UseCaseRow {
        use_case: "Files",
        best_fit: "Object store",
        family: "object",
        why: "Cheap and scales without limit",
        path: &[("pattern", "objects"), ("object_need", "frequent")],
    },
];

/// Difficulty grades of the transformation-cost matrix, easiest first.
pub const DIFFICULTIES: [&str; 4] = ["Easy", "Medium", "Hard", "Very hard"];

/// A row of the transformation-cost matrix (book p. 26, "Data Model Transformation Costs").
#[derive(Clone, Copy, Debug)]
pub struct TransformRow {
    /// Source family id, or `"any"`.
    pub from: &'static str,
    /// Target family id.
    pub to: &'static str,
    /// 1 = easy … 4 = very hard (the book's grade).
    pub difficulty: u8,
    /// What the change involves, in our words.
    pub example: &'static str,
}

/// The transformation-cost matrix.
pub static TRANSFORMS: &[TransformRow] = &[
    TransformRow {
        from: "relational",
        to: "key-value",
        difficulty: 1,
        example: "Each row becomes a value under its primary key (users row 123 → user:123)",
    },
    TransformRow {
        from: "relational",
        to: "document",
        difficulty: 2,
        example: "Fold joined child rows into the parent document",
    },
    TransformRow {
        from: "relational",
        to: "graph",
        difficulty: 3,
        example: "Turn foreign keys into edges",
    },
    TransformRow {
        from: "document",
        to: "relational",
        difficulty: 3,
        example: "Split nested structures into normalised tables",
    },
    TransformRow {
        from: "graph",
        to: "relational",
        difficulty: 4,
        example: "Traversals become recursive queries",
    },
    TransformRow {
        from: "any",
        to: "time-series",
        difficulty: 1,
        example: "Stamp every record with a time",
    },
];

/// A component of the e-commerce example (book p. 26, "Real-World Polyglot Example").
#[derive(Clone, Copy, Debug)]
pub struct ComponentRow {
    /// The part of the shop.
    pub component: &'static str,
    /// The store the book gives it.
    pub store: &'static str,
    /// Its family (an id of [`FAMILIES`]).
    pub family: &'static str,
    /// The book's reason, in our words.
    pub reasoning: &'static str,
    /// The wizard answers that the component's stated need gives, root first.
    pub path: &'static [(&'static str, &'static str)],
    /// Whether the book's store is the wizard's store (`true`) or only the same family.
    pub same_store: bool,
}

/// The e-commerce polyglot map.
pub static COMPONENTS: &[ComponentRow] = &[
    ComponentRow {
        component: "Product catalog",
        store: "Elasticsearch",
        family: "search",
        reasoning: "Shoppers search it by text",
        path: &[("pattern", "query"), ("query_need", "search")],
        same_store: true,
    },
    ComponentRow {
        component: "User profiles",
        store: "DynamoDB",
        family: "key-value",
        reasoning: "Fast lookup by id, in every region",
        path: &[("pattern", "key"), ("key_need", "persist")],
        same_store: false,
    },
    ComponentRow {
        component: "Shopping cart",
        store: "Redis",
        family: "key-value",
        reasoning: "Session state",
        path: &[("pattern", "key"), ("key_need", "persist")],
        same_store: true,
    },
    ComponentRow {
        component: "Order history",
        store: "PostgreSQL",
        family: "relational",
        reasoning: "Orders need transactions",
        path: &[("pattern", "query"), ("query_need", "transactions")],
        same_store: true,
    },
    ComponentRow {
        component: "Recommendations",
        store: "Neo4j",
        family: "graph",
        reasoning: "Graph algorithms over who bought what",
        path: &[("pattern", "relations"), ("relation_need", "social")],
        same_store: true,
    },
    ComponentRow {
        component: "Product images",
        store: "S3 + CloudFront",
        family: "object",
        reasoning: "Blobs in an object store behind a CDN",
        path: &[("pattern", "objects"), ("object_need", "frequent")],
        same_store: true,
    },
    ComponentRow {
        component: "Clickstream",
        store: "Kinesis → S3",
        family: "object",
        reasoning: "An event pipeline feeding analytics",
        path: &[("pattern", "time"), ("time_need", "events")],
        same_store: false,
    },
    ComponentRow {
        component: "Metrics",
        store: "Prometheus",
        family: "time-series",
        reasoning: "Time series",
        path: &[("pattern", "time"), ("time_need", "metrics")],
        same_store: true,
    },
];

/// The knobs: one answer per question, plus the migration budget. Defaults: complex queries
/// needing transactions (PostgreSQL), a budget of "Medium".
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Params {
    /// Primary access pattern (root question).
    pub pattern: String,
    /// Key lookups: `persist` or `cache`.
    pub key_need: String,
    /// Complex queries: `transactions`, `analytics` or `search`.
    pub query_need: String,
    /// Relationships: `social` or `hierarchy`.
    pub relation_need: String,
    /// Time-based data: `metrics` or `events`.
    pub time_need: String,
    /// Large objects: `frequent` or `archive`.
    pub object_need: String,
    /// Hardest model change accepted, 1 = easy … 4 = very hard.
    pub budget: u32,
}

impl Default for Params {
    fn default() -> Self {
        Params {
            pattern: "query".into(),
            key_need: "persist".into(),
            query_need: "transactions".into(),
            relation_need: "social".into(),
            time_need: "metrics".into(),
            object_need: "frequent".into(),
            budget: 2,
        }
    }
}

static KNOBS: &[Knob] = &[
    Knob {
        key: "pattern",
        label: "1. Access pattern",
        unit: "",
        help: "How the data is mostly read: the framework's first question.",
        kind: KnobKind::Choice { options: PATTERNS },
    },
    Knob {
        key: "key_need",
        label: "2. Key lookups need",
        unit: "",
        help: "Asked when the access pattern is key lookup.",
        kind: KnobKind::Choice { options: KEY_NEEDS },
    },
    Knob {
        key: "query_need",
        label: "2. Complex queries need",
        unit: "",
        help: "Asked when the access pattern is complex queries.",
        kind: KnobKind::Choice {
            options: QUERY_NEEDS,
        },
    },
    Knob {
        key: "relation_need",
        label: "2. Relationships are",
        unit: "",
        help: "Asked when the access pattern is relationships.",
        kind: KnobKind::Choice {
            options: RELATION_NEEDS,
        },
    },
    Knob {
        key: "time_need",
        label: "2. Time-based data is",
        unit: "",
        help: "Asked when the access pattern is time-based.",
        kind: KnobKind::Choice {
            options: TIME_NEEDS,
        },
    },
    Knob {
        key: "object_need",
        label: "2. Large objects are",
        unit: "",
        help: "Asked when the access pattern is large objects.",
        kind: KnobKind::Choice {
            options: OBJECT_NEEDS,
        },
    },
    Knob {
        key: "budget",
        label: "Migration budget",
        unit: "grade",
        help: "The hardest change of data model you would accept later: 1 easy, 2 medium, 3 hard, 4 very hard.",
        kind: KnobKind::Int {
            min: 1,
            max: 4,
            log: false,
        },
    },
];

impl ParamsTrait for Params {
    fn knobs() -> &'static [Knob] {
        KNOBS
    }

    fn check(&mut self, notices: &mut Vec<Notice>) {
        // range clamping already made every choice valid; this guards direct construction
        for q in QUESTIONS {
            let v = self.answer(q.key).to_string();
            if !q.answers.iter().any(|(a, _)| *a == v) {
                let first = q.answers[0].0;
                notices.push(Notice::new(
                    q.key,
                    format!("unknown answer “{v}”; using {first}"),
                ));
                self.set_answer(q.key, first);
            }
        }
        self.budget = self.budget.clamp(1, 4);
    }
}

impl Params {
    /// The answer given to the question with key `key` ("" for an unknown key).
    pub fn answer(&self, key: &str) -> &str {
        match key {
            "pattern" => &self.pattern,
            "key_need" => &self.key_need,
            "query_need" => &self.query_need,
            "relation_need" => &self.relation_need,
            "time_need" => &self.time_need,
            "object_need" => &self.object_need,
            _ => "",
        }
    }

    fn set_answer(&mut self, key: &str, v: &str) {
        let slot = match key {
            "pattern" => &mut self.pattern,
            "key_need" => &mut self.key_need,
            "query_need" => &mut self.query_need,
            "relation_need" => &mut self.relation_need,
            "time_need" => &mut self.time_need,
            "object_need" => &mut self.object_need,
            _ => return,
        };
        *slot = v.to_string();
    }
}

/// The question with key `key`.
pub fn question(key: &str) -> Option<&'static Question> {
    QUESTIONS.iter().find(|q| q.key == key)
}

/// The store with id `id`.
pub fn store(id: &str) -> Option<&'static Store> {
    STORES.iter().find(|s| s.id == id)
}

/// The display name of family `id` ("Any" for `any`).
pub fn family_name(id: &str) -> &'static str {
    if id == "any" {
        return "Any";
    }
    FAMILIES
        .iter()
        .find(|f| f.id == id)
        .map(|f| f.name)
        .unwrap_or("?")
}

/// Walk the tree from the root with an answer function. Returns the questions and answers on
/// the path and the store reached, or `None` if an answer is invalid or the walk loops.
pub fn walk<'a>(
    answer: impl Fn(&str) -> &'a str,
) -> Option<(Vec<(&'static Question, usize)>, &'static Store)> {
    let mut path = Vec::new();
    let mut q = question(ROOT)?;
    // the tree has two levels; a bound keeps a malformed table from looping
    for _ in 0..QUESTIONS.len() {
        let a = answer(q.key);
        let i = q.answers.iter().position(|(v, _)| *v == a)?;
        path.push((q, i));
        match *q.next.get(i)? {
            Next::Ask(k) => q = question(k)?,
            Next::Pick(s) => return Some((path, store(s)?)),
        }
    }
    None
}

/// Every leaf of the tree as `(answers root first, store)`, in tree order.
pub fn leaves() -> Vec<(Vec<(&'static str, &'static str)>, &'static Store)> {
    fn go(
        q: &'static Question,
        prefix: &mut Vec<(&'static str, &'static str)>,
        out: &mut Vec<(Vec<(&'static str, &'static str)>, &'static Store)>,
        depth: usize,
    ) {
        if depth > QUESTIONS.len() {
            return;
        }
        for ((v, _), next) in q.answers.iter().zip(q.next) {
            prefix.push((q.key, v));
            match *next {
                Next::Ask(k) => {
                    if let Some(child) = question(k) {
                        go(child, prefix, out, depth + 1);
                    }
                }
                Next::Pick(s) => {
                    if let Some(st) = store(s) {
                        out.push((prefix.clone(), st));
                    }
                }
            }
            prefix.pop();
        }
    }
    let mut out = Vec::new();
    if let Some(root) = question(ROOT) {
        go(root, &mut Vec::new(), &mut out, 0);
    }
    out
}

/// One step of the path taken.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Step {
    /// Question key (= knob key).
    pub key: String,
    /// The question.
    pub question: String,
    /// The answer value.
    pub answer: String,
    /// The answer's label.
    pub label: String,
    /// Every answer offered, as `(value, label, store id or "")`: the store when the answer ends
    /// the walk.
    pub options: Vec<(String, String, String)>,
}

/// The recommended store.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Pick {
    /// Store id.
    pub id: String,
    /// Store name.
    pub name: String,
    /// Family id.
    pub family: String,
    /// Family name.
    pub family_name: String,
    /// Why it fits.
    pub reasons: Vec<String>,
    /// What to watch.
    pub caveat: String,
}

/// One leaf of the tree, for drawing it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Leaf {
    /// The root answer (access pattern) value.
    pub pattern: String,
    /// Its label.
    pub pattern_label: String,
    /// The follow-up question's key.
    pub need_key: String,
    /// The follow-up answer value.
    pub need: String,
    /// Its label.
    pub need_label: String,
    /// Store id.
    pub store: String,
    /// Store name.
    pub store_name: String,
    /// Family id.
    pub family: String,
    /// Whether this is the leaf the current answers reach.
    pub on_path: bool,
}

/// A row of the use-case matrix, linked to the wizard.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct UseCase {
    /// The use case.
    pub use_case: String,
    /// The book's best fit.
    pub best_fit: String,
    /// Family id.
    pub family: String,
    /// Why.
    pub why: String,
    /// Wizard answers for it.
    pub path: Vec<(String, String)>,
    /// The store the wizard reaches with those answers.
    pub wizard_store: String,
    /// Same family as the current recommendation.
    pub matches_pick: bool,
}

/// A row of the transformation-cost matrix, judged against the budget and the pick.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Transform {
    /// Source family id or `any`.
    pub from: String,
    /// Source name.
    pub from_name: String,
    /// Target family id.
    pub to: String,
    /// Target name.
    pub to_name: String,
    /// 1 = easy … 4 = very hard.
    pub difficulty: u8,
    /// The grade's name.
    pub grade: String,
    /// What the change involves.
    pub example: String,
    /// Difficulty ≤ budget.
    pub within_budget: bool,
    /// A way out of the recommended store's family (its source is that family or `any`).
    pub from_pick: bool,
}

/// A component of the e-commerce map, compared with what the wizard recommends for it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Component {
    /// Part of the shop.
    pub component: String,
    /// The book's store.
    pub store: String,
    /// Family id.
    pub family: String,
    /// The book's reason.
    pub reasoning: String,
    /// Wizard answers for its stated need.
    pub path: Vec<(String, String)>,
    /// The wizard's store for those answers.
    pub wizard_store: String,
    /// `exact` (the book's store), `family` (same family, another product) or `differs`.
    pub agreement: String,
    /// Whether the current answers are this component's.
    pub on_path: bool,
}

/// What the picker reports.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Report {
    /// The questions asked and answers given, root first.
    pub path: Vec<Step>,
    /// The recommendation.
    pub pick: Pick,
    /// Every leaf of the tree, in tree order.
    pub leaves: Vec<Leaf>,
    /// Questions in the tree.
    pub questions: u32,
    /// The use-case matrix.
    pub use_cases: Vec<UseCase>,
    /// The transformation-cost matrix.
    pub transforms: Vec<Transform>,
    /// The budget (1–4) and its grade.
    pub budget: u32,
    /// The budget's grade name.
    pub budget_grade: String,
    /// Rows of the transformation matrix within the budget.
    pub within_budget: u32,
    /// Rows that lead out of the pick's family (or from any model).
    pub from_pick: u32,
    /// Of those, how many are within the budget.
    pub from_pick_within: u32,
    /// The e-commerce map.
    pub components: Vec<Component>,
    /// Components whose book store the wizard reproduces exactly.
    pub ecommerce_exact: u32,
    /// Components whose family the wizard reproduces.
    pub ecommerce_family: u32,
    /// Distinct stores the e-commerce map runs.
    pub ecommerce_stores: u32,
    /// Plain-language notes on this pick.
    pub notes: Vec<String>,
}

fn owned(p: &[(&str, &str)]) -> Vec<(String, String)> {
    p.iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// The store the wizard reaches with `answers` (root first; questions not listed keep no answer).
pub fn store_for(answers: &[(&str, &str)]) -> Option<&'static Store> {
    walk(|k| {
        answers
            .iter()
            .find(|(q, _)| *q == k)
            .map(|(_, v)| *v)
            .unwrap_or("")
    })
    .map(|(_, s)| s)
}

impl Model for DatastorePicker {
    type Params = Params;
    type Report = Report;
    const STOCHASTIC: bool = false;

    fn run(params: &Params, _seed: u64) -> Report {
        let mut p = params.clone();
        p.check(&mut Vec::new());
        // check() made every answer valid, so the walk always ends in a store
        let (steps, st) = walk(|k| p.answer(k)).unwrap_or_else(|| {
            let d = Params::default();
            walk(|k| d.answer(k)).expect("the default path is tested to end in a store")
        });
        let path: Vec<Step> = steps
            .iter()
            .map(|(q, i)| Step {
                key: q.key.into(),
                question: q.text.into(),
                answer: q.answers[*i].0.into(),
                label: q.answers[*i].1.into(),
                options: q
                    .answers
                    .iter()
                    .zip(q.next)
                    .map(|((v, l), n)| {
                        let leaf = match n {
                            Next::Pick(s) => s.to_string(),
                            Next::Ask(_) => String::new(),
                        };
                        (v.to_string(), l.to_string(), leaf)
                    })
                    .collect(),
            })
            .collect();
        let pick = Pick {
            id: st.id.into(),
            name: st.name.into(),
            family: st.family.into(),
            family_name: family_name(st.family).into(),
            reasons: st.reasons.iter().map(|r| r.to_string()).collect(),
            caveat: st.caveat.into(),
        };
        let label = |key: &str, v: &str| {
            question(key)
                .and_then(|q| q.answers.iter().find(|(a, _)| *a == v))
                .map(|(_, l)| l.to_string())
                .unwrap_or_default()
        };
        let leaves: Vec<Leaf> = leaves()
            .into_iter()
            .map(|(ans, s)| {
                let (pk, pv) = ans[0];
                let (nk, nv) = *ans.last().unwrap_or(&ans[0]);
                Leaf {
                    pattern: pv.into(),
                    pattern_label: label(pk, pv),
                    need_key: nk.into(),
                    need: nv.into(),
                    need_label: label(nk, nv),
                    store: s.id.into(),
                    store_name: s.name.into(),
                    family: s.family.into(),
                    on_path: s.id == st.id,
                }
            })
            .collect();
        let use_cases = USE_CASES
            .iter()
            .map(|u| UseCase {
                use_case: u.use_case.into(),
                best_fit: u.best_fit.into(),
                family: u.family.into(),
                why: u.why.into(),
                path: owned(u.path),
                wizard_store: store_for(u.path).map(|s| s.name).unwrap_or("").into(),
                matches_pick: u.family == st.family,
            })
            .collect();
        let budget = p.budget.clamp(1, 4);
        let transforms: Vec<Transform> = TRANSFORMS
            .iter()
            .map(|t| Transform {
                from: t.from.into(),
                from_name: family_name(t.from).into(),
                to: t.to.into(),
                to_name: family_name(t.to).into(),
                difficulty: t.difficulty,
                grade: DIFFICULTIES[usize::from(t.difficulty.clamp(1, 4)) - 1].into(),
                example: t.example.into(),
                within_budget: u32::from(t.difficulty) <= budget,
                from_pick: (t.from == st.family || t.from == "any") && t.to != st.family,
            })
            .collect();
        let count =
            |f: &dyn Fn(&Transform) -> bool| transforms.iter().filter(|t| f(t)).count() as u32;
        let within_budget = count(&|t| t.within_budget);
        let from_pick = count(&|t| t.from_pick);
        let from_pick_within = count(&|t| t.from_pick && t.within_budget);
        let components: Vec<Component> = COMPONENTS
            .iter()
            .map(|c| {
                let w = store_for(c.path);
                let agreement = match w {
                    Some(_) if c.same_store => "exact",
                    Some(s) if s.family == c.family => "family",
                    _ => "differs",
                };
                Component {
                    component: c.component.into(),
                    store: c.store.into(),
                    family: c.family.into(),
                    reasoning: c.reasoning.into(),
                    path: owned(c.path),
                    wizard_store: w.map(|s| s.name).unwrap_or("").into(),
                    agreement: agreement.into(),
                    on_path: w.is_some_and(|s| s.id == st.id),
                }
            })
            .collect();
        let ecommerce_exact = components.iter().filter(|c| c.agreement == "exact").count() as u32;
        let ecommerce_family = components
            .iter()
            .filter(|c| c.agreement != "differs")
            .count() as u32;
        let mut names: Vec<&str> = COMPONENTS.iter().map(|c| c.store).collect();
        crate::sort::sort(&mut names);
        names.dedup();
        let mut notes = Vec::new();
        if st.id == "document" {
            notes.push("The book's own tables disagree on user profiles: the use-case matrix puts them in a document database, the e-commerce map in DynamoDB, a key-value store.".to_string());
        }
        if st.id == "redis_aof" {
            notes.push("The book's e-commerce map puts user profiles in DynamoDB where this branch says Redis: both are key-value; DynamoDB is on disk and replicated across regions, so it suits data that outgrows memory.".to_string());
        }
        if st.id == "kafka_s3" {
            notes.push("The e-commerce map uses Kinesis where this branch says Kafka: both are partitioned, replayable logs; Kinesis is the managed AWS service.".to_string());
        }
        if from_pick > 0 && from_pick_within < from_pick {
            notes.push(format!(
                "Over budget: {} of the {} ways out of the {} model. Choose a model you can live with, because changing it later costs.",
                from_pick - from_pick_within,
                from_pick,
                family_name(st.family).to_lowercase()
            ));
        }
        Report {
            path,
            pick,
            leaves,
            questions: QUESTIONS.len() as u32,
            use_cases,
            transforms,
            budget,
            budget_grade: DIFFICULTIES[(budget as usize).clamp(1, 4) - 1].into(),
            within_budget,
            from_pick,
            from_pick_within,
            ecommerce_exact,
            ecommerce_family,
            ecommerce_stores: names.len() as u32,
            components,
            notes,
        }
    }

    fn headline(r: &Report) -> Vec<(&'static str, f64)> {
        vec![
            ("leaves", r.leaves.len() as f64),
            ("within_budget", f64::from(r.within_budget)),
            ("ecommerce_exact", f64::from(r.ecommerce_exact)),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::params::{from_pairs, KnobKind};
    use proptest::prelude::*;
    use std::collections::BTreeSet;

    fn run(p: &Params) -> Report {
        DatastorePicker::run(p, 1)
    }

    /// Every combination of answers to every question (the full product, 5·2·3·2·2·2 = 480).
    fn all_answer_sets() -> Vec<Params> {
        let mut sets = vec![Params::default()];
        for q in QUESTIONS {
            let mut next = Vec::new();
            for p in &sets {
                for (v, _) in q.answers {
                    let mut p2 = p.clone();
                    p2.set_answer(q.key, v);
                    next.push(p2);
                }
            }
            sets = next;
        }
        sets
    }

    #[test]
    fn every_answer_combination_ends_in_a_recommendation() {
        let sets = all_answer_sets();
        assert_eq!(sets.len(), 5 * 2 * 3 * 2 * 2 * 2);
        for p in &sets {
            let (path, st) = walk(|k| p.answer(k)).expect("every path ends in a store");
            assert_eq!(path.len(), 2, "two questions on every path");
            assert_eq!(path[0].0.key, ROOT);
            let r = run(p);
            assert_eq!(r.pick.id, st.id);
            assert!(!r.pick.reasons.is_empty() && !r.pick.caveat.is_empty());
        }
    }

    #[test]
    fn every_leaf_is_reachable_and_every_store_is_a_leaf() {
        let reached: BTreeSet<&str> = all_answer_sets()
            .iter()
            .filter_map(|p| walk(|k| p.answer(k)).map(|(_, s)| s.id))
            .collect();
        let all: BTreeSet<&str> = STORES.iter().map(|s| s.id).collect();
        assert_eq!(reached, all, "unreached stores");
        // exactly one leaf per store: no store is reachable two ways
        let ls = leaves();
        assert_eq!(ls.len(), 11, "the book's framework has eleven leaves");
        let ids: BTreeSet<&str> = ls.iter().map(|(_, s)| s.id).collect();
        assert_eq!(ids.len(), ls.len());
        // each leaf's own answers reach it
        for (ans, s) in &ls {
            assert_eq!(store_for(ans).map(|x| x.id), Some(s.id));
        }
    }

    #[test]
    fn no_dead_or_unused_questions_and_the_tables_are_well_formed() {
        let mut asked = BTreeSet::from([ROOT]);
        for q in QUESTIONS {
            assert_eq!(
                q.answers.len(),
                q.next.len(),
                "{}: answers ≠ branches",
                q.key
            );
            assert!(!q.answers.is_empty());
            let vals: BTreeSet<&str> = q.answers.iter().map(|a| a.0).collect();
            assert_eq!(vals.len(), q.answers.len(), "{}: duplicate answers", q.key);
            for n in q.next {
                match n {
                    Next::Ask(k) => {
                        assert!(question(k).is_some(), "{} asks missing {k}", q.key);
                        assert!(asked.insert(k), "{k} is asked from two places");
                    }
                    Next::Pick(s) => assert!(store(s).is_some(), "{} picks missing {s}", q.key),
                }
            }
        }
        let all: BTreeSet<&str> = QUESTIONS.iter().map(|q| q.key).collect();
        assert_eq!(asked, all, "a question is never asked");
        for s in STORES {
            assert!(FAMILIES.iter().any(|f| f.id == s.family), "{}", s.id);
        }
    }

    #[test]
    fn the_knobs_are_the_questions() {
        let knobs = Params::knobs();
        for q in QUESTIONS {
            let k = knobs
                .iter()
                .find(|k| k.key == q.key)
                .expect("a knob per question");
            match k.kind {
                KnobKind::Choice { options } => assert_eq!(options, q.answers),
                _ => panic!("{} is not a choice", q.key),
            }
            assert!(q
                .answers
                .iter()
                .any(|(v, _)| *v == Params::default().answer(q.key)));
        }
        assert_eq!(knobs.len(), QUESTIONS.len() + 1);
    }

    #[test]
    fn every_store_family_appears_in_the_use_case_matrix_and_rows_link_back() {
        for s in STORES {
            assert!(
                USE_CASES.iter().any(|u| u.family == s.family),
                "{} ({}) has no row in the use-case matrix",
                s.name,
                s.family
            );
        }
        // each use-case row's wizard path reaches a store of the row's own family
        for u in USE_CASES {
            let s = store_for(u.path).expect("row path ends in a store");
            assert_eq!(s.family, u.family, "{}", u.use_case);
        }
        for c in COMPONENTS {
            let s = store_for(c.path).expect("component path ends in a store");
            assert_eq!(s.family, c.family, "{}", c.component);
        }
        for t in TRANSFORMS {
            assert!(t.from == "any" || FAMILIES.iter().any(|f| f.id == t.from));
            assert!(FAMILIES.iter().any(|f| f.id == t.to));
            assert!((1..=4).contains(&t.difficulty));
        }
    }

    #[test]
    fn reference_the_book_tables() {
        let r = run(&Params::default());
        assert_eq!(r.pick.name, "PostgreSQL");
        assert_eq!(r.leaves.len(), 11);
        assert_eq!(r.questions, 6);
        assert_eq!(r.use_cases.len(), 8);
        assert_eq!(r.transforms.len(), 6);
        // grades as printed: Easy, Medium, Hard, Hard, Very Hard, Easy
        let grades: Vec<u8> = r.transforms.iter().map(|t| t.difficulty).collect();
        assert_eq!(grades, vec![1, 2, 3, 3, 4, 1]);
        // budget Medium: Rel→KV, Rel→Doc, Any→TS
        assert_eq!(r.within_budget, 3);
        // out of relational: KV, Doc, Graph, and Any→TS; three within Medium
        assert_eq!((r.from_pick, r.from_pick_within), (4, 3));
        // the framework reproduces 6 of the 8 e-commerce stores, all 8 families
        assert_eq!((r.ecommerce_exact, r.ecommerce_family), (6, 8));
        assert_eq!(r.ecommerce_stores, 8);
        let order = r
            .components
            .iter()
            .find(|c| c.component == "Order history")
            .unwrap();
        assert!(order.on_path);
        assert_eq!(r.use_cases.iter().filter(|u| u.matches_pick).count(), 1);
    }

    #[test]
    fn a_budget_of_very_hard_opens_every_change() {
        let r = run(&Params {
            budget: 4,
            ..Params::default()
        });
        assert_eq!(r.within_budget, 6);
        let r = run(&Params {
            budget: 1,
            ..Params::default()
        });
        assert_eq!(r.within_budget, 2);
    }

    #[test]
    fn url_answers_drive_the_walk() {
        let pairs = vec![
            ("pattern".to_string(), "time".to_string()),
            ("time_need".to_string(), "events".to_string()),
        ];
        let (p, n) = from_pairs::<Params>(&pairs, &[]);
        assert!(n.is_empty());
        let r = run(&p);
        assert_eq!(r.pick.name, "Kafka + S3");
        assert_eq!(r.path.len(), 2);
        assert_eq!(r.path[1].label, "Events");
        let click = r
            .components
            .iter()
            .find(|c| c.component == "Clickstream")
            .unwrap();
        assert!(click.on_path);
        assert_eq!(click.agreement, "family");
    }

    #[test]
    fn garbage_answers_are_clamped_and_still_recommend() {
        let pairs = vec![
            ("pattern".to_string(), "teleport".to_string()),
            ("budget".to_string(), "99".to_string()),
        ];
        let (p, n) = from_pairs::<Params>(&pairs, &[]);
        assert_eq!(n.len(), 2);
        assert_eq!(p.pattern, "query");
        assert_eq!(p.budget, 4);
        let mut direct = Params {
            key_need: "zzz".into(),
            budget: 0,
            ..Params::default()
        };
        let mut notes = Vec::new();
        direct.check(&mut notes);
        assert_eq!(notes.len(), 1);
        assert_eq!(direct.key_need, "persist");
        assert_eq!(direct.budget, 1);
    }

    #[test]
    fn the_report_is_small() {
        let r = run(&Params::default());
        let n = serde_json::to_string(&r).unwrap().len();
        assert!(n < 20_000, "{n} bytes");
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]
        #[test]
        fn any_answers_give_one_leaf_on_path_consistent_with_the_pick(
            a in 0u8..5, b in 0u8..2, c in 0u8..3, d in 0u8..2, e in 0u8..2,
            f in 0u8..2, budget in 0u32..10,
        ) {
            let mut p = Params {
                pattern: PATTERNS[usize::from(a)].0.into(),
                key_need: KEY_NEEDS[usize::from(b)].0.into(),
                query_need: QUERY_NEEDS[usize::from(c)].0.into(),
                relation_need: RELATION_NEEDS[usize::from(d)].0.into(),
                time_need: TIME_NEEDS[usize::from(e)].0.into(),
                object_need: OBJECT_NEEDS[usize::from(f)].0.into(),
                budget,
            };
            p.check(&mut Vec::new());
            let r = run(&p);
            let on: Vec<&Leaf> = r.leaves.iter().filter(|l| l.on_path).collect();
            prop_assert_eq!(on.len(), 1);
            prop_assert_eq!(&on[0].store, &r.pick.id);
            prop_assert_eq!(&on[0].pattern, &p.pattern);
            prop_assert_eq!(&r.path[0].answer, &p.pattern);
            // the second question asked is the one belonging to the chosen pattern
            prop_assert_eq!(&on[0].need, &r.path[1].answer);
            prop_assert!(r.from_pick_within <= r.from_pick);
            prop_assert!(r.within_budget as usize <= r.transforms.len());
            // the budget is monotone: a bigger budget never opens fewer changes
            let more = run(&Params { budget: (p.budget + 1).min(4), ..p.clone() });
            prop_assert!(more.within_budget >= r.within_budget);
        }
    }
}
