//! From a catalogue name to a [`Match`]; see [Names](super#names).

use super::{SkipReason, MIN_WILDCARD_START};
use crate::declaration::Match;
use crate::error::ConfigError;
use crate::registry::{check_name, glob_to_regex};

/// Turns a catalogue name into a [`Match`]; see [Names](super#names).
pub(super) fn name_to_match(
    raw: &str,
    wildcard: bool,
    allow_short: bool,
) -> Result<Match, SkipReason> {
    let name = strip_count(raw.trim_matches([' ', '\t']));
    let mut glob = String::with_capacity(name.len() + 1);
    let mut rest = name;
    while let Some(open) = rest.find('<') {
        let Some(close) = rest[open..].find('>') else {
            break;
        };
        glob.push_str(&rest[..open]);
        glob.push('*');
        rest = &rest[open + close + 1..];
    }
    glob.push_str(rest);
    while glob.contains("**") {
        glob = glob.replace("**", "*");
    }
    if wildcard && !glob.ends_with('*') {
        glob.push('*');
    }
    let invalid = |e: ConfigError| match e {
        ConfigError::InvalidName { reason, .. } => SkipReason::InvalidName(reason.to_owned()),
        ConfigError::InvalidPattern { reason, .. } => SkipReason::InvalidName(reason),
        other => SkipReason::InvalidName(other.to_string()),
    };
    let stars = glob.matches('*').count();
    let (matcher, fixed) = if stars == 0 {
        check_name(0, &glob, false).map_err(invalid)?;
        return Ok(Match::Exact(glob));
    } else if stars == 1 && glob.ends_with('*') {
        glob.pop();
        if glob.is_empty() {
            return Err(SkipReason::InvalidName(
                "it is only a wildcard, which would match every cookie".into(),
            ));
        }
        check_name(0, &glob, false).map_err(invalid)?;
        let fixed = glob.chars().count();
        (Match::Prefix(glob), fixed)
    } else {
        glob_to_regex(0, &glob).map_err(invalid)?;
        let fixed = glob.chars().take_while(|c| !matches!(c, '*' | '?')).count();
        (Match::Pattern(glob), fixed)
    };
    if fixed < MIN_WILDCARD_START && !allow_short {
        return Err(SkipReason::ShortWildcard);
    }
    Ok(matcher)
}

/// Removes a trailing count such as ` [x4]`.
fn strip_count(name: &str) -> &str {
    if let Some(open) = name.rfind("[x") {
        let inside = &name[open + 2..];
        if let Some(digits) = inside.strip_suffix(']') {
            if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) {
                return name[..open].trim_end_matches([' ', '\t']);
            }
        }
    }
    name
}

#[cfg(test)]
mod tests {
    use super::*;

    fn name(raw: &str, wildcard: bool) -> Result<Match, SkipReason> {
        name_to_match(raw, wildcard, false)
    }

    #[test]
    fn names_become_exact_prefix_or_pattern() {
        assert_eq!(name("_ga", false), Ok(Match::Exact("_ga".into())));
        assert_eq!(name(" _ga\t", false), Ok(Match::Exact("_ga".into())));
        assert_eq!(name("_ga_", true), Ok(Match::Prefix("_ga_".into())));
        assert_eq!(name("_ga_*", false), Ok(Match::Prefix("_ga_".into())));
        assert_eq!(name("_ga_*", true), Ok(Match::Prefix("_ga_".into())));
        assert_eq!(
            name("AMCV_<orgID>", false),
            Ok(Match::Prefix("AMCV_".into()))
        );
        assert_eq!(
            name("_pk_id.<site>.<hash>", false),
            Ok(Match::Pattern("_pk_id.*.*".into()))
        );
        assert_eq!(
            name("wp-settings-<id>-time", true),
            Ok(Match::Pattern("wp-settings-*-time*".into()))
        );
        assert_eq!(
            name("CookieConsent [x4]", false),
            Ok(Match::Exact("CookieConsent".into()))
        );
        assert_eq!(name("a<b", false), Ok(Match::Exact("a<b".into())));
    }

    #[test]
    fn bad_names_are_refused() {
        assert!(matches!(
            name("_dp Cookie", false),
            Err(SkipReason::InvalidName(_))
        ));
        assert!(matches!(
            name("a;b", false),
            Err(SkipReason::InvalidName(_))
        ));
        assert!(matches!(
            name("a=b", false),
            Err(SkipReason::InvalidName(_))
        ));
        assert!(matches!(name("*", false), Err(SkipReason::InvalidName(_))));
        assert!(matches!(
            name("<id>", false),
            Err(SkipReason::InvalidName(_))
        ));
        assert!(matches!(name("", true), Err(SkipReason::InvalidName(_))));
        assert!(matches!(
            name("<a><b>", true),
            Err(SkipReason::InvalidName(_))
        ));
    }

    #[test]
    fn short_wildcards_need_an_opt_in() {
        assert_eq!(name("C", true), Err(SkipReason::ShortWildcard));
        assert_eq!(name("SR<RotatorID>", false), Err(SkipReason::ShortWildcard));
        assert_eq!(name("*_session", false), Err(SkipReason::ShortWildcard));
        assert_eq!(name("ab*c", false), Err(SkipReason::ShortWildcard));
        assert_eq!(name("abc", true), Ok(Match::Prefix("abc".into())));
        // Characters, not bytes: "é" is two bytes.
        assert_eq!(name("éa", true), Err(SkipReason::ShortWildcard));
        assert_eq!(
            name_to_match("C", true, true),
            Ok(Match::Prefix("C".into()))
        );
        assert_eq!(
            name_to_match("*_session", false, true),
            Ok(Match::Pattern("*_session".into()))
        );
        // An exact name may be short.
        assert_eq!(name("C", false), Ok(Match::Exact("C".into())));
    }
}
