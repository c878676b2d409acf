//! Ready-made registries for common platforms and third-party tools.
//!
//! Each preset returns a [`RegistryBuilder`](crate::RegistryBuilder) the site extends and
//! then builds. Presets are meant to be merged *after* the site's own entries with
//! [`RegistryBuilder::merge`](crate::RegistryBuilder::merge), so the site's own categories
//! and declarations win:
//!
//! ```
//! use tower_cookie_consent::{presets, Declaration, Registry};
//!
//! let registry = Registry::builder()
//!     .default_categories()
//!     .cookie(Declaration::exact("cart").category("necessary").purpose("Your basket."))
//!     .merge(presets::common_trackers())
//!     .revision(2)
//!     .build()?;
//! assert_eq!(registry.lookup(b"_ga_ABC123").unwrap().service_id(), Some("ga"));
//! # Ok::<(), tower_cookie_consent::ConfigError>(())
//! ```
//!
//! Names, prefixes, providers and durations follow each vendor's own documentation (named
//! in each preset's docs); durations are the vendors' defaults, which sites can often
//! change, and purposes are written in this crate's words. Cookies that a third party sets
//! on its own domain (marked with that `Domain`) never pass through the site's server; they
//! are declared so that the policy page lists them and a banner can offer their service.
//!
//! The same tool has the same service id and the same declarations in every preset (`ga`,
//! `matomo`), so presets merge without duplicates.

mod common_trackers;
mod opendatasoft;

pub use common_trackers::common_trackers;
pub use opendatasoft::{opendatasoft, opendatasoft_consent};

use std::time::Duration;

use crate::Declaration;

const MINUTE: u64 = 60;
const HOUR: u64 = 60 * MINUTE;
const DAY: u64 = 24 * HOUR;

const fn seconds(n: u64) -> Duration {
    Duration::from_secs(n)
}
const fn minutes(n: u64) -> Duration {
    Duration::from_secs(n * MINUTE)
}
const fn hours(n: u64) -> Duration {
    Duration::from_secs(n * HOUR)
}
const fn days(n: u64) -> Duration {
    Duration::from_secs(n * DAY)
}
/// Months of 30 days, as cookie policies (and the CNIL's "13 months") count them.
const fn months(n: u64) -> Duration {
    Duration::from_secs(n * 30 * DAY)
}
const fn years(n: u64) -> Duration {
    Duration::from_secs(n * 365 * DAY)
}

/// Google Analytics, service `ga`: GA4 (gtag.js) and Universal Analytics (analytics.js)
/// cookies, from Google's "\[GA4\] Cookie usage on websites" and "Google Analytics cookie
/// usage on websites" (Universal Analytics) pages.
fn google_analytics(category: &str) -> Vec<Declaration> {
    let ga = |d: Declaration| {
        d.category(category)
            .service("ga")
            .provider("Google")
            .function("Google Analytics")
    };
    vec![
        ga(Declaration::exact("_ga"))
            .purpose("Tells visitors apart with a random identifier (GA4 and Universal Analytics).")
            .duration(years(2)),
        ga(Declaration::prefix("_ga_"))
            .purpose("Keeps the state of the current visit for one GA4 property (_ga_<container-id>).")
            .duration(years(2)),
        ga(Declaration::exact("_gid"))
            .purpose("Tells visitors apart over one day (Universal Analytics).")
            .duration(days(1)),
        ga(Declaration::exact("_gat"))
            .purpose("Limits how fast measurements are sent (Universal Analytics).")
            .duration(minutes(1)),
        ga(Declaration::prefix("_dc_gtm_"))
            .purpose("Limits how fast measurements are sent when Google Analytics is loaded by Google Tag Manager (_dc_gtm_<property-id>).")
            .duration(minutes(1)),
        ga(Declaration::exact("AMP_TOKEN"))
            .purpose("Holds a token to fetch the visitor identifier from the AMP client ID service (30 seconds to 1 year).")
            .duration(years(1)),
    ]
}

/// Matomo, service `matomo`: the JavaScript tracker's first-party cookies, from Matomo's FAQ
/// "What are the cookies created by Matomo JavaScript Tracking client?". The cookie names
/// end with `.<site id>.<domain hash>`, hence patterns. Cookies that only remember a consent
/// or opt-out choice, or test cookie support, hold no identifier and are exempt.
fn matomo(category: &str) -> Vec<Declaration> {
    let pk = |d: Declaration| {
        d.category(category)
            .service("matomo")
            .provider("Matomo")
            .function("Matomo analytics")
    };
    vec![
        pk(Declaration::pattern("_pk_id.*"))
            .purpose(
                "Keeps a random visitor identifier and the dates of the first and last visits.",
            )
            .duration(months(13)),
        pk(Declaration::pattern("_pk_ses.*"))
            .purpose("Groups the pages of one visit.")
            .duration(minutes(30)),
        pk(Declaration::pattern("_pk_ref.*"))
            .purpose("Remembers how the visitor first reached the site (referrer or campaign).")
            .duration(months(6)),
        pk(Declaration::pattern("_pk_cvar.*"))
            .purpose("Keeps custom variables for the current visit.")
            .duration(minutes(30)),
        pk(Declaration::pattern("_pk_hsr.*"))
            .purpose("Keeps heatmap and session-recording state for the current visit.")
            .duration(minutes(30)),
        pk(Declaration::prefix("_pk_testcookie"))
            .purpose(
                "Checks that the browser accepts cookies; deleted at once, holds no identifier.",
            )
            .exempt(),
        pk(Declaration::exact("mtm_consent"))
            .purpose("Remembers that the visitor agreed to be measured; holds no identifier.")
            .duration(years(30))
            .exempt(),
        pk(Declaration::exact("mtm_consent_removed"))
            .purpose("Remembers that the visitor refused to be measured; holds no identifier.")
            .duration(years(30))
            .exempt(),
        pk(Declaration::exact("mtm_cookie_consent"))
            .purpose(
                "Remembers that the visitor agreed to measurement cookies; holds no identifier.",
            )
            .duration(years(30))
            .exempt(),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shared_declarations_are_identical_whatever_the_preset() {
        // The merge deduplicates on the matcher only; the same tool must also say the same
        // thing in both presets.
        let a = opendatasoft().build().unwrap();
        let b = common_trackers().build().unwrap();
        for name in [&b"_ga"[..], b"_ga_X1", b"_pk_id.1.ab", b"mtm_consent"] {
            assert_eq!(
                a.lookup(name),
                b.lookup(name),
                "{}",
                String::from_utf8_lossy(name)
            );
        }
    }

    #[test]
    fn duration_helpers() {
        assert_eq!(months(13), days(390));
        assert_eq!(years(2), days(730));
        assert_eq!(hours(23).as_secs(), 82_800);
        assert_eq!(seconds(30).as_secs(), 30);
    }
}
