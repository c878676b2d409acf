//! What an import returns: the builder and a report of what was imported and skipped.

use std::fmt;

use super::MIN_WILDCARD_START;
use crate::registry::RegistryBuilder;

/// The result of an import: a builder to merge under the site's own, and a report.
#[derive(Debug, Clone)]
#[must_use]
pub struct Import {
    pub(super) builder: RegistryBuilder,
    pub(super) report: ImportReport,
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
    pub(super) rows: usize,
    pub(super) imported: usize,
    pub(super) by_category: Vec<(String, usize)>,
    pub(super) skipped: Vec<SkippedRow>,
    pub(super) retention: Vec<RetentionNote>,
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
    pub(super) line: u64,
    pub(super) name: String,
    pub(super) reason: SkipReason,
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
    /// The catalogue category (as written) is [ignored](super::OpenCookieDatabase::ignore_category).
    IgnoredCategory(String),
    /// The name cannot be a cookie-name, or a wildcard would match every cookie; says why.
    InvalidName(String),
    /// A wildcard's fixed start is shorter than [`MIN_WILDCARD_START`] characters and
    /// short wildcards are not [allowed](super::OpenCookieDatabase::allow_short_wildcards).
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
    pub(super) line: u64,
    pub(super) name: String,
    pub(super) text: String,
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
