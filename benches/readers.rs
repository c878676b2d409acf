//! `readers/<format>`: each consent reader of `src/formats/` on a real-shaped request: the
//! typical 12-cookie `Cookie` field of the overhead bench (about 1 KB), with the format's
//! consent cookie last, read against the typical registry.

#![allow(missing_docs)] // criterion_group! makes public functions

mod common;

use criterion::{criterion_group, criterion_main, Criterion};
use http::header::COOKIE;
use http::{HeaderMap, HeaderValue};
use std::hint::black_box;
use std::time::SystemTime;
use tower_cookie_consent::{ConsentRequest, CookiesPreferences, ReadConsent};

fn headers(cookie: &str) -> HeaderMap {
    let mut headers = HeaderMap::new();
    headers.insert(COOKIE, HeaderValue::from_str(cookie).unwrap());
    headers
}

fn readers(c: &mut Criterion) {
    let registry = common::typical_registry();
    let now = SystemTime::now();
    let mut group = c.benchmark_group("readers");

    // Opendatasoft's percent-encoded JSON of booleans with a millisecond timestamp.
    let reader = CookiesPreferences::new();
    let h = headers(&common::typical_cookie_header());
    let consent = reader.read_consent(&ConsentRequest::at(&h, &registry, now));
    assert!(consent.is_decided());
    assert!(consent.is_category_granted(registry.category_id("statistics").unwrap()));
    group.bench_function("cookies_preferences", |b| {
        b.iter(|| reader.read_consent(&ConsentRequest::at(black_box(&h), &registry, now)))
    });

    group.finish();
}

criterion_group!(benches, readers);
criterion_main!(benches);
