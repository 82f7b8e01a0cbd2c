//! C2SP tlog checkpoints (<https://c2sp.org/tlog-checkpoint>): the signed
//! statement "the log `origin` had `size` leaves and this root hash".
//!
//! ```text
//! thiqa.example/journal          origin
//! 1048576                        tree size, decimal, no leading zeros
//! 3tXlNk2tA3V0bWf1dZ6Q…=         root hash, standard base64
//! [extension lines]              optional, non-empty
//! ```
//!
//! The body is the text of a signed note ([`crate::note`]). Parsing is strict
//! (a checkpoint has exactly one textual form) so that two different texts
//! can never be presented as "the same" checkpoint.

use base64::{engine::general_purpose::STANDARD as B64, Engine};

use crate::keys::{NoteSigner, NoteVerifier};
use crate::merkle::Hash;
use crate::note::{NoteError, SignedNote};

/// Why a checkpoint was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CheckpointError {
    /// The text is not a well-formed checkpoint body.
    #[error("malformed checkpoint: {0}")]
    Malformed(&'static str),
    /// The signed-note envelope was refused.
    #[error(transparent)]
    Note(#[from] NoteError),
    /// The checkpoint is for another log.
    #[error("checkpoint origin {found:?} is not {expected:?}")]
    WrongOrigin { expected: String, found: String },
}

/// A tree head of one log: origin, size and root hash.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Checkpoint {
    origin: String,
    size: u64,
    root: Hash,
    extensions: Vec<String>,
}

/// A line of the body: non-empty, no newline or other control character.
fn valid_line(s: &str) -> bool {
    !s.is_empty() && !s.chars().any(|c| c < ' ')
}

impl Checkpoint {
    /// A checkpoint without extension lines.
    pub fn new(origin: &str, size: u64, root: Hash) -> Result<Self, CheckpointError> {
        Self::with_extensions(origin, size, root, Vec::new())
    }

    /// A checkpoint with extension lines (opaque to monitors; use sparingly).
    pub fn with_extensions(
        origin: &str,
        size: u64,
        root: Hash,
        extensions: Vec<String>,
    ) -> Result<Self, CheckpointError> {
        if !valid_line(origin) {
            return Err(CheckpointError::Malformed("origin"));
        }
        if !extensions.iter().all(|e| valid_line(e)) {
            return Err(CheckpointError::Malformed("extension line"));
        }
        Ok(Self {
            origin: origin.to_owned(),
            size,
            root,
            extensions,
        })
    }

    /// The log identity.
    #[must_use]
    pub fn origin(&self) -> &str {
        &self.origin
    }

    /// Number of leaves.
    #[must_use]
    pub fn size(&self) -> u64 {
        self.size
    }

    /// Merkle tree head at that size.
    #[must_use]
    pub fn root(&self) -> &Hash {
        &self.root
    }

    /// Extension lines, without their newlines.
    #[must_use]
    pub fn extensions(&self) -> &[String] {
        &self.extensions
    }

    /// The note text: each line ending in `\n`.
    #[must_use]
    pub fn to_text(&self) -> String {
        let mut text = format!(
            "{}\n{}\n{}\n",
            self.origin,
            self.size,
            B64.encode(self.root)
        );
        for e in &self.extensions {
            text.push_str(e);
            text.push('\n');
        }
        text
    }

    /// Parses a note text as a checkpoint body.
    pub fn parse(text: &str) -> Result<Self, CheckpointError> {
        let body = text
            .strip_suffix('\n')
            .ok_or(CheckpointError::Malformed("final newline"))?;
        let mut lines = body.split('\n');
        let (Some(origin), Some(size), Some(root)) = (lines.next(), lines.next(), lines.next())
        else {
            return Err(CheckpointError::Malformed("fewer than three lines"));
        };
        let size_ok = !size.is_empty()
            && size.bytes().all(|b| b.is_ascii_digit())
            && (size == "0" || !size.starts_with('0'));
        if !size_ok {
            return Err(CheckpointError::Malformed("tree size"));
        }
        let size = size
            .parse()
            .map_err(|_| CheckpointError::Malformed("tree size"))?;
        let root: Hash = B64
            .decode(root)
            .ok()
            .and_then(|r| r.try_into().ok())
            .ok_or(CheckpointError::Malformed("root hash"))?;
        Self::with_extensions(origin, size, root, lines.map(str::to_owned).collect())
    }

    /// This checkpoint as a note signed by `signer`.
    ///
    /// Signs unconditionally: a log should sign through a
    /// [`Checkpointer`](crate::Checkpointer), which refuses inconsistent heads.
    pub fn sign(&self, signer: &NoteSigner) -> Result<String, CheckpointError> {
        Ok(crate::note::sign_note(&self.to_text(), signer)?)
    }

    /// Parses a signed checkpoint, verifies it against the trusted keys and
    /// checks that it belongs to the log `origin`.
    pub fn open(
        message: &[u8],
        origin: &str,
        trusted: &[NoteVerifier],
    ) -> Result<Self, CheckpointError> {
        let note = SignedNote::parse(message)?;
        note.verify(trusted)?;
        let checkpoint = Self::parse(note.text())?;
        if checkpoint.origin != origin {
            return Err(CheckpointError::WrongOrigin {
                expected: origin.to_owned(),
                found: checkpoint.origin,
            });
        }
        Ok(checkpoint)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_round_trips() {
        let c = Checkpoint::with_extensions("thiqa.example/j", 42, [7; 32], vec!["ext".into()])
            .unwrap();
        let text = c.to_text();
        assert_eq!(
            text,
            "thiqa.example/j\n42\nBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwc=\next\n"
        );
        assert_eq!(Checkpoint::parse(&text).unwrap(), c);
    }

    #[test]
    fn malformed_bodies_are_refused() {
        let root = "BwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwc=";
        for bad in [
            format!("o\n42\n{root}"),                     // no final newline
            "o\n42\n".to_string(),                        // no root
            format!("\n42\n{root}\n"),                    // empty origin
            format!("o\n042\n{root}\n"),                  // leading zero
            format!("o\n+42\n{root}\n"),                  // sign
            format!("o\n-1\n{root}\n"),                   // negative
            format!("o\n18446744073709551616\n{root}\n"), // overflow
            "o\n42\nBwcH\n".to_string(),                  // short hash
            format!("o\n42\n{root}\n\n"),                 // empty extension
            format!("o\n42\n{root} \n"),                  // trailing space in hash
        ] {
            assert!(Checkpoint::parse(&bad).is_err(), "{bad:?}");
        }
        assert_eq!(
            Checkpoint::parse(&format!("o\n0\n{root}\n"))
                .unwrap()
                .size(),
            0
        );
    }
}
