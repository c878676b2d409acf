//! Reading the catalogue's `Retention period`; see [Retention](super#retention).

use std::time::Duration;

/// What a `Retention period` says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Retention {
    For(Duration),
    Session,
    Unknown,
}

/// Reads a `Retention period`.
pub(super) fn parse_retention(text: &str) -> Retention {
    let lower = text.to_ascii_lowercase();
    let bytes = lower.as_bytes();
    let mut longest: Option<u64> = None;
    let mut i = 0;
    while i < bytes.len() {
        if !bytes[i].is_ascii_digit() {
            i += 1;
            continue;
        }
        let start = i;
        while i < bytes.len() && bytes[i].is_ascii_digit() {
            i += 1;
        }
        let glued = start > 0 && bytes[start - 1].is_ascii_alphanumeric();
        let decimal =
            i + 1 < bytes.len() && matches!(bytes[i], b'.' | b',') && bytes[i + 1].is_ascii_digit();
        if glued || decimal {
            while i < bytes.len() && (bytes[i].is_ascii_digit() || matches!(bytes[i], b'.' | b','))
            {
                i += 1;
            }
            continue;
        }
        let Ok(number) = lower[start..i].parse::<u64>() else {
            continue;
        };
        let mut j = i;
        while j < bytes.len() && matches!(bytes[j], b' ' | b'\t' | b'-') {
            j += 1;
        }
        let word_start = j;
        while j < bytes.len() && bytes[j].is_ascii_alphabetic() {
            j += 1;
        }
        let unit: u64 = match &lower[word_start..j] {
            "s" | "sec" | "secs" | "second" | "seconds" => 1,
            "m" | "min" | "mins" | "minute" | "minutes" => 60,
            "h" | "hr" | "hrs" | "hour" | "hours" => 3600,
            "d" | "day" | "days" => 86_400,
            "w" | "wk" | "wks" | "week" | "weeks" => 7 * 86_400,
            "mo" | "mos" | "month" | "months" => 30 * 86_400,
            "y" | "yr" | "yrs" | "year" | "years" => 365 * 86_400,
            _ => continue,
        };
        if let Some(seconds) = number.checked_mul(unit) {
            longest = Some(longest.map_or(seconds, |l| l.max(seconds)));
        }
        i = j;
    }
    match longest {
        Some(seconds) => Retention::For(Duration::from_secs(seconds)),
        None if lower.contains("session") => Retention::Session,
        None => Retention::Unknown,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DAY: u64 = 86_400;

    fn secs(text: &str) -> Retention {
        parse_retention(text)
    }

    fn d(seconds: u64) -> Retention {
        Retention::For(Duration::from_secs(seconds))
    }

    #[test]
    fn retention_periods_of_the_catalogue() {
        assert_eq!(secs("2 years"), d(730 * DAY));
        assert_eq!(secs("1 year"), d(365 * DAY));
        assert_eq!(secs("24 hours"), d(DAY));
        assert_eq!(secs("1 minute"), d(60));
        assert_eq!(secs("1 day"), d(DAY));
        assert_eq!(secs("13 Months"), d(390 * DAY));
        assert_eq!(secs("2 weeks"), d(14 * DAY));
        assert_eq!(secs("30 seconds till 1 year"), d(365 * DAY));
        assert_eq!(secs("2 years after last activity"), d(730 * DAY));
        assert_eq!(secs("30 minutes after last activity"), d(1800));
        assert_eq!(
            secs("180 days after last activity or 10 years when opting out"),
            d(3650 * DAY)
        );
        assert_eq!(secs("30-day"), d(30 * DAY));
        assert_eq!(secs("0 seconds"), d(0));
    }

    #[test]
    fn session_and_unknown_retention() {
        assert_eq!(secs("Session"), Retention::Session);
        assert_eq!(secs("End of session (browser)"), Retention::Session);
        assert_eq!(secs(""), Retention::Unknown);
        assert_eq!(secs("persistent"), Retention::Unknown);
        assert_eq!(secs("3rd party"), Retention::Unknown);
        // A fraction is not rounded: the number is not read.
        assert_eq!(secs("1.5 years"), Retention::Unknown);
        // Digits glued to letters are not a number of units.
        assert_eq!(secs("utm2 days"), Retention::Unknown);
        // Too many seconds to count: not read, never a panic.
        assert_eq!(secs("99999999999999999999 years"), Retention::Unknown);
        assert_eq!(secs("18446744073709551615 years"), Retention::Unknown);
    }
}
