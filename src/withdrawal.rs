//! Withdrawal: deleting the cookies a visitor no longer allows, scrubbing them from the
//! request, and `Vary: Cookie` on the responses whose cookies depend on consent.
//!
//! Withdrawing consent must be as easy as giving it (GDPR art. 7(3)). A banner script cannot
//! delete `HttpOnly` cookies, nor cookies set for a parent domain it does not know; the server
//! can, by answering with deletions (RFC 6265bis §5.7: a `Set-Cookie` with the same name,
//! domain, host-only flag and path, and an expiry in the past, removes the stored cookie).

use http::header::{Entry, COOKIE, HOST, SET_COOKIE, VARY};
use http::{HeaderMap, HeaderValue, Uri};

use crate::consent::{CategorySet, Consent, ConsentState};
use crate::cookie_header::{trim_wsp, RequestCookies};
use crate::declaration::Declaration;
use crate::enforcer::{Builder, Enforcer, FilterSummary};
use crate::registry::{Registry, UnknownPolicy, Verdict};
use crate::set_cookie::{parse_set_cookie, SetCookie};

/// The default cap on the deletions one response carries: 32 `Set-Cookie` headers.
pub const DEFAULT_MAX_DELETIONS: usize = 32;

/// What a deletion says after the cookie-name and scope: an expiry in the past, twice
/// (`Max-Age` for RFC 6265 clients, `Expires` for the oldest ones).
const EXPIRED: &[u8] = b"; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT";

/// The withdrawal settings of an [`Enforcer`], set through the [`Builder`].
#[derive(Debug, Clone, Copy)]
pub(crate) struct Withdrawal {
    pub(crate) delete_refused: bool,
    pub(crate) max_deletions: usize,
    pub(crate) delete_for_undecided: bool,
    pub(crate) scrub_request: bool,
    pub(crate) vary_cookie: bool,
    /// The categories of the declarations that need consent: a consent granting all of
    /// them, and refusing no service, allows every declared cookie.
    consent_categories: CategorySet,
}

impl Default for Withdrawal {
    fn default() -> Self {
        Self {
            delete_refused: true,
            max_deletions: DEFAULT_MAX_DELETIONS,
            delete_for_undecided: false,
            scrub_request: false,
            vary_cookie: true,
            consent_categories: CategorySet::EMPTY,
        }
    }
}

impl Withdrawal {
    /// Resolves the settings against the registry the enforcer is built with.
    pub(crate) fn for_registry(mut self, registry: &Registry) -> Self {
        self.consent_categories = CategorySet::EMPTY;
        for declaration in registry.declarations() {
            if let Some(category) = registry.category_id(declaration.category_id()) {
                let required = declaration
                    .consent_required_override()
                    .unwrap_or(registry.category(category).is_consent_required());
                if required {
                    self.consent_categories.insert(category);
                }
            }
        }
        self
    }

    /// Whether `consent` allows every declared cookie, so that no scan is needed.
    fn allows_every_declared(&self, consent: &Consent) -> bool {
        consent
            .granted_categories()
            .intersection(self.consent_categories)
            == self.consent_categories
            && consent.refused_services().is_empty()
    }
}

impl Builder {
    /// Deletes, in the response, the stored cookies the visitor no longer allows (default
    /// `true`): when the request carries a cookie that the registry **declares** and the
    /// visitor's decided consent refuses, the response gets one deletion per scope the cookie
    /// may live in (see [`deletions_for`]). Undeclared cookies, the consent cookie and allowed
    /// cookies are never deleted; nothing is deleted while the consent cookie is present but
    /// unreadable ([`ConsentState::Unreadable`]), nor, by default, for undecided visitors (see
    /// [`delete_for_undecided`](Self::delete_for_undecided)).
    ///
    /// ```
    /// # use tower_cookie_consent::{CookieConsentLayer, Registry};
    /// # let registry = Registry::builder().default_categories().build()?;
    /// let layer = CookieConsentLayer::builder(registry).delete_refused(false).build()?;
    /// # Ok::<(), tower_cookie_consent::ConfigError>(())
    /// ```
    pub fn delete_refused(mut self, yes: bool) -> Self {
        self.withdrawal.delete_refused = yes;
        self
    }

    /// Caps the deletions (`Set-Cookie` headers) one response carries (default
    /// [`DEFAULT_MAX_DELETIONS`], 32); `0` deletes nothing. Cookies past the cap stay until a
    /// later response: a cookie that is deleted is no longer sent, so each response makes
    /// room for the next ones.
    ///
    /// ```
    /// # use tower_cookie_consent::{CookieConsentLayer, Registry};
    /// # let registry = Registry::builder().default_categories().build()?;
    /// let layer = CookieConsentLayer::builder(registry).max_deletions(8).build()?;
    /// # Ok::<(), tower_cookie_consent::ConfigError>(())
    /// ```
    pub fn max_deletions(mut self, max: usize) -> Self {
        self.withdrawal.max_deletions = max;
        self
    }

    /// Also deletes refused cookies of visitors who have not decided (default `false`): no
    /// consent cookie, or a consent older than the maximum age or of another registry
    /// revision. Every declared cookie that needs consent is then deleted, which suits sites
    /// whose tags ran before asking. A Global Privacy Control signal (`Sec-GPC: 1`, when
    /// [`gpc`](Self::gpc) is on) is a decision of its own: the cookies it switches off (the
    /// [sale or sharing](crate::Category::sale_or_sharing) categories and their services)
    /// are deleted for undecided visitors whatever this setting.
    ///
    /// ```
    /// # use tower_cookie_consent::{CookieConsentLayer, Registry};
    /// # let registry = Registry::builder().default_categories().build()?;
    /// let layer = CookieConsentLayer::builder(registry).delete_for_undecided(true).build()?;
    /// # Ok::<(), tower_cookie_consent::ConfigError>(())
    /// ```
    pub fn delete_for_undecided(mut self, yes: bool) -> Self {
        self.withdrawal.delete_for_undecided = yes;
        self
    }

    /// Removes the cookies the visitor does not allow from the request's `Cookie` field(s)
    /// before the inner service sees them (default `false`), so that application code cannot
    /// read what it may not use. See [`Enforcer::scrub_request_cookies`] for the rules; the
    /// consent cookie is never touched, and undeclared cookies follow the unknown-cookie
    /// policy (with the default [`UnknownCookies::Block`](crate::UnknownCookies::Block) they
    /// are removed too). Layers outside this one still see the original header.
    ///
    /// ```
    /// # use tower_cookie_consent::{CookieConsentLayer, Registry};
    /// # let registry = Registry::builder().default_categories().build()?;
    /// let layer = CookieConsentLayer::builder(registry).scrub_request(true).build()?;
    /// # Ok::<(), tower_cookie_consent::ConfigError>(())
    /// ```
    pub fn scrub_request(mut self, yes: bool) -> Self {
        self.withdrawal.scrub_request = yes;
        self
    }

    /// Appends `Vary: Cookie` to every response that carried a `Set-Cookie` (kept or removed)
    /// or carries deletions (default `true`): which of them reach the browser depends on the
    /// visitor's consent, so a shared cache must not serve one visitor's cookies to another
    /// (RFC 9111 §4.1). Nothing is added in report-only mode, or when a `Vary` field already
    /// lists `Cookie` or `*` (see [`append_vary_cookie`]).
    ///
    /// ```
    /// # use tower_cookie_consent::{CookieConsentLayer, Registry};
    /// # let registry = Registry::builder().default_categories().build()?;
    /// let layer = CookieConsentLayer::builder(registry).vary_cookie(false).build()?;
    /// # Ok::<(), tower_cookie_consent::ConfigError>(())
    /// ```
    pub fn vary_cookie(mut self, yes: bool) -> Self {
        self.withdrawal.vary_cookie = yes;
        self
    }
}

/// Which refused cookies a consent lets the layer delete.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// Every declared cookie the consent refuses.
    All,
    /// Only those a Global Privacy Control signal switched off (undecided visitors).
    GpcOnly,
}

impl Enforcer {
    pub(crate) fn deletes_refused(&self) -> bool {
        self.withdrawal.delete_refused
    }

    pub(crate) fn scrubs_request(&self) -> bool {
        self.withdrawal.scrub_request
    }

    fn deletion_mode(&self, consent: &Consent) -> Option<Mode> {
        match consent.state() {
            ConsentState::Decided => Some(Mode::All),
            ConsentState::Undecided if self.withdrawal.delete_for_undecided => Some(Mode::All),
            ConsentState::Undecided if consent.gpc_applied() => Some(Mode::GpcOnly),
            _ => None,
        }
    }

    /// The verdict on a stored cookie that may be deleted: declared, not the consent cookie,
    /// refused (and, in `GpcOnly` mode, switched off by GPC).
    fn refused_stored(&self, name: &[u8], consent: &Consent, mode: Mode) -> Option<Verdict> {
        let verdict = self.judge(name, consent);
        let index = verdict.declaration_raw()?;
        if verdict.is_allowed() {
            return None;
        }
        if mode == Mode::GpcOnly {
            let registry = self.registry();
            let (category, service) = registry.classify(index);
            let gpc = registry.sale_or_sharing().contains(category)
                || service.is_some_and(|s| consent.refused_services().contains(s));
            if !gpc {
                return None;
            }
        }
        Some(verdict)
    }

    /// The deletions a response to this request must carry: for each cookie of the request
    /// (every `Cookie` field) that the registry declares and `consent` refuses, one deletion
    /// per scope it may live in, as [`deletions_for`] builds them for the request's host
    /// ([`request_host`]: the URI's authority, else the `Host` field; several `Host` fields,
    /// or one that is not a valid host, leave host-only deletions). The layer appends them
    /// to the response (see [`finish_response`](Self::finish_response)).
    ///
    /// Empty, without allocating, when: the consent is [unreadable](ConsentState::Unreadable)
    /// (fail closed for new cookies, but do not wipe what may have been accepted); the visitor
    /// is [undecided](ConsentState::Undecided) and neither
    /// [`delete_for_undecided`](Builder::delete_for_undecided) nor a GPC signal applies; no
    /// declared cookie of the request is refused. Never for undeclared cookies, the consent
    /// cookie, or cookies the consent allows (exempt, strictly necessary, granted category or
    /// service). A cookie-name sent twice is deleted once. At most
    /// [`max_deletions`](Builder::max_deletions) values. In report-only mode, empty: each
    /// cookie that would be deleted is logged (`tracing`, debug level) instead. Does not look
    /// at [`delete_refused`](Builder::delete_refused): that switch is the layer's.
    ///
    /// ```
    /// use http::{HeaderMap, HeaderValue, Uri, header::{COOKIE, HOST}};
    /// use tower_cookie_consent::{CookieConsentLayer, Declaration, Registry};
    ///
    /// let registry = Registry::builder()
    ///     .default_categories()
    ///     .cookie(Declaration::exact("_ga").category("statistics"))
    ///     .build()?;
    /// let enforcer = CookieConsentLayer::builder(registry).build_enforcer()?;
    ///
    /// let mut headers = HeaderMap::new();
    /// headers.insert(HOST, HeaderValue::from_static("www.example.com"));
    /// headers.insert(COOKIE, HeaderValue::from_static(
    ///     "cookies_preferences=%7B%22statistics%22%3Afalse%7D; _ga=GA1.1.1; other=1",
    /// ));
    /// let consent = enforcer.read_consent(&headers);
    /// let deletions = enforcer.deletions(&Uri::from_static("/"), &headers, &consent);
    /// assert_eq!(deletions, [
    ///     "_ga=; Path=/; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT",
    ///     "_ga=; Domain=www.example.com; Path=/; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT",
    ///     "_ga=; Domain=example.com; Path=/; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT",
    /// ]);
    /// # Ok::<(), tower_cookie_consent::ConfigError>(())
    /// ```
    pub fn deletions(&self, uri: &Uri, headers: &HeaderMap, consent: &Consent) -> Vec<HeaderValue> {
        let Some(mode) = self.deletion_mode(consent) else {
            return Vec::new();
        };
        let max = self.withdrawal.max_deletions;
        let cookies = RequestCookies::new(headers);
        if max == 0 || cookies.is_empty() || self.withdrawal.allows_every_declared(consent) {
            return Vec::new();
        }
        // One pass over the request's cookies; nothing is allocated unless a refused
        // cookie is held (the host is parsed, and the list grows, at the first one).
        let mut host: Option<RequestHost> = None;
        let mut out: Vec<HeaderValue> = Vec::new();
        for (name, _) in cookies.iter() {
            let Some(verdict) = self.refused_stored(name, consent, mode) else {
                continue;
            };
            if self.is_report_only() {
                self.trace_deletion(name, verdict, 0);
                continue;
            }
            // Each name once, however many copies the browser sent (every copy is deleted
            // by the same values).
            if out.iter().any(|d| deletes(d, name)) {
                continue;
            }
            if out.len() >= max {
                tracing::debug!(
                    target: "tower_cookie_consent",
                    cookie_name = %String::from_utf8_lossy(name),
                    max_deletions = max,
                    "deletion cap reached; the cookie is left for a later response",
                );
                continue;
            }
            let declaration = verdict
                .declaration_index()
                .map(|i| &self.registry().declarations()[i]);
            let host = host.get_or_insert_with(|| RequestHost::of(uri, headers));
            let before = out.len();
            push_deletions(&mut out, max, name, declaration, host);
            self.trace_deletion(name, verdict, out.len() - before);
        }
        out
    }

    fn trace_deletion(&self, name: &[u8], verdict: Verdict, scopes: usize) {
        let registry = self.registry();
        tracing::debug!(
            target: "tower_cookie_consent",
            cookie_name = %String::from_utf8_lossy(name),
            category = verdict
                .declaration_raw()
                .map(|i| registry.category(registry.classify(i).0).id()),
            reason = verdict.reason().as_str(),
            scopes,
            report_only = self.is_report_only(),
            "{}",
            if self.is_report_only() {
                "stored cookie would be deleted"
            } else {
                "stored cookie deleted"
            },
        );
    }

    /// Finishes a response after [`filter`](Self::filter): appends `deletions` (from
    /// [`deletions`](Self::deletions)) to its `Set-Cookie` headers, then `Vary: Cookie` when
    /// the filter judged a `Set-Cookie` or a deletion was appended (and
    /// [`vary_cookie`](Builder::vary_cookie) is on). Returns how many deletions were appended.
    ///
    /// A deletion equal, byte for byte, to a `Set-Cookie` already present is not repeated.
    /// When the response sets or deletes the consent cookie (the visitor records a new
    /// choice, or the site renews the cookie), the consent of the next request is read: the
    /// `request` headers as the browser sent them (its `Cookie` fields and `Sec-GPC`), with
    /// the response's consent cookies laid over them (the last of each name; a `Domain` or a
    /// `Path` other than `/` is left out, as it may not come back). Only the deletions that
    /// consent refuses too are kept: a new grant is not wiped in the very response that
    /// records it, and renewing the cookie never blocks withdrawal.
    ///
    /// ```
    /// use http::{HeaderMap, HeaderValue, header::{SET_COOKIE, VARY}};
    /// use tower_cookie_consent::{CookieConsentLayer, FilterSummary, Registry};
    ///
    /// let registry = Registry::builder().default_categories().build()?;
    /// let enforcer = CookieConsentLayer::builder(registry).build_enforcer()?;
    /// let mut headers = HeaderMap::new();
    /// let deletion = HeaderValue::from_static("_ga=; Path=/; Max-Age=0");
    /// let request = HeaderMap::new(); // the request's headers (its `Cookie` and `Sec-GPC`)
    /// let appended =
    ///     enforcer.finish_response(&mut headers, &FilterSummary::default(), vec![deletion], &request);
    /// assert_eq!(appended, 1);
    /// assert_eq!(headers[SET_COOKIE], "_ga=; Path=/; Max-Age=0");
    /// assert_eq!(headers[VARY], "Cookie");
    /// # Ok::<(), tower_cookie_consent::ConfigError>(())
    /// ```
    pub fn finish_response(
        &self,
        headers: &mut HeaderMap,
        summary: &FilterSummary,
        deletions: Vec<HeaderValue>,
        request: &HeaderMap,
    ) -> usize {
        let mut appended = 0;
        let mut deletions = deletions;
        if !deletions.is_empty() {
            if let Some(new_consent) = self.consent_set_by(headers, request) {
                // The visitor is recording a choice (or the site renews the consent cookie):
                // keep only the deletions that the new choice refuses too.
                let before = deletions.len();
                deletions.retain(|d| match parse_set_cookie(d.as_bytes()) {
                    SetCookie::Cookie { name, .. } => !self.judge(name, &new_consent).is_allowed(),
                    SetCookie::Ignored => false,
                });
                if deletions.len() < before {
                    tracing::debug!(
                        target: "tower_cookie_consent",
                        dropped = before - deletions.len(),
                        "the response records a consent that allows these cookies: not deleted",
                    );
                }
            }
            for deletion in deletions {
                // Deletions are distinct; skip one the response already carries.
                let duplicate = headers.get_all(SET_COOKIE).iter().any(|v| *v == deletion);
                if !duplicate {
                    headers.append(SET_COOKIE, deletion);
                    appended += 1;
                }
            }
        }
        if self.withdrawal.vary_cookie
            && !self.is_report_only()
            && (summary.judged > 0 || appended > 0)
        {
            append_vary_cookie(headers);
        }
        appended
    }

    /// The consent the next request will carry when the response sets or deletes the consent
    /// cookie: the request's own `Cookie` fields and `Sec-GPC` header, with the consent
    /// cookies this response sets (the last one of each name; a deletion removes it) laid
    /// over them. A consent `Set-Cookie` with a `Domain` attribute, or a `Path` other than
    /// `/`, might not reach the next request and is left out. `None` when the response
    /// changes no consent cookie.
    fn consent_set_by(&self, headers: &HeaderMap, request: &HeaderMap) -> Option<Consent> {
        let mut now = None;
        // (name, Some(value) set | None deleted), last one per name.
        let mut changed: Vec<(&[u8], Option<&[u8]>)> = Vec::new();
        for v in headers.get_all(SET_COOKIE) {
            if !self.may_set_consent_cookie(v.as_bytes()) {
                continue;
            }
            let SetCookie::Cookie {
                name,
                value,
                attributes,
            } = parse_set_cookie(v.as_bytes())
            else {
                continue;
            };
            if !self.is_consent_cookie(name) || !default_scope(attributes) {
                continue;
            }
            let now = *now.get_or_insert_with(std::time::SystemTime::now);
            let value = (!crate::set_cookie::is_deletion(attributes, now)).then_some(value);
            match changed.iter_mut().find(|(n, _)| *n == name) {
                Some(entry) => entry.1 = value,
                None => changed.push((name, value)),
            }
        }
        if changed.is_empty() {
            return None;
        }
        let mut next = HeaderMap::new();
        for field in request.get_all(COOKIE) {
            let kept: Vec<&[u8]> = segments(field.as_bytes())
                .filter(|pair| {
                    pair_name(pair).is_none_or(|n| !changed.iter().any(|(c, _)| *c == n))
                })
                .collect();
            if !kept.is_empty() {
                next.append(
                    COOKIE,
                    HeaderValue::from_bytes(&kept.join(&b"; "[..])).ok()?,
                );
            }
        }
        let set: Vec<Vec<u8>> = changed
            .iter()
            .filter_map(|(name, value)| value.map(|v| [*name, b"=", v].concat()))
            .collect();
        if !set.is_empty() {
            next.append(COOKIE, HeaderValue::from_bytes(&set.join(&b"; "[..])).ok()?);
        }
        for gpc in request.get_all(crate::enforcer::SEC_GPC) {
            next.append(crate::enforcer::SEC_GPC, gpc.clone());
        }
        Some(self.read_consent_at(&next, now.unwrap_or_else(std::time::SystemTime::now)))
    }

    /// Removes from the request's `Cookie` field(s) every cookie-pair `consent` does not
    /// allow, and returns how many pairs that is. The layer calls it before the inner service
    /// when [`scrub_request`](Builder::scrub_request) is on.
    ///
    /// A pair is kept when [`judge`](Self::judge) allows its cookie-name: the consent cookie,
    /// exempt and strictly necessary cookies, granted ones, and undeclared ones the
    /// unknown-cookie policy lets through. A piece the cookie-pair grammar cannot read (no
    /// `=`, an empty name, a name with SP or a control character) is an unknown cookie
    /// without a name: kept only when the unknown-cookie policy allows unknown cookies.
    /// Unlike deletion, scrubbing also applies to undecided and unreadable consents: hiding a
    /// cookie from the application never loses it.
    ///
    /// A field without a refused pair is left as it is. Otherwise it is rewritten with the
    /// kept pairs, each byte for byte (non-UTF-8 bytes included), joined by `"; "`, and
    /// dropped if none is left; the order of fields and pairs is kept. Nothing allocates when
    /// nothing is removed. In report-only mode nothing is removed (the count is still
    /// returned).
    ///
    /// ```
    /// use http::{HeaderMap, HeaderValue, header::COOKIE};
    /// use tower_cookie_consent::{Consent, CookieConsentLayer, Declaration, Registry};
    ///
    /// let registry = Registry::builder()
    ///     .default_categories()
    ///     .cookie(Declaration::exact("sessionid").category("necessary"))
    ///     .cookie(Declaration::exact("_ga").category("statistics"))
    ///     .build()?;
    /// let enforcer = CookieConsentLayer::builder(registry).build_enforcer()?;
    ///
    /// let mut headers = HeaderMap::new();
    /// headers.append(COOKIE, HeaderValue::from_static("_ga=GA1.1.1; sessionid=abc"));
    /// headers.append(COOKIE, HeaderValue::from_static("_ga=GA1.1.2"));
    /// assert_eq!(enforcer.scrub_request_cookies(&mut headers, &Consent::undecided()), 2);
    /// let left: Vec<_> = headers.get_all(COOKIE).iter().collect();
    /// assert_eq!(left, ["sessionid=abc"]);
    /// # Ok::<(), tower_cookie_consent::ConfigError>(())
    /// ```
    pub fn scrub_request_cookies(&self, headers: &mut HeaderMap, consent: &Consent) -> usize {
        let refused: usize = headers
            .get_all(COOKIE)
            .iter()
            .map(|field| {
                segments(field.as_bytes())
                    .filter(|pair| !self.keeps_pair(pair, consent))
                    .count()
            })
            .sum();
        if refused == 0 {
            return 0;
        }
        if self.is_report_only() {
            tracing::debug!(
                target: "tower_cookie_consent",
                pairs = refused,
                "request cookies would be scrubbed",
            );
            return refused;
        }
        if let Entry::Occupied(entry) = headers.entry(COOKIE) {
            let (_, fields) = entry.remove_entry_mult();
            let kept: Vec<HeaderValue> = fields
                .filter_map(|field| self.scrub_field(field, consent))
                .collect();
            for field in kept {
                headers.append(COOKIE, field);
            }
        }
        tracing::debug!(
            target: "tower_cookie_consent",
            pairs = refused,
            "request cookies scrubbed",
        );
        refused
    }

    fn keeps_pair(&self, pair: &[u8], consent: &Consent) -> bool {
        match pair_name(pair) {
            Some(name) => self.judge(name, consent).is_allowed(),
            None => match self.unknown {
                UnknownPolicy::Block => false,
                UnknownPolicy::Allow => true,
                UnknownPolicy::Category(c) => {
                    !self.registry().category(c).is_consent_required()
                        || consent.is_category_granted(c)
                }
            },
        }
    }

    fn scrub_field(&self, field: HeaderValue, consent: &Consent) -> Option<HeaderValue> {
        let bytes = field.as_bytes();
        if segments(bytes).all(|pair| self.keeps_pair(pair, consent)) {
            return Some(field);
        }
        let mut out = Vec::with_capacity(bytes.len());
        for pair in segments(bytes).filter(|pair| self.keeps_pair(pair, consent)) {
            if !out.is_empty() {
                out.extend_from_slice(b"; ");
            }
            out.extend_from_slice(pair);
        }
        if out.is_empty() {
            return None;
        }
        // Sub-slices of a valid field joined by "; " are a valid field.
        HeaderValue::try_from(out).ok()
    }
}

/// The non-empty `;`-separated pieces of a `Cookie` field, trimmed of SP and HTAB.
fn segments(field: &[u8]) -> impl Iterator<Item = &[u8]> {
    field
        .split(|&b| b == b';')
        .map(trim_wsp)
        .filter(|s| !s.is_empty())
}

/// The cookie-name of a trimmed cookie-pair, with the rules of
/// [`RequestCookies`]: `None` without `=`, for an empty name, or for a name holding SP, HTAB
/// or a control character.
fn pair_name(pair: &[u8]) -> Option<&[u8]> {
    let eq = pair.iter().position(|&b| b == b'=')?;
    let name = trim_wsp(&pair[..eq]);
    if name.is_empty() || name.iter().any(|&b| b <= b' ' || b == 0x7f) {
        return None;
    }
    Some(name)
}

/// The host a request was sent to, as sent: the host of the URI's authority (HTTP/2
/// `:authority`, or an absolute-form request target), else the `Host` header with its port,
/// if any. `None` when there is neither, when there are several `Host` fields (RFC 9112
/// §3.2 makes that a bad request), or when the `Host` field is not visible ASCII.
///
/// Nothing is validated here; [`deletions_for`] does that.
///
/// ```
/// use http::{HeaderMap, HeaderValue, Uri, header::HOST};
/// use tower_cookie_consent::request_host;
///
/// let mut headers = HeaderMap::new();
/// headers.insert(HOST, HeaderValue::from_static("www.example.com:8080"));
/// assert_eq!(request_host(&Uri::from_static("/"), &headers), Some("www.example.com:8080"));
/// let absolute = Uri::from_static("https://shop.example.com/cart");
/// assert_eq!(request_host(&absolute, &headers), Some("shop.example.com"));
/// ```
pub fn request_host<'a>(uri: &'a Uri, headers: &'a HeaderMap) -> Option<&'a str> {
    if let Some(authority) = uri.authority() {
        return Some(authority.host());
    }
    let mut hosts = headers.get_all(HOST).iter();
    let host = hosts.next()?;
    if hosts.next().is_some() {
        return None;
    }
    host.to_str().ok()
}

/// The scopes a request's host allows a cookie to live in.
#[derive(Debug, Clone, PartialEq, Eq)]
enum RequestHost {
    /// No host is known: host-only, or the declared domain.
    Unknown,
    /// An IP address, a single label (`localhost`), a public suffix, or an invalid host:
    /// host-only cookies only.
    HostOnly,
    /// A domain name, lowercased, whose registrable domain starts at byte `registrable`.
    Named { host: String, registrable: usize },
}

impl RequestHost {
    /// The host of a request, as [`request_host`] finds it; several `Host` fields, or one
    /// that is not visible ASCII, make an invalid host (host-only), not an unknown one.
    fn of(uri: &Uri, headers: &HeaderMap) -> Self {
        if let Some(authority) = uri.authority() {
            return Self::parse(Some(authority.host().as_bytes()));
        }
        let mut hosts = headers.get_all(HOST).iter();
        match (hosts.next(), hosts.next()) {
            (Some(host), None) => Self::parse(Some(host.as_bytes())),
            (Some(_), Some(_)) => Self::HostOnly,
            (None, _) => Self::Unknown,
        }
    }

    fn parse(raw: Option<&[u8]>) -> Self {
        let Some(raw) = raw else {
            return Self::Unknown;
        };
        let raw = trim_wsp(raw);
        if raw.first() == Some(&b'[') {
            return Self::HostOnly; // an IPv6 literal
        }
        let name = match raw.iter().rposition(|&b| b == b':') {
            Some(i) if raw[i + 1..].iter().all(u8::is_ascii_digit) => &raw[..i],
            Some(_) => return Self::HostOnly,
            None => raw,
        };
        let Some(host) = domain_name(name) else {
            return Self::HostOnly;
        };
        match registrable_len(&host) {
            Some(len) => Self::Named {
                registrable: host.len() - len,
                host,
            },
            None => Self::HostOnly,
        }
    }

    /// The parent domains a `Domain` attribute may name, from the host itself up to and
    /// including its registrable domain.
    fn domains(&self) -> impl Iterator<Item = &str> {
        let (host, registrable) = match self {
            Self::Named { host, registrable } => (host.as_str(), *registrable),
            _ => ("", 0),
        };
        let mut start = Some(0);
        std::iter::from_fn(move || {
            let at = start.filter(|&at| at <= registrable && !host.is_empty())?;
            start = host[at..].find('.').map(|dot| at + dot + 1);
            Some(&host[at..])
        })
    }

    /// The declared `Domain` attribute to delete with, if it is usable for this host: a
    /// domain name that is not a public suffix and that the host domain-matches (RFC 6265bis
    /// §5.1.3); a browser would have refused to store a cookie with any other.
    fn declared(&self, domain: &str) -> Option<String> {
        let domain = domain.strip_prefix('.').unwrap_or(domain);
        let domain = domain_name(domain.as_bytes())?;
        registrable_len(&domain)?;
        match self {
            Self::Unknown => Some(domain),
            Self::HostOnly => None,
            Self::Named { host, .. } => {
                let matches = host == &domain
                    || (host.len() > domain.len()
                        && host.ends_with(domain.as_str())
                        && host.as_bytes()[host.len() - domain.len() - 1] == b'.');
                matches.then_some(domain)
            }
        }
    }
}

/// `name` lowercased if it is a domain name a `Domain` attribute can hold: 1 to 253 bytes of
/// dot-separated labels of 1 to 63 ASCII letters, digits, `-` or `_` (no trailing dot), and
/// not an IPv4 address (the WHATWG URL "ends in a number" rule: a last label of digits, or
/// `0x` and hex digits).
fn domain_name(name: &[u8]) -> Option<String> {
    if name.is_empty() || name.len() > 253 {
        return None;
    }
    let mut last = &name[..0];
    for label in name.split(|&b| b == b'.') {
        if label.is_empty()
            || label.len() > 63
            || !label
                .iter()
                .all(|&b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        {
            return None;
        }
        last = label;
    }
    let hex = |l: &[u8]| {
        l.len() >= 2
            && l[0] == b'0'
            && (l[1] | 0x20) == b'x'
            && l[2..].iter().all(u8::is_ascii_hexdigit)
    };
    if last.iter().all(u8::is_ascii_digit) || hex(last) {
        return None;
    }
    // Every byte is ASCII: the conversion cannot fail.
    String::from_utf8(name.to_ascii_lowercase()).ok()
}

/// The length of the registrable domain of `host` (public suffix plus one label), from the
/// public suffix list (ICANN and private sections); `None` for a single label or a public
/// suffix. A name under a top-level label the list does not know (`demo.localhost`,
/// `intranet.corp`) follows the list's default rule `*`, as browsers do: that label is the
/// public suffix, so `demo.localhost` is registrable.
fn registrable_len(host: &str) -> Option<usize> {
    if !host.contains('.') {
        return None;
    }
    psl::domain(host.as_bytes()).map(|d| d.as_bytes().len())
}

/// Whether a set-cookie-string's attributes keep the default scope a consent cookie is read
/// in: no `Domain`, and no `Path` other than `/`.
fn default_scope(attributes: &[u8]) -> bool {
    attributes.split(|&b| b == b';').all(|av| {
        let (name, value) = match av.iter().position(|&b| b == b'=') {
            Some(i) => (trim_wsp(&av[..i]), trim_wsp(&av[i + 1..])),
            None => (trim_wsp(av), &av[av.len()..]),
        };
        !name.eq_ignore_ascii_case(b"domain")
            && (!name.eq_ignore_ascii_case(b"path") || value == b"/")
    })
}

/// Whether `name` starts with `prefix`, ASCII case-insensitively (RFC 6265bis §4.1.3).
fn has_prefix(name: &[u8], prefix: &[u8]) -> bool {
    name.len() >= prefix.len() && name[..prefix.len()].eq_ignore_ascii_case(prefix)
}

/// Whether `name` can be written as a cookie-name in a `Set-Cookie` field.
fn valid_name(name: &[u8]) -> bool {
    !name.is_empty()
        && name
            .iter()
            .all(|&b| b > b' ' && b != 0x7f && b != b';' && b != b'=')
}

/// Whether `path` is a usable `Path` attribute: it starts with `/` and holds visible ASCII
/// other than `;`.
fn valid_path(path: &str) -> bool {
    path.starts_with('/') && path.bytes().all(|b| b.is_ascii_graphic() && b != b';')
}

/// The deletions of one stored cookie, for every scope it may live in; see [`deletions_for`].
///
/// `name` is a cookie-name as the request carried it; `declaration` the registry row that
/// governs it, if any; `host` the request's host (raw, as [`request_host`] returns it, port
/// allowed), or `None` when unknown.
///
/// The scopes, each one `Set-Cookie` value (same-name deletions are never merged):
/// - a name starting with `__Host-` (any case): `Path=/` only, no `Domain`;
/// - otherwise, the domains: the declared `Domain` when the registry has one, it is not a
///   public suffix and the host domain-matches it (or the host is unknown); else host-only
///   (no `Domain`), then `Domain=` each parent domain of the host, from the host itself up
///   to and including its registrable domain, per the public suffix list (a public suffix is
///   never named). An IP address, a single label such as `localhost`, a public suffix or an
///   invalid host gets host-only only. Under `*.localhost` (which browsers resolve to
///   loopback) `localhost` counts as a public suffix, as for any top-level label the list
///   does not know, so `www.demo.localhost` deletes with `Domain=demo.localhost`;
/// - for each domain, `Path=/`, then the declared `Path` when the registry has one other
///   than `/`.
///
/// Each value is `<name>=; [Domain=<domain>; ]Path=<path>; Max-Age=0; Expires=Thu, 01 Jan
/// 1970 00:00:00 GMT`, followed by `; Secure` for a `__Secure-` or `__Host-` name (any case)
/// or a partitioned cookie, and by `; SameSite=None; Partitioned` for a cookie declared
/// [partitioned](Declaration::partitioned) (CHIPS). The host is read as the URL standard
/// does: port stripped, lowercased; IPv6 literals in brackets and names ending in a number
/// are IP addresses. Empty for a `name` that cannot be written in a `Set-Cookie` field
/// (empty, or holding a control character, SP, `;` or `=`).
///
/// ```
/// use tower_cookie_consent::{deletions_for, Declaration};
///
/// let ga = Declaration::exact("_ga").category("statistics");
/// let deletions = deletions_for(b"_ga", Some(&ga), Some("shop.example.co.uk:443"));
/// assert_eq!(deletions, [
///     "_ga=; Path=/; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT",
///     "_ga=; Domain=shop.example.co.uk; Path=/; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT",
///     "_ga=; Domain=example.co.uk; Path=/; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT",
/// ]);
///
/// let chips = Declaration::exact("__Host-embed").category("marketing").partitioned(true);
/// assert_eq!(deletions_for(b"__Host-embed", Some(&chips), Some("example.com")), [
///     "__Host-embed=; Path=/; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT; Secure; SameSite=None; Partitioned",
/// ]);
/// ```
pub fn deletions_for(
    cookie_name: &[u8],
    declaration: Option<&Declaration>,
    host: Option<&str>,
) -> Vec<HeaderValue> {
    let mut out = Vec::new();
    push_deletions(
        &mut out,
        usize::MAX,
        cookie_name,
        declaration,
        &RequestHost::parse(host.map(str::as_bytes)),
    );
    out
}

fn push_deletions(
    out: &mut Vec<HeaderValue>,
    max: usize,
    name: &[u8],
    declaration: Option<&Declaration>,
    host: &RequestHost,
) {
    if !valid_name(name) {
        return;
    }
    let host_prefix = has_prefix(name, b"__Host-");
    let partitioned = declaration.is_some_and(Declaration::is_partitioned);
    let secure = host_prefix || partitioned || has_prefix(name, b"__Secure-");
    let mut push = |domain: Option<&str>, path: &str| {
        if out.len() < max {
            if let Some(value) = deletion(name, domain, path, secure, partitioned) {
                out.push(value);
            }
        }
    };
    if host_prefix {
        push(None, "/");
        return;
    }
    let declared_path = declaration
        .and_then(Declaration::path_attr)
        .filter(|p| *p != "/" && valid_path(p));
    let paths = std::iter::once("/").chain(declared_path);
    match declaration
        .and_then(Declaration::domain_attr)
        .and_then(|d| host.declared(d))
    {
        Some(domain) => paths.for_each(|path| push(Some(&domain), path)),
        None => {
            for domain in std::iter::once(None).chain(host.domains().map(Some)) {
                for path in paths.clone() {
                    push(domain, path);
                }
            }
        }
    }
}

/// One deletion `Set-Cookie` value.
fn deletion(
    name: &[u8],
    domain: Option<&str>,
    path: &str,
    secure: bool,
    partitioned: bool,
) -> Option<HeaderValue> {
    let (domain_attr, domain, domain_end): (&[u8], &[u8], &[u8]) = match domain {
        Some(domain) => (b"Domain=", domain.as_bytes(), b"; "),
        None => (b"", b"", b""),
    };
    // `concat` allocates the exact length once, so the `HeaderValue` takes the buffer
    // without another allocation.
    let v = [
        name,
        b"=; ",
        domain_attr,
        domain,
        domain_end,
        b"Path=",
        path.as_bytes(),
        EXPIRED,
        if secure { b"; Secure" } else { b"" },
        if partitioned {
            b"; SameSite=None; Partitioned"
        } else {
            b""
        },
    ]
    .concat();
    HeaderValue::try_from(v).ok()
}

/// Whether `deletion` (as [`deletion`] writes it) deletes the cookie named `name`.
fn deletes(deletion: &HeaderValue, name: &[u8]) -> bool {
    let d = deletion.as_bytes();
    d.len() > name.len() && d.starts_with(name) && d[name.len()] == b'='
}

/// Appends `Vary: Cookie` to `headers` unless a `Vary` field already lists `Cookie` or `*`
/// (compared ASCII case-insensitively, across every `Vary` field and every comma-separated
/// member; RFC 9110 §12.5.5). Returns whether it appended. Other `Vary` fields are kept.
///
/// ```
/// use http::{HeaderMap, HeaderValue, header::VARY};
/// use tower_cookie_consent::append_vary_cookie;
///
/// let mut headers = HeaderMap::new();
/// headers.append(VARY, HeaderValue::from_static("Accept-Encoding"));
/// assert!(append_vary_cookie(&mut headers));
/// assert!(!append_vary_cookie(&mut headers));
/// let vary: Vec<_> = headers.get_all(VARY).iter().collect();
/// assert_eq!(vary, ["Accept-Encoding", "Cookie"]);
/// ```
pub fn append_vary_cookie(headers: &mut HeaderMap) -> bool {
    let listed = headers.get_all(VARY).iter().any(|field| {
        field
            .as_bytes()
            .split(|&b| b == b',')
            .map(trim_wsp)
            .any(|member| member == b"*" || member.eq_ignore_ascii_case(b"cookie"))
    });
    if !listed {
        headers.append(VARY, HeaderValue::from_static("Cookie"));
    }
    !listed
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn host(raw: &str) -> RequestHost {
        RequestHost::parse(Some(raw.as_bytes()))
    }

    fn domains(raw: &str) -> Vec<String> {
        host(raw).domains().map(str::to_owned).collect()
    }

    #[test]
    fn parent_domains_run_from_the_host_to_the_registrable_domain() {
        assert_eq!(
            domains("a.b.example.com"),
            ["a.b.example.com", "b.example.com", "example.com"]
        );
        assert_eq!(domains("example.com"), ["example.com"]);
        assert_eq!(
            domains("www.example.co.uk"),
            ["www.example.co.uk", "example.co.uk"]
        );
        // Private section of the list: github.io is a public suffix.
        assert_eq!(domains("user.github.io"), ["user.github.io"]);
    }

    #[test]
    fn public_suffixes_ip_addresses_and_single_labels_are_host_only() {
        for raw in [
            "co.uk",
            "github.io",
            "com",
            "localhost",
            "localhost:3000",
            "127.0.0.1",
            "127.0.0.1:8080",
            "127.1",
            "0x7f.1",
            "[::1]",
            "[::1]:443",
            "intranet",
        ] {
            assert_eq!(host(raw), RequestHost::HostOnly, "{raw}");
            assert!(domains(raw).is_empty(), "{raw}");
        }
    }

    #[test]
    fn localhost_subdomains_have_a_registrable_domain() {
        assert_eq!(
            domains("www.demo.localhost:8080"),
            ["www.demo.localhost", "demo.localhost"]
        );
        assert_eq!(domains("demo.localhost"), ["demo.localhost"]);
    }

    #[test]
    fn host_is_lowercased_and_its_port_stripped() {
        assert_eq!(
            host("WWW.Example.COM:8443"),
            RequestHost::Named {
                host: "www.example.com".into(),
                registrable: 4
            }
        );
    }

    #[test]
    fn invalid_hosts_are_host_only() {
        for raw in [
            "",
            "example.com.",
            ".example.com",
            "exa mple.com",
            "example..com",
            "example.com:80x",
            "user@example.com",
            "ex;ample.com",
            "caf\u{e9}.example.com",
            &format!("{}.com", "a".repeat(64)),
            &format!("{}com", "a.".repeat(127)),
        ] {
            assert_eq!(host(raw), RequestHost::HostOnly, "{raw:?}");
        }
        assert_eq!(RequestHost::parse(None), RequestHost::Unknown);
        assert_eq!(
            RequestHost::parse(Some(b"caf\xe9.example.com")),
            RequestHost::HostOnly
        );
    }

    #[test]
    fn host_comes_from_the_authority_else_a_single_host_field() {
        let mut headers = HeaderMap::new();
        let origin_form = Uri::from_static("/");
        assert_eq!(
            RequestHost::of(&origin_form, &headers),
            RequestHost::Unknown
        );
        headers.append(HOST, HeaderValue::from_static("example.com"));
        assert_eq!(domains_of(&origin_form, &headers), ["example.com"]);
        let absolute = Uri::from_static("http://www.example.org/");
        assert_eq!(
            domains_of(&absolute, &headers),
            ["www.example.org", "example.org"]
        );
        headers.append(HOST, HeaderValue::from_static("example.com"));
        assert_eq!(
            RequestHost::of(&origin_form, &headers),
            RequestHost::HostOnly
        );
        let mut headers = HeaderMap::new();
        headers.append(HOST, HeaderValue::from_bytes(b"\xe9xample.com").unwrap());
        assert_eq!(
            RequestHost::of(&origin_form, &headers),
            RequestHost::HostOnly
        );
    }

    fn domains_of(uri: &Uri, headers: &HeaderMap) -> Vec<String> {
        RequestHost::of(uri, headers)
            .domains()
            .map(str::to_owned)
            .collect()
    }

    #[test]
    fn declared_domain_must_be_matched_by_the_host_and_not_a_public_suffix() {
        let h = host("www.shop.example.com");
        assert_eq!(h.declared(".example.com").as_deref(), Some("example.com"));
        assert_eq!(
            h.declared("Shop.Example.com").as_deref(),
            Some("shop.example.com")
        );
        assert_eq!(
            h.declared("www.shop.example.com").as_deref(),
            Some("www.shop.example.com")
        );
        assert_eq!(h.declared("other.com"), None);
        assert_eq!(h.declared("ample.com"), None, "suffix, but not at a dot");
        assert_eq!(h.declared("com"), None);
        assert_eq!(host("www.example.co.uk").declared("co.uk"), None);
        assert_eq!(host("localhost").declared("localhost"), None);
        assert_eq!(
            RequestHost::Unknown.declared("example.com").as_deref(),
            Some("example.com")
        );
        assert_eq!(RequestHost::Unknown.declared("co.uk"), None);
        assert_eq!(RequestHost::Unknown.declared("10.0.0.1"), None);
    }

    #[test]
    fn cookie_prefixes_match_case_insensitively() {
        assert!(has_prefix(b"__Host-id", b"__Host-"));
        assert!(has_prefix(b"__HOST-id", b"__Host-"));
        assert!(has_prefix(b"__secure-id", b"__Secure-"));
        assert!(!has_prefix(b"__Host", b"__Host-"));
        assert!(!has_prefix(b"_Host-id", b"__Host-"));
    }

    #[test]
    fn names_and_paths_that_cannot_be_written_give_no_deletion() {
        for name in [&b""[..], b"a b", b"a;b", b"a=b", b"a\x01", b"a\x7f"] {
            assert!(deletions_for(name, None, Some("example.com")).is_empty());
        }
        // Bytes >= 0x80 are obs-text: allowed in a field, kept as sent.
        assert_eq!(
            deletions_for(b"caf\xe9", None, None),
            [HeaderValue::from_bytes(
                b"caf\xe9=; Path=/; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT"
            )
            .unwrap()]
        );
        assert!(valid_path("/app"));
        assert!(!valid_path("app"));
        assert!(!valid_path("/a;b"));
        assert!(!valid_path("/a b"));
    }

    #[test]
    fn vary_members_are_compared_case_insensitively_across_fields() {
        for existing in [
            &["Cookie"][..],
            &["cookie"],
            &["Accept-Encoding, COOKIE"],
            &["Accept-Encoding", " Cookie "],
            &["*"],
            &["Origin", "Accept, *"],
        ] {
            let mut headers = HeaderMap::new();
            for v in existing {
                headers.append(VARY, HeaderValue::from_str(v).unwrap());
            }
            assert!(!append_vary_cookie(&mut headers), "{existing:?}");
            assert_eq!(headers.get_all(VARY).iter().count(), existing.len());
        }
        let mut headers = HeaderMap::new();
        headers.append(VARY, HeaderValue::from_static("Cookies, X-Cookie"));
        assert!(append_vary_cookie(&mut headers));
        let vary: Vec<_> = headers.get_all(VARY).iter().collect();
        assert_eq!(vary, ["Cookies, X-Cookie", "Cookie"]);
    }

    proptest! {
        /// The scrubber reads the same cookie-names as `RequestCookies`.
        #[test]
        fn scrubber_reads_pairs_like_request_cookies(
            field in proptest::collection::vec(
                prop_oneof![
                    Just(b';'), Just(b'='), Just(b' '), Just(b'\t'), Just(b'a'), Just(b'b'),
                    Just(0xe9u8), Just(b','), Just(b'"'),
                ],
                0..40,
            )
        ) {
            let mut headers = HeaderMap::new();
            headers.append(COOKIE, HeaderValue::from_bytes(&field).unwrap());
            let expected: Vec<&[u8]> = RequestCookies::new(&headers).iter().map(|(n, _)| n).collect();
            let got: Vec<&[u8]> = segments(&field).filter_map(pair_name).collect();
            prop_assert_eq!(got, expected);
        }

        /// Whatever the host, no deletion ever names a public suffix, and every one is a
        /// deletion.
        #[test]
        fn never_a_public_suffix(
            labels in proptest::collection::vec(
                prop_oneof![
                    Just("www"), Just("example"), Just("co"), Just("uk"), Just("com"),
                    Just("github"), Just("io"), Just("localhost"), Just("1"), Just("Demo"),
                ],
                1..5,
            )
        ) {
            let raw = labels.join(".");
            for value in deletions_for(b"_ga", None, Some(&raw)) {
                let value = value.to_str().unwrap();
                prop_assert!(value.contains("; Max-Age=0; "));
                if let Some(domain) = value.split("; ").find_map(|a| a.strip_prefix("Domain=")) {
                    prop_assert!(psl::domain(domain.as_bytes()).is_some(), "{}", value);
                    prop_assert!(
                        raw.to_ascii_lowercase() == domain
                            || raw.to_ascii_lowercase().ends_with(&format!(".{domain}")),
                        "{}", value
                    );
                }
            }
        }
    }
}
