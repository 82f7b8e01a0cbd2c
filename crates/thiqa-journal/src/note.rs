//! C2SP signed notes (<https://c2sp.org/signed-note>), the envelope of
//! checkpoints.
//!
//! ```text
//! <text, one or more lines each ending in \n>
//! <blank line>
//! — <key name> <base64(4-byte key id || signature)>\n     (one or more)
//! ```
//!
//! The signature covers the text including its final newline. We follow the
//! spec's verification rules because a wrong reading of them is exactly where
//! a forged checkpoint would slip through: signatures from unknown keys are
//! ignored; a signature from a known key that does not verify rejects the
//! whole note; a note with no verified known signature is rejected.

use std::fmt;

use base64::{engine::general_purpose::STANDARD as B64, Engine};

use crate::keys::{is_valid_key_name, NoteSigner, NoteVerifier};

/// Most signatures a note may carry; bounds the work an attacker can cause.
/// (C2SP requires accepting at least 16; Go's implementation allows 100.)
pub const MAX_SIGNATURES: usize = 100;

const SIG_PREFIX: &str = "\u{2014} ";

/// Why a note was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NoteError {
    /// The bytes are not a well-formed signed note.
    #[error("malformed note: {0}")]
    Malformed(&'static str),
    /// Two trusted keys share a name and key id: the key list is wrong.
    #[error("ambiguous key {name}+{key_id:08x}")]
    AmbiguousKey { name: String, key_id: u32 },
    /// A trusted key's signature does not verify: the note is forged or altered.
    #[error("invalid signature for key {name}+{key_id:08x}")]
    InvalidSignature { name: String, key_id: u32 },
    /// No signature by a trusted key.
    #[error("note has no signature by a trusted key")]
    NoTrustedSignature,
}

/// One signature line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NoteSignature {
    /// Key name.
    pub name: String,
    /// Key id (big-endian first four bytes of the base64 payload).
    pub key_id: u32,
    /// The signature bytes after the key id.
    pub signature: Vec<u8>,
}

impl fmt::Display for NoteSignature {
    /// The line `— <name> <base64>\n`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut raw = self.key_id.to_be_bytes().to_vec();
        raw.extend_from_slice(&self.signature);
        writeln!(f, "{SIG_PREFIX}{} {}", self.name, B64.encode(raw))
    }
}

/// A note text and its signatures, parsed but not yet trusted.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SignedNote {
    text: String,
    signatures: Vec<NoteSignature>,
}

/// Valid UTF-8 without ASCII control characters other than newline.
fn check_chars(s: &str) -> Result<(), NoteError> {
    if s.chars().any(|c| c < ' ' && c != '\n') {
        return Err(NoteError::Malformed("control character"));
    }
    Ok(())
}

fn check_text(text: &str) -> Result<(), NoteError> {
    check_chars(text)?;
    if !text.ends_with('\n') {
        return Err(NoteError::Malformed("text must end with a newline"));
    }
    Ok(())
}

fn parse_signature_line(line: &str) -> Result<NoteSignature, NoteError> {
    let rest = line
        .strip_prefix(SIG_PREFIX)
        .ok_or(NoteError::Malformed("signature line"))?;
    let (name, b64) = rest
        .split_once(' ')
        .ok_or(NoteError::Malformed("signature line"))?;
    if !is_valid_key_name(name) {
        return Err(NoteError::Malformed("key name"));
    }
    let raw = B64
        .decode(b64)
        .map_err(|_| NoteError::Malformed("signature base64"))?;
    if raw.len() < 5 {
        return Err(NoteError::Malformed("signature too short"));
    }
    let key_id = u32::from_be_bytes([raw[0], raw[1], raw[2], raw[3]]);
    Ok(NoteSignature {
        name: name.to_owned(),
        key_id,
        signature: raw[4..].to_vec(),
    })
}

impl SignedNote {
    /// An unsigned note with this text (which must end in a newline).
    pub fn new(text: &str) -> Result<Self, NoteError> {
        check_text(text)?;
        Ok(Self {
            text: text.to_owned(),
            signatures: Vec::new(),
        })
    }

    /// Parses the syntax of a signed note; nothing is trusted yet, call
    /// [`verify`](Self::verify).
    pub fn parse(message: &[u8]) -> Result<Self, NoteError> {
        let message = std::str::from_utf8(message).map_err(|_| NoteError::Malformed("utf-8"))?;
        check_chars(message)?;
        // The text ends at the last blank line; signature lines are never empty.
        let split = message
            .rfind("\n\n")
            .ok_or(NoteError::Malformed("no signature block"))?;
        let (text, sigs) = (&message[..=split], &message[split + 2..]);
        if sigs.is_empty() || !sigs.ends_with('\n') {
            return Err(NoteError::Malformed(
                "signature block must end with a newline",
            ));
        }
        let lines: Vec<&str> = sigs[..sigs.len() - 1].split('\n').collect();
        if lines.len() > MAX_SIGNATURES {
            return Err(NoteError::Malformed("too many signatures"));
        }
        let signatures = lines
            .into_iter()
            .map(parse_signature_line)
            .collect::<Result<_, _>>()?;
        Ok(Self {
            text: text.to_owned(),
            signatures,
        })
    }

    /// The signed text, final newline included.
    #[must_use]
    pub fn text(&self) -> &str {
        &self.text
    }

    /// The signature lines, in order.
    #[must_use]
    pub fn signatures(&self) -> &[NoteSignature] {
        &self.signatures
    }

    /// Adds `signer`'s signature, replacing an earlier one by the same key.
    pub fn sign(&mut self, signer: &NoteSigner) -> Result<(), NoteError> {
        let (name, key_id) = (signer.name(), signer.key_id());
        self.signatures
            .retain(|s| !(s.name == name && s.key_id == key_id));
        if self.signatures.len() >= MAX_SIGNATURES {
            return Err(NoteError::Malformed("too many signatures"));
        }
        let signature = signer.sign(self.text.as_bytes()).to_vec();
        self.signatures.push(NoteSignature {
            name: name.to_owned(),
            key_id,
            signature,
        });
        Ok(())
    }

    /// Verifies the note against the trusted keys, returning the verifiers
    /// whose signatures are present and valid.
    ///
    /// Unknown keys (name and id not both matching a trusted key) are
    /// ignored; an invalid signature by a trusted key rejects the note; so
    /// does the absence of any trusted signature.
    pub fn verify<'k>(
        &self,
        trusted: &'k [NoteVerifier],
    ) -> Result<Vec<&'k NoteVerifier>, NoteError> {
        let mut verified: Vec<&NoteVerifier> = Vec::new();
        for sig in &self.signatures {
            let mut matching = trusted
                .iter()
                .filter(|v| v.name() == sig.name && v.key_id() == sig.key_id);
            let Some(verifier) = matching.next() else {
                continue;
            };
            if matching.next().is_some() {
                return Err(NoteError::AmbiguousKey {
                    name: sig.name.clone(),
                    key_id: sig.key_id,
                });
            }
            if !verifier.verify(self.text.as_bytes(), &sig.signature) {
                return Err(NoteError::InvalidSignature {
                    name: sig.name.clone(),
                    key_id: sig.key_id,
                });
            }
            if !verified.iter().any(|v| std::ptr::eq(*v, verifier)) {
                verified.push(verifier);
            }
        }
        if verified.is_empty() {
            return Err(NoteError::NoTrustedSignature);
        }
        Ok(verified)
    }
}

impl fmt::Display for SignedNote {
    /// The wire form: text, blank line, signature lines. A note without
    /// signatures is not a valid signed note; sign it first.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)?;
        f.write_str("\n")?;
        for sig in &self.signatures {
            sig.fmt(f)?;
        }
        Ok(())
    }
}

/// Signs `text` with one key and returns the signed note.
pub fn sign_note(text: &str, signer: &NoteSigner) -> Result<String, NoteError> {
    let mut note = SignedNote::new(text)?;
    note.sign(signer)?;
    Ok(note.to_string())
}

/// Parses and verifies a signed note; returns its text when trusted.
pub fn open_note(message: &[u8], trusted: &[NoteVerifier]) -> Result<String, NoteError> {
    let note = SignedNote::parse(message)?;
    note.verify(trusted)?;
    Ok(note.text)
}
