//! Registry files: loading TOML and JSON, writing them back, and every kind of bad input
//! giving a `ConfigError` that names the problem.

#![cfg(feature = "toml")]

use std::path::PathBuf;
use std::time::Duration;

use proptest::prelude::*;
use tower_cookie_consent::config::MAX_FILE_SIZE;
use tower_cookie_consent::{Category, ConfigError, Declaration, Registry, RegistryBuilder};

const EXAMPLE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/registry.toml");

/// A path in Cargo's per-test temporary directory, unique to this test and process.
fn temp_path(name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("config-tests");
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(format!("{}-{name}", std::process::id()))
}

/// The parts of a `ConfigError::File`, or a failure naming the other variant.
fn file_error(error: ConfigError) -> (String, Option<usize>, Option<usize>, String) {
    match error {
        ConfigError::File {
            file,
            line,
            column,
            message,
        } => (file, line, column, message),
        other => panic!("expected ConfigError::File, got {other:?}"),
    }
}

fn toml_error(text: &str) -> (String, Option<usize>, Option<usize>, String) {
    file_error(Registry::from_toml_str(text).expect_err("the TOML should be refused"))
}

fn json_error(text: &str) -> (String, Option<usize>, Option<usize>, String) {
    file_error(Registry::from_json_str(text).expect_err("the JSON should be refused"))
}

/// A registry that uses every field of the schema.
fn full_registry() -> Registry {
    Registry::builder()
        .default_categories()
        .category(
            Category::new("video")
                .label("Vidéos « intégrées »")
                .description("Line one\nline two, with \"quotes\" and a tab\t.")
                .consent_required(true)
                .sale_or_sharing(true),
        )
        .cookie(
            Declaration::exact("sessionid")
                .category("necessary")
                .provider("This site")
                .function("Authentication")
                .purpose("Remembers you.")
                .http_only(true),
        )
        .cookie(
            Declaration::prefix("_ga_")
                .category("statistics")
                .service("ga")
                .provider("Google")
                .domain("example.org")
                .path("/")
                .duration(Duration::from_secs(63_072_000)),
        )
        .cookie(
            Declaration::pattern("_pk_id.*")
                .category("statistics")
                .service("matomo")
                .consent_required(false)
                .duration(Duration::from_secs(0)),
        )
        .cookie(
            Declaration::exact("embed")
                .category("video")
                .consent_required(true)
                .partitioned(true),
        )
        .revision(42)
        .build()
        .unwrap()
}

fn assert_same(a: &Registry, b: &Registry) {
    assert_eq!(a.categories(), b.categories());
    assert_eq!(a.declarations(), b.declarations());
    assert_eq!(a.revision(), b.revision());
    assert_eq!(a.services(), b.services());
}

// ---------------------------------------------------------------------------------------
// The example file and the schema.

#[test]
fn the_shipped_example_loads() {
    let registry = Registry::from_path(EXAMPLE).unwrap();
    assert_eq!(registry.revision(), 1);
    let ids: Vec<_> = registry.categories().iter().map(Category::id).collect();
    assert_eq!(ids, ["necessary", "functional", "statistics", "marketing"]);
    assert!(!registry.categories()[0].is_consent_required());
    assert!(registry.categories()[3].is_sale_or_sharing());

    let ga4 = registry.lookup(b"_ga_ABC123").unwrap();
    assert_eq!(ga4.service_id(), Some("ga"));
    assert_eq!(ga4.duration_value(), Some(Duration::from_secs(63_072_000)));
    assert_eq!(ga4.domain_attr(), Some("example.org"));
    let matomo = registry.lookup(b"_pk_ses.1.abcd").unwrap();
    assert_eq!(matomo.consent_required_override(), Some(false));
    assert!(registry.lookup(b"sessionid").unwrap().is_http_only());
    assert_eq!(
        registry.lookup(b"sessionid").unwrap().duration_value(),
        None
    );
    let embed = registry.lookup(b"embed_session").unwrap();
    assert!(embed.is_partitioned());
    assert_eq!(embed.path_attr(), Some("/videos"));
}

#[test]
fn the_example_file_round_trips_through_both_formats() {
    let registry = Registry::from_path(EXAMPLE).unwrap();
    let toml = Registry::from_toml_str(&registry.to_toml_string().unwrap()).unwrap();
    assert_same(&registry, &toml);
    let json = Registry::from_json_str(&registry.to_json_string().unwrap()).unwrap();
    assert_same(&registry, &json);
}

#[test]
fn toml_round_trip_keeps_every_field() {
    let registry = full_registry();
    let text = registry.to_toml_string().unwrap();
    let again = Registry::from_toml_str(&text).unwrap();
    assert_same(&registry, &again);
}

#[test]
fn json_round_trip_keeps_every_field() {
    let registry = full_registry();
    let text = registry.to_json_string().unwrap();
    let again = Registry::from_json_str(&text).unwrap();
    assert_same(&registry, &again);
}

#[test]
fn written_files_round_trip_through_the_path_loader() {
    let registry = full_registry();
    let toml = temp_path("round-trip.toml");
    std::fs::write(&toml, registry.to_toml_string().unwrap()).unwrap();
    assert_same(&registry, &Registry::from_path(&toml).unwrap());
    let json = temp_path("round-trip.JSON");
    std::fs::write(&json, registry.to_json_string().unwrap()).unwrap();
    assert_same(&registry, &Registry::from_path(&json).unwrap());
}

#[test]
fn written_toml_leaves_defaults_out() {
    let registry = Registry::builder()
        .category(Category::new("necessary").consent_required(false))
        .cookie(Declaration::exact("sid").category("necessary"))
        .build()
        .unwrap();
    let text = registry.to_toml_string().unwrap();
    let cookie = text.split("[[cookie]]").nth(1).unwrap();
    assert_eq!(
        cookie.trim(),
        "name = \"sid\"\ncategory = \"necessary\"",
        "{text}"
    );
}

#[test]
fn json_uses_the_same_keys_as_toml() {
    let registry = Registry::from_json_str(
        r#"{
            "revision": 5,
            "category": [
                {"id": "necessary", "label": "Necessary", "consent_required": false},
                {"id": "marketing", "sale_or_sharing": true}
            ],
            "cookie": [
                {"name": "sid", "category": "necessary", "http_only": true},
                {"prefix": "_fbp", "category": "marketing", "duration": null},
                {"pattern": "ad_*_id", "category": "marketing", "duration": 60}
            ]
        }"#,
    )
    .unwrap();
    assert_eq!(registry.revision(), 5);
    assert!(registry.categories()[1].is_consent_required());
    assert!(registry.categories()[1].is_sale_or_sharing());
    assert_eq!(registry.lookup(b"_fbp").unwrap().duration_value(), None);
    assert_eq!(
        registry.lookup(b"ad_x_id").unwrap().duration_value(),
        Some(Duration::from_secs(60))
    );
}

#[test]
fn the_presets_round_trip_through_both_formats() {
    use tower_cookie_consent::presets;
    let merged = presets::opendatasoft().merge(presets::common_trackers());
    for builder in [presets::opendatasoft(), presets::common_trackers(), merged] {
        let registry = builder.revision(12).build().unwrap();
        let toml = Registry::from_toml_str(&registry.to_toml_string().unwrap()).unwrap();
        assert_same(&registry, &toml);
        let json = Registry::from_json_str(&registry.to_json_string().unwrap()).unwrap();
        assert_same(&registry, &json);
    }
}

// ---------------------------------------------------------------------------------------
// Revision.

#[test]
fn the_revision_of_a_file_reaches_the_policy_page_and_its_json() {
    use tower_cookie_consent::policy;
    let path = temp_path("policy-revision.toml");
    std::fs::write(
        &path,
        "revision = 6\n[[category]]\nid = \"necessary\"\nconsent_required = false\n\
         [[cookie]]\nname = \"sid\"\ncategory = \"necessary\"\n",
    )
    .unwrap();
    let registry = Registry::from_path(&path).unwrap();
    let json: serde_json::Value = serde_json::from_str(&policy::to_json(&registry)).unwrap();
    assert_eq!(json["revision"], 6);
    assert!(policy::render_html_fragment(&registry).contains("data-revision=\"6\""));
}

#[test]
fn revision_is_read_from_files() {
    let toml = Registry::from_toml_str("revision = 7\n").unwrap();
    assert_eq!(toml.revision(), 7);
    let json = Registry::from_json_str(r#"{"revision": 7}"#).unwrap();
    assert_eq!(json.revision(), 7);
}

#[test]
fn revision_defaults_to_zero() {
    assert_eq!(Registry::from_toml_str("").unwrap().revision(), 0);
    assert_eq!(Registry::from_json_str("{}").unwrap().revision(), 0);
}

#[test]
fn revision_is_written_to_files() {
    let registry = Registry::builder().revision(9).build().unwrap();
    let toml = registry.to_toml_string().unwrap();
    assert!(toml.starts_with("revision = 9\n"), "{toml}");
    let json: serde_json::Value =
        serde_json::from_str(&registry.to_json_string().unwrap()).unwrap();
    assert_eq!(json["revision"], 9);
    assert_eq!(Registry::from_toml_str(&toml).unwrap().revision(), 9);
}

#[test]
fn builder_loader_keeps_the_revision_through_merge() {
    let site = RegistryBuilder::from_toml_str("revision = 3\n").unwrap();
    let preset = Registry::builder().default_categories().revision(99);
    assert_eq!(site.merge(preset).build().unwrap().revision(), 3);
}

#[test]
fn negative_revision_is_refused() {
    let (_, line, _, message) = toml_error("revision = -1\n");
    assert_eq!(line, Some(1));
    assert!(message.contains("-1"), "{message}");
    let (_, line, _, message) = json_error("{\n\"revision\": -1}");
    assert_eq!(line, Some(2));
    assert!(message.contains("-1"), "{message}");
}

#[test]
fn the_largest_revision_round_trips() {
    let registry = Registry::builder().revision(u64::MAX).build().unwrap();
    let toml = registry.to_toml_string().unwrap();
    assert_eq!(Registry::from_toml_str(&toml).unwrap().revision(), u64::MAX);
    let json = registry.to_json_string().unwrap();
    assert_eq!(Registry::from_json_str(&json).unwrap().revision(), u64::MAX);
}

// ---------------------------------------------------------------------------------------
// Builder-level loaders.

#[test]
fn builder_loader_lets_cookies_name_categories_a_preset_declares() {
    let site = RegistryBuilder::from_toml_str(
        "[[cookie]]\nname = \"_ga\"\ncategory = \"statistics\"\npurpose = \"ours\"\n",
    )
    .unwrap();
    let preset = Registry::builder().default_categories().cookie(
        Declaration::exact("_ga")
            .category("marketing")
            .purpose("theirs"),
    );
    let registry = site.merge(preset).build().unwrap();
    assert_eq!(registry.lookup(b"_ga").unwrap().purpose_text(), "ours");
    // Built alone, the same file is refused: it names an undeclared category.
    let (_, line, _, message) =
        toml_error("[[cookie]]\nname = \"_ga\"\ncategory = \"statistics\"\n");
    assert_eq!(line, Some(1));
    assert!(message.contains("`statistics`"), "{message}");
}

#[test]
fn builder_loaders_still_check_the_schema() {
    let error = RegistryBuilder::from_json_str(r#"{"cookie": [{"category": "x"}]}"#).unwrap_err();
    assert!(error.to_string().contains("none"), "{error}");
    let error = RegistryBuilder::from_toml_str("bogus = 1\n").unwrap_err();
    assert!(error.to_string().contains("bogus"), "{error}");
}

#[test]
fn builder_path_loader_reads_both_formats() {
    let path = temp_path("builder.json");
    std::fs::write(
        &path,
        r#"{"cookie": [{"name": "sid", "category": "necessary"}]}"#,
    )
    .unwrap();
    let builder = RegistryBuilder::from_path(&path).unwrap();
    assert_eq!(builder.declarations_so_far().len(), 1);
    let builder = RegistryBuilder::from_path(EXAMPLE).unwrap();
    assert_eq!(builder.categories_so_far().len(), 4);
}

// ---------------------------------------------------------------------------------------
// Bad input: each kind gives a ConfigError::File naming the problem.

#[test]
fn unknown_field_in_a_cookie_names_entry_line_and_column() {
    let text = "[[category]]\nid = \"necessary\"\n\n[[cookie]]\nname = \"sid\"\ncategory = \"necessary\"\n\n[[cookie]]\nname = \"_ga\"\ncategory = \"necessary\"\n  consent_requried = false\n";
    let (file, line, column, message) = toml_error(text);
    assert_eq!(file, "<string>");
    assert_eq!((line, column), (Some(11), Some(3)));
    assert!(
        message.starts_with("cookie declaration #1 (`_ga`): unknown field `consent_requried`"),
        "{message}"
    );
}

#[test]
fn unknown_field_in_json_names_entry_line_and_column() {
    let text = "{\"category\": [{\"id\": \"necessary\"}],\n \"cookie\": [\n  {\"name\": \"sid\", \"category\": \"necessary\"},\n  {\"prefix\": \"_ga_\", \"category\": \"necessary\", \"durtion\": 5}\n]}";
    let (file, line, column, message) = json_error(text);
    assert_eq!(file, "<string>");
    assert_eq!(line, Some(4));
    assert!(column.is_some());
    assert!(
        message.starts_with("cookie declaration #1 (`_ga_`): unknown field `durtion`"),
        "{message}"
    );
}

#[test]
fn unknown_field_in_a_category_names_it() {
    let (_, line, _, message) = toml_error("[[category]]\nid = \"x\"\nlable = \"X\"\n");
    assert_eq!(line, Some(3));
    assert!(
        message.starts_with("category #0 (`x`): unknown field `lable`"),
        "{message}"
    );
    let (_, _, _, message) = json_error(r#"{"category": [{"id": "x", "lable": "X"}]}"#);
    assert!(
        message.starts_with("category #0 (`x`): unknown field `lable`"),
        "{message}"
    );
}

#[test]
fn unknown_top_level_field_is_not_blamed_on_an_entry() {
    let text = "[[category]]\nid = \"x\"\n\n[extra]\nkey = 1\n";
    let (_, line, _, message) = toml_error(text);
    assert_eq!(line, Some(4));
    assert!(message.starts_with("unknown field `extra`"), "{message}");
    let (_, _, _, message) = json_error(r#"{"categories": []}"#);
    assert!(
        message.starts_with("unknown field `categories`"),
        "{message}"
    );
}

#[test]
fn wrong_type_names_entry_and_position() {
    let (_, line, column, message) = toml_error(
        "[[category]]\nid = \"s\"\n[[cookie]]\nname = \"_ga\"\ncategory = \"s\"\nduration = \"2 years\"\n",
    );
    assert_eq!((line, column), (Some(6), Some(12)));
    assert!(
        message.starts_with("cookie declaration #0 (`_ga`): invalid type: string"),
        "{message}"
    );

    let (_, line, _, message) = json_error(
        "{\"cookie\": [{\"name\": \"_ga\", \"category\": \"s\",\n \"http_only\": \"yes\"}]}",
    );
    assert_eq!(line, Some(2));
    assert!(
        message.starts_with("cookie declaration #0 (`_ga`): invalid type: string"),
        "{message}"
    );
}

#[test]
fn wrong_type_for_a_whole_table_is_reported() {
    let (_, line, _, message) = toml_error("cookie = 3\n");
    assert_eq!(line, Some(1));
    assert!(message.contains("invalid type"), "{message}");
    let (_, _, _, message) = json_error(r#"{"cookie": {"name": "x"}}"#);
    assert!(message.contains("invalid type"), "{message}");
    let (_, _, _, message) = json_error("\"registry\"");
    assert!(message.contains("invalid type"), "{message}");
}

#[test]
fn arrays_are_not_read_as_tables() {
    // serde's derive would read `[1]` positionally as `{"revision": 1}`.
    let (_, line, _, message) = json_error("[1]");
    assert_eq!(line, Some(1));
    assert!(message.contains("invalid type: sequence"), "{message}");
    let (_, _, _, message) = json_error(r#"{"category": [["necessary", "Necessary"]]}"#);
    assert!(message.contains("invalid type: sequence"), "{message}");
    let (_, _, _, message) = json_error(r#"{"cookie": [["_ga", null, null, "statistics"]]}"#);
    assert!(message.contains("invalid type: sequence"), "{message}");
    let (_, line, _, message) = toml_error(
        "revision = 1
cookie = [[\"_ga\", \"statistics\"]]\n",
    );
    assert_eq!(line, Some(2));
    assert!(message.contains("invalid type"), "{message}");
    let (_, _, _, message) = toml_error("category = [[\"necessary\"]]\n");
    assert!(message.contains("invalid type"), "{message}");
}

#[test]
fn negative_or_fractional_duration_is_refused() {
    for value in ["-5", "1.5", "true"] {
        let text = format!("[[cookie]]\nname = \"a\"\ncategory = \"c\"\nduration = {value}\n");
        let (_, line, _, message) = toml_error(&text);
        assert_eq!(line, Some(4), "{value}");
        assert!(
            message.starts_with("cookie declaration #0 (`a`): invalid"),
            "{message}"
        );
    }
}

#[test]
fn missing_category_key_is_refused() {
    let (_, line, _, message) = toml_error("[[cookie]]\nname = \"a\"\n");
    assert_eq!(line, Some(1));
    assert!(message.contains("missing field `category`"), "{message}");
    assert!(
        message.starts_with("cookie declaration #0 (`a`)"),
        "{message}"
    );
}

#[test]
fn name_and_prefix_together_are_refused() {
    let (_, line, _, message) =
        toml_error("[[cookie]]\nname = \"_ga\"\nprefix = \"_ga_\"\ncategory = \"s\"\n");
    assert_eq!(line, Some(1));
    assert!(
        message.contains("exactly one of `name`, `prefix` or `pattern`"),
        "{message}"
    );
    assert!(
        message.contains("`name` (`_ga`) and `prefix` (`_ga_`)"),
        "{message}"
    );
    assert!(
        message.starts_with("cookie declaration #0 (`_ga`)"),
        "{message}"
    );

    let (_, line, _, message) =
        json_error("{\"cookie\": [\n{\"name\": \"a\", \"pattern\": \"a*\", \"category\": \"s\"}]}");
    assert_eq!(line, Some(2));
    assert!(
        message.contains("`name` (`a`) and `pattern` (`a*`)"),
        "{message}"
    );
}

#[test]
fn a_cookie_without_name_prefix_or_pattern_is_refused() {
    let (_, line, _, message) = toml_error(
        "[[category]]\nid = \"s\"\n\n[[cookie]]\ncategory = \"s\"\nprovider = \"Google\"\n",
    );
    assert_eq!(line, Some(4));
    assert_eq!(
        message,
        "cookie declaration #0: a cookie needs one of `name`, `prefix` or `pattern`, and has none"
    );
    let (_, _, _, message) = json_error(r#"{"cookie": [{"category": "s"}]}"#);
    assert!(message.ends_with("and has none"), "{message}");
}

#[test]
fn duplicate_cookie_names_the_file_and_the_second_entry() {
    let text = "[[category]]\nid = \"s\"\n[[cookie]]\nname = \"_ga\"\ncategory = \"s\"\n[[cookie]]\nname = \"_gid\"\ncategory = \"s\"\n[[cookie]]\nname = \"_ga\"\ncategory = \"s\"\n";
    let (file, line, column, message) = toml_error(text);
    assert_eq!(file, "<string>");
    assert_eq!((line, column), (Some(9), Some(1)));
    assert_eq!(
        message,
        "cookie declaration #2 (`_ga`) repeats an earlier declaration"
    );

    let (_, line, _, message) = json_error(
        r#"{"category": [{"id": "s"}], "cookie": [{"prefix": "_ga", "category": "s"}, {"prefix": "_ga", "category": "s"}]}"#,
    );
    assert_eq!(line, None, "JSON values carry no positions after parsing");
    assert_eq!(
        message,
        "cookie declaration #1 (`_ga`) repeats an earlier declaration"
    );
}

#[test]
fn duplicate_category_points_at_the_second() {
    let (_, line, _, message) = toml_error("[[category]]\nid = \"a\"\n[[category]]\nid = \"a\"\n");
    assert_eq!(line, Some(3));
    assert_eq!(message, "category `a` is declared twice");
}

#[test]
fn unknown_category_names_it_and_the_entry() {
    let text = "[[category]]\nid = \"statistics\"\n\n[[cookie]]\nname = \"_ga\"\ncategory = \"statistic\"\n";
    let (_, line, _, message) = toml_error(text);
    assert_eq!(line, Some(4));
    assert!(message.contains("#0 (`_ga`)"), "{message}");
    assert!(message.contains("`statistic`"), "{message}");
}

#[test]
fn invalid_pattern_names_it() {
    let text = "[[category]]\nid = \"s\"\n[[cookie]]\npattern = \"_pk_id\"\ncategory = \"s\"\n";
    let (_, line, _, message) = toml_error(text);
    assert_eq!(line, Some(3));
    assert!(message.contains("invalid pattern `_pk_id`"), "{message}");
    assert!(message.contains("no wildcard"), "{message}");
    let (_, _, _, message) = json_error(
        r#"{"category": [{"id": "s"}], "cookie": [{"pattern": "**", "category": "s"}]}"#,
    );
    assert!(message.contains("invalid pattern `**`"), "{message}");
}

#[test]
fn invalid_cookie_name_names_it() {
    let (_, _, _, message) =
        toml_error("[[category]]\nid = \"s\"\n[[cookie]]\nname = \"a b\"\ncategory = \"s\"\n");
    assert!(message.contains("(`a b`)"), "{message}");
    assert!(message.contains("space"), "{message}");
    let (_, _, _, message) =
        toml_error("[[category]]\nid = \"s\"\n[[cookie]]\nprefix = \"\"\ncategory = \"s\"\n");
    assert!(message.contains("empty prefix"), "{message}");
}

#[test]
fn service_equal_to_a_category_points_at_the_cookie() {
    let text = "[[category]]\nid = \"s\"\n[[cookie]]\nname = \"a\"\ncategory = \"s\"\n[[cookie]]\nname = \"b\"\ncategory = \"s\"\nservice = \"s\"\n";
    let (_, line, _, message) = toml_error(text);
    assert_eq!(line, Some(6));
    assert!(
        message.contains("both a category id and a service id"),
        "{message}"
    );
}

#[test]
fn duplicate_keys_are_refused() {
    let (_, line, _, message) = toml_error("revision = 1\nrevision = 2\n");
    assert_eq!(line, Some(2));
    assert!(message.contains("duplicate"), "{message}");
    let (_, _, _, message) = json_error(r#"{"revision": 1, "revision": 2}"#);
    assert!(message.contains("duplicate field `revision`"), "{message}");
    // A JSON value keeps the last of two equal keys, so the entry cannot be named; the
    // position still says where.
    let (_, line, column, message) =
        json_error("{\"cookie\": [\n{\"name\": \"a\", \"category\": \"s\", \"category\": \"t\"}]}");
    assert_eq!(line, Some(2));
    assert!(column.is_some());
    assert!(message.contains("duplicate field `category`"), "{message}");
}

#[test]
fn a_byte_order_mark_is_ignored() {
    let toml = Registry::from_toml_str("\u{feff}revision = 3\n").unwrap();
    assert_eq!(toml.revision(), 3);
    let json = Registry::from_json_str("\u{feff}{\"revision\": 3}").unwrap();
    assert_eq!(json.revision(), 3);
    let path = temp_path("bom.json");
    std::fs::write(&path, "\u{feff}{\"revision\": 4}").unwrap();
    assert_eq!(Registry::from_path(&path).unwrap().revision(), 4);
}

#[test]
fn syntax_errors_have_a_position() {
    let (_, line, column, message) = toml_error("revision = 1\n[[cookie]\n");
    assert_eq!(line, Some(2));
    assert!(column.is_some());
    assert!(!message.is_empty());
    let (_, line, column, _) = json_error("{\n  \"revision\": 1,\n}");
    assert_eq!(line, Some(3));
    assert!(column.is_some());
    let (_, line, _, _) = json_error("");
    assert_eq!(line, Some(1));
}

#[test]
fn deep_nesting_is_refused_without_overflowing_the_stack() {
    let deep = format!("x = {}{}\n", "[".repeat(100_000), "]".repeat(100_000));
    let (_, line, _, _) = toml_error(&deep);
    assert_eq!(line, Some(1));
    let deep = format!(
        "{{\"cookie\": {}{}}}",
        "[".repeat(100_000),
        "]".repeat(100_000)
    );
    json_error(&deep);
    let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    json_error(&deep);
}

#[test]
fn text_over_the_size_limit_is_refused() {
    let size = usize::try_from(MAX_FILE_SIZE).unwrap() + 1;
    let mut text = String::with_capacity(size);
    text.push_str("revision = 1\n");
    text.extend(std::iter::repeat_n('#', size - text.len()));
    let (file, _, _, message) = toml_error(&text);
    assert_eq!(file, "<string>");
    assert!(message.contains("larger than"), "{message}");
    let (_, _, _, message) = json_error(&text);
    assert!(message.contains("larger than"), "{message}");
}

// ---------------------------------------------------------------------------------------
// The path loader.

#[test]
fn path_errors_name_the_path() {
    let path = temp_path("bad.toml");
    std::fs::write(&path, "revision = \"one\"\n").unwrap();
    let (file, line, _, message) = file_error(Registry::from_path(&path).unwrap_err());
    assert_eq!(file, path.display().to_string());
    assert_eq!(line, Some(1));
    assert!(message.contains("invalid type"), "{message}");
}

#[test]
fn build_errors_from_a_path_name_the_path() {
    let path = temp_path("dup.json");
    std::fs::write(
        &path,
        r#"{"category": [{"id": "s"}], "cookie": [{"name": "a", "category": "s"}, {"name": "a", "category": "s"}]}"#,
    )
    .unwrap();
    let error = Registry::from_path(&path).unwrap_err();
    let text = error.to_string();
    assert!(text.starts_with(&format!("{}: ", path.display())), "{text}");
    assert!(text.contains("repeats an earlier declaration"), "{text}");
}

#[test]
fn invalid_utf8_is_refused_with_its_position() {
    let path = temp_path("latin1.toml");
    std::fs::write(&path, b"revision = 1\n[[category]]\nid = \"caf\xe9\"\n").unwrap();
    let (file, line, column, message) = file_error(Registry::from_path(&path).unwrap_err());
    assert_eq!(file, path.display().to_string());
    assert_eq!((line, column), (Some(3), Some(10)));
    assert!(message.contains("not UTF-8"), "{message}");
    assert!(message.contains("0xe9"), "{message}");
}

#[test]
fn a_file_over_the_limit_is_refused_before_it_is_read() {
    // A sparse file: its metadata says 16 MiB + 1 without writing the bytes.
    for name in ["huge.toml", "huge.json"] {
        let path = temp_path(name);
        let file = std::fs::File::create(&path).unwrap();
        file.set_len(MAX_FILE_SIZE + 1).unwrap();
        drop(file);
        let (file, _, _, message) = file_error(Registry::from_path(&path).unwrap_err());
        assert_eq!(file, path.display().to_string());
        assert!(message.contains("larger than 16777216 bytes"), "{message}");
        std::fs::remove_file(&path).unwrap();
    }
}

#[test]
fn a_file_of_exactly_the_limit_is_read() {
    let path = temp_path("limit.toml");
    let size = usize::try_from(MAX_FILE_SIZE).unwrap();
    let mut text = String::from("revision = 2\n");
    text.extend(std::iter::repeat_n('#', size - text.len()));
    std::fs::write(&path, &text).unwrap();
    assert_eq!(Registry::from_path(&path).unwrap().revision(), 2);
    std::fs::remove_file(&path).unwrap();
}

#[test]
fn unknown_extension_is_refused() {
    for name in ["registry.yaml", "registry", "registry.toml.bak"] {
        let (_, _, _, message) = file_error(Registry::from_path(temp_path(name)).unwrap_err());
        assert!(message.contains("`.toml` or `.json`"), "{name}: {message}");
    }
}

#[test]
fn missing_file_and_directory_are_refused() {
    let (file, _, _, message) =
        file_error(Registry::from_path(temp_path("does-not-exist.toml")).unwrap_err());
    assert!(file.ends_with("does-not-exist.toml"));
    assert!(message.starts_with("cannot open it"), "{message}");

    let dir = temp_path("a-directory.json");
    std::fs::create_dir_all(&dir).unwrap();
    let (_, _, _, message) = file_error(Registry::from_path(&dir).unwrap_err());
    assert!(
        message.contains("directory") || message.starts_with("cannot"),
        "{message}"
    );
}

// ---------------------------------------------------------------------------------------
// Properties.

/// Text built from the pieces registry files are made of, so that the loaders get deep
/// into the schema rather than failing on the first character.
fn registryish() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        Just("[[cookie]]\n".to_owned()),
        Just("[[category]]\n".to_owned()),
        Just("[cookie]\n".to_owned()),
        Just("revision = ".to_owned()),
        Just("name = ".to_owned()),
        Just("prefix = ".to_owned()),
        Just("pattern = ".to_owned()),
        Just("category = ".to_owned()),
        Just("id = ".to_owned()),
        Just("duration = ".to_owned()),
        Just("consent_required = ".to_owned()),
        Just("http_only = ".to_owned()),
        Just("\"necessary\"\n".to_owned()),
        Just("\"_ga*\"\n".to_owned()),
        Just("-1\n".to_owned()),
        Just("99999999999999999999\n".to_owned()),
        Just("true\n".to_owned()),
        Just("{ a = [1, {b = 2}] }\n".to_owned()),
        Just("{\"cookie\": [".to_owned()),
        Just("{\"category\": \"".to_owned()),
        Just("\"name\": \"x\", ".to_owned()),
        Just("}]".to_owned()),
        Just("\u{feff}".to_owned()),
        "[ -~]{0,8}",
        "\\PC{0,4}",
    ];
    prop::collection::vec(piece, 0..24).prop_map(|pieces| pieces.concat())
}

/// Valid registries with arbitrary text in every free-text field.
fn registries() -> impl Strategy<Value = Registry> {
    let text = "\\PC{0,12}";
    let category = ("[a-z_]{1,8}", text, text, any::<bool>(), any::<bool>());
    let cookie = (
        0usize..3,
        "[A-Za-z0-9_.-]{1,10}",
        prop::option::of("[a-z]{1,6}"),
        (text, text, text),
        prop::option::of(any::<bool>()),
        (prop::option::of(text), prop::option::of(text)),
        prop::option::of(any::<u64>()),
        (any::<bool>(), any::<bool>()),
    );
    (
        prop::collection::vec(category, 1..4),
        prop::collection::vec(cookie, 0..8),
        any::<u64>(),
    )
        .prop_filter_map("must build", |(categories, cookies, revision)| {
            let mut builder = Registry::builder().revision(revision);
            let ids: Vec<String> = categories.iter().map(|c| c.0.clone()).collect();
            for (id, label, description, required, sale) in categories {
                builder = builder.category(
                    Category::new(id)
                        .label(label)
                        .description(description)
                        .consent_required(required)
                        .sale_or_sharing(sale),
                );
            }
            for (
                i,
                (
                    kind,
                    name,
                    service,
                    (provider, function, purpose),
                    required,
                    (domain, path),
                    secs,
                    (http_only, partitioned),
                ),
            ) in cookies.into_iter().enumerate()
            {
                let mut d = match kind {
                    0 => Declaration::exact(name),
                    1 => Declaration::prefix(name),
                    _ => Declaration::pattern(format!("{name}*")),
                }
                .category(ids[i % ids.len()].clone())
                .provider(provider)
                .function(function)
                .purpose(purpose)
                .http_only(http_only)
                .partitioned(partitioned);
                if let Some(s) = service {
                    d = d.service(format!("svc_{s}"));
                }
                if let Some(r) = required {
                    d = d.consent_required(r);
                }
                if let Some(x) = domain {
                    d = d.domain(x);
                }
                if let Some(x) = path {
                    d = d.path(x);
                }
                if let Some(s) = secs {
                    d = d.duration(Duration::from_secs(s));
                }
                builder = builder.cookie(d);
            }
            builder.build().ok()
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn loaders_never_panic_on_arbitrary_text(text in "\\PC{0,200}") {
        let _ = Registry::from_toml_str(&text);
        let _ = Registry::from_json_str(&text);
        let _ = RegistryBuilder::from_toml_str(&text);
        let _ = RegistryBuilder::from_json_str(&text);
    }

    #[test]
    fn loaders_never_panic_on_registryish_text(text in registryish()) {
        for result in [Registry::from_toml_str(&text), Registry::from_json_str(&text)] {
            if let Err(error) = result {
                // Every failure is a file error with something to say.
                let (file, line, column, message) = file_error(error);
                prop_assert_eq!(file, "<string>");
                prop_assert!(!message.is_empty());
                prop_assert!(line != Some(0) && column != Some(0));
            }
        }
    }

    #[test]
    fn loaders_never_panic_on_mutated_example(
        edits in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..8)
    ) {
        let mut bytes = std::fs::read(EXAMPLE).unwrap();
        for (index, byte) in edits {
            let i = index.index(bytes.len());
            bytes[i] = byte;
        }
        let text = String::from_utf8_lossy(&bytes);
        let _ = Registry::from_toml_str(&text);
    }

}

proptest! {
    // Each case builds a registry (and compiles its patterns) three times.
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn every_registry_round_trips(registry in registries()) {
        let toml = Registry::from_toml_str(&registry.to_toml_string().unwrap()).unwrap();
        prop_assert_eq!(registry.categories(), toml.categories());
        prop_assert_eq!(registry.declarations(), toml.declarations());
        prop_assert_eq!(registry.revision(), toml.revision());
        let json = Registry::from_json_str(&registry.to_json_string().unwrap()).unwrap();
        prop_assert_eq!(registry.categories(), json.categories());
        prop_assert_eq!(registry.declarations(), json.declarations());
        prop_assert_eq!(registry.revision(), json.revision());
    }
}
