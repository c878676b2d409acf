//! `lookup/<kind>/<size>`: `Registry::lookup` of one cookie-name in registries of 10, 100,
//! 1,000 and 10,000 declarations. Issue 7's target: at 10,000 at most 1.5 × the time at 10,
//! for every kind.
//!
//! - `exact`: `size` exact names; the name looked up is one of them.
//! - `prefix`: `size` prefixes; the name looked up starts with one of them.
//! - `pattern`: `size` globs; the name looked up matches one of them (the last declared).
//! - `miss`: `size` declarations, 80 % exact, 15 % prefixes, 5 % globs (at least one of each
//!   kind); the name looked up matches none, so every stage runs.
//!
//! Numbers are zero-padded so that the names looked up have the same length at every size.

#![allow(missing_docs)] // criterion_group! makes public functions

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use std::hint::black_box;
use tower_cookie_consent::{Declaration, Registry};

const SIZES: [usize; 4] = [10, 100, 1_000, 10_000];

fn exact(i: usize) -> Declaration {
    Declaration::exact(format!("site_cookie_{i:05}")).category("functional")
}

fn prefix(i: usize) -> Declaration {
    Declaration::prefix(format!("vendor{i:05}_")).category("marketing")
}

fn pattern(i: usize) -> Declaration {
    Declaration::pattern(format!("tag{i:05}_*_v?")).category("statistics")
}

fn registry(declarations: impl IntoIterator<Item = Declaration>) -> Registry {
    Registry::builder()
        .default_categories()
        .cookies(declarations)
        .build()
        .expect("bench registry")
}

fn lookup(c: &mut Criterion) {
    let mut group = c.benchmark_group("lookup");
    for size in SIZES {
        let cases: [(&str, Registry, String, bool); 4] = [
            (
                "exact",
                registry((0..size).map(exact)),
                format!("site_cookie_{:05}", size / 2),
                true,
            ),
            (
                "prefix",
                registry((0..size).map(prefix)),
                format!("vendor{:05}_uid", size / 2),
                true,
            ),
            (
                "pattern",
                registry((0..size).map(pattern)),
                format!("tag{:05}_0123456789abcdef_v2", size - 1),
                true,
            ),
            (
                "miss",
                registry((0..size).map(|i| match i % 20 {
                    0 => pattern(i),
                    1..=3 => prefix(i),
                    _ => exact(i),
                })),
                "promo_banner_seen".to_owned(),
                false,
            ),
        ];
        for (kind, registry, name, hit) in cases {
            assert_eq!(
                registry.lookup(name.as_bytes()).is_some(),
                hit,
                "{kind}/{size}"
            );
            group.bench_with_input(BenchmarkId::new(kind, size), name.as_bytes(), |b, name| {
                b.iter(|| registry.lookup(black_box(name)).is_some())
            });
        }
    }
    group.finish();
}

criterion_group!(benches, lookup);
criterion_main!(benches);
