//! Request `Cookie` parsing over one or several fields.
#![no_main]

use http::header::COOKIE;
use libfuzzer_sys::fuzz_target;
use tower_cookie_consent::RequestCookies;

fuzz_target!(|data: &[u8]| {
    let headers = tower_cookie_consent_fuzz::headers(data);
    let cookies = RequestCookies::new(&headers);
    let total: usize = headers.get_all(COOKIE).iter().map(|v| v.len()).sum();
    let mut count = 0usize;
    for (name, value) in cookies.iter() {
        count += 1;
        assert!(!name.is_empty());
        assert!(!name
            .iter()
            .any(|&b| b <= b' ' || b == 0x7f || b == b';' || b == b'='));
        assert!(!value.contains(&b';'));
        assert!(!value.starts_with(b" ") && !value.ends_with(b" "));
        assert!(!value.starts_with(b"\t") && !value.ends_with(b"\t"));
        // `get` finds every pair `iter` yields.
        assert!(cookies.get(name).any(|v| v == value));
    }
    // At most one pair per `;`-separated piece (each needs an `=`).
    assert!(count <= total / 2 + 1);
    assert_eq!(cookies.is_empty(), !headers.contains_key(COOKIE));
});
