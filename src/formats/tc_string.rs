use std::fmt;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;

use super::MAX_CONSENT_VALUE;

/// Base64url characters holding the core-segment fields [`TcString`] decodes (216 bits).
const CORE_CHARS: usize = 36;
/// Bytes those characters decode to.
const CORE_BYTES: usize = CORE_CHARS / 4 * 3;

/// The core segment of an IAB Europe Transparency & Consent Framework (TCF) v2 TC String,
/// as far as it is needed to read consent: every field up to `PublisherCC` (bits 0–212).
///
/// Layout from *IAB Tech Lab – Consent string and vendor list formats v2*, "The core
/// string" (the same in TCF v2.2 and v2.3): the string is split at `.` into segments, each
/// base64url without padding; the core segment comes first. Its bits, most significant
/// first: `Version` (6), `Created` (36, deciseconds since the Unix epoch), `LastUpdated`
/// (36), `CmpId` (12), `CmpVersion` (12), `ConsentScreen` (6), `ConsentLanguage` (12, two
/// letters of 6 bits, `a` = 0), `VendorListVersion` (12), `TcfPolicyVersion` (6),
/// `IsServiceSpecific` (1), `UseNonStandardTexts` (1), `SpecialFeatureOptIns` (12),
/// `PurposesConsent` (24, from bit 152), `PurposesLITransparency` (24),
/// `PurposeOneTreatment` (1), `PublisherCC` (12). The vendor sections that follow are not
/// decoded.
///
/// ```
/// use tower_cookie_consent::formats::TcString;
///
/// // The example string of the IAB specification.
/// let tc = TcString::decode(b"COvFyGBOvFyGBAbAAAENAPCAAOAAAAAAAAAAAEEUACCKAAA.IFoEUQQgAIQwgIwQABAEAAAAOIAACAIAAAAQAIAgEAACEAAAAAgAQBAAAAAAAGBAAgAAAAAAAFAAECAAAgAAQARAEQAAAAAJAAIAAgAAAYQEAAAQmAgBC3ZAYzUw")?;
/// assert_eq!(tc.version(), 2);
/// assert_eq!(tc.consent_language(), *b"EN");
/// assert_eq!(tc.last_updated_ms(), tc.last_updated_deciseconds() * 100);
/// # Ok::<(), tower_cookie_consent::formats::TcfError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct TcString {
    version: u8,
    created: u64,
    last_updated: u64,
    cmp_id: u16,
    cmp_version: u16,
    consent_screen: u8,
    consent_language: [u8; 2],
    vendor_list_version: u16,
    tcf_policy_version: u8,
    is_service_specific: bool,
    use_non_standard_texts: bool,
    special_feature_opt_ins: u16,
    purposes_consent: u32,
    purposes_li_transparency: u32,
    purpose_one_treatment: bool,
    publisher_cc: [u8; 2],
}

/// Why a TC String could not be decoded by [`TcString::decode`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TcfError {
    /// The string is longer than [`MAX_CONSENT_VALUE`] bytes.
    TooLong,
    /// The core segment holds a character outside the base64url alphabet
    /// (`A–Z a–z 0–9 - _`; trailing `=` padding is tolerated).
    InvalidBase64,
    /// The core segment is too short to hold every field up to `PublisherCC`.
    Truncated,
    /// `Version` is not 2 (TCF v1 strings start with `B`, in the `euconsent` cookie).
    UnsupportedVersion(u8),
}

impl fmt::Display for TcfError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::TooLong => write!(f, "the TC String is longer than {MAX_CONSENT_VALUE} bytes"),
            Self::InvalidBase64 => f.write_str("the TC String core segment is not base64url"),
            Self::Truncated => f.write_str("the TC String core segment is truncated"),
            Self::UnsupportedVersion(v) => write!(f, "TC String version {v} is not 2"),
        }
    }
}

impl std::error::Error for TcfError {}

/// Reads `len` (≤ 64) bits from `bytes` at bit offset `start`, most significant first.
fn bits(bytes: &[u8; CORE_BYTES], start: usize, len: usize) -> u64 {
    let mut out = 0u64;
    for i in start..start + len {
        out = (out << 1) | u64::from((bytes[i / 8] >> (7 - i % 8)) & 1);
    }
    out
}

/// Reverses a bit field of `len` bits so that the first (leftmost) bit becomes bit 0.
fn field(bytes: &[u8; CORE_BYTES], start: usize, len: usize) -> u64 {
    let raw = bits(bytes, start, len);
    (0..len).fold(0, |acc, i| acc | (((raw >> (len - 1 - i)) & 1) << i))
}

fn letters(bytes: &[u8; CORE_BYTES], start: usize) -> [u8; 2] {
    let letter = |v: u64| if v < 26 { b'A' + v as u8 } else { b'?' };
    [
        letter(bits(bytes, start, 6)),
        letter(bits(bytes, start + 6, 6)),
    ]
}

impl TcString {
    /// Decodes the core segment of a TC String (the text before the first `.`; later
    /// segments are ignored). Does not allocate.
    ///
    /// # Errors
    ///
    /// [`TcfError::TooLong`] over [`MAX_CONSENT_VALUE`] bytes;
    /// [`TcfError::InvalidBase64`] for a character outside base64url in the core segment;
    /// [`TcfError::Truncated`] when the core segment has fewer than 36 characters (the
    /// fields up to `PublisherCC` need 213 bits); [`TcfError::UnsupportedVersion`] when
    /// `Version` is not 2.
    pub fn decode(value: &[u8]) -> Result<Self, TcfError> {
        if value.len() > MAX_CONSENT_VALUE {
            return Err(TcfError::TooLong);
        }
        let mut core = value.split(|&b| b == b'.').next().unwrap_or_default();
        while let [rest @ .., b'='] = core {
            core = rest;
        }
        if !core
            .iter()
            .all(|&b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        {
            return Err(TcfError::InvalidBase64);
        }
        if core.len() < CORE_CHARS {
            return Err(TcfError::Truncated);
        }
        let mut b = [0u8; CORE_BYTES];
        URL_SAFE_NO_PAD
            .decode_slice(&core[..CORE_CHARS], &mut b)
            .map_err(|_| TcfError::InvalidBase64)?;
        let version = bits(&b, 0, 6) as u8;
        if version != 2 {
            return Err(TcfError::UnsupportedVersion(version));
        }
        Ok(Self {
            version,
            created: bits(&b, 6, 36),
            last_updated: bits(&b, 42, 36),
            cmp_id: bits(&b, 78, 12) as u16,
            cmp_version: bits(&b, 90, 12) as u16,
            consent_screen: bits(&b, 102, 6) as u8,
            consent_language: letters(&b, 108),
            vendor_list_version: bits(&b, 120, 12) as u16,
            tcf_policy_version: bits(&b, 132, 6) as u8,
            is_service_specific: bits(&b, 138, 1) == 1,
            use_non_standard_texts: bits(&b, 139, 1) == 1,
            special_feature_opt_ins: field(&b, 140, 12) as u16,
            purposes_consent: field(&b, 152, 24) as u32,
            purposes_li_transparency: field(&b, 176, 24) as u32,
            purpose_one_treatment: bits(&b, 200, 1) == 1,
            publisher_cc: letters(&b, 201),
        })
    }

    /// `Version`: always 2.
    pub fn version(&self) -> u8 {
        self.version
    }

    /// `Created`, in deciseconds since the Unix epoch.
    pub fn created_deciseconds(&self) -> u64 {
        self.created
    }

    /// `LastUpdated`, in deciseconds since the Unix epoch.
    pub fn last_updated_deciseconds(&self) -> u64 {
        self.last_updated
    }

    /// `LastUpdated`, in milliseconds since the Unix epoch (the consent's time of choice).
    pub fn last_updated_ms(&self) -> u64 {
        self.last_updated * 100
    }

    /// `CmpId`: the registered id of the CMP that last updated the string.
    pub fn cmp_id(&self) -> u16 {
        self.cmp_id
    }

    /// `CmpVersion`.
    pub fn cmp_version(&self) -> u16 {
        self.cmp_version
    }

    /// `ConsentScreen`.
    pub fn consent_screen(&self) -> u8 {
        self.consent_screen
    }

    /// `ConsentLanguage`, two upper-case ASCII letters (`?` for a value over 25).
    pub fn consent_language(&self) -> [u8; 2] {
        self.consent_language
    }

    /// `VendorListVersion`: the Global Vendor List version used.
    pub fn vendor_list_version(&self) -> u16 {
        self.vendor_list_version
    }

    /// `TcfPolicyVersion` (4 for TCF v2.2, 5 for v2.3).
    pub fn tcf_policy_version(&self) -> u8 {
        self.tcf_policy_version
    }

    /// `IsServiceSpecific`.
    pub fn is_service_specific(&self) -> bool {
        self.is_service_specific
    }

    /// `UseNonStandardTexts` (named `UseNonStandardStacks` before TCF v2.2).
    pub fn use_non_standard_texts(&self) -> bool {
        self.use_non_standard_texts
    }

    /// Whether the visitor opted in to special feature `n` (1–12); `false` out of range.
    pub fn special_feature_opt_in(&self, n: u8) -> bool {
        (1..=12).contains(&n) && self.special_feature_opt_ins & (1 << (n - 1)) != 0
    }

    /// Whether `PurposesConsent` grants purpose `n` (1–24); `false` out of range.
    pub fn purpose_consent(&self, n: u8) -> bool {
        (1..=24).contains(&n) && self.purposes_consent & (1 << (n - 1)) != 0
    }

    /// Whether `PurposesLITransparency` holds purpose `n` (1–24); `false` out of range.
    pub fn purpose_li_transparency(&self, n: u8) -> bool {
        (1..=24).contains(&n) && self.purposes_li_transparency & (1 << (n - 1)) != 0
    }

    /// `PurposeOneTreatment`: `true` when purpose 1 was not disclosed at all.
    pub fn purpose_one_treatment(&self) -> bool {
        self.purpose_one_treatment
    }

    /// `PublisherCC`, two upper-case ASCII letters (`?` for a value over 25).
    pub fn publisher_cc(&self) -> [u8; 2] {
        self.publisher_cc
    }

    /// Whether every purpose of `mask` (bit `n - 1` = purpose `n`) has consent.
    pub(super) fn consents_to(&self, mask: u64) -> bool {
        mask & !u64::from(self.purposes_consent) == 0
    }
}

/// A minimal TC String encoder for tests: the core fields up to `PublisherCC` plus an
/// empty vendor consent section.
#[cfg(test)]
pub(crate) fn encode_for_test(
    last_updated_ds: u64,
    purposes: &[u8],
    service_specific: bool,
) -> String {
    let mut bits: Vec<bool> = Vec::new();
    let mut push = |v: u64, len: usize| {
        for i in (0..len).rev() {
            bits.push((v >> i) & 1 == 1);
        }
    };
    push(2, 6);
    push(last_updated_ds, 36);
    push(last_updated_ds, 36);
    push(300, 12);
    push(2, 12);
    push(1, 6);
    push(4, 6); // E
    push(13, 6); // N
    push(48, 12);
    push(4, 6);
    push(u64::from(service_specific), 1);
    push(0, 1);
    push(0, 12);
    let p = purposes
        .iter()
        .fold(0u64, |m, &n| m | 1 << (24 - u64::from(n)));
    push(p, 24);
    push(0, 24);
    push(0, 1);
    push(3, 6); // D
    push(4, 6); // E
    push(0, 16); // MaxVendorId
    push(0, 1); // IsRangeEncoding
    while bits.len() % 8 != 0 {
        bits.push(false);
    }
    let bytes: Vec<u8> = bits
        .chunks(8)
        .map(|c| c.iter().fold(0u8, |b, &x| b << 1 | u8::from(x)))
        .collect();
    URL_SAFE_NO_PAD.encode(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    const IAB_EXAMPLE: &str = "COvFyGBOvFyGBAbAAAENAPCAAOAAAAAAAAAAAEEUACCKAAA.IFoEUQQgAIQwgIwQABAEAAAAOIAACAIAAAAQAIAgEAACEAAAAAgAQBAAAAAAAGBAAgAAAAAAAFAAECAAAgAAQARAEQAAAAAJAAIAAgAAAYQEAAAQmAgBC3ZAYzUw";
    /// 2025-01-01T00:00:00Z in deciseconds.
    const JAN_2025: u64 = 17_356_896_000;
    #[test]
    fn decodes_the_iab_example_string() {
        let tc = TcString::decode(IAB_EXAMPLE.as_bytes()).unwrap();
        assert_eq!(tc.version(), 2);
        assert_eq!(tc.created_deciseconds(), tc.last_updated_deciseconds());
        // 2020-02-21T10:50:59.3Z, in deciseconds.
        assert_eq!(tc.created_deciseconds(), 15_822_430_593);
        assert_eq!(tc.cmp_id(), 27);
        assert_eq!(tc.consent_language(), *b"EN");
        assert_eq!(tc.vendor_list_version(), 15);
        assert_eq!(tc.publisher_cc(), *b"AA");
        assert_eq!(tc.tcf_policy_version(), 2);
        let consented: Vec<u8> = (1..=24).filter(|&n| tc.purpose_consent(n)).collect();
        assert_eq!(consented, [1, 2, 3]);
        assert!(!tc.purpose_consent(0));
        assert!(!tc.purpose_consent(25));
    }

    #[test]
    fn decodes_what_the_test_encoder_writes() {
        let s = encode_for_test(JAN_2025, &[1, 3, 24], false);
        let tc = TcString::decode(s.as_bytes()).unwrap();
        assert_eq!(tc.last_updated_ms(), 1_735_689_600_000);
        assert_eq!(tc.cmp_id(), 300);
        assert_eq!(tc.cmp_version(), 2);
        assert_eq!(tc.consent_screen(), 1);
        assert_eq!(tc.vendor_list_version(), 48);
        assert_eq!(tc.tcf_policy_version(), 4);
        assert!(!tc.is_service_specific());
        assert!(!tc.use_non_standard_texts());
        assert_eq!(tc.publisher_cc(), *b"DE");
        let consented: Vec<u8> = (1..=24).filter(|&n| tc.purpose_consent(n)).collect();
        assert_eq!(consented, [1, 3, 24]);
        assert!(!tc.purpose_li_transparency(1));
        assert!(!tc.special_feature_opt_in(1));
        assert!(!tc.purpose_one_treatment());
    }

    #[test]
    fn decode_errors() {
        assert_eq!(TcString::decode(b""), Err(TcfError::Truncated));
        assert_eq!(
            TcString::decode(b"COvFyGBOvFyGBAbA"),
            Err(TcfError::Truncated)
        );
        assert_eq!(
            TcString::decode(b"COvFyGBOvFyGBAbAAAENAPCAAOAAAAAAAAAA+AEEUACCKAAA"),
            Err(TcfError::InvalidBase64)
        );
        // TCF v1 string.
        assert_eq!(
            TcString::decode(b"BOEFEAyOEFEAyAHABDENAI4AAAB9vABAASA"),
            Err(TcfError::Truncated)
        );
        assert_eq!(
            TcString::decode(b"BOEFEAyOEFEAyAHABDENAI4AAAB9vABAASAAAAAAAAAA"),
            Err(TcfError::UnsupportedVersion(1))
        );
        let long = "C".repeat(MAX_CONSENT_VALUE + 1);
        assert_eq!(TcString::decode(long.as_bytes()), Err(TcfError::TooLong));
        // Padding is tolerated.
        let padded = format!("{}==", encode_for_test(JAN_2025, &[1], true));
        assert!(TcString::decode(padded.as_bytes()).is_ok());
    }
}
