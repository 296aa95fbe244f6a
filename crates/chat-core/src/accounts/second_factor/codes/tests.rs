//! Unit tests of `codes`: RFC 6238 vectors, steps taken once, recovery codes folded.

use super::*;

const SECRET: &str = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"; // "12345678901234567890"

#[test]
fn codes_match_rfc_6238s_sha1_vectors() {
    // RFC 6238, appendix B (eight digits there; the last six here).
    let totp = generator(SECRET).unwrap();
    assert_eq!(totp.generate(59).to_string(), "287082");
    assert_eq!(totp.generate(1_111_111_109).to_string(), "081804");
    assert_eq!(totp.generate(1_234_567_890).to_string(), "005924");
}

#[test]
fn a_code_is_good_one_step_either_side_and_only_once() {
    let now_ms = 1_111_111_109_000;
    let step = 1_111_111_109 / 30;
    assert_eq!(
        matching_step(SECRET, "081804", now_ms, 0).unwrap(),
        Some(step)
    );
    assert_eq!(
        matching_step(SECRET, " 081804 ", now_ms + 30_000, 0).unwrap(),
        Some(step),
        "a step late"
    );
    assert_eq!(
        matching_step(SECRET, "081804", now_ms + 90_000, 0).unwrap(),
        None
    );
    assert_eq!(
        matching_step(SECRET, "081804", now_ms, step).unwrap(),
        None,
        "already used"
    );
    for bad in ["", "08180", "0818045", "abcdef", "081 804"] {
        assert_eq!(
            matching_step(SECRET, bad, now_ms, 0).unwrap(),
            None,
            "{bad}"
        );
    }
}

#[test]
fn recovery_codes_fold_case_spaces_and_dashes() {
    assert_eq!(fold_recovery_code(" AbCde-fGh23 "), "abcdefgh23");
    assert_eq!(
        otpauth_uri("ann", "ABC"),
        "otpauth://totp/Chat:ann?secret=ABC&issuer=Chat&algorithm=SHA1&digits=6&period=30"
    );
}
