//! The codes themselves, pure: an authenticator app's (TOTP: six digits, 30-second
//! steps, HMAC-SHA-1, one step of skew, each step good once) and the recovery codes' stored
//! form.

use sha2::{Digest, Sha256};
use totp_rs::{Algorithm, Builder, Secret, Totp};

use crate::{Error, Result};

/// Seconds per code.
pub(super) const STEP_SECONDS: u64 = 30;
/// Codes one step either side of now are accepted too (a phone's clock a little off).
const SKEW_STEPS: i64 = 1;
/// The issuer an authenticator app shows beside the account.
const ISSUER: &str = "Chat";

/// A recovery code as typed, folded to the stored form: lower case, no spaces or dashes.
pub(super) fn fold_recovery_code(raw: &str) -> String {
    raw.chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

pub(super) fn sha256_hex(text: &str) -> String {
    crate::ids::hex(&Sha256::digest(text.as_bytes()))
}

/// Equal in time independent of where they differ.
fn same(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |diff, (x, y)| diff | (x ^ y))
            == 0
}

/// The code generator for a stored base32 secret.
pub(super) fn generator(secret: &str) -> Result<Totp> {
    let secret =
        Secret::try_from_base32(secret).map_err(|e| Error::Data(format!("totp secret: {e}")))?;
    Builder::new()
        .with_algorithm(Algorithm::SHA1)
        .with_digits(6)
        .with_skew(0)
        .with_step_duration(STEP_SECONDS)
        .with_secret(secret)
        .build()
        .map_err(|e| Error::Data(format!("totp secret: {e}")))
}

/// The time step `code` is right for, near `now_ms` and after `last_step`; `None` if none.
pub(super) fn matching_step(
    secret: &str,
    code: &str,
    now_ms: i64,
    last_step: i64,
) -> Result<Option<i64>> {
    let code = code.trim();
    if code.len() != 6 || !code.bytes().all(|b| b.is_ascii_digit()) {
        return Ok(None);
    }
    let totp = generator(secret)?;
    let now_step = now_ms.div_euclid(1000) / STEP_SECONDS as i64;
    let mut found = None;
    // Every candidate is computed, matched or not: the time taken says nothing.
    for step in now_step - SKEW_STEPS..=now_step + SKEW_STEPS {
        let Ok(time) = u64::try_from(step * STEP_SECONDS as i64) else {
            continue;
        };
        if same(&totp.generate(time).to_string(), code) && step > last_step && found.is_none() {
            found = Some(step);
        }
    }
    Ok(found)
}

/// `otpauth://totp/Chat:alice?secret=...&issuer=Chat&...` (usernames are `[a-z0-9_-]`,
/// nothing to escape).
pub(super) fn otpauth_uri(username: &str, secret: &str) -> String {
    format!(
        "otpauth://totp/{ISSUER}:{username}?secret={secret}&issuer={ISSUER}&algorithm=SHA1&digits=6&period={STEP_SECONDS}"
    )
}

#[cfg(test)]
mod tests;
