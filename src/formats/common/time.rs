//! Calendar arithmetic and the ISO 8601 date-times some CMPs record as the time of choice.
//! Shared with the cookie-date parser of [`crate::set_cookie`].

/// Days from 1970-01-01 to the proleptic Gregorian date `year`-`month`-`day` (H. Hinnant's
/// `days_from_civil`); `None` when `month` is not 1–12 or `day` is not a day of that month
/// (29 February only in leap years).
pub(crate) fn civil_days(year: i64, month: u32, day: u32) -> Option<i64> {
    let days_in_month = match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
        2 => 28,
        _ => return None,
    };
    if day == 0 || day > days_in_month {
        return None;
    }
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(month);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(day) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    Some(era * 146_097 + doe - 719_468)
}

fn digits(s: &[u8]) -> Option<u32> {
    if s.is_empty() || !s.iter().all(u8::is_ascii_digit) {
        return None;
    }
    s.iter().try_fold(0u32, |n, &b| {
        n.checked_mul(10)?.checked_add(u32::from(b - b'0'))
    })
}

/// Milliseconds since the Unix epoch of a civil date `(year, month, day)` and time
/// `(hour, minute, second, millisecond)`, `offset_minutes` east of UTC; `None` when a field
/// is out of range or the instant is before 1970.
fn civil_to_ms(
    (y, mo, d): (u32, u32, u32),
    (h, mi, s, ms): (u32, u32, u32, u32),
    offset_minutes: i64,
) -> Option<u64> {
    if h > 23 || mi > 59 || s > 59 {
        return None;
    }
    let days = civil_days(i64::from(y), mo, d)?;
    let secs = days * 86_400 + i64::from(h) * 3600 + i64::from(mi) * 60 + i64::from(s)
        - offset_minutes * 60;
    u64::try_from(secs)
        .ok()?
        .checked_mul(1000)?
        .checked_add(u64::from(ms))
}

/// Parses an RFC 3339 / ISO 8601 date-time as JavaScript's `Date.prototype.toISOString`
/// writes it (`2025-01-06T09:00:00.000Z`), strictly: `YYYY-MM-DDTHH:MM:SS`, an optional
/// fraction (milliseconds kept, further digits ignored), then `Z` or `±HH:MM`. Returns
/// milliseconds since the Unix epoch; `None` for anything else or a date before 1970.
pub(crate) fn parse_iso8601_ms(s: &[u8]) -> Option<u64> {
    if s.len() < 20 || s[4] != b'-' || s[7] != b'-' || s[10] != b'T' {
        return None;
    }
    if s[13] != b':' || s[16] != b':' {
        return None;
    }
    let y = digits(&s[0..4])?;
    let mo = digits(&s[5..7])?;
    let d = digits(&s[8..10])?;
    let h = digits(&s[11..13])?;
    let mi = digits(&s[14..16])?;
    let sec = digits(&s[17..19])?;
    let mut rest = &s[19..];
    let mut ms = 0u32;
    if let [b'.', tail @ ..] = rest {
        let n = tail.iter().take_while(|b| b.is_ascii_digit()).count();
        if n == 0 {
            return None;
        }
        for (i, &b) in tail[..n.min(3)].iter().enumerate() {
            ms += u32::from(b - b'0') * [100, 10, 1][i];
        }
        rest = &tail[n..];
    }
    let offset = match rest {
        b"Z" => 0,
        [sign @ (b'+' | b'-'), hh @ .., b':', m1, m2] if hh.len() == 2 => {
            let oh = i64::from(digits(hh)?);
            let om = i64::from(digits(&[*m1, *m2])?);
            if oh > 23 || om > 59 {
                return None;
            }
            let total = oh * 60 + om;
            if *sign == b'-' {
                -total
            } else {
                total
            }
        }
        _ => return None,
    };
    civil_to_ms((y, mo, d), (h, mi, sec, ms), offset)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn civil_days_counts_from_the_epoch_and_checks_the_day() {
        assert_eq!(civil_days(1970, 1, 1), Some(0));
        assert_eq!(civil_days(1969, 12, 31), Some(-1));
        assert_eq!(civil_days(2000, 3, 1), Some(11_017));
        assert_eq!(civil_days(2024, 2, 29), Some(19_782));
        for (y, m, d) in [
            (2025, 2, 29),
            (1900, 2, 29),
            (2025, 4, 31),
            (2025, 0, 1),
            (2025, 13, 1),
            (2025, 1, 0),
        ] {
            assert_eq!(civil_days(y, m, d), None, "{y}-{m}-{d}");
        }
    }

    #[test]
    fn iso8601_as_javascript_writes_it() {
        assert_eq!(
            parse_iso8601_ms(b"2025-01-01T00:00:00.000Z"),
            Some(1_735_689_600_000)
        );
        assert_eq!(
            parse_iso8601_ms(b"2025-01-01T01:00:00.5+01:00"),
            Some(1_735_689_600_500)
        );
        assert_eq!(
            parse_iso8601_ms(b"2024-02-29T12:00:00Z"),
            Some(1_709_208_000_000)
        );
        for bad in [
            &b"2025-02-29T00:00:00Z"[..],
            b"2025-01-01 00:00:00Z",
            b"2025-01-01T00:00:00",
            b"2025-13-01T00:00:00Z",
            b"2025-01-01T24:00:00Z",
            b"1969-12-31T23:59:59Z",
            b"2025-01-01T00:00:00.Z",
            b"2025-01-01T00:00:00+1:00",
            b"\xff\xff\xff\xff-01-01T00:00:00Z",
        ] {
            assert_eq!(parse_iso8601_ms(bad), None, "{bad:?}");
        }
    }
}
