//! The whole filter on a `HeaderMap`: read consent from the request headers, filter the
//! response headers, check the invariants (subsequence, other headers untouched, idempotent,
//! report-only changes nothing, no refused cookie kept, less consent keeps less).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    tower_cookie_consent_fuzz::check_filter(data);
});
