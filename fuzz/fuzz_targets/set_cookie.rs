//! Cookie-name extraction (RFC 6265bis §5.6), the deletion test and the cookie-date parser
//! on arbitrary bytes.
#![no_main]

use std::time::{Duration, UNIX_EPOCH};

use libfuzzer_sys::fuzz_target;
use tower_cookie_consent::{
    is_deletion, parse_cookie_date, parse_set_cookie, SetCookie, MAX_NAME_VALUE,
};

fuzz_target!(|data: &[u8]| {
    match parse_set_cookie(data) {
        SetCookie::Ignored => {}
        SetCookie::Cookie {
            name,
            value,
            attributes,
        } => {
            // The parts are sub-slices, trimmed of SP/HTAB, within the size limit.
            assert!(name.len() + value.len() <= MAX_NAME_VALUE);
            assert!(!name.is_empty() || !value.is_empty());
            for part in [name, value] {
                assert!(!part.starts_with(b" ") && !part.starts_with(b"\t"));
                assert!(!part.ends_with(b" ") && !part.ends_with(b"\t"));
                assert!(!part.contains(&b';'));
            }
            assert!(!name.contains(&b'='));
            assert!(attributes.is_empty() || attributes[0] == b';');
            assert!(data.ends_with(attributes));
            for now in [0, 1_800_000_000, u64::from(u32::MAX)] {
                let _ = is_deletion(attributes, UNIX_EPOCH + Duration::from_secs(now));
            }
        }
        _ => {}
    }
    let _ = is_deletion(data, UNIX_EPOCH);
    if let Some(t) = parse_cookie_date(data) {
        // Years 1601..=9999 only.
        assert!((-11_644_473_600..=253_402_300_799).contains(&t));
    }
});
