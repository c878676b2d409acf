//! The registry file schema as private serde types that map onto the public builder types.
//!
//! [`Declaration`] has no serde derive of its own: files go through [`CookieFields`] (every
//! key a `[[cookie]]` table may hold) and [`CookieEntry`] (the checked declaration), so the
//! public type stays free of serde and the file format can evolve on its own.

use std::fmt;
use std::marker::PhantomData;
use std::time::Duration;

use serde::de::value::MapAccessDeserializer;
use serde::de::{MapAccess, Visitor};
use serde::{Deserialize, Deserializer, Serialize};

use crate::category::Category;
use crate::declaration::{Declaration, Match};
use crate::registry::{Registry, RegistryBuilder};

/// Reads `T` only from a map (a TOML table, a JSON object). serde's derive would also read a
/// struct positionally from an array (`[1]` as `{"revision": 1}`), which no registry file
/// means; this refuses it as a wrong type.
#[derive(Debug)]
pub(super) struct MapOnly<T>(pub(super) T);

impl<'de, T: Deserialize<'de>> Deserialize<'de> for MapOnly<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct MapVisitor<T>(PhantomData<T>);

        impl<'de, T: Deserialize<'de>> Visitor<'de> for MapVisitor<T> {
            type Value = MapOnly<T>;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a table (an object in JSON)")
            }

            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
                T::deserialize(MapAccessDeserializer::new(map)).map(MapOnly)
            }
        }

        deserializer.deserialize_map(MapVisitor(PhantomData))
    }
}

/// A whole registry file. `K` and `C` are the category and cookie entries, wrapped by the
/// TOML reader in `toml::Spanned` so that errors can point at an entry's line.
#[derive(Debug, Deserialize)]
#[serde(
    deny_unknown_fields,
    bound(deserialize = "K: Deserialize<'de>, C: Deserialize<'de>")
)]
pub(super) struct Document<K, C> {
    #[serde(default)]
    pub(super) revision: u64,
    #[serde(default = "Vec::new", rename = "category")]
    pub(super) categories: Vec<K>,
    #[serde(default = "Vec::new", rename = "cookie")]
    pub(super) cookies: Vec<C>,
}

/// Every key of a `[[cookie]]` table, as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct CookieFields {
    name: Option<String>,
    prefix: Option<String>,
    pattern: Option<String>,
    category: String,
    service: Option<String>,
    #[serde(default)]
    provider: String,
    #[serde(default)]
    function: String,
    #[serde(default)]
    purpose: String,
    consent_required: Option<bool>,
    domain: Option<String>,
    path: Option<String>,
    /// Seconds; absent for a session cookie.
    duration: Option<u64>,
    #[serde(default)]
    http_only: bool,
    #[serde(default)]
    partitioned: bool,
}

/// One `[[cookie]]` table, checked: exactly one of `name`, `prefix` or `pattern`.
///
/// The check runs inside deserialisation (`try_from`), so the format reports its error at
/// the entry's position, like any other schema error.
#[derive(Debug, Deserialize)]
#[serde(try_from = "MapOnly<CookieFields>")]
pub(super) struct CookieEntry(pub(super) Declaration);

impl TryFrom<MapOnly<CookieFields>> for CookieEntry {
    type Error = String;

    fn try_from(MapOnly(fields): MapOnly<CookieFields>) -> Result<Self, String> {
        let matcher = match (fields.name, fields.prefix, fields.pattern) {
            (Some(name), None, None) => Match::Exact(name),
            (None, Some(prefix), None) => Match::Prefix(prefix),
            (None, None, Some(pattern)) => Match::Pattern(pattern),
            (None, None, None) => {
                return Err(
                    "a cookie needs one of `name`, `prefix` or `pattern`, and has none".into(),
                )
            }
            (name, prefix, pattern) => {
                let set: Vec<String> = [("name", name), ("prefix", prefix), ("pattern", pattern)]
                    .into_iter()
                    .filter_map(|(key, value)| value.map(|v| format!("`{key}` (`{v}`)")))
                    .collect();
                return Err(format!(
                    "a cookie takes exactly one of `name`, `prefix` or `pattern`, and this one has {}",
                    set.join(" and ")
                ));
            }
        };
        let mut declaration = Declaration::new(matcher)
            .category(fields.category)
            .provider(fields.provider)
            .function(fields.function)
            .purpose(fields.purpose)
            .http_only(fields.http_only)
            .partitioned(fields.partitioned);
        declaration.service = fields.service;
        declaration.consent_required = fields.consent_required;
        declaration.domain = fields.domain;
        declaration.path = fields.path;
        declaration.duration = fields.duration.map(Duration::from_secs);
        Ok(Self(declaration))
    }
}

/// A registry file being written.
#[derive(Debug, Serialize)]
pub(super) struct DocumentOut<'a> {
    revision: u64,
    category: &'a [Category],
    cookie: Vec<CookieOut<'a>>,
}

/// One `[[cookie]]` table being written: keys with their default value are left out.
#[derive(Debug, Serialize)]
struct CookieOut<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    name: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    prefix: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pattern: Option<&'a str>,
    category: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    service: Option<&'a str>,
    #[serde(skip_serializing_if = "str::is_empty")]
    provider: &'a str,
    #[serde(skip_serializing_if = "str::is_empty")]
    function: &'a str,
    #[serde(skip_serializing_if = "str::is_empty")]
    purpose: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    consent_required: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    domain: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    path: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    duration: Option<u64>,
    #[serde(skip_serializing_if = "is_false")]
    http_only: bool,
    #[serde(skip_serializing_if = "is_false")]
    partitioned: bool,
}

fn is_false(value: &bool) -> bool {
    !*value
}

impl<'a> DocumentOut<'a> {
    pub(super) fn new(registry: &'a Registry) -> Self {
        Self {
            revision: registry.revision(),
            category: registry.categories(),
            cookie: registry.declarations().iter().map(CookieOut::new).collect(),
        }
    }
}

impl<'a> CookieOut<'a> {
    fn new(d: &'a Declaration) -> Self {
        let (mut name, mut prefix, mut pattern) = (None, None, None);
        match &d.matcher {
            Match::Exact(s) => name = Some(s.as_str()),
            Match::Prefix(s) => prefix = Some(s.as_str()),
            Match::Pattern(s) => pattern = Some(s.as_str()),
        }
        Self {
            name,
            prefix,
            pattern,
            category: &d.category,
            service: d.service.as_deref(),
            provider: &d.provider,
            function: &d.function,
            purpose: &d.purpose,
            consent_required: d.consent_required,
            domain: d.domain.as_deref(),
            path: d.path.as_deref(),
            duration: d.duration.map(|d| d.as_secs()),
            http_only: d.http_only,
            partitioned: d.partitioned,
        }
    }
}

/// The builder for a parsed document.
pub(super) fn builder(
    revision: u64,
    categories: impl IntoIterator<Item = Category>,
    cookies: impl IntoIterator<Item = Declaration>,
) -> RegistryBuilder {
    let mut builder = Registry::builder().revision(revision);
    for category in categories {
        builder = builder.category(category);
    }
    builder.cookies(cookies)
}

/// How an entry is named in messages: `cookie declaration #2 (`_ga`)`, `category #0 (`x`)`,
/// numbered from 0 as in [`ConfigError`](crate::ConfigError).
pub(super) fn describe_cookie(index: usize, name: Option<&str>) -> String {
    match name {
        Some(name) => format!("cookie declaration #{index} (`{name}`)"),
        None => format!("cookie declaration #{index}"),
    }
}

/// See [`describe_cookie`].
pub(super) fn describe_category(index: usize, id: Option<&str>) -> String {
    match id {
        Some(id) => format!("category #{index} (`{id}`)"),
        None => format!("category #{index}"),
    }
}
