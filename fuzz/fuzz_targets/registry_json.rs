//! `Registry::from_json_str` on arbitrary UTF-8: never panics; what loads can be written back
//! and loads again to the same categories and declarations.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tower_cookie_consent::Registry;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(registry) = Registry::from_json_str(text) {
        if let Ok(written) = registry.to_json_string() {
            let again = Registry::from_json_str(&written)
                .unwrap_or_else(|e| panic!("written JSON does not load: {e}\n{written}"));
            assert_eq!(again.categories(), registry.categories());
            assert_eq!(again.declarations(), registry.declarations());
            assert_eq!(again.revision(), registry.revision());
        }
    }
});
