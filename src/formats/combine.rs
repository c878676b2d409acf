use std::fmt;

use crate::consent::{Consent, ConsentState};
use crate::reader::{ConsentRequest, ReadConsent};

/// Several consent readers, tried in order: the **first one that found a consent value**
/// (its consent is not [undecided](ConsentState::Undecided)) decides.
///
/// For sites that run more than one banner or CMP, or that migrate from one to another:
/// list the authoritative one first.
///
/// # Precedence
///
/// - readers are asked in the order they were added; the first whose consent is
///   [`Decided`](ConsentState::Decided) **or** [`Unreadable`](ConsentState::Unreadable)
///   wins, and later readers are not asked;
/// - an unreadable value therefore stops the search (fail closed): a broken or tampered
///   cookie of the authoritative CMP grants nothing, and cannot be bypassed by a more
///   generous (possibly stale) cookie of a later reader;
/// - when every reader is undecided, the consent is undecided;
/// - the winner's time of choice and revision are kept, so the layer's maximum consent age
///   is judged on the winner alone: an expired winner reads as undecided even if a later
///   reader holds a fresher choice.
///
/// [`consent_cookie_names`](ReadConsent::consent_cookie_names) and
/// [`consent_cookie_names_for`](ReadConsent::consent_cookie_names_for) are the union of the
/// readers' names, without duplicates.
///
/// ```
/// use http::{HeaderMap, HeaderValue, header::COOKIE};
/// use tower_cookie_consent::formats::{CookieYes, FirstDecided, Tcf};
/// use tower_cookie_consent::{ConsentRequest, CookiesPreferences, ReadConsent, Registry};
///
/// let registry = Registry::builder().default_categories().build()?;
/// let reader = FirstDecided::new()
///     .with(CookieYes::new())
///     .with(CookiesPreferences::new());
///
/// let mut headers = HeaderMap::new();
/// headers.insert(COOKIE, HeaderValue::from_static(
///     "cookies_preferences={\"statistics\":true}",
/// ));
/// let consent = reader.read_consent(&ConsentRequest::new(&headers, &registry));
/// assert!(consent.is_category_granted(registry.category_id("statistics").unwrap()));
/// assert_eq!(reader.consent_cookie_names(), ["cookieyes-consent", "cookies_preferences"]);
/// # Ok::<(), tower_cookie_consent::ConfigError>(())
/// ```
#[must_use]
#[derive(Default)]
pub struct FirstDecided {
    readers: Vec<(Box<dyn ReadConsent>, &'static str)>,
}

impl fmt::Debug for FirstDecided {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FirstDecided")
            .field(
                "readers",
                &self
                    .readers
                    .iter()
                    .map(|(_, name)| name)
                    .collect::<Vec<_>>(),
            )
            .finish()
    }
}

impl FirstDecided {
    /// No readers yet: reads every request as undecided until readers are added.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a reader, asked after the ones already added.
    pub fn with<R: ReadConsent>(mut self, reader: R) -> Self {
        self.readers
            .push((Box::new(reader), std::any::type_name::<R>()));
        self
    }

    /// How many readers there are.
    pub fn len(&self) -> usize {
        self.readers.len()
    }

    /// Whether there are no readers.
    pub fn is_empty(&self) -> bool {
        self.readers.is_empty()
    }
}

impl FirstDecided {
    /// The names `names_of` gives for each reader, in reader order, each name once.
    fn union_of_names(&self, names_of: impl Fn(&dyn ReadConsent) -> Vec<String>) -> Vec<String> {
        let mut names: Vec<String> = Vec::new();
        for (reader, _) in &self.readers {
            for name in names_of(reader.as_ref()) {
                if !names.contains(&name) {
                    names.push(name);
                }
            }
        }
        names
    }
}

impl ReadConsent for FirstDecided {
    fn read_consent(&self, request: &ConsentRequest<'_>) -> Consent {
        for (reader, _) in &self.readers {
            let consent = reader.read_consent(request);
            if consent.state() != ConsentState::Undecided {
                return consent;
            }
        }
        Consent::undecided()
    }

    fn consent_cookie_names(&self) -> Vec<String> {
        self.union_of_names(|reader| reader.consent_cookie_names())
    }

    /// The union of the readers' names for `registry`, in reader order, without duplicates
    /// (so a [`Complianz`](crate::formats::Complianz) in the chain lists its
    /// `cmplz_<id>` cookies too).
    fn consent_cookie_names_for(&self, registry: &crate::Registry) -> Vec<String> {
        self.union_of_names(|reader| reader.consent_cookie_names_for(registry))
    }

    /// `true` when every reader reads cookies only (and with no reader at all).
    fn reads_only_consent_cookies(&self) -> bool {
        self.readers
            .iter()
            .all(|(reader, _)| reader.reads_only_consent_cookies())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::formats::testing::{self, cat};
    use crate::formats::{CookieYes, Tcf};
    use crate::{CookiesPreferences, Registry};

    fn read(reader: &FirstDecided, cookie: &str) -> (Registry, Consent) {
        testing::read(reader, testing::registry([]), &[cookie])
    }

    fn stats(r: &Registry, c: &Consent) -> bool {
        cat(r, c, "statistics")
    }

    fn reader() -> FirstDecided {
        FirstDecided::new()
            .with(CookieYes::new())
            .with(CookiesPreferences::new())
    }

    const CY_NO: &str = "cookieyes-consent=consentid:x,consent:no,action:yes,analytics:no";
    const PREFS_YES: &str = "cookies_preferences={\"statistics\":true}";

    #[test]
    fn first_decided_reader_wins() {
        let (r, c) = read(&reader(), &format!("{CY_NO}; {PREFS_YES}"));
        assert!(c.is_decided());
        assert!(!stats(&r, &c));
        let (r, c) = read(&reader(), PREFS_YES);
        assert!(stats(&r, &c));
        // Order is what counts, not the order of the cookies.
        let swapped = FirstDecided::new()
            .with(CookiesPreferences::new())
            .with(CookieYes::new());
        let (r, c) = read(&swapped, &format!("{CY_NO}; {PREFS_YES}"));
        assert!(stats(&r, &c));
    }

    #[test]
    fn an_unreadable_earlier_reader_is_not_overridden() {
        let (r, c) = read(&reader(), &format!("cookieyes-consent=broken; {PREFS_YES}"));
        assert_eq!(c.state(), ConsentState::Unreadable);
        assert!(!stats(&r, &c));
    }

    #[test]
    fn all_undecided_is_undecided() {
        let (_, c) = read(&reader(), "a=1");
        assert_eq!(c, Consent::undecided());
        let (_, c) = read(&FirstDecided::new(), PREFS_YES);
        assert_eq!(c, Consent::undecided());
        // CookieYes before any action is undecided: the next reader is asked.
        let (r, c) = read(
            &reader(),
            &format!("cookieyes-consent=consentid:x,consent:,action:; {PREFS_YES}"),
        );
        assert!(stats(&r, &c));
    }

    #[test]
    fn cookie_names_are_the_union() {
        let r = reader().with(Tcf::new()).with(CookiesPreferences::new());
        assert_eq!(r.len(), 4);
        assert_eq!(
            r.consent_cookie_names(),
            ["cookieyes-consent", "cookies_preferences", "euconsent-v2"]
        );
        assert!(format!("{r:?}").contains("CookieYes"));
    }

    #[test]
    fn cookie_names_for_a_registry_are_forwarded_to_each_reader() {
        use crate::formats::Complianz;
        let registry = testing::registry([testing::service("_ga", "statistics", "ga")]);
        let chain = FirstDecided::new()
            .with(CookieYes::new())
            .with(Complianz::new())
            .with(Complianz::new());
        let names = chain.consent_cookie_names_for(&registry);
        let mut expected = vec!["cookieyes-consent".to_owned()];
        expected.extend(Complianz::new().consent_cookie_names_for(&registry));
        assert_eq!(names, expected);
        assert!(names.contains(&"cmplz_ga".to_owned()));
        assert!(!chain
            .consent_cookie_names()
            .contains(&"cmplz_ga".to_owned()));
    }
}
