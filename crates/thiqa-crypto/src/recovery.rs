//! One-time recovery codes, the fallback when the TOTP device is lost —
//! référentiel 3.5.5 (multi-factor authentication, "réinitialisation" of
//! authentication means).
//!
//! Format: 16 lowercase base32 characters in groups of four,
//! `abcd-efgh-ijkl-mnop`, i.e. 80 bits from the OS CSPRNG. The alphabet
//! (`a`–`z`, `2`–`7`) has no `0`/`1`/`8`/`9`, so `o`/`0` and `l`/`1`
//! confusions cannot produce a valid code by accident. Typing is forgiving:
//! case, dashes and spaces are ignored.
//!
//! Storage: only `SHA-256(domain ‖ account ‖ code)`, as lowercase hex. Why a
//! fast hash is enough here, unlike for passwords (3.6.4): a password is
//! chosen by a person and has little entropy, so it needs Argon2's cost; a
//! recovery code is 80 random bits. Someone holding a database dump must try
//! 2^79 SHA-256 on average for one code: about 2 million years at 10^10
//! hashes per second per GPU. Binding the account identifier into the hash
//! acts as a salt: it stops one search from attacking every account's codes
//! at once (with 10^6 stored codes, unsalted 80-bit codes would fall to a
//! GPU farm in weeks), and a code cannot be replayed on another account.
//! (Ten 50-bit codes, the usual 10-character format, would be found within
//! hours on one GPU; that is why codes here are 16 characters.)
//!
//! Single use: [`verify`] says which stored hash matched; the caller deletes
//! that row in the same transaction as the login. A used code is then gone.

use secrecy::{ExposeSecret, SecretString};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

use crate::{rng, CryptoError};

/// Codes issued at once, by default.
pub const DEFAULT_COUNT: usize = 10;
/// Characters in a code, without dashes (16 × 5 bits = 80 bits).
const CODE_CHARS: usize = 16;
/// Characters between dashes.
const GROUP: usize = 4;
/// Lowercase RFC 4648 base32 alphabet: 32 symbols, 5 bits each.
const ALPHABET: &[u8; 32] = b"abcdefghijklmnopqrstuvwxyz234567";
/// Separates these hashes from any other SHA-256 use in the product.
const DOMAIN: &[u8] = b"thiqa-recovery-code-v1";

/// A fresh set: show `codes` to the user once, store only `hashes`.
/// `hashes[i]` is the hash of `codes[i]`.
#[derive(Debug)]
pub struct RecoveryCodes {
    /// The codes, formatted `abcd-efgh-ijkl-mnop`. `Debug` shows nothing.
    pub codes: Vec<SecretString>,
    /// Their hashes (64 hex characters), the only thing to persist.
    pub hashes: Vec<String>,
}

/// Generates `count` codes for `account` (a stable, unique identifier of the
/// user, e.g. the user id; the same value must be given to [`verify`]).
pub fn generate(account: &str, count: usize) -> Result<RecoveryCodes, CryptoError> {
    let mut codes = Vec::with_capacity(count);
    let mut hashes = Vec::with_capacity(count);
    for _ in 0..count {
        let code = new_code()?;
        hashes.push(hash_code(account, &code));
        codes.push(code);
    }
    Ok(RecoveryCodes { codes, hashes })
}

fn new_code() -> Result<SecretString, CryptoError> {
    let random = rng::bytes::<CODE_CHARS>()?;
    let mut code = Zeroizing::new(String::with_capacity(CODE_CHARS + CODE_CHARS / GROUP));
    for (i, byte) in random.iter().enumerate() {
        if i > 0 && i % GROUP == 0 {
            code.push('-');
        }
        // 256 is a multiple of 32: taking 5 bits keeps every symbol equally likely.
        code.push(char::from(ALPHABET[usize::from(byte & 0x1f)]));
    }
    Ok(SecretString::from(code.as_str()))
}

/// The stored form of `code` for `account`: SHA-256 hex of the normalised
/// code (lowercase, without dashes or spaces), bound to the account.
pub fn hash_code(account: &str, code: &SecretString) -> String {
    let normalised: Zeroizing<String> = Zeroizing::new(
        code.expose_secret()
            .chars()
            .filter(|c| !c.is_whitespace() && *c != '-')
            .map(|c| c.to_ascii_lowercase())
            .collect(),
    );
    let mut sha = Sha256::new();
    sha.update(DOMAIN);
    // Length prefix: no (account, code) pair can collide with another.
    sha.update((account.len() as u64).to_be_bytes());
    sha.update(account.as_bytes());
    sha.update(normalised.as_bytes());
    data_encoding::HEXLOWER.encode(&sha.finalize())
}

/// Index of the stored hash that `candidate` matches, if any; the caller
/// deletes that one so the code cannot be used again.
///
/// Every stored hash is compared, in constant time, whatever matches.
pub fn verify<S: AsRef<str>>(
    account: &str,
    candidate: &SecretString,
    stored: &[S],
) -> Option<usize> {
    let presented = hash_code(account, candidate);
    let mut found = None;
    for (i, hash) in stored.iter().enumerate() {
        let equal = bool::from(presented.as_bytes().ct_eq(hash.as_ref().as_bytes()));
        if equal && found.is_none() {
            found = Some(i);
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_grouped_base32_and_distinct() {
        let set = generate("user-42", DEFAULT_COUNT).unwrap();
        assert_eq!(set.codes.len(), 10);
        assert_eq!(set.hashes.len(), 10);
        for code in &set.codes {
            let code = code.expose_secret();
            assert_eq!(code.len(), 19, "{code}");
            for (i, c) in code.chars().enumerate() {
                if i % 5 == 4 {
                    assert_eq!(c, '-', "{code}");
                } else {
                    assert!(ALPHABET.contains(&(c as u8)), "{code}");
                }
            }
        }
        let mut unique: Vec<&str> = set.codes.iter().map(|c| c.expose_secret()).collect();
        unique.sort_unstable();
        unique.dedup();
        assert_eq!(unique.len(), 10);
        assert!(set.hashes.iter().all(|h| h.len() == 64));
    }

    #[test]
    fn a_code_works_once_then_is_gone_after_deletion() {
        let mut set = generate("user-42", DEFAULT_COUNT).unwrap();
        let code = set.codes[3].clone();
        assert_eq!(verify("user-42", &code, &set.hashes), Some(3));
        set.hashes.remove(3);
        assert_eq!(verify("user-42", &code, &set.hashes), None);
        // The other codes are untouched.
        assert_eq!(verify("user-42", &set.codes[4], &set.hashes), Some(3));
    }

    #[test]
    fn typing_is_forgiving_about_case_dashes_and_spaces() {
        let set = generate("user-42", 1).unwrap();
        let code = set.codes[0].expose_secret().to_string();
        let sloppy = format!(" {} ", code.to_uppercase().replace('-', " "));
        assert_eq!(
            verify("user-42", &SecretString::from(sloppy), &set.hashes),
            Some(0)
        );
        let bare = code.replace('-', "");
        assert_eq!(
            verify("user-42", &SecretString::from(bare), &set.hashes),
            Some(0)
        );
    }

    #[test]
    fn codes_are_bound_to_their_account_and_wrong_codes_fail() {
        let set = generate("user-42", DEFAULT_COUNT).unwrap();
        assert_eq!(verify("user-43", &set.codes[0], &set.hashes), None);
        let wrong = SecretString::from("aaaa-aaaa-aaaa-aaaa");
        assert_eq!(verify("user-42", &wrong, &set.hashes), None);
        assert_eq!(
            verify("user-42", &SecretString::from(""), &set.hashes),
            None
        );
    }

    #[test]
    fn debug_does_not_show_the_codes() {
        let set = generate("user-42", 2).unwrap();
        let text = format!("{set:?}");
        for code in &set.codes {
            assert!(!text.contains(code.expose_secret()));
        }
    }
}
