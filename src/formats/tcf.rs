use super::common::{single_cookie_reader, Grants};
use super::tc_string::TcString;
use crate::consent::Consent;
use crate::cookie_header::CookieName;
use crate::reader::ConsentRequest;

/// Reads the IAB TCF v2 consent cookie `euconsent-v2` (TCF v2.2 and v2.3 strings).
///
/// # Format
///
/// A TC String (see [`TcString`]): `euconsent-v2=<core>.<other segments>`, base64url.
/// The core segment's purpose consents decide the registry's categories and services:
///
/// - **purpose 1** ("Store and/or access information on a device") gates everything:
///   setting a cookie that needs consent *is* storing information on the device (ePrivacy
///   Directive art. 5(3)), so without purpose 1 consent nothing is granted, whatever the
///   other purposes say; purpose 1 is required by every mapping, and a string whose
///   `PurposeOneTreatment` says purpose 1 was not disclosed (jurisdictions that need no
///   consent for storage) does not lift that requirement;
/// - an id is granted when **every** purpose mapped to it has consent (legitimate interest
///   signals are ignored: cookies need consent); a service id whose purposes lack consent
///   is refused explicitly;
/// - `LastUpdated` is the time of choice, so the layer's maximum consent age applies;
/// - a string that does not decode ([`TcfError`](super::TcfError)), a globally-scoped string with
///   `PurposeOneTreatment` set (invalid per the specification), or a value over
///   [`MAX_CONSENT_VALUE`](super::MAX_CONSENT_VALUE) bytes reads as [unreadable](Consent::unreadable); no cookie is
///   [undecided](Consent::undecided) (CMPs that keep the string only in `localStorage`
///   look like this); the cookie present more than once reads as the
///   [narrowest](Consent::narrowest) of all;
/// - vendor consents are not read.
///
/// # Mapping
///
/// | registry id  | purposes needing consent | why |
/// |--------------|--------------------------|-----|
/// | `functional` | 1, 5, 6                  | storage, and content personalisation (profiles for, and selection of, personalised content) |
/// | `statistics` | 1, 8, 9                  | storage, measuring content performance, understanding audiences through statistics: first-party audience measurement |
/// | `marketing`  | 1, 2, 3, 4, 7            | storage, selecting ads (basic and personalised), ad profiles, measuring ad performance |
///
/// Change it with [`purposes`](Tcf::purposes) and [`ignore`](Tcf::ignore).
///
/// Reading does not allocate.
///
/// ```
/// use tower_cookie_consent::formats::Tcf;
///
/// // Purpose 10 ("Develop and improve services") also needed for statistics; no functional.
/// let reader = Tcf::new().purposes("statistics", &[8, 9, 10]).ignore("functional");
/// ```
#[derive(Debug, Clone)]
#[must_use]
pub struct Tcf {
    cookie_name: CookieName,
    targets: Vec<(String, u64)>,
}

/// Bit 63 is never a purpose: a mask holding it is never satisfied.
const IMPOSSIBLE: u64 = 1 << 63;

fn mask(purposes: &[u8]) -> u64 {
    purposes.iter().fold(1, |m, &p| {
        if (1..=24).contains(&p) {
            m | 1 << (p - 1)
        } else {
            m | IMPOSSIBLE
        }
    })
}

impl Tcf {
    /// The cookie-name of TCF v2 strings, `euconsent-v2`.
    pub const DEFAULT_COOKIE_NAME: &'static str = "euconsent-v2";

    /// Reads `euconsent-v2` with the [default mapping](Tcf#mapping).
    pub fn new() -> Self {
        Self {
            cookie_name: CookieName::new(Self::DEFAULT_COOKIE_NAME),
            targets: vec![
                ("functional".to_owned(), mask(&[5, 6])),
                ("statistics".to_owned(), mask(&[8, 9])),
                ("marketing".to_owned(), mask(&[2, 3, 4, 7])),
            ],
        }
    }

    /// Reads a cookie of another name.
    pub fn cookie_name(mut self, name: impl Into<String>) -> Self {
        self.cookie_name = CookieName::new(name);
        self
    }

    /// Grants the registry category or service `id` when purpose 1 and every purpose of
    /// `purposes` (1–24) have consent, replacing its default. A number outside 1–24 can
    /// never have consent, so the id is then never granted.
    pub fn purposes(mut self, id: impl Into<String>, purposes: &[u8]) -> Self {
        let (id, m) = (id.into(), mask(purposes));
        match self.targets.iter_mut().find(|(k, _)| *k == id) {
            Some(entry) => entry.1 = m,
            None => self.targets.push((id, m)),
        }
        self
    }

    /// Stops granting the registry id `id` from TCF purposes.
    pub fn ignore(mut self, id: impl AsRef<str>) -> Self {
        self.targets.retain(|(k, _)| k != id.as_ref());
        self
    }

    fn read_one(&self, value: &[u8], request: &ConsentRequest<'_>) -> Consent {
        let Ok(tc) = TcString::decode(value) else {
            return Consent::unreadable();
        };
        if tc.purpose_one_treatment() && !tc.is_service_specific() {
            return Consent::unreadable();
        }
        let registry = request.registry();
        let mut grants = Grants::default();
        for (id, mask) in &self.targets {
            grants.record(registry.consent_key(id.as_bytes()), tc.consents_to(*mask));
        }
        let mut consent = grants.into_consent();
        consent.set_timestamp_ms(Some(tc.last_updated_ms()));
        consent
    }
}

single_cookie_reader!(Tcf);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::formats::tc_string::encode_for_test;
    use crate::formats::testing::{self, granted, service};
    use crate::{ConsentState, Registry};

    /// 2025-01-01T00:00:00Z in deciseconds.
    const JAN_2025: u64 = 17_356_896_000;

    fn read_with(reader: &Tcf, fields: &[&str]) -> (Registry, Consent) {
        testing::read(
            reader,
            testing::registry([service("_ga", "statistics", "ga")]),
            fields,
        )
    }

    fn read(fields: &[&str]) -> (Registry, Consent) {
        read_with(&Tcf::new(), fields)
    }

    fn cookie(purposes: &[u8]) -> String {
        format!("euconsent-v2={}", encode_for_test(JAN_2025, purposes, true))
    }

    #[test]
    fn granted_refused_and_partial() {
        let all: Vec<u8> = (1..=11).collect();
        let (r, c) = read(&[&cookie(&all)]);
        assert!(c.is_decided());
        assert_eq!(granted(&r, &c), ["functional", "statistics", "marketing"]);
        assert_eq!(c.timestamp_ms(), Some(1_735_689_600_000));
        let (r, c) = read(&[&cookie(&[])]);
        assert!(c.is_decided());
        assert!(granted(&r, &c).is_empty());
        let (r, c) = read(&[&cookie(&[1, 8, 9])]);
        assert_eq!(granted(&r, &c), ["statistics"]);
        // One purpose missing is enough to withhold the category.
        let (r, c) = read(&[&cookie(&[1, 2, 3, 4])]);
        assert!(granted(&r, &c).is_empty());
    }

    #[test]
    fn purpose_one_gates_everything() {
        let (r, c) = read(&[&cookie(&(2..=11).collect::<Vec<u8>>())]);
        assert!(c.is_decided());
        assert!(granted(&r, &c).is_empty());
        let reader = Tcf::new().purposes("statistics", &[]).purposes("ga", &[7]);
        let (r, c) = read_with(&reader, &[&cookie(&[7])]);
        assert!(granted(&r, &c).is_empty());
        assert_eq!(c.service_decision(r.service_id("ga").unwrap()), Some(false));
        let (r, c) = read_with(&reader, &[&cookie(&[1, 7])]);
        assert_eq!(granted(&r, &c), ["statistics"]);
        assert_eq!(c.service_decision(r.service_id("ga").unwrap()), Some(true));
    }

    #[test]
    fn mapping_is_configurable() {
        let reader = Tcf::new()
            .purposes("statistics", &[8, 9, 10])
            .ignore("functional")
            .purposes("marketing", &[99]);
        let all: Vec<u8> = (1..=24).collect();
        let (r, c) = read_with(&reader, &[&cookie(&all)]);
        assert_eq!(granted(&r, &c), ["statistics"]);
        let (r, c) = read_with(&reader, &[&cookie(&[1, 8, 9])]);
        assert!(granted(&r, &c).is_empty());
    }

    #[test]
    fn absent_malformed_and_truncated() {
        let (_, c) = read(&["euconsent=BOEFEAyOEFEAyAHABDENAI4AAAB9vABAASA"]);
        assert_eq!(c, Consent::undecided());
        let full = encode_for_test(JAN_2025, &[1, 8, 9], true);
        for v in [
            format!("euconsent-v2={}", &full[..20]),
            "euconsent-v2=%7B%7D".to_owned(),
            "euconsent-v2=".to_owned(),
            format!("euconsent-v2=B{}", &full[1..]),
        ] {
            let (r, c) = read(&[&v]);
            assert_eq!(c.state(), ConsentState::Unreadable, "{v}");
            assert!(granted(&r, &c).is_empty());
        }
    }

    #[test]
    fn global_string_with_purpose_one_treatment_is_invalid() {
        let mut s = encode_for_test(JAN_2025, &(1..=11).collect::<Vec<u8>>(), false);
        // Bit 200 is the first bit of character 33 (200 / 6 = 33, offset 2).
        let mut chars: Vec<u8> = s.into_bytes();
        let alphabet = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
        let pos = alphabet.iter().position(|&a| a == chars[33]).unwrap();
        chars[33] = alphabet[pos | 0b1000];
        s = String::from_utf8(chars).unwrap();
        assert!(TcString::decode(s.as_bytes())
            .unwrap()
            .purpose_one_treatment());
        let (r, c) = read(&[&format!("euconsent-v2={s}")]);
        assert_eq!(c.state(), ConsentState::Unreadable);
        assert!(granted(&r, &c).is_empty());
    }

    #[test]
    fn duplicates_never_widen() {
        let all: Vec<u8> = (1..=11).collect();
        let (r, c) = read(&[&cookie(&all), &cookie(&[1, 8, 9])]);
        assert_eq!(granted(&r, &c), ["statistics"]);
    }
}
