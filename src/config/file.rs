//! Reading registry and import files: the size limit, UTF-8, positions.

use std::fs::File;
use std::io::{self, Read};
use std::path::Path;

use super::{file_error, MAX_FILE_SIZE};
use crate::error::ConfigError;

/// The error for a file over [`MAX_FILE_SIZE`].
pub(crate) fn too_large(file: &str) -> ConfigError {
    file_error(
        file,
        format!("the file is larger than {MAX_FILE_SIZE} bytes (16 MiB), the limit for registry and import files"),
    )
}

/// Opens a file for reading at most [`MAX_FILE_SIZE`] bytes; refuses a larger one (by its
/// metadata) before reading it, and a directory.
pub(crate) fn open_limited(path: &Path, file: &str) -> Result<Limited<File>, ConfigError> {
    let handle = File::open(path).map_err(|e| file_error(file, format!("cannot open it: {e}")))?;
    let metadata = handle
        .metadata()
        .map_err(|e| file_error(file, format!("cannot read its metadata: {e}")))?;
    if metadata.is_dir() {
        return Err(file_error(file, "it is a directory"));
    }
    if metadata.len() > MAX_FILE_SIZE {
        return Err(too_large(file));
    }
    Ok(Limited::new(handle))
}

/// Reads a whole file of at most [`MAX_FILE_SIZE`] bytes as UTF-8.
pub(super) fn read_file(path: &Path, file: &str) -> Result<String, ConfigError> {
    let mut bytes = Vec::new();
    open_limited(path, file)?
        .read_to_end(&mut bytes)
        .map_err(|e| io_error(file, &e))?;
    String::from_utf8(bytes).map_err(|e| {
        let valid = e.utf8_error().valid_up_to();
        let bytes = e.as_bytes();
        // The prefix is valid UTF-8 by definition; count on it.
        let before = std::str::from_utf8(&bytes[..valid]).unwrap_or_default();
        let (line, column) = line_column(before, before.len());
        ConfigError::File {
            file: file.to_owned(),
            line: Some(line),
            column: Some(column),
            message: format!(
                "the file is not UTF-8: byte {valid} (0x{:02x}) starts no UTF-8 character",
                bytes[valid]
            ),
        }
    })
}

/// An I/O error while reading, with the size limit told apart.
pub(crate) fn io_error(file: &str, error: &io::Error) -> ConfigError {
    if is_too_large(error) {
        too_large(file)
    } else {
        file_error(file, format!("cannot read it: {error}"))
    }
}

/// Whether an I/O error is [`Limited`]'s "over the limit".
pub(crate) fn is_too_large(error: &io::Error) -> bool {
    error.get_ref().is_some_and(|inner| inner.is::<TooLarge>())
}

/// 1-based line and column (in characters) of byte `offset` of `text`.
pub(crate) fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    let before = &text[..offset];
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let line = before.bytes().filter(|&b| b == b'\n').count() + 1;
    (line, before[line_start..].chars().count() + 1)
}

/// A reader that fails once more than [`MAX_FILE_SIZE`] bytes come out of `R`, so that a
/// file that grows, a FIFO or a device cannot make a loader read without end.
#[derive(Debug)]
pub(crate) struct Limited<R> {
    inner: R,
    remaining: u64,
}

#[derive(Debug)]
struct TooLarge;

impl std::fmt::Display for TooLarge {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "more than {MAX_FILE_SIZE} bytes")
    }
}

impl std::error::Error for TooLarge {}

impl<R> Limited<R> {
    pub(crate) fn new(inner: R) -> Self {
        Self {
            inner,
            remaining: MAX_FILE_SIZE,
        }
    }
}

impl<R: Read> Read for Limited<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        if self.remaining == 0 {
            // At the limit: any further byte means the input is too large.
            let mut probe = [0u8; 1];
            return match self.inner.read(&mut probe)? {
                0 => Ok(0),
                _ => Err(io::Error::other(TooLarge)),
            };
        }
        let max = buf
            .len()
            .min(usize::try_from(self.remaining).unwrap_or(usize::MAX));
        let n = self.inner.read(&mut buf[..max])?;
        self.remaining -= n as u64;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_column_counts_from_one_in_characters() {
        let text = "a = 1\nbé = 2\n";
        assert_eq!(line_column(text, 0), (1, 1));
        assert_eq!(line_column(text, 6), (2, 1));
        // After "bé" (3 bytes): the third character of line 2.
        assert_eq!(line_column(text, 9), (2, 3));
        // Inside the two bytes of "é": floored to its start.
        assert_eq!(line_column(text, 8), (2, 2));
        assert_eq!(line_column(text, 1000), (3, 1));
    }

    #[test]
    fn limited_reader_allows_exactly_the_limit() {
        let size = usize::try_from(MAX_FILE_SIZE).unwrap();
        let mut out = Vec::new();
        let n = Limited::new(io::repeat(b'x').take(MAX_FILE_SIZE))
            .read_to_end(&mut out)
            .unwrap();
        assert_eq!(n, size);
    }

    #[test]
    fn limited_reader_refuses_one_byte_more() {
        let mut out = Vec::new();
        let error = Limited::new(io::repeat(b'x').take(MAX_FILE_SIZE + 1))
            .read_to_end(&mut out)
            .unwrap_err();
        assert!(is_too_large(&error));
        assert!(
            matches!(io_error("f", &error), ConfigError::File { message, .. } if message.contains("16 MiB"))
        );
    }

    #[test]
    fn limited_reader_stops_an_endless_reader() {
        let mut out = Vec::new();
        let error = Limited::new(io::repeat(0))
            .read_to_end(&mut out)
            .unwrap_err();
        assert!(is_too_large(&error));
        assert!(out.len() as u64 <= MAX_FILE_SIZE);
    }
}
