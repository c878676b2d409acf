//! The `hostile` criterion group (issue 8, bounded cost): each oversized or deeply nested
//! input at three sizes, so that time can be seen to grow linearly with size.
//!
//! Run with `cargo bench --bench hostile` (niced on a shared machine). Throughput is given in
//! bytes of hostile input, so a flat MiB/s across sizes means linear time.
// `criterion_group!` generates an undocumented `pub fn`.
#![allow(missing_docs)]

use std::hint::black_box;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, BatchSize, BenchmarkId, Criterion, Throughput};
use http::header::{COOKIE, SET_COOKIE};
use http::{HeaderMap, HeaderValue};
use tower_cookie_consent::{
    parse_set_cookie, CookieConsentLayer, Declaration, Enforcer, Registry, RequestCookies,
    SetCookie,
};

fn enforcer() -> Enforcer {
    let registry = Registry::builder()
        .default_categories()
        .cookie(Declaration::exact("sessionid").category("necessary"))
        .cookie(
            Declaration::exact("_ga")
                .category("statistics")
                .service("ga"),
        )
        .cookie(
            Declaration::prefix("_ga_")
                .category("statistics")
                .service("ga"),
        )
        .cookie(
            Declaration::pattern("_pk_id.*")
                .category("statistics")
                .service("matomo"),
        )
        .cookie(Declaration::exact("_fbp").category("marketing"))
        .build()
        .unwrap();
    CookieConsentLayer::builder(registry)
        .build_enforcer()
        .unwrap()
}

/// A `Cookie` field of `pairs` pairs of ~32 bytes (2,000 pairs = 64 KB), the consent cookie
/// last so that every pair is read.
fn cookie_header(pairs: usize) -> HeaderMap {
    let mut field = String::with_capacity(pairs * 32);
    for i in 0..pairs.saturating_sub(1) {
        field.push_str(&format!("cookie_{i:06}=v{i:020}; "));
    }
    field.push_str(r#"cookies_preferences={"statistics":true}"#);
    let mut headers = HeaderMap::new();
    headers.insert(COOKIE, HeaderValue::from_str(&field).unwrap());
    headers
}

/// A consent cookie whose value is `bytes` long (a JSON object with one long string).
fn huge_consent(bytes: usize) -> HeaderMap {
    let value = format!(r#"{{"statistics":true,"x":"{}"}}"#, "a".repeat(bytes));
    let mut headers = HeaderMap::new();
    headers.insert(
        COOKIE,
        HeaderValue::from_str(&format!("cookies_preferences={value}")).unwrap(),
    );
    headers
}

/// `count` Set-Cookie values, a mix of kept, removed and deleted cookies.
fn set_cookies(count: usize) -> HeaderMap {
    let mut headers = HeaderMap::new();
    for i in 0..count {
        let v = match i % 4 {
            0 => format!("sessionid=s{i}; HttpOnly; Path=/"),
            1 => format!("_ga_{i}=GA1.1.{i}; Max-Age=63072000; Path=/"),
            2 => format!("_fbp=fb.{i}; Expires=Tue, 22 Jun 2077 10:00:00 GMT"),
            _ => format!("unknown_{i}=1; Max-Age=0"),
        };
        headers.append(SET_COOKIE, HeaderValue::from_str(&v).unwrap());
    }
    headers
}

/// A consent cookie holding JSON nested `depth` levels deep (`{"a":[[[…]]]}`).
fn deep_json(depth: usize) -> HeaderMap {
    let value = format!(r#"{{"a":{}{}}}"#, "[".repeat(depth), "]".repeat(depth));
    let mut headers = HeaderMap::new();
    headers.insert(
        COOKIE,
        HeaderValue::from_str(&format!("cookies_preferences={value}")).unwrap(),
    );
    headers
}

fn hostile(c: &mut Criterion) {
    let enforcer = enforcer();
    let mut group = c.benchmark_group("hostile");
    group
        .sample_size(20)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2));

    for pairs in [500, 1_000, 2_000] {
        let headers = cookie_header(pairs);
        group.throughput(Throughput::Bytes(headers[COOKIE].len() as u64));
        group.bench_with_input(
            BenchmarkId::new("cookie_header_pairs", pairs),
            &headers,
            |b, h| {
                b.iter(|| {
                    let n = RequestCookies::new(black_box(h)).iter().count();
                    (n, enforcer.read_consent(h))
                })
            },
        );
    }

    for bytes in [256 << 10, 512 << 10, 1 << 20] {
        let headers = huge_consent(bytes);
        group.throughput(Throughput::Bytes(headers[COOKIE].len() as u64));
        group.bench_with_input(
            BenchmarkId::new("consent_value_bytes", bytes),
            &headers,
            |b, h| b.iter(|| enforcer.read_consent(black_box(h))),
        );
    }

    // Every CMP reader on a 256 KiB and a 1 MiB value of its own cookie.
    {
        use tower_cookie_consent::formats::{
            Complianz, CookieYes, Cookiebot, DjangoCookieConsent, Klaro, OneTrust, Tarteaucitron,
            Tcf, VanillaCookieConsent,
        };
        use tower_cookie_consent::{ConsentRequest, CookiesPreferences, ReadConsent};
        let readers: Vec<(&str, Box<dyn ReadConsent>)> = vec![
            ("cookies_preferences", Box::new(CookiesPreferences::new())),
            ("cookiebot", Box::new(Cookiebot::new())),
            ("onetrust", Box::new(OneTrust::new())),
            ("klaro", Box::new(Klaro::new())),
            (
                "vanilla_cookieconsent",
                Box::new(VanillaCookieConsent::new()),
            ),
            ("tarteaucitron", Box::new(Tarteaucitron::new())),
            ("cookieyes", Box::new(CookieYes::new())),
            ("complianz", Box::new(Complianz::new())),
            (
                "django_cookie_consent",
                Box::new(DjangoCookieConsent::new()),
            ),
            ("tcf", Box::new(Tcf::new())),
        ];
        let registry = enforcer.registry();
        for (label, reader) in &readers {
            let name = reader.consent_cookie_names().remove(0);
            for bytes in [256 << 10, 1 << 20] {
                let mut headers = HeaderMap::new();
                let field = format!("{name}={}", "a".repeat(bytes));
                headers.insert(COOKIE, HeaderValue::from_str(&field).unwrap());
                group.throughput(Throughput::Bytes(field.len() as u64));
                group.bench_with_input(
                    BenchmarkId::new(format!("reader_{label}"), bytes),
                    &headers,
                    |b, h| {
                        b.iter(|| reader.read_consent(&ConsentRequest::new(black_box(h), registry)))
                    },
                );
            }
        }
    }

    for count in [250, 500, 1_000] {
        let headers = set_cookies(count);
        let consent = enforcer.read_consent(&cookie_header(1));
        let bytes: usize = headers.get_all(SET_COOKIE).iter().map(|v| v.len()).sum();
        group.throughput(Throughput::Bytes(bytes as u64));
        group.bench_with_input(
            BenchmarkId::new("set_cookie_values", count),
            &headers,
            |b, h| {
                b.iter_batched_ref(
                    || h.clone(),
                    |h| enforcer.filter(h, &consent),
                    BatchSize::SmallInput,
                )
            },
        );
        group.bench_with_input(
            BenchmarkId::new("set_cookie_names", count),
            &headers,
            |b, h| {
                b.iter(|| {
                    h.get_all(SET_COOKIE)
                        .iter()
                        .filter(|v| {
                            matches!(
                                parse_set_cookie(black_box(v.as_bytes())),
                                SetCookie::Cookie { .. }
                            )
                        })
                        .count()
                })
            },
        );
    }

    for depth in [2_500, 5_000, 10_000] {
        let headers = deep_json(depth);
        group.throughput(Throughput::Bytes(headers[COOKIE].len() as u64));
        group.bench_with_input(BenchmarkId::new("json_depth", depth), &headers, |b, h| {
            b.iter(|| enforcer.read_consent(black_box(h)))
        });
    }

    for depth in [2_500, 5_000, 10_000] {
        let json = format!(
            r#"{{"revision":0,"x":{}{}}}"#,
            "[".repeat(depth),
            "]".repeat(depth)
        );
        group.throughput(Throughput::Bytes(json.len() as u64));
        group.bench_with_input(
            BenchmarkId::new("registry_json_depth", depth),
            &json,
            |b, j| b.iter(|| Registry::from_json_str(black_box(j)).is_err()),
        );
        let toml = format!("x = {}{}\n", "[".repeat(depth), "]".repeat(depth));
        group.throughput(Throughput::Bytes(toml.len() as u64));
        group.bench_with_input(
            BenchmarkId::new("registry_toml_depth", depth),
            &toml,
            |b, t| b.iter(|| Registry::from_toml_str(black_box(t)).is_err()),
        );
    }

    group.finish();
}

criterion_group!(benches, hostile);
criterion_main!(benches);
