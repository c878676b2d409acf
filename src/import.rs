//! Import of the Open Cookie Database, the community catalogue of cookies
//! (<https://github.com/jkwakman/Open-Cookie-Database>), from its CSV file.
//!
//! The database is not shipped with this crate and never downloaded by it: the site
//! downloads the CSV itself, reviews it, and hands it to [`OpenCookieDatabase::read_path`]
//! (or [`read`](OpenCookieDatabase::read) for any reader). The result is a
//! [`RegistryBuilder`] to [merge](RegistryBuilder::merge) **under** the site's own
//! declarations, so that whatever the site declares wins over the catalogue, plus an
//! [`ImportReport`] of what was imported and what was skipped, and why.
//!
//! ```
//! use tower_cookie_consent::import::OpenCookieDatabase;
//! use tower_cookie_consent::{Declaration, Registry};
//!
//! let csv = "\
//! ID,Platform,Category,Cookie / Data Key name,Domain,Description,Retention period,Data Controller,User Privacy & GDPR Rights Portals,Wildcard match
//! 1,Google Analytics,Analytics,_ga,google-analytics.com (3rd party),ID used to identify users,2 years,Google,https://policies.google.com/privacy,0
//! 2,Google Analytics,Analytics,_ga_,google-analytics.com (3rd party),ID used to identify users,2 years,Google,https://policies.google.com/privacy,1
//! ";
//! let import = OpenCookieDatabase::new().read(csv.as_bytes())?;
//! assert_eq!(import.report().imported(), 2);
//!
//! let registry = Registry::builder()
//!     .default_categories()
//!     // The site's own declaration of `_ga` wins over the imported one.
//!     .cookie(Declaration::exact("_ga").category("statistics").service("ga"))
//!     .merge(import.into_builder())
//!     .build()?;
//! assert_eq!(registry.lookup(b"_ga").unwrap().service_id(), Some("ga"));
//! let ga4 = registry.lookup(b"_ga_1A2B3C").unwrap();
//! assert_eq!(ga4.provider_text(), "Google");
//! assert_eq!(ga4.duration_value().unwrap().as_secs(), 2 * 365 * 24 * 3600);
//! # Ok::<(), tower_cookie_consent::ConfigError>(())
//! ```
//!
//! # Columns
//!
//! The first row names the columns; they are found by name (ignoring ASCII case and
//! surrounding spaces), in any order, and extra columns are ignored. `Category` and
//! `Cookie / Data Key name` are required; the others may be missing.
//!
//! | column | becomes |
//! |---|---|
//! | `Cookie / Data Key name` | the cookie-name, prefix or pattern (see [Names](#names)) |
//! | `Category` | the category, through the [mapping](#categories) |
//! | `Wildcard match` | `1` (or `true`, `yes`): the name is a prefix (see [Names](#names)) |
//! | `Platform` | [`function`](crate::Declaration::function), and the provider when `Data Controller` is empty |
//! | `Data Controller` | [`provider`](crate::Declaration::provider) |
//! | `Description` | [`purpose`](crate::Declaration::purpose) |
//! | `Retention period` | [`duration`](crate::Declaration::duration) (see [Retention](#retention)) |
//! | `ID`, `Domain`, `User Privacy & GDPR Rights Portals` | nothing |
//!
//! `Domain` describes who sets the cookie (`google-analytics.com (3rd party)`,
//! `Advertiser's website domain (1st party)`), not the `Domain` attribute the site sets, so
//! it is not imported. A field that reads `#N/A` counts as empty. No
//! [service](crate::Declaration::service) is set: service ids are keys of the site's consent
//! cookie, which only the site knows (and a registry holds at most
//! [`ServiceId::MAX`](crate::ServiceId::MAX) of them); declare the site's own services
//! yourself, they win over the import.
//!
//! # Categories
//!
//! The catalogue's categories map onto consent categories by this default mapping (the
//! catalogue's names are compared ignoring ASCII case), which
//! [`map_category`](OpenCookieDatabase::map_category) and
//! [`ignore_category`](OpenCookieDatabase::ignore_category) change:
//!
//! | catalogue | consent category |
//! |---|---|
//! | `Functional` | `necessary` |
//! | `Security` | `necessary` |
//! | `Analytics` | `statistics` |
//! | `Marketing` | `marketing` |
//! | `Personalization`, `Preferences` | `functional` |
//!
//! The catalogue defines `Functional` as "technical, essential or strictly necessary", so
//! by default its cookies need **no consent**. That is the catalogue's judgement, made for
//! all the sites that use a tool, not for yours: review what lands in `necessary`
//! ([`ImportReport::by_category`]) and map `Functional` elsewhere if in doubt. A row whose
//! category the mapping does not know is skipped, never guessed.
//!
//! The builder holds the categories the imported rows use, in order of first use:
//! [`Category::necessary`](crate::Category::necessary),
//! [`functional`](crate::Category::functional), [`statistics`](crate::Category::statistics)
//! and [`marketing`](crate::Category::marketing) for those ids, [`Category::new`] for
//! others. When merged, the site's own categories of the same id win.
//!
//! # Names
//!
//! A name is trimmed of SP and HTAB. A trailing count such as ` [x4]` (the catalogue's way
//! of saying a cookie is set several times) is removed. A placeholder in angle brackets
//! (`SR<RotatorID>`) and a `*` are wildcards. With `Wildcard match = 1` the name is the
//! start of the cookie-name (`_ga_` for `_ga_<container-id>`). A name whose only wildcard is
//! at its end becomes a [prefix](crate::Declaration::prefix) declaration, one with other
//! wildcards a [pattern](crate::Declaration::pattern), one without an
//! [exact](crate::Declaration::exact) one.
//!
//! A wildcard declaration whose fixed start (the prefix, or a pattern's text before its first
//! wildcard) is shorter than [`MIN_WILDCARD_START`] characters would cover far more cookies
//! than the row describes; it is skipped unless the caller opts in with
//! [`allow_short_wildcards`](OpenCookieDatabase::allow_short_wildcards). A name that cannot
//! be a cookie-name (empty, with a space, `;`, `=` or a control character; RFC 6265bis §5.6)
//! is skipped.
//!
//! When several rows declare the same name (or prefix, or pattern), the **first** wins and
//! the others are skipped as duplicates.
//!
//! # Retention
//!
//! Every `<whole number> <unit>` in the text counts, and the longest wins
//! (`30 seconds till 1 year` is one year; `2 years after last activity` two years). Units:
//! second, minute, hour, day, week, month (30 days), year (365 days), with plurals and the
//! usual abbreviations. Text with no such duration that mentions `session` is a session
//! cookie. Anything else (`persistent`, an empty field) leaves the duration unset, which
//! reads as a session cookie; such rows are listed in
//! [`ImportReport::retention_not_understood`] so the site can declare them itself.
//!
//! # Errors
//!
//! A [`ConfigError::File`] (with `file` the path, or `<reader>`) when the input cannot be
//! read, is larger than [`MAX_FILE_SIZE`](crate::config::MAX_FILE_SIZE) (a file is refused by its size before it is read),
//! or has no `Category` or `Cookie / Data Key name` column. A bad row is never an error: it
//! is skipped and reported.
//!
//! [`Category::new`]: crate::Category::new

use std::collections::HashSet;
use std::fmt;
use std::io::Read;
use std::path::Path;
use std::time::Duration;

use csv::{ByteRecord, ReaderBuilder};

use crate::category::Category;
use crate::config::{self, Limited};
use crate::declaration::{Declaration, Match};
use crate::error::ConfigError;
use crate::registry::{check_name, glob_to_regex, Registry, RegistryBuilder};

/// The shortest fixed start, in characters, of an imported wildcard declaration unless the
/// caller [opts in](OpenCookieDatabase::allow_short_wildcards) to shorter ones: 3.
pub const MIN_WILDCARD_START: usize = 3;

/// Reads the Open Cookie Database CSV into a [`RegistryBuilder`]; see the
/// [module documentation](self) for the mapping.
///
/// ```
/// use tower_cookie_consent::import::OpenCookieDatabase;
///
/// let importer = OpenCookieDatabase::new()
///     .map_category("Functional", "functional") // ask consent for them too
///     .ignore_category("Marketing"); // this site runs no advertising
/// # let _ = importer;
/// ```
#[derive(Debug, Clone)]
#[must_use]
pub struct OpenCookieDatabase {
    /// Catalogue category (compared ignoring ASCII case) to consent category id; `None`
    /// ignores the rows.
    mapping: Vec<(String, Option<String>)>,
    allow_short_wildcards: bool,
}

impl Default for OpenCookieDatabase {
    fn default() -> Self {
        Self::new()
    }
}

impl OpenCookieDatabase {
    /// An importer with the [default mapping](self#categories) that refuses short
    /// wildcards.
    pub fn new() -> Self {
        let mapping = [
            ("Functional", "necessary"),
            ("Security", "necessary"),
            ("Analytics", "statistics"),
            ("Marketing", "marketing"),
            ("Personalization", "functional"),
            ("Preferences", "functional"),
        ];
        Self {
            mapping: mapping
                .into_iter()
                .map(|(from, to)| (from.to_owned(), Some(to.to_owned())))
                .collect(),
            allow_short_wildcards: false,
        }
    }

    /// Maps the catalogue's category `catalogue` (compared ignoring ASCII case) onto the
    /// consent category id `category`, replacing its default.
    ///
    /// ```
    /// use tower_cookie_consent::import::OpenCookieDatabase;
    ///
    /// let csv = "Category,Cookie / Data Key name\nFunctional,cookiePreferences\n";
    /// let import = OpenCookieDatabase::new()
    ///     .map_category("functional", "functional")
    ///     .read(csv.as_bytes())?;
    /// let (builder, _) = import.into_parts();
    /// assert_eq!(builder.declarations_so_far()[0].category_id(), "functional");
    /// # Ok::<(), tower_cookie_consent::ConfigError>(())
    /// ```
    pub fn map_category(
        mut self,
        catalogue: impl Into<String>,
        category: impl Into<String>,
    ) -> Self {
        self.set(catalogue.into(), Some(category.into()));
        self
    }

    /// Skips the rows of the catalogue's category `catalogue` (compared ignoring ASCII case);
    /// they are reported as [`SkipReason::IgnoredCategory`].
    ///
    /// ```
    /// use tower_cookie_consent::import::{OpenCookieDatabase, SkipReason};
    ///
    /// let csv = "Category,Cookie / Data Key name\nMarketing,_fbp\n";
    /// let import = OpenCookieDatabase::new().ignore_category("Marketing").read(csv.as_bytes())?;
    /// assert_eq!(import.report().imported(), 0);
    /// assert!(matches!(import.report().skipped()[0].reason(), SkipReason::IgnoredCategory(_)));
    /// # Ok::<(), tower_cookie_consent::ConfigError>(())
    /// ```
    pub fn ignore_category(mut self, catalogue: impl Into<String>) -> Self {
        self.set(catalogue.into(), None);
        self
    }

    /// Imports wildcard declarations whose fixed start is shorter than
    /// [`MIN_WILDCARD_START`] characters (default `false`: they are skipped). A wildcard
    /// with no fixed start at all, which would match every cookie, is always skipped.
    ///
    /// ```
    /// use tower_cookie_consent::import::OpenCookieDatabase;
    ///
    /// let csv = "Category,Cookie / Data Key name,Wildcard match\nMarketing,C,1\n";
    /// assert_eq!(OpenCookieDatabase::new().read(csv.as_bytes())?.report().imported(), 0);
    /// let import = OpenCookieDatabase::new().allow_short_wildcards(true).read(csv.as_bytes())?;
    /// assert_eq!(import.report().imported(), 1);
    /// # Ok::<(), tower_cookie_consent::ConfigError>(())
    /// ```
    pub fn allow_short_wildcards(mut self, yes: bool) -> Self {
        self.allow_short_wildcards = yes;
        self
    }

    fn set(&mut self, catalogue: String, category: Option<String>) {
        let key = catalogue.trim().to_owned();
        match self
            .mapping
            .iter_mut()
            .find(|(from, _)| from.eq_ignore_ascii_case(&key))
        {
            Some(entry) => entry.1 = category,
            None => self.mapping.push((key, category)),
        }
    }

    /// Reads the CSV from a file the site downloaded.
    ///
    /// # Errors
    ///
    /// A [`ConfigError::File`] naming the path when the file cannot be opened or read, is
    /// larger than [`MAX_FILE_SIZE`](crate::config::MAX_FILE_SIZE) (refused by its size before it is read), or lacks a
    /// required column; see [Errors](self#errors).
    pub fn read_path(&self, path: impl AsRef<Path>) -> Result<Import, ConfigError> {
        let path = path.as_ref();
        let file = path.display().to_string();
        let reader = config::open_limited(path, &file)?;
        self.read_limited(reader, &file)
    }

    /// Reads the CSV from any reader; at most [`MAX_FILE_SIZE`](crate::config::MAX_FILE_SIZE) bytes are read.
    ///
    /// # Errors
    ///
    /// A [`ConfigError::File`] with `file` set to `<reader>` when reading fails, the input is
    /// larger than [`MAX_FILE_SIZE`](crate::config::MAX_FILE_SIZE), or a required column is missing; see
    /// [Errors](self#errors).
    pub fn read(&self, reader: impl Read) -> Result<Import, ConfigError> {
        self.read_limited(Limited::new(reader), "<reader>")
    }

    fn read_limited<R: Read>(&self, reader: Limited<R>, file: &str) -> Result<Import, ConfigError> {
        let mut csv = ReaderBuilder::new()
            .has_headers(true)
            .flexible(true)
            .from_reader(reader);
        let headers = csv.byte_headers().map_err(|e| csv_error(file, e))?;
        let columns = Columns::find(headers).map_err(|missing| ConfigError::File {
            file: file.to_owned(),
            line: Some(1),
            column: None,
            message: format!(
                "not an Open Cookie Database CSV: its first row has no `{missing}` column"
            ),
        })?;
        let mut import = Importer::default();
        let mut record = ByteRecord::new();
        while csv
            .read_byte_record(&mut record)
            .map_err(|e| csv_error(file, e))?
        {
            let line = record.position().map_or(0, |p| p.line());
            import.report.rows += 1;
            if let Err(reason) = self.row(&record, &columns, line, &mut import) {
                import.report.skipped.push(SkippedRow {
                    line,
                    name: columns.name_lossy(&record),
                    reason,
                });
            }
        }
        Ok(import.finish())
    }

    /// Imports one row, or says why not.
    fn row(
        &self,
        record: &ByteRecord,
        columns: &Columns,
        line: u64,
        import: &mut Importer,
    ) -> Result<(), SkipReason> {
        let raw_name = field(record, Some(columns.name))?;
        if raw_name.is_empty() {
            return Err(SkipReason::MissingName);
        }
        let catalogue = field(record, Some(columns.category))?;
        let category = match self
            .mapping
            .iter()
            .find(|(from, _)| from.eq_ignore_ascii_case(catalogue))
        {
            Some((_, Some(category))) => category,
            Some((_, None)) => return Err(SkipReason::IgnoredCategory(catalogue.to_owned())),
            None => return Err(SkipReason::UnmappedCategory(catalogue.to_owned())),
        };
        let wildcard = field(record, columns.wildcard)?;
        let wildcard = ["1", "true", "yes"]
            .iter()
            .any(|yes| wildcard.eq_ignore_ascii_case(yes));
        let matcher = name_to_match(raw_name, wildcard, self.allow_short_wildcards)?;
        if import.seen.contains(&matcher) {
            return Err(SkipReason::Duplicate);
        }

        let platform = field(record, columns.platform)?;
        let controller = field(record, columns.controller)?;
        let description = field(record, columns.description)?;
        let retention = field(record, columns.retention)?;
        let mut declaration = Declaration::new(matcher.clone())
            .category(category.clone())
            .provider(if controller.is_empty() {
                platform
            } else {
                controller
            })
            .function(platform)
            .purpose(description);
        match parse_retention(retention) {
            Retention::For(duration) => declaration = declaration.duration(duration),
            Retention::Session => {}
            Retention::Unknown => import.report.retention.push(RetentionNote {
                line,
                name: raw_name.to_owned(),
                text: retention.to_owned(),
            }),
        }
        import.seen.insert(matcher);
        import.add(declaration);
        Ok(())
    }
}

/// The state of one import.
#[derive(Default)]
struct Importer {
    categories: Vec<String>,
    declarations: Vec<Declaration>,
    seen: HashSet<Match>,
    report: ImportReport,
}

impl Importer {
    fn add(&mut self, declaration: Declaration) {
        let category = declaration.category_id();
        match self
            .report
            .by_category
            .iter_mut()
            .find(|(c, _)| c == category)
        {
            Some((_, n)) => *n += 1,
            None => {
                self.categories.push(category.to_owned());
                self.report.by_category.push((category.to_owned(), 1));
            }
        }
        self.report.imported += 1;
        self.declarations.push(declaration);
    }

    fn finish(self) -> Import {
        let mut builder = Registry::builder();
        for id in self.categories {
            builder = builder.category(match id.as_str() {
                "necessary" => Category::necessary(),
                "functional" => Category::functional(),
                "statistics" => Category::statistics(),
                "marketing" => Category::marketing(),
                _ => Category::new(id),
            });
        }
        Import {
            builder: builder.cookies(self.declarations),
            report: self.report,
        }
    }
}

/// Where the columns are, found by name in the first row.
struct Columns {
    name: usize,
    category: usize,
    platform: Option<usize>,
    description: Option<usize>,
    retention: Option<usize>,
    controller: Option<usize>,
    wildcard: Option<usize>,
}

impl Columns {
    fn find(headers: &ByteRecord) -> Result<Self, &'static str> {
        let find = |wanted: &str| {
            headers.iter().position(|h| {
                std::str::from_utf8(h)
                    .is_ok_and(|h| h.trim_matches([' ', '\t']).eq_ignore_ascii_case(wanted))
            })
        };
        const NAME: &str = "Cookie / Data Key name";
        Ok(Self {
            name: find(NAME).ok_or(NAME)?,
            category: find("Category").ok_or("Category")?,
            platform: find("Platform"),
            description: find("Description"),
            retention: find("Retention period"),
            controller: find("Data Controller"),
            wildcard: find("Wildcard match"),
        })
    }

    /// The name as written, for the report, whatever its bytes.
    fn name_lossy(&self, record: &ByteRecord) -> String {
        String::from_utf8_lossy(record.get(self.name).unwrap_or_default())
            .trim_matches([' ', '\t'])
            .to_owned()
    }
}

/// A field, trimmed of SP and HTAB; empty when the column or field is missing or reads
/// `#N/A`.
fn field(record: &ByteRecord, column: Option<usize>) -> Result<&str, SkipReason> {
    let Some(bytes) = column.and_then(|c| record.get(c)) else {
        return Ok("");
    };
    let text = std::str::from_utf8(bytes)
        .map_err(|_| SkipReason::NotUtf8)?
        .trim_matches([' ', '\t']);
    Ok(if text == "#N/A" { "" } else { text })
}

fn csv_error(file: &str, error: csv::Error) -> ConfigError {
    if let csv::ErrorKind::Io(io) = error.kind() {
        return config::io_error(file, io);
    }
    ConfigError::File {
        file: file.to_owned(),
        line: error.position().map(|p| p.line() as usize),
        column: None,
        message: format!("cannot read the CSV: {error}"),
    }
}

/// Turns a catalogue name into a [`Match`]; see [Names](self#names).
fn name_to_match(raw: &str, wildcard: bool, allow_short: bool) -> Result<Match, SkipReason> {
    let name = strip_count(raw.trim_matches([' ', '\t']));
    let mut glob = String::with_capacity(name.len() + 1);
    let mut rest = name;
    while let Some(open) = rest.find('<') {
        let Some(close) = rest[open..].find('>') else {
            break;
        };
        glob.push_str(&rest[..open]);
        glob.push('*');
        rest = &rest[open + close + 1..];
    }
    glob.push_str(rest);
    while glob.contains("**") {
        glob = glob.replace("**", "*");
    }
    if wildcard && !glob.ends_with('*') {
        glob.push('*');
    }
    let invalid = |e: ConfigError| match e {
        ConfigError::InvalidName { reason, .. } => SkipReason::InvalidName(reason.to_owned()),
        ConfigError::InvalidPattern { reason, .. } => SkipReason::InvalidName(reason),
        other => SkipReason::InvalidName(other.to_string()),
    };
    let stars = glob.matches('*').count();
    let (matcher, fixed) = if stars == 0 {
        check_name(0, &glob, false).map_err(invalid)?;
        return Ok(Match::Exact(glob));
    } else if stars == 1 && glob.ends_with('*') {
        glob.pop();
        if glob.is_empty() {
            return Err(SkipReason::InvalidName(
                "it is only a wildcard, which would match every cookie".into(),
            ));
        }
        check_name(0, &glob, false).map_err(invalid)?;
        let fixed = glob.chars().count();
        (Match::Prefix(glob), fixed)
    } else {
        glob_to_regex(0, &glob).map_err(invalid)?;
        let fixed = glob.chars().take_while(|c| !matches!(c, '*' | '?')).count();
        (Match::Pattern(glob), fixed)
    };
    if fixed < MIN_WILDCARD_START && !allow_short {
        return Err(SkipReason::ShortWildcard);
    }
    Ok(matcher)
}

/// Removes a trailing count such as ` [x4]`.
fn strip_count(name: &str) -> &str {
    if let Some(open) = name.rfind("[x") {
        let inside = &name[open + 2..];
        if let Some(digits) = inside.strip_suffix(']') {
            if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) {
                return name[..open].trim_end_matches([' ', '\t']);
            }
        }
    }
    name
}

/// What a `Retention period` says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Retention {
    For(Duration),
    Session,
    Unknown,
}

/// Reads a `Retention period`; see [Retention](self#retention).
fn parse_retention(text: &str) -> Retention {
    let lower = text.to_ascii_lowercase();
    let bytes = lower.as_bytes();
    let mut longest: Option<u64> = None;
    let mut i = 0;
    while i < bytes.len() {
        if !bytes[i].is_ascii_digit() {
            i += 1;
            continue;
        }
        let start = i;
        while i < bytes.len() && bytes[i].is_ascii_digit() {
            i += 1;
        }
        let glued = start > 0 && bytes[start - 1].is_ascii_alphanumeric();
        let decimal =
            i + 1 < bytes.len() && matches!(bytes[i], b'.' | b',') && bytes[i + 1].is_ascii_digit();
        if glued || decimal {
            while i < bytes.len() && (bytes[i].is_ascii_digit() || matches!(bytes[i], b'.' | b','))
            {
                i += 1;
            }
            continue;
        }
        let Ok(number) = lower[start..i].parse::<u64>() else {
            continue;
        };
        let mut j = i;
        while j < bytes.len() && matches!(bytes[j], b' ' | b'\t' | b'-') {
            j += 1;
        }
        let word_start = j;
        while j < bytes.len() && bytes[j].is_ascii_alphabetic() {
            j += 1;
        }
        let unit: u64 = match &lower[word_start..j] {
            "s" | "sec" | "secs" | "second" | "seconds" => 1,
            "m" | "min" | "mins" | "minute" | "minutes" => 60,
            "h" | "hr" | "hrs" | "hour" | "hours" => 3600,
            "d" | "day" | "days" => 86_400,
            "w" | "wk" | "wks" | "week" | "weeks" => 7 * 86_400,
            "mo" | "mos" | "month" | "months" => 30 * 86_400,
            "y" | "yr" | "yrs" | "year" | "years" => 365 * 86_400,
            _ => continue,
        };
        if let Some(seconds) = number.checked_mul(unit) {
            longest = Some(longest.map_or(seconds, |l| l.max(seconds)));
        }
        i = j;
    }
    match longest {
        Some(seconds) => Retention::For(Duration::from_secs(seconds)),
        None if lower.contains("session") => Retention::Session,
        None => Retention::Unknown,
    }
}

/// The result of an import: a builder to merge under the site's own, and a report.
#[derive(Debug, Clone)]
#[must_use]
pub struct Import {
    builder: RegistryBuilder,
    report: ImportReport,
}

impl Import {
    /// The imported categories and declarations, to [merge](RegistryBuilder::merge) under
    /// the site's own: `site.merge(import.into_builder())`.
    pub fn into_builder(self) -> RegistryBuilder {
        self.builder
    }

    /// What was imported and skipped.
    pub fn report(&self) -> &ImportReport {
        &self.report
    }

    /// The builder and the report.
    pub fn into_parts(self) -> (RegistryBuilder, ImportReport) {
        (self.builder, self.report)
    }
}

/// What an import did: rows read, imported, skipped (with the reason), and retention
/// periods it could not read. Its `Display` is a one-line summary for logs.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImportReport {
    rows: usize,
    imported: usize,
    by_category: Vec<(String, usize)>,
    skipped: Vec<SkippedRow>,
    retention: Vec<RetentionNote>,
}

impl ImportReport {
    /// How many rows were read, the header row not counted.
    pub fn rows(&self) -> usize {
        self.rows
    }

    /// How many declarations were imported.
    pub fn imported(&self) -> usize {
        self.imported
    }

    /// How many declarations were imported into each consent category, in order of first
    /// use.
    pub fn by_category(&self) -> impl Iterator<Item = (&str, usize)> {
        self.by_category.iter().map(|(c, n)| (c.as_str(), *n))
    }

    /// The rows skipped, in file order.
    pub fn skipped(&self) -> &[SkippedRow] {
        &self.skipped
    }

    /// Imported rows whose `Retention period` could not be read: their duration is unset.
    pub fn retention_not_understood(&self) -> &[RetentionNote] {
        &self.retention
    }
}

impl fmt::Display for ImportReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "read {} rows: imported {}, skipped {}",
            self.rows,
            self.imported,
            self.skipped.len()
        )?;
        let mut counts: Vec<(String, usize)> = Vec::new();
        for row in &self.skipped {
            let kind = row.reason.kind().to_owned();
            match counts.iter_mut().find(|(k, _)| *k == kind) {
                Some((_, n)) => *n += 1,
                None => counts.push((kind, 1)),
            }
        }
        if !counts.is_empty() {
            let parts: Vec<String> = counts.iter().map(|(k, n)| format!("{n} {k}")).collect();
            write!(f, " ({})", parts.join(", "))?;
        }
        if !self.retention.is_empty() {
            let n = self.retention.len();
            let s = if n == 1 { "" } else { "s" };
            write!(f, "; {n} retention period{s} not understood")?;
        }
        Ok(())
    }
}

/// A row the import skipped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SkippedRow {
    line: u64,
    name: String,
    reason: SkipReason,
}

impl SkippedRow {
    /// The 1-based line where the row starts in the CSV.
    pub fn line(&self) -> u64 {
        self.line
    }

    /// The row's `Cookie / Data Key name`, as written (bytes that are not UTF-8 replaced by
    /// U+FFFD).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Why it was skipped.
    pub fn reason(&self) -> &SkipReason {
        &self.reason
    }
}

/// Why a row was skipped.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum SkipReason {
    /// The `Cookie / Data Key name` is empty.
    MissingName,
    /// A field the import reads is not UTF-8.
    NotUtf8,
    /// The catalogue category (as written) is not in the mapping.
    UnmappedCategory(String),
    /// The catalogue category (as written) is [ignored](OpenCookieDatabase::ignore_category).
    IgnoredCategory(String),
    /// The name cannot be a cookie-name, or a wildcard would match every cookie; says why.
    InvalidName(String),
    /// A wildcard's fixed start is shorter than [`MIN_WILDCARD_START`] characters and
    /// short wildcards are not [allowed](OpenCookieDatabase::allow_short_wildcards).
    ShortWildcard,
    /// An earlier row declares the same name, prefix or pattern (the first wins).
    Duplicate,
}

impl SkipReason {
    /// A short stable name for counts: `"duplicate"`, `"short wildcard"`, …
    fn kind(&self) -> &'static str {
        match self {
            Self::MissingName => "without name",
            Self::NotUtf8 => "not UTF-8",
            Self::UnmappedCategory(_) => "unmapped category",
            Self::IgnoredCategory(_) => "ignored category",
            Self::InvalidName(_) => "invalid name",
            Self::ShortWildcard => "short wildcard",
            Self::Duplicate => "duplicate",
        }
    }
}

impl fmt::Display for SkipReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::MissingName => f.write_str("the cookie name is empty"),
            Self::NotUtf8 => f.write_str("a field is not UTF-8"),
            Self::UnmappedCategory(c) => write!(f, "category `{c}` is not in the mapping"),
            Self::IgnoredCategory(c) => write!(f, "category `{c}` is ignored"),
            Self::InvalidName(reason) => write!(f, "not a cookie-name: {reason}"),
            Self::ShortWildcard => write!(
                f,
                "the wildcard's fixed start is shorter than {MIN_WILDCARD_START} characters"
            ),
            Self::Duplicate => f.write_str("an earlier row declares the same name"),
        }
    }
}

/// An imported row whose `Retention period` could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetentionNote {
    line: u64,
    name: String,
    text: String,
}

impl RetentionNote {
    /// The 1-based line where the row starts in the CSV.
    pub fn line(&self) -> u64 {
        self.line
    }

    /// The row's `Cookie / Data Key name`, as written.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The `Retention period`, as written (possibly empty).
    pub fn text(&self) -> &str {
        &self.text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DAY: u64 = 86_400;

    fn secs(text: &str) -> Retention {
        parse_retention(text)
    }

    fn d(seconds: u64) -> Retention {
        Retention::For(Duration::from_secs(seconds))
    }

    #[test]
    fn retention_periods_of_the_catalogue() {
        assert_eq!(secs("2 years"), d(730 * DAY));
        assert_eq!(secs("1 year"), d(365 * DAY));
        assert_eq!(secs("24 hours"), d(DAY));
        assert_eq!(secs("1 minute"), d(60));
        assert_eq!(secs("1 day"), d(DAY));
        assert_eq!(secs("13 Months"), d(390 * DAY));
        assert_eq!(secs("2 weeks"), d(14 * DAY));
        assert_eq!(secs("30 seconds till 1 year"), d(365 * DAY));
        assert_eq!(secs("2 years after last activity"), d(730 * DAY));
        assert_eq!(secs("30 minutes after last activity"), d(1800));
        assert_eq!(
            secs("180 days after last activity or 10 years when opting out"),
            d(3650 * DAY)
        );
        assert_eq!(secs("30-day"), d(30 * DAY));
        assert_eq!(secs("0 seconds"), d(0));
    }

    #[test]
    fn session_and_unknown_retention() {
        assert_eq!(secs("Session"), Retention::Session);
        assert_eq!(secs("End of session (browser)"), Retention::Session);
        assert_eq!(secs(""), Retention::Unknown);
        assert_eq!(secs("persistent"), Retention::Unknown);
        assert_eq!(secs("3rd party"), Retention::Unknown);
        // A fraction is not rounded: the number is not read.
        assert_eq!(secs("1.5 years"), Retention::Unknown);
        // Digits glued to letters are not a number of units.
        assert_eq!(secs("utm2 days"), Retention::Unknown);
        // Too many seconds to count: not read, never a panic.
        assert_eq!(secs("99999999999999999999 years"), Retention::Unknown);
        assert_eq!(secs("18446744073709551615 years"), Retention::Unknown);
    }

    fn name(raw: &str, wildcard: bool) -> Result<Match, SkipReason> {
        name_to_match(raw, wildcard, false)
    }

    #[test]
    fn names_become_exact_prefix_or_pattern() {
        assert_eq!(name("_ga", false), Ok(Match::Exact("_ga".into())));
        assert_eq!(name(" _ga\t", false), Ok(Match::Exact("_ga".into())));
        assert_eq!(name("_ga_", true), Ok(Match::Prefix("_ga_".into())));
        assert_eq!(name("_ga_*", false), Ok(Match::Prefix("_ga_".into())));
        assert_eq!(name("_ga_*", true), Ok(Match::Prefix("_ga_".into())));
        assert_eq!(
            name("AMCV_<orgID>", false),
            Ok(Match::Prefix("AMCV_".into()))
        );
        assert_eq!(
            name("_pk_id.<site>.<hash>", false),
            Ok(Match::Pattern("_pk_id.*.*".into()))
        );
        assert_eq!(
            name("wp-settings-<id>-time", true),
            Ok(Match::Pattern("wp-settings-*-time*".into()))
        );
        assert_eq!(
            name("CookieConsent [x4]", false),
            Ok(Match::Exact("CookieConsent".into()))
        );
        assert_eq!(name("a<b", false), Ok(Match::Exact("a<b".into())));
    }

    #[test]
    fn bad_names_are_refused() {
        assert!(matches!(
            name("_dp Cookie", false),
            Err(SkipReason::InvalidName(_))
        ));
        assert!(matches!(
            name("a;b", false),
            Err(SkipReason::InvalidName(_))
        ));
        assert!(matches!(
            name("a=b", false),
            Err(SkipReason::InvalidName(_))
        ));
        assert!(matches!(name("*", false), Err(SkipReason::InvalidName(_))));
        assert!(matches!(
            name("<id>", false),
            Err(SkipReason::InvalidName(_))
        ));
        assert!(matches!(name("", true), Err(SkipReason::InvalidName(_))));
        assert!(matches!(
            name("<a><b>", true),
            Err(SkipReason::InvalidName(_))
        ));
    }

    #[test]
    fn short_wildcards_need_an_opt_in() {
        assert_eq!(name("C", true), Err(SkipReason::ShortWildcard));
        assert_eq!(name("SR<RotatorID>", false), Err(SkipReason::ShortWildcard));
        assert_eq!(name("*_session", false), Err(SkipReason::ShortWildcard));
        assert_eq!(name("ab*c", false), Err(SkipReason::ShortWildcard));
        assert_eq!(name("abc", true), Ok(Match::Prefix("abc".into())));
        // Characters, not bytes: "é" is two bytes.
        assert_eq!(name("éa", true), Err(SkipReason::ShortWildcard));
        assert_eq!(
            name_to_match("C", true, true),
            Ok(Match::Prefix("C".into()))
        );
        assert_eq!(
            name_to_match("*_session", false, true),
            Ok(Match::Pattern("*_session".into()))
        );
        // An exact name may be short.
        assert_eq!(name("C", false), Ok(Match::Exact("C".into())));
    }
}
