//! IAB TCF v2: the TC string decoder on arbitrary bytes, and the `Tcf` reader on an arbitrary
//! `euconsent-v2` value, alone and duplicated (see `check_reader`).
#![no_main]

use libfuzzer_sys::fuzz_target;
use tower_cookie_consent::formats::{TcString, Tcf};

fuzz_target!(|data: &[u8]| {
    if let Ok(tc) = TcString::decode(data) {
        // Every accessor is total on a decoded string.
        for n in 0..=255u8 {
            let _ = (
                tc.purpose_consent(n),
                tc.purpose_li_transparency(n),
                tc.special_feature_opt_in(n),
            );
        }
        let _ = (
            tc.version(),
            tc.last_updated_ms(),
            tc.publisher_cc(),
            tc.consent_language(),
        );
    }
    let _ = tower_cookie_consent_fuzz::check_reader(&Tcf::new(), data);
});
