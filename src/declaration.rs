//! Cookie declarations: one row of the cookie policy table.

use std::time::Duration;

/// How a [`Declaration`] matches cookie-names.
///
/// Cookie-names are compared byte for byte and case-sensitively (RFC 6265bis §5.7 stores
/// names exactly as sent); nothing is decoded or trimmed beyond what §5.6 does.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Match {
    /// The cookie-name equals this string.
    Exact(String),
    /// The cookie-name starts with this string (for example `_ga_` for `_ga_<container-id>`).
    Prefix(String),
    /// The cookie-name matches this glob pattern as a whole: `*` matches any run of bytes
    /// (also none), `?` exactly one byte, every other character itself. For example
    /// `_pk_id.*` matches `_pk_id.1.1fff`. A pattern must contain a wildcard and at least one
    /// other character.
    Pattern(String),
}

impl Match {
    /// The string as written: the name, prefix or pattern.
    pub fn as_str(&self) -> &str {
        match self {
            Self::Exact(s) | Self::Prefix(s) | Self::Pattern(s) => s,
        }
    }

    /// `"exact"`, `"prefix"` or `"pattern"`.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Exact(_) => "exact",
            Self::Prefix(_) => "prefix",
            Self::Pattern(_) => "pattern",
        }
    }
}

/// One cookie (or family of cookies) the site may set: who provides it, what it does, why,
/// for how long, and which consent category governs it.
///
/// Built with [`Declaration::exact`], [`Declaration::prefix`] or [`Declaration::pattern`] and
/// by-value setters; it is validated when the [`Registry`](crate::Registry) is built.
///
/// ```
/// use std::time::Duration;
/// use tower_cookie_consent::Declaration;
///
/// let ga = Declaration::prefix("_ga_")
///     .category("statistics")
///     .service("ga")
///     .provider("Google")
///     .function("Google Analytics 4")
///     .purpose("Keeps the state of an analytics session.")
///     .duration(Duration::from_secs(2 * 365 * 24 * 3600));
/// assert_eq!(ga.matcher().as_str(), "_ga_");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[must_use]
pub struct Declaration {
    pub(crate) matcher: Match,
    pub(crate) category: String,
    pub(crate) service: Option<String>,
    pub(crate) provider: String,
    pub(crate) function: String,
    pub(crate) purpose: String,
    pub(crate) consent_required: Option<bool>,
    pub(crate) domain: Option<String>,
    pub(crate) path: Option<String>,
    pub(crate) duration: Option<Duration>,
    pub(crate) http_only: bool,
    pub(crate) partitioned: bool,
}

impl Declaration {
    /// Declares the cookie with exactly this cookie-name.
    pub fn exact(name: impl Into<String>) -> Self {
        Self::new(Match::Exact(name.into()))
    }

    /// Declares every cookie whose cookie-name starts with `prefix`.
    pub fn prefix(prefix: impl Into<String>) -> Self {
        Self::new(Match::Prefix(prefix.into()))
    }

    /// Declares every cookie whose cookie-name matches the glob `pattern` (see [`Match::Pattern`]).
    pub fn pattern(pattern: impl Into<String>) -> Self {
        Self::new(Match::Pattern(pattern.into()))
    }

    /// Declares cookies matched by `matcher`.
    pub fn new(matcher: Match) -> Self {
        Self {
            matcher,
            category: String::new(),
            service: None,
            provider: String::new(),
            function: String::new(),
            purpose: String::new(),
            consent_required: None,
            domain: None,
            path: None,
            duration: None,
            http_only: false,
            partitioned: false,
        }
    }

    /// Sets the consent category id (required; it must be declared in the registry).
    pub fn category(mut self, id: impl Into<String>) -> Self {
        self.category = id.into();
        self
    }

    /// Sets the service id (such as `ga` or `matomo`): a visitor's decision for the service
    /// overrides the decision for the category.
    pub fn service(mut self, id: impl Into<String>) -> Self {
        self.service = Some(id.into());
        self
    }

    /// Sets who sets the cookie (the site itself, or a third party such as "Google").
    pub fn provider(mut self, provider: impl Into<String>) -> Self {
        self.provider = provider.into();
        self
    }

    /// Sets what the cookie is for, in a few words ("Authentication", "Google Analytics").
    pub fn function(mut self, function: impl Into<String>) -> Self {
        self.function = function.into();
        self
    }

    /// Sets why the cookie is set, in a sentence for the cookie policy page.
    pub fn purpose(mut self, purpose: impl Into<String>) -> Self {
        self.purpose = purpose.into();
        self
    }

    /// Overrides the category's consent requirement for this cookie. `false` exempts it (for
    /// example anonymised statistics, which several regulators exempt); `true` requires
    /// consent even in a category that does not.
    pub fn consent_required(mut self, required: bool) -> Self {
        self.consent_required = Some(required);
        self
    }

    /// Exempts the cookie from consent: shorthand for `consent_required(false)`.
    pub fn exempt(self) -> Self {
        self.consent_required(false)
    }

    /// Sets the `Domain` attribute the cookie is set with (without a leading dot), if any.
    pub fn domain(mut self, domain: impl Into<String>) -> Self {
        self.domain = Some(domain.into());
        self
    }

    /// Sets the `Path` attribute the cookie is set with, if not `/`.
    pub fn path(mut self, path: impl Into<String>) -> Self {
        self.path = Some(path.into());
        self
    }

    /// Sets how long the cookie is kept; without it the cookie is a session cookie.
    pub fn duration(mut self, duration: Duration) -> Self {
        self.duration = Some(duration);
        self
    }

    /// Records that the cookie is set `HttpOnly`.
    pub fn http_only(mut self, yes: bool) -> Self {
        self.http_only = yes;
        self
    }

    /// Records that the cookie is set `Partitioned` (CHIPS).
    pub fn partitioned(mut self, yes: bool) -> Self {
        self.partitioned = yes;
        self
    }

    /// How the declaration matches cookie-names.
    pub fn matcher(&self) -> &Match {
        &self.matcher
    }

    /// The consent category id.
    pub fn category_id(&self) -> &str {
        &self.category
    }

    /// The service id, if any.
    pub fn service_id(&self) -> Option<&str> {
        self.service.as_deref()
    }

    /// Who sets the cookie.
    pub fn provider_text(&self) -> &str {
        &self.provider
    }

    /// What the cookie is for.
    pub fn function_text(&self) -> &str {
        &self.function
    }

    /// Why the cookie is set.
    pub fn purpose_text(&self) -> &str {
        &self.purpose
    }

    /// The explicit consent requirement, if it overrides the category's.
    pub fn consent_required_override(&self) -> Option<bool> {
        self.consent_required
    }

    /// The declared `Domain` attribute.
    pub fn domain_attr(&self) -> Option<&str> {
        self.domain.as_deref()
    }

    /// The declared `Path` attribute.
    pub fn path_attr(&self) -> Option<&str> {
        self.path.as_deref()
    }

    /// How long the cookie is kept; `None` for a session cookie.
    pub fn duration_value(&self) -> Option<Duration> {
        self.duration
    }

    /// Whether the cookie is declared `HttpOnly`.
    pub fn is_http_only(&self) -> bool {
        self.http_only
    }

    /// Whether the cookie is declared `Partitioned`.
    pub fn is_partitioned(&self) -> bool {
        self.partitioned
    }
}
