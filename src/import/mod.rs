//! Import of the Open Cookie Database, the community catalogue of cookies
//! (<https://github.com/jkwakman/Open-Cookie-Database>), from its CSV file.
//!
//! The database is not shipped with this crate and never downloaded by it: the site
//! downloads the CSV itself, reviews it, and hands it to [`OpenCookieDatabase::read_path`]
//! (or [`read`](OpenCookieDatabase::read) for any reader). The result is a
//! [`RegistryBuilder`] to [merge](crate::RegistryBuilder::merge) **under** the site's own
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
//! [`RegistryBuilder`]: crate::RegistryBuilder

mod names;
mod report;
mod retention;

use std::collections::HashSet;
use std::io::Read;
use std::path::Path;

use csv::{ByteRecord, ReaderBuilder};

use self::names::name_to_match;
pub use self::report::{Import, ImportReport, RetentionNote, SkipReason, SkippedRow};
use self::retention::{parse_retention, Retention};
use crate::category::Category;
use crate::config::{self, Limited};
use crate::declaration::{Declaration, Match};
use crate::error::ConfigError;
use crate::registry::Registry;

/// The shortest fixed start, in characters, of an imported wildcard declaration unless the
/// caller [opts in](OpenCookieDatabase::allow_short_wildcards) to shorter ones: 3.
pub const MIN_WILDCARD_START: usize = 3;

/// Reads the Open Cookie Database CSV into a [`RegistryBuilder`](crate::RegistryBuilder); see the
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
