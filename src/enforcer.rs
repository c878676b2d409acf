//! The enforcer: registry plus settings, with the pure logic of the layer (read consent,
//! judge, filter `Set-Cookie`), usable without tower.

use std::borrow::Cow;
use std::collections::HashSet;
use std::fmt;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use http::header::{Entry, SET_COOKIE};
use http::{Extensions, HeaderMap, HeaderName, HeaderValue};

use crate::category::Category;
use crate::consent::{Consent, ConsentState, ServiceSet};
use crate::cookie_header::RequestCookies;
use crate::declaration::Declaration;
use crate::error::ConfigError;
use crate::formats::CookiesPreferences;
use crate::reader::{ConsentRequest, ReadConsent};
use crate::registry::{Reason, Registry, UnknownCookies, UnknownPolicy, Verdict};
use crate::set_cookie::{
    folded_names, is_deletion_at, parse_header_value, parse_set_cookie, SetCookie,
};
use crate::withdrawal::Withdrawal;

/// The `Sec-GPC` request header of Global Privacy Control.
pub const SEC_GPC: HeaderName = HeaderName::from_static("sec-gpc");

/// Everything the layer knows: the [`Registry`], how consent is read, and what to do with
/// cookies. It holds the pure logic (no tower, no runtime): [`read_consent`](Self::read_consent)
/// on request headers and [`filter`](Self::filter) on response headers, which is what
/// [`CookieConsent`](crate::CookieConsent) calls for every request.
///
/// Build it with [`CookieConsentLayer::builder`](crate::CookieConsentLayer::builder).
pub struct Enforcer {
    registry: Registry,
    reader: Box<dyn ReadConsent>,
    reader_type: &'static str,
    // `ReadConsent::reads_only_consent_cookies`: a request without `Cookie` is undecided unread.
    reader_only_consent_cookies: bool,
    consent_cookies: ConsentNames,
    pub(crate) unknown: UnknownPolicy,
    report_only: bool,
    decision_extension: bool,
    gpc: bool,
    max_consent_age: Option<Duration>,
    gpc_services: ServiceSet,
    on_event: Option<Box<dyn OnCookieEvent>>,
    on_event_type: &'static str,
    pub(crate) withdrawal: Withdrawal,
}

/// The reader's consent cookie-names, judged on every `Set-Cookie`: a name's first byte is
/// tested against theirs first, then the names are compared one by one, or looked up in a
/// hash set when there are many (`Complianz` lists one per registry id).
struct ConsentNames {
    list: Vec<Box<[u8]>>,
    // The first bytes of the names, a 256-bit set.
    first: [u64; 4],
    set: Option<HashSet<Box<[u8]>, foldhash::fast::RandomState>>,
}

impl ConsentNames {
    /// Above this many names, a hash set.
    const SET_ABOVE: usize = 8;

    fn new(list: Vec<Box<[u8]>>) -> Self {
        let mut first = [0u64; 4];
        for name in &list {
            if let Some(&b) = name.first() {
                first[usize::from(b >> 6)] |= 1 << (b & 63);
            }
        }
        let set = (list.len() > Self::SET_ABOVE).then(|| list.iter().cloned().collect());
        Self { list, first, set }
    }

    /// Whether some name may start with the byte `b`.
    #[inline]
    fn may_begin(&self, b: u8) -> bool {
        self.first[usize::from(b >> 6)] >> (b & 63) & 1 == 1
    }

    /// Whether `name` is one of the names (an empty one never is).
    #[inline]
    fn contains(&self, name: &[u8]) -> bool {
        match name.first() {
            Some(&b) if self.may_begin(b) => match &self.set {
                Some(set) => set.contains(name),
                None => self.list.iter().any(|n| **n == *name),
            },
            _ => false,
        }
    }

    /// Whether `s` starts with one of the names.
    fn may_start(&self, s: &[u8]) -> bool {
        match s.first() {
            Some(&b) if self.may_begin(b) => self.list.iter().any(|n| s.starts_with(n)),
            _ => false,
        }
    }
}

impl fmt::Debug for Enforcer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Enforcer")
            .field("registry", &self.registry)
            .field("reader", &self.reader_type)
            .field(
                "consent_cookies",
                &self
                    .consent_cookies
                    .list
                    .iter()
                    .map(|n| String::from_utf8_lossy(n))
                    .collect::<Vec<_>>(),
            )
            .field("unknown", &self.unknown)
            .field("report_only", &self.report_only)
            .field("decision_extension", &self.decision_extension)
            .field("gpc", &self.gpc)
            .field("max_consent_age", &self.max_consent_age)
            .field(
                "on_event",
                &self.on_event.as_ref().map(|_| self.on_event_type),
            )
            .field("withdrawal", &self.withdrawal)
            .finish()
    }
}

/// How many `Set-Cookie` values a [filter](Enforcer::filter) pass judged and removed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct FilterSummary {
    /// `Set-Cookie` values judged.
    pub judged: usize,
    /// Values removed (0 in report-only mode).
    pub removed: usize,
    /// Values that were not allowed: removed, or reported in report-only mode.
    pub refused: usize,
    /// Whether a value names a consent cookie (the response may record a consent).
    pub(crate) consent_cookie: bool,
}

/// One judged `Set-Cookie`, or one deletion the layer appended, handed to an
/// [`OnCookieEvent`] hook.
#[derive(Debug)]
#[non_exhaustive]
pub struct CookieEvent<'a> {
    /// The whole set-cookie-string.
    pub set_cookie: &'a [u8],
    /// Its cookie-name as a browser stores it (empty for nameless or ignored strings).
    pub name: &'a [u8],
    /// The judgement.
    pub verdict: Verdict,
    /// Whether the value was removed from the response (never in report-only mode).
    pub removed: bool,
    /// Whether the value is a deletion the layer appended (withdrawal, see
    /// [`Enforcer::deletions`]), or in report-only mode would have appended:
    /// `set_cookie` is the deletion, `name` the stored cookie it deletes, `verdict` why the
    /// consent refuses that cookie; `removed` is `false`.
    pub deletion: bool,
    /// Whether the layer runs in report-only mode.
    pub report_only: bool,
    /// The matching declaration, if any.
    pub declaration: Option<&'a Declaration>,
    /// The category of the matching declaration, if any.
    pub category: Option<&'a Category>,
    /// The response's extensions (empty when the filter runs outside the layer), so that
    /// the application can correlate events with a request.
    pub extensions: &'a Extensions,
}

impl CookieEvent<'_> {
    /// The cookie-name as text (non-UTF-8 bytes replaced).
    pub fn name_lossy(&self) -> Cow<'_, str> {
        String::from_utf8_lossy(self.name)
    }

    /// The service id of the matching declaration, if any.
    pub fn service(&self) -> Option<&str> {
        self.declaration.and_then(Declaration::service_id)
    }
}

/// A hook called for every judged `Set-Cookie` (kept or removed) and every deletion the layer
/// appends ([`CookieEvent::deletion`]): for metrics, a consent log, or debugging. It runs on
/// the response path, so it should be quick and must not panic.
///
/// A closure `Fn(&CookieEvent<'_>)` implements it.
pub trait OnCookieEvent: Send + Sync + 'static {
    /// Called once per judged `Set-Cookie` and once per appended deletion.
    fn on_cookie_event(&self, event: &CookieEvent<'_>);
}

impl<F> OnCookieEvent for F
where
    F: Fn(&CookieEvent<'_>) + Send + Sync + 'static,
{
    fn on_cookie_event(&self, event: &CookieEvent<'_>) {
        self(event)
    }
}

static NO_EXTENSIONS: std::sync::OnceLock<Extensions> = std::sync::OnceLock::new();

impl Enforcer {
    /// The registry.
    pub fn registry(&self) -> &Registry {
        &self.registry
    }

    /// Whether the enforcer only reports (strips nothing).
    pub fn is_report_only(&self) -> bool {
        self.report_only
    }

    /// Whether the layer inserts a [`ConsentDecision`](crate::ConsentDecision) into each
    /// request's extensions (see [`Builder::decision_extension`]).
    pub fn inserts_decision(&self) -> bool {
        self.decision_extension
    }

    /// Reads the visitor's consent from the request headers, at `SystemTime::now()`.
    ///
    /// The reader's consent, then: a consent older than the maximum age, recorded more than
    /// [`MAX_CLOCK_SKEW`] in the future, or recorded under a registry revision other than the
    /// current one, counts as [undecided](ConsentState::Undecided); a
    /// `Sec-GPC: 1` header (when GPC is on) switches off the categories marked
    /// [sale or sharing](Category::sale_or_sharing). A reader that
    /// [reads only its consent cookies](ReadConsent::reads_only_consent_cookies) is not called
    /// when `headers` hold no `Cookie` field: the consent is then undecided (GPC still
    /// applies).
    pub fn read_consent(&self, headers: &HeaderMap) -> Consent {
        // The clock is read only when a consent's freshness must be checked.
        self.read_with(&ConsentRequest::new(headers, &self.registry))
    }

    /// [`read_consent`](Self::read_consent) with the request's `Cookie` fields looked up
    /// already (the layer shares the lookup with withdrawal).
    #[inline]
    pub(crate) fn read_consent_with(
        &self,
        headers: &HeaderMap,
        cookies: RequestCookies<'_>,
    ) -> Consent {
        self.read_with(&ConsentRequest::with_cookies(
            headers,
            cookies,
            &self.registry,
        ))
    }

    /// [`read_consent`](Self::read_consent) at a given time.
    pub fn read_consent_at(&self, headers: &HeaderMap, now: SystemTime) -> Consent {
        self.read_with(&ConsentRequest::at(headers, &self.registry, now))
    }

    fn read_with(&self, request: &ConsentRequest<'_>) -> Consent {
        let mut consent = if self.reader_only_consent_cookies && request.cookies().is_empty() {
            Consent::undecided()
        } else {
            self.reader.read_consent(request)
        };
        if consent.state() == ConsentState::Decided && !self.is_fresh(&consent, request.now()) {
            consent = Consent::undecided();
        }
        if self.gpc && gpc_requested(request.headers()) {
            consent.apply_gpc(self.registry.sale_or_sharing(), &self.gpc_services);
        }
        consent
    }

    fn is_fresh(&self, consent: &Consent, now: SystemTime) -> bool {
        if let Some(ms) = consent.timestamp_ms() {
            let Some(given) = UNIX_EPOCH.checked_add(Duration::from_millis(ms)) else {
                return false;
            };
            match now.duration_since(given) {
                Ok(age) if self.max_consent_age.is_some_and(|max| age > max) => return false,
                Ok(_) => {}
                // A choice "made" in the future: tolerate clock skew, not more.
                Err(ahead) if ahead.duration() > MAX_CLOCK_SKEW => return false,
                Err(_) => {}
            }
        }
        match consent.revision() {
            Some(revision) => revision == self.registry.revision(),
            None => true,
        }
    }

    /// Judges one cookie-name as a set (not a deletion): the consent cookie always passes,
    /// the rest follows [`Registry::judge`] with the enforcer's unknown-cookie policy.
    pub fn judge(&self, cookie_name: &[u8], consent: &Consent) -> Verdict {
        if self.is_consent_cookie(cookie_name) {
            return Verdict::new(true, Reason::ConsentCookie, None);
        }
        self.registry.judge(cookie_name, consent, self.unknown)
    }

    /// Whether the reader reads nothing but one consent cookie
    /// ([`ReadConsent::reads_only_consent_cookies`] with a single name).
    pub(crate) fn reads_single_consent_cookie(&self) -> bool {
        self.reader_only_consent_cookies && self.consent_cookies.list.len() == 1
    }

    /// Whether `cookie_name` is one the reader reads consent from.
    pub(crate) fn is_consent_cookie(&self, cookie_name: &[u8]) -> bool {
        self.consent_cookies.contains(cookie_name)
    }

    /// Whether a set-cookie-string may set a consent cookie: its first bytes (after SP/HTAB)
    /// are a consent cookie-name. A cheap test before [`parse_set_cookie`].
    pub(crate) fn may_set_consent_cookie(&self, set_cookie: &[u8]) -> bool {
        self.consent_cookies
            .may_start(crate::cookie_header::trim_wsp(set_cookie))
    }

    /// Judges one set-cookie-string: how a browser would read it (RFC 6265bis §5.6), then
    /// [`judge`](Self::judge) on its cookie-name; a refused cookie still passes when the
    /// set-cookie-string deletes it ([`Reason::Deletion`]; `now` is the time an `Expires`
    /// must be before); a field that folds several cookies with
    /// commas is refused if any of them is, and is never a deletion. A folded cookie is
    /// recognised by a comma followed by `name=`; a comma followed by text without `=` (as
    /// in an `Expires` date) is not one. So the consent cookie's own value must not hold
    /// `,name=` (percent-encode its commas, as banners and CMPs normally do), or it is
    /// refused as folded.
    pub fn judge_set_cookie(
        &self,
        set_cookie: &[u8],
        consent: &Consent,
        now: SystemTime,
    ) -> Verdict {
        let parsed = parse_set_cookie(set_cookie);
        self.judge_parsed(set_cookie, parsed, consent, &mut Clock::fixed(now))
            .1
    }

    /// Judges `set_cookie`, which reads as `parsed`.
    fn judge_parsed<'v>(
        &self,
        set_cookie: &'v [u8],
        parsed: SetCookie<'v>,
        consent: &Consent,
        clock: &mut Clock<'_>,
    ) -> (&'v [u8], Verdict) {
        let SetCookie::Cookie {
            name, attributes, ..
        } = parsed
        else {
            return (&[], Verdict::new(false, Reason::Malformed, None));
        };
        if name.is_empty() {
            return (name, Verdict::new(false, Reason::Nameless, None));
        }
        let verdict = self.judge(name, consent);
        if verdict.is_allowed() {
            // A field folding several cookies with commas is refused if any of them is.
            for other in folded_names(set_cookie) {
                let v = self.judge(other, consent);
                if !v.is_allowed() {
                    return (
                        name,
                        Verdict::new(false, Reason::Folded, v.declaration_raw()),
                    );
                }
            }
            return (name, verdict);
        }
        // Refused as a set; a deletion still passes (deleting never tracks), unless the
        // field folds several cookies: its last `Max-Age` or `Expires` may belong to a later
        // cookie, which a splitting intermediary would not give the first one. Only refused
        // values pay for reading the attributes (and the clock).
        if is_deletion_at(attributes, || clock.now()) && folded_names(set_cookie).next().is_none() {
            return (name, Verdict::new(true, Reason::Deletion, None));
        }
        (name, verdict)
    }

    /// Removes from `headers` every `Set-Cookie` the consent does not allow (in report-only
    /// mode, removes nothing), keeping the others in their order; no other header is
    /// touched. Equivalent to [`filter_set_cookies`].
    pub fn filter(&self, headers: &mut HeaderMap, consent: &Consent) -> FilterSummary {
        self.filter_with(headers, consent, NO_EXTENSIONS.get_or_init(Extensions::new))
    }

    /// [`filter`](Self::filter), handing `extensions` to the event hook.
    pub fn filter_with(
        &self,
        headers: &mut HeaderMap,
        consent: &Consent,
        extensions: &Extensions,
    ) -> FilterSummary {
        let mut summary = FilterSummary::default();
        let mut values = headers.get_all(SET_COOKIE).iter().peekable();
        if values.peek().is_none() {
            return summary;
        }
        let mut clock = Clock::of_response(headers);
        // Bit `i` set: the `i`th value (of the first 64) is refused; the removal pass below
        // reads it instead of judging the value again.
        let mut refused_bits = 0u64;
        for (i, value) in values.enumerate() {
            summary.judged += 1;
            let parsed = parse_header_value(value);
            let (name, verdict) = self.judge_parsed(value.as_bytes(), parsed, consent, &mut clock);
            summary.consent_cookie |= self.is_consent_cookie(name);
            if !verdict.is_allowed() {
                if i < 64 {
                    refused_bits |= 1 << i;
                }
                summary.refused += 1;
                self.trace_refusal(name, verdict);
            }
            self.report_event(
                value.as_bytes(),
                name,
                verdict,
                !verdict.is_allowed() && !self.report_only,
                false,
                extensions,
            );
        }
        if summary.refused == 0 || self.report_only {
            return summary;
        }
        // Values past the 64th are judged again below, at the same time; the clock must stop
        // borrowing the headers first.
        let mut clock = match summary.judged > 64 {
            true => Clock::fixed(clock.now()),
            false => Clock::fixed(UNIX_EPOCH),
        };
        if let Entry::Occupied(mut entry) = headers.entry(SET_COOKIE) {
            // `HeaderMap` has no `retain`: move the kept values out (in the order `get_all`
            // gave them), remove the field, and append them back. Up to `INLINE_KEPT` kept
            // values wait on the stack, so a usual response allocates nothing here (the
            // map keeps its capacity; `remove_entry_mult` would collect into a `Vec`).
            const INLINE_KEPT: usize = 16;
            let mut inline: [Option<HeaderValue>; INLINE_KEPT] = Default::default();
            let mut spilled: Vec<HeaderValue> = Vec::new();
            let mut kept = 0;
            for (i, value) in entry.iter_mut().enumerate() {
                let allowed = if i < 64 {
                    refused_bits & (1 << i) == 0
                } else {
                    self.judge_parsed(
                        value.as_bytes(),
                        parse_header_value(value),
                        consent,
                        &mut clock,
                    )
                    .1
                    .is_allowed()
                };
                if allowed {
                    let value = std::mem::replace(value, HeaderValue::from_static(""));
                    match inline.get_mut(kept) {
                        Some(slot) => *slot = Some(value),
                        None => spilled.push(value),
                    }
                    kept += 1;
                }
            }
            summary.removed = summary.judged - kept;
            // Replace the field's values through the entry: no second hash of the name. The
            // slots are taken in place (moving the array out would copy all sixteen).
            let mut kept = inline.iter_mut().map_while(Option::take).chain(spilled);
            match kept.next() {
                Some(first) => {
                    entry.insert(first);
                    for value in kept {
                        entry.append(value);
                    }
                }
                None => {
                    entry.remove();
                }
            }
        }
        summary
    }

    /// Whether an [`OnCookieEvent`] hook is set.
    pub(crate) fn has_hook(&self) -> bool {
        self.on_event.is_some()
    }

    /// Hands one event to the [`OnCookieEvent`] hook, if there is one.
    #[inline(always)]
    pub(crate) fn report_event(
        &self,
        set_cookie: &[u8],
        name: &[u8],
        verdict: Verdict,
        removed: bool,
        deletion: bool,
        extensions: &Extensions,
    ) {
        let Some(hook) = &self.on_event else {
            return;
        };
        let declaration = verdict
            .declaration_index()
            .map(|i| &self.registry.declarations()[i]);
        let category = verdict.declaration_raw().map(|i| {
            let (c, _) = self.registry.classify(i);
            self.registry.category(c)
        });
        hook.on_cookie_event(&CookieEvent {
            set_cookie,
            name,
            verdict,
            removed,
            deletion,
            report_only: self.report_only,
            declaration,
            category,
            extensions,
        });
    }

    fn trace_refusal(&self, name: &[u8], verdict: Verdict) {
        tracing::debug!(
            target: "tower_cookie_consent",
            cookie_name = %String::from_utf8_lossy(name),
            category = verdict
                .declaration_raw()
                .map(|i| self.registry.category(self.registry.classify(i).0).id()),
            service = verdict
                .declaration_index()
                .and_then(|i| self.registry.declarations()[i].service_id()),
            reason = verdict.reason().as_str(),
            report_only = self.report_only,
            "{}",
            if self.report_only { "Set-Cookie would be removed" } else { "Set-Cookie removed" },
        );
    }
}

/// Whether a `Sec-GPC` field is exactly `1` (Global Privacy Control, §3.2 of the GPC
/// specification); any other value is ignored.
/// The time a refused set-cookie-string is judged against as a deletion, read only when one
/// is: the earlier of the system clock and the response's `Date` (Chromium shifts `Expires`
/// by the server's clock skew, so a date before `Date` but after our clock would be a set
/// there).
pub(crate) struct Clock<'h> {
    response: Option<&'h HeaderMap>,
    now: Option<SystemTime>,
}

impl<'h> Clock<'h> {
    pub(crate) fn fixed(now: SystemTime) -> Self {
        Self {
            response: None,
            now: Some(now),
        }
    }

    pub(crate) fn of_response(headers: &'h HeaderMap) -> Self {
        Self {
            response: Some(headers),
            now: None,
        }
    }

    pub(crate) fn now(&mut self) -> SystemTime {
        *self.now.get_or_insert_with(|| {
            let now = SystemTime::now();
            match self
                .response
                .and_then(|h| h.get(http::header::DATE))
                .and_then(|d| crate::set_cookie::parse_cookie_date(d.as_bytes()))
            {
                Some(date) => now.min(UNIX_EPOCH + Duration::from_secs(date.max(0) as u64)),
                None => now,
            }
        })
    }
}

fn gpc_requested(headers: &HeaderMap) -> bool {
    headers
        .get_all(SEC_GPC)
        .iter()
        .any(|v| v.as_bytes() == b"1")
}

/// Removes from `headers` every `Set-Cookie` that `consent` does not allow, as
/// [`Enforcer::filter`] does.
///
/// Each value is read as a browser would (RFC 6265bis §5.6) and judged: a cookie-name
/// matched by the registry is allowed when its consent is not required, its service is
/// granted, or (no service decision) its category is granted; deletions (`Max-Age` ≤ 0 or a
/// past `Expires`) and the consent cookie always pass; unknown cookies follow the
/// unknown-cookie policy; nameless and malformed ones never pass. Kept values stay in their
/// order; other headers are not touched; nothing allocates when nothing is removed.
///
/// ```
/// use http::{HeaderMap, HeaderValue, header::{SET_COOKIE, CONTENT_TYPE}};
/// use tower_cookie_consent::{filter_set_cookies, Consent, CookieConsentLayer, Declaration, Registry};
///
/// let registry = Registry::builder()
///     .default_categories()
///     .cookie(Declaration::exact("sessionid").category("necessary"))
///     .cookie(Declaration::exact("_ga").category("statistics").service("ga"))
///     .build()?;
/// let enforcer = CookieConsentLayer::builder(registry).build_enforcer()?;
///
/// let mut headers = HeaderMap::new();
/// headers.insert(CONTENT_TYPE, HeaderValue::from_static("text/html"));
/// headers.append(SET_COOKIE, HeaderValue::from_static("sessionid=abc; HttpOnly"));
/// headers.append(SET_COOKIE, HeaderValue::from_static("_ga=GA1.1.1; Max-Age=63072000"));
/// headers.append(SET_COOKIE, HeaderValue::from_static("promo_seen=1"));
///
/// let summary = filter_set_cookies(&mut headers, &enforcer, &Consent::undecided());
/// assert_eq!(summary.removed, 2);
/// let left: Vec<_> = headers.get_all(SET_COOKIE).iter().collect();
/// assert_eq!(left, ["sessionid=abc; HttpOnly"]);
/// assert_eq!(headers[CONTENT_TYPE], "text/html");
/// # Ok::<(), tower_cookie_consent::ConfigError>(())
/// ```
pub fn filter_set_cookies(
    headers: &mut HeaderMap,
    enforcer: &Enforcer,
    consent: &Consent,
) -> FilterSummary {
    enforcer.filter(headers, consent)
}

/// Builds an [`Enforcer`], and from it a [`CookieConsentLayer`](crate::CookieConsentLayer).
///
/// Made by [`CookieConsentLayer::builder`](crate::CookieConsentLayer::builder).
#[must_use]
pub struct Builder {
    registry: Registry,
    reader: Box<dyn ReadConsent>,
    reader_type: &'static str,
    unknown: UnknownCookies,
    report_only: bool,
    decision_extension: bool,
    gpc: bool,
    max_consent_age: Option<Duration>,
    on_event: Option<Box<dyn OnCookieEvent>>,
    on_event_type: &'static str,
    pub(crate) withdrawal: Withdrawal,
}

impl fmt::Debug for Builder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Builder")
            .field("registry", &self.registry)
            .field("reader", &self.reader_type)
            .field("unknown", &self.unknown)
            .field("report_only", &self.report_only)
            .field("decision_extension", &self.decision_extension)
            .field("gpc", &self.gpc)
            .field("max_consent_age", &self.max_consent_age)
            .field(
                "on_event",
                &self.on_event.as_ref().map(|_| self.on_event_type),
            )
            .field("withdrawal", &self.withdrawal)
            .finish()
    }
}

/// How far in the future a recorded time of choice may lie (the visitor's clock may be
/// ahead): one day. A later one does not count as a choice.
pub const MAX_CLOCK_SKEW: Duration = Duration::from_secs(24 * 3600);

/// The default maximum age of a consent: 13 months (395 days), the longest the CNIL (French
/// data protection authority) accepts before asking again.
pub const DEFAULT_MAX_CONSENT_AGE: Duration = Duration::from_secs(395 * 24 * 3600);

impl Builder {
    pub(crate) fn new(registry: Registry) -> Self {
        Self {
            registry,
            reader: Box::new(CookiesPreferences::new()),
            reader_type: std::any::type_name::<CookiesPreferences>(),
            unknown: UnknownCookies::Block,
            report_only: false,
            decision_extension: true,
            gpc: true,
            max_consent_age: Some(DEFAULT_MAX_CONSENT_AGE),
            on_event: None,
            on_event_type: "",
            withdrawal: Withdrawal::default(),
        }
    }

    /// Sets how consent is read (default: [`CookiesPreferences::new`]).
    ///
    /// ```
    /// # use tower_cookie_consent::{CookieConsentLayer, CookiesPreferences, Registry};
    /// # let registry = Registry::builder().default_categories().build()?;
    /// let layer = CookieConsentLayer::builder(registry)
    ///     .reader(CookiesPreferences::new().cookie_name("consent"))
    ///     .build()?;
    /// # Ok::<(), tower_cookie_consent::ConfigError>(())
    /// ```
    pub fn reader<R: ReadConsent>(mut self, reader: R) -> Self {
        self.reader = Box::new(reader);
        self.reader_type = std::any::type_name::<R>();
        self
    }

    /// Sets what happens to cookies no declaration matches (default
    /// [`UnknownCookies::Block`]: removed, fail closed).
    ///
    /// ```
    /// # use tower_cookie_consent::{CookieConsentLayer, Registry, UnknownCookies};
    /// # let registry = Registry::builder().default_categories().build()?;
    /// let layer = CookieConsentLayer::builder(registry)
    ///     .unknown_cookies(UnknownCookies::TreatAs("functional".into()))
    ///     .build()?;
    /// # Ok::<(), tower_cookie_consent::ConfigError>(())
    /// ```
    pub fn unknown_cookies(mut self, unknown: UnknownCookies) -> Self {
        self.unknown = unknown;
        self
    }

    /// Whether to insert the [`ConsentDecision`](crate::ConsentDecision) into each request's
    /// extensions (default `true`), for the application to read (the axum extractor, or
    /// `request.extensions().get::<ConsentDecision>()`).
    ///
    /// Turn it off when nothing behind the layer reads the decision: the layer then only
    /// enforces, and saves the three heap allocations `http::Extensions` makes for the
    /// first value it holds (its map's box, the map's table, the boxed value). Without it,
    /// extracting a `ConsentDecision` fails with `MissingConsentLayer` (feature `axum`).
    ///
    /// ```
    /// # use tower_cookie_consent::{CookieConsentLayer, Registry};
    /// # let registry = Registry::builder().default_categories().build()?;
    /// let layer = CookieConsentLayer::builder(registry)
    ///     .decision_extension(false)
    ///     .build()?;
    /// assert!(!layer.enforcer().inserts_decision());
    /// # Ok::<(), tower_cookie_consent::ConfigError>(())
    /// ```
    pub fn decision_extension(mut self, yes: bool) -> Self {
        self.decision_extension = yes;
        self
    }

    /// Report-only mode (default `false`): decide, log and call the hook, but remove
    /// nothing, like CSP's `Content-Security-Policy-Report-Only`. For rollouts.
    ///
    /// ```
    /// # use tower_cookie_consent::{CookieConsentLayer, Registry};
    /// # let registry = Registry::builder().default_categories().build()?;
    /// let layer = CookieConsentLayer::builder(registry).report_only(true).build()?;
    /// # Ok::<(), tower_cookie_consent::ConfigError>(())
    /// ```
    pub fn report_only(mut self, yes: bool) -> Self {
        self.report_only = yes;
        self
    }

    /// Honours Global Privacy Control (default `true`): a `Sec-GPC: 1` request header
    /// switches off the categories marked [sale or sharing](Category::sale_or_sharing),
    /// whatever the consent cookie says.
    ///
    /// ```
    /// # use tower_cookie_consent::{CookieConsentLayer, Registry};
    /// # let registry = Registry::builder().default_categories().build()?;
    /// let layer = CookieConsentLayer::builder(registry).gpc(false).build()?;
    /// # Ok::<(), tower_cookie_consent::ConfigError>(())
    /// ```
    pub fn gpc(mut self, yes: bool) -> Self {
        self.gpc = yes;
        self
    }

    /// Sets how long a recorded choice stays valid (default [`DEFAULT_MAX_CONSENT_AGE`],
    /// 13 months); an older one counts as undecided so the banner asks again. `None` keeps
    /// choices forever. Only formats that record when the choice was made are affected.
    ///
    /// ```
    /// # use std::time::Duration;
    /// # use tower_cookie_consent::{CookieConsentLayer, Registry};
    /// # let registry = Registry::builder().default_categories().build()?;
    /// let six_months = Duration::from_secs(183 * 24 * 3600);
    /// let layer = CookieConsentLayer::builder(registry)
    ///     .max_consent_age(Some(six_months))
    ///     .build()?;
    /// # Ok::<(), tower_cookie_consent::ConfigError>(())
    /// ```
    pub fn max_consent_age(mut self, max_age: Option<Duration>) -> Self {
        self.max_consent_age = max_age;
        self
    }

    /// Sets a hook called for every judged `Set-Cookie`.
    ///
    /// ```
    /// # use tower_cookie_consent::{CookieConsentLayer, CookieEvent, Registry};
    /// # let registry = Registry::builder().default_categories().build()?;
    /// let layer = CookieConsentLayer::builder(registry)
    ///     .on_cookie_event(|event: &CookieEvent<'_>| {
    ///         if event.removed {
    ///             eprintln!("removed {} ({})", event.name_lossy(), event.verdict.reason());
    ///         }
    ///     })
    ///     .build()?;
    /// # Ok::<(), tower_cookie_consent::ConfigError>(())
    /// ```
    pub fn on_cookie_event<H: OnCookieEvent>(mut self, hook: H) -> Self {
        self.on_event = Some(Box::new(hook));
        self.on_event_type = std::any::type_name::<H>();
        self
    }

    /// Builds the [`Enforcer`] alone, for use without tower.
    ///
    /// # Errors
    ///
    /// [`ConfigError::UnknownCategory`] when [`UnknownCookies::TreatAs`] names a category the
    /// registry does not declare.
    pub fn build_enforcer(self) -> Result<Enforcer, ConfigError> {
        let unknown = self.registry.unknown_policy(&self.unknown)?;
        let consent_cookies = self
            .reader
            .consent_cookie_names_for(&self.registry)
            .into_iter()
            .filter(|n| !n.is_empty())
            .map(|n| n.into_bytes().into_boxed_slice())
            .collect();
        let consent_cookies = ConsentNames::new(consent_cookies);
        let mut gpc_services = ServiceSet::EMPTY;
        for c in self.registry.sale_or_sharing().iter() {
            gpc_services = gpc_services.union(self.registry.services_of(c));
        }
        let withdrawal = self.withdrawal.for_registry(&self.registry);
        Ok(Enforcer {
            registry: self.registry,
            reader_only_consent_cookies: self.reader.reads_only_consent_cookies(),
            reader: self.reader,
            reader_type: self.reader_type,
            consent_cookies,
            unknown,
            report_only: self.report_only,
            decision_extension: self.decision_extension,
            gpc: self.gpc,
            max_consent_age: self.max_consent_age,
            gpc_services,
            on_event: self.on_event,
            on_event_type: self.on_event_type,
            withdrawal,
        })
    }

    /// Builds the layer.
    ///
    /// # Errors
    ///
    /// As [`build_enforcer`](Self::build_enforcer).
    pub fn build(self) -> Result<crate::CookieConsentLayer, ConfigError> {
        Ok(crate::CookieConsentLayer::from_enforcer(Arc::new(
            self.build_enforcer()?,
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// The consent cookie-names answer as a plain list does, short (compared one by one)
        /// or long (a hash set), for names that share first bytes and prefixes.
        #[test]
        fn consent_names_agree_with_a_plain_list(
            names in proptest::collection::vec("[cC_]?[a-c]{0,4}", 0..20),
            probes in proptest::collection::vec("[cC_]?[a-c]{0,5}(=x)?", 1..20),
        ) {
            let list: Vec<Box<[u8]>> = names
                .iter()
                .filter(|n| !n.is_empty())
                .map(|n| n.as_bytes().into())
                .collect();
            let consent_names = ConsentNames::new(list.clone());
            prop_assert_eq!(consent_names.set.is_some(), list.len() > ConsentNames::SET_ABOVE);
            for probe in &probes {
                let probe = probe.as_bytes();
                prop_assert_eq!(
                    consent_names.contains(probe),
                    !probe.is_empty() && list.iter().any(|n| **n == *probe)
                );
                prop_assert_eq!(
                    consent_names.may_start(probe),
                    list.iter().any(|n| probe.starts_with(n))
                );
            }
        }
    }
}
