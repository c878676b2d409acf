//! The JSON scanner as first written (over a byte iterator, every string copied): the
//! reference the slice scanner of `json.rs` must agree with on every input (tests only).

use std::iter::Peekable;

use super::{Invalid, Key, Path, Value, MAX_DEPTH, MAX_KEY};

struct Scanner<I: Iterator<Item = u8>> {
    bytes: Peekable<I>,
}

/// Scans `bytes` as one JSON object, calling `member` for each member in order.
pub(crate) fn scan_object<I, F>(bytes: I, mut member: F) -> Result<(), Invalid>
where
    I: Iterator<Item = u8>,
    F: FnMut(Key<'_>, Value<'_>),
{
    let mut s = Scanner {
        bytes: bytes.peekable(),
    };
    let mut key_buf = [0u8; MAX_KEY];
    let mut str_buf = [0u8; MAX_KEY];
    s.object(&mut key_buf, |s, key| {
        let value = s.value(&mut str_buf)?;
        member(key, value.resolve(&str_buf));
        Ok(())
    })
}

/// Scans `bytes` as one JSON object like [`scan_object`], and also reports the scalar
/// contents of arrays and objects up to two levels down (`{"a":[..], "b":{"c":[..]}}`);
/// anything deeper is validated and skipped. Iterative, bounded by [`MAX_DEPTH`].
pub(crate) fn scan_object_nested<I, F>(bytes: I, mut visit: F) -> Result<(), Invalid>
where
    I: Iterator<Item = u8>,
    F: FnMut(Path<'_>, Value<'_>),
{
    let mut s = Scanner {
        bytes: bytes.peekable(),
    };
    let mut outer = [0u8; MAX_KEY];
    let mut inner = [0u8; MAX_KEY];
    let mut buf = [0u8; MAX_KEY];
    s.object(&mut outer, |s, okey| match s.bytes.peek() {
        Some(b'[') => {
            s.bytes.next();
            visit(Path::Member(okey), Value::Other);
            s.elements(&mut buf, |v| visit(Path::Element(okey), v))
        }
        Some(b'{') => {
            s.bytes.next();
            visit(Path::Member(okey), Value::Other);
            s.members(&mut inner, |s, ikey| {
                if s.bytes.peek() == Some(&b'[') {
                    s.bytes.next();
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

fn key_of(buf: &[u8], len: Option<usize>) -> Key<'_> {
    match len {
        Some(n) => Key::Text(&buf[..n]),
        None => Key::TooLong,
    }
}

enum RawValue {
    Bool(bool),
    Integer(u64),
    Str(usize),
    Other,
}

impl RawValue {
    fn resolve(self, buf: &[u8]) -> Value<'_> {
        match self {
            Self::Bool(b) => Value::Bool(b),
            Self::Integer(n) => Value::Integer(n),
            Self::Str(n) => Value::Str(&buf[..n]),
            Self::Other => Value::Other,
        }
    }
}

impl<I: Iterator<Item = u8>> Scanner<I> {
    fn ws(&mut self) {
        while matches!(self.bytes.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.bytes.next();
        }
    }

    fn expect(&mut self, b: u8) -> Result<(), Invalid> {
        if self.bytes.next() == Some(b) {
            Ok(())
        } else {
            Err(Invalid)
        }
    }

    fn literal(&mut self, rest: &[u8]) -> Result<(), Invalid> {
        for &b in rest {
            self.expect(b)?;
        }
        Ok(())
    }

    /// Reads a string after its opening quote into `buf`; `None` if it did not fit.
    fn string(&mut self, buf: &mut [u8; MAX_KEY]) -> Result<Option<usize>, Invalid> {
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
        loop {
            match self.bytes.next().ok_or(Invalid)? {
                b'"' => break,
                b'\\' => {
                    let c = match self.bytes.next().ok_or(Invalid)? {
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
        Ok(fits.then_some(len))
    }

    fn hex4(&mut self) -> Result<u32, Invalid> {
        let mut v = 0u32;
        for _ in 0..4 {
            let d = (self.bytes.next().ok_or(Invalid)? as char)
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
        if self.bytes.peek() == Some(&b'-') {
            self.bytes.next();
            integer = None;
        }
        while let Some(&b) = self.bytes.peek() {
            if !b.is_ascii_digit() {
                break;
            }
            self.bytes.next();
            digits += 1;
            integer = integer
                .and_then(|n| n.checked_mul(10))
                .and_then(|n| n.checked_add(u64::from(b - b'0')));
        }
        if digits == 0 {
            return Err(Invalid);
        }
        if self.bytes.peek() == Some(&b'.') {
            self.bytes.next();
            integer = None;
            self.digits()?;
        }
        if matches!(self.bytes.peek(), Some(b'e' | b'E')) {
            self.bytes.next();
            integer = None;
            if matches!(self.bytes.peek(), Some(b'+' | b'-')) {
                self.bytes.next();
            }
            self.digits()?;
        }
        Ok(integer)
    }

    fn digits(&mut self) -> Result<(), Invalid> {
        let mut n = 0;
        while self.bytes.peek().is_some_and(u8::is_ascii_digit) {
            self.bytes.next();
            n += 1;
        }
        if n == 0 {
            Err(Invalid)
        } else {
            Ok(())
        }
    }

    fn value(&mut self, buf: &mut [u8; MAX_KEY]) -> Result<RawValue, Invalid> {
        match self.bytes.peek().copied().ok_or(Invalid)? {
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
                self.bytes.next();
                Ok(match self.string(buf)? {
                    Some(n) => RawValue::Str(n),
                    None => RawValue::Other,
                })
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
        match self.bytes.next() {
            None => Ok(()),
            Some(_) => Err(Invalid),
        }
    }

    /// Reads the members of an object after its `{`, through its `}`: reads each key (into
    /// `key_buf`) and its `:`, then calls `member` to read the value.
    fn members(
        &mut self,
        key_buf: &mut [u8; MAX_KEY],
        mut member: impl FnMut(&mut Self, Key<'_>) -> Result<(), Invalid>,
    ) -> Result<(), Invalid> {
        self.ws();
        if self.bytes.peek() == Some(&b'}') {
            self.bytes.next();
            return Ok(());
        }
        loop {
            self.ws();
            self.expect(b'"')?;
            let len = self.string(key_buf)?;
            self.ws();
            self.expect(b':')?;
            self.ws();
            member(self, key_of(key_buf, len))?;
            self.ws();
            match self.bytes.next() {
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
        if self.bytes.peek() == Some(&b']') {
            self.bytes.next();
            return Ok(());
        }
        loop {
            self.ws();
            let value = self.value(buf)?;
            element(value.resolve(buf));
            self.ws();
            match self.bytes.next() {
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
            match self.bytes.peek().copied() {
                Some(open @ (b'{' | b'[')) => {
                    self.bytes.next();
                    if depth >= MAX_DEPTH {
                        return Err(Invalid);
                    }
                    let is_object = open == b'{';
                    stack = (stack << 1) | u64::from(is_object);
                    depth += 1;
                    self.ws();
                    let close = if is_object { b'}' } else { b']' };
                    if self.bytes.peek() == Some(&close) {
                        self.bytes.next();
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
                match self.bytes.next() {
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
