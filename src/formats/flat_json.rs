//! A fast path for the JSON object most consent cookies hold: flat, `"key":true|false|null|
//! integer` members, raw or percent-encoded (`encodeURIComponent`, or every
//! non-alphanumeric byte), read in place without decoding the value into a buffer first.
//!
//! [`scan_maybe_encoded_object`] reports exactly what decoding the value
//! ([`with_decoded`]) and scanning the result ([`scan_object`]) would: the fast path reads
//! the value only as far as it can prove that, and hands anything else (escapes inside keys,
//! string or nested values, numbers that are not `u64` integers, malformed input) to the
//! general path, which then reads the whole value again.

use super::common::{percent_escape, with_decoded};
use super::json::{scan_object, Invalid, Key, Value, MAX_KEY};
use super::MAX_CONSENT_VALUE;
use crate::swar;

/// What reads the members of an object for [`scan_maybe_encoded_object`].
pub(crate) trait Members {
    /// One member, in order.
    fn member(&mut self, key: Key<'_>, value: Value<'_>);
}

/// Reads the JSON object that `value` holds, raw or percent-encoded (`%XX` only, `+` stays
/// `+`), calling `members.member(key, value)` for each member in order, and returns what
/// `with_decoded(value, |json| scan_object(json, ..))` returns: `None` when `value` is
/// longer than [`MAX_CONSENT_VALUE`], `Some(Err(Invalid))` when the decoded value is not
/// one well-formed object.
///
/// `members` ends as if it had seen exactly the members that decoding and scanning report:
/// when the fast path gives up after reporting some members, `members` is reset to
/// `fresh()` and every member is reported again by the general path. Does not allocate.
pub(crate) fn scan_maybe_encoded_object<M: Members>(
    value: &[u8],
    members: &mut M,
    fresh: impl FnOnce() -> M,
) -> Option<Result<(), Invalid>> {
    if value.len() > MAX_CONSENT_VALUE {
        return None;
    }
    if flat_members(value, |key, scalar| {
        members.member(Key::Text(key), scalar.value());
    })
    .is_some()
    {
        return Some(Ok(()));
    }
    *members = fresh();
    with_decoded(value, |json| {
        scan_object(json, |key, value| members.member(key, value))
    })
}

/// A member value the fast path reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Scalar {
    Bool(bool),
    Integer(u64),
    Null,
}

impl Scalar {
    #[inline(always)]
    fn value(self) -> Value<'static> {
        match self {
            Self::Bool(b) => Value::Bool(b),
            Self::Integer(n) => Value::Integer(n),
            Self::Null => Value::Other,
        }
    }
}

/// Reads `value` as a flat object, calling `member` for each member; `None` when the fast
/// path cannot prove what the general path would report (the general path then decides,
/// valid or not), possibly after some calls.
///
/// It follows the decoder byte for byte: at each position a byte other than `%` stands for
/// itself, `%` and two hexadecimal digits for one byte, `%` otherwise for `%`. Structural
/// characters and whitespace are read decoded, so either form works; keys and values are
/// read raw and must hold no `%` (a key is then a slice of `value`, as the decoded key
/// would be).
#[inline(always)]
fn flat_members<'v>(value: &'v [u8], mut member: impl FnMut(&'v [u8], Scalar)) -> Option<()> {
    let mut c = Cursor { v: value, i: 0 };
    c.expect(b'{')?;
    // `{}` goes to the general path: a `}` here fails the `"` test.
    c.expect(b'"')?;
    loop {
        let key = c.key()?;
        // The closing quote (no whitespace before it: that would be part of the key).
        if !c.eat_pair(b'"', b':') {
            if !c.eat(b'"') {
                return None;
            }
            c.expect(b':')?;
        }
        let scalar = c.scalar()?;
        member(key, scalar);
        if c.eat_pair(b',', b'"') {
            continue;
        }
        match c.structural()? {
            b',' => c.expect(b'"')?,
            b'}' => break,
            _ => return None,
        }
    }
    // Only whitespace may follow the object.
    while let Some((b' ' | b'\t' | b'\n' | b'\r', len)) = c.decoded() {
        c.i += len;
    }
    (c.i == value.len()).then_some(())
}

/// The two hexadecimal digits of `b` as `%XX` writes them, the second one in both cases.
const fn hex_digits(b: u8) -> (u8, u8, u8) {
    const DIGITS: &[u8; 16] = b"0123456789ABCDEF";
    let low = DIGITS[(b & 0xf) as usize];
    (DIGITS[(b >> 4) as usize], low, low.to_ascii_lowercase())
}

struct Cursor<'v> {
    v: &'v [u8],
    i: usize,
}

impl<'v> Cursor<'v> {
    /// The byte at `i` once decoded, and how many bytes of `v` stand for it.
    #[inline(always)]
    fn decoded(&self) -> Option<(u8, usize)> {
        match *self.v.get(self.i)? {
            b'%' => Some(percent_escape(self.v, self.i)),
            b => Some((b, 1)),
        }
    }

    /// Consumes the byte `want` if it comes next, raw or as `%XX` (any case): the usual
    /// forms, checked without decoding. `false` says nothing (whitespace, another byte).
    #[inline(always)]
    fn eat(&mut self, want: u8) -> bool {
        let (high, upper, lower) = hex_digits(want);
        let len = match self.v.get(self.i..) {
            Some(&[b'%', h, l, ..]) if h == high && (l == upper || l == lower) => 3,
            Some(&[b, ..]) if b == want => 1,
            _ => return false,
        };
        self.i += len;
        true
    }

    /// Consumes the bytes `a` and `b` if they come next, both raw or both as `%XX` (hex
    /// letters all uppercase or all lowercase): the usual forms between a key and its value
    /// (`%22%3A`) and between two members (`%2C%22`), checked as one word. `false` says
    /// nothing.
    #[inline(always)]
    fn eat_pair(&mut self, a: u8, b: u8) -> bool {
        let encoded = |lower: bool| {
            let ((ah, au, al), (bh, bu, bl)) = (hex_digits(a), hex_digits(b));
            let (a2, b2) = if lower { (al, bl) } else { (au, bu) };
            u64::from_le_bytes([b'%', ah, a2, b'%', bh, b2, 0, 0])
        };
        let len = match self.v.get(self.i..) {
            Some(rest) => match rest.first_chunk::<8>() {
                Some(word) => {
                    let word = u64::from_le_bytes(*word) & 0xffff_ffff_ffff;
                    if word == encoded(false) || word == encoded(true) {
                        6
                    } else if rest.starts_with(&[a, b]) {
                        2
                    } else {
                        return false;
                    }
                }
                None if rest.starts_with(&[a, b]) => 2,
                None => return false,
            },
            None => return false,
        };
        self.i += len;
        true
    }

    /// Consumes the structural byte `want` after optional whitespace; `None` if another
    /// byte comes.
    #[inline(always)]
    fn expect(&mut self, want: u8) -> Option<()> {
        if self.eat(want) || self.structural()? == want {
            Some(())
        } else {
            None
        }
    }

    /// The next decoded byte that is not JSON whitespace, consumed.
    #[inline(always)]
    fn structural(&mut self) -> Option<u8> {
        loop {
            let (b, len) = self.decoded()?;
            self.i += len;
            if !matches!(b, b' ' | b'\t' | b'\n' | b'\r') {
                return Some(b);
            }
        }
    }

    /// A key after its opening quote, up to its closing quote: `None` unless it holds
    /// no escape of either kind (`%`, `\`), no control character, none of ` !#$` (rare in
    /// keys: the search stops at every byte below `&`) and fits [`MAX_KEY`].
    #[inline(always)]
    fn key(&mut self) -> Option<&'v [u8]> {
        let rest = self.v.get(self.i..)?;
        let len = swar::find(
            rest,
            |w| swar::below(w, b'&') | swar::eq(w, b'\\'),
            |b| b < b'&' || b == b'\\',
        );
        let key = rest.get(..len).filter(|key| key.len() <= MAX_KEY)?;
        self.i += len;
        Some(key)
    }

    /// A `true`, `false`, `null` or unsigned integer value, raw, after optional whitespace.
    #[inline(always)]
    fn scalar(&mut self) -> Option<Scalar> {
        loop {
            let rest = self.v.get(self.i..)?;
            let (scalar, len) = match *rest.first()? {
                b't' if rest.starts_with(b"true") => (Scalar::Bool(true), 4),
                b'f' if rest.starts_with(b"false") => (Scalar::Bool(false), 5),
                b'n' if rest.starts_with(b"null") => (Scalar::Null, 4),
                b'0'..=b'9' => integer(rest)?,
                _ => {
                    let (b' ' | b'\t' | b'\n' | b'\r', len) = self.decoded()? else {
                        return None;
                    };
                    self.i += len;
                    continue;
                }
            };
            self.i += len;
            return Some(scalar);
        }
    }
}

/// The raw decimal digits `rest` starts with, as a `u64`, and their count; `None` when
/// they overflow (the general path reads that as another number). A fraction or exponent
/// after them is left to the caller's next structural byte, which rejects it.
#[inline(always)]
fn integer(rest: &[u8]) -> Option<(Scalar, usize)> {
    let mut n: u64 = 0;
    let mut len = 0;
    // Eight digits at a time while eight follow (a millisecond timestamp has 13).
    while let Some(word) = rest.get(len..).and_then(<[u8]>::first_chunk::<8>) {
        let d = u64::from_le_bytes(*word).wrapping_sub(0x3030_3030_3030_3030);
        // Each byte is a digit when it is now below 10 (the lowest byte that is not is
        // flagged exactly: no borrow or carry reaches it).
        if (d | d.wrapping_add(0x7676_7676_7676_7676)) & 0x8080_8080_8080_8080 != 0 {
            break;
        }
        n = n.wrapping_mul(100_000_000).wrapping_add(eight_digits(d));
        len += 8;
    }
    while let Some(&d @ b'0'..=b'9') = rest.get(len) {
        n = n.wrapping_mul(10).wrapping_add(u64::from(d - b'0'));
        len += 1;
    }
    // Nineteen digits always fit a `u64`; more may not.
    if len > 19 {
        n = rest[..len].iter().try_fold(0u64, |n, &d| {
            n.checked_mul(10)?.checked_add(u64::from(d - b'0'))
        })?;
    }
    Some((Scalar::Integer(n), len))
}

/// The number eight decimal digits stand for, given as the bytes of `d` (little-endian,
/// first digit lowest) each holding one digit's value: pairs, then fours, then all eight,
/// with one multiply each.
#[inline(always)]
fn eight_digits(d: u64) -> u64 {
    let pairs = d.wrapping_mul(10).wrapping_add(d >> 8);
    let low = pairs & 0x0000_00ff_0000_00ff;
    let high = (pairs >> 16) & 0x0000_00ff_0000_00ff;
    (low.wrapping_mul(100 + (1_000_000 << 32)) + high.wrapping_mul(1 + (10_000 << 32))) >> 32
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use proptest::prelude::*;

    type Events = (Option<Result<(), Invalid>>, Vec<String>);

    impl Members for Vec<String> {
        fn member(&mut self, key: Key<'_>, value: Value<'_>) {
            self.push(format!("{key:?}={value:?}"));
        }
    }

    /// What the fast path reports, and what decoding then scanning reports.
    fn fast_and_general(value: &[u8]) -> (Events, Events) {
        let mut fast = Vec::new();
        let result = scan_maybe_encoded_object(value, &mut fast, Vec::new);
        let mut general = Vec::new();
        let general_result = with_decoded(value, |json| {
            scan_object(json, |k, v| general.push(format!("{k:?}={v:?}")))
        });
        ((result, fast), (general_result, general))
    }

    /// Whether the fast path reads `value` by itself.
    fn is_fast(value: &[u8]) -> bool {
        flat_members(value, |_, _| {}).is_some()
    }

    fn encode_all(json: &str) -> String {
        percent_encoding::utf8_percent_encode(json, percent_encoding::NON_ALPHANUMERIC).to_string()
    }

    #[test]
    fn reads_the_usual_shapes_in_place() {
        let json = r#"{"necessary":true,"functional":true,"statistics":true,"marketing":false,"timestamp":1735689600000}"#;
        let lower = encode_all(json).to_lowercase();
        let uri = "%7B%22functional_cookies%22%3Atrue%2C%22ga%22%3Afalse%2C%22matomo%22%3Atrue%2C%22timestamp%22%3A1735689600000%7D";
        let spaced = r#" { "a" : true , "b":null,"c": 18446744073709551615 } "#;
        for value in [json, &encode_all(json), &lower, uri, spaced] {
            assert!(is_fast(value.as_bytes()), "{value}");
            let (fast, general) = fast_and_general(value.as_bytes());
            assert_eq!(fast, general, "{value}");
            assert_eq!(fast.0, Some(Ok(())));
        }
        let (fast, _) = fast_and_general(encode_all(json).as_bytes());
        assert_eq!(
            fast.1,
            [
                r#"Text([110, 101, 99, 101, 115, 115, 97, 114, 121])=Bool(true)"#,
                r#"Text([102, 117, 110, 99, 116, 105, 111, 110, 97, 108])=Bool(true)"#,
                r#"Text([115, 116, 97, 116, 105, 115, 116, 105, 99, 115])=Bool(true)"#,
                r#"Text([109, 97, 114, 107, 101, 116, 105, 110, 103])=Bool(false)"#,
                r#"Text([116, 105, 109, 101, 115, 116, 97, 109, 112])=Integer(1735689600000)"#,
            ]
        );
    }

    #[test]
    fn leaves_other_shapes_to_the_general_path() {
        for value in [
            "{}",
            r#"{"a":"x"}"#,
            r#"{"a":[true]}"#,
            r#"{"a":-1}"#,
            r#"{"a":1.5}"#,
            r#"{"a":1e3}"#,
            r#"{"a":18446744073709551616}"#,
            r#"{"a\"b":true}"#,
            "%7B%22a%5Fb%22%3Atrue%7D",
            "%7B%22a%22%3A%74rue%7D",
            "%7B%22a%22%3Atrue%7D%7D",
            "%7B%22a%22%3Atrue",
            "%7B%22a%22%3Atrue%2C%7D",
            "%7B%22a%2522%3Atrue%7D",
            "{\"a\":true}x",
            "{\"a\tb\":true}",
        ] {
            assert!(!is_fast(value.as_bytes()), "{value}");
            let (fast, general) = fast_and_general(value.as_bytes());
            assert_eq!(fast, general, "{value}");
        }
        // Given up on after some members: those are not reported twice.
        let late = "%7B%22a%22%3Atrue%2C%22b%22%3Afalse%2C%22c%22%3A%22x%22%7D";
        assert!(!is_fast(late.as_bytes()));
        let (fast, general) = fast_and_general(late.as_bytes());
        assert_eq!(fast, general);
        assert_eq!(fast.1.len(), 3);
        let long = format!("{{\"{}\":true}}", "k".repeat(MAX_KEY + 1));
        assert!(!is_fast(long.as_bytes()));
        let long = [b' '; MAX_CONSENT_VALUE + 1];
        assert_eq!(
            scan_maybe_encoded_object(&long, &mut Vec::new(), Vec::new),
            None
        );
    }

    proptest! {
        #[test]
        fn integers_are_read_as_decimal(n in any::<u64>(), width in 0usize..24, tail in "[0-9.,a%]{0,3}") {
            let text = format!("{n:0width$}{tail}");
            let digits = text.bytes().take_while(u8::is_ascii_digit).count();
            let expected = text[..digits].parse::<u64>().ok().map(|n| (Scalar::Integer(n), digits));
            prop_assert_eq!(integer(text.as_bytes()), expected);
        }
    }

    /// Flat JSON objects (and near misses): keys with and without bytes that need escaping,
    /// every value kind, optional whitespace.
    fn flat_json() -> impl Strategy<Value = String> {
        flat_json_with(prop_oneof![
            12 => Just("statistics".to_owned()),
            12 => Just("ga".to_owned()),
            12 => Just("timestamp".to_owned()),
            1 => Just("revision".to_owned()),
            1 => Just("functional_cookies".to_owned()),
            1 => Just("caf\u{e9} %".to_owned()),
            1 => Just("a\\\"b".to_owned()),
            1 => Just(String::new()),
            1 => (60usize..70).prop_map(|n| "k".repeat(n)),
        ])
    }

    /// [`flat_json`] with keys drawn from `key` (written in a JSON string as they are).
    pub(crate) fn flat_json_with(
        key: impl Strategy<Value = String> + Clone + 'static,
    ) -> impl Strategy<Value = String> {
        let value = prop_oneof![
            12 => Just("true".to_owned()),
            12 => Just("false".to_owned()),
            1 => Just("null".to_owned()),
            1 => Just("0".to_owned()),
            1 => Just("007".to_owned()),
            12 => Just("1735689600000".to_owned()),
            1 => Just("18446744073709551615".to_owned()),
            1 => Just("18446744073709551616".to_owned()),
            1 => Just("-1".to_owned()),
            1 => Just("1.5".to_owned()),
            1 => Just("2E+3".to_owned()),
            1 => Just("\"x\"".to_owned()),
            1 => Just("[true,{}]".to_owned()),
            1 => Just("tru".to_owned()),
        ];
        let ws = prop_oneof![4 => Just(""), 1 => Just(" "), 1 => Just("\n\t\r ")];
        let member = (key, ws.clone(), ws.clone(), value, ws.clone())
            .prop_map(|(k, a, b, v, c)| format!("\"{k}\"{a}:{b}{v}{c}"));
        (
            ws.clone(),
            prop_oneof![4 => 0usize..6, 1 => 6usize..20]
                .prop_flat_map(move |n| prop::collection::vec(member.clone(), n)),
            ws,
        )
            .prop_map(|(a, members, b)| format!("{a}{{{}}}{b}", members.join(",")))
    }

    /// `json` percent-encoded: raw, as `encodeURIComponent` does, every non-alphanumeric
    /// byte, some non-alphanumeric bytes or any bytes at random, with upper- or lowercase hexadecimal digits; and
    /// sometimes a broken or doubled escape or a stray byte spliced in.
    pub(crate) fn encoded(json: String) -> impl Strategy<Value = Vec<u8>> {
        let bytes = json.into_bytes();
        let n = bytes.len();
        let splice = prop::sample::select(vec![
            &b"%"[..],
            b"%2",
            b"%zz",
            b"%25",
            b"%2522",
            b"%22",
            b"%3a",
            b"%2C",
            b"%7d",
            b"%20",
            b"\"",
            b"}",
            b"\xff",
            b"%FF",
            b"%5C",
        ]);
        (
            0u8..5,
            any::<bool>(),
            prop::collection::vec(any::<bool>(), n),
            prop::option::weighted(0.2, (any::<prop::sample::Index>(), splice)),
        )
            .prop_map(move |(mode, lower, coin, splice)| {
                let mut out = Vec::new();
                for (&b, &heads) in bytes.iter().zip(&coin) {
                    let encode = match mode {
                        0 => false,
                        1 => !(b.is_ascii_alphanumeric() || b"-_.!~*'()".contains(&b)),
                        2 => !b.is_ascii_alphanumeric(),
                        3 => heads && !b.is_ascii_alphanumeric(),
                        _ => heads,
                    };
                    match (encode, lower) {
                        (false, _) => out.push(b),
                        (true, false) => out.extend(format!("%{b:02X}").bytes()),
                        (true, true) => out.extend(format!("%{b:02x}").bytes()),
                    }
                }
                if let Some((at, piece)) = splice {
                    let at = at.index(out.len() + 1);
                    out.splice(at..at, piece.iter().copied());
                }
                out
            })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(4000))]

        #[test]
        fn agrees_with_decoding_then_scanning(value in flat_json().prop_flat_map(encoded)) {
            let (fast, general) = fast_and_general(&value);
            prop_assert_eq!(fast, general);
        }

        #[test]
        fn agrees_with_decoding_then_scanning_on_any_bytes(
            value in prop::collection::vec(
                prop::sample::select(b"{}\":,%2CaA7bBdD0f3t ruel\\\xff\t".to_vec()),
                0..48,
            ),
        ) {
            let (fast, general) = fast_and_general(&value);
            prop_assert_eq!(fast, general);
        }
    }

    #[test]
    fn the_generated_values_often_take_the_fast_path() {
        // The property above is only worth something if the fast path answers a good share
        // of its inputs itself.
        use proptest::strategy::ValueTree;
        use proptest::test_runner::TestRunner;
        let mut runner = TestRunner::deterministic();
        let strategy = flat_json().prop_flat_map(encoded);
        let fast = (0..1000)
            .filter(|_| is_fast(&strategy.new_tree(&mut runner).unwrap().current()))
            .count();
        assert!(fast > 150, "{fast} of 1000");
    }
}
