//! Text matching shared by every search (référentiel, journal, imports):
//! one folding, so a word found in one place is found in all.

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
    use super::fold;

    #[test]
    fn case_accents_and_ligatures_fold_away() {
        assert_eq!(fold("Mettre en Œuvre, cæcum"), "mettre en oeuvre, caecum");
        assert_eq!(fold("e\u{301}te\u{301}"), "ete");
    }
}
