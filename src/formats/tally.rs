//! Shared bookkeeping for the CMP readers: mapping a CMP's names to registry ids, and
//! counting grants and refusals so that one "no" always beats any number of "yes".

use percent_encoding::percent_decode;

use super::MAX_CONSENT_VALUE;
use crate::consent::{CategorySet, Consent, ServiceSet};
use crate::registry::{ConsentKey, Registry};

/// How a CMP's names (categories, groups, purposes) map to registry ids: explicit entries
/// first (`None` = ignored), then, when `identity` is on, the name itself if it is a
/// registry category or service id.
#[derive(Debug, Clone)]
pub(super) struct Mapping {
    entries: Vec<(String, Option<String>)>,
    identity: bool,
}

impl Mapping {
    pub(super) fn new(defaults: &[(&str, Option<&str>)], identity: bool) -> Self {
        Self {
            entries: defaults
                .iter()
                .map(|(k, v)| ((*k).to_owned(), v.map(str::to_owned)))
                .collect(),
            identity,
        }
    }

    /// Sets (or replaces) the target of `name`; `None` ignores it.
    pub(super) fn set(&mut self, name: String, target: Option<String>) {
        match self.entries.iter_mut().find(|(k, _)| *k == name) {
            Some(entry) => entry.1 = target,
            None => self.entries.push((name, target)),
        }
    }

    /// The CMP names with an explicit entry, mapped or ignored.
    pub(super) fn names(&self) -> impl Iterator<Item = &str> {
        self.entries.iter().map(|(k, _)| k.as_str())
    }

    /// What `name` stands for in `registry`, if anything.
    pub(super) fn resolve(&self, registry: &Registry, name: &[u8]) -> Option<ConsentKey> {
        match self.entries.iter().find(|(k, _)| k.as_bytes() == name) {
            Some((_, Some(id))) => registry.consent_key(id.as_bytes()),
            Some((_, None)) => None,
            None if self.identity => registry.consent_key(name),
            None => None,
        }
    }
}

/// Grants and refusals read from one consent value: a category or service is granted when
/// at least one name mapped to it grants it and none refuses it.
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct Tally {
    granted: CategorySet,
    refused: CategorySet,
    services_granted: ServiceSet,
    services_refused: ServiceSet,
}

impl Tally {
    pub(super) fn vote(&mut self, key: Option<ConsentKey>, yes: bool) {
        match (key, yes) {
            (Some(ConsentKey::Category(c)), true) => self.granted.insert(c),
            (Some(ConsentKey::Category(c)), false) => self.refused.insert(c),
            (Some(ConsentKey::Service(s)), true) => self.services_granted.insert(s),
            (Some(ConsentKey::Service(s)), false) => self.services_refused.insert(s),
            (None, _) => {}
        }
    }

    /// Adds the votes of `other`.
    pub(super) fn merge(&mut self, other: &Self) {
        self.granted = self.granted.union(other.granted);
        self.refused = self.refused.union(other.refused);
        self.services_granted = self.services_granted.union(&other.services_granted);
        self.services_refused = self.services_refused.union(&other.services_refused);
    }

    /// The refusals alone.
    pub(super) fn refusals_only(self) -> Self {
        Self {
            refused: self.refused,
            services_refused: self.services_refused,
            ..Self::default()
        }
    }

    /// A decided consent holding the votes.
    pub(super) fn into_consent(self) -> Consent {
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

/// Calls `f` with `value` percent-decoded (RFC 3986 `%XX`; `+` stays `+`), decoding into a
/// stack buffer only when `value` holds a `%`; `None` if `value` is longer than
/// [`MAX_CONSENT_VALUE`]. Does not allocate.
pub(super) fn with_decoded<R>(value: &[u8], f: impl FnOnce(&[u8]) -> R) -> Option<R> {
    if value.len() > MAX_CONSENT_VALUE {
        return None;
    }
    if !value.contains(&b'%') {
        return Some(f(value));
    }
    let mut buf = [0u8; MAX_CONSENT_VALUE];
    let mut len = 0;
    for b in percent_decode(value) {
        buf[len] = b;
        len += 1;
    }
    Some(f(&buf[..len]))
}

/// Combines the readings of a cookie present more than once (see [`Consent::narrowest`]).
pub(super) fn narrow(found: Option<Consent>, consent: Consent) -> Option<Consent> {
    Some(match found {
        None => consent,
        Some(previous) => previous.narrowest(consent),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decode_handles_raw_encoded_and_oversized() {
        let decode = |v: &[u8]| with_decoded(v, <[u8]>::to_vec);
        assert_eq!(decode(b"a%3Ab%2Cc+d"), Some(b"a:b,c+d".to_vec()));
        assert_eq!(decode(b"100%"), Some(b"100%".to_vec()));
        assert_eq!(decode(b"a:b"), Some(b"a:b".to_vec()));
        let big = vec![b'%'; MAX_CONSENT_VALUE + 1];
        assert_eq!(decode(&big), None);
    }
}
