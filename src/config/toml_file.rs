//! Registry files in TOML 1.0, read with the `toml` crate.

use std::ops::Range;

use serde::Deserialize;
use toml::{Spanned, Value};

use super::schema::{self, CookieEntry, Document, MapOnly};
use super::Located;
use crate::category::Category;
use crate::error::ConfigError;
use crate::registry::RegistryBuilder;

/// A parsed TOML file: the builder, and where each entry starts (byte offsets).
pub(super) struct Parsed {
    pub(super) builder: RegistryBuilder,
    categories: Vec<Range<usize>>,
    cookies: Vec<Range<usize>>,
}

impl Parsed {
    /// The byte offset where a located entry starts.
    pub(super) fn offset(&self, located: Located) -> Option<usize> {
        match located {
            Located::Category(i) => self.categories.get(i).map(|r| r.start),
            Located::Cookie(i) => self.cookies.get(i).map(|r| r.start),
        }
    }
}

/// Parses a TOML registry file into a builder (schema checks only; validation is `build`'s).
pub(super) fn parse(text: &str, file: &str) -> Result<Parsed, ConfigError> {
    type SpannedDocument = Document<Spanned<MapOnly<Category>>, Spanned<CookieEntry>>;
    match toml::from_str::<SpannedDocument>(text) {
        Ok(doc) => {
            let categories = doc.categories.iter().map(Spanned::span).collect();
            let cookies = doc.cookies.iter().map(Spanned::span).collect();
            let builder = schema::builder(
                doc.revision,
                doc.categories.into_iter().map(|c| c.into_inner().0),
                doc.cookies.into_iter().map(|c| c.into_inner().0),
            );
            Ok(Parsed {
                builder,
                categories,
                cookies,
            })
        }
        Err(error) => Err(schema_error(text, file, &error)),
    }
}

/// Serialises a document, pretty-printed.
pub(super) fn write(doc: &schema::DocumentOut<'_>) -> Result<String, ConfigError> {
    toml::to_string_pretty(doc)
        .map_err(|e| ConfigError::Other(format!("cannot write the registry as TOML: {e}")))
}

/// A `toml` error as a [`ConfigError::File`], naming the entry when one can be found.
fn schema_error(text: &str, file: &str, error: &toml::de::Error) -> ConfigError {
    let offset = error.span().map(|span| span.start);
    let position = offset.map(|offset| super::line_column(text, offset));
    let mut message = error.message().trim_end().to_owned();
    if let Some(entry) = offset.and_then(|offset| failing_entry(text, offset)) {
        message = format!("{entry}: {message}");
    }
    ConfigError::File {
        file: file.to_owned(),
        line: position.map(|p| p.0),
        column: position.map(|p| p.1),
        message,
    }
}

/// The document with its entries left as TOML values, to find which one fails.
#[derive(Deserialize)]
struct Raw {
    #[serde(default)]
    category: Vec<Spanned<Value>>,
    #[serde(default)]
    cookie: Vec<Spanned<Value>>,
}

/// Names the entry that holds byte `offset`, if reading that entry on its own fails too.
///
/// An entry's span is its `[[cookie]]` header (or its inline table), so the entry holding
/// an offset is the last one that starts before it; reading it again confirms that the
/// error is in it and not in a table that follows.
fn failing_entry(text: &str, offset: usize) -> Option<String> {
    let raw: Raw = toml::from_str(text).ok()?;
    let categories = raw.category.iter().enumerate().map(|(i, v)| (v, true, i));
    let cookies = raw.cookie.iter().enumerate().map(|(i, v)| (v, false, i));
    let (value, is_category, index) = categories
        .chain(cookies)
        .filter(|(v, _, _)| v.span().start <= offset)
        .max_by_key(|(v, _, _)| v.span().start)?;
    let value = value.get_ref();
    if is_category {
        let fails = value.clone().try_into::<MapOnly<Category>>().is_err();
        let id = value.get("id").and_then(Value::as_str);
        fails.then(|| schema::describe_category(index, id))
    } else {
        let fails = value.clone().try_into::<CookieEntry>().is_err();
        let name = ["name", "prefix", "pattern"]
            .iter()
            .find_map(|key| value.get(key).and_then(Value::as_str));
        fails.then(|| schema::describe_cookie(index, name))
    }
}
