//! Consistent hashing (book page 25): where keys live, how evenly they spread, and how many
//! move when a node joins or leaves.
//!
//! Keys `user_0 … user_{K−1}` are placed on nodes `db1 … dbN` by one of four [`Placement`]s:
//!
//! - **ring** (Karger et al. 1997): every node puts `vnodes` points on a ring of hash values;
//!   a key belongs to the first point strictly after its own hash, wrapping past the top. This
//!   is the book's Python class, reproduced bit for bit with [`HashKind::Md5`].
//! - **rendezvous** (highest random weight): every key scores every node, the best score wins.
//! - **jump** (Lamping & Veach 2014): a key jumps through bucket numbers `0 … N−1`, no table.
//! - **hash mod N**: the baseline that consistent hashing improves on.
//!
//! [`ConsistentHashing::run`] measures the load per node ([`NodeLoad`]), its spread against
//! theory, the effect of one membership change ([`ChangeReport`]) against hash mod N and against
//! what the book's snippet prints, and how the spread shrinks with more virtual nodes
//! ([`SpreadPoint`]). Hashing is deterministic, so the seed plays no part.
//!
//! ```
//! use sim::models::consistent_hashing::{jump_hash, md5_u128};
//! assert_eq!(md5_u128(""), 0xd41d8cd98f00b204e9800998ecf8427e);
//! assert_eq!(jump_hash(256, 1024), 520);
//! ```

use crate::model::Model;
use crate::params::{Knob, KnobKind, Notice, Params as ParamsTrait};
use crate::stats::mean_sd_counts;
use serde::{Deserialize, Serialize};

/// The consistent-hashing model.
pub struct ConsistentHashing;

/// The knobs of the consistent-hashing model. The defaults are the book's example: three
/// nodes, 150 virtual nodes each, 10 000 keys, MD5, a ring, and `db2` removed.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Params {
    /// Number of nodes, named `db1 … dbN` (1–64).
    pub nodes: u32,
    /// Virtual nodes (ring points) per node, ring placement only (1–1000).
    pub vnodes: u32,
    /// Number of keys `user_0 … user_{keys−1}` (100–1 000 000).
    pub keys: u32,
    /// Hash function: `md5` (as the book) or `fast` (FNV-1a 64 + murmur3 finalizer).
    pub hash: String,
    /// Placement: `ring`, `rendezvous`, `jump` or `mod`.
    pub placement: String,
    /// The membership change measured: `remove`, `add` or `none`.
    pub change: String,
    /// Which node `dbK` leaves when `change` is `remove` (1–64, at most `nodes`).
    pub remove: u32,
}

impl Default for Params {
    fn default() -> Self {
        Params {
            nodes: 3,
            vnodes: 150,
            keys: 10_000,
            hash: "md5".into(),
            placement: "ring".into(),
            change: "remove".into(),
            remove: 2,
        }
    }
}

static KNOBS: &[Knob] = &[
    Knob {
        key: "nodes",
        label: "Nodes",
        unit: "",
        help: "How many database nodes, db1 to dbN, share the keys.",
        kind: KnobKind::Int { min: 1, max: 64, log: false },
    },
    Knob {
        key: "vnodes",
        label: "Virtual nodes",
        unit: "per node",
        help: "How many points each node puts on the ring; more points even out the load (ring placement only).",
        kind: KnobKind::Int { min: 1, max: 1000, log: true },
    },
    Knob {
        key: "keys",
        label: "Keys",
        unit: "keys",
        help: "How many keys, user_0, user_1 and so on, are placed on the nodes.",
        kind: KnobKind::Int { min: 100, max: 1_000_000, log: true },
    },
    Knob {
        key: "hash",
        label: "Hash function",
        unit: "",
        help: "The hash that turns key and node names into positions.",
        kind: KnobKind::Choice { options: &[("md5", "MD5, as the book"), ("fast", "fast 64-bit")] },
    },
    Knob {
        key: "placement",
        label: "Placement",
        unit: "",
        help: "The rule that decides which node owns a key.",
        kind: KnobKind::Choice {
            options: &[
                ("ring", "Ring (consistent hashing)"),
                ("rendezvous", "Rendezvous (HRW)"),
                ("jump", "Jump hash"),
                ("mod", "hash mod N"),
            ],
        },
    },
    Knob {
        key: "change",
        label: "Membership change",
        unit: "",
        help: "The change whose effect on key ownership is measured.",
        kind: KnobKind::Choice { options: &[("remove", "Remove a node"), ("add", "Add a node"), ("none", "No change")] },
    },
    Knob {
        key: "remove",
        label: "Node to remove",
        unit: "",
        help: "Which node dbK leaves when the change is a removal.",
        kind: KnobKind::Int { min: 1, max: 64, log: false },
    },
];

impl ParamsTrait for Params {
    fn knobs() -> &'static [Knob] {
        KNOBS
    }

    fn check(&mut self, notices: &mut Vec<Notice>) {
        if self.remove > self.nodes {
            notices.push(Notice::new(
                "remove",
                format!(
                    "the node to remove must be one of the {} nodes; removing db{} instead",
                    self.nodes, self.nodes
                ),
            ));
            self.remove = self.nodes;
        }
        if self.change == "remove" && self.nodes <= 1 {
            notices.push(Notice::new(
                "change",
                "the last node cannot be removed; adding a node instead",
            ));
            self.change = "add".into();
        }
    }
}

/// The hash function that turns names into positions.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HashKind {
    /// MD5, the 16 digest bytes read big-endian as a `u128` (Python's
    /// `int(hashlib.md5(s.encode()).hexdigest(), 16)`).
    Md5,
    /// FNV-1a 64 followed by the murmur3 `fmix64` finalizer, placed in the top 64 bits of a
    /// `u128` so the same ring code serves both.
    Fast,
}

impl HashKind {
    /// The hash named by a knob value (`"md5"` or `"fast"`); anything else is MD5.
    pub fn from_key(key: &str) -> HashKind {
        if key == "fast" {
            HashKind::Fast
        } else {
            HashKind::Md5
        }
    }

    /// The position of `bytes` on the 128-bit ring.
    pub fn hash_bytes(self, bytes: &[u8]) -> u128 {
        match self {
            HashKind::Md5 => u128::from_be_bytes(md5::compute(bytes).0),
            HashKind::Fast => u128::from(fast_u64(bytes)) << 64,
        }
    }

    /// The position of the string `s` on the 128-bit ring.
    pub fn hash(self, s: &str) -> u128 {
        self.hash_bytes(s.as_bytes())
    }

    /// The number that hash mod N divides: the whole 128-bit MD5 value (as Python would), or the
    /// 64-bit fast hash.
    fn mod_value(self, h: u128) -> u128 {
        match self {
            HashKind::Md5 => h,
            HashKind::Fast => h >> 64,
        }
    }
}

/// `v mod n` for `n ≥ 1`, in 64-bit arithmetic: `v = hi·2^64 + lo`, so `v mod n` is
/// `(hi mod n)·(2^64 mod n) + lo mod n`, reduced again (every product fits: `n < 2^32`). A
/// 128-bit division is a slow library call, above all on wasm32.
fn mod_small(v: u128, n: u32) -> u32 {
    let n = u64::from(n.max(1));
    let (hi, lo) = ((v >> 64) as u64, v as u64);
    let two64 = (u64::MAX % n + 1) % n;
    (((hi % n) * two64 % n + lo % n) % n) as u32
}

/// The rule that decides which node owns a key.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Placement {
    /// Consistent-hashing ring with virtual nodes.
    Ring,
    /// Rendezvous (highest random weight) hashing.
    Rendezvous,
    /// Lamping & Veach jump consistent hash over buckets `0 … N−1`.
    Jump,
    /// Key hash mod N.
    Mod,
}

impl Placement {
    /// The placement named by a knob value; anything unknown is the ring.
    pub fn from_key(key: &str) -> Placement {
        match key {
            "rendezvous" => Placement::Rendezvous,
            "jump" => Placement::Jump,
            "mod" => Placement::Mod,
            _ => Placement::Ring,
        }
    }
}

/// MD5 of a string as the book's Python computes it: the digest read big-endian as a `u128`.
pub fn md5_u128(s: &str) -> u128 {
    HashKind::Md5.hash(s)
}

/// FNV-1a, 64-bit: offset basis `0xcbf29ce484222325`, prime `0x100000001b3`.
pub fn fnv1a64(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in bytes {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

/// The 64-bit finalizer of MurmurHash3 (`fmix64`): mixes every input bit into every output bit.
pub fn fmix64(mut k: u64) -> u64 {
    k ^= k >> 33;
    k = k.wrapping_mul(0xff51_afd7_ed55_8ccd);
    k ^= k >> 33;
    k = k.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
    k ^ (k >> 33)
}

/// The "fast" hash: FNV-1a 64 of the bytes, then the murmur3 `fmix64` finalizer (FNV alone
/// mixes the last bytes poorly, and keys here differ only in their last digits).
pub fn fast_u64(bytes: &[u8]) -> u64 {
    fmix64(fnv1a64(bytes))
}

/// Jump consistent hash (Lamping & Veach 2014): the bucket in `0 … buckets−1` of a 64-bit
/// key, using their 64-bit linear congruential step and `f64` division only. Growing from
/// `n` to `n+1` buckets moves exactly the keys that land in the new bucket `n`.
/// `buckets = 0` is treated as 1.
pub fn jump_hash(mut key: u64, buckets: u32) -> u32 {
    let n = i64::from(buckets.max(1));
    let mut b: i64 = -1;
    let mut j: i64 = 0;
    while j < n {
        b = j;
        key = key.wrapping_mul(2_862_933_555_777_941_757).wrapping_add(1);
        j = ((b + 1) as f64 * ((1u64 << 31) as f64 / ((key >> 33) + 1) as f64)) as i64;
    }
    b as u32
}

/// The name of node `k` (1-based): `db{k}`.
pub fn node_name(k: u32) -> String {
    format!("db{k}")
}

/// The name of key `i`: `user_{i}`.
pub fn key_name(i: u32) -> String {
    format!("user_{i}")
}

/// Theoretical coefficient of variation of per-node key counts on a ring: a node's share of
/// the ring is the sum of `v` arcs out of `N·v`, distributed Beta(v, (N−1)·v) with squared cv
/// (N−1)/(N·v+1); multinomial noise of `K` keys adds (N−1)/K. So
/// `sqrt((N−1)/(N·v+1) + (N−1)/K)`.
pub fn cv_theory_ring(nodes: u32, vnodes: u32, keys: u64) -> f64 {
    let n = f64::from(nodes.max(1));
    let v = f64::from(vnodes.max(1));
    let k = (keys.max(1)) as f64;
    libm::sqrt((n - 1.0) / (n * v + 1.0) + (n - 1.0) / k)
}

/// Theoretical coefficient of variation of per-node key counts when every node owns exactly
/// 1/N of the hash space (rendezvous, jump, mod): multinomial noise only, `sqrt((N−1)/K)`.
pub fn cv_theory_uniform(nodes: u32, keys: u64) -> f64 {
    let n = f64::from(nodes.max(1));
    let k = (keys.max(1)) as f64;
    libm::sqrt((n - 1.0) / k)
}

/// 2^−128 exactly: turns a ring position into a fraction of the ring.
const TWO_POW_NEG_128: f64 = f64::from_bits((1023 - 128) << 52);

/// A ring position as a fraction of the ring, in `[0, 1)`.
pub fn ring_fraction(pos: u128) -> f64 {
    // positions within 2^75 of the top round to 1.0; keep them just below it
    (pos as f64 * TWO_POW_NEG_128).min(1.0 - f64::EPSILON / 2.0)
}

/// A sorted ring of virtual-node positions and their owners.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Ring {
    positions: Vec<u128>,
    owners: Vec<u16>,
    /// Lookup index: `starts[b]` is the first position whose top `bits` bits are `≥ b`, so a
    /// hash's successor lies in `starts[b] .. starts[b + 1]` (a handful of positions) or is
    /// `starts[b + 1]` itself.
    bits: u32,
    starts: Vec<u32>,
}

impl Ring {
    /// Build a ring from `(position, owner)` pairs in insertion order. When two virtual nodes
    /// share a position the later one owns it, as Python's dict overwrite does in the book.
    pub fn new(points: Vec<(u128, u16)>) -> Ring {
        let mut points = points;
        points.sort_by_key(|&(pos, _)| pos); // stable: equal positions stay in insertion order
        let mut positions: Vec<u128> = Vec::with_capacity(points.len());
        let mut owners: Vec<u16> = Vec::with_capacity(points.len());
        for (pos, owner) in points {
            match (positions.last(), owners.last_mut()) {
                (Some(&last), Some(o)) if last == pos => *o = owner,
                _ => {
                    positions.push(pos);
                    owners.push(owner);
                }
            }
        }
        // about two buckets per position, at most 2^20
        let bits = (usize::BITS - positions.len().leading_zeros()).min(20);
        let buckets = 1usize << bits;
        let mut starts = Vec::with_capacity(buckets + 1);
        let mut i = 0;
        for b in 0..buckets {
            while i < positions.len() && Ring::bucket_of(bits, positions[i]) < b {
                i += 1;
            }
            starts.push(i as u32);
        }
        starts.push(positions.len() as u32);
        Ring {
            positions,
            owners,
            bits,
            starts,
        }
    }

    /// The top `bits` bits of `h`.
    #[inline(always)]
    fn bucket_of(bits: u32, h: u128) -> usize {
        // bits ≤ 20: the top bits of the high word. A u128 shift by a variable amount is a
        // library call on wasm32; taking the high word is not.
        if bits == 0 {
            0
        } else {
            (((h >> 64) as u64) >> (64 - bits)) as usize
        }
    }

    /// Number of distinct positions.
    pub fn len(&self) -> usize {
        self.positions.len()
    }

    /// Whether the ring has no positions.
    pub fn is_empty(&self) -> bool {
        self.positions.is_empty()
    }

    /// The owner of hash `h`: the first position strictly greater than `h` (Python's
    /// `bisect_right`), wrapping to the first position. `None` on an empty ring.
    pub fn lookup(&self, h: u128) -> Option<u16> {
        // = positions.partition_point(|&p| p <= h): positions before the bucket are below h,
        // those after it above
        let b = Ring::bucket_of(self.bits, h);
        let (lo, hi) = (self.starts[b] as usize, self.starts[b + 1] as usize);
        let i = lo + self.positions[lo..hi].partition_point(|&p| p <= h);
        let i = if i == self.positions.len() { 0 } else { i };
        self.owners.get(i).copied()
    }

    /// Fraction of the hash space each owner `0 … owners−1` holds: a position owns the arc from
    /// the previous position (inclusive) up to itself (exclusive).
    pub fn arc_shares(&self, owners: usize) -> Vec<f64> {
        let mut shares = vec![0.0; owners];
        let m = self.positions.len();
        if m == 1 {
            if let Some(s) = self
                .owners
                .first()
                .and_then(|&o| shares.get_mut(usize::from(o)))
            {
                *s = 1.0;
            }
            return shares;
        }
        for k in 0..m {
            let prev = self.positions[(k + m - 1) % m];
            let arc = self.positions[k].wrapping_sub(prev);
            if let Some(s) = shares.get_mut(usize::from(self.owners[k])) {
                *s += arc as f64 * TWO_POW_NEG_128;
            }
        }
        shares
    }
}

/// The hashes of a set of candidate nodes: each node's name (rendezvous) and its virtual nodes.
#[derive(Clone)]
struct NodeTable {
    /// Top 64 bits of the hash of each node's name.
    name_top: Vec<u64>,
    /// Hash of `"{name}:{i}"` for each node and each `i < vmax`.
    vnode: Vec<Vec<u128>>,
}

impl NodeTable {
    fn build(kind: HashKind, names: &[String], vmax: u32) -> NodeTable {
        let mut buf: Vec<u8> = Vec::with_capacity(24);
        let name_top = names.iter().map(|n| (kind.hash(n) >> 64) as u64).collect();
        let vnode = names
            .iter()
            .map(|n| {
                (0..vmax)
                    .map(|i| {
                        buf.clear();
                        buf.extend_from_slice(n.as_bytes());
                        buf.push(b':');
                        push_decimal(&mut buf, u64::from(i));
                        kind.hash_bytes(&buf)
                    })
                    .collect()
            })
            .collect();
        NodeTable { name_top, vnode }
    }

    /// The ring of `members` (indices into the table) with `v` virtual nodes each; owners are
    /// indices into `members`.
    fn ring(&self, members: &[u16], v: u32) -> Ring {
        let mut pts = Vec::with_capacity(members.len() * v as usize);
        for (j, &m) in members.iter().enumerate() {
            if let Some(hs) = self.vnode.get(usize::from(m)) {
                pts.extend(hs.iter().take(v as usize).map(|&h| (h, j as u16)));
            }
        }
        Ring::new(pts)
    }
}

/// Append the decimal digits of `n`.
fn push_decimal(buf: &mut Vec<u8>, mut n: u64) {
    let mut tmp = [0u8; 20];
    let mut k = tmp.len();
    loop {
        k -= 1;
        tmp[k] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    buf.extend_from_slice(&tmp[k..]);
}

/// Hashes of keys `user_0 … user_{count−1}`.
fn key_hashes(kind: HashKind, count: u32) -> Vec<u128> {
    let mut buf: Vec<u8> = Vec::with_capacity(16);
    (0..count)
        .map(|i| {
            buf.clear();
            buf.extend_from_slice(b"user_");
            push_decimal(&mut buf, u64::from(i));
            kind.hash_bytes(&buf)
        })
        .collect()
}

/// Key hashes remembered with their hash and key count.
type KeysMemo = Option<(HashKind, u32, std::rc::Rc<Vec<u128>>)>;
/// A node table remembered with its hash, node count and virtual nodes per node.
/// The hash and `vmax` of the remembered node table, and the table of nodes `db1 … dbL` for the
/// largest L asked for so far (each node's hashes depend on its name alone, so the table for
/// fewer nodes is a prefix, and more nodes extend it).
type TableMemo = Option<(HashKind, u32, std::rc::Rc<NodeTable>)>;

thread_local! {
    /// The last run's key hashes and node table: the model is deterministic and they depend
    /// only on the hash, the key count and the node names, so a knob move that keeps those (the
    /// placement, the virtual nodes below 1 000, the change) hashes nothing again.
    static KEYS_MEMO: std::cell::RefCell<KeysMemo> = const { std::cell::RefCell::new(None) };
    static TABLE_MEMO: std::cell::RefCell<TableMemo> = const { std::cell::RefCell::new(None) };
}

/// [`key_hashes`], remembered for the next run.
fn key_hashes_memo(kind: HashKind, count: u32) -> std::rc::Rc<Vec<u128>> {
    KEYS_MEMO.with(|memo| {
        let mut memo = memo.borrow_mut();
        match &*memo {
            Some((k, c, keys)) if *k == kind && *c == count => keys.clone(),
            _ => {
                let keys = std::rc::Rc::new(key_hashes(kind, count));
                *memo = Some((kind, count, keys.clone()));
                keys
            }
        }
    })
}

/// [`NodeTable::build`] for nodes `db1 … db{count}` or more (callers index it by node), remembered:
/// a knob move that changes the node count hashes only the nodes never seen before, and copies
/// nothing.
fn node_table_memo(kind: HashKind, count: u32, vmax: u32) -> std::rc::Rc<NodeTable> {
    TABLE_MEMO.with(|memo| {
        let mut memo = memo.borrow_mut();
        let fits = matches!(&*memo, Some((k, v, _)) if *k == kind && *v == vmax);
        if !fits {
            *memo = None;
        }
        let (_, _, t) = memo.get_or_insert_with(|| {
            let empty = NodeTable {
                name_top: Vec::new(),
                vnode: Vec::new(),
            };
            (kind, vmax, std::rc::Rc::new(empty))
        });
        let have = t.vnode.len() as u32;
        if have < count {
            let names: Vec<String> = (have + 1..=count).map(node_name).collect();
            let more = NodeTable::build(kind, &names, vmax);
            let t = std::rc::Rc::make_mut(t);
            t.name_top.extend(more.name_top);
            t.vnode.extend(more.vnode);
        }
        t.clone()
    })
}

/// The owner of every key on `ring`.
fn ring_owners(ring: &Ring, keys: &[u128]) -> Vec<u16> {
    keys.iter().map(|&h| ring.lookup(h).unwrap_or(0)).collect()
}

/// The owner of every key: an index into `members` (which index `table`).
fn place(
    placement: Placement,
    kind: HashKind,
    table: &NodeTable,
    members: &[u16],
    vnodes: u32,
    keys: &[u128],
) -> Vec<u16> {
    let n = members.len() as u32;
    if n == 0 {
        return Vec::new();
    }
    match placement {
        Placement::Ring => ring_owners(&table.ring(members, vnodes), keys),
        Placement::Rendezvous => {
            let tops: Vec<u64> = members
                .iter()
                .map(|&m| table.name_top.get(usize::from(m)).copied().unwrap_or(0))
                .collect();
            keys.iter()
                .map(|&h| {
                    let k64 = (h >> 64) as u64;
                    let mut best = 0u16;
                    let mut best_score = 0u64;
                    for (j, &t) in tops.iter().enumerate() {
                        let s = fmix64(k64 ^ t);
                        if j == 0 || s > best_score {
                            best = j as u16;
                            best_score = s;
                        }
                    }
                    best
                })
                .collect()
        }
        Placement::Jump => keys
            .iter()
            .map(|&h| jump_hash((h >> 64) as u64, n) as u16)
            .collect(),
        Placement::Mod => keys
            .iter()
            .map(|&h| mod_small(kind.mod_value(h), n) as u16)
            .collect(),
    }
}

/// The owner of each key `user_0 … user_{p.keys−1}` under `p`'s hash, placement and virtual
/// nodes, on the nodes named in `nodes` (in that order: it is the insertion order of the ring
/// and the bucket order of jump and mod). Returns indices into `nodes`; empty when `nodes` is
/// empty. At most 65 535 nodes are used.
pub fn owners(p: &Params, nodes: &[String]) -> Vec<u16> {
    let nodes = &nodes[..nodes.len().min(usize::from(u16::MAX))];
    let kind = HashKind::from_key(&p.hash);
    let placement = Placement::from_key(&p.placement);
    let v = p.vnodes.clamp(1, 1000);
    let table = NodeTable::build(
        kind,
        nodes,
        if placement == Placement::Ring { v } else { 0 },
    );
    let members: Vec<u16> = (0..nodes.len() as u16).collect();
    place(
        placement,
        kind,
        &table,
        &members,
        v,
        &key_hashes(kind, p.keys.min(1_000_000)),
    )
}

/// One node's load.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct NodeLoad {
    /// The node's name, `dbK`.
    pub name: String,
    /// Keys it owns.
    pub keys: u64,
    /// Fraction of all keys it owns.
    pub share: f64,
    /// Fraction of the hash space it owns: its arcs on a ring, 1/N for other placements.
    pub ring_share: f64,
}

/// One virtual node on the ring, for drawing.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RingPoint {
    /// Position as a fraction of the ring, in `[0, 1)`.
    pub pos: f64,
    /// Owner, 0-based (`0` is `db1`).
    pub node: u16,
}

/// The effect of one membership change.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ChangeReport {
    /// `"add"` or `"remove"`.
    pub kind: String,
    /// The node added (`db{N+1}`) or removed.
    pub node: String,
    /// Nodes before the change.
    pub nodes_before: u32,
    /// Nodes after the change.
    pub nodes_after: u32,
    /// Keys whose owner differs before and after.
    pub moved: u64,
    /// `moved` as a fraction of all keys.
    pub moved_fraction: f64,
    /// Karger et al.'s expectation: 1/(N+1) when adding to N nodes, 1/N when removing from N.
    pub theory_fraction: f64,
    /// Keys that move when the same change is made under hash mod N with the same hash.
    pub mod_n_moved: u64,
    /// `mod_n_moved` as a fraction of all keys.
    pub mod_n_fraction: f64,
    /// Expected hash-mod-N movement: N/(N+1) when adding, (N−1)/N when removing.
    pub mod_n_theory: f64,
    /// Whether every moved key moved onto the added node or off the removed one.
    pub only_affected_moved: bool,
    /// Removal only: what the book's snippet would print. It assumes the removed node `dbR`
    /// held exactly the keys `i` with `i mod N = R−1` and compares that with the new owners.
    pub book_snippet_moved: Option<u64>,
}

/// Load spread on a ring for one number of virtual nodes.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SpreadPoint {
    /// Virtual nodes per node.
    pub vnodes: u32,
    /// Measured sd/mean of per-node key counts.
    pub cv: f64,
    /// Largest node load over the mean.
    pub max_over_mean: f64,
    /// [`cv_theory_ring`] for these nodes, virtual nodes and keys.
    pub cv_theory: f64,
}

/// What a run of the consistent-hashing model reports.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Report {
    /// Load of each node before any change.
    pub nodes: Vec<NodeLoad>,
    /// Keys placed.
    pub total_keys: u64,
    /// Mean keys per node.
    pub mean: f64,
    /// Most keys on one node.
    pub max: u64,
    /// Fewest keys on one node.
    pub min: u64,
    /// `max / mean`: how much more the busiest node carries than its fair share.
    pub max_over_mean: f64,
    /// Population standard deviation of per-node key counts.
    pub sd: f64,
    /// `sd / mean`, the coefficient of variation.
    pub cv: f64,
    /// Theoretical cv: [`cv_theory_ring`] for the ring, [`cv_theory_uniform`] otherwise.
    pub cv_theory: f64,
    /// Virtual nodes for drawing, sorted by position (empty unless the placement is the ring).
    pub ring: Vec<RingPoint>,
    /// `true` if `ring` holds only each node's first ⌊3000/N⌋ virtual nodes.
    pub ring_sampled: bool,
    /// The effect of the membership change (`None` when the change is `none`).
    pub change: Option<ChangeReport>,
    /// Load spread against virtual nodes ([`SPREAD_VNODES`]) on a ring with these nodes and hash.
    pub spread: Vec<SpreadPoint>,
    /// Keys used for `spread`: the first min(keys, 100 000).
    pub spread_keys: u64,
    /// Short explanations that apply to this run.
    pub notes: Vec<String>,
}

/// Virtual-node counts of the spread chart.
pub const SPREAD_VNODES: [u32; 10] = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000];

/// At most this many keys are used for the spread chart.
pub const SPREAD_MAX_KEYS: u32 = 100_000;

/// At most this many ring points are reported for drawing (an equal share per node): the
/// drawn ring is about 700 px round, so more ticks could not be told apart, and every point is
/// JSON the page parses on each knob move.
pub const MAX_RING_POINTS: u32 = 1200;

/// Per-node counts of owners (indices below `n`).
fn counts(owner_idx: &[u16], n: usize) -> Vec<u64> {
    let mut c = vec![0u64; n];
    for &o in owner_idx {
        if let Some(x) = c.get_mut(usize::from(o)) {
            *x += 1;
        }
    }
    c
}

/// Mean, sd, cv, max/mean, max and min of per-node counts.
struct LoadStats {
    mean: f64,
    sd: f64,
    cv: f64,
    max_over_mean: f64,
    max: u64,
    min: u64,
}

fn load_stats(c: &[u64]) -> LoadStats {
    let (mean, sd) = mean_sd_counts(c);
    let max = c.iter().copied().max().unwrap_or(0);
    let min = c.iter().copied().min().unwrap_or(0);
    let ratio = |x: f64| if mean > 0.0 { x / mean } else { 0.0 };
    LoadStats {
        mean,
        sd,
        cv: ratio(sd),
        max_over_mean: ratio(max as f64),
        max,
        min,
    }
}

/// The params with every knob in range and the cross-field rules applied (a safety net for
/// callers that skip validation).
fn sanitized(p: &Params) -> Params {
    let mut q = p.clone();
    q.nodes = q.nodes.clamp(1, 64);
    q.vnodes = q.vnodes.clamp(1, 1000);
    q.keys = q.keys.clamp(100, 1_000_000);
    q.remove = q.remove.clamp(1, 64);
    if !matches!(q.change.as_str(), "remove" | "add" | "none") {
        q.change = "remove".into();
    }
    q.check(&mut Vec::new());
    q
}

fn pct(x: f64) -> String {
    format!("{:.1}%", 100.0 * x)
}

/// Everything the change needs, computed once.
struct Ctx<'a> {
    kind: HashKind,
    placement: Placement,
    table: &'a NodeTable,
    keys: &'a [u128],
    vnodes: u32,
    n: u32,
}

/// Measure the membership change `change` ("add" or "remove"). `before` holds owner ids.
fn change_report(
    c: &Ctx,
    change: &str,
    remove: u32,
    before: &[u16],
    notes: &mut Vec<String>,
) -> ChangeReport {
    let n = c.n;
    let all: Vec<u16> = (0..n as u16).collect();
    let adding = change == "add";
    // the node concerned, as a 0-based id
    let subject: u16 = if adding {
        n as u16
    } else {
        (remove.clamp(1, n) - 1) as u16
    };
    let after_members: Vec<u16> = if adding {
        (0..=n as u16).collect()
    } else {
        all.iter().copied().filter(|&m| m != subject).collect()
    };
    let after: Vec<u16> = place(
        c.placement,
        c.kind,
        c.table,
        &after_members,
        c.vnodes,
        c.keys,
    )
    .into_iter()
    .map(|j| after_members.get(usize::from(j)).copied().unwrap_or(0))
    .collect();

    let total = c.keys.len() as u64;
    let mut moved = 0u64;
    let mut only_affected = true;
    let mut subject_keys = 0u64;
    for (&b, &a) in before.iter().zip(&after) {
        if b == subject {
            subject_keys += 1;
        }
        if b != a {
            moved += 1;
            let ok = if adding { a == subject } else { b == subject };
            only_affected &= ok;
        }
    }

    // the same change under hash mod N
    let na = after_members.len() as u32;
    let mut mod_moved = 0u64;
    for &h in c.keys {
        let v = c.kind.mod_value(h);
        let b = mod_small(v, n) as u16;
        let a = after_members
            .get(mod_small(v, na) as usize)
            .copied()
            .unwrap_or(0);
        if a != b {
            mod_moved += 1;
        }
    }

    let frac = |x: u64| {
        if total > 0 {
            x as f64 / total as f64
        } else {
            0.0
        }
    };
    let nf = f64::from(n);
    let name = node_name(u32::from(subject) + 1);

    let book_snippet_moved = if adding {
        None
    } else {
        let mut m = 0u64;
        for (i, &a) in after.iter().enumerate() {
            let old = if (i as u64) % u64::from(n) == u64::from(subject) {
                subject
            } else {
                a
            };
            if old != a {
                m += 1;
            }
        }
        notes.push(format!(
            "The book's snippet never records who owned each key before the removal: it assumes {name} held \
             exactly the keys whose number mod {n} is {subject}, so it prints {m} ({}). Comparing real owners \
             before and after, {moved} keys move ({}){}.",
            pct(frac(m)),
            pct(frac(moved)),
            if only_affected { format!(", exactly the {subject_keys} that {name} held") } else { String::new() }
        ));
        Some(m)
    };

    if c.placement == Placement::Jump && !adding && u32::from(subject) + 1 != n {
        notes.push(format!(
            "Jump hash numbers its buckets 0 to N−1, so removing {name} (not the last node) renumbers every \
             node after it: keys shift between surviving nodes too, {moved} move instead of the {subject_keys} \
             {name} held. Jump hash can only grow or shrink at the end."
        ));
    }

    ChangeReport {
        kind: if adding { "add" } else { "remove" }.into(),
        node: name,
        nodes_before: n,
        nodes_after: after_members.len() as u32,
        moved,
        moved_fraction: frac(moved),
        theory_fraction: if adding { 1.0 / (nf + 1.0) } else { 1.0 / nf },
        mod_n_moved: mod_moved,
        mod_n_fraction: frac(mod_moved),
        mod_n_theory: if adding {
            nf / (nf + 1.0)
        } else {
            (nf - 1.0) / nf
        },
        only_affected_moved: only_affected,
        book_snippet_moved,
    }
}

/// The ring points to draw: every virtual node, or each node's first ⌊3000/N⌋ when there are
/// more than 3000 in all. Sorted by position.
fn ring_points(table: &NodeTable, n: u32, v: u32) -> (Vec<RingPoint>, bool) {
    let sampled = u64::from(n) * u64::from(v) > u64::from(MAX_RING_POINTS);
    let per = if sampled {
        MAX_RING_POINTS / n.max(1)
    } else {
        v
    };
    let mut pts: Vec<(u128, u16)> = Vec::with_capacity((n * per) as usize);
    for (id, hs) in table.vnode.iter().enumerate().take(n as usize) {
        pts.extend(hs.iter().take(per as usize).map(|&h| (h, id as u16)));
    }
    crate::sort::sort_by(&mut pts, |a, b| a.0.cmp(&b.0));
    (
        pts.into_iter()
            .map(|(h, node)| RingPoint {
                pos: ring_fraction(h),
                node,
            })
            .collect(),
        sampled,
    )
}

/// One virtual node in the spread chart's sweep: position, node index, virtual-node index.
type Point = (u128, u16, u32);

/// The spread chart's virtual nodes in tiers: tier `k` holds every node's virtual nodes with
/// index in `SPREAD_VNODES[k−1] .. SPREAD_VNODES[k]`, sorted by position, then node, then index
/// (insertion order among equal positions, as a stable sort of the points node by node gives).
/// The ring with `SPREAD_VNODES[k]` virtual nodes per node is tiers `0 ..= k` together.
type Tiers = Vec<Vec<Point>>;

/// The tiers of the last spread chart, with the hash and node count they were made for.
type TiersMemo = Option<(HashKind, u32, std::rc::Rc<Tiers>)>;

thread_local! {
    /// The last spread chart's tiers and sorted keys: a node-count move then merges in (or
    /// filters out) the nodes that changed instead of sorting every point again.
    static TIERS_MEMO: std::cell::RefCell<TiersMemo> = const { std::cell::RefCell::new(None) };
    static SORTED_KEYS_MEMO: std::cell::RefCell<KeysMemo> = const { std::cell::RefCell::new(None) };
}

/// The [`Tiers`] of nodes `0 … n−1`. Remembered: the next call merges in only the nodes it adds.
fn sorted_tiers(table: &NodeTable, kind: HashKind, n: u32) -> std::rc::Rc<Tiers> {
    TIERS_MEMO.with(|memo| {
        let mut memo = memo.borrow_mut();
        let (have, old) = match &*memo {
            Some((k, have, tiers)) if *k == kind => (*have, Some(tiers.clone())),
            _ => (0, None),
        };
        if let Some(tiers) = &old {
            if have == n {
                return tiers.clone();
            }
        }
        let from = have.min(n) as usize;
        let mut lo = 0u32;
        let tiers: Tiers = SPREAD_VNODES
            .iter()
            .enumerate()
            .map(|(k, &hi)| {
                let keep: Vec<Point> = old.as_ref().map_or_else(Vec::new, |t| {
                    t[k].iter()
                        .copied()
                        .filter(|&(_, j, _)| u32::from(j) < n)
                        .collect()
                });
                let mut fresh: Vec<Point> = Vec::new();
                for (j, hs) in table.vnode.iter().enumerate().take(n as usize).skip(from) {
                    let tier = hs
                        .get(lo as usize..(hi as usize).min(hs.len()))
                        .unwrap_or(&[]);
                    fresh.extend(
                        tier.iter()
                            .enumerate()
                            .map(|(i, &h)| (h, j as u16, lo + i as u32)),
                    );
                }
                fresh.sort_unstable(); // (position, node, index) are distinct, so unstable is exact
                lo = hi;
                merge_sorted(&keep, &fresh)
            })
            .collect();
        let tiers = std::rc::Rc::new(tiers);
        *memo = Some((kind, n, tiers.clone()));
        tiers
    })
}

/// Merge two sorted lists into one sorted list.
fn merge_sorted<T: Ord + Copy>(a: &[T], b: &[T]) -> Vec<T> {
    let mut out = Vec::with_capacity(a.len() + b.len());
    let (mut i, mut j) = (0, 0);
    while i < a.len() && j < b.len() {
        if b[j] < a[i] {
            out.push(b[j]);
            j += 1;
        } else {
            out.push(a[i]);
            i += 1;
        }
    }
    out.extend_from_slice(&a[i..]);
    out.extend_from_slice(&b[j..]);
    out
}

/// `keys`, sorted, remembered with the hash and count they were made for.
fn sorted_keys_memo(kind: HashKind, keys: &[u128]) -> std::rc::Rc<Vec<u128>> {
    SORTED_KEYS_MEMO.with(|memo| {
        let mut memo = memo.borrow_mut();
        match &*memo {
            Some((k, c, sorted)) if *k == kind && *c as usize == keys.len() => sorted.clone(),
            _ => {
                let mut sorted = keys.to_vec();
                sorted.sort_unstable();
                let sorted = std::rc::Rc::new(sorted);
                *memo = Some((kind, keys.len() as u32, sorted.clone()));
                sorted
            }
        }
    })
}

/// Keys per node on each ring of the spread chart: entry `k` is the load of nodes `0 … n−1` on
/// the ring made of tiers `0 ..= k`. The same owners as [`Ring::lookup`] (the first position
/// strictly after the key, wrapping; of equal positions the last inserted): each tier is swept
/// once along the sorted keys for each key's successor in it, and a key's owner on ring `k` is
/// the best of its successors in tiers `0 ..= k`.
fn tier_counts(tiers: &[Vec<Point>], sorted_keys: &[u128], n: usize) -> Vec<Vec<u64>> {
    // Each key's owner so far: (distance, node, index) of its successor, where the distance from
    // key h to position q is q − h − 1 mod 2^128 — so a position after h is nearer than any
    // reached by wrapping past the top, and equal distances mean the same position. Of equal
    // positions the later inserted, (node, index) the larger, owns. `NONE` marks no owner yet.
    const NONE: u16 = u16::MAX;
    let mut best: Vec<(u128, u16, u32)> = vec![(u128::MAX, NONE, 0); sorted_keys.len()];
    tiers
        .iter()
        .map(|tier| {
            // the point owning the run of equal positions that starts at `q`: its last
            let last_of_run = |q: usize| {
                let h = tier[q].0;
                let mut r = q;
                while r + 1 < tier.len() && tier[r + 1].0 == h {
                    r += 1;
                }
                tier[r]
            };
            if !tier.is_empty() {
                let wrap = last_of_run(0);
                let mut p = 0;
                for (&h, b) in sorted_keys.iter().zip(best.iter_mut()) {
                    while p < tier.len() && tier[p].0 <= h {
                        p += 1;
                    }
                    let (pos, node, index) = if p == tier.len() {
                        wrap
                    } else {
                        last_of_run(p)
                    };
                    let d = pos.wrapping_sub(h).wrapping_sub(1);
                    if d < b.0 || (d == b.0 && (b.1 == NONE || (node, index) > (b.1, b.2))) {
                        *b = (d, node, index);
                    }
                }
            }
            let mut c = vec![0u64; n];
            for &(_, node, _) in &best {
                if let Some(x) = c.get_mut(usize::from(node)) {
                    *x += 1;
                }
            }
            c
        })
        .collect()
}

/// The spread chart: ring placement of the first `keys.len()` keys for each of [`SPREAD_VNODES`].
fn spread(table: &NodeTable, kind: HashKind, n: u32, keys: &[u128]) -> Vec<SpreadPoint> {
    // Every virtual node of every node, sorted once in tiers (and kept for the next run); the
    // ring with v virtual nodes per node is the first tiers together, so each key's owner on
    // every ring comes from one sweep of the sorted keys along each tier, without building ten
    // rings (u128 comparisons are slow on wasm32).
    let tiers = sorted_tiers(table, kind, n);
    let sorted_keys = sorted_keys_memo(kind, keys);
    SPREAD_VNODES
        .iter()
        .zip(tier_counts(&tiers, &sorted_keys, n as usize))
        .map(|(&v, c)| {
            let s = load_stats(&c);
            SpreadPoint {
                vnodes: v,
                cv: s.cv,
                max_over_mean: s.max_over_mean,
                cv_theory: cv_theory_ring(n, v, keys.len() as u64),
            }
        })
        .collect()
}

fn placement_note(placement: Placement, kind: HashKind, v: u32) -> String {
    let space = match kind {
        HashKind::Md5 => "2^128 MD5 values",
        HashKind::Fast => "2^64 values of the fast hash",
    };
    match placement {
        Placement::Ring => format!(
            "Ring: each node places {v} virtual nodes on a circle of {space}; a key belongs to the first \
             virtual node strictly after its own hash, wrapping round past the top."
        ),
        Placement::Rendezvous => "Rendezvous: every key scores every node (the murmur3 finalizer of the key's and \
             the node's top 64 hash bits XORed) and goes to the highest score. Virtual nodes play no part."
            .into(),
        Placement::Jump => "Jump hash: a key jumps forward through bucket numbers 0 to N−1 (bucket K−1 is dbK) \
             driven by its top 64 hash bits; it needs no table, but buckets must stay numbered in a row. \
             Virtual nodes play no part."
            .into(),
        Placement::Mod => "hash mod N: a key goes to node (hash mod N) + 1. Simple and even, but changing N \
             reassigns almost every key. Virtual nodes play no part."
            .into(),
    }
}

impl Model for ConsistentHashing {
    type Params = Params;
    type Report = Report;
    const STOCHASTIC: bool = false;

    fn run(params: &Params, _seed: u64) -> Report {
        let p = sanitized(params);
        let kind = HashKind::from_key(&p.hash);
        let placement = Placement::from_key(&p.placement);
        let n = p.nodes;
        let change = p.change.as_str();
        let adding = change == "add";
        let mut notes = vec![placement_note(placement, kind, p.vnodes)];
        if kind == HashKind::Fast {
            notes.push("The fast hash is FNV-1a 64 followed by the murmur3 finalizer.".into());
        }

        // every hash is computed once: node names, virtual nodes up to the most any use needs, keys
        let vmax = p.vnodes.max(SPREAD_VNODES[SPREAD_VNODES.len() - 1]);
        let table = node_table_memo(kind, n + u32::from(adding), vmax);
        let keys = key_hashes_memo(kind, p.keys);

        let members: Vec<u16> = (0..n as u16).collect();
        // ids = indices here; the ring, when there is one, is built once for the owners and arcs
        let (before, ring_shares) = if placement == Placement::Ring {
            let ring = table.ring(&members, p.vnodes);
            (ring_owners(&ring, &keys), ring.arc_shares(n as usize))
        } else {
            let before = place(placement, kind, &table, &members, p.vnodes, &keys);
            (before, vec![1.0 / f64::from(n); n as usize])
        };
        let c = counts(&before, n as usize);
        let total = keys.len() as u64;
        let s = load_stats(&c);
        let nodes = c
            .iter()
            .zip(&ring_shares)
            .enumerate()
            .map(|(j, (&k, &rs))| NodeLoad {
                name: node_name(j as u32 + 1),
                keys: k,
                share: if total > 0 {
                    k as f64 / total as f64
                } else {
                    0.0
                },
                ring_share: rs,
            })
            .collect();
        let cv_theory = if placement == Placement::Ring {
            cv_theory_ring(n, p.vnodes, total)
        } else {
            cv_theory_uniform(n, total)
        };
        let (ring, ring_sampled) = if placement == Placement::Ring {
            ring_points(&table, n, p.vnodes)
        } else {
            (Vec::new(), false)
        };

        let ctx = Ctx {
            kind,
            placement,
            table: &table,
            keys: &keys,
            vnodes: p.vnodes,
            n,
        };
        let change_rep = if change == "none" {
            None
        } else {
            Some(change_report(&ctx, change, p.remove, &before, &mut notes))
        };

        let sk = p.keys.min(SPREAD_MAX_KEYS) as usize;
        let spread_keys = &keys[..sk.min(keys.len())];
        let spread = spread(&table, kind, n, spread_keys);
        if placement != Placement::Ring {
            notes.push(format!(
                "The spread chart always uses the ring, on the first {} keys, to show what virtual nodes buy.",
                spread_keys.len()
            ));
        }

        Report {
            nodes,
            total_keys: total,
            mean: s.mean,
            max: s.max,
            min: s.min,
            max_over_mean: s.max_over_mean,
            sd: s.sd,
            cv: s.cv,
            cv_theory,
            ring,
            ring_sampled,
            change: change_rep,
            spread,
            spread_keys: spread_keys.len() as u64,
            notes,
        }
    }

    fn headline(r: &Report) -> Vec<(&'static str, f64)> {
        let mut h = vec![("max_over_mean", r.max_over_mean), ("cv", r.cv)];
        if let Some(c) = &r.change {
            h.push(("moved_fraction", c.moved_fraction));
            h.push(("mod_n_fraction", c.mod_n_fraction));
        }
        h
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::params::from_pairs;
    use proptest::prelude::*;

    fn run(p: &Params) -> Report {
        ConsistentHashing::run(p, 1)
    }

    fn params(
        nodes: u32,
        vnodes: u32,
        keys: u32,
        placement: &str,
        change: &str,
        remove: u32,
    ) -> Params {
        Params {
            nodes,
            vnodes,
            keys,
            placement: placement.into(),
            change: change.into(),
            remove,
            ..Params::default()
        }
    }

    fn names(n: u32) -> Vec<String> {
        (1..=n).map(node_name).collect()
    }

    fn pairs(s: &[(&str, &str)]) -> Vec<(String, String)> {
        s.iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect()
    }

    #[test]
    fn md5_matches_known_digests() {
        assert_eq!(md5_u128(""), 0xd41d8cd98f00b204e9800998ecf8427e);
        assert_eq!(md5_u128("abc"), 0x900150983cd24fb0d6963f7d28e17f72);
    }

    #[test]
    fn fnv_matches_published_vectors() {
        assert_eq!(fnv1a64(b""), 0xcbf29ce484222325);
        assert_eq!(fnv1a64(b"a"), 0xaf63dc4c8601ec8c);
        assert_eq!(fmix64(0), 0);
        assert_ne!(fast_u64(b"user_1"), fast_u64(b"user_2"));
        assert_eq!(HashKind::Fast.hash("x") >> 64, u128::from(fast_u64(b"x")));
    }

    #[test]
    fn jump_matches_known_values() {
        // 520 is the value other implementations publish; 361 from a direct port of the paper's code
        assert_eq!(jump_hash(256, 1024), 520);
        assert_eq!(jump_hash(0xDEAD_10CC, 666), 361);
        assert_eq!(jump_hash(42, 1), 0);
        assert_eq!(jump_hash(42, 0), 0);
    }

    /// The book's example, with the counts its own Python prints.
    #[test]
    fn reproduces_the_book_example() {
        let r = run(&Params::default());
        let keys: Vec<u64> = r.nodes.iter().map(|n| n.keys).collect();
        assert_eq!(keys, vec![3678, 3114, 3208]);
        assert_eq!(r.total_keys, 10_000);
        assert_eq!((r.max, r.min), (3678, 3114));
        let c = r.change.as_ref().expect("default removes db2");
        assert_eq!(
            (
                c.kind.as_str(),
                c.node.as_str(),
                c.nodes_before,
                c.nodes_after
            ),
            ("remove", "db2", 3, 2)
        );
        assert_eq!(c.moved, 3114, "exactly db2's keys move");
        assert!(c.only_affected_moved);
        assert_eq!(c.book_snippet_moved, Some(3333));
        assert_eq!(r.ring.len(), 450);
        assert!(!r.ring_sampled);
        let shares: f64 = r.nodes.iter().map(|n| n.ring_share).sum();
        assert!((shares - 1.0).abs() < 1e-9, "{shares}");
        assert!(r.ring.windows(2).all(|w| w[0].pos <= w[1].pos));
    }

    #[test]
    fn headline_names_the_key_metrics() {
        let r = run(&Params::default());
        let h = ConsistentHashing::headline(&r);
        let names: Vec<&str> = h.iter().map(|x| x.0).collect();
        assert!(
            names.contains(&"max_over_mean")
                && names.contains(&"cv")
                && names.contains(&"moved_fraction")
        );
        let none = run(&Params {
            change: "none".into(),
            ..Params::default()
        });
        assert!(none.change.is_none());
        assert!(!ConsistentHashing::headline(&none)
            .iter()
            .any(|x| x.0 == "moved_fraction"));
    }

    #[test]
    fn ignores_the_seed_and_is_deterministic() {
        let p = params(5, 20, 2000, "rendezvous", "add", 1);
        assert_eq!(
            ConsistentHashing::run(&p, 1),
            ConsistentHashing::run(&p, 99)
        );
    }

    #[test]
    fn report_reads_back_from_json() {
        let r = run(&params(4, 10, 500, "ring", "remove", 3));
        let json = serde_json::to_string(&r).expect("serialises");
        let back: Report = serde_json::from_str(&json).expect("reads back");
        assert_eq!(back.nodes.len(), 4);
        assert_eq!(back.change.map(|c| c.moved), r.change.map(|c| c.moved));
        assert_eq!(back.ring.len(), r.ring.len());
    }

    #[test]
    fn indexed_lookup_is_the_plain_bisection() {
        let mut rng = crate::rng::Rng::new(3);
        for m in [0usize, 1, 2, 3, 7, 64, 500, 5_000] {
            // full-range positions, clustered ones and the model's `h << 64` ones
            for style in 0..3 {
                let draw = |rng: &mut crate::rng::Rng| -> u128 {
                    let x = u128::from(rng.next_u64());
                    match style {
                        0 => (x << 64) | u128::from(rng.next_u64()),
                        1 => x % 1_000,
                        _ => x << 64,
                    }
                };
                let pts: Vec<(u128, u16)> = (0..m).map(|i| (draw(&mut rng), i as u16)).collect();
                let ring = Ring::new(pts);
                let mut probes: Vec<u128> = (0..2_000).map(|_| draw(&mut rng)).collect();
                probes.extend(
                    ring.positions
                        .iter()
                        .flat_map(|&p| [p, p.wrapping_sub(1), p.wrapping_add(1)]),
                );
                probes.extend([0, u128::MAX]);
                for h in probes {
                    let i = ring.positions.partition_point(|&p| p <= h);
                    let i = if i == ring.positions.len() { 0 } else { i };
                    assert_eq!(ring.lookup(h), ring.owners.get(i).copied(), "m {m} h {h}");
                }
            }
        }
    }

    #[test]
    fn ring_lookup_is_bisect_right_with_wrap_and_later_wins() {
        let ring = Ring::new(vec![(10, 0), (20, 1), (20, 2), (30, 0)]);
        assert_eq!(ring.len(), 3);
        assert_eq!(ring.lookup(5), Some(0));
        assert_eq!(
            ring.lookup(10),
            Some(2),
            "equal to a position goes to the next one"
        );
        assert_eq!(
            ring.lookup(19),
            Some(2),
            "the later duplicate owns the position"
        );
        assert_eq!(
            ring.lookup(30),
            Some(0),
            "past the last position wraps to the first"
        );
        assert_eq!(Ring::new(Vec::new()).lookup(1), None);
        let one = Ring::new(vec![(7, 1)]);
        assert_eq!(one.arc_shares(2), vec![0.0, 1.0]);
    }

    #[test]
    fn owners_agree_with_the_report() {
        let p = params(5, 30, 3000, "ring", "none", 1);
        let own = owners(&p, &names(5));
        let c = counts(&own, 5);
        let r = run(&p);
        assert_eq!(c, r.nodes.iter().map(|n| n.keys).collect::<Vec<_>>());
        assert!(owners(&p, &[]).is_empty());
    }

    /// Karger et al.: adding a node to N moves about 1/(N+1) of the keys, removing one about 1/N.
    /// A node's ring share is Beta(v, (N−1)v): with 8 (or 9) nodes × 200 virtual nodes its sd is
    /// (1/N)·sqrt((N−1)/(N·v+1)) ≈ 0.0074 (add) / 0.0083 (remove), and 50 000 keys add ≈ 0.0015;
    /// the tolerances are 4 sd.
    #[test]
    fn ring_moves_about_one_over_n() {
        let add = run(&params(8, 200, 50_000, "ring", "add", 1));
        let c = add.change.as_ref().expect("change");
        assert!(
            (c.moved_fraction - 1.0 / 9.0).abs() < 0.03,
            "{}",
            c.moved_fraction
        );
        assert!(c.only_affected_moved);
        // hash mod N: a key stays only if h mod 8 = h mod 9, i.e. 8 residues out of 72
        assert!(
            (c.mod_n_fraction - 8.0 / 9.0).abs() < 0.006,
            "{}",
            c.mod_n_fraction
        );
        assert_eq!(c.mod_n_theory, 8.0 / 9.0);

        let mut sum = 0.0;
        for k in 1..=8 {
            let r = run(&params(8, 200, 50_000, "ring", "remove", k));
            let c = r.change.as_ref().expect("change");
            assert!(
                (c.moved_fraction - 0.125).abs() < 0.034,
                "db{k}: {}",
                c.moved_fraction
            );
            assert_eq!(
                c.moved,
                r.nodes[k as usize - 1].keys,
                "only db{k}'s keys move"
            );
            assert!(
                (c.mod_n_fraction - 7.0 / 8.0).abs() < 0.01,
                "{}",
                c.mod_n_fraction
            );
            sum += c.moved_fraction;
        }
        // every key lives on exactly one node, so over all removals each key moves exactly once
        assert!((sum / 8.0 - 0.125).abs() < 1e-12, "{sum}");
    }

    /// The spread chart's loads by building each ring and looking every key up: what the sweep
    /// must reproduce.
    fn spread_by_lookup(table: &NodeTable, n: u32, keys: &[u128], v: u32) -> Vec<u64> {
        let members: Vec<u16> = (0..n as u16).collect();
        let ring = table.ring(&members, v);
        let own: Vec<u16> = ring_owners(&ring, keys);
        counts(&own, n as usize)
    }

    #[test]
    fn the_spread_sweep_gives_the_ring_lookups_loads_as_the_node_count_moves() {
        for kind in [HashKind::Md5, HashKind::Fast] {
            let table = NodeTable::build(kind, &(1..=12).map(node_name).collect::<Vec<_>>(), 1000);
            let keys = key_hashes(kind, 3000);
            // up, down and up again: the remembered tiers are extended, filtered and merged
            for n in [1u32, 2, 5, 12, 7, 3, 9, 9, 12] {
                let tiers = sorted_tiers(&table, kind, n);
                let sorted_keys = sorted_keys_memo(kind, &keys);
                assert_eq!(tiers.iter().map(Vec::len).sum::<usize>(), n as usize * 1000);
                let counts = tier_counts(&tiers, &sorted_keys, n as usize);
                for (v, c) in SPREAD_VNODES.into_iter().zip(counts) {
                    assert_eq!(
                        c,
                        spread_by_lookup(&table, n, &keys, v),
                        "{kind:?} n={n} v={v}"
                    );
                }
            }
        }
    }

    proptest! {
        #[test]
        fn the_64_bit_mod_is_the_128_bit_mod(v: u128, n in 1u32..=u32::MAX) {
            prop_assert_eq!(u128::from(mod_small(v, n)), v % u128::from(n));
        }
    }

    #[test]
    fn the_64_bit_mod_holds_at_the_edges() {
        for v in [
            0,
            1,
            u128::from(u64::MAX),
            1u128 << 64,
            u128::MAX,
            u128::MAX - 1,
        ] {
            for n in [1u32, 2, 3, 7, 64, 65_535, u32::MAX] {
                assert_eq!(
                    u128::from(mod_small(v, n)),
                    v % u128::from(n),
                    "{v} mod {n}"
                );
            }
        }
    }

    #[test]
    fn the_spread_sweep_gives_a_shared_position_to_the_later_node_and_wraps() {
        // node 0's virtual nodes sit at 10 and 10, node 1's at 10 and 20; inserted node by node,
        // so position 10 belongs to node 1 (the last inserted there) on either ring
        let tiers = vec![
            vec![(10u128, 0u16, 0u32), (10, 1, 0)],
            vec![(10, 0, 1), (20, 1, 1)],
        ];
        let keys = [5u128, 10, 15, 20, 25];
        let c = tier_counts(&tiers, &keys, 2);
        // one virtual node each: only position 10, every key goes to it or wraps to it
        assert_eq!(c[0], vec![0, 5]);
        // two each: 5 → 10; 10, 15 → 20; 20, 25 wrap → 10; node 0's later tier does not win
        assert_eq!(c[1], vec![0, 5]);
        let ring = Ring::new(vec![(10, 0), (10, 0), (10, 1), (20, 1)]);
        let own: Vec<u16> = ring_owners(&ring, &keys);
        assert_eq!(counts(&own, 2), c[1]);
        let tiers = vec![vec![(10u128, 0u16, 0u32)], vec![(20, 1, 1)]];
        assert_eq!(tier_counts(&tiers, &keys, 2), vec![vec![5, 0], vec![3, 2]]);
        // an empty tier adds nothing; no tiers at all own nothing
        let c = tier_counts(&[vec![], vec![(10, 0, 1)]], &keys, 2);
        assert_eq!(c, vec![vec![0, 0], vec![5, 0]]);
    }

    #[test]
    fn more_virtual_nodes_even_out_the_load() {
        let r = run(&params(8, 150, 50_000, "ring", "none", 1));
        let at = |v: u32| {
            r.spread
                .iter()
                .find(|s| s.vnodes == v)
                .expect("spread point")
        };
        assert!(at(500).cv < at(5).cv, "{} vs {}", at(500).cv, at(5).cv);
        assert!(at(1000).max_over_mean < at(1).max_over_mean);
        for s in &r.spread {
            let ratio = s.cv / s.cv_theory;
            assert!(
                (1.0 / 3.0..3.0).contains(&ratio),
                "v={} cv={} theory={}",
                s.vnodes,
                s.cv,
                s.cv_theory
            );
        }
        assert_eq!(r.spread_keys, 50_000);
        // the run's own load uses the same keys and ring as the spread point for the same v
        let r200 = run(&params(8, 200, 50_000, "ring", "none", 1));
        assert_eq!(r200.cv, at(200).cv);
        assert_eq!(r200.cv_theory, at(200).cv_theory);
    }

    #[test]
    fn theory_formulas() {
        assert_eq!(cv_theory_ring(1, 10, 1000), 0.0);
        let t = cv_theory_ring(3, 150, 10_000);
        assert!((t - (2.0f64 / 451.0 + 2.0 / 10_000.0).sqrt()).abs() < 1e-15);
        assert!((cv_theory_uniform(11, 1000) - 0.1).abs() < 1e-15);
    }

    #[test]
    fn validation_clamps_remove_with_a_notice() {
        let (p, n) = from_pairs::<Params>(&pairs(&[("nodes", "3"), ("remove", "10")]), &[]);
        assert_eq!(p.remove, 3);
        assert_eq!(n.len(), 1, "{n:?}");
        assert_eq!(n[0].key, "remove");
        let (p, n) = from_pairs::<Params>(&pairs(&[("nodes", "1"), ("remove", "1")]), &[]);
        assert_eq!(p.change, "add");
        assert_eq!(n.len(), 1, "{n:?}");
        assert_eq!(n[0].key, "change");
        let (_, n) = from_pairs::<Params>(&[], &[]);
        assert!(n.is_empty());
    }

    #[test]
    fn survives_the_extremes() {
        let big = run(&params(64, 1000, 100, "ring", "remove", 64));
        assert_eq!(big.nodes.len(), 64);
        assert_eq!(big.total_keys, 100);
        assert!(big.ring_sampled);
        assert_eq!(big.ring.len(), (64 * (MAX_RING_POINTS / 64)) as usize);
        assert!(big.ring.iter().all(|p| (0.0..1.0).contains(&p.pos)));

        let (p, _) = from_pairs::<Params>(&pairs(&[("nodes", "1"), ("vnodes", "1")]), &[]);
        let tiny = run(&p);
        assert_eq!(tiny.nodes[0].keys, 10_000);
        assert_eq!(tiny.nodes[0].ring_share, 1.0);
        assert_eq!(tiny.cv, 0.0);
        let c = tiny.change.as_ref().expect("add");
        assert_eq!(
            (c.kind.as_str(), c.node.as_str(), c.nodes_after),
            ("add", "db2", 2)
        );
        assert!(c.only_affected_moved);
        assert!(c.moved > 0 && c.moved < 10_000);

        // unvalidated nonsense must not panic either
        let weird = Params {
            nodes: 0,
            vnodes: 0,
            keys: 0,
            remove: 0,
            change: "??".into(),
            ..Params::default()
        };
        let r = run(&weird);
        assert_eq!(r.nodes.len(), 1);
    }

    #[test]
    fn every_placement_hash_and_change_is_consistent() {
        for placement in ["ring", "rendezvous", "jump", "mod"] {
            for hash in ["md5", "fast"] {
                for change in ["remove", "add", "none"] {
                    let p = Params {
                        hash: hash.into(),
                        ..params(5, 40, 3000, placement, change, 5)
                    };
                    let r = run(&p);
                    assert_eq!(r.nodes.iter().map(|n| n.keys).sum::<u64>(), 3000);
                    assert!((r.nodes.iter().map(|n| n.ring_share).sum::<f64>() - 1.0).abs() < 1e-9);
                    assert_eq!(r.ring.is_empty(), placement != "ring");
                    assert_eq!(r.spread.len(), SPREAD_VNODES.len());
                    assert!(r.max_over_mean >= 1.0);
                    if let Some(c) = &r.change {
                        assert!(c.moved <= 3000 && c.mod_n_moved <= 3000);
                        // removing the last node (db5) is minimal for every consistent placement
                        if placement != "mod" {
                            assert!(c.only_affected_moved, "{placement} {hash} {change}");
                        }
                        if placement == "mod" {
                            assert_eq!(c.moved, c.mod_n_moved);
                        }
                        assert_eq!(c.book_snippet_moved.is_some(), change == "remove");
                    }
                }
            }
        }
    }

    #[test]
    fn jump_removal_in_the_middle_renumbers_and_says_so() {
        let r = run(&params(3, 150, 10_000, "jump", "remove", 1));
        let c = r.change.as_ref().expect("change");
        assert!(!c.only_affected_moved);
        assert!(c.moved > r.nodes[0].keys);
        assert!(r.notes.iter().any(|n| n.contains("renumbers")));
        let last = run(&params(3, 150, 10_000, "jump", "remove", 3));
        let c = last.change.as_ref().expect("change");
        assert!(c.only_affected_moved);
        assert_eq!(c.moved, last.nodes[2].keys);
        assert!(!last.notes.iter().any(|n| n.contains("renumbers")));
    }

    /// Share of 100 000 keys whose jump bucket differs between `a` and `b` buckets.
    fn jump_moved_fraction(a: u32, b: u32) -> f64 {
        let keys = key_hashes(HashKind::Md5, 100_000);
        let moved = keys
            .iter()
            .filter(|&&h| jump_hash((h >> 64) as u64, a) != jump_hash((h >> 64) as u64, b))
            .count();
        moved as f64 / keys.len() as f64
    }

    /// Lamping & Veach: n → n+1 moves 1/(n+1); 10 → 12 moves 1/6. With 100 000 keys the sd is
    /// sqrt(p(1−p)/K) ≈ 0.0009 and 0.0012; the tolerances are 4 sd.
    #[test]
    fn jump_moves_the_expected_fraction() {
        let f = jump_moved_fraction(10, 11);
        assert!((f - 1.0 / 11.0).abs() < 0.0037, "{f}");
        let f = jump_moved_fraction(10, 12);
        assert!((f - 1.0 / 6.0).abs() < 0.0048, "{f}");
    }

    fn hash_strategy() -> impl Strategy<Value = String> {
        prop_oneof![Just("md5".to_string()), Just("fast".to_string())]
    }

    fn minimal_strategy() -> impl Strategy<Value = String> {
        prop_oneof![Just("ring".to_string()), Just("rendezvous".to_string())]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(32))]

        /// Ring and rendezvous: a new node takes keys only for itself.
        #[test]
        fn adding_a_node_moves_keys_only_onto_it(
            n in 1u32..12, v in 1u32..60, keys in 100u32..3000, hash in hash_strategy(), placement in minimal_strategy()
        ) {
            let p = Params { hash, ..params(n, v, keys, &placement, "none", 1) };
            let before = owners(&p, &names(n));
            let after = owners(&p, &names(n + 1));
            prop_assert_eq!(before.len(), keys as usize);
            for (b, a) in before.iter().zip(&after) {
                prop_assert!(a == b || *a == n as u16, "key moved from {} to {}", b, a);
            }
            let added = run(&Params { change: "add".into(), ..p }).change;
            prop_assert!(added.is_some_and(|c| c.only_affected_moved));
        }

        /// Ring and rendezvous: removing any node moves its keys and no others.
        #[test]
        fn removing_a_node_moves_only_its_keys(
            n in 2u32..12, k in 1u32..12, v in 1u32..60, keys in 100u32..3000,
            hash in hash_strategy(), placement in minimal_strategy()
        ) {
            let k = k.min(n);
            let p = Params { hash, ..params(n, v, keys, &placement, "none", 1) };
            let all = names(n);
            let rest: Vec<String> = all.iter().filter(|s| **s != node_name(k)).cloned().collect();
            let before = owners(&p, &all);
            let after = owners(&p, &rest);
            let mut lost = 0u64;
            for (&b, &a) in before.iter().zip(&after) {
                let (b_name, a_name) = (&all[usize::from(b)], &rest[usize::from(a)]);
                if b_name == &node_name(k) {
                    lost += 1;
                } else {
                    prop_assert_eq!(b_name, a_name);
                }
            }
            let r = run(&Params { change: "remove".into(), remove: k, ..p });
            let c = r.change.expect("change");
            prop_assert!(c.only_affected_moved);
            prop_assert_eq!(c.moved, lost);
            prop_assert_eq!(c.moved, r.nodes[k as usize - 1].keys);
        }

        /// Jump: growing to n+1 buckets moves exactly the keys that land in bucket n.
        #[test]
        fn jump_add_moves_exactly_the_new_buckets_keys(key in any::<u64>(), n in 1u32..500) {
            let b = jump_hash(key, n);
            let a = jump_hash(key, n + 1);
            prop_assert!(b < n && a <= n);
            prop_assert_eq!(a != b, a == n);
        }
    }
}
