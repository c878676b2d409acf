//! Registry files in JSON (RFC 8259), read with `serde_json`.

use serde::Deserialize;
use serde_json::Value;

use super::schema::{self, CookieEntry, Document, MapOnly};
use crate::category::Category;
use crate::error::ConfigError;
use crate::registry::RegistryBuilder;

/// Parses a JSON registry file into a builder (schema checks only; validation is `build`'s).
pub(super) fn parse(text: &str, file: &str) -> Result<RegistryBuilder, ConfigError> {
    match serde_json::from_str::<MapOnly<Document<MapOnly<Category>, CookieEntry>>>(text) {
        Ok(MapOnly(doc)) => Ok(schema::builder(
            doc.revision,
            doc.categories.into_iter().map(|c| c.0),
            doc.cookies.into_iter().map(|c| c.0),
        )),
        Err(error) => Err(schema_error(text, file, &error)),
    }
}

/// Serialises a document, pretty-printed.
pub(super) fn write(doc: &schema::DocumentOut<'_>) -> Result<String, ConfigError> {
    serde_json::to_string_pretty(doc)
        .map_err(|e| ConfigError::Other(format!("cannot write the registry as JSON: {e}")))
}

/// A `serde_json` error as a [`ConfigError::File`], naming the entry when one can be found.
fn schema_error(text: &str, file: &str, error: &serde_json::Error) -> ConfigError {
    let full = error.to_string();
    let suffix = format!(" at line {} column {}", error.line(), error.column());
    let message = full.strip_suffix(&suffix).unwrap_or(&full).to_owned();
    let message = match failing_entry(text, &message) {
        Some(entry) => format!("{entry}: {message}"),
        None => message,
    };
    ConfigError::File {
        file: file.to_owned(),
        line: (error.line() > 0).then_some(error.line()),
        column: (error.line() > 0 && error.column() > 0).then_some(error.column()),
        message,
    }
}

/// The document with its entries left as JSON values, to find which one fails.
#[derive(Deserialize)]
struct Raw {
    #[serde(default)]
    category: Vec<Value>,
    #[serde(default)]
    cookie: Vec<Value>,
}

/// Names the first entry that, read on its own, fails with the same `message`. JSON values
/// carry no positions, so the entry is found by deserialising each one again; `None` when
/// the text is not even a JSON object with arrays of entries, or no entry fails that way.
fn failing_entry(text: &str, message: &str) -> Option<String> {
    let raw: Raw = serde_json::from_str(text).ok()?;
    for (index, value) in raw.category.iter().enumerate() {
        if let Err(e) = MapOnly::<Category>::deserialize(value) {
            if e.to_string() == message {
                let id = value.get("id").and_then(Value::as_str);
                return Some(schema::describe_category(index, id));
            }
        }
    }
    for (index, value) in raw.cookie.iter().enumerate() {
        if let Err(e) = CookieEntry::deserialize(value) {
            if e.to_string() == message {
                let name = ["name", "prefix", "pattern"]
                    .iter()
                    .find_map(|key| value.get(key).and_then(Value::as_str));
                return Some(schema::describe_cookie(index, name));
            }
        }
    }
    None
}
