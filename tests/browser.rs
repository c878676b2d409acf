//! The demo portal (`cargo run --example demo`) in a real browser: headless Chromium driven
//! through WebDriver (ChromeDriver + fantoccini), checking the browser's own cookie jar after
//! each consent choice made in the banner.
//!
//! Needs Debian's `chromium` and `chromium-driver` (`CHROMIUM` and `CHROMEDRIVER` override the
//! paths). Without them the browser test prints a notice and passes, except under `CI=true`,
//! where a missing browser is a failure. Screenshots go to `target/screenshots/`.

use std::collections::{BTreeMap, BTreeSet};
use std::net::Ipv4Addr;
use std::path::Path;
use std::time::Duration;

use fantoccini::{Client, Locator};
use serde_json::{json, Value};

#[path = "../examples/demo/app.rs"]
mod app;

#[path = "browser/webdriver.rs"]
mod webdriver;

use webdriver::{
    connect, find_browser, save_screenshot, screenshot_dir, step, wait_until, ChromeDriver,
    TestResult, STEP_TIMEOUT,
};

/// The host name the demo is served on: Chromium resolves every `*.localhost` name to the
/// loopback interface, and three labels give the trackers a parent domain to set cookies for.
const HOST: &str = "www.demo.localhost";
/// What the demo sets `_ga` for.
const PARENT_DOMAIN: &str = "demo.localhost";
/// The longest the whole browser scenario may take.
const SCENARIO_TIMEOUT: Duration = Duration::from_secs(180);

fn necessary() -> BTreeSet<String> {
    app::page_cookie_names()
        .into_iter()
        .filter(|(_, necessary)| *necessary)
        .map(|(name, _)| name)
        .collect()
}

/// The cookies the pages set that the registry declares and that need consent.
fn trackers() -> BTreeSet<String> {
    app::page_cookie_names()
        .into_iter()
        .filter(|(name, necessary)| !necessary && name != "promo_seen")
        .map(|(name, _)| name)
        .collect()
}

fn ga_cookies() -> BTreeSet<String> {
    [
        "_ga".to_owned(),
        format!("_ga_{}", app::GA4_ID),
        "_gid".to_owned(),
    ]
    .into()
}

#[test]
fn every_cookie_the_pages_set_is_declared_except_promo_seen() {
    let registry = app::default_registry().expect("the built-in registry builds");
    for (name, is_necessary) in app::page_cookie_names() {
        let declaration = registry.lookup(name.as_bytes());
        if name == "promo_seen" {
            assert!(declaration.is_none(), "promo_seen must stay undeclared");
            continue;
        }
        let declaration = declaration.unwrap_or_else(|| panic!("{name} is not declared"));
        let category = registry
            .category(registry.category_id(declaration.category_id()).unwrap())
            .is_consent_required();
        assert_eq!(!category, is_necessary, "{name}: necessary or not");
    }
    let ga = registry.lookup(b"_gid").and_then(|d| d.service_id());
    assert_eq!(ga, Some("ga"));
    let matomo = registry
        .lookup(format!("_pk_ses.{}", app::MATOMO_SUFFIX).as_bytes())
        .and_then(|d| d.service_id());
    assert_eq!(matomo, Some("matomo"));
}

/// `--registry FILE`: the demo enforces the file's registry instead of the built-in one.
/// `examples/registry.toml` files `django_language` under `functional` and exempts Matomo's
/// `_pk_ses.*` from consent, so without consent the first is removed and the second passes,
/// unlike with the built-in registry.
#[cfg(feature = "toml")]
#[tokio::test]
async fn a_registry_file_replaces_the_built_in_registry() {
    use tower::ServiceExt;
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/registry.toml");
    let registry = app::load_registry(Some(&path)).expect("examples/registry.toml loads");
    let router = app::app(registry).unwrap();
    let request = http::Request::builder()
        .uri("/")
        .header("host", "127.0.0.1")
        .body(axum::body::Body::empty())
        .unwrap();
    let response = router.oneshot(request).await.unwrap();
    let names: BTreeSet<String> = response
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().split('=').next().unwrap().to_owned())
        .collect();
    let expected = [
        "csrftoken".to_owned(),
        "sessionid".to_owned(),
        format!("_pk_ses.{}", app::MATOMO_SUFFIX),
    ];
    assert_eq!(names, expected.into());
}

/// `--registry FILE` with a file that cannot be read stops the demo at start-up.
#[test]
fn a_missing_registry_file_is_an_error() {
    let error = app::load_registry(Some(Path::new("/nonexistent/registry.json")))
        .expect_err("no such file");
    assert!(
        error.to_string().contains("/nonexistent/registry.json"),
        "{error}"
    );
}

#[test]
fn the_parent_domain_is_the_host_without_its_first_label() {
    assert_eq!(
        app::parent_domain("www.demo.localhost"),
        Some("demo.localhost")
    );
    assert_eq!(app::parent_domain("data.example.org"), Some("example.org"));
    assert_eq!(app::parent_domain("demo.localhost"), None);
    assert_eq!(app::parent_domain("localhost"), None);
    assert_eq!(app::parent_domain("127.0.0.1"), None);
}

/// A request with a hostile `Host` gets no `Domain` attribute at all: nothing from the
/// request reaches a `Set-Cookie` attribute.
#[tokio::test]
async fn a_hostile_host_header_injects_no_cookie_attribute() {
    use tower::ServiceExt;
    let router = app::app(app::default_registry().unwrap()).unwrap();
    let request = http::Request::builder()
        .uri("/")
        .header("host", "evil.example.com; Domain=com")
        .header(
            "cookie",
            "cookies_preferences=%7B%22statistics%22%3Atrue%7D",
        )
        .body(axum::body::Body::empty())
        .unwrap();
    let response = router.oneshot(request).await.unwrap();
    let set_cookies: Vec<_> = response
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .collect();
    assert!(set_cookies.iter().any(|c| c.starts_with("_ga=")));
    assert!(
        set_cookies.iter().all(|c| !c.contains("Domain")),
        "{set_cookies:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn demo_enforces_consent_in_headless_chromium() {
    let Some((chromium, chromedriver)) = find_browser() else {
        return;
    };
    // The demo, in-process, on a free port.
    let listener = tokio::net::TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .await
        .unwrap();
    let port = listener.local_addr().unwrap().port();
    let router = app::app(app::default_registry().unwrap()).unwrap();
    let server = tokio::spawn(async move { axum::serve(listener, router).await });

    let driver = ChromeDriver::start(&chromedriver).expect("chromedriver starts");
    let client = tokio::time::timeout(STEP_TIMEOUT, connect(&driver, &chromium))
        .await
        .expect("the WebDriver session opens in time")
        .expect("the WebDriver session opens");

    let base = format!("http://{HOST}:{port}");
    let outcome = tokio::time::timeout(SCENARIO_TIMEOUT, scenario(&client, &base)).await;
    // Always end the session, so that ChromeDriver closes Chromium; then the guard kills it.
    let _ = tokio::time::timeout(STEP_TIMEOUT, client.close()).await;
    drop(driver);
    server.abort();
    match outcome {
        Err(_) => panic!("the browser scenario took longer than {SCENARIO_TIMEOUT:?}"),
        Ok(Err(e)) => panic!("{e}"),
        Ok(Ok(())) => {}
    }
}

async fn scenario(c: &Client, base: &str) -> TestResult {
    let shots = screenshot_dir();
    c.set_window_size(1100, 800).await?;

    // 1. First visit, no choice: the banner shows, the jar holds only necessary cookies.
    goto(c, &format!("{base}/")).await?;
    step(
        c.wait()
            .at_most(STEP_TIMEOUT)
            .for_element(Locator::Id("cc-banner")),
    )
    .await?;
    save_screenshot(c, &shots.join("banner.png")).await?;
    let jar = browser_jar(c).await?;
    assert_eq!(names(&jar), necessary(), "first visit, no choice");
    assert!(jar["sessionid"].http_only, "sessionid is HttpOnly");
    // The consent log saw what the layer removed, and why.
    let log = step(c.execute(
        "return fetch('/consent-log.json').then(r => r.json())",
        vec![],
    ))
    .await?;
    let last = &log[0]["cookies"];
    assert_eq!(reason_of(last, "promo_seen"), Some(("unknown", false)));
    assert_eq!(
        reason_of(last, "_ga"),
        Some(("category_not_granted", false))
    );
    assert_eq!(reason_of(last, "sessionid"), Some(("exempt", true)));

    // 2. Reject all, then navigate: still only necessary cookies (plus the choice itself).
    click_and_wait_reload(c, "#cc-reject").await?;
    goto(c, &format!("{base}/datasets")).await?;
    let jar = browser_jar(c).await?;
    let mut expected = necessary();
    expected.insert("cookies_preferences".into());
    assert_eq!(names(&jar), expected, "after Reject all");
    let choice = consent_choice(&jar)?;
    assert_eq!(choice["ga"], json!(false));
    assert_eq!(choice["statistics"], json!(false));
    assert!(choice["timestamp"].is_u64(), "timestamp in ms: {choice}");
    assert!(
        c.find_all(Locator::Id("cc-banner")).await?.is_empty(),
        "no banner once decided"
    );

    // 3. Customise: only the `ga` service.
    open_settings(c).await?;
    c.find(Locator::Id("cc-customise")).await?.click().await?;
    for category in c
        .find_all(Locator::Css(
            "#cc-details input[data-category]:not([disabled])",
        ))
        .await?
    {
        for _ in 0..2 {
            let indeterminate = category.prop("indeterminate").await?.as_deref() == Some("true");
            if category.is_selected().await? || indeterminate {
                category.click().await?;
            }
        }
        assert!(!category.is_selected().await?);
    }
    c.find(Locator::Css(r#"#cc-details input[data-service="ga"]"#))
        .await?
        .click()
        .await?;
    save_screenshot(c, &shots.join("banner-customise.png")).await?;
    click_and_wait_reload(c, "#cc-save").await?;
    goto(c, &format!("{base}/datasets/air-quality-stations")).await?;
    let jar = browser_jar(c).await?;
    let held = names(&jar);
    assert!(held.is_superset(&ga_cookies()), "ga granted: {held:?}");
    for name in trackers().difference(&ga_cookies()) {
        assert!(!held.contains(name), "{name} set though only ga is granted");
    }
    assert!(!held.contains("promo_seen"));
    let choice = consent_choice(&jar)?;
    assert_eq!(choice["ga"], json!(true));
    assert_eq!(choice["matomo"], json!(false));
    assert_eq!(choice["statistics"], json!(false));

    // 4. Accept all: every declared cookie, never the undeclared one.
    open_settings(c).await?;
    click_and_wait_reload(c, "#cc-accept").await?;
    goto(c, &format!("{base}/")).await?;
    let jar = browser_jar(c).await?;
    let held = names(&jar);
    assert!(held.is_superset(&necessary()), "{held:?}");
    assert!(held.is_superset(&trackers()), "after Accept all: {held:?}");
    assert!(!held.contains("promo_seen"), "unknown cookies are blocked");
    let ga = &jar["_ga"];
    assert_eq!(
        ga.domain.trim_start_matches('.'),
        PARENT_DOMAIN,
        "_ga is set for the parent domain"
    );
    assert!(
        jar[&format!("_pk_ses.{}", app::MATOMO_SUFFIX)].http_only,
        "the Matomo session cookie is HttpOnly"
    );
    let accepted = jar;

    // 5. Cookie settings, Reject all, navigate: no tracker is set again, and the ones the
    // browser held are deleted by the server (withdrawal), the HttpOnly Matomo cookie and
    // the parent-domain `_ga` included, which no banner script could delete.
    open_settings(c).await?;
    click_and_wait_reload(c, "#cc-reject").await?;
    goto(c, &format!("{base}/datasets")).await?;
    goto(c, &format!("{base}/datasets/bike-sharing-availability")).await?;
    let jar = browser_jar(c).await?;
    let held = names(&jar);
    let mut expected = necessary();
    expected.insert("cookies_preferences".into());
    assert_eq!(held, expected, "after withdrawing consent");
    assert!(accepted.keys().any(|name| trackers().contains(name)));
    assert_eq!(consent_choice(&jar)?["ga"], json!(false));
    // The consent log shows the deletions, with their scope.
    let log = step(c.execute(
        "return fetch('/consent-log.json').then(r => r.json())",
        vec![],
    ))
    .await?;
    let deletions: Vec<(String, String)> = log
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|r| r["cookies"].as_array().into_iter().flatten())
        .filter(|c| c["reason"] == "withdrawn")
        .map(|c| {
            let text = |v: &Value| v.as_str().unwrap_or_default().to_owned();
            (text(&c["name"]), text(&c["scope"]))
        })
        .collect();
    let pk_ses = format!("_pk_ses.{}", app::MATOMO_SUFFIX);
    assert!(
        deletions.iter().any(|(name, _)| *name == pk_ses),
        "{deletions:?}"
    );
    assert!(
        deletions.iter().any(
            |(name, scope)| name == "_ga" && scope.contains(&format!("Domain={PARENT_DOMAIN}"))
        ),
        "{deletions:?}"
    );
    goto(c, &format!("{base}/consent-log")).await?;
    save_screenshot(c, &shots.join("consent-log.png")).await?;

    // 6. The policy page lists every declared cookie-name.
    goto(c, &format!("{base}/cookies-policy")).await?;
    save_screenshot(c, &shots.join("policy.png")).await?;
    let text = c.find(Locator::Css("body")).await?.text().await?;
    let registry = app::default_registry()?;
    for declaration in registry.declarations() {
        let name = declaration.matcher().as_str();
        assert!(text.contains(name), "the policy page lacks {name}");
    }
    Ok(())
}

/// One cookie of the browser's jar, as WebDriver reports it (HttpOnly ones included).
#[derive(Debug, Clone)]
struct JarCookie {
    value: String,
    domain: String,
    http_only: bool,
}

/// The cookies the browser would send to the current page, by name.
async fn browser_jar(c: &Client) -> TestResult<BTreeMap<String, JarCookie>> {
    let cookies = step(c.get_all_cookies()).await?;
    let mut jar = BTreeMap::new();
    for cookie in cookies {
        let previous = jar.insert(
            cookie.name().to_owned(),
            JarCookie {
                value: cookie.value().to_owned(),
                domain: cookie.domain().unwrap_or_default().to_owned(),
                http_only: cookie.http_only().unwrap_or(false),
            },
        );
        assert!(previous.is_none(), "{} held twice", cookie.name());
    }
    Ok(jar)
}

fn names(jar: &BTreeMap<String, JarCookie>) -> BTreeSet<String> {
    jar.keys().cloned().collect()
}

/// The visitor's choice as the banner wrote it.
fn consent_choice(jar: &BTreeMap<String, JarCookie>) -> TestResult<Value> {
    let raw = &jar
        .get("cookies_preferences")
        .ok_or("no cookies_preferences cookie")?
        .value;
    let decoded = percent_encoding::percent_decode_str(raw).decode_utf8()?;
    Ok(serde_json::from_str(&decoded)?)
}

/// `(reason, sent)` of the cookie `name` in one consent-log request record.
fn reason_of<'a>(cookies: &'a Value, name: &str) -> Option<(&'a str, bool)> {
    cookies.as_array()?.iter().find_map(|c| {
        (c["name"] == name).then(|| (c["reason"].as_str().unwrap_or(""), c["sent"] == true))
    })
}

async fn goto(c: &Client, url: &str) -> TestResult {
    step(c.goto(url)).await?;
    wait_until(
        c,
        "return document.documentElement.dataset.ccReady === 'true'",
    )
    .await
}

/// Reopens the banner with the "Cookie settings" link.
async fn open_settings(c: &Client) -> TestResult {
    c.find(Locator::Id("cookie-settings"))
        .await?
        .click()
        .await?;
    step(
        c.wait()
            .at_most(STEP_TIMEOUT)
            .for_element(Locator::Id("cc-banner")),
    )
    .await?;
    Ok(())
}

/// Clicks a banner button that records a choice, then waits until the page has reloaded.
async fn click_and_wait_reload(c: &Client, css: &str) -> TestResult {
    step(c.execute("window.__beforeReload = true; return true;", vec![])).await?;
    c.find(Locator::Css(css)).await?.click().await?;
    wait_until(
        c,
        "return window.__beforeReload === undefined && document.readyState === 'complete' \
         && document.documentElement.dataset.ccReady === 'true'",
    )
    .await
}
