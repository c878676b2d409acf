//! The `cookies_preferences` reader on an arbitrary cookie-value (raw and percent-encoded
//! JSON), alone and duplicated (see `check_reader`).
#![no_main]

use libfuzzer_sys::fuzz_target;
use tower_cookie_consent::formats::MAX_CONSENT_VALUE;
use tower_cookie_consent::{ConsentState, CookiesPreferences};

fuzz_target!(|data: &[u8]| {
    let reader = CookiesPreferences::new().alias("functional_cookies", "functional");
    if let Some(one) = tower_cookie_consent_fuzz::check_reader(&reader, data) {
        // A present consent cookie is never "undecided": it is read, or unreadable.
        assert_ne!(one.state(), ConsentState::Undecided);
        let value_len = data.iter().position(|&b| b == 0xff).unwrap_or(data.len());
        // (No other byte of `trim_ascii` can be in a header value: SP and HTAB are trimmed.)
        let value = data[..value_len].trim_ascii();
        if value.len() > MAX_CONSENT_VALUE && !value.contains(&b';') {
            assert_eq!(one.state(), ConsentState::Unreadable);
        }
    }
});
