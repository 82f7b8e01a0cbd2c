//! Thiqa's authentication cryptography: password hashing and policy, TOTP,
//! recovery codes and opaque tokens.
//!
//! Pure and synchronous: no I/O, no clock, no async. Hashing is CPU-heavy on
//! purpose, so the web layer calls into this crate from `spawn_blocking`.
//! Randomness comes only from the OS CSPRNG (see `rng.rs`); time is always
//! passed in by the caller.
//!
//! Référentiel mapping, for auditors:
//! - 3.6.4 *Hachage des mots de passe*: [`password`].
//! - 3.5.5 *Gestion des authentifications*: password robustness evaluation
//!   ([`strength`]), multi-factor authentication ([`totp`], [`recovery`]),
//!   issuance and reset of authentication means ([`token`]).
//! - 3.6 *Cryptographie*: signing keys kept sealed under a wrapping key
//!   ([`seal`]).

mod error;
pub mod password;
pub mod recovery;
mod rng;
pub mod seal;
pub mod strength;
pub mod token;
pub mod totp;

pub use error::CryptoError;

/// A fresh random 64-bit number, for stamps that must never repeat (the
/// store's cache stamps: equal stamps must mean equal content).
pub fn random_i64() -> Result<i64, CryptoError> {
    Ok(i64::from_le_bytes(*rng::bytes::<8>()?))
}

/// A fresh 32-byte secret (signing-key seed), wiped from memory when dropped.
pub fn secret_seed() -> Result<zeroize::Zeroizing<[u8; 32]>, CryptoError> {
    rng::bytes::<32>()
}
