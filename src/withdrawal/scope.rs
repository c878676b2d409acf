//! The scopes a stored cookie may live in (host, parent domains, paths, `__Host-` and
//! `__Secure-` prefixes, CHIPS), and the deletions that reach each of them.

use http::header::HOST;
use http::{HeaderMap, HeaderValue, Uri};

use crate::cookie_header::trim_wsp;
use crate::declaration::Declaration;

/// What a deletion says after the cookie-name and scope: an expiry in the past, twice
/// (`Max-Age` for RFC 6265 clients, `Expires` for the oldest ones).
const EXPIRED: &[u8] = b"; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT";

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
pub(super) enum RequestHost {
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
    pub(super) fn of(uri: &Uri, headers: &HeaderMap) -> Self {
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

    pub(super) fn parse(raw: Option<&[u8]>) -> Self {
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
    pub(super) fn declared(&self, domain: &str) -> Option<String> {
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
        None,
    );
    out
}

/// The host-only deletions of `name` as [`push_deletions`] writes them (with no `Domain`
/// attribute: what it writes for any host when the declaration names no usable domain),
/// built once per exact declaration when the layer is built.
pub(super) fn host_only_deletions(name: &[u8], declaration: &Declaration) -> Vec<HeaderValue> {
    let mut out = Vec::new();
    push_deletions(
        &mut out,
        usize::MAX,
        name,
        Some(declaration),
        &RequestHost::HostOnly,
        None,
    );
    out
}

/// Appends to `out` (while it holds fewer than `max`) the deletions of the cookie `name` in
/// every scope it may live in for `host`; `host_only`, when given, are its host-only
/// deletions already built ([`host_only_deletions`]), cloned instead of written again.
pub(super) fn push_deletions(
    out: &mut Vec<HeaderValue>,
    max: usize,
    name: &[u8],
    declaration: Option<&Declaration>,
    host: &RequestHost,
    host_only: Option<&[HeaderValue]>,
) {
    if !valid_name(name) {
        return;
    }
    let host_prefix = has_prefix(name, b"__Host-");
    let partitioned = declaration.is_some_and(Declaration::is_partitioned);
    let secure = host_prefix || partitioned || has_prefix(name, b"__Secure-");
    let push = |out: &mut Vec<HeaderValue>, domain: Option<&str>, path: &str| {
        if out.len() < max {
            if let Some(value) = deletion(name, domain, path, secure, partitioned) {
                out.push(value);
            }
        }
    };
    // A `__Host-` cookie lives at `/`, host-only; others at `/` and their declared path.
    let declared_path = declaration
        .and_then(Declaration::path_attr)
        .filter(|p| !host_prefix && *p != "/" && valid_path(p));
    let paths = std::iter::once("/").chain(declared_path);
    // The host-only scopes: the deletions built with the layer, else written here.
    let push_host_only = |out: &mut Vec<HeaderValue>| match host_only {
        Some(built) => out.extend(built.iter().take(max.saturating_sub(out.len())).cloned()),
        None => paths.clone().for_each(|path| push(out, None, path)),
    };
    if host_prefix {
        push_host_only(out);
        return;
    }
    match declaration
        .and_then(Declaration::domain_attr)
        .and_then(|d| host.declared(d))
    {
        Some(domain) => paths.for_each(|path| push(out, Some(&domain), path)),
        None => {
            push_host_only(out);
            for domain in host.domains() {
                for path in paths.clone() {
                    push(out, Some(domain), path);
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
pub(super) fn deletes(deletion: &HeaderValue, name: &[u8]) -> bool {
    let d = deletion.as_bytes();
    d.len() > name.len() && d.starts_with(name) && d[name.len()] == b'='
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

    proptest! {
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

        /// The host-only deletions built with the layer give, for every host and cap, the
        /// very list written per request without them.
        #[test]
        fn host_only_deletions_built_once_are_those_written_per_request(
            name in prop_oneof![
                Just("_fbp"), Just("__Host-id"), Just("__Secure-id"), Just("__host-id"),
                Just("a b"), Just("x;y"),
            ],
            path in proptest::option::of(prop_oneof![Just("/"), Just("/app"), Just("app"), Just("/a;b")]),
            domain in proptest::option::of(prop_oneof![
                Just(".example.com"), Just("shop.example.com"), Just("co.uk"), Just("other.org"),
            ]),
            partitioned in any::<bool>(),
            raw_host in proptest::option::of(prop_oneof![
                Just("www.shop.example.com"), Just("example.com:8080"), Just("127.0.0.1"),
                Just("localhost"), Just("[::1]"), Just("bad host"), Just("co.uk"),
            ]),
            max in 0..5usize,
            already in 0..3usize,
        ) {
            let mut declaration = Declaration::exact(name).category("marketing").partitioned(partitioned);
            if let Some(path) = path {
                declaration = declaration.path(path);
            }
            if let Some(domain) = domain {
                declaration = declaration.domain(domain);
            }
            let built = host_only_deletions(name.as_bytes(), &declaration);
            let host = RequestHost::parse(raw_host.map(str::as_bytes));
            let start = vec![HeaderValue::from_static("x=; Max-Age=0"); already];
            let (mut fresh, mut reused) = (start.clone(), start);
            push_deletions(&mut fresh, max, name.as_bytes(), Some(&declaration), &host, None);
            push_deletions(&mut reused, max, name.as_bytes(), Some(&declaration), &host, Some(&built));
            prop_assert_eq!(fresh, reused);
        }
    }
}
