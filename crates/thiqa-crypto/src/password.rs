//! Password hashing — référentiel 3.6.4 "Hachage des mots de passe".
//!
//! How each point of 3.6.4 is met:
//! - *Only fingerprints are kept*: [`PasswordHasher::hash`] returns a PHC
//!   string (`$argon2id$v=19$m=19456,t=2,p=1$<salt>$<hash>`); the clear
//!   password is never returned, logged or stored, and it arrives as a
//!   [`SecretString`], wiped from memory when dropped.
//! - *A recognised, current function*: Argon2id (RFC 9106), winner of the
//!   Password Hashing Competition and the first choice of OWASP's Password
//!   Storage Cheat Sheet, via RustCrypto's `argon2` crate. Its memory cost
//!   makes GPU/ASIC guessing expensive. Parameters below OWASP's minimum
//!   (m = 19 MiB, t = 2, p = 1) are refused with [`CryptoError::WeakParameters`].
//! - *A unique salt per password*: 16 bytes (128 bits) from the OS CSPRNG for
//!   every call to `hash`, so equal passwords give different hashes and
//!   precomputed (rainbow) tables are useless.
//! - *Output long enough to avoid collisions*: 32 bytes (256 bits).
//!
//! Also, for 3.5.5 (authentication management):
//! - [`PasswordHasher::verify_or_dummy`] costs one full Argon2 computation
//!   whether or not the account exists, so response time does not reveal
//!   which user names are registered.
//! - [`PasswordHasher::needs_rehash`] lets the login flow upgrade old hashes
//!   transparently after the operator raises the parameters.
//!
//! Everything here is CPU-heavy and synchronous by design: async callers run
//! it inside `spawn_blocking`.

use std::fmt;

use argon2::password_hash::SaltString;
use argon2::{
    Algorithm, Argon2, Params, PasswordHash, PasswordHasher as _, PasswordVerifier as _, Version,
};
use secrecy::{ExposeSecret, SecretString};

use crate::{rng, CryptoError};

/// Salt length in bytes (RFC 9106 recommends 16).
const SALT_LEN: usize = 16;
/// Hash output length in bytes.
const OUTPUT_LEN: usize = 32;
/// Argon2 version 1.3, the only one we write or accept.
const ARGON2_V13: u32 = 0x13;

/// Argon2id cost parameters.
///
/// The default is OWASP's minimum recommendation: 19 MiB of memory, 2
/// passes, 1 lane. Raise `memory_kib` first if the host can afford it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HashParams {
    /// Memory cost `m`, in KiB.
    pub memory_kib: u32,
    /// Time cost `t`: number of passes over the memory.
    pub iterations: u32,
    /// Parallelism `p`: number of lanes.
    pub parallelism: u32,
}

impl HashParams {
    /// OWASP's floor: m = 19456 KiB, t = 2, p = 1. Weaker settings are refused.
    pub const MINIMUM: Self = Self {
        memory_kib: 19 * 1024,
        iterations: 2,
        parallelism: 1,
    };

    /// Ceiling: above this a single login could exhaust the host (1 GiB,
    /// 20 passes, 16 lanes). Stored hashes above it are not even attempted,
    /// so a tampered or imported hash cannot be used to stall the server.
    pub const MAXIMUM: Self = Self {
        memory_kib: 1024 * 1024,
        iterations: 20,
        parallelism: 16,
    };

    /// Checks the parameters are between [`Self::MINIMUM`] and [`Self::MAXIMUM`].
    pub fn validate(&self) -> Result<(), CryptoError> {
        let checks = [
            (
                "m_cost",
                self.memory_kib,
                Self::MINIMUM.memory_kib,
                Self::MAXIMUM.memory_kib,
                "KiB",
            ),
            (
                "t_cost",
                self.iterations,
                Self::MINIMUM.iterations,
                Self::MAXIMUM.iterations,
                "passes",
            ),
            (
                "p_cost",
                self.parallelism,
                Self::MINIMUM.parallelism,
                Self::MAXIMUM.parallelism,
                "lanes",
            ),
        ];
        for (name, value, minimum, maximum, unit) in checks {
            if value < minimum {
                return Err(CryptoError::WeakParameters {
                    name,
                    value,
                    minimum,
                    unit,
                });
            }
            if value > maximum {
                return Err(CryptoError::ExcessiveParameters {
                    name,
                    value,
                    maximum,
                    unit,
                });
            }
        }
        Ok(())
    }

    fn within_maximum(&self) -> bool {
        self.memory_kib <= Self::MAXIMUM.memory_kib
            && self.iterations <= Self::MAXIMUM.iterations
            && self.parallelism <= Self::MAXIMUM.parallelism
    }
}

impl Default for HashParams {
    fn default() -> Self {
        Self::MINIMUM
    }
}

/// Hashes and verifies passwords with Argon2id.
///
/// Build one at start-up and share it (`Arc`); it is cheap to use from many
/// threads. Construction computes the dummy hash used by
/// [`verify_or_dummy`](Self::verify_or_dummy), so it costs one hash.
#[derive(Clone)]
pub struct PasswordHasher {
    params: HashParams,
    argon2: Argon2<'static>,
    /// Hash of a random, forgotten password, with the configured parameters.
    dummy_phc: String,
}

impl fmt::Debug for PasswordHasher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PasswordHasher")
            .field("params", &self.params)
            .finish_non_exhaustive()
    }
}

impl PasswordHasher {
    /// A hasher with the given parameters, refusing any below OWASP's minimum.
    pub fn new(params: HashParams) -> Result<Self, CryptoError> {
        params.validate()?;
        let argon_params = Params::new(
            params.memory_kib,
            params.iterations,
            params.parallelism,
            Some(OUTPUT_LEN),
        )
        .map_err(|e| CryptoError::Hashing(e.to_string()))?;
        let argon2 = Argon2::new(Algorithm::Argon2id, Version::V0x13, argon_params);
        let mut hasher = Self {
            params,
            argon2,
            dummy_phc: String::new(),
        };
        // The dummy's password is random and dropped at once: nobody can
        // know it, and `verify_or_dummy(None, _)` returns false regardless.
        let forgotten = rng::bytes::<32>()?;
        hasher.dummy_phc = hasher.hash_bytes(forgotten.as_slice())?;
        Ok(hasher)
    }

    /// The parameters new hashes are made with.
    pub fn params(&self) -> HashParams {
        self.params
    }

    /// Hashes `password` with a fresh random salt; returns the PHC string to store.
    pub fn hash(&self, password: &SecretString) -> Result<String, CryptoError> {
        self.hash_bytes(password.expose_secret().as_bytes())
    }

    fn hash_bytes(&self, password: &[u8]) -> Result<String, CryptoError> {
        let salt = SaltString::encode_b64(rng::bytes::<SALT_LEN>()?.as_slice())
            .map_err(|e| CryptoError::Hashing(e.to_string()))?;
        let phc = self
            .argon2
            .hash_password(password, &salt)
            .map_err(|e| CryptoError::Hashing(e.to_string()))?;
        Ok(phc.to_string())
    }

    /// True when `candidate` is the password behind the stored `phc` string.
    ///
    /// The parameters are read from `phc` itself, so hashes made before the
    /// operator raised the cost still verify. Anything that is not Argon2id
    /// v1.3 within [`HashParams::MAXIMUM`], or does not parse, is `false`.
    /// The final comparison is constant-time (done by `password-hash`).
    pub fn verify(&self, phc: &str, candidate: &SecretString) -> bool {
        let Some(parsed) = parse_argon2id(phc) else {
            return false;
        };
        match stored_params(&parsed) {
            Some(stored) if stored.within_maximum() => {}
            _ => return false,
        }
        self.argon2
            .verify_password(candidate.expose_secret().as_bytes(), &parsed)
            .is_ok()
    }

    /// Verifies against `phc` when the account exists, otherwise against a
    /// dummy hash with the configured parameters, and returns `false`.
    ///
    /// Why: without this, "unknown user" answers in microseconds and "wrong
    /// password" in tens of milliseconds, which lets anyone enumerate
    /// accounts. Look the user up, pass `Option<&str>` of their hash here,
    /// and answer both failures the same way. (A user whose stored hash
    /// predates a cost increase still differs until it is rehashed.)
    pub fn verify_or_dummy(&self, phc: Option<&str>, candidate: &SecretString) -> bool {
        match phc {
            Some(phc) => self.verify(phc, candidate),
            None => {
                // black_box: the result is unused, keep the work from being elided.
                std::hint::black_box(self.verify(&self.dummy_phc, candidate));
                false
            }
        }
    }

    /// True when `phc` should be replaced by a fresh hash at the next
    /// successful login: not Argon2id v1.3, memory or passes below the
    /// configured ones, a salt shorter than 16 bytes or an output shorter
    /// than 32 bytes, or not parseable at all.
    pub fn needs_rehash(&self, phc: &str) -> bool {
        let Some(parsed) = parse_argon2id(phc) else {
            return true;
        };
        let Some(stored) = stored_params(&parsed) else {
            return true;
        };
        let mut salt_buf = [0u8; 64];
        let short_salt = parsed.salt.is_none_or(|s| {
            s.decode_b64(&mut salt_buf)
                .map_or(true, |b| b.len() < SALT_LEN)
        });
        let short_output = parsed.hash.as_ref().is_none_or(|h| h.len() < OUTPUT_LEN);
        stored.memory_kib < self.params.memory_kib
            || stored.iterations < self.params.iterations
            || short_salt
            || short_output
    }
}

/// Parses `phc` and keeps it only if it is Argon2id version 1.3.
fn parse_argon2id(phc: &str) -> Option<PasswordHash<'_>> {
    let parsed = PasswordHash::new(phc).ok()?;
    let is_argon2id = parsed.algorithm.as_str() == Algorithm::Argon2id.as_str();
    (is_argon2id && parsed.version == Some(ARGON2_V13)).then_some(parsed)
}

fn stored_params(parsed: &PasswordHash<'_>) -> Option<HashParams> {
    let params = Params::try_from(parsed).ok()?;
    Some(HashParams {
        memory_kib: params.m_cost(),
        iterations: params.t_cost(),
        parallelism: params.p_cost(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secret(s: &str) -> SecretString {
        SecretString::from(s)
    }

    fn hasher() -> PasswordHasher {
        PasswordHasher::new(HashParams::default()).expect("default parameters are valid")
    }

    #[test]
    fn hash_is_argon2id_phc_with_owasp_parameters() {
        let phc = hasher()
            .hash(&secret("correct horse battery staple"))
            .unwrap();
        assert!(phc.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{phc}");
    }

    #[test]
    fn same_password_gives_different_hashes_and_both_verify() {
        let h = hasher();
        let pw = secret("correct horse battery staple");
        let (a, b) = (h.hash(&pw).unwrap(), h.hash(&pw).unwrap());
        assert_ne!(a, b, "each hash must have its own salt");
        assert!(h.verify(&a, &pw));
        assert!(h.verify(&b, &pw));
    }

    #[test]
    fn wrong_password_and_garbage_hash_fail() {
        let h = hasher();
        let phc = h.hash(&secret("correct horse battery staple")).unwrap();
        assert!(!h.verify(&phc, &secret("correct horse battery stapler")));
        assert!(!h.verify("not a hash", &secret("x")));
        assert!(!h.verify("", &secret("")));
    }

    #[test]
    fn unknown_user_is_refused_even_with_any_password() {
        let h = hasher();
        assert!(!h.verify_or_dummy(None, &secret("")));
        assert!(!h.verify_or_dummy(None, &secret("correct horse battery staple")));
        let phc = h.hash(&secret("s3cret-enough-passphrase")).unwrap();
        assert!(h.verify_or_dummy(Some(&phc), &secret("s3cret-enough-passphrase")));
        assert!(!h.verify_or_dummy(Some(&phc), &secret("wrong")));
    }

    #[test]
    fn weaker_parameters_are_refused_with_a_clear_error() {
        let weak = HashParams {
            memory_kib: 4096,
            ..HashParams::default()
        };
        let err = PasswordHasher::new(weak).unwrap_err();
        assert_eq!(
            err,
            CryptoError::WeakParameters {
                name: "m_cost",
                value: 4096,
                minimum: 19456,
                unit: "KiB"
            }
        );
        assert!(err.to_string().contains("m_cost=4096"));
        let one_pass = HashParams {
            iterations: 1,
            ..HashParams::default()
        };
        assert!(matches!(
            PasswordHasher::new(one_pass),
            Err(CryptoError::WeakParameters { name: "t_cost", .. })
        ));
        let huge = HashParams {
            memory_kib: u32::MAX,
            ..HashParams::default()
        };
        assert!(matches!(
            PasswordHasher::new(huge),
            Err(CryptoError::ExcessiveParameters { name: "m_cost", .. })
        ));
    }

    #[test]
    fn needs_rehash_when_stored_parameters_are_weaker() {
        let h = hasher();
        let current = h.hash(&secret("pw")).unwrap();
        assert!(!h.needs_rehash(&current));
        let stronger = PasswordHasher::new(HashParams {
            iterations: 3,
            ..HashParams::default()
        })
        .unwrap();
        assert!(stronger.needs_rehash(&current));
        // A hash made with stronger parameters still verifies with the default hasher.
        let strong_phc = stronger.hash(&secret("pw")).unwrap();
        assert!(h.verify(&strong_phc, &secret("pw")));
        assert!(!h.needs_rehash(&strong_phc));
        assert!(h.needs_rehash("garbage"));
    }

    #[test]
    fn other_argon2_variants_are_not_accepted() {
        let h = hasher();
        let phc = h.hash(&secret("pw")).unwrap();
        let as_argon2i = phc.replacen("$argon2id$", "$argon2i$", 1);
        assert!(!h.verify(&as_argon2i, &secret("pw")));
        assert!(h.needs_rehash(&as_argon2i));
    }

    #[test]
    fn tampered_hash_demanding_huge_memory_is_not_attempted() {
        let h = hasher();
        let phc = h.hash(&secret("pw")).unwrap();
        // 4 GiB: would stall the host if attempted; refused before hashing.
        let greedy = phc.replacen("m=19456", "m=4194304", 1);
        assert!(!h.verify(&greedy, &secret("pw")));
    }

    #[test]
    fn debug_shows_no_hash_material() {
        let text = format!("{:?}", hasher());
        assert!(!text.contains("$argon2id$"), "{text}");
    }
}
