//! A bounded, allocation-free scanner for the flat JSON objects consent cookies hold.
//!
//! It reads one object and reports each member whose value is a scalar; nested objects and
//! arrays are validated and skipped with a depth counter (no recursion, so no stack overflow
//! on deep input). Keys longer than [`MAX_KEY`] bytes are reported as too long. Any syntax
//! error fails the whole scan: a half-read consent proves nothing.
//!
//! It reads a byte slice (decode percent-encoding first): a string without escapes is
//! reported as a slice of the input, without copying.

use crate::swar;

#[cfg(test)]
#[path = "json_reference.rs"]
mod reference;

/// Longest key kept, in bytes; longer keys are reported as [`Key::TooLong`].
pub(crate) const MAX_KEY: usize = 64;
/// Deepest nesting skipped before the value is rejected.
pub(crate) const MAX_DEPTH: usize = 64;

/// A member key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Key<'a> {
    /// The decoded key (escapes resolved).
    Text(&'a [u8]),
    /// Longer than [`MAX_KEY`]: no registry key is that long.
    TooLong,
}

/// A member value, as far as consent formats care.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Value<'a> {
    Bool(bool),
    /// A non-negative integer that fits `u64`.
    Integer(u64),
    /// A string of at most [`MAX_KEY`] bytes (longer strings are [`Value::Other`]).
    Str(&'a [u8]),
    /// `null`, other numbers, long strings, objects and arrays.
    Other,
}

/// The scan failed: the input is not one well-formed JSON object (or is nested too deeply).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Invalid;

struct Scanner<'s> {
    bytes: &'s [u8],
    pos: usize,
}

/// Scans `bytes` as one JSON object, calling `member` for each member in order.
pub(crate) fn scan_object<F>(bytes: &[u8], mut member: F) -> Result<(), Invalid>
where
    F: FnMut(Key<'_>, Value<'_>),
{
    let mut s = Scanner { bytes, pos: 0 };
    let mut key_buf = [0u8; MAX_KEY];
    let mut str_buf = [0u8; MAX_KEY];
    s.object(&mut key_buf, |s, key| {
        let value = s.value(&mut str_buf)?;
        member(key, value.resolve(&str_buf));
        Ok(())
    })
}

/// Where a value reported by [`scan_object_nested`] sits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Path<'a> {
    /// A member of the top-level object (arrays and objects are reported as
    /// [`Value::Other`], then their contents).
    Member(Key<'a>),
    /// An element of an array that is a member of the top-level object.
    Element(Key<'a>),
    /// A member of an object that is a member of the top-level object.
    Inner(Key<'a>, Key<'a>),
    /// An element of an array held by such an inner member.
    InnerElement(Key<'a>, Key<'a>),
}

/// Scans `bytes` as one JSON object like [`scan_object`], and also reports the scalar
/// contents of arrays and objects up to two levels down (`{"a":[..], "b":{"c":[..]}}`);
/// anything deeper is validated and skipped. Iterative, bounded by [`MAX_DEPTH`].
pub(crate) fn scan_object_nested<F>(bytes: &[u8], mut visit: F) -> Result<(), Invalid>
where
    F: FnMut(Path<'_>, Value<'_>),
{
    let mut s = Scanner { bytes, pos: 0 };
    let mut outer = [0u8; MAX_KEY];
    let mut inner = [0u8; MAX_KEY];
    let mut buf = [0u8; MAX_KEY];
    s.object(&mut outer, |s, okey| match s.peek() {
        Some(b'[') => {
            s.pos += 1;
            visit(Path::Member(okey), Value::Other);
            s.elements(&mut buf, |v| visit(Path::Element(okey), v))
        }
        Some(b'{') => {
            s.pos += 1;
            visit(Path::Member(okey), Value::Other);
            s.members(&mut inner, |s, ikey| {
                if s.peek() == Some(b'[') {
                    s.pos += 1;
                    visit(Path::Inner(okey, ikey), Value::Other);
                    s.elements(&mut buf, |v| visit(Path::InnerElement(okey, ikey), v))
                } else {
                    let value = s.value(&mut buf)?;
                    visit(Path::Inner(okey, ikey), value.resolve(&buf));
                    Ok(())
                }
            })
        }
        _ => {
            let value = s.value(&mut buf)?;
            visit(Path::Member(okey), value.resolve(&buf));
            Ok(())
        }
    })
}

/// A string read by [`Scanner::string`].
#[derive(Clone, Copy)]
enum Text<'s> {
    /// No escape: this slice of the input.
    Input(&'s [u8]),
    /// Escapes decoded into the caller's buffer, this many bytes.
    Buf(usize),
    /// Longer than [`MAX_KEY`] bytes once decoded.
    TooLong,
}

impl<'s> Text<'s> {
    fn key<'b>(self, buf: &'b [u8]) -> Key<'b>
    where
        's: 'b,
    {
        match self {
            Self::Input(text) => Key::Text(text),
            Self::Buf(n) => Key::Text(&buf[..n]),
            Self::TooLong => Key::TooLong,
        }
    }
}

enum RawValue<'s> {
    Bool(bool),
    Integer(u64),
    Str(Text<'s>),
    Other,
}

impl<'s> RawValue<'s> {
    fn resolve<'b>(self, buf: &'b [u8]) -> Value<'b>
    where
        's: 'b,
    {
        match self {
            Self::Bool(b) => Value::Bool(b),
            Self::Integer(n) => Value::Integer(n),
            Self::Str(text) => match text.key(buf) {
                Key::Text(t) => Value::Str(t),
                Key::TooLong => Value::Other,
            },
            Self::Other => Value::Other,
        }
    }
}

/// The offset of the first byte of `bytes` that ends the plain part of a JSON string (`"`,
/// `\\` or a control character), or `bytes.len()`. Eight bytes at a time (SWAR).
#[inline]
fn special_offset(bytes: &[u8]) -> usize {
    swar::find(
        bytes,
        |w| swar::eq(w, b'"') | swar::eq(w, b'\\') | swar::below(w, 0x20),
        |b| b == b'"' || b == b'\\' || b < 0x20,
    )
}

impl<'s> Scanner<'s> {
    #[inline]
    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }

    #[inline]
    fn next(&mut self) -> Option<u8> {
        let b = self.peek()?;
        self.pos += 1;
        Some(b)
    }

    #[inline]
    fn ws(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.peek() {
            self.pos += 1;
        }
    }

    #[inline]
    fn expect(&mut self, b: u8) -> Result<(), Invalid> {
        if self.next() == Some(b) {
            Ok(())
        } else {
            Err(Invalid)
        }
    }

    /// Reads `word`, whose first byte was already peeked.
    #[inline]
    fn literal<const N: usize>(&mut self, word: &[u8; N]) -> Result<(), Invalid> {
        match self.bytes.get(self.pos..self.pos + N) {
            Some(found) if found == word => {
                self.pos += N;
                Ok(())
            }
            _ => Err(Invalid),
        }
    }

    /// Reads a string after its opening quote: a slice of the input when it holds no
    /// escape, else decoded into `buf`.
    #[inline]
    fn string(&mut self, buf: &mut [u8; MAX_KEY]) -> Result<Text<'s>, Invalid> {
        let bytes = self.bytes;
        let start = self.pos;
        let i = start + special_offset(&bytes[start.min(bytes.len())..]);
        match bytes.get(i) {
            Some(b'"') => {
                self.pos = i + 1;
                let text = &bytes[start..i];
                Ok(if text.len() <= MAX_KEY {
                    Text::Input(text)
                } else {
                    Text::TooLong
                })
            }
            Some(b'\\') => self.escaped_string(buf, start, i),
            // The end of the input, or a control character.
            _ => Err(Invalid),
        }
    }

    /// The rest of [`string`](Self::string) when it holds an escape: the string started
    /// at `start`, its first escape is at `i`.
    #[cold]
    #[inline(never)]
    fn escaped_string(
        &mut self,
        buf: &mut [u8; MAX_KEY],
        start: usize,
        i: usize,
    ) -> Result<Text<'s>, Invalid> {
        let bytes = self.bytes;
        // Escapes: decode into `buf`, starting with the bytes before the first one.
        self.pos = i;
        let mut len = 0usize;
        let mut fits = true;
        let mut push = |bytes: &[u8], len: &mut usize| {
            if *len + bytes.len() <= MAX_KEY {
                buf[*len..*len + bytes.len()].copy_from_slice(bytes);
                *len += bytes.len();
            } else {
                fits = false;
            }
        };
        push(&bytes[start..i], &mut len);
        loop {
            match self.next().ok_or(Invalid)? {
                b'"' => break,
                b'\\' => {
                    let c = match self.next().ok_or(Invalid)? {
                        b'"' => '"',
                        b'\\' => '\\',
                        b'/' => '/',
                        b'b' => '\u{8}',
                        b'f' => '\u{c}',
                        b'n' => '\n',
                        b'r' => '\r',
                        b't' => '\t',
                        b'u' => {
                            let hi = self.hex4()?;
                            let code = if (0xD800..0xDC00).contains(&hi) {
                                self.literal(b"\\u")?;
                                let lo = self.hex4()?;
                                if !(0xDC00..0xE000).contains(&lo) {
                                    return Err(Invalid);
                                }
                                0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00)
                            } else {
                                hi
                            };
                            char::from_u32(code).ok_or(Invalid)?
                        }
                        _ => return Err(Invalid),
                    };
                    let mut tmp = [0u8; 4];
                    push(c.encode_utf8(&mut tmp).as_bytes(), &mut len);
                }
                b if b < 0x20 => return Err(Invalid),
                b => push(&[b], &mut len),
            }
        }
        Ok(if fits { Text::Buf(len) } else { Text::TooLong })
    }

    fn hex4(&mut self) -> Result<u32, Invalid> {
        let mut v = 0u32;
        for _ in 0..4 {
            let d = (self.next().ok_or(Invalid)? as char)
                .to_digit(16)
                .ok_or(Invalid)?;
            v = v * 16 + d;
        }
        Ok(v)
    }

    /// Reads a number whose first byte was already peeked; `Some` for a `u64` integer.
    fn number(&mut self) -> Result<Option<u64>, Invalid> {
        let mut integer: Option<u64> = Some(0);
        let mut digits = 0usize;
        if self.peek() == Some(b'-') {
            self.pos += 1;
            integer = None;
        }
        while let Some(b @ b'0'..=b'9') = self.peek() {
            self.pos += 1;
            digits += 1;
            integer = integer
                .and_then(|n| n.checked_mul(10))
                .and_then(|n| n.checked_add(u64::from(b - b'0')));
        }
        if digits == 0 {
            return Err(Invalid);
        }
        if self.peek() == Some(b'.') {
            self.pos += 1;
            integer = None;
            self.digits()?;
        }
        if let Some(b'e' | b'E') = self.peek() {
            self.pos += 1;
            integer = None;
            if let Some(b'+' | b'-') = self.peek() {
                self.pos += 1;
            }
            self.digits()?;
        }
        Ok(integer)
    }

    fn digits(&mut self) -> Result<(), Invalid> {
        let start = self.pos;
        while let Some(b'0'..=b'9') = self.peek() {
            self.pos += 1;
        }
        if self.pos == start {
            Err(Invalid)
        } else {
            Ok(())
        }
    }

    fn value(&mut self, buf: &mut [u8; MAX_KEY]) -> Result<RawValue<'s>, Invalid> {
        match self.peek().ok_or(Invalid)? {
            b't' => {
                self.literal(b"true")?;
                Ok(RawValue::Bool(true))
            }
            b'f' => {
                self.literal(b"false")?;
                Ok(RawValue::Bool(false))
            }
            b'n' => {
                self.literal(b"null")?;
                Ok(RawValue::Other)
            }
            b'"' => {
                self.pos += 1;
                Ok(RawValue::Str(self.string(buf)?))
            }
            b'-' | b'0'..=b'9' => Ok(match self.number()? {
                Some(n) => RawValue::Integer(n),
                None => RawValue::Other,
            }),
            b'{' | b'[' => {
                self.skip_nested(buf)?;
                Ok(RawValue::Other)
            }
            _ => Err(Invalid),
        }
    }

    /// Reads one object and then the end of the input (whitespace around it is allowed),
    /// calling `member` for each member.
    fn object(
        &mut self,
        key_buf: &mut [u8; MAX_KEY],
        member: impl FnMut(&mut Self, Key<'_>) -> Result<(), Invalid>,
    ) -> Result<(), Invalid> {
        self.ws();
        self.expect(b'{')?;
        self.members(key_buf, member)?;
        self.ws();
        match self.next() {
            None => Ok(()),
            Some(_) => Err(Invalid),
        }
    }

    /// Reads the members of an object after its `{`, through its `}`: reads each key (into
    /// `key_buf` when it holds escapes) and its `:`, then calls `member` to read the value.
    fn members(
        &mut self,
        key_buf: &mut [u8; MAX_KEY],
        mut member: impl FnMut(&mut Self, Key<'_>) -> Result<(), Invalid>,
    ) -> Result<(), Invalid> {
        self.ws();
        if self.peek() == Some(b'}') {
            self.pos += 1;
            return Ok(());
        }
        loop {
            self.ws();
            self.expect(b'"')?;
            let key = self.string(key_buf)?;
            self.ws();
            self.expect(b':')?;
            self.ws();
            member(self, key.key(key_buf))?;
            self.ws();
            match self.next() {
                Some(b',') => continue,
                Some(b'}') => return Ok(()),
                _ => return Err(Invalid),
            }
        }
    }

    /// Reads the elements of an array after its `[`, through its `]`, reporting each one
    /// (nested elements are skipped and reported as [`Value::Other`]).
    fn elements(
        &mut self,
        buf: &mut [u8; MAX_KEY],
        mut element: impl FnMut(Value<'_>),
    ) -> Result<(), Invalid> {
        self.ws();
        if self.peek() == Some(b']') {
            self.pos += 1;
            return Ok(());
        }
        loop {
            self.ws();
            let value = self.value(buf)?;
            element(value.resolve(buf));
            self.ws();
            match self.next() {
                Some(b',') => continue,
                Some(b']') => return Ok(()),
                _ => return Err(Invalid),
            }
        }
    }

    /// Skips a nested object or array iteratively, validating it, up to [`MAX_DEPTH`].
    fn skip_nested(&mut self, buf: &mut [u8; MAX_KEY]) -> Result<(), Invalid> {
        // One bit per open level: 1 = object, 0 = array.
        let mut stack: u64 = 0;
        let mut depth = 0usize;
        loop {
            // Read one value.
            match self.peek() {
                Some(open @ (b'{' | b'[')) => {
                    self.pos += 1;
                    if depth >= MAX_DEPTH {
                        return Err(Invalid);
                    }
                    let is_object = open == b'{';
                    stack = (stack << 1) | u64::from(is_object);
                    depth += 1;
                    self.ws();
                    let close = if is_object { b'}' } else { b']' };
                    if self.peek() == Some(close) {
                        self.pos += 1;
                        depth -= 1;
                        stack >>= 1;
                    } else {
                        if is_object {
                            self.member_key(buf)?;
                        }
                        continue;
                    }
                }
                _ => {
                    self.value(buf)?;
                }
            }
            // After a value: close levels or move to the next element.
            loop {
                if depth == 0 {
                    return Ok(());
                }
                let in_object = stack & 1 == 1;
                self.ws();
                match self.next() {
                    Some(b',') => {
                        self.ws();
                        if in_object {
                            self.member_key(buf)?;
                        }
                        break;
                    }
                    Some(b'}') if in_object => {}
                    Some(b']') if !in_object => {}
                    _ => return Err(Invalid),
                }
                depth -= 1;
                stack >>= 1;
            }
        }
    }

    /// Reads `"key" :` and the whitespace after it.
    fn member_key(&mut self, buf: &mut [u8; MAX_KEY]) -> Result<(), Invalid> {
        self.expect(b'"')?;
        self.string(buf)?;
        self.ws();
        self.expect(b':')?;
        self.ws();
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scan(s: &str) -> Result<Vec<(String, String)>, Invalid> {
        let mut out = Vec::new();
        scan_object(s.as_bytes(), |k, v| {
            let k = match k {
                Key::Text(t) => String::from_utf8_lossy(t).into_owned(),
                Key::TooLong => "<long>".into(),
            };
            let v = match v {
                Value::Bool(b) => b.to_string(),
                Value::Integer(n) => format!("#{n}"),
                Value::Str(s) => format!("'{}'", String::from_utf8_lossy(s)),
                Value::Other => "other".into(),
            };
            out.push((k, v));
        })?;
        Ok(out)
    }

    #[test]
    fn flat_objects() {
        assert_eq!(
            scan(
                r#" { "a" : true , "b":false,"t":1735689600000,"s":"x\"y","n":null,"f":-1.5e3 } "#
            )
            .unwrap(),
            [
                ("a".into(), "true".into()),
                ("b".into(), "false".into()),
                ("t".into(), "#1735689600000".into()),
                ("s".into(), "'x\"y'".into()),
                ("n".into(), "other".into()),
                ("f".into(), "other".into())
            ]
        );
        assert_eq!(scan("{}").unwrap(), []);
    }

    #[test]
    fn nested_values_are_skipped() {
        assert_eq!(
            scan(r#"{"x":{"a":[1,{"b":[]},[[]]],"c":{}},"y":[],"z":true}"#).unwrap(),
            [
                ("x".into(), "other".into()),
                ("y".into(), "other".into()),
                ("z".into(), "true".into())
            ]
        );
    }

    #[test]
    fn escapes_in_keys_are_decoded() {
        assert_eq!(
            scan(r#"{"g\u0061":false,"\ud83d\ude00":true}"#).unwrap(),
            [("ga".into(), "false".into()), ("😀".into(), "true".into())]
        );
    }

    #[test]
    fn long_keys_are_marked() {
        let key = "k".repeat(MAX_KEY + 1);
        assert_eq!(
            scan(&format!(r#"{{"{key}":true}}"#)).unwrap(),
            [("<long>".into(), "true".into())]
        );
    }

    #[test]
    fn malformed_input_is_invalid() {
        for bad in [
            "",
            "{",
            "}",
            "[]",
            "{\"a\"}",
            "{\"a\":}",
            "{\"a\":tru}",
            "{\"a\":true,}",
            "{\"a\":true}x",
            "{a:true}",
            "{'a':true}",
            "{\"a\":[1,]}",
            "{\"a\":[}",
            "{\"a\":{\"b\"}}",
            "{\"a\":01x}",
            "{\"a\":-}",
            "{\"a\":1.}",
            "{\"a\":\"\\x\"}",
            "{\"a\":\"\\ud800\"}",
            "{\"a\":[1 2]}",
            "{\"a\":{\"b\":1,}}",
            "{\"a\":true}{",
        ] {
            assert_eq!(scan(bad), Err(Invalid), "{bad:?}");
        }
    }

    fn scan_nested(s: &str) -> Result<Vec<String>, Invalid> {
        fn k(key: Key<'_>) -> String {
            match key {
                Key::Text(t) => String::from_utf8_lossy(t).into_owned(),
                Key::TooLong => "<long>".into(),
            }
        }
        let mut out = Vec::new();
        scan_object_nested(s.as_bytes(), |path, v| {
            let v = match v {
                Value::Bool(b) => b.to_string(),
                Value::Integer(n) => format!("#{n}"),
                Value::Str(s) => format!("'{}'", String::from_utf8_lossy(s)),
                Value::Other => "other".into(),
            };
            out.push(match path {
                Path::Member(a) => format!("{}={v}", k(a)),
                Path::Element(a) => format!("{}[]={v}", k(a)),
                Path::Inner(a, b) => format!("{}.{}={v}", k(a), k(b)),
                Path::InnerElement(a, b) => format!("{}.{}[]={v}", k(a), k(b)),
            });
        })?;
        Ok(out)
    }

    #[test]
    fn nested_scan_reports_two_levels() {
        assert_eq!(
            scan_nested(
                r#"{"categories":["necessary","analytics",1,[2]],"revision":3,
                   "services":{"analytics":["ga"],"ads":[],"n":null,"o":{"x":["y"]}},"e":[]}"#
            )
            .unwrap(),
            [
                "categories=other",
                "categories[]='necessary'",
                "categories[]='analytics'",
                "categories[]=#1",
                "categories[]=other",
                "revision=#3",
                "services=other",
                "services.analytics=other",
                "services.analytics[]='ga'",
                "services.ads=other",
                "services.n=other",
                "services.o=other",
                "e=other",
            ]
        );
        assert_eq!(scan_nested("{}").unwrap(), Vec::<String>::new());
    }

    #[test]
    fn nested_scan_rejects_what_scan_object_rejects() {
        for bad in [
            "",
            "{",
            "{\"a\":[1,]}",
            "{\"a\":[}",
            "{\"a\":{\"b\":[1 2]}}",
            "{\"a\":{\"b\":1,}}",
            "{\"a\":{\"b\"}}",
            "{\"a\":[]}x",
            "{\"a\":[\"x\"],}",
        ] {
            assert_eq!(scan_nested(bad), Err(Invalid), "{bad:?}");
        }
        let deep = format!(
            "{{\"a\":{{\"b\":{}{}}}}}",
            "[".repeat(10_000),
            "]".repeat(10_000)
        );
        assert_eq!(scan_nested(&deep), Err(Invalid));
    }

    /// Events of both scans, as text, for comparing two scanners.
    fn events(
        flat: impl FnOnce(&mut dyn FnMut(Key<'_>, Value<'_>)) -> Result<(), Invalid>,
        nested: impl FnOnce(&mut dyn FnMut(Path<'_>, Value<'_>)) -> Result<(), Invalid>,
    ) -> Events {
        let mut a = Vec::new();
        let ra = flat(&mut |k, v| a.push(format!("{k:?}={v:?}")));
        let mut b = Vec::new();
        let rb = nested(&mut |p, v| b.push(format!("{p:?}={v:?}")));
        (ra.map(|()| a), rb.map(|()| b))
    }

    type Events = (Result<Vec<String>, Invalid>, Result<Vec<String>, Invalid>);

    /// The events of the slice scanner and of the reference scanner on `input`.
    fn new_and_reference_events(input: &[u8]) -> (Events, Events) {
        let new = events(|f| scan_object(input, f), |f| scan_object_nested(input, f));
        let old = events(
            |f| reference::scan_object(input.iter().copied(), f),
            |f| reference::scan_object_nested(input.iter().copied(), f),
        );
        (new, old)
    }

    /// JSON-shaped text: objects, arrays, escapes, numbers, long strings, and bytes no JSON
    /// holds (controls, non-UTF-8), sometimes with one random piece spliced in.
    fn json_like() -> impl proptest::strategy::Strategy<Value = Vec<u8>> {
        use proptest::prelude::*;
        let string = prop_oneof![
            Just(r#""a""#.to_owned()),
            Just(r#""statistics""#.to_owned()),
            Just(r#""g\u0061\"\\\/\b\f\n\r\t""#.to_owned()),
            Just(r#""\ud83d\ude00""#.to_owned()),
            Just(r#""\ud800x""#.to_owned()),
            Just(r#""\udc00""#.to_owned()),
            (60usize..70).prop_map(|n| format!("\"{}\"", "k".repeat(n))),
            (60usize..70).prop_map(|n| format!("\"\\u00e9{}\"", "k".repeat(n))),
            (61usize..64).prop_map(|n| format!("\"{}\\ud83d\\ude00\"", "k".repeat(n))),
        ];
        let scalar = prop_oneof![
            Just("true".to_owned()),
            Just("false".to_owned()),
            Just("null".to_owned()),
            Just("1735689600000".to_owned()),
            Just("18446744073709551616".to_owned()),
            Just("-1.5e+3".to_owned()),
            Just("0".to_owned()),
            string.clone(),
        ];
        let value = scalar.prop_recursive(4, 24, 4, move |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..4)
                    .prop_map(|v| format!("[{}]", v.join(","))),
                prop::collection::vec((string.clone(), inner), 0..4).prop_map(|m| {
                    let m: Vec<String> = m.into_iter().map(|(k, v)| format!("{k} : {v}")).collect();
                    format!("{{ {} }}", m.join(","))
                }),
            ]
        });
        let splice = proptest::sample::select(vec![
            &b"{"[..],
            b"}",
            b"[",
            b"]",
            b"\"",
            b":",
            b",",
            b" ",
            b"\\",
            b"\\u",
            b"tru",
            b"-",
            b".",
            b"e",
            b"\x01",
            b"\xff",
            b"\t\n\r",
        ]);
        (
            value,
            proptest::option::of((any::<proptest::sample::Index>(), splice)),
            any::<bool>(),
        )
            .prop_map(|(v, splice, wrap)| {
                let mut v = if wrap { format!("{{\"x\":{v}}}") } else { v }.into_bytes();
                if let Some((at, piece)) = splice {
                    let at = at.index(v.len() + 1);
                    v.splice(at..at, piece.iter().copied());
                }
                v
            })
    }

    proptest::proptest! {
        #![proptest_config(proptest::test_runner::Config::with_cases(3000))]

        #[test]
        fn slice_scanner_agrees_with_the_reference(input in json_like()) {
            let (new, old) = new_and_reference_events(&input);
            proptest::prop_assert_eq!(new, old);
        }

        #[test]
        fn slice_scanner_agrees_with_the_reference_on_any_bytes(
            input in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..40),
        ) {
            let (new, old) = new_and_reference_events(&input);
            proptest::prop_assert_eq!(new, old);
        }
    }

    #[test]
    fn deep_nesting_is_rejected_without_recursion() {
        let deep = format!("{{\"a\":{}{}}}", "[".repeat(10_000), "]".repeat(10_000));
        assert_eq!(scan(&deep), Err(Invalid));
        let ok = format!(
            "{{\"a\":{}{}}}",
            "[".repeat(MAX_DEPTH),
            "]".repeat(MAX_DEPTH)
        );
        assert!(scan(&ok).is_ok());
    }
}
