//! Global Privacy Control through the layer: `Sec-GPC: 1` (exactly) switches off the
//! categories marked sale or sharing, whatever the consent cookie grants.

mod common;

use common::registry;
use tower_cookie_consent::formats::Tcf;
use tower_cookie_consent::{Category, ConsentDecision, CookieConsentLayer, Declaration, Registry};

const SET: [&str; 4] = [
    "sessionid=s; Path=/",
    "_ga=GA1.1.1.1; Path=/",
    "_fbp=fb.1.2.3; Path=/",
    "theme=dark; Path=/",
];

/// Grants every category and, explicitly, the `meta` service.
const EVERYTHING: &str = "cookies_preferences=%7B%22functional%22%3Atrue%2C%22statistics%22%3Atrue%2C%22marketing%22%3Atrue%2C%22meta%22%3Atrue%7D";

async fn run(
    layer: CookieConsentLayer,
    cookie: &str,
    gpc: &[&[u8]],
) -> (Vec<String>, ConsentDecision) {
    common::run(layer, &[cookie], gpc, &SET).await
}

fn layer() -> CookieConsentLayer {
    CookieConsentLayer::new(registry()).unwrap()
}

#[tokio::test]
async fn exactly_one_applies() {
    let (names, decision) = run(layer(), EVERYTHING, &[b"1"]).await;
    assert_eq!(names, ["sessionid", "_ga", "theme"]);
    assert!(decision.gpc_applied());
    assert!(decision.consent().gpc_applied());
    assert!(!decision.allows_category("marketing"));
    assert!(!decision.allows_service("meta"));
    assert!(!decision.allows_cookie("_fbp"));
    assert!(decision.allows_category("statistics"));
}

#[tokio::test]
async fn other_values_and_absence_are_ignored() {
    for value in [
        &b"0"[..],
        b"true",
        b" 1",
        b"1 ",
        b"",
        b"01",
        b"1.0",
        b"yes",
        b"1,1",
    ] {
        let (names, decision) = run(layer(), EVERYTHING, &[value]).await;
        assert_eq!(
            names,
            ["sessionid", "_ga", "_fbp", "theme"],
            "Sec-GPC: {value:?}"
        );
        assert!(!decision.gpc_applied(), "Sec-GPC: {value:?}");
    }
    let (names, decision) = run(layer(), EVERYTHING, &[]).await;
    assert_eq!(names, ["sessionid", "_ga", "_fbp", "theme"]);
    assert!(!decision.gpc_applied());
}

#[tokio::test]
async fn any_duplicated_field_of_exactly_one_applies() {
    for fields in [&[&b"0"[..], b"1"][..], &[b"1", b"0"], &[b"1", b"1"]] {
        let (names, decision) = run(layer(), EVERYTHING, fields).await;
        assert_eq!(names, ["sessionid", "_ga", "theme"], "{fields:?}");
        assert!(decision.gpc_applied());
    }
    let (names, decision) = run(layer(), EVERYTHING, &[b"0", b"true"]).await;
    assert_eq!(names, ["sessionid", "_ga", "_fbp", "theme"]);
    assert!(!decision.gpc_applied());
}

#[tokio::test]
async fn can_be_switched_off() {
    let layer = CookieConsentLayer::builder(registry())
        .gpc(false)
        .build()
        .unwrap();
    let (names, decision) = run(layer, EVERYTHING, &[b"1"]).await;
    assert_eq!(names, ["sessionid", "_ga", "_fbp", "theme"]);
    assert!(!decision.gpc_applied());
}

#[tokio::test]
async fn follows_the_registry_sale_or_sharing_marks() {
    // The site marks statistics as sharing too (a third-party analytics vendor) and
    // marketing as not.
    let registry = Registry::builder()
        .category(Category::necessary())
        .category(Category::functional())
        .category(Category::statistics().sale_or_sharing(true))
        .category(Category::marketing().sale_or_sharing(false))
        .cookie(Declaration::exact("sessionid").category("necessary"))
        .cookie(
            Declaration::exact("_ga")
                .category("statistics")
                .service("ga"),
        )
        .cookie(
            Declaration::exact("_fbp")
                .category("marketing")
                .service("meta"),
        )
        .cookie(Declaration::exact("theme").category("functional"))
        .build()
        .unwrap();
    let (names, decision) = run(
        CookieConsentLayer::new(registry).unwrap(),
        EVERYTHING,
        &[b"1"],
    )
    .await;
    assert_eq!(names, ["sessionid", "_fbp", "theme"]);
    assert!(decision.gpc_applied());
}

#[tokio::test]
async fn applies_whatever_the_consent_format() {
    // A TC String granting every purpose.
    let mut bits = String::new();
    let push = |bits: &mut String, v: u64, len: usize| {
        for i in (0..len).rev() {
            bits.push(if (v >> i) & 1 == 1 { '1' } else { '0' });
        }
    };
    let now_ds = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as u64
        / 100;
    push(&mut bits, 2, 6);
    push(&mut bits, now_ds, 36);
    push(&mut bits, now_ds, 36);
    push(&mut bits, 0, 12 + 12 + 6 + 12 + 12);
    push(&mut bits, 5, 6);
    push(&mut bits, 1, 1);
    push(&mut bits, 0, 1 + 12);
    push(&mut bits, 0xff_ffff, 24);
    push(&mut bits, 0, 24 + 1 + 12 + 17);
    while bits.len() % 24 != 0 {
        bits.push('0');
    }
    let alphabet = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let tc: String = bits
        .as_bytes()
        .chunks(6)
        .map(|c| {
            let v = c
                .iter()
                .fold(0usize, |v, &b| v << 1 | usize::from(b == b'1'));
            alphabet[v] as char
        })
        .collect();
    let layer = CookieConsentLayer::builder(registry())
        .reader(Tcf::new())
        .build()
        .unwrap();
    let cookie = format!("euconsent-v2={tc}");
    let (names, decision) = run(layer.clone(), &cookie, &[]).await;
    assert_eq!(names, ["sessionid", "_ga", "_fbp", "theme"]);
    assert!(!decision.gpc_applied());
    let (names, decision) = run(layer, &cookie, &[b"1"]).await;
    assert_eq!(names, ["sessionid", "_ga", "theme"]);
    assert!(decision.gpc_applied());
}

#[tokio::test]
async fn strictly_necessary_cookies_still_pass_for_undecided_visitors() {
    let (names, decision) = run(layer(), "other=1", &[b"1"]).await;
    assert_eq!(names, ["sessionid"]);
    assert!(!decision.is_decided());
    assert!(decision.gpc_applied());
}
