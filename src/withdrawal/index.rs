//! A quick test run before judging each cookie of a request for withdrawal: can this
//! cookie-name be a declared cookie that the visitor's consent refuses?
//!
//! Withdrawal judges every cookie the request carries (a registry lookup each), though
//! usually none of them is refused. For each consent category and each service, the index
//! keeps a sketch of the declarations that need consent: a Bloom filter of their exact
//! cookie-names and the set of first bytes of their prefixes and patterns. Per request, the
//! sketches of the categories the consent does not grant and of the services it refuses are
//! joined; a name that misses the join cannot resolve to a refused declaration (a Bloom
//! filter has no false negatives, and a prefix or pattern match needs its first byte), so
//! its lookup is skipped. A name that passes is judged as before: the test only rules out.

use crate::category::CategoryId;
use crate::consent::Consent;
use crate::declaration::Match;
use crate::registry::Registry;

/// The seed of the exact-name hash: fixed, so that the same registry rules out the same
/// names in every process (reproducible benchmarks; a name that passes only costs a lookup).
const SEED: u64 = 0x5EED_C00C_1E5C_0DE5;

/// Bits of each Bloom filter: 512 (eight words); each exact name sets two.
const WORDS: usize = 8;

/// The declarations of one category or service, or a union of them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Sketch {
    /// Bloom filter of the exact cookie-names.
    exact: [u64; WORDS],
    /// Bloom filter of the heads of the prefixes and patterns: their first bytes before any
    /// wildcard, at most [`HEAD`] of them.
    heads: [u64; WORDS],
    /// Bit `n` set: some head is `n` bytes long.
    head_lens: u8,
    /// A pattern starting with a wildcard may match any name.
    any: bool,
    /// The first byte of every exact name and head of one byte, a bit per byte value.
    starts1: [u64; 4],
    /// The first two bytes of every longer exact name and head, a bit per [`start_hash`]:
    /// the first test on a name, which rules out most names for a few instructions.
    starts2: [u64; 4],
}

/// The bit of a name's first two bytes in [`Sketch::starts2`].
#[inline]
fn start_hash(a: u8, b: u8) -> usize {
    ((u32::from(a) << 8 | u32::from(b)).wrapping_mul(0x9E37_79B1) >> 24) as usize
}

/// Sets bit `bit` of a 256-bit set.
fn set_bit(set: &mut [u64; 4], bit: usize) {
    set[bit >> 6] |= 1 << (bit & 63);
}

/// Whether bit `bit` of a 256-bit set is set.
#[inline]
fn has_bit(set: &[u64; 4], bit: usize) -> bool {
    set[bit >> 6] & (1 << (bit & 63)) != 0
}

/// The longest head kept of a prefix or pattern, in bytes: seven bytes and the length fill
/// the 64-bit key of [`head_hash`]. Long enough to tell `_gac_` (marketing) from `_ga`
/// (statistics).
const HEAD: usize = 7;

impl Sketch {
    fn add_exact(&mut self, name: &[u8]) {
        set(&mut self.exact, exact_hash(name, first_word(name)));
        self.add_start(name);
    }

    /// Records the first bytes of a non-empty exact name or head.
    fn add_start(&mut self, start: &[u8]) {
        match start {
            [a, b, ..] => set_bit(&mut self.starts2, start_hash(*a, *b)),
            [a] => set_bit(&mut self.starts1, usize::from(*a)),
            [] => {}
        }
    }

    /// Adds a prefix, or a pattern's bytes before its first wildcard (`head`).
    fn add_head(&mut self, head: &[u8]) {
        let head = &head[..head.len().min(HEAD)];
        if head.is_empty() {
            self.any = true;
        } else {
            set(&mut self.heads, head_hash(first_word(head), head.len()));
            self.head_lens |= 1 << head.len();
            self.add_start(head);
        }
    }

    fn join(&mut self, other: &Self) {
        for (a, b) in self.exact.iter_mut().zip(other.exact) {
            *a |= b;
        }
        for (a, b) in self.heads.iter_mut().zip(other.heads) {
            *a |= b;
        }
        self.head_lens |= other.head_lens;
        self.any |= other.any;
        for (a, b) in self.starts1.iter_mut().zip(other.starts1) {
            *a |= b;
        }
        for (a, b) in self.starts2.iter_mut().zip(other.starts2) {
            *a |= b;
        }
    }

    fn is_empty(&self) -> bool {
        *self == Self::default()
    }
}

/// Sets the two filter bits of `hash`.
fn set(filter: &mut [u64; WORDS], hash: u64) {
    for bit in bits(hash) {
        filter[bit >> 6] |= 1 << (bit & 63);
    }
}

/// Whether both filter bits of `hash` are set.
#[inline]
fn test(filter: &[u64; WORDS], hash: u64) -> bool {
    bits(hash)
        .iter()
        .all(|&bit| filter[bit >> 6] & (1 << (bit & 63)) != 0)
}

/// The first eight bytes of `bytes` (fewer: zero-padded), little-endian.
#[inline]
fn first_word(bytes: &[u8]) -> u64 {
    match bytes.first_chunk::<8>() {
        Some(word) => u64::from_le_bytes(*word),
        None => {
            let mut word = [0; 8];
            word[..bytes.len()].copy_from_slice(bytes);
            u64::from_le_bytes(word)
        }
    }
}

/// Mixes every bit of `key` into every bit of the result (a folded 128-bit multiply).
#[inline]
fn spread(key: u64) -> u64 {
    let product = u128::from(key ^ SEED) * 0x9E37_79B9_7F4A_7C15;
    (product as u64) ^ (product >> 64) as u64
}

/// The hash of the head of `len` (1 to [`HEAD`]) bytes of a name whose [`first_word`] is
/// `word`: its bytes and its length in one 64-bit key.
#[inline]
fn head_hash(word: u64, len: usize) -> u64 {
    debug_assert!((1..=HEAD).contains(&len));
    spread((word & ((1 << (8 * len)) - 1)) | ((len as u64) << 56))
}

/// The hash of an exact cookie-name: its first and last eight bytes and its length (names
/// that differ only in between collide, which only makes them judged).
#[inline]
fn exact_hash(name: &[u8], word: u64) -> u64 {
    let last = match name.last_chunk::<8>() {
        Some(last) => u64::from_le_bytes(*last),
        None => 0,
    };
    spread(word ^ spread(last ^ ((name.len() as u64) << 32)))
}

/// The two filter bits of a hash.
fn bits(hash: u64) -> [usize; 2] {
    [(hash & 511) as usize, ((hash >> 9) & 511) as usize]
}

/// The sketches of one registry, by category and by service index.
#[derive(Debug, Clone)]
pub(crate) struct RefusableIndex {
    categories: Vec<Sketch>,
    services: Vec<Sketch>,
}

impl RefusableIndex {
    /// An index that rules nothing out (before the registry is known).
    pub(crate) fn empty() -> Self {
        Self {
            categories: Vec::new(),
            services: Vec::new(),
        }
    }

    pub(crate) fn new(registry: &Registry) -> Self {
        let mut index = Self {
            categories: vec![Sketch::default(); registry.categories().len()],
            services: vec![Sketch::default(); registry.services().len()],
        };
        for (i, declaration) in registry.declarations().iter().enumerate() {
            let i = i as u32;
            if !registry.requires_consent(i) {
                continue; // never refused
            }
            let (category, service) = registry.classify(i);
            let mut sketch = Sketch::default();
            match declaration.matcher() {
                Match::Exact(name) => sketch.add_exact(name.as_bytes()),
                Match::Prefix(prefix) => sketch.add_head(prefix.as_bytes()),
                Match::Pattern(glob) => {
                    let glob = glob.as_bytes();
                    let literal = glob.iter().take_while(|&&b| b != b'*' && b != b'?');
                    sketch.add_head(&glob[..literal.count()]);
                }
            }
            index.categories[category.index()].join(&sketch);
            if let Some(service) = service {
                index.services[service.index()].join(&sketch);
            }
        }
        index
    }

    /// The join of the sketches of the categories `consent` does not grant and of the
    /// services it refuses: every declaration it may refuse (a service grant can still
    /// allow some of them; the judgement decides).
    pub(crate) fn refusable(&self, consent: &Consent) -> Refusable {
        let mut sketch = Sketch::default();
        let granted = consent.granted_categories();
        for (i, category) in self.categories.iter().enumerate() {
            if !granted.contains(CategoryId(i as u8)) {
                sketch.join(category);
            }
        }
        for s in consent.refused_services().iter() {
            if let Some(service) = self.services.get(s.index()) {
                sketch.join(service);
            }
        }
        Refusable { sketch }
    }
}

/// The declarations one consent may refuse, as a quick test on cookie-names.
#[derive(Debug)]
pub(crate) struct Refusable {
    sketch: Sketch,
}

impl Refusable {
    /// Whether no declaration can be refused (nothing to delete, whatever the request holds).
    pub(crate) fn is_empty(&self) -> bool {
        self.sketch.is_empty()
    }

    /// `false` when `name` cannot resolve to a declaration this consent refuses; `true`
    /// when it may (judge it).
    #[inline]
    pub(crate) fn may_refuse(&self, name: &[u8]) -> bool {
        let sketch = &self.sketch;
        if name.is_empty() {
            return false; // a nameless pair is never a declared cookie
        }
        if sketch.any {
            return true;
        }
        // Every declaration that can match starts with the name's first byte, or its first
        // two.
        let start = match name {
            [a, b, ..] => has_bit(&sketch.starts2, start_hash(*a, *b)),
            _ => false,
        };
        if !start && !has_bit(&sketch.starts1, usize::from(name[0])) {
            return false;
        }
        // A prefix or pattern match starts with the declaration's head.
        // Only the lengths some head has, up to the name's.
        let word = first_word(name);
        let mut lens = sketch.head_lens & (u8::MAX >> (7 - HEAD.min(name.len())));
        while lens != 0 {
            let len = lens.trailing_zeros() as usize;
            lens &= lens - 1;
            if test(&sketch.heads, head_hash(word, len)) {
                return true;
            }
        }
        test(&sketch.exact, exact_hash(name, word))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::declaration::Declaration;
    use crate::registry::UnknownPolicy;
    use proptest::prelude::*;

    /// Cookie-names and declaration texts from a small alphabet, so that they collide.
    fn text() -> impl Strategy<Value = String> {
        proptest::collection::vec(
            prop_oneof![Just('_'), Just('a'), Just('b'), Just('G')],
            1..6,
        )
        .prop_map(|c| c.into_iter().collect())
    }

    fn declaration() -> impl Strategy<Value = Declaration> {
        let categories = ["necessary", "functional", "statistics", "marketing"];
        (
            0..4usize,
            text(),
            0..4usize,
            proptest::option::of(0..3usize),
            any::<Option<bool>>(),
        )
            .prop_map(move |(kind, t, c, service, required)| {
                let d = match kind {
                    0 | 1 => Declaration::exact(t),
                    2 => Declaration::prefix(t),
                    _ => Declaration::pattern(format!("{t}*")),
                };
                let mut d = d.category(categories[c]);
                if let Some(s) = service {
                    d = d.service(format!("svc{s}"));
                }
                match required {
                    Some(true) => d.consent_required(true),
                    Some(false) => d.exempt(),
                    None => d,
                }
            })
    }

    proptest! {
        /// The quick test never rules out a name the registry would refuse as declared.
        #[test]
        fn never_rules_out_a_refused_declared_cookie(
            declarations in proptest::collection::vec(declaration(), 0..12),
            granted in any::<u8>(),
            service_decisions in proptest::collection::vec(any::<Option<bool>>(), 3),
            names in proptest::collection::vec(text(), 1..20),
        ) {
            let mut builder = Registry::builder().default_categories();
            for d in declarations {
                builder = builder.cookie(d);
            }
            // Duplicate texts are refused at build: skip those registries.
            let Ok(registry) = builder.build() else { return Ok(()) };
            let mut consent = Consent::decided();
            for i in 0..registry.categories().len() {
                if granted & (1 << i) != 0 {
                    consent.grant_category(registry.category_id_at(i));
                }
            }
            for (i, decision) in service_decisions.iter().enumerate() {
                let Some(s) = registry.service_id(&format!("svc{i}")) else { continue };
                match decision {
                    Some(true) => consent.grant_service(s),
                    Some(false) => consent.refuse_service(s),
                    None => {}
                }
            }
            let index = RefusableIndex::new(&registry);
            let refusable = index.refusable(&consent);
            for name in &names {
                let verdict = registry.judge(name.as_bytes(), &consent, UnknownPolicy::Block);
                if verdict.declaration_raw().is_some() && !verdict.is_allowed() {
                    prop_assert!(refusable.may_refuse(name.as_bytes()), "{name} ruled out");
                }
            }
        }
    }

    #[test]
    fn rules_out_names_of_granted_categories_and_undeclared_names() {
        let registry = Registry::builder()
            .default_categories()
            .cookie(Declaration::exact("_fbp").category("marketing"))
            .cookie(Declaration::prefix("_gcl_").category("marketing"))
            .cookie(Declaration::exact("_ga").category("statistics"))
            .build()
            .unwrap();
        let mut consent = Consent::decided();
        consent.grant_category(registry.category_id("statistics").unwrap());
        let index = RefusableIndex::new(&registry);
        let refusable = index.refusable(&consent);
        assert!(refusable.may_refuse(b"_fbp"));
        assert!(refusable.may_refuse(b"_gcl_au"));
        // `_ga` is granted, `lang` undeclared, `_g` shorter than the `_gc` head.
        for name in [&b"lang"[..], b"sessionid", b"x"] {
            assert!(
                !refusable.may_refuse(name),
                "{}",
                String::from_utf8_lossy(name)
            );
        }
        assert!(!refusable.may_refuse(b""));
    }
}
