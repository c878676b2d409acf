//! The cookie policy as JSON, for consent banners.

use serde::Serialize;

use super::{declarations_of, effective_consent_required};
use crate::{Match, Registry};

#[derive(Serialize)]
struct PolicyJson<'a> {
    revision: u64,
    categories: Vec<CategoryJson<'a>>,
}

#[derive(Serialize)]
struct CategoryJson<'a> {
    id: &'a str,
    label: &'a str,
    description: &'a str,
    consent_required: bool,
    sale_or_sharing: bool,
    services: Vec<&'a str>,
    cookies: Vec<CookieJson<'a>>,
}

#[derive(Serialize)]
struct CookieJson<'a> {
    name: &'a str,
    #[serde(rename = "match")]
    match_kind: &'static str,
    provider: &'a str,
    function: &'a str,
    purpose: &'a str,
    service: Option<&'a str>,
    consent_required: bool,
    domain: Option<&'a str>,
    path: Option<&'a str>,
    duration_seconds: Option<u64>,
    http_only: bool,
    partitioned: bool,
}

/// Renders the registry as JSON, the document consent banners read to list categories,
/// services and cookies.
///
/// # Schema
///
/// ```text
/// {
///   "revision": u64,                  // Registry::revision
///   "categories": [{                  // registry order
///     "id": str, "label": str, "description": str,
///     "consent_required": bool,       // the category's default
///     "sale_or_sharing": bool,        // switched off by Sec-GPC: 1
///     "services": [str],              // service ids declared in this category
///     "cookies": [{                   // declaration order
///       "name": str,                  // the exact name, prefix or glob pattern
///       "match": "exact" | "prefix" | "pattern",
///       "provider": str, "function": str, "purpose": str,
///       "service": str | null,
///       "consent_required": bool,     // effective: the declaration's override, else the category's
///       "domain": str | null, "path": str | null,
///       "duration_seconds": u64 | null,   // null: a session cookie
///       "http_only": bool, "partitioned": bool
///     }]
///   }]
/// }
/// ```
///
/// Strings are escaped as JSON requires (serde_json); the output is deterministic.
///
/// ```
/// use tower_cookie_consent::{policy, Declaration, Registry};
///
/// let registry = Registry::builder()
///     .default_categories()
///     .cookie(Declaration::exact("_ga").category("statistics").service("ga"))
///     .build()?;
/// let json: serde_json::Value = serde_json::from_str(&policy::to_json(&registry))?;
/// assert_eq!(json["categories"][2]["services"][0], "ga");
/// assert_eq!(json["categories"][2]["cookies"][0]["match"], "exact");
/// assert_eq!(json["categories"][2]["cookies"][0]["duration_seconds"], serde_json::Value::Null);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn to_json(registry: &Registry) -> String {
    let categories = registry
        .categories()
        .iter()
        .map(|category| {
            let services = registry
                .category_id(category.id())
                .map(|id| {
                    registry
                        .services_of(id)
                        .iter()
                        .map(|s| registry.service(s))
                        .collect()
                })
                .unwrap_or_default();
            let cookies = declarations_of(registry, category.id())
                .map(|d| CookieJson {
                    name: d.matcher().as_str(),
                    match_kind: match d.matcher() {
                        Match::Exact(_) => "exact",
                        Match::Prefix(_) => "prefix",
                        _ => "pattern",
                    },
                    provider: d.provider_text(),
                    function: d.function_text(),
                    purpose: d.purpose_text(),
                    service: d.service_id().filter(|s| !s.is_empty()),
                    consent_required: effective_consent_required(registry, d),
                    domain: d.domain_attr(),
                    path: d.path_attr(),
                    duration_seconds: d.duration_value().map(|v| v.as_secs()),
                    http_only: d.is_http_only(),
                    partitioned: d.is_partitioned(),
                })
                .collect();
            CategoryJson {
                id: category.id(),
                label: category.label_text(),
                description: category.description_text(),
                consent_required: category.is_consent_required(),
                sale_or_sharing: category.is_sale_or_sharing(),
                services,
                cookies,
            }
        })
        .collect();
    let policy = PolicyJson {
        revision: registry.revision(),
        categories,
    };
    // Serialising plain strings, numbers and booleans into a String cannot fail.
    serde_json::to_string(&policy).unwrap_or_default()
}
