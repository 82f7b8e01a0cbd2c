//! Text helpers shared by every crate: the matching used by every search
//! (référentiel, journal, imports; one folding, so a word found in one
//! place is found in all) and hexadecimal.

/// Lower-case hexadecimal of `bytes` (hashes, key ids, fingerprints).
pub fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        out.push(char::from(DIGITS[usize::from(b >> 4)]));
        out.push(char::from(DIGITS[usize::from(b & 15)]));
    }
    out
}

/// The bytes of hexadecimal `text` (either case); None when it is not
/// hexadecimal. The one parser of what [`hex`] writes: keys, hashes, proofs.
pub fn from_hex(text: &str) -> Option<Vec<u8>> {
    // Digits only: `from_str_radix` alone would take "+1" as a byte.
    if !text.len().is_multiple_of(2) || !text.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    (0..text.len() / 2)
        .map(|i| u8::from_str_radix(&text[2 * i..2 * i + 2], 16).ok())
        .collect()
}

/// The 32 bytes of a key or seed written in hexadecimal (surrounding
/// whitespace ignored, as in a key file).
pub fn from_hex32(text: &str) -> Option<[u8; 32]> {
    from_hex(text.trim())?.try_into().ok()
}

/// Whether `text` is a SHA-256 as Thiqa writes it: 64 lower-case hex
/// digits (evidence file names, backup manifests). Checked before a hash
/// becomes part of a path or an object name.
pub fn is_sha256_hex(text: &str) -> bool {
    text.len() == 64
        && text
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// Folds text for matching: lower case, accents and ligatures removed
/// ("Sécurité" → "securite", "œuvre" → "oeuvre").
pub fn fold(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars().flat_map(char::to_lowercase) {
        match c {
            'à' | 'á' | 'â' | 'ã' | 'ä' | 'å' => out.push('a'),
            'ç' => out.push('c'),
            'è' | 'é' | 'ê' | 'ë' => out.push('e'),
            'ì' | 'í' | 'î' | 'ï' => out.push('i'),
            'ñ' => out.push('n'),
            'ò' | 'ó' | 'ô' | 'õ' | 'ö' => out.push('o'),
            'ù' | 'ú' | 'û' | 'ü' => out.push('u'),
            'ý' | 'ÿ' => out.push('y'),
            'œ' => out.push_str("oe"),
            'æ' => out.push_str("ae"),
            'ß' => out.push_str("ss"),
            // Combining accents (decomposed input) disappear.
            '\u{300}'..='\u{36f}' => {}
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::{fold, from_hex, from_hex32, hex};

    #[test]
    fn hex_is_two_lower_case_digits_per_byte() {
        assert_eq!(hex(&[0x00, 0x0f, 0xa5, 0xff]), "000fa5ff");
        assert_eq!(hex(&[]), "");
    }

    #[test]
    fn hex_reads_back_and_refuses_what_is_not_hex() {
        assert_eq!(from_hex("000fA5ff"), Some(vec![0x00, 0x0f, 0xa5, 0xff]));
        assert_eq!(from_hex(""), Some(vec![]));
        for bad in ["0", "zz", "0g", "é0", "+1"] {
            assert_eq!(from_hex(bad), None, "{bad}");
        }
        let key = hex(&[7; 32]);
        assert_eq!(from_hex32(&format!("{key}\n")), Some([7; 32]));
        assert_eq!(from_hex32(&key[2..]), None, "31 bytes");
    }

    #[test]
    fn case_accents_and_ligatures_fold_away() {
        assert_eq!(fold("Mettre en Œuvre, cæcum"), "mettre en oeuvre, caecum");
        assert_eq!(fold("e\u{301}te\u{301}"), "ete");
    }
}
