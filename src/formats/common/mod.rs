//! What every CMP reader shares: the map from a CMP's names to registry ids, the grants and
//! refusals read from one value, the rule for a cookie present more than once, value
//! decoding and timestamps. Nothing here allocates on the request path.

mod decode;
mod resolved;
mod time;

pub(crate) use decode::{js_unescape_into, percent_decode_into, percent_escape, with_decoded};
pub(crate) use resolved::{Resolved, ResolvedGrants};
pub(crate) use time::{civil_days, parse_iso8601_ms};

use resolved::Text;

use super::MAX_CONSENT_VALUE;
use crate::category::CategoryId;
use crate::consent::{CategorySet, Consent, ServiceSet};
use crate::cookie_header::CookieName;
use crate::reader::ConsentRequest;
use crate::registry::{ConsentKey, Registry};

/// What a name with no explicit entry in a [`NameMap`] stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Identity {
    /// Nothing: only explicit entries resolve.
    Off,
    /// The registry category or service id of the same text.
    Any,
    /// The registry **service** id of the same text, never a category: for formats whose
    /// keys are services (a key that happens to equal a category id must not grant the
    /// whole category).
    Services,
    /// The registry **category** id of the same text, never a service: for names that are
    /// categories.
    Categories,
}

/// A map from a CMP's names (categories, groups, purposes, services) to registry ids:
/// explicit entries first (`None` = ignored; an explicit entry may name a category or a
/// service), then the name itself as [`Identity`] says.
#[derive(Debug, Clone)]
pub(crate) struct NameMap {
    entries: Vec<(String, Option<String>)>,
    /// What a name with no entry stands for.
    identity: Identity,
}

impl NameMap {
    /// A map holding `defaults` (in order) and reading other names as `identity` says.
    pub(crate) fn new<'a>(
        defaults: impl IntoIterator<Item = (&'a str, Option<&'a str>)>,
        identity: Identity,
    ) -> Self {
        Self {
            entries: defaults
                .into_iter()
                .map(|(k, v)| (k.to_owned(), v.map(str::to_owned)))
                .collect(),
            identity,
        }
    }

    /// Maps `name` to `id` (`None` ignores it), replacing an earlier entry for `name`.
    pub(crate) fn set(&mut self, name: String, id: Option<String>) {
        match self.entries.iter_mut().find(|(k, _)| *k == name) {
            Some(entry) => entry.1 = id,
            None => self.entries.push((name, id)),
        }
    }

    /// Maps `name` to `id` unless `name` already has an entry (the first one stays).
    pub(crate) fn set_if_absent(&mut self, name: String, id: String) {
        if !self.entries.iter().any(|(k, _)| *k == name) {
            self.entries.push((name, Some(id)));
        }
    }

    /// The names with an explicit entry, mapped or ignored, in the order they were added.
    pub(crate) fn names(&self) -> impl Iterator<Item = &str> {
        self.entries.iter().map(|(k, _)| k.as_str())
    }

    /// What `name` stands for in `registry`, if anything.
    pub(crate) fn resolve(&self, name: &[u8], registry: &Registry) -> Option<ConsentKey> {
        self.resolve_with(name, registry, self.identity)
    }

    /// [`resolve`](Self::resolve), telling also which text `name` was: the text of an
    /// explicit entry, or by identity the id's own text (no other text resolves to that id
    /// by identity), so two names that resolve are the same text exactly when their
    /// [`Resolved`]s are equal.
    #[inline(always)]
    pub(crate) fn resolve_exact(&self, name: &[u8], registry: &Registry) -> Option<Resolved> {
        let by_identity = |key: ConsentKey| Resolved {
            key,
            text: Text::Id(key),
        };
        if self.entries.is_empty() && self.identity == Identity::Any {
            return registry.consent_key(name).map(by_identity);
        }
        match self.entries.iter().position(|(k, _)| k.as_bytes() == name) {
            Some(i) => {
                let id = self.entries[i].1.as_deref()?;
                let key = registry.consent_key(id.as_bytes())?;
                Some(Resolved {
                    key,
                    text: Text::Entry(i),
                })
            }
            None => self
                .resolve_with(name, registry, self.identity)
                .map(by_identity),
        }
    }

    /// What `name` stands for in `registry`, reading a name with no entry as `identity`
    /// says (for formats that hold names of several kinds in one map).
    pub(crate) fn resolve_with(
        &self,
        name: &[u8],
        registry: &Registry,
        identity: Identity,
    ) -> Option<ConsentKey> {
        match self.entries.iter().find(|(k, _)| k.as_bytes() == name) {
            Some((_, Some(id))) => registry.consent_key(id.as_bytes()),
            Some((_, None)) => None,
            None => match identity {
                Identity::Off => None,
                Identity::Any => registry.consent_key(name),
                Identity::Services => service_key(name, registry),
                Identity::Categories => registry
                    .consent_key(name)
                    .filter(|key| matches!(key, ConsentKey::Category(_))),
            },
        }
    }

    /// The registry categories some entry maps to.
    pub(crate) fn target_categories(&self, registry: &Registry) -> CategorySet {
        let mut set = CategorySet::EMPTY;
        for (_, id) in &self.entries {
            let key = id
                .as_deref()
                .and_then(|id| registry.consent_key(id.as_bytes()));
            if let Some(ConsentKey::Category(c)) = key {
                set.insert(c);
            }
        }
        set
    }
}

/// The registry service `name` names, never a category: for cookies whose keys are service
/// slugs.
pub(crate) fn service_key(name: &[u8], registry: &Registry) -> Option<ConsentKey> {
    registry
        .consent_key(name)
        .filter(|key| matches!(key, ConsentKey::Service(_)))
}

/// Grants and refusals gathered while reading a consent value. Order-independent: a
/// category or service both granted and refused (a key given twice, two names mapped to
/// the same id, two cookies of one choice) ends up refused, and one
/// [vetoed](Grants::veto) is not granted.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Grants {
    granted: CategorySet,
    refused: CategorySet,
    vetoed: CategorySet,
    services_granted: ServiceSet,
    services_refused: ServiceSet,
    services_vetoed: ServiceSet,
}

impl Grants {
    /// Nothing recorded (`Default::default`, usable in `const` constructors).
    pub(crate) const EMPTY: Self = Self {
        granted: CategorySet::EMPTY,
        refused: CategorySet::EMPTY,
        vetoed: CategorySet::EMPTY,
        services_granted: ServiceSet::EMPTY,
        services_refused: ServiceSet::EMPTY,
        services_vetoed: ServiceSet::EMPTY,
    };

    /// Records a grant (`yes`) or a refusal of `key`; `None` (a name that stands for
    /// nothing in the registry) records nothing.
    pub(crate) fn record(&mut self, key: Option<ConsentKey>, yes: bool) {
        match (key, yes) {
            (Some(ConsentKey::Category(c)), true) => self.granted.insert(c),
            (Some(ConsentKey::Category(c)), false) => self.refused.insert(c),
            (Some(ConsentKey::Service(s)), true) => self.services_granted.insert(s),
            (Some(ConsentKey::Service(s)), false) => self.services_refused.insert(s),
            (None, _) => {}
        }
    }

    /// Withholds any grant of `key` without refusing it (no decision wins over a grant).
    pub(crate) fn veto(&mut self, key: ConsentKey) {
        match key {
            ConsentKey::Category(c) => self.vetoed.insert(c),
            ConsentKey::Service(s) => self.services_vetoed.insert(s),
        }
    }

    pub(crate) fn grant_category(&mut self, c: CategoryId) {
        self.granted.insert(c);
    }

    pub(crate) fn grant_services(&mut self, services: &ServiceSet) {
        self.services_granted = self.services_granted.union(services);
    }

    pub(crate) fn refuse_services(&mut self, services: &ServiceSet) {
        self.services_refused = self.services_refused.union(services);
    }

    /// Adds the grants and refusals of `other`.
    pub(crate) fn merge(&mut self, other: &Self) {
        self.granted = self.granted.union(other.granted);
        self.refused = self.refused.union(other.refused);
        self.vetoed = self.vetoed.union(other.vetoed);
        self.services_granted = self.services_granted.union(&other.services_granted);
        self.services_refused = self.services_refused.union(&other.services_refused);
        self.services_vetoed = self.services_vetoed.union(&other.services_vetoed);
    }

    /// The refusals alone.
    pub(crate) fn refusals_only(self) -> Self {
        Self {
            refused: self.refused,
            services_refused: self.services_refused,
            ..Self::default()
        }
    }

    /// A decided [`Consent`] holding these grants (refusals and vetoes win).
    pub(crate) fn into_consent(self) -> Consent {
        let mut consent = Consent::decided();
        let refused_or_vetoed = self.refused.union(self.vetoed);
        for c in self.granted.difference(refused_or_vetoed).iter() {
            consent.grant_category(c);
        }
        // Most values decide no service: skip walking the 256-bit sets then.
        if !self.services_granted.is_empty() {
            for s in self.services_granted.iter() {
                if !self.services_vetoed.contains(s) {
                    consent.grant_service(s);
                }
            }
        }
        if !self.services_refused.is_empty() {
            for s in self.services_refused.iter() {
                consent.refuse_service(s);
            }
        }
        consent
    }
}

/// How many distinct keys standing for a registry id one consent value may hold before
/// [`Repeats`] can no longer tell a repeated key from a new one (the value then reads as
/// unreadable). Far more than any CMP writes: one key per category or service.
pub(crate) const MAX_TRACKED_KEYS: usize = 64;

#[derive(Debug, Clone, Copy)]
struct Seen {
    hash: u64,
    /// The key's id, [packed](pack_key) (all zero bytes for none, so that a fresh
    /// [`Repeats`] is zeroed memory).
    key: u16,
    repeated: bool,
    undecided: bool,
}

fn pack_key(key: Option<ConsentKey>) -> u16 {
    match key {
        None => 0,
        Some(ConsentKey::Category(c)) => 1 + u16::from(c.0),
        Some(ConsentKey::Service(s)) => 0x101 + u16::from(s.0),
    }
}

fn unpack_key(key: u16) -> Option<ConsentKey> {
    match key {
        0 => None,
        1..=0x100 => Some(ConsentKey::Category(CategoryId((key - 1) as u8))),
        _ => Some(ConsentKey::Service(crate::ServiceId((key - 0x101) as u8))),
    }
}

/// The keys of one consent value, to find a key given more than once. Keys are compared
/// by a 64-bit hash of their decoded text ([`key_hash`]): two different keys with one hash
/// count as one key given twice, which can only narrow what is granted. Allocation-free.
#[derive(Debug, Clone)]
pub(crate) struct Repeats {
    seen: [Seen; MAX_TRACKED_KEYS],
    len: usize,
    full: bool,
}

impl Repeats {
    pub(crate) const fn new() -> Self {
        const EMPTY: Seen = Seen {
            hash: 0,
            key: 0,
            repeated: false,
            undecided: false,
        };
        Self {
            seen: [EMPTY; MAX_TRACKED_KEYS],
            len: 0,
            full: false,
        }
    }

    /// Notes one occurrence of the key `text`, standing for `key`, that decided `decision`
    /// (`None`: no decision). Returns whether `text` was seen before, or may have been
    /// (more than [`MAX_TRACKED_KEYS`] distinct keys were noted).
    pub(crate) fn note(
        &mut self,
        text: &[u8],
        key: Option<ConsentKey>,
        decision: Option<bool>,
    ) -> bool {
        self.note_hash(key_hash(text), key, decision)
    }

    #[inline]
    pub(super) fn note_hash(
        &mut self,
        hash: u64,
        key: Option<ConsentKey>,
        decision: Option<bool>,
    ) -> bool {
        if let Some(seen) = self.seen[..self.len].iter_mut().find(|s| s.hash == hash) {
            seen.repeated = true;
            seen.undecided |= decision.is_none();
            if seen.key == 0 {
                seen.key = pack_key(key);
            }
            return true;
        }
        if self.len == MAX_TRACKED_KEYS {
            self.full = true;
            return true;
        }
        self.seen[self.len] = Seen {
            hash,
            key: pack_key(key),
            repeated: false,
            undecided: decision.is_none(),
        };
        self.len += 1;
        false
    }

    /// Whether more distinct keys were noted than can be followed.
    pub(crate) fn overflowed(&self) -> bool {
        self.full
    }

    /// The ids of keys given more than once, one occurrence of which decided nothing.
    pub(super) fn undecided_repeats(&self) -> impl Iterator<Item = ConsentKey> + '_ {
        self.seen[..self.len]
            .iter()
            .filter(|s| s.repeated && s.undecided)
            .filter_map(|s| unpack_key(s.key))
    }
}

/// A 64-bit hash of a key's bytes, eight at a time: its length, then each word (the last
/// one overlapping the one before, or the bytes one by one below eight) folded in by a
/// 128-bit multiply, as foldhash does. Not keyed: a collision can only make [`Repeats`] read two keys as one
/// key given twice, which narrows what is granted.
fn key_hash(bytes: &[u8]) -> u64 {
    const K: u64 = 0x9e37_79b9_7f4a_7c15;
    let fold = |h: u64, w: u64| {
        let p = u128::from(h ^ w) * u128::from(K);
        (p as u64) ^ ((p >> 64) as u64)
    };
    let n = bytes.len();
    let mut h = fold(0x243f_6a88_85a3_08d3, n as u64);
    let mut chunks = bytes.chunks_exact(8);
    for chunk in &mut chunks {
        h = fold(h, u64::from_le_bytes(chunk.try_into().unwrap_or_default()));
    }
    if !chunks.remainder().is_empty() {
        let last = match bytes.last_chunk::<8>() {
            Some(last) => u64::from_le_bytes(*last),
            None => bytes.iter().fold(0, |w, &b| w << 8 | u64::from(b)),
        };
        h = fold(h ^ 0x1357_9bdf_0246_8ace, last);
    }
    h
}

/// [`Grants`] read from flat `key → decision` entries (JSON members, `key:value` pairs,
/// `!key=state` entries) under one rule for a key given more than once: it is granted only
/// if **every** occurrence grants it. One refusal refuses it; one occurrence that decides
/// nothing (`null`, `wait`, an empty value) leaves it undecided. A CMP's script reads such
/// a value with one occurrence winning (JavaScript's `JSON.parse` and object literals keep
/// the last, a `split` loop may keep either), so no occurrence may grant more than the
/// others. Keys that stand for no registry id are not followed.
#[derive(Debug, Clone)]
pub(crate) struct KeyedGrants {
    grants: Grants,
    repeats: Repeats,
}

impl KeyedGrants {
    pub(crate) const fn new() -> Self {
        Self {
            grants: Grants::EMPTY,
            repeats: Repeats::new(),
        }
    }

    /// Records one entry: the key `text`, standing for `key` (`None`: nothing in the
    /// registry), granting (`Some(true)`), refusing (`Some(false)`) or deciding nothing.
    pub(crate) fn record(&mut self, text: &[u8], key: Option<ConsentKey>, decision: Option<bool>) {
        if key.is_none() {
            return;
        }
        self.repeats.note(text, key, decision);
        if let Some(yes) = decision {
            self.grants.record(key, yes);
        }
    }

    /// The grants, or `None` when the value held more than [`MAX_TRACKED_KEYS`] distinct
    /// keys standing for registry ids (read it as unreadable).
    pub(crate) fn finish(&self) -> Option<Grants> {
        if self.repeats.overflowed() {
            return None;
        }
        let mut grants = self.grants;
        for key in self.repeats.undecided_repeats() {
            grants.veto(key);
        }
        Some(grants)
    }
}

/// Reads every copy of the cookie `cookie_name` in `request` with `read_one` and combines
/// the readings with [`Consent::narrowest`]: no copy is [`Consent::undecided`], and a copy
/// over [`MAX_CONSENT_VALUE`] bytes is [`Consent::unreadable`] without being read.
pub(crate) fn read_narrowest<'a>(
    request: &ConsentRequest<'a>,
    cookie_name: &CookieName,
    mut read_one: impl FnMut(&'a [u8]) -> Consent,
) -> Consent {
    let mut found: Option<Consent> = None;
    for value in request.cookies().get_named(cookie_name) {
        let consent = if value.len() > MAX_CONSENT_VALUE {
            Consent::unreadable()
        } else {
            read_one(value)
        };
        found = Some(match found {
            None => consent,
            Some(previous) => previous.narrowest(consent),
        });
    }
    found.unwrap_or_else(Consent::undecided)
}

/// Implements [`Default`] (as `new()`) and [`ReadConsent`](crate::ReadConsent) for the
/// reader of one cookie: its `cookie_name` field names the cookie, its
/// `read_one(&self, value, request) -> Consent` method reads one copy, and every copy is
/// read and combined by [`read_narrowest`].
macro_rules! single_cookie_reader {
    ($reader:ty) => {
        impl Default for $reader {
            fn default() -> Self {
                Self::new()
            }
        }

        impl $crate::ReadConsent for $reader {
            fn read_consent(&self, request: &$crate::ConsentRequest<'_>) -> $crate::Consent {
                $crate::formats::common::read_narrowest(request, &self.cookie_name, |v| {
                    self.read_one(v, request)
                })
            }

            fn consent_cookie_names(&self) -> Vec<String> {
                vec![self.cookie_name.as_str().to_owned()]
            }

            fn reads_only_consent_cookies(&self) -> bool {
                true
            }
        }
    };
}
pub(crate) use single_cookie_reader;

#[cfg(test)]
mod tests {
    use super::*;
    use http::header::COOKIE;
    use http::{HeaderMap, HeaderValue};

    fn registry() -> Registry {
        Registry::builder().default_categories().build().unwrap()
    }

    #[test]
    fn name_map_entries_ignore_and_identity() {
        let r = registry();
        let stats = r.consent_key(b"statistics");
        let mut map = NameMap::new(
            [("analytics", Some("statistics")), ("other", None)],
            Identity::Any,
        );
        assert_eq!(map.resolve(b"analytics", &r), stats);
        assert_eq!(map.resolve(b"other", &r), None);
        assert_eq!(map.resolve(b"statistics", &r), stats);
        assert_eq!(map.resolve(b"unknown", &r), None);
        map.set("other".to_owned(), Some("statistics".to_owned()));
        map.set_if_absent("analytics".to_owned(), "marketing".to_owned());
        assert_eq!(map.resolve(b"other", &r), stats);
        assert_eq!(map.resolve(b"analytics", &r), stats);
        assert_eq!(map.names().collect::<Vec<_>>(), ["analytics", "other"]);
        let closed = NameMap::new([("analytics", Some("statistics"))], Identity::Off);
        assert_eq!(closed.resolve(b"statistics", &r), None);
        assert_eq!(
            closed.target_categories(&r).iter().collect::<Vec<_>>(),
            [r.category_id("statistics").unwrap()]
        );
    }

    #[test]
    fn service_identity_never_resolves_a_category() {
        let r = Registry::builder()
            .default_categories()
            .cookie(
                crate::Declaration::exact("_ga")
                    .category("statistics")
                    .service("ga"),
            )
            .build()
            .unwrap();
        let ga = r.consent_key(b"ga");
        let map = NameMap::new([("inline", Some("statistics"))], Identity::Services);
        assert_eq!(map.resolve(b"ga", &r), ga);
        assert_eq!(map.resolve(b"statistics", &r), None);
        // An explicit entry is the opt-in for a category.
        assert_eq!(map.resolve(b"inline", &r), r.consent_key(b"statistics"));
        assert_eq!(service_key(b"statistics", &r), None);
        assert_eq!(service_key(b"ga", &r), ga);
        assert_eq!(service_key(b"\xff", &r), None);
        let any = NameMap::new([], Identity::Any);
        assert_eq!(
            any.resolve_with(b"ga", &r, Identity::Categories),
            None,
            "a category name never resolves to a service by identity"
        );
        assert_eq!(
            any.resolve_with(b"statistics", &r, Identity::Categories),
            r.consent_key(b"statistics")
        );
    }

    #[test]
    fn a_repeated_key_grants_only_if_every_occurrence_grants() {
        let r = registry();
        let stats = r.category_id("statistics").unwrap();
        let key = r.consent_key(b"statistics");
        let read = |occurrences: &[Option<bool>]| {
            let mut grants = KeyedGrants::new();
            for &decision in occurrences {
                grants.record(b"statistics", key, decision);
            }
            grants
                .finish()
                .unwrap()
                .into_consent()
                .is_category_granted(stats)
        };
        assert!(read(&[Some(true)]));
        assert!(read(&[Some(true), Some(true)]));
        for occurrences in [
            &[Some(true), None][..],
            &[None, Some(true)],
            &[Some(true), Some(false)],
            &[Some(false), Some(true)],
            &[None],
        ] {
            assert!(!read(occurrences), "{occurrences:?}");
        }
        // Two different names for one id: each decides for itself (a refusal still wins).
        let mut grants = KeyedGrants::new();
        grants.record(b"statistics", key, Some(true));
        grants.record(b"analytics", key, None);
        assert!(grants
            .finish()
            .unwrap()
            .into_consent()
            .is_category_granted(stats));
        // Names that stand for nothing are not followed.
        let mut grants = KeyedGrants::new();
        for i in 0..=MAX_TRACKED_KEYS {
            grants.record(format!("k{i}").as_bytes(), None, Some(true));
        }
        assert!(grants.finish().is_some());
    }

    #[test]
    fn key_hashes_tell_near_keys_apart() {
        // Every key of up to 24 bytes over a two-letter alphabet differing in one byte, and
        // keys differing only in length or by a zero byte, hash differently.
        let mut keys: Vec<Vec<u8>> = Vec::new();
        for len in 0..=24 {
            let base = vec![b'a'; len];
            for i in 0..len {
                let mut k = base.clone();
                k[i] = b'b';
                keys.push(k);
            }
            keys.push(base.clone());
            keys.push([&base[..], b"\0"].concat());
        }
        let mut hashes: Vec<u64> = keys.iter().map(|k| key_hash(k)).collect();
        hashes.sort_unstable();
        hashes.dedup();
        assert_eq!(hashes.len(), keys.len());
    }

    #[test]
    fn too_many_keys_to_follow_is_unreadable() {
        let r = registry();
        let key = r.consent_key(b"statistics");
        let mut grants = KeyedGrants::new();
        for i in 0..MAX_TRACKED_KEYS {
            grants.record(format!("k{i}").as_bytes(), key, Some(true));
        }
        assert!(grants.clone().finish().is_some());
        grants.record(b"one-more", key, Some(true));
        assert!(grants.finish().is_none());
        let mut repeats = Repeats::new();
        assert!(!repeats.note(b"a", key, None));
        assert!(!repeats.note(b"b", key, None));
        assert!(repeats.note(b"a", key, None));
        assert!(!repeats.overflowed());
    }

    #[test]
    fn a_refusal_beats_a_grant_in_any_order() {
        let r = registry();
        let stats = r.category_id("statistics").unwrap();
        for order in [[true, false], [false, true]] {
            let mut grants = Grants::default();
            for yes in order {
                grants.record(r.consent_key(b"statistics"), yes);
            }
            assert!(!grants.into_consent().is_category_granted(stats));
        }
        let mut grants = Grants::default();
        grants.record(r.consent_key(b"statistics"), true);
        grants.record(None, false);
        assert!(grants.into_consent().is_category_granted(stats));
        let mut refusing = Grants::default();
        refusing.record(r.consent_key(b"statistics"), false);
        grants.merge(&refusing.refusals_only());
        assert!(!grants.into_consent().is_category_granted(stats));
    }

    #[test]
    fn read_narrowest_reads_every_copy() {
        let r = registry();
        let mut headers = HeaderMap::new();
        let big = format!("c={}", "a".repeat(MAX_CONSENT_VALUE + 1));
        headers.append(COOKIE, HeaderValue::from_static("c=1; other=2; c=2"));
        let request = ConsentRequest::new(&headers, &r);
        let mut seen = Vec::new();
        let consent = read_narrowest(&request, &CookieName::new("c"), |v| {
            seen.push(v.to_vec());
            Consent::decided()
        });
        assert_eq!(seen, [b"1".to_vec(), b"2".to_vec()]);
        assert!(consent.is_decided());
        assert_eq!(
            read_narrowest(&request, &CookieName::new("none"), |_| Consent::decided()),
            Consent::undecided()
        );
        headers.append(COOKIE, HeaderValue::from_str(&big).unwrap());
        let request = ConsentRequest::new(&headers, &r);
        let consent = read_narrowest(&request, &CookieName::new("c"), |_| Consent::decided());
        assert_eq!(consent.state(), crate::ConsentState::Unreadable);
    }
}
