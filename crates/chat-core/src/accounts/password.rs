//! Argon2id password hashes as PHC strings. The cost is a setting; each hash records the
//! cost it was made with, so raising the setting rehashes old passwords at next login.

use argon2::{
    Algorithm, Argon2, Params, PasswordHash, PasswordHasher, PasswordVerifier, Version,
    password_hash::SaltString,
};

use crate::{Error, Result, ports::Random};

/// Argon2id cost parameters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HashCost {
    /// Memory in KiB (`m`).
    pub memory_kib: u32,
    /// Passes (`t`).
    pub iterations: u32,
    /// Lanes (`p`).
    pub parallelism: u32,
}

impl HashCost {
    /// OWASP's minimum for Argon2id: m = 19 MiB, t = 2, p = 1.
    pub const OWASP_MINIMUM: HashCost = HashCost {
        memory_kib: 19 * 1024,
        iterations: 2,
        parallelism: 1,
    };

    /// True when no parameter is below [`HashCost::OWASP_MINIMUM`].
    pub fn meets_owasp_minimum(&self) -> bool {
        self.memory_kib >= Self::OWASP_MINIMUM.memory_kib
            && self.iterations >= Self::OWASP_MINIMUM.iterations
            && self.parallelism >= Self::OWASP_MINIMUM.parallelism
    }

    fn hasher(&self) -> Result<Argon2<'static>> {
        let params = Params::new(self.memory_kib, self.iterations, self.parallelism, None)
            .map_err(|e| Error::Config(format!("argon2 parameters: {e}")))?;
        Ok(Argon2::new(Algorithm::Argon2id, Version::V0x13, params))
    }
}

/// Hashes `password` with a fresh 128-bit salt; returns the PHC string.
pub(crate) fn hash(password: &str, cost: HashCost, random: &dyn Random) -> Result<String> {
    let mut salt = [0u8; 16];
    random.fill(&mut salt)?;
    hash_with_salt(password, cost, &salt)
}

fn hash_with_salt(password: &str, cost: HashCost, salt: &[u8]) -> Result<String> {
    let salt = SaltString::encode_b64(salt).map_err(|e| Error::Data(format!("salt: {e}")))?;
    cost.hasher()?
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| Error::Data(format!("hashing failed: {e}")))
}

/// True when `password` matches the PHC string `stored` (with the cost recorded in it).
pub(crate) fn verify(password: &str, stored: &str) -> Result<bool> {
    let parsed = PasswordHash::new(stored).map_err(|e| Error::Data(format!("stored hash: {e}")))?;
    match Argon2::default().verify_password(password.as_bytes(), &parsed) {
        Ok(()) => Ok(true),
        Err(argon2::password_hash::Error::Password) => Ok(false),
        Err(e) => Err(Error::Data(format!("verifying: {e}"))),
    }
}

/// Spends what verifying a password costs, for a username that does not exist: login must
/// take about as long either way, or its timing would tell which usernames exist.
pub(crate) fn spend_verification_time(password: &str, cost: HashCost) {
    let _ = hash_with_salt(password, cost, b"no-such-user-salt");
}

/// True when `stored` was made with less than `cost` in any parameter (or is unreadable).
pub(crate) fn needs_rehash(stored: &str, cost: HashCost) -> bool {
    let Ok(parsed) = PasswordHash::new(stored) else {
        return true;
    };
    let param = |name: &str| parsed.params.get_decimal(name).unwrap_or(0);
    parsed.algorithm.as_str() != "argon2id"
        || param("m") < cost.memory_kib
        || param("t") < cost.iterations
        || param("p") < cost.parallelism
}

#[cfg(test)]
mod tests;
