//! The single door to randomness.
//!
//! Every salt, TOTP secret, recovery code and token in this crate comes from
//! the operating system's CSPRNG (`getrandom`: `getrandom(2)` on Linux). No
//! user-space generator is seeded or kept, so there is no state to leak,
//! fork or reseed. A failure is reported, never papered over with a weaker
//! source.

use zeroize::Zeroizing;

use crate::CryptoError;

/// Fills `buf` from the OS CSPRNG.
pub(crate) fn fill(buf: &mut [u8]) -> Result<(), CryptoError> {
    getrandom::getrandom(buf).map_err(|_| CryptoError::Randomness)
}

/// `N` fresh random bytes, wiped from memory when dropped.
pub(crate) fn bytes<const N: usize>() -> Result<Zeroizing<[u8; N]>, CryptoError> {
    let mut buf = Zeroizing::new([0u8; N]);
    fill(buf.as_mut_slice())?;
    Ok(buf)
}
