//! Configuration errors, returned when a registry or layer is built.

use std::fmt;

/// Why a [`Registry`](crate::Registry) or a [`CookieConsentLayer`](crate::CookieConsentLayer)
/// could not be built.
///
/// Every variant names the offending entry: `entry` is the declaration's position (from 0)
/// and `name` its cookie-name, prefix or pattern as written. Building fails on the first
/// problem found, at start-up, so a bad registry never reaches a request.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ConfigError {
    /// A category has an empty id.
    MissingCategoryId {
        /// Position of the category, from 0.
        index: usize,
    },
    /// Two categories have the same id.
    DuplicateCategory {
        /// The repeated id.
        id: String,
    },
    /// More than [`CategoryId::MAX`](crate::CategoryId::MAX) categories, or more than
    /// [`ServiceId::MAX`](crate::ServiceId::MAX) services.
    TooMany {
        /// `"categories"` or `"services"`.
        what: &'static str,
        /// The limit.
        limit: usize,
    },
    /// A declaration (or the unknown-cookie policy, with `entry == usize::MAX`) names a
    /// category that the registry does not declare.
    UnknownCategory {
        /// Position of the declaration.
        entry: usize,
        /// Its cookie-name, prefix or pattern.
        name: String,
        /// The category id it names.
        category: String,
    },
    /// Two declarations have the same exact cookie-name (or the same prefix, or pattern).
    DuplicateName {
        /// Position of the second declaration.
        entry: usize,
        /// The repeated name.
        name: String,
    },
    /// A prefix declaration has an empty prefix (it would match every cookie).
    EmptyPrefix {
        /// Position of the declaration.
        entry: usize,
    },
    /// A name, prefix or pattern is empty or holds a character that cannot be part of a
    /// cookie-name (a control character, SP, HTAB, `;` or `=`; RFC 6265bis §5.6).
    InvalidName {
        /// Position of the declaration.
        entry: usize,
        /// The name as written.
        name: String,
        /// What is wrong.
        reason: &'static str,
    },
    /// A glob pattern is not valid (no wildcard, only wildcards, or a character that cannot
    /// be part of a cookie-name).
    InvalidPattern {
        /// Position of the declaration.
        entry: usize,
        /// The pattern as written.
        pattern: String,
        /// What is wrong.
        reason: String,
    },
    /// A service id is also a category id, so a consent key could not tell them apart.
    AmbiguousKey {
        /// The id used for both.
        id: String,
    },
    /// A registry file could not be read or parsed.
    File {
        /// The file's path, or `<string>` for text given directly.
        file: String,
        /// 1-based line, where the format reports it.
        line: Option<usize>,
        /// 1-based column, where the format reports it.
        column: Option<usize>,
        /// What is wrong, including the entry where known.
        message: String,
    },
    /// Another problem, described in the message.
    Other(String),
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::MissingCategoryId { index } => write!(f, "category #{index} has no id"),
            Self::DuplicateCategory { id } => write!(f, "category `{id}` is declared twice"),
            Self::TooMany { what, limit } => write!(f, "more than {limit} {what}"),
            Self::UnknownCategory {
                entry,
                name,
                category,
            } if *entry == usize::MAX => write!(
                f,
                "{name} names category `{category}`, which the registry does not declare"
            ),
            Self::UnknownCategory {
                entry,
                name,
                category,
            } => write!(
                f,
                "cookie declaration #{entry} (`{name}`) names category `{category}`, which the registry does not declare"
            ),
            Self::DuplicateName { entry, name } => {
                write!(f, "cookie declaration #{entry} (`{name}`) repeats an earlier declaration")
            }
            Self::EmptyPrefix { entry } => {
                write!(f, "cookie declaration #{entry} has an empty prefix, which would match every cookie")
            }
            Self::InvalidName { entry, name, reason } => {
                write!(f, "cookie declaration #{entry} (`{name}`): {reason}")
            }
            Self::InvalidPattern {
                entry,
                pattern,
                reason,
            } => write!(f, "cookie declaration #{entry}: invalid pattern `{pattern}`: {reason}"),
            Self::AmbiguousKey { id } => {
                write!(f, "`{id}` is both a category id and a service id")
            }
            Self::File {
                file,
                line,
                column,
                message,
            } => {
                write!(f, "{file}")?;
                if let Some(line) = line {
                    write!(f, ":{line}")?;
                    if let Some(column) = column {
                        write!(f, ":{column}")?;
                    }
                }
                write!(f, ": {message}")
            }
            Self::Other(message) => f.write_str(message),
        }
    }
}

impl std::error::Error for ConfigError {}
