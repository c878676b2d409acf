//! The cookie policy page, rendered from the [`Registry`]: what a site documents and what it
//! enforces come from one source.
//!
//! - [`render_html_fragment`] and [`render_html_page`]: the policy as HTML, grouped by consent
//!   category, every field escaped;
//! - [`to_json`]: the same content as JSON, for consent banners;
//! - [`CookiePolicyService`]: a tower service that serves both, with `ETag` and
//!   `Cache-Control`.
//!
//! ```
//! use tower_cookie_consent::{policy, presets};
//!
//! let registry = presets::opendatasoft().revision(3).build()?;
//! let html = policy::render_html_fragment(&registry);
//! assert!(html.contains("<code>sessionid</code>"));
//! let json: serde_json::Value = serde_json::from_str(&policy::to_json(&registry))?;
//! assert_eq!(json["revision"], 3);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod html;
mod json;
mod service;

pub use html::{escape_html, human_duration, render_html_fragment, render_html_page, PageOptions};
pub use json::to_json;
pub use service::CookiePolicyService;

use crate::{Declaration, Registry};

/// Whether a declared cookie needs consent once the category default and the declaration's
/// own override are combined.
fn effective_consent_required(registry: &Registry, declaration: &Declaration) -> bool {
    declaration.consent_required_override().unwrap_or_else(|| {
        registry
            .category_id(declaration.category_id())
            .map(|id| registry.category(id).is_consent_required())
            // A built registry always knows the category; fail closed if not.
            .unwrap_or(true)
    })
}

/// The declarations of one category, in declaration order.
fn declarations_of<'a>(
    registry: &'a Registry,
    category: &'a str,
) -> impl Iterator<Item = &'a Declaration> + 'a {
    registry
        .declarations()
        .iter()
        .filter(move |d| d.category_id() == category)
}
