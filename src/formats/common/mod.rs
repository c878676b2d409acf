//! What every CMP reader shares: the map from a CMP's names to registry ids, the grants and
//! refusals read from one value, the rule for a cookie present more than once, value
//! decoding and timestamps. Nothing here allocates on the request path.

mod decode;
mod time;

pub(crate) use decode::{js_unescape_into, percent_decode_into, with_decoded};
pub(crate) use time::{civil_days, parse_iso8601_ms};

use super::MAX_CONSENT_VALUE;
use crate::category::CategoryId;
use crate::consent::{CategorySet, Consent, ServiceSet};
use crate::reader::ConsentRequest;
use crate::registry::{ConsentKey, Registry};

/// A map from a CMP's names (categories, groups, purposes, services) to registry ids:
/// explicit entries first (`None` = ignored), then, when `identity` is on, the name itself
/// as a registry category or service id.
#[derive(Debug, Clone)]
pub(crate) struct NameMap {
    entries: Vec<(String, Option<String>)>,
    /// Whether a name with no entry stands for the registry id of the same text.
    identity: bool,
}

impl NameMap {
    /// A map holding `defaults` (in order) and reading other names as registry ids when
    /// `identity` is on.
    pub(crate) fn new<'a>(
        defaults: impl IntoIterator<Item = (&'a str, Option<&'a str>)>,
        identity: bool,
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
        match self.entries.iter().find(|(k, _)| k.as_bytes() == name) {
            Some((_, Some(id))) => registry.consent_key(id.as_bytes()),
            Some((_, None)) => None,
            None if self.identity => registry.consent_key(name),
            None => None,
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

/// Grants and refusals gathered while reading a consent value. Order-independent: a
/// category or service both granted and refused (a key given twice, two names mapped to
/// the same id, two cookies of one choice) ends up refused.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Grants {
    granted: CategorySet,
    refused: CategorySet,
    services_granted: ServiceSet,
    services_refused: ServiceSet,
}

impl Grants {
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
        self.services_granted = self.services_granted.union(&other.services_granted);
        self.services_refused = self.services_refused.union(&other.services_refused);
    }

    /// The refusals alone.
    pub(crate) fn refusals_only(self) -> Self {
        Self {
            refused: self.refused,
            services_refused: self.services_refused,
            ..Self::default()
        }
    }

    /// A decided [`Consent`] holding these grants (refusals win).
    pub(crate) fn into_consent(self) -> Consent {
        let mut consent = Consent::decided();
        for c in self.granted.difference(self.refused).iter() {
            consent.grant_category(c);
        }
        for s in self.services_granted.iter() {
            consent.grant_service(s);
        }
        for s in self.services_refused.iter() {
            consent.refuse_service(s);
        }
        consent
    }
}

/// Reads every copy of the cookie `cookie_name` in `request` with `read_one` and combines
/// the readings with [`Consent::narrowest`]: no copy is [`Consent::undecided`], and a copy
/// over [`MAX_CONSENT_VALUE`] bytes is [`Consent::unreadable`] without being read.
pub(crate) fn read_narrowest<'a>(
    request: &ConsentRequest<'a>,
    cookie_name: &str,
    mut read_one: impl FnMut(&'a [u8]) -> Consent,
) -> Consent {
    let mut found: Option<Consent> = None;
    for value in request.cookies().get(cookie_name.as_bytes()) {
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
                vec![self.cookie_name.clone()]
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
        let mut map = NameMap::new([("analytics", Some("statistics")), ("other", None)], true);
        assert_eq!(map.resolve(b"analytics", &r), stats);
        assert_eq!(map.resolve(b"other", &r), None);
        assert_eq!(map.resolve(b"statistics", &r), stats);
        assert_eq!(map.resolve(b"unknown", &r), None);
        map.set("other".to_owned(), Some("statistics".to_owned()));
        map.set_if_absent("analytics".to_owned(), "marketing".to_owned());
        assert_eq!(map.resolve(b"other", &r), stats);
        assert_eq!(map.resolve(b"analytics", &r), stats);
        assert_eq!(map.names().collect::<Vec<_>>(), ["analytics", "other"]);
        let closed = NameMap::new([("analytics", Some("statistics"))], false);
        assert_eq!(closed.resolve(b"statistics", &r), None);
        assert_eq!(
            closed.target_categories(&r).iter().collect::<Vec<_>>(),
            [r.category_id("statistics").unwrap()]
        );
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
        let consent = read_narrowest(&request, "c", |v| {
            seen.push(v.to_vec());
            Consent::decided()
        });
        assert_eq!(seen, [b"1".to_vec(), b"2".to_vec()]);
        assert!(consent.is_decided());
        assert_eq!(
            read_narrowest(&request, "none", |_| Consent::decided()),
            Consent::undecided()
        );
        headers.append(COOKIE, HeaderValue::from_str(&big).unwrap());
        let request = ConsentRequest::new(&headers, &r);
        let consent = read_narrowest(&request, "c", |_| Consent::decided());
        assert_eq!(consent.state(), crate::ConsentState::Unreadable);
    }
}
