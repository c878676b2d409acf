//! Registry files: the cookie policy as data, in TOML or JSON.
//!
//! What a site documents in its cookie policy and what the layer enforces come from one
//! source. [`Registry::from_toml_str`], [`Registry::from_json_str`] and
//! [`Registry::from_path`] load a registry with the same validation as
//! [`RegistryBuilder::build`]; [`Registry::to_toml_string`] and [`Registry::to_json_string`]
//! write one, and loading what they write gives back the same categories, declarations and
//! revision. The builder-level loaders ([`RegistryBuilder::from_toml_str`], …) return a
//! builder instead, so that a site can [`merge`](RegistryBuilder::merge) presets or an
//! [import](crate::import) under its own entries before building.
//!
//! ```
//! # #[cfg(feature = "toml")] {
//! use tower_cookie_consent::Registry;
//!
//! let registry = Registry::from_toml_str(r#"
//!     revision = 3
//!
//!     [[category]]
//!     id = "necessary"
//!     label = "Strictly necessary"
//!     consent_required = false
//!
//!     [[category]]
//!     id = "statistics"
//!     label = "Statistics"
//!
//!     [[cookie]]
//!     name = "sessionid"
//!     category = "necessary"
//!     purpose = "Remembers who you are from one page to the next."
//!     http_only = true
//!
//!     [[cookie]]
//!     prefix = "_ga_"
//!     category = "statistics"
//!     service = "ga"
//!     provider = "Google"
//!     duration = 63072000  # two years, in seconds
//! "#)?;
//! assert_eq!(registry.revision(), 3);
//! assert_eq!(registry.lookup(b"_ga_ABC123").unwrap().service_id(), Some("ga"));
//! # }
//! # Ok::<(), tower_cookie_consent::ConfigError>(())
//! ```
//!
//! The crate ships an annotated example, `examples/registry.toml`.
//!
//! # Schema
//!
//! TOML and JSON files have the same keys. Keys are case-sensitive, and a key the schema
//! does not know is an error (a misspelt `consent_requried` must not silently fall back to a
//! default). In JSON the document is one object: `{"revision": 3, "category": [{…}],
//! "cookie": [{…}]}`.
//!
//! ## Top level
//!
//! | key | type | default | meaning |
//! |---|---|---|---|
//! | `revision` | integer ≥ 0 | `0` | [`Registry::revision`]: bump it when the cookie list changes, so that consent formats that record a revision ask visitors again |
//! | `category` | array of tables | empty | the consent categories, in order ([`Category`]) |
//! | `cookie` | array of tables | empty | the cookie declarations, in order ([`Declaration`]) |
//!
//! ## `[[category]]`
//!
//! | key | type | default | meaning |
//! |---|---|---|---|
//! | `id` | string | required | the key consent formats use for the category ([`Category::new`]) |
//! | `label` | string | `""` | shown on the cookie policy page and in banners |
//! | `description` | string | `""` | shown on the cookie policy page and in banners |
//! | `consent_required` | boolean | `true` | `false` for strictly necessary cookies |
//! | `sale_or_sharing` | boolean | `false` | switched off by Global Privacy Control ([`Category::sale_or_sharing`]) |
//!
//! ## `[[cookie]]`
//!
//! Exactly one of `name`, `prefix` or `pattern` says which cookie-names the declaration
//! covers ([`Match`]).
//!
//! | key | type | default | meaning |
//! |---|---|---|---|
//! | `name` | string | — | the exact cookie-name ([`Declaration::exact`]) |
//! | `prefix` | string | — | every cookie-name starting with it ([`Declaration::prefix`]) |
//! | `pattern` | string | — | a glob: `*` any run of bytes, `?` one byte ([`Declaration::pattern`]) |
//! | `category` | string | required | the id of a declared category |
//! | `service` | string | none | the service id a consent format may decide on ([`Declaration::service`]) |
//! | `provider` | string | `""` | who sets the cookie |
//! | `function` | string | `""` | what it is for, in a few words |
//! | `purpose` | string | `""` | why it is set, in a sentence |
//! | `consent_required` | boolean | the category's | overrides the category ([`Declaration::consent_required`]) |
//! | `domain` | string | none | the `Domain` attribute it is set with, without a leading dot |
//! | `path` | string | none | the `Path` attribute it is set with |
//! | `duration` | integer ≥ 0 | none | how long it is kept, in **seconds**; absent for a session cookie |
//! | `http_only` | boolean | `false` | set `HttpOnly` |
//! | `partitioned` | boolean | `false` | set `Partitioned` (CHIPS) |
//!
//! Durations are written in whole seconds: a [`Declaration::duration`] with a fraction of a
//! second loses the fraction when written.
//!
//! # Errors
//!
//! Every loader returns a [`ConfigError::File`] naming the file (its path as given, or
//! `<string>` for text given directly) for
//! - text that is not TOML or JSON, a key the schema does not know, a value of the wrong
//!   type or out of range, a missing required key, a `[[cookie]]` with none or several of
//!   `name`, `prefix` and `pattern`: with the line and column the parser reports, and the
//!   entry when it can be told (`cookie declaration #2 (`_ga`): …`, `category #0
//!   (`necessary`): …`, numbered from 0 as in every [`ConfigError`]; in JSON, an entry with
//!   a repeated key cannot be told);
//! - what [`RegistryBuilder::build`] refuses (a duplicate cookie or category, an unknown
//!   category, an invalid name or pattern, …): its message, and in TOML the line of the
//!   offending entry;
//! - from [`Registry::from_path`] and [`RegistryBuilder::from_path`] only: a file that cannot
//!   be read, that is larger than [`MAX_FILE_SIZE`] (refused before it is read whole), that
//!   is not UTF-8 (with the line and column of the first bad byte), or whose name does not
//!   end in `.toml` or `.json`.
//!
//! Text given directly is refused too when it is larger than [`MAX_FILE_SIZE`]. A leading
//! UTF-8 byte order mark, which some editors write, is ignored. Bad input never panics.
//!
//! [`Category`]: crate::Category
//! [`Category::new`]: crate::Category::new
//! [`Category::sale_or_sharing`]: crate::Category::sale_or_sharing
//! [`Declaration`]: crate::Declaration
//! [`Declaration::exact`]: crate::Declaration::exact
//! [`Declaration::prefix`]: crate::Declaration::prefix
//! [`Declaration::pattern`]: crate::Declaration::pattern
//! [`Declaration::service`]: crate::Declaration::service
//! [`Declaration::consent_required`]: crate::Declaration::consent_required
//! [`Declaration::duration`]: crate::Declaration::duration
//! [`Match`]: crate::Match

mod file;
mod json_file;
mod schema;
#[cfg(feature = "toml")]
mod toml_file;

use std::path::Path;

#[cfg(feature = "toml")]
use self::file::line_column;
#[cfg(feature = "open-cookie-database")]
pub(crate) use self::file::{io_error, open_limited, Limited};
use self::file::{read_file, too_large};
use crate::error::ConfigError;
use crate::registry::{Registry, RegistryBuilder};

/// The largest registry file (and, for the [import](crate::import), CSV file) the loaders
/// read: 16 MiB. A larger file is refused with a [`ConfigError::File`] before it is read
/// whole; text given directly to a loader is refused above the same size.
pub const MAX_FILE_SIZE: u64 = 16 * 1024 * 1024;

/// The `file` of errors about text given directly.
const STRING: &str = "<string>";

/// The format of a registry file, from its extension.
#[derive(Debug, Clone, Copy)]
enum Format {
    #[cfg(feature = "toml")]
    Toml,
    Json,
}

impl Registry {
    /// Loads a registry from TOML text (see the [schema](crate::config#schema)) and builds it.
    ///
    /// # Errors
    ///
    /// A [`ConfigError::File`] with `file` set to `<string>`, for a schema error or what
    /// [`RegistryBuilder::build`] refuses; see [Errors](crate::config#errors).
    ///
    /// ```
    /// use tower_cookie_consent::{ConfigError, Registry};
    ///
    /// let error = Registry::from_toml_str("[[cookie]]\nname = \"_ga\"\ncategroy = \"statistics\"\n")
    ///     .unwrap_err();
    /// let ConfigError::File { line, message, .. } = &error else { panic!() };
    /// assert_eq!(*line, Some(3));
    /// assert!(message.starts_with("cookie declaration #0 (`_ga`): unknown field `categroy`"));
    /// ```
    #[cfg(feature = "toml")]
    pub fn from_toml_str(text: &str) -> Result<Registry, ConfigError> {
        load_toml(text, STRING)
    }

    /// Loads a registry from JSON text (see the [schema](crate::config#schema)) and builds it.
    ///
    /// # Errors
    ///
    /// A [`ConfigError::File`] with `file` set to `<string>`, for a schema error or what
    /// [`RegistryBuilder::build`] refuses; see [Errors](crate::config#errors).
    ///
    /// ```
    /// use tower_cookie_consent::Registry;
    ///
    /// let registry = Registry::from_json_str(r#"{
    ///     "revision": 2,
    ///     "category": [{"id": "necessary", "consent_required": false}],
    ///     "cookie": [{"name": "sessionid", "category": "necessary", "http_only": true}]
    /// }"#)?;
    /// assert_eq!(registry.revision(), 2);
    /// assert!(registry.lookup(b"sessionid").unwrap().is_http_only());
    /// # Ok::<(), tower_cookie_consent::ConfigError>(())
    /// ```
    pub fn from_json_str(text: &str) -> Result<Registry, ConfigError> {
        load_json(text, STRING)
    }

    /// Loads a registry file and builds it: TOML when the file name ends in `.toml`, JSON
    /// when it ends in `.json` (either case).
    ///
    /// # Errors
    ///
    /// A [`ConfigError::File`] naming the path, when the file cannot be read, is larger than
    /// [`MAX_FILE_SIZE`] (checked before reading it whole), is not UTF-8, has another
    /// extension (or `.toml` without the `toml` feature), breaks the schema, or is refused by
    /// [`RegistryBuilder::build`]; see [Errors](crate::config#errors).
    ///
    /// ```no_run
    /// use tower_cookie_consent::Registry;
    ///
    /// let registry = Registry::from_path("/etc/my-site/cookies.toml")?;
    /// # Ok::<(), tower_cookie_consent::ConfigError>(())
    /// ```
    pub fn from_path(path: impl AsRef<Path>) -> Result<Registry, ConfigError> {
        let path = path.as_ref();
        let file = path.display().to_string();
        let format = format_of(path, &file)?;
        let text = read_file(path, &file)?;
        match format {
            #[cfg(feature = "toml")]
            Format::Toml => load_toml(&text, &file),
            Format::Json => load_json(&text, &file),
        }
    }

    /// Writes the registry as TOML in the [schema](crate::config#schema) the loaders read.
    ///
    /// The revision and durations are written as integers whatever their size; TOML 1.0
    /// only promises 64-bit *signed* integers, so a value over `i64::MAX` reads back here
    /// but may be refused by other TOML readers.
    ///
    /// # Errors
    ///
    /// None in practice: the error case of the `toml` serialiser cannot occur for this
    /// schema; it is reported as [`ConfigError::Other`] rather than a panic.
    ///
    /// ```
    /// use tower_cookie_consent::{Declaration, Registry};
    ///
    /// let registry = Registry::builder()
    ///     .default_categories()
    ///     .cookie(Declaration::exact("sessionid").category("necessary"))
    ///     .revision(4)
    ///     .build()?;
    /// let text = registry.to_toml_string()?;
    /// let again = Registry::from_toml_str(&text)?;
    /// assert_eq!(again.revision(), 4);
    /// assert_eq!(again.declarations(), registry.declarations());
    /// # Ok::<(), tower_cookie_consent::ConfigError>(())
    /// ```
    #[cfg(feature = "toml")]
    pub fn to_toml_string(&self) -> Result<String, ConfigError> {
        toml_file::write(&schema::DocumentOut::new(self))
    }

    /// Writes the registry as pretty-printed JSON in the [schema](crate::config#schema) the
    /// loaders read.
    ///
    /// # Errors
    ///
    /// None in practice: the error case of `serde_json` (a map with non-string keys) cannot
    /// occur; it is reported as [`ConfigError::Other`] rather than a panic.
    ///
    /// ```
    /// use tower_cookie_consent::{Declaration, Registry};
    ///
    /// let registry = Registry::builder()
    ///     .default_categories()
    ///     .cookie(Declaration::prefix("_ga_").category("statistics").service("ga"))
    ///     .build()?;
    /// let again = Registry::from_json_str(&registry.to_json_string()?)?;
    /// assert_eq!(again.categories(), registry.categories());
    /// # Ok::<(), tower_cookie_consent::ConfigError>(())
    /// ```
    pub fn to_json_string(&self) -> Result<String, ConfigError> {
        json_file::write(&schema::DocumentOut::new(self))
    }
}

impl RegistryBuilder {
    /// Reads TOML text (see the [schema](crate::config#schema)) into a builder, without
    /// building it: the site can [`merge`](RegistryBuilder::merge) presets or imports under
    /// its own entries first, and its cookies may name categories that only those declare.
    ///
    /// # Errors
    ///
    /// A [`ConfigError::File`] with `file` set to `<string>` for a schema error (see
    /// [Errors](crate::config#errors)). What [`build`](RegistryBuilder::build) checks is left
    /// to it, and its errors then do not name the file.
    ///
    /// ```
    /// use tower_cookie_consent::{Category, Registry, RegistryBuilder};
    ///
    /// let site = RegistryBuilder::from_toml_str(r#"
    ///     [[cookie]]
    ///     name = "sessionid"
    ///     category = "necessary"
    /// "#)?;
    /// let registry = site.merge(Registry::builder().default_categories()).build()?;
    /// assert!(registry.category_id("necessary").is_some());
    /// # Ok::<(), tower_cookie_consent::ConfigError>(())
    /// ```
    #[cfg(feature = "toml")]
    pub fn from_toml_str(text: &str) -> Result<RegistryBuilder, ConfigError> {
        Ok(toml_file::parse(prepare(text, STRING)?, STRING)?.builder)
    }

    /// Reads JSON text (see the [schema](crate::config#schema)) into a builder, without
    /// building it; see [`RegistryBuilder::from_toml_str`].
    ///
    /// # Errors
    ///
    /// A [`ConfigError::File`] with `file` set to `<string>` for a schema error (see
    /// [Errors](crate::config#errors)).
    ///
    /// ```
    /// use tower_cookie_consent::RegistryBuilder;
    ///
    /// let site = RegistryBuilder::from_json_str(r#"{"cookie": [{"name": "sessionid", "category": "necessary"}]}"#)?;
    /// assert_eq!(site.declarations_so_far().len(), 1);
    /// # Ok::<(), tower_cookie_consent::ConfigError>(())
    /// ```
    pub fn from_json_str(text: &str) -> Result<RegistryBuilder, ConfigError> {
        json_file::parse(prepare(text, STRING)?, STRING)
    }

    /// Reads a registry file into a builder, without building it: TOML when the file name
    /// ends in `.toml`, JSON when it ends in `.json`; see [`RegistryBuilder::from_toml_str`].
    ///
    /// # Errors
    ///
    /// A [`ConfigError::File`] naming the path, when the file cannot be read, is larger than
    /// [`MAX_FILE_SIZE`], is not UTF-8, has another extension, or breaks the schema.
    ///
    /// ```no_run
    /// use tower_cookie_consent::{Registry, RegistryBuilder};
    ///
    /// let registry = RegistryBuilder::from_path("cookies.json")?
    ///     .merge(Registry::builder().default_categories())
    ///     .build()?;
    /// # Ok::<(), tower_cookie_consent::ConfigError>(())
    /// ```
    pub fn from_path(path: impl AsRef<Path>) -> Result<RegistryBuilder, ConfigError> {
        let path = path.as_ref();
        let file = path.display().to_string();
        let format = format_of(path, &file)?;
        let text = read_file(path, &file)?;
        match format {
            #[cfg(feature = "toml")]
            Format::Toml => Ok(toml_file::parse(prepare(&text, &file)?, &file)?.builder),
            Format::Json => json_file::parse(prepare(&text, &file)?, &file),
        }
    }
}

#[cfg(feature = "toml")]
fn load_toml(text: &str, file: &str) -> Result<Registry, ConfigError> {
    let text = prepare(text, file)?;
    let parsed = toml_file::parse(text, file)?;
    parsed.builder.clone().build().map_err(|error| {
        let position = locate(&error, &parsed.builder)
            .and_then(|located| parsed.offset(located))
            .map(|offset| line_column(text, offset));
        build_error(file, error, position)
    })
}

fn load_json(text: &str, file: &str) -> Result<Registry, ConfigError> {
    json_file::parse(prepare(text, file)?, file)?
        .build()
        .map_err(|error| build_error(file, error, None))
}

/// An entry of a file, by kind and position (from 0).
#[derive(Debug, Clone, Copy)]
enum Located {
    #[cfg_attr(not(feature = "toml"), allow(dead_code))]
    Category(usize),
    #[cfg_attr(not(feature = "toml"), allow(dead_code))]
    Cookie(usize),
}

/// The entry a [`RegistryBuilder::build`] error is about, if it is about one.
#[cfg_attr(not(feature = "toml"), allow(dead_code))]
fn locate(error: &ConfigError, builder: &RegistryBuilder) -> Option<Located> {
    match error {
        ConfigError::MissingCategoryId { index } => Some(Located::Category(*index)),
        ConfigError::DuplicateCategory { id } => builder
            .categories_so_far()
            .iter()
            .enumerate()
            .filter(|(_, c)| c.id() == id)
            .nth(1)
            .map(|(i, _)| Located::Category(i)),
        ConfigError::UnknownCategory { entry, .. }
        | ConfigError::DuplicateName { entry, .. }
        | ConfigError::EmptyPrefix { entry }
        | ConfigError::InvalidName { entry, .. }
        | ConfigError::InvalidPattern { entry, .. } => Some(Located::Cookie(*entry)),
        ConfigError::AmbiguousKey { id } => builder
            .declarations_so_far()
            .iter()
            .position(|d| d.service_id() == Some(id.as_str()))
            .map(Located::Cookie),
        _ => None,
    }
}

/// A [`RegistryBuilder::build`] error, as an error about `file`.
fn build_error(file: &str, error: ConfigError, position: Option<(usize, usize)>) -> ConfigError {
    ConfigError::File {
        file: file.to_owned(),
        line: position.map(|p| p.0),
        column: position.map(|p| p.1),
        message: error.to_string(),
    }
}

fn file_error(file: &str, message: impl Into<String>) -> ConfigError {
    ConfigError::File {
        file: file.to_owned(),
        line: None,
        column: None,
        message: message.into(),
    }
}

fn format_of(path: &Path, file: &str) -> Result<Format, ConfigError> {
    let extension = path.extension().and_then(|e| e.to_str()).unwrap_or("");
    if extension.eq_ignore_ascii_case("json") {
        return Ok(Format::Json);
    }
    if extension.eq_ignore_ascii_case("toml") {
        #[cfg(feature = "toml")]
        return Ok(Format::Toml);
        #[cfg(not(feature = "toml"))]
        return Err(file_error(
            file,
            "reading TOML needs the `toml` feature of tower-cookie-consent",
        ));
    }
    Err(file_error(
        file,
        "cannot tell the format: the file name must end in `.toml` or `.json`",
    ))
}

/// Refuses text over [`MAX_FILE_SIZE`], and drops a leading UTF-8 byte order mark (which
/// some editors write and neither format allows).
fn prepare<'a>(text: &'a str, file: &str) -> Result<&'a str, ConfigError> {
    if text.len() as u64 > MAX_FILE_SIZE {
        return Err(too_large(file));
    }
    Ok(text.strip_prefix('\u{feff}').unwrap_or(text))
}
