//! The `Cookiebot` consent reader on an arbitrary cookie-value, alone and duplicated (see
//! `check_reader`: never panics, a duplicate never widens consent).
#![no_main]

use libfuzzer_sys::fuzz_target;
use tower_cookie_consent::formats::Cookiebot;

fuzz_target!(|data: &[u8]| {
    let _ = tower_cookie_consent_fuzz::check_reader(&Cookiebot::new(), data);
});
