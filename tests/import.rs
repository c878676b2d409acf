//! Open Cookie Database import, on small CSV files the tests write themselves.

#![cfg(feature = "open-cookie-database")]

use std::io::Read;
use std::path::PathBuf;
use std::time::Duration;

use proptest::prelude::*;
use tower_cookie_consent::config::MAX_FILE_SIZE;
use tower_cookie_consent::import::{OpenCookieDatabase, SkipReason, MIN_WILDCARD_START};
use tower_cookie_consent::{
    ConfigError, Consent, Declaration, Match, Reason, Registry, UnknownPolicy,
};

const HEADER: &str = "ID,Platform,Category,Cookie / Data Key name,Domain,Description,Retention period,Data Controller,User Privacy & GDPR Rights Portals,Wildcard match\n";

/// A path in Cargo's per-test temporary directory, unique to this test and process.
fn temp_path(name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("import-tests");
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(format!("{}-{name}", std::process::id()))
}

fn write_csv(name: &str, rows: &str) -> PathBuf {
    let path = temp_path(name);
    std::fs::write(&path, format!("{HEADER}{rows}")).unwrap();
    path
}

/// One row in the catalogue's column order.
fn row(
    platform: &str,
    category: &str,
    name: &str,
    retention: &str,
    controller: &str,
    wildcard: u8,
) -> String {
    format!(
        "00000000-0000-0000-0000-000000000000,{platform},{category},{name},example.com (3rd party),What {name} does,{retention},{controller},https://example.com/privacy,{wildcard}\n"
    )
}

const DAY: u64 = 86_400;

/// A catalogue excerpt with one row of every kind the import must handle. Line numbers
/// (the header is line 1) are in the comments of `a_catalogue_excerpt_is_imported`.
fn excerpt() -> String {
    [
        row("Google Analytics", "Analytics", "_ga", "2 years", "Google", 0), // 2
        row("Google Analytics", "Analytics", "_ga_", "2 years", "Google", 1), // 3
        row("Google Analytics", "Analytics", "_gid", "24 hours", "Google", 0), // 4
        row("Cookiebot", "Functional", "CookieConsent [x4]", "1 year", "Cookiebot", 0), // 5
        row("Cloudflare", "Security", "__cf_bm", "30 minutes", "Cloudflare", 0), // 6
        row("Meta Pixel", "Marketing", "_fbp", "3 months", "Meta", 0), // 7
        row("Adform", "Marketing", "SR<RotatorID>", "1 day", "Adform", 0), // 8: short wildcard
        row("Adform", "Marketing", "C", "60 days", "Adform", 1), // 9: short wildcard
        row("Adobe", "Marketing", "_dp Cookie", "30 seconds", "Adobe", 0), // 10: invalid name
        row("Other tool", "Marketing", "_ga", "1 day", "Other", 0), // 11: duplicate
        row("Unknown", "Tracking", "trk", "1 day", "X", 0), // 12: unmapped category
        row("Empty", "Analytics", "", "1 day", "X", 0), // 13: no name
        row("Adobe Analytics", "Analytics", "s_vi", "persistent", "#N/A", 1), // 14
        row("Matomo", "Analytics", "_pk_id.<site>.<hash>", "13 months", "Matomo", 0), // 15
        row("WordPress", "Preferences", "wp-settings-<id>", "Session", "WordPress", 0), // 16
        // 17-18: a quoted description over two lines.
        "1,Hotjar,Analytics,_hjSessionUser_,hotjar.com,\"Keeps the user id,\nacross visits\",365 days,Hotjar,#N/A,1\n".to_owned(),
    ]
    .concat()
}

#[test]
fn a_catalogue_excerpt_is_imported() {
    let path = write_csv("excerpt.csv", &excerpt());
    let import = OpenCookieDatabase::new().read_path(&path).unwrap();
    let report = import.report().clone();
    assert_eq!(report.rows(), 16);
    assert_eq!(report.imported(), 10);

    let skipped: Vec<(u64, &str, &SkipReason)> = report
        .skipped()
        .iter()
        .map(|s| (s.line(), s.name(), s.reason()))
        .collect();
    assert_eq!(skipped[0], (8, "SR<RotatorID>", &SkipReason::ShortWildcard));
    assert_eq!(skipped[1], (9, "C", &SkipReason::ShortWildcard));
    assert_eq!(skipped[2].0, 10);
    assert!(matches!(skipped[2].2, SkipReason::InvalidName(reason) if reason.contains("space")));
    assert_eq!(skipped[3], (11, "_ga", &SkipReason::Duplicate));
    assert_eq!(
        skipped[4],
        (12, "trk", &SkipReason::UnmappedCategory("Tracking".into()))
    );
    assert_eq!(skipped[5], (13, "", &SkipReason::MissingName));
    assert_eq!(skipped.len(), 6);

    let unread: Vec<_> = report
        .retention_not_understood()
        .iter()
        .map(|n| (n.line(), n.name(), n.text()))
        .collect();
    assert_eq!(unread, [(14, "s_vi", "persistent")]);

    let by_category: Vec<_> = report.by_category().collect();
    assert_eq!(
        by_category,
        [
            ("statistics", 6),
            ("necessary", 2),
            ("marketing", 1),
            ("functional", 1)
        ]
    );
    assert_eq!(
        report.to_string(),
        "read 16 rows: imported 10, skipped 6 (2 short wildcard, 1 invalid name, 1 duplicate, \
         1 unmapped category, 1 without name); 1 retention period not understood"
    );

    let registry = import
        .into_builder()
        .build()
        .expect("an import builds on its own");
    let ids: Vec<_> = registry.categories().iter().map(|c| c.id()).collect();
    assert_eq!(ids, ["statistics", "necessary", "marketing", "functional"]);

    let ga = registry.lookup(b"_ga").unwrap();
    assert_eq!(ga.matcher(), &Match::Exact("_ga".into()));
    assert_eq!(ga.category_id(), "statistics", "the first `_ga` row wins");
    assert_eq!(ga.provider_text(), "Google");
    assert_eq!(ga.function_text(), "Google Analytics");
    assert_eq!(ga.purpose_text(), "What _ga does");
    assert_eq!(ga.duration_value(), Some(Duration::from_secs(730 * DAY)));
    assert_eq!(ga.service_id(), None);
    assert_eq!(
        ga.domain_attr(),
        None,
        "the Domain column is not a Domain attribute"
    );

    let ga4 = registry.lookup(b"_ga_ABC123").unwrap();
    assert_eq!(ga4.matcher(), &Match::Prefix("_ga_".into()));
    assert_eq!(
        registry.lookup(b"CookieConsent").unwrap().category_id(),
        "necessary"
    );
    assert_eq!(
        registry.lookup(b"__cf_bm").unwrap().category_id(),
        "necessary"
    );
    assert_eq!(
        registry.lookup(b"__cf_bm").unwrap().duration_value(),
        Some(Duration::from_secs(1800))
    );
    assert_eq!(
        registry.lookup(b"_fbp").unwrap().duration_value(),
        Some(Duration::from_secs(90 * DAY))
    );
    let s_vi = registry.lookup(b"s_vi_abc").unwrap();
    assert_eq!(
        s_vi.provider_text(),
        "Adobe Analytics",
        "`#N/A` falls back to the platform"
    );
    assert_eq!(s_vi.duration_value(), None);
    let matomo = registry.lookup(b"_pk_id.1.abcd").unwrap();
    assert_eq!(matomo.matcher(), &Match::Pattern("_pk_id.*.*".into()));
    assert_eq!(
        matomo.duration_value(),
        Some(Duration::from_secs(390 * DAY))
    );
    let wp = registry.lookup(b"wp-settings-7").unwrap();
    assert_eq!(wp.category_id(), "functional");
    assert_eq!(wp.duration_value(), None, "a session cookie");
    let hotjar = registry.lookup(b"_hjSessionUser_123").unwrap();
    assert_eq!(hotjar.purpose_text(), "Keeps the user id,\nacross visits");
    assert_eq!(hotjar.provider_text(), "Hotjar");

    // Skipped rows declare nothing.
    assert!(registry.lookup(b"SR123").is_none());
    assert!(registry.lookup(b"C123").is_none());
    assert!(registry.lookup(b"trk").is_none());
}

#[test]
fn the_sites_own_declarations_win_over_the_import() {
    let path = write_csv(
        "site-wins.csv",
        &[
            row(
                "Google Analytics",
                "Analytics",
                "_ga",
                "2 years",
                "Google",
                0,
            ),
            row(
                "Cookiebot",
                "Functional",
                "cookiePreferences",
                "1 year",
                "Google",
                0,
            ),
        ]
        .concat(),
    );
    let import = OpenCookieDatabase::new().read_path(&path).unwrap();
    let registry = Registry::builder()
        .category(
            tower_cookie_consent::Category::new("necessary")
                .label("Ours")
                .consent_required(false),
        )
        .category(tower_cookie_consent::Category::statistics())
        .cookie(
            Declaration::exact("_ga")
                .category("statistics")
                .service("ga")
                .purpose("Our own words"),
        )
        .merge(import.into_builder())
        .build()
        .unwrap();
    let ga = registry.lookup(b"_ga").unwrap();
    assert_eq!(ga.purpose_text(), "Our own words");
    assert_eq!(ga.service_id(), Some("ga"));
    assert_eq!(
        registry.categories()[0].label_text(),
        "Ours",
        "the site's category wins"
    );
    assert_eq!(registry.declarations().len(), 2);
}

#[test]
fn the_default_mapping_decides_consent() {
    let path = write_csv(
        "consent.csv",
        &[
            row(
                "Cookiebot",
                "Functional",
                "cookiePreferences",
                "1 year",
                "Cookiebot",
                0,
            ),
            row(
                "Google Analytics",
                "Analytics",
                "_ga",
                "2 years",
                "Google",
                0,
            ),
        ]
        .concat(),
    );
    let registry = OpenCookieDatabase::new()
        .read_path(&path)
        .unwrap()
        .into_builder()
        .build()
        .unwrap();
    let nothing = Consent::undecided();
    // `Functional` is "strictly necessary" in the catalogue's taxonomy: no consent needed.
    let verdict = registry.judge(b"cookiePreferences", &nothing, UnknownPolicy::Block);
    assert!(verdict.is_allowed());
    assert_eq!(verdict.reason(), Reason::Exempt);
    let verdict = registry.judge(b"_ga", &nothing, UnknownPolicy::Block);
    assert!(!verdict.is_allowed());
    assert_eq!(verdict.reason(), Reason::CategoryNotGranted);
}

#[test]
fn the_mapping_can_be_changed() {
    let csv = format!(
        "{HEADER}{}{}{}",
        row(
            "Cookiebot",
            "Functional",
            "cookiePreferences",
            "1 year",
            "Cookiebot",
            0
        ),
        row("Meta", "Marketing", "_fbp", "90 days", "Meta", 0),
        row("Tool", "Tracking", "trk", "1 day", "Tool", 0),
    );
    let import = OpenCookieDatabase::new()
        .map_category("FUNCTIONAL", "functional")
        .map_category("tracking", "ads")
        .ignore_category("Marketing")
        .read(csv.as_bytes())
        .unwrap();
    let report = import.report().clone();
    assert_eq!(report.imported(), 2);
    assert_eq!(
        report.skipped()[0].reason(),
        &SkipReason::IgnoredCategory("Marketing".into())
    );
    let registry = import.into_builder().build().unwrap();
    assert_eq!(
        registry.lookup(b"cookiePreferences").unwrap().category_id(),
        "functional"
    );
    assert!(registry.categories()[0].is_consent_required());
    assert_eq!(registry.lookup(b"trk").unwrap().category_id(), "ads");
    assert!(
        registry.categories()[1].is_consent_required(),
        "a new category needs consent"
    );
    assert!(registry.lookup(b"_fbp").is_none());
}

#[test]
fn short_wildcards_are_imported_only_on_request() {
    let csv = format!(
        "{HEADER}{}{}{}",
        row("Adform", "Marketing", "C", "1 day", "Adform", 1),
        row("Adform", "Marketing", "SR<RotatorID>", "1 day", "Adform", 0),
        row("Any", "Marketing", "<everything>", "1 day", "Any", 0),
    );
    let refused = OpenCookieDatabase::new().read(csv.as_bytes()).unwrap();
    assert_eq!(refused.report().imported(), 0);
    assert_eq!(MIN_WILDCARD_START, 3);

    let allowed = OpenCookieDatabase::new()
        .allow_short_wildcards(true)
        .read(csv.as_bytes())
        .unwrap();
    assert_eq!(allowed.report().imported(), 2);
    // A wildcard with no fixed start would match every cookie: never imported.
    assert!(matches!(
        allowed.report().skipped()[0].reason(),
        SkipReason::InvalidName(_)
    ));
    let registry = allowed.into_builder().build().unwrap();
    assert_eq!(
        registry.lookup(b"C1").unwrap().matcher(),
        &Match::Prefix("C".into())
    );
    assert_eq!(
        registry.lookup(b"SR9").unwrap().matcher(),
        &Match::Prefix("SR".into())
    );
}

#[test]
fn columns_are_found_by_name_in_any_order() {
    let csv = "\u{feff}wildcard MATCH , cookie / data key name,Extra,category\n1,_ga_,x,Analytics\n0,_gid,y,Analytics\n";
    let import = OpenCookieDatabase::new().read(csv.as_bytes()).unwrap();
    assert_eq!(import.report().imported(), 2, "{}", import.report());
    let registry = import.into_builder().build().unwrap();
    let ga = registry.lookup(b"_ga_X").unwrap();
    assert_eq!(ga.matcher(), &Match::Prefix("_ga_".into()));
    assert_eq!(ga.provider_text(), "");
    assert_eq!(ga.duration_value(), None);
    assert!(registry.lookup(b"_gid").is_some());
}

#[test]
fn rows_with_missing_fields_are_read_as_far_as_they_go() {
    let csv = format!("{HEADER}1,Google Analytics,Analytics,_ga\n2,Broken\n");
    let import = OpenCookieDatabase::new().read(csv.as_bytes()).unwrap();
    let report = import.report();
    assert_eq!(report.imported(), 1);
    assert_eq!(report.skipped()[0].reason(), &SkipReason::MissingName);
    assert_eq!(report.skipped()[0].line(), 3);
}

#[test]
fn a_row_that_is_not_utf8_is_skipped_and_the_rest_imported() {
    let mut bytes = HEADER.as_bytes().to_vec();
    bytes.extend_from_slice(b"1,Caf\xe9,Analytics,cafe_id,x,d,1 day,Caf\xe9,x,0\n");
    bytes.extend_from_slice(
        row(
            "Google Analytics",
            "Analytics",
            "_ga",
            "2 years",
            "Google",
            0,
        )
        .as_bytes(),
    );
    bytes.extend_from_slice(b"3,P,Analytics,bad\xff,x,d,1 day,C,x,0\n");
    let import = OpenCookieDatabase::new().read(&bytes[..]).unwrap();
    let report = import.report();
    assert_eq!(report.imported(), 1);
    assert_eq!(report.skipped().len(), 2);
    assert_eq!(report.skipped()[0].reason(), &SkipReason::NotUtf8);
    assert_eq!(report.skipped()[0].name(), "cafe_id");
    assert_eq!(report.skipped()[1].name(), "bad\u{fffd}");
}

#[test]
fn a_file_without_the_required_columns_is_refused() {
    let path = temp_path("not-ocd.csv");
    std::fs::write(&path, "name,category\n_ga,Analytics\n").unwrap();
    let error = OpenCookieDatabase::new().read_path(&path).unwrap_err();
    let ConfigError::File {
        file,
        line,
        message,
        ..
    } = error
    else {
        panic!("{error:?}");
    };
    assert_eq!(file, path.display().to_string());
    assert_eq!(line, Some(1));
    assert!(message.contains("`Cookie / Data Key name`"), "{message}");

    let error = OpenCookieDatabase::new()
        .read("Cookie / Data Key name\n_ga\n".as_bytes())
        .unwrap_err();
    assert!(error.to_string().contains("`Category`"), "{error}");
    assert!(error.to_string().starts_with("<reader>:1: "), "{error}");

    let error = OpenCookieDatabase::new().read(&b""[..]).unwrap_err();
    assert!(
        error
            .to_string()
            .contains("not an Open Cookie Database CSV"),
        "{error}"
    );
}

#[test]
fn an_empty_catalogue_imports_nothing() {
    let import = OpenCookieDatabase::new().read(HEADER.as_bytes()).unwrap();
    assert_eq!(import.report().rows(), 0);
    let registry = import.into_builder().build().unwrap();
    assert!(registry.categories().is_empty());
}

#[test]
fn a_file_over_the_limit_is_refused_before_it_is_read() {
    let path = temp_path("huge.csv");
    let file = std::fs::File::create(&path).unwrap();
    file.set_len(MAX_FILE_SIZE + 1).unwrap();
    drop(file);
    let error = OpenCookieDatabase::new().read_path(&path).unwrap_err();
    assert!(
        error.to_string().contains("larger than 16777216 bytes"),
        "{error}"
    );
    std::fs::remove_file(&path).unwrap();
}

#[test]
fn a_reader_over_the_limit_is_refused() {
    // Valid rows all the way: only the size is wrong.
    let body = row("P", "Analytics", "abc", "1 day", "C", 0);
    let reader = HEADER.as_bytes().chain(RepeatRows(body.into_bytes(), 0));
    let error = OpenCookieDatabase::new().read(reader).unwrap_err();
    assert!(error.to_string().contains("larger than"), "{error}");
}

/// An endless reader repeating one CSV row.
struct RepeatRows(Vec<u8>, usize);

impl Read for RepeatRows {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let mut n = 0;
        while n < buf.len() {
            buf[n] = self.0[self.1];
            self.1 = (self.1 + 1) % self.0.len();
            n += 1;
        }
        Ok(n)
    }
}

#[test]
fn a_missing_file_is_an_error_naming_it() {
    let path = temp_path("missing.csv");
    let error = OpenCookieDatabase::new().read_path(&path).unwrap_err();
    assert!(
        error.to_string().starts_with(&path.display().to_string()),
        "{error}"
    );
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// Whatever the CSV holds, the import never panics and what it imports builds on its
    /// own (names checked, duplicates dropped, categories included).
    #[test]
    fn any_csv_imports_into_a_registry_that_builds(
        rows in prop::collection::vec(
            (
                prop_oneof![Just("Analytics"), Just("Functional"), Just("Marketing"), Just("Security"), Just("Preferences"), Just("Other"), Just("")],
                prop_oneof!["[ -~]{0,12}", "\\PC{0,6}", Just("<id>".to_owned()), Just("_ga_".to_owned()), Just("a*b?c".to_owned())],
                "[ -~]{0,20}",
                prop_oneof![Just("0"), Just("1"), Just("")],
            ),
            0..24,
        ),
        allow_short in any::<bool>(),
    ) {
        let mut csv = HEADER.to_owned();
        for (category, name, retention, wildcard) in rows {
            let quote = |s: &str| format!("\"{}\"", s.replace('"', "\"\""));
            csv.push_str(&format!(
                "id,Platform,{category},{},d,desc,{},ctl,url,{wildcard}\n",
                quote(&name),
                quote(&retention)
            ));
        }
        let import = OpenCookieDatabase::new()
            .allow_short_wildcards(allow_short)
            .read(csv.as_bytes())
            .unwrap();
        let report = import.report().clone();
        prop_assert_eq!(report.imported() + report.skipped().len(), report.rows());
        let registry = import.into_builder().build();
        prop_assert!(registry.is_ok(), "{:?}", registry.err());
        prop_assert_eq!(registry.unwrap().declarations().len(), report.imported());
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
        let _ = OpenCookieDatabase::new().read(&bytes[..]);
        let mut with_header = HEADER.as_bytes().to_vec();
        with_header.extend_from_slice(&bytes);
        let import = OpenCookieDatabase::new().read(&with_header[..]).unwrap();
        prop_assert!(import.into_builder().build().is_ok());
    }
}
