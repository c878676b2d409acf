//! Keys resolved together with which text they were, and grants gathered from such keys:
//! the rule of [`KeyedGrants`](super::KeyedGrants) for a key given more than once, with keys
//! told apart exactly, as bits, instead of by a table of hashes of their text.

use super::{Grants, Repeats, MAX_TRACKED_KEYS};
use crate::consent::{CategorySet, ServiceSet};
use crate::registry::ConsentKey;

/// A name resolved by [`NameMap::resolve_exact`](super::NameMap::resolve_exact).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Resolved {
    /// What the name stands for.
    pub(crate) key: ConsentKey,
    /// Which text the name was.
    pub(super) text: Text,
}

/// Which text a resolved name was: two names that resolve are the same text exactly when
/// their `Text`s are equal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Text {
    /// The id's own text (no other text resolves to an id by identity).
    Id(ConsentKey),
    /// The text of the map's explicit entry of this index.
    Entry(usize),
}

/// How many explicit entries [`Texts`] follows as bits; texts of later entries (a map that
/// large is unusual) are followed by a [`Repeats`].
const ENTRY_BITS: usize = 256;

/// A set of [`Text`]s: ids by their index, the first [`ENTRY_BITS`] entries by theirs.
#[derive(Debug, Clone, Copy, Default)]
struct Texts {
    categories: CategorySet,
    services: ServiceSet,
    entries: [u64; ENTRY_BITS / 64],
}

impl Texts {
    const EMPTY: Self = Self {
        categories: CategorySet::EMPTY,
        services: ServiceSet::EMPTY,
        entries: [0; ENTRY_BITS / 64],
    };

    /// Inserts `text`, an id or an entry below [`ENTRY_BITS`]; whether it was absent.
    #[inline(always)]
    fn insert(&mut self, text: Text) -> bool {
        let absent = !self.contains(text);
        match text {
            Text::Id(ConsentKey::Category(c)) => self.categories.insert(c),
            Text::Id(ConsentKey::Service(s)) => self.services.insert(s),
            Text::Entry(i) => self.entries[i / 64] |= 1 << (i % 64),
        }
        absent
    }

    #[inline(always)]
    fn contains(&self, text: Text) -> bool {
        match text {
            Text::Id(ConsentKey::Category(c)) => self.categories.contains(c),
            Text::Id(ConsentKey::Service(s)) => self.services.contains(s),
            Text::Entry(i) => self.entries[i / 64] & 1 << (i % 64) != 0,
        }
    }
}

/// [`Grants`] read from flat `key → decision` entries whose keys were resolved by
/// [`NameMap::resolve_exact`](super::NameMap::resolve_exact), under the rule of
/// [`KeyedGrants`](super::KeyedGrants): a key given more than once is granted only if
/// every occurrence grants it, and a value with more than [`MAX_TRACKED_KEYS`] distinct keys
/// standing for registry ids is unreadable. Keys are compared exactly. Allocation-free,
/// and small: nothing to clear for a value of a few keys.
#[derive(Debug, Clone)]
pub(crate) struct ResolvedGrants {
    grants: Grants,
    /// The texts seen.
    seen: Texts,
    /// The texts seen with an occurrence that decided nothing.
    undecided: Texts,
    /// How many distinct texts were seen.
    distinct: usize,
    /// Texts of entries from [`ENTRY_BITS`] on, by index.
    more: Option<Repeats>,
}

impl ResolvedGrants {
    pub(crate) const fn new() -> Self {
        Self {
            grants: Grants::EMPTY,
            seen: Texts::EMPTY,
            undecided: Texts::EMPTY,
            distinct: 0,
            more: None,
        }
    }

    /// Records one entry: its key (`None`: nothing in the registry) granting
    /// (`Some(true)`), refusing (`Some(false)`) or deciding nothing.
    #[inline(always)]
    pub(crate) fn record(&mut self, key: Option<Resolved>, decision: Option<bool>) {
        let Some(Resolved { key, text }) = key else {
            return;
        };
        let first = match text {
            Text::Entry(i) if i >= ENTRY_BITS => {
                let repeats = self.more.get_or_insert_with(Repeats::new);
                !repeats.note_hash(i as u64, Some(key), decision)
            }
            _ => {
                let first = self.seen.insert(text);
                // A repeated key one occurrence of which decides nothing is not granted.
                if !first && (decision.is_none() || self.undecided.contains(text)) {
                    self.grants.veto(key);
                }
                if decision.is_none() {
                    self.undecided.insert(text);
                }
                first
            }
        };
        self.distinct += usize::from(first);
        if let Some(yes) = decision {
            self.grants.record(Some(key), yes);
        }
    }

    /// The grants, or `None` when the value held more than [`MAX_TRACKED_KEYS`] distinct
    /// keys standing for registry ids (read it as unreadable).
    pub(crate) fn finish(&self) -> Option<Grants> {
        if self.distinct > MAX_TRACKED_KEYS || self.more.as_ref().is_some_and(Repeats::overflowed) {
            return None;
        }
        let mut grants = self.grants;
        for key in self.more.iter().flat_map(Repeats::undecided_repeats) {
            grants.veto(key);
        }
        Some(grants)
    }
}

#[cfg(test)]
mod tests {
    use super::super::{Identity, KeyedGrants, NameMap};
    use super::*;
    use crate::{Declaration, Registry};
    use proptest::prelude::*;

    /// The default categories, services `ga` and `matomo`, and a name map of 300 entries
    /// `a0`, `a1`, ... (past [`ENTRY_BITS`]) mapped to those ids, some to nothing.
    fn setup() -> (Registry, NameMap, Vec<String>) {
        let registry = Registry::builder()
            .default_categories()
            .cookie(
                Declaration::exact("_ga")
                    .category("statistics")
                    .service("ga"),
            )
            .cookie(
                Declaration::exact("_pk_id")
                    .category("statistics")
                    .service("matomo"),
            )
            .build()
            .unwrap();
        let ids = [
            Some("statistics"),
            Some("marketing"),
            Some("ga"),
            None,
            Some("matomo"),
            Some("functional"),
            Some("no-such-id"),
        ];
        let entries: Vec<(String, Option<&str>)> = (0..300)
            .map(|i| (format!("a{i}"), ids[i % ids.len()]))
            .collect();
        let map = NameMap::new(entries.iter().map(|(k, v)| (k.as_str(), *v)), Identity::Any);
        let mut names: Vec<String> = entries.into_iter().map(|(k, _)| k).collect();
        names.extend(
            [
                "statistics",
                "marketing",
                "ga",
                "matomo",
                "necessary",
                "unknown",
            ]
            .map(String::from),
        );
        (registry, map, names)
    }

    #[test]
    fn repeats_are_followed_for_ids_and_entries_near_and_far() {
        let (registry, map, _) = setup();
        let stats = registry.category_id("statistics").unwrap();
        for (first, second) in [("statistics", "statistics"), ("a0", "a0"), ("a294", "a294")] {
            let mut grants = ResolvedGrants::new();
            grants.record(map.resolve_exact(first.as_bytes(), &registry), Some(true));
            grants.record(map.resolve_exact(second.as_bytes(), &registry), None);
            let consent = grants.finish().unwrap().into_consent();
            assert!(!consent.is_category_granted(stats), "{first} {second}");
        }
        // Different texts for one id each decide for themselves.
        let mut grants = ResolvedGrants::new();
        for name in ["statistics", "a0", "a7", "a294"] {
            let decision = (name == "statistics").then_some(true);
            grants.record(map.resolve_exact(name.as_bytes(), &registry), decision);
        }
        assert!(grants
            .finish()
            .unwrap()
            .into_consent()
            .is_category_granted(stats));
    }

    proptest! {
        /// The same grants as [`KeyedGrants`] fed the texts, on any sequence of names:
        /// ids, entries below and past [`ENTRY_BITS`], ignored and unknown names, repeats,
        /// and more than [`MAX_TRACKED_KEYS`] distinct keys.
        #[test]
        fn agrees_with_keyed_grants(
            picks in prop::collection::vec(
                (any::<prop::sample::Index>(), prop::option::of(any::<bool>())),
                0..120,
            ),
            narrow in any::<bool>(),
        ) {
            let (registry, map, names) = setup();
            // Half the time pick among a few names, so that repeats are frequent.
            let names = if narrow {
                [&names[..8], &names[290..]].concat()
            } else {
                names
            };
            let mut exact = ResolvedGrants::new();
            let mut hashed = KeyedGrants::new();
            for (pick, decision) in picks {
                let name = pick.get(&names).as_bytes();
                exact.record(map.resolve_exact(name, &registry), decision);
                hashed.record(name, map.resolve(name, &registry), decision);
            }
            prop_assert_eq!(
                exact.finish().map(Grants::into_consent),
                hashed.finish().map(Grants::into_consent)
            );
        }
    }
}
