//! The Open Cookie Database CSV import on arbitrary bytes: never panics; an import either
//! builds into a registry or fails with a `ConfigError`.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tower_cookie_consent::import::OpenCookieDatabase;

fuzz_target!(|data: &[u8]| {
    if let Ok(import) = OpenCookieDatabase::new().read(data) {
        let _ = import.report();
        let _ = import.into_builder().build();
    }
});
