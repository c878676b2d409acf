//! The cookies of the most widespread third-party tools.

use super::{days, google_analytics, hours, matomo, minutes, months, years};
use crate::{Declaration, RegistryBuilder};

/// The cookies of the most widespread third-party tools, in the four default categories
/// ([`default_categories`](RegistryBuilder::default_categories): `necessary`, `functional`,
/// `statistics`, `marketing`).
///
/// | service | tool | category | cookies | source |
/// |---|---|---|---|---|
/// | `ga` | Google Analytics 4 and Universal Analytics | statistics | `_ga`, `_ga_*`, `_gid`, `_gat`, `_dc_gtm_*`, `AMP_TOKEN` | Google, "\[GA4\] Cookie usage on websites"; "Google Analytics cookie usage on websites" |
/// | `google_ads` | Google Ads, Ad Manager, DoubleClick | marketing | `_gcl_au`, `_gcl_aw`, `_gcl_dc`, `_gac_*`, `__gads`, `__gpi`; on `doubleclick.net`: `IDE`, `DSID`, `test_cookie` | Google, "Our advertising and measurement cookies" |
/// | `meta_pixel` | Meta Pixel | marketing | `_fbp`, `_fbc`; on `facebook.com`: `fr` | Meta for Developers, "About cookie settings for your Meta Pixel" / "fbp and fbc parameters" |
/// | `clarity` | Microsoft Clarity | statistics | `_clck`, `_clsk`; on `clarity.ms`: `CLID`, `ANONCHK`, `MR`, `SM` | Microsoft Learn, "Clarity cookies" |
/// | `microsoft_ads` | Microsoft Advertising (Bing Ads) UET tag | marketing | `_uetsid`, `_uetvid`, `_uetmsclkid`; on `bing.com`: `MUID` (also read by Clarity) | Microsoft Advertising help, "UET cookies" |
/// | `hotjar` | Hotjar | statistics | `_hjSessionUser_*`, `_hjSession_*`, `_hjid`, `_hjFirstSeen`, `_hjAbsoluteSessionInProgress`, `_hjIncludedIn*`, other `_hj*` | Hotjar help centre, "Cookies set by the Hotjar tracking code" |
/// | `matomo` | Matomo | statistics | `_pk_id.*`, `_pk_ses.*`, `_pk_ref.*`, `_pk_cvar.*`, `_pk_hsr.*`, `_pk_testcookie*`, `mtm_consent`, `mtm_consent_removed`, `mtm_cookie_consent` | Matomo FAQ, "What are the cookies created by Matomo JavaScript Tracking client?" |
/// | `hubspot` | HubSpot | marketing (tracking), necessary (consent banner) | `__hstc`, `hubspotutk`, `__hssc`, `__hssrc`; `__hs_opt_out`, `__hs_do_not_track`, `__hs_cookie_cat_pref`, `__hs_initial_opt_in` | HubSpot knowledge base, "Cookies set in a HubSpot user's browser" |
/// | `linkedin` | LinkedIn Insight Tag | marketing | `li_fat_id`; on `linkedin.com`: `li_sugr`, `bcookie`, `lidc`, `UserMatchHistory`, `AnalyticsSyncHistory` | LinkedIn, "LinkedIn Cookie Table" |
/// | `tiktok` | TikTok Pixel | marketing | `_ttp`, `_tt_enable_cookie`, `ttcsid*` | TikTok Business Help Center, "About using cookies with TikTok Pixel" |
/// | `stripe` | Stripe.js | necessary | `__stripe_mid`, `__stripe_sid` | Stripe, "Cookies and similar technologies" |
/// | `cloudflare` | Cloudflare | necessary | `__cf_bm`, `cf_clearance`, `__cflb`, `_cfuvid` | Cloudflare docs, "Cloudflare Cookies" |
/// | `intercom` | Intercom Messenger | functional | `intercom-id-*`, `intercom-session-*`, `intercom-device-id-*` | Intercom help, "Intercom Messenger Cookies" |
/// | `youtube` | YouTube embeds | marketing | on `youtube.com`: `YSC`, `VISITOR_INFO1_LIVE`, `VISITOR_PRIVACY_METADATA`, `PREF` | Google, "How Google uses cookies" |
///
/// Durations are the vendors' defaults (many are configurable); where a vendor gives a
/// range, the longest is declared. Cookies a tool sets on its own domain carry that
/// `Domain`: the site's server never sees them, but the policy page lists them and a banner
/// can offer their service. Matomo and Google Analytics are declared exactly as in
/// [`opendatasoft`](super::opendatasoft), so the two presets merge:
///
/// ```
/// use tower_cookie_consent::presets;
///
/// let registry = presets::opendatasoft().merge(presets::common_trackers()).build()?;
/// assert_eq!(registry.lookup(b"_fbp").unwrap().service_id(), Some("meta_pixel"));
/// assert_eq!(registry.lookup(b"_ga").unwrap().category_id(), "statistics");
/// # Ok::<(), tower_cookie_consent::ConfigError>(())
/// ```
pub fn common_trackers() -> RegistryBuilder {
    let tool = |category: &'static str,
                service: &'static str,
                provider: &'static str,
                function: &'static str| {
        move |d: Declaration| {
            d.category(category)
                .service(service)
                .provider(provider)
                .function(function)
        }
    };
    let ads = tool(
        "marketing",
        "google_ads",
        "Google",
        "Google Ads / DoubleClick",
    );
    let meta = tool("marketing", "meta_pixel", "Meta", "Meta Pixel");
    let clarity = tool("statistics", "clarity", "Microsoft", "Microsoft Clarity");
    let uet = tool(
        "marketing",
        "microsoft_ads",
        "Microsoft",
        "Microsoft Advertising (Bing Ads) UET tag",
    );
    let hotjar = tool("statistics", "hotjar", "Hotjar", "Hotjar");
    let hubspot = tool("marketing", "hubspot", "HubSpot", "HubSpot tracking code");
    let hubspot_banner = tool(
        "necessary",
        "hubspot",
        "HubSpot",
        "HubSpot cookie consent banner",
    );
    let linkedin = tool("marketing", "linkedin", "LinkedIn", "LinkedIn Insight Tag");
    let tiktok = tool("marketing", "tiktok", "TikTok", "TikTok Pixel");
    let stripe = tool("necessary", "stripe", "Stripe", "Stripe.js payments");
    let cloudflare = tool("necessary", "cloudflare", "Cloudflare", "Cloudflare");
    let intercom = tool("functional", "intercom", "Intercom", "Intercom Messenger");
    let youtube = tool(
        "marketing",
        "youtube",
        "Google (YouTube)",
        "YouTube embedded videos",
    );

    crate::Registry::builder()
        .default_categories()
        .cookies(google_analytics("statistics"))
        .cookies([
            ads(Declaration::exact("_gcl_au"))
                .purpose("Links ad clicks to conversions on this site (conversion linker).")
                .duration(days(90)),
            ads(Declaration::exact("_gcl_aw"))
                .purpose("Keeps the Google Ads click identifier to attribute conversions.")
                .duration(days(90)),
            ads(Declaration::exact("_gcl_dc"))
                .purpose("Keeps the Campaign Manager / Display & Video 360 click identifier.")
                .duration(days(90)),
            ads(Declaration::prefix("_gac_"))
                .purpose("Keeps campaign information for Google Ads when linked to Google Analytics (_gac_<property-id>).")
                .duration(days(90)),
            ads(Declaration::exact("__gads"))
                .purpose("Measures ad views and limits how often the same ad is shown.")
                .duration(months(13)),
            ads(Declaration::exact("__gpi"))
                .purpose("Measures ad views and limits how often the same ad is shown.")
                .duration(months(13)),
            ads(Declaration::exact("IDE"))
                .domain("doubleclick.net")
                .purpose("Identifies the browser across sites to personalise and measure ads.")
                .duration(months(13)),
            ads(Declaration::exact("DSID"))
                .domain("doubleclick.net")
                .purpose("Links ad activity across devices of a signed-in Google user.")
                .duration(days(14)),
            ads(Declaration::exact("test_cookie"))
                .domain("doubleclick.net")
                .purpose("Checks whether the browser accepts cookies.")
                .duration(minutes(15)),
            meta(Declaration::exact("_fbp"))
                .purpose("Identifies the browser to measure and target Meta ads.")
                .duration(days(90)),
            meta(Declaration::exact("_fbc"))
                .purpose("Keeps the click identifier of the Meta ad that brought the visitor.")
                .duration(days(90)),
            meta(Declaration::exact("fr"))
                .domain("facebook.com")
                .purpose("Identifies the browser to deliver, measure and improve Meta ads.")
                .duration(days(90)),
            clarity(Declaration::exact("_clck"))
                .purpose("Keeps the Clarity user identifier and preferences on this site.")
                .duration(years(1)),
            clarity(Declaration::exact("_clsk"))
                .purpose("Groups page views into one Clarity session recording.")
                .duration(days(1)),
            clarity(Declaration::exact("CLID"))
                .domain("clarity.ms")
                .purpose("Identifies the first time Clarity saw this browser on any site using it.")
                .duration(years(1)),
            clarity(Declaration::exact("ANONCHK"))
                .domain("clarity.ms")
                .purpose("Tells Clarity whether the Microsoft identifier may be passed on to advertising.")
                .duration(minutes(10)),
            clarity(Declaration::exact("MR"))
                .domain("clarity.ms")
                .purpose("Tells Microsoft whether to refresh the MUID identifier.")
                .duration(days(7)),
            clarity(Declaration::exact("SM"))
                .domain("clarity.ms")
                .purpose("Synchronises the MUID identifier across Microsoft domains.")
                ,
            uet(Declaration::exact("_uetsid"))
                .purpose("Groups this visit's actions for Microsoft Advertising conversion tracking.")
                .duration(days(1)),
            uet(Declaration::exact("_uetvid"))
                .purpose("Recognises the browser across visits for Microsoft Advertising.")
                .duration(months(13)),
            uet(Declaration::exact("_uetmsclkid"))
                .purpose("Keeps the Microsoft Advertising click identifier to attribute conversions.")
                .duration(days(90)),
            uet(Declaration::exact("MUID"))
                .domain("bing.com")
                .purpose("Identifies the browser across Microsoft sites, for advertising and for Clarity.")
                .duration(months(13)),
            hotjar(Declaration::prefix("_hjSessionUser_"))
                .purpose("Keeps a random Hotjar user identifier for this site (_hjSessionUser_<site id>).")
                .duration(years(1)),
            hotjar(Declaration::prefix("_hjSession_"))
                .purpose("Groups the pages of the current visit (_hjSession_<site id>).")
                .duration(minutes(30)),
            hotjar(Declaration::exact("_hjid"))
                .purpose("Keeps a random Hotjar user identifier (older tracking code).")
                .duration(years(1)),
            hotjar(Declaration::exact("_hjFirstSeen"))
                .purpose("Marks the first visit of a new user.")
                .duration(minutes(30)),
            hotjar(Declaration::exact("_hjAbsoluteSessionInProgress"))
                .purpose("Detects the first page view of a visit.")
                .duration(minutes(30)),
            hotjar(Declaration::prefix("_hjIncludedIn"))
                .purpose("Records whether the visit is part of the sample Hotjar collects.")
                .duration(minutes(30)),
            hotjar(Declaration::prefix("_hj"))
                .purpose("Other Hotjar cookies: survey, poll and feedback widget state, storage tests.")
                .duration(years(1)),
        ])
        .cookies(matomo("statistics"))
        .cookies([
            hubspot(Declaration::exact("__hstc"))
                .purpose("Tracks visits: the first, last and current visit times and the visit count.")
                .duration(months(6)),
            hubspot(Declaration::exact("hubspotutk"))
                .purpose("Keeps the visitor's identity, linked to a contact record when a form is sent.")
                .duration(months(6)),
            hubspot(Declaration::exact("__hssc"))
                .purpose("Counts the pages of the current visit.")
                .duration(minutes(30)),
            hubspot(Declaration::exact("__hssrc"))
                .purpose("Detects that the browser was restarted, to start a new visit."),
            hubspot_banner(Declaration::exact("__hs_opt_out"))
                .purpose("Remembers that the visitor refused cookies, so the banner is not shown again.")
                .duration(months(6)),
            hubspot_banner(Declaration::exact("__hs_do_not_track"))
                .purpose("Stops the tracking code from sending any information.")
                .duration(months(6)),
            hubspot_banner(Declaration::exact("__hs_cookie_cat_pref"))
                .purpose("Remembers the categories the visitor consented to.")
                .duration(months(6)),
            hubspot_banner(Declaration::exact("__hs_initial_opt_in"))
                .purpose("Keeps the banner from re-appearing in strict opt-in mode.")
                .duration(days(7)),
            linkedin(Declaration::exact("li_fat_id"))
                .purpose("Keeps the identifier of the LinkedIn ad click that brought the visitor.")
                .duration(days(30)),
            linkedin(Declaration::exact("li_sugr"))
                .domain("linkedin.com")
                .purpose("Matches the browser with LinkedIn members for ad measurement.")
                .duration(days(90)),
            linkedin(Declaration::exact("bcookie"))
                .domain("linkedin.com")
                .purpose("Identifies the browser on LinkedIn.")
                .duration(years(1)),
            linkedin(Declaration::exact("lidc"))
                .domain("linkedin.com")
                .purpose("Chooses a LinkedIn data centre.")
                .duration(days(1)),
            linkedin(Declaration::exact("UserMatchHistory"))
                .domain("linkedin.com")
                .purpose("Synchronises LinkedIn ad identifiers.")
                .duration(days(30)),
            linkedin(Declaration::exact("AnalyticsSyncHistory"))
                .domain("linkedin.com")
                .purpose("Records when identifiers were last synchronised with LinkedIn.")
                .duration(days(30)),
            tiktok(Declaration::exact("_ttp"))
                .purpose("Identifies the browser to measure and target TikTok ads.")
                .duration(months(13)),
            tiktok(Declaration::exact("_tt_enable_cookie"))
                .purpose("Checks whether the browser accepts TikTok cookies.")
                .duration(months(13)),
            tiktok(Declaration::prefix("ttcsid"))
                .purpose("Groups the events of one visit for TikTok conversion tracking.")
                .duration(months(13)),
            stripe(Declaration::exact("__stripe_mid"))
                .purpose("Helps Stripe detect fraud during payments.")
                .duration(years(1)),
            stripe(Declaration::exact("__stripe_sid"))
                .purpose("Helps Stripe detect fraud during the current payment session.")
                .duration(minutes(30)),
            cloudflare(Declaration::exact("__cf_bm"))
                .purpose("Tells people from bots (Cloudflare bot management).")
                .duration(minutes(30))
                .http_only(true),
            cloudflare(Declaration::exact("cf_clearance"))
                .purpose("Records that the browser passed a Cloudflare challenge; kept for the site's challenge passage time, 30 minutes by default and at most 1 year.")
                .duration(years(1))
                .http_only(true),
            cloudflare(Declaration::exact("__cflb"))
                .purpose("Keeps the visitor on the same server (Cloudflare load balancing session affinity), from a few seconds up to 24 hours as the site sets it.")
                .duration(hours(24))
                .http_only(true),
            cloudflare(Declaration::exact("_cfuvid"))
                .purpose("Tells apart visitors sharing an IP address for rate limiting.")
                .http_only(true),
            intercom(Declaration::prefix("intercom-id-"))
                .purpose("Keeps an anonymous visitor identifier for the chat messenger (intercom-id-<app id>).")
                .duration(months(9)),
            intercom(Declaration::prefix("intercom-session-"))
                .purpose("Keeps the messenger session, so conversations stay open (intercom-session-<app id>).")
                .duration(days(7)),
            intercom(Declaration::prefix("intercom-device-id-"))
                .purpose("Identifies the device using the messenger, to prevent abuse (intercom-device-id-<app id>).")
                .duration(months(9)),
            youtube(Declaration::exact("YSC"))
                .domain("youtube.com")
                .purpose("Counts views of embedded videos and prevents abuse."),
            youtube(Declaration::exact("VISITOR_INFO1_LIVE"))
                .domain("youtube.com")
                .purpose("Estimates the visitor's bandwidth and keeps video preferences; used for recommendations.")
                .duration(months(6)),
            youtube(Declaration::exact("VISITOR_PRIVACY_METADATA"))
                .domain("youtube.com")
                .purpose("Keeps the visitor's cookie consent state on YouTube.")
                .duration(months(6)),
            youtube(Declaration::exact("PREF"))
                .domain("youtube.com")
                .purpose("Keeps the visitor's YouTube preferences, such as the player settings.")
                .duration(months(8)),
        ])
}
