//! INTERIM: stand-ins for `tower_cookie_consent::presets` and `tower_cookie_consent::policy`,
//! which are being built on the `presets-policy` branch. Replace this whole file with
//! `presets::opendatasoft().merge(presets::common_trackers()).build()?` and
//! `policy::CookiePolicyService` as soon as they are in `main`.

use std::time::Duration;

use serde_json::{json, Value};
use tower_cookie_consent::{Category, ConfigError, Declaration, Registry};

const YEAR: u64 = 365 * 24 * 3600;
const DAY: u64 = 24 * 3600;

/// The platform's categories and cookies, plus the usual third-party trackers.
pub(crate) fn registry() -> Result<Registry, ConfigError> {
    let secs = Duration::from_secs;
    Registry::builder()
        .category(Category::necessary())
        .category(Category::statistics())
        .category(
            Category::new("internal")
                .label("Platform statistics")
                .description("Audience measurement run by the portal itself."),
        )
        .category(
            Category::new("third_party")
                .label("Third-party content")
                .description("Embedded maps, videos and social widgets."),
        )
        .category(Category::functional())
        .category(Category::marketing())
        .cookie(
            Declaration::exact("sessionid")
                .category("necessary")
                .provider("This portal")
                .function("Session")
                .purpose("Keeps you signed in and ties your requests together.")
                .http_only(true),
        )
        .cookie(
            Declaration::exact("csrftoken")
                .category("necessary")
                .provider("This portal")
                .function("Security")
                .purpose("Protects forms against cross-site request forgery.")
                .duration(secs(YEAR)),
        )
        .cookie(
            Declaration::exact("django_language")
                .category("necessary")
                .provider("This portal")
                .function("Language")
                .purpose("Remembers the language you chose.")
                .duration(secs(YEAR)),
        )
        .cookie(
            Declaration::exact("_ga")
                .category("statistics")
                .service("ga")
                .provider("Google")
                .function("Google Analytics")
                .purpose("Distinguishes visitors.")
                .duration(secs(2 * YEAR)),
        )
        .cookie(
            Declaration::prefix("_ga_")
                .category("statistics")
                .service("ga")
                .provider("Google")
                .function("Google Analytics 4")
                .purpose("Keeps the state of an analytics session.")
                .duration(secs(2 * YEAR)),
        )
        .cookie(
            Declaration::exact("_gid")
                .category("statistics")
                .service("ga")
                .provider("Google")
                .function("Google Analytics")
                .purpose("Distinguishes visitors for 24 hours.")
                .duration(secs(DAY)),
        )
        .cookie(
            Declaration::pattern("_pk_id.*")
                .category("statistics")
                .service("matomo")
                .provider("Matomo")
                .function("Matomo Analytics")
                .purpose("Stores a visitor id.")
                .duration(secs(13 * 30 * DAY)),
        )
        .cookie(
            Declaration::pattern("_pk_ses.*")
                .category("statistics")
                .service("matomo")
                .provider("Matomo")
                .function("Matomo Analytics")
                .purpose("Stores the current visit.")
                .duration(secs(1800)),
        )
        .cookie(
            Declaration::exact("_fbp")
                .category("marketing")
                .service("facebook_pixel")
                .provider("Meta")
                .function("Meta Pixel")
                .purpose("Identifies browsers for advertising.")
                .duration(secs(90 * DAY)),
        )
        .build()
}

/// The registry as the policy JSON (`/cookies-policy.json`).
pub(crate) fn policy_json(registry: &Registry) -> Value {
    let categories: Vec<Value> = registry
        .categories()
        .iter()
        .map(|category| {
            let cookies: Vec<Value> = registry
                .declarations()
                .iter()
                .filter(|d| d.category_id() == category.id())
                .map(|d| {
                    json!({
                        "name": d.matcher().as_str(),
                        "match": d.matcher().kind(),
                        "provider": d.provider_text(),
                        "function": d.function_text(),
                        "purpose": d.purpose_text(),
                        "service": d.service_id(),
                        "consent_required": d
                            .consent_required_override()
                            .unwrap_or(category.is_consent_required()),
                        "domain": d.domain_attr(),
                        "path": d.path_attr(),
                        "duration_seconds": d.duration_value().map(|d| d.as_secs()),
                        "http_only": d.is_http_only(),
                        "partitioned": d.is_partitioned(),
                    })
                })
                .collect();
            let mut services: Vec<&str> = Vec::new();
            for d in registry.declarations() {
                if let Some(s) = d.service_id().filter(|_| d.category_id() == category.id()) {
                    if !services.contains(&s) {
                        services.push(s);
                    }
                }
            }
            json!({
                "id": category.id(),
                "label": category.label_text(),
                "description": category.description_text(),
                "consent_required": category.is_consent_required(),
                "sale_or_sharing": category.is_sale_or_sharing(),
                "services": services,
                "cookies": cookies,
            })
        })
        .collect();
    json!({ "revision": registry.revision(), "categories": categories })
}

/// The cookie policy page body (`/cookies-policy`): one table per category.
pub(crate) fn policy_html(registry: &Registry) -> String {
    use super::esc;
    let mut html = String::from("<h1>Cookie policy</h1>\n");
    for category in registry.categories() {
        html.push_str(&format!(
            "<section class=\"policy-category\" id=\"category-{id}\">\n<h2>{label}</h2>\n<p>{desc}</p>\n<p class=\"consent\">{req}</p>\n",
            id = esc(category.id()),
            label = esc(category.label_text()),
            desc = esc(category.description_text()),
            req = if category.is_consent_required() {
                "Set only with your consent."
            } else {
                "Always set: strictly necessary."
            },
        ));
        html.push_str(
            "<table><thead><tr><th>Cookie</th><th>Provider</th><th>Service</th><th>Purpose</th><th>Duration</th></tr></thead><tbody>\n",
        );
        for d in registry
            .declarations()
            .iter()
            .filter(|d| d.category_id() == category.id())
        {
            let name = match d.matcher().kind() {
                "exact" => format!("<code>{}</code>", esc(d.matcher().as_str())),
                kind => format!(
                    "<code>{}</code> <small>({kind})</small>",
                    esc(d.matcher().as_str())
                ),
            };
            let duration = d.duration_value().map_or("session".to_owned(), |d| {
                let s = d.as_secs();
                if s >= DAY {
                    format!("{} days", s / DAY)
                } else {
                    format!("{} minutes", s / 60)
                }
            });
            html.push_str(&format!(
                "<tr><td>{name}</td><td>{}</td><td>{}</td><td>{}</td><td>{duration}</td></tr>\n",
                esc(d.provider_text()),
                esc(d.service_id().unwrap_or("")),
                esc(d.purpose_text()),
            ));
        }
        html.push_str("</tbody></table>\n</section>\n");
    }
    html
}
