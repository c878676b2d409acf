use super::common::{service_key, with_decoded, Grants, Identity, KeyedGrants, NameMap};
use super::json::{scan_object, Key, Value};
use super::MAX_CONSENT_VALUE;
use crate::consent::Consent;
use crate::reader::{ConsentRequest, ReadConsent};

/// Reads the cookies of the Complianz CMP (WordPress plugin): one cookie per consent
/// category.
///
/// # Format
///
/// As the Complianz banner script (`cookiebanner/js/complianz.js`) writes them, each
/// cookie-name being the site's prefix (`cmplz_` by default) and a Complianz category:
///
/// ```text
/// cmplz_functional=allow; cmplz_preferences=deny; cmplz_statistics=allow; cmplz_marketing=deny;
/// cmplz_consented_services={"youtube":true}; cmplz_banner-status=dismissed; cmplz_policy_id=28
/// ```
///
/// - `allow` grants the category, `deny` refuses it; any other value (empty, `true`, …)
///   refuses it too, so that a broken duplicate can never leave a grant standing;
/// - `cmplz_consented_services` is a JSON object (raw, as Complianz writes it, or
///   percent-encoded) of per-service choices; its keys are Complianz **service** slugs and
///   are read as registry **service** ids only: a key equal to a category id
///   (`{"marketing":true}`) grants or refuses nothing, categories come only from the
///   category cookies; members that are not booleans decide nothing; a key given twice is
///   granted only if every occurrence is `true`; a copy that does not parse (or holds more
///   than 64 distinct service keys) grants nothing, and withdraws the service grants of
///   the other copies;
/// - the visitor has **decided** when at least one category cookie reads `allow` or `deny`,
///   or the services cookie holds a choice; category cookies that are all unreadable, or
///   a services cookie that does not parse, with no choice besides, read as
///   [unreadable](Consent::unreadable); no category cookie at all, even with
///   `cmplz_banner-status=dismissed`, is [undecided](Consent::undecided);
/// - a category cookie present more than once is granted only if every copy allows it;
/// - the format records no time of choice (Complianz expires its cookies itself, after
///   365 days by default);
/// - regions where Complianz runs in *opt-out* mode treat a missing cookie as consent;
///   this reader does not: missing is undecided, which grants nothing (fail closed).
///
/// # Mapping
///
/// | Complianz category     | registry id  | why |
/// |------------------------|--------------|-----|
/// | `functional`           | (ignored)    | Complianz's always-on category: the site's strictly necessary cookies |
/// | `preferences`          | `functional` | remembering the visitor's choices |
/// | `statistics`           | `statistics` | same meaning |
/// | `statistics-anonymous` | (ignored)    | written for anonymised statistics, which Complianz runs without consent; map it if you declare such cookies |
/// | `marketing`            | `marketing`  | same meaning |
///
/// Any other `cmplz_<name>` cookie is read as the registry category or service id `<name>`
/// if there is one (non-consent cookies such as `cmplz_policy_id` resolve to nothing).
/// Those cookies are consent cookies to the layer as much as the mapped ones: the layer
/// lets a `Set-Cookie` of any `cmplz_<category or service id>` of its registry through
/// (see [`consent_cookie_names_for`](ReadConsent::consent_cookie_names_for)), so that the
/// site can record a per-service choice such as `cmplz_ga=deny`.
/// Change the table with [`map`](Complianz::map) and [`ignore`](Complianz::ignore).
///
/// Reading does not allocate.
///
/// ```
/// use http::{HeaderMap, HeaderValue, header::COOKIE};
/// use tower_cookie_consent::formats::Complianz;
/// use tower_cookie_consent::{ConsentRequest, ReadConsent, Registry};
///
/// let registry = Registry::builder().default_categories().build()?;
/// let mut headers = HeaderMap::new();
/// headers.insert(COOKIE, HeaderValue::from_static(
///     "cmplz_banner-status=dismissed; cmplz_functional=allow; cmplz_preferences=deny; \
///      cmplz_statistics=allow; cmplz_marketing=deny",
/// ));
/// let consent = Complianz::new().read_consent(&ConsentRequest::new(&headers, &registry));
/// assert!(consent.is_category_granted(registry.category_id("statistics").unwrap()));
/// assert!(!consent.is_category_granted(registry.category_id("marketing").unwrap()));
/// # Ok::<(), tower_cookie_consent::ConfigError>(())
/// ```
#[derive(Debug, Clone)]
#[must_use]
pub struct Complianz {
    prefix: String,
    map: NameMap,
}

impl Default for Complianz {
    fn default() -> Self {
        Self::new()
    }
}

/// Complianz cookies that hold no per-category choice.
const NOT_CATEGORIES: [&str; 5] = [
    "banner-status",
    "consented_services",
    "policy_id",
    "id",
    "consent_status",
];

/// Complianz cookies that record the choice, besides the category cookies (`cmplz_id`, a
/// visitor id for records of consent, is not among them: declare it if you use it).
const CHOICE_COOKIES: [&str; 3] = ["banner-status", "consented_services", "policy_id"];

impl Complianz {
    /// The cookie-name prefix Complianz uses by default, `cmplz_`.
    pub const DEFAULT_PREFIX: &'static str = "cmplz_";

    /// Reads the `cmplz_*` cookies with the [default mapping](Complianz#mapping).
    pub fn new() -> Self {
        Self {
            prefix: Self::DEFAULT_PREFIX.to_owned(),
            map: NameMap::new(
                [
                    ("functional", None),
                    ("preferences", Some("functional")),
                    ("statistics", Some("statistics")),
                    ("statistics-anonymous", None),
                    ("marketing", Some("marketing")),
                ],
                Identity::Any,
            ),
        }
    }

    /// Reads cookies of another prefix (Complianz's `complianz.prefix` setting, which
    /// differs on some multisite installations).
    pub fn prefix(mut self, prefix: impl Into<String>) -> Self {
        self.prefix = prefix.into();
        self
    }

    /// Maps the Complianz category `category` (cookie `<prefix><category>`) to the
    /// registry category or service `id`, replacing its default.
    ///
    /// ```
    /// # use tower_cookie_consent::formats::Complianz;
    /// let reader = Complianz::new().map("statistics-anonymous", "statistics");
    /// ```
    pub fn map(mut self, category: impl Into<String>, id: impl Into<String>) -> Self {
        self.map.set(category.into(), Some(id.into()));
        self
    }

    /// Ignores the Complianz category `category`.
    pub fn ignore(mut self, category: impl Into<String>) -> Self {
        self.map.set(category.into(), None);
        self
    }
}

impl ReadConsent for Complianz {
    fn read_consent(&self, request: &ConsentRequest<'_>) -> Consent {
        let registry = request.registry();
        let prefix = self.prefix.as_bytes();
        let mut grants = Grants::default();
        let mut services = Grants::default();
        let mut services_broken = false;
        let mut categories_seen = false;
        let mut choice = false;
        for (name, value) in request.cookies().iter() {
            let Some(rest) = name.strip_prefix(prefix) else {
                continue;
            };
            if rest == b"consented_services" {
                match self.read_services(value, request, &mut services) {
                    Services::Choice => choice = true,
                    Services::Empty => {}
                    Services::Broken => services_broken = true,
                }
                continue;
            }
            if NOT_CATEGORIES.iter().any(|n| n.as_bytes() == rest) {
                continue;
            }
            let known = self.map.names().any(|n| n.as_bytes() == rest);
            let target = self.map.resolve(rest, registry);
            if !known && target.is_none() {
                continue;
            }
            categories_seen = true;
            match value {
                b"allow" => {
                    choice = true;
                    grants.record(target, true);
                }
                b"deny" => {
                    choice = true;
                    grants.record(target, false);
                }
                _ => grants.record(target, false),
            }
        }
        if services_broken {
            // A broken copy next to a readable one: keep its refusals, drop its grants.
            services = services.refusals_only();
        }
        grants.merge(&services);
        if choice {
            grants.into_consent()
        } else if categories_seen || services_broken {
            Consent::unreadable()
        } else {
            Consent::undecided()
        }
    }

    fn consent_cookie_names(&self) -> Vec<String> {
        CHOICE_COOKIES
            .iter()
            .copied()
            .chain(self.map.names())
            .map(|n| format!("{}{n}", self.prefix))
            .collect()
    }

    /// The [choice cookies](ReadConsent::consent_cookie_names) and, for every category id
    /// and service id of `registry`, `<prefix><id>`: the cookies
    /// [`read_consent`](ReadConsent::read_consent) reads a choice from when the map does
    /// not name them (`cmplz_ga` for the service `ga`, `cmplz_social` for a category
    /// `social`). An id equal to a Complianz cookie that holds no choice (`id`,
    /// `consent_status`) is left out, as the reader never reads it. No name is listed twice.
    fn consent_cookie_names_for(&self, registry: &crate::Registry) -> Vec<String> {
        let mut names = self.consent_cookie_names();
        let ids = registry
            .categories()
            .iter()
            .map(|c| c.id())
            .chain(registry.services().iter().map(String::as_str));
        for id in ids {
            if NOT_CATEGORIES.contains(&id) {
                continue;
            }
            let name = format!("{}{id}", self.prefix);
            if !names.contains(&name) {
                names.push(name);
            }
        }
        names
    }

    /// `false`: a `cmplz_<category id>` cookie is read even when the map does not name it, so
    /// [`consent_cookie_names`](ReadConsent::consent_cookie_names) cannot list every cookie
    /// read (with the registry,
    /// [`consent_cookie_names_for`](ReadConsent::consent_cookie_names_for) does).
    fn reads_only_consent_cookies(&self) -> bool {
        false
    }
}

impl Complianz {
    /// Reads `cmplz_consented_services` into `grants`.
    fn read_services(
        &self,
        value: &[u8],
        request: &ConsentRequest<'_>,
        grants: &mut Grants,
    ) -> Services {
        if value.is_empty() {
            return Services::Empty;
        }
        if value.len() > MAX_CONSENT_VALUE {
            return Services::Broken;
        }
        let registry = request.registry();
        let mut local = KeyedGrants::new();
        let mut choice = false;
        let scanned = with_decoded(value, |json| {
            scan_object(json, |key, value| {
                if let Key::Text(key) = key {
                    let decision = match value {
                        Value::Bool(yes) => Some(yes),
                        _ => None,
                    };
                    choice |= decision.is_some();
                    // Service slugs only: a key equal to a category id grants no category.
                    local.record(key, service_key(key, registry), decision);
                }
            })
        });
        let (Some(Ok(())), Some(local)) = (scanned, local.finish()) else {
            return Services::Broken;
        };
        if !choice {
            return Services::Empty;
        }
        grants.merge(&local);
        Services::Choice
    }
}

/// What a `cmplz_consented_services` cookie held.
enum Services {
    /// At least one boolean member.
    Choice,
    /// Nothing (empty value, `{}`, or no boolean member).
    Empty,
    /// Not a JSON object, or too long.
    Broken,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::formats::testing::{self, granted, service};
    use crate::{ConsentState, Registry};

    fn read_with(reader: &Complianz, fields: &[&str]) -> (Registry, Consent) {
        testing::read(
            reader,
            testing::registry([service("YSC", "marketing", "youtube")]),
            fields,
        )
    }

    fn read(fields: &[&str]) -> (Registry, Consent) {
        read_with(&Complianz::new(), fields)
    }

    #[test]
    fn granted_refused_and_partial() {
        let (r, c) = read(&["cmplz_banner-status=dismissed; cmplz_policy_id=28; cmplz_functional=allow; cmplz_preferences=allow; cmplz_statistics=allow; cmplz_marketing=allow; cmplz_consented_services="]);
        assert!(c.is_decided());
        assert_eq!(granted(&r, &c), ["functional", "statistics", "marketing"]);
        let (r, c) = read(&["cmplz_banner-status=dismissed; cmplz_functional=allow; cmplz_preferences=deny; cmplz_statistics=deny; cmplz_marketing=deny"]);
        assert!(c.is_decided());
        assert!(granted(&r, &c).is_empty());
        let (r, c) = read(&["cmplz_marketing=deny; cmplz_statistics=allow; cmplz_preferences=deny; cmplz_functional=allow"]);
        assert_eq!(granted(&r, &c), ["statistics"]);
    }

    #[test]
    fn absent_or_only_banner_status_is_undecided() {
        let (_, c) = read(&["PHPSESSID=abc; cmplz_banner-status=dismissed"]);
        assert_eq!(c, Consent::undecided());
        let (_, c) = read(&[]);
        assert_eq!(c, Consent::undecided());
        let (_, c) = read(&["cmplzstatistics=allow; CMPLZ_statistics=allow"]);
        assert_eq!(c, Consent::undecided());
    }

    #[test]
    fn malformed_values_grant_nothing() {
        let (r, c) = read(&["cmplz_statistics=true; cmplz_marketing=1"]);
        assert_eq!(c.state(), ConsentState::Unreadable);
        assert!(granted(&r, &c).is_empty());
        let (r, c) = read(&["cmplz_statistics=allo; cmplz_marketing=allow"]);
        assert!(c.is_decided());
        assert_eq!(granted(&r, &c), ["marketing"]);
        let (r, c) = read(&["cmplz_statistics="]);
        assert_eq!(c.state(), ConsentState::Unreadable);
        assert!(granted(&r, &c).is_empty());
    }

    #[test]
    fn duplicates_never_widen() {
        let (r, c) = read(&["cmplz_statistics=allow; cmplz_statistics=deny"]);
        assert!(granted(&r, &c).is_empty());
        let (r, c) = read(&["cmplz_statistics=allow", "cmplz_statistics=%61llow"]);
        assert!(granted(&r, &c).is_empty());
    }

    #[test]
    fn services_cookie_raw_and_percent_encoded() {
        let (r, c) = read(&[r#"cmplz_consented_services={"youtube":true}"#]);
        assert!(c.is_decided());
        assert_eq!(
            c.service_decision(r.service_id("youtube").unwrap()),
            Some(true)
        );
        assert!(granted(&r, &c).is_empty());
        let (r, c) =
            read(&["cmplz_marketing=deny; cmplz_consented_services=%7B%22youtube%22%3Afalse%7D"]);
        assert_eq!(
            c.service_decision(r.service_id("youtube").unwrap()),
            Some(false)
        );
        // Keys are services only: a category id grants no category (F9).
        for v in [
            "cmplz_banner-status=dismissed; cmplz_consented_services=%7B%22marketing%22%3Atrue%7D",
            r#"cmplz_consented_services={"statistics":true,"marketing":true,"youtube":false}"#,
        ] {
            let (r, c) = read(&[v]);
            assert!(c.is_decided(), "{v}");
            assert!(granted(&r, &c).is_empty(), "{v}");
        }
        // A category refusal is not undone by a category-named key either.
        let (r, c) =
            read(&[r#"cmplz_marketing=deny; cmplz_consented_services={"marketing":true}"#]);
        assert!(granted(&r, &c).is_empty());
        // A service given twice is granted only if every occurrence grants it.
        for v in [
            r#"{"youtube":true,"youtube":null}"#,
            r#"{"youtube":1,"youtube":true}"#,
        ] {
            let (r, c) = read(&[&format!(
                "cmplz_marketing=deny; cmplz_consented_services={v}"
            )]);
            assert_eq!(
                c.service_decision(r.service_id("youtube").unwrap()),
                None,
                "{v}"
            );
        }
        // Broken or typeless JSON decides nothing.
        let (r, c) = read(&[r#"cmplz_consented_services={"youtube":"true"}"#]);
        assert_eq!(c, Consent::undecided());
        assert_eq!(c.service_decision(r.service_id("youtube").unwrap()), None);
        let (_, c) = read(&[r#"cmplz_consented_services={"youtube":true"#]);
        assert_eq!(c.state(), ConsentState::Unreadable);
        // A broken copy withdraws the grants of a readable one, not its refusals.
        let (r, c) = read(&[
            r#"cmplz_marketing=deny; cmplz_consented_services={"youtube":true}"#,
            r#"cmplz_consented_services={"youtube":tru"#,
        ]);
        assert_eq!(c.service_decision(r.service_id("youtube").unwrap()), None);
        let (r, c) = read(&[
            r#"cmplz_marketing=deny; cmplz_consented_services={"youtube":false}"#,
            r#"cmplz_consented_services=%7B"#,
        ]);
        assert_eq!(
            c.service_decision(r.service_id("youtube").unwrap()),
            Some(false)
        );
    }

    #[test]
    fn mapping_and_prefix_are_configurable() {
        let reader = Complianz::new()
            .prefix("cmplz_rt_")
            .map("statistics-anonymous", "statistics")
            .ignore("marketing");
        let (r, c) = read_with(
            &reader,
            &["cmplz_rt_statistics-anonymous=allow; cmplz_rt_marketing=allow; cmplz_statistics=allow"],
        );
        assert_eq!(granted(&r, &c), ["statistics"]);
        assert!(reader
            .consent_cookie_names()
            .contains(&"cmplz_rt_banner-status".to_owned()));
    }

    #[test]
    fn names_for_a_registry_list_every_cookie_read() {
        let registry = Registry::builder()
            .default_categories()
            .category(crate::Category::new("social"))
            .cookie(
                crate::Declaration::exact("_ga")
                    .category("statistics")
                    .service("ga"),
            )
            .cookie(
                crate::Declaration::exact("YSC")
                    .category("social")
                    .service("youtube"),
            )
            // A service whose id is a Complianz cookie that holds no choice.
            .cookie(
                crate::Declaration::exact("uid")
                    .category("marketing")
                    .service("id"),
            )
            .build()
            .unwrap();
        let reader = Complianz::new().map("statistics-anonymous", "statistics");
        let names = reader.consent_cookie_names_for(&registry);
        assert_eq!(
            names,
            [
                "cmplz_banner-status",
                "cmplz_consented_services",
                "cmplz_policy_id",
                "cmplz_functional",
                "cmplz_preferences",
                "cmplz_statistics",
                "cmplz_statistics-anonymous",
                "cmplz_marketing",
                "cmplz_necessary",
                "cmplz_social",
                "cmplz_ga",
                "cmplz_youtube",
            ]
        );
        // Every cookie that reads a choice is among them: each alone decides the consent.
        let cookie_names = reader.consent_cookie_names();
        for id in [
            "necessary",
            "social",
            "ga",
            "youtube",
            "statistics-anonymous",
        ] {
            let (_, c) = testing::read(&reader, registry.clone(), &[&format!("cmplz_{id}=deny")]);
            assert!(c.is_decided(), "cmplz_{id} is read");
            assert!(names.contains(&format!("cmplz_{id}")), "cmplz_{id} listed");
        }
        assert!(!cookie_names.contains(&"cmplz_ga".to_owned()));
        // `cmplz_id` is read as nothing, and so not listed.
        let (_, c) = testing::read(&reader, registry.clone(), &["cmplz_id=deny"]);
        assert_eq!(c, Consent::undecided());
        assert!(!names.contains(&"cmplz_id".to_owned()));
        // The prefix applies to the registry's ids too.
        let names = Complianz::new()
            .prefix("cmplz_rt_")
            .consent_cookie_names_for(&registry);
        assert!(names.contains(&"cmplz_rt_ga".to_owned()));
        assert!(!names.iter().any(|n| n == "cmplz_ga"));
    }
}
