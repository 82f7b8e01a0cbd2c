//! Text as the PDF draws it: Unicode turned into WinAnsi bytes (the encoding
//! of the standard fonts, which covers French), measured with the fonts' real
//! widths and wrapped into lines that fit a given width.

use super::metrics::{HELVETICA, HELVETICA_BOLD};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Font {
    Regular,
    Bold,
}

/// A run of encoded text in one font.
#[derive(Debug, Clone, PartialEq)]
pub struct Span {
    pub font: Font,
    pub bytes: Vec<u8>,
}

pub type Line = Vec<Span>;

/// WinAnsi bytes for `s`. Never fails: what the encoding lacks becomes '?'
/// (or a close equivalent), so a stray emoji or Arabic name costs a glyph,
/// not the whole export. Control characters are dropped; callers split on
/// '\n' before encoding.
pub fn encode(s: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(s.len());
    for c in s.chars() {
        if let Some(b) = winansi(c) {
            out.push(b);
        }
    }
    out
}

fn winansi(c: char) -> Option<u8> {
    let b = match c {
        ' '..='~' => c as u8,
        '\t' => b' ',
        // Soft hyphens and combining accents (text typed in NFD) would show
        // as stray marks; the base letter alone reads better than a '?'.
        '\u{ad}' | '\u{300}'..='\u{36f}' | '\u{200b}'..='\u{200d}' | '\u{feff}' => return None,
        c if c.is_control() => return None,
        '\u{a0}'..='\u{ff}' => c as u8,
        '€' => 0x80,
        '‚' => 0x82,
        'ƒ' => 0x83,
        '„' => 0x84,
        '…' => 0x85,
        '†' => 0x86,
        '‡' => 0x87,
        'ˆ' => 0x88,
        '‰' => 0x89,
        'Š' => 0x8a,
        '‹' => 0x8b,
        'Œ' => 0x8c,
        'Ž' => 0x8e,
        '‘' => 0x91,
        '’' => 0x92,
        '“' => 0x93,
        '”' => 0x94,
        '•' => 0x95,
        '–' => 0x96,
        '—' => 0x97,
        '˜' => 0x98,
        '™' => 0x99,
        'š' => 0x9a,
        '›' => 0x9b,
        'œ' => 0x9c,
        'ž' => 0x9e,
        'Ÿ' => 0x9f,
        // French typography puts thin no-break spaces before « : ; ! ? ».
        '\u{202f}' | '\u{2007}' | '\u{2009}' => 0xa0,
        '\u{2010}' | '\u{2011}' | '\u{2212}' => b'-',
        '\u{2032}' => b'\'',
        _ => b'?',
    };
    Some(b)
}

/// Width of `bytes` in points at `size`.
pub fn width(font: Font, bytes: &[u8], size: f32) -> f32 {
    let table = match font {
        Font::Regular => &HELVETICA,
        Font::Bold => &HELVETICA_BOLD,
    };
    let units: u32 = bytes
        .iter()
        .map(|&b| u32::from(table[usize::from(b.max(32)) - 32]))
        .sum();
    units as f32 * size / 1000.0
}

/// The longest prefix of `bytes` that fits in `max` points, ending in '…'
/// when cut. For one-line texts such as the footer.
pub fn fit(font: Font, bytes: &[u8], size: f32, max: f32) -> Vec<u8> {
    if width(font, bytes, size) <= max {
        return bytes.to_vec();
    }
    let room = max - width(font, &[0x85], size);
    let mut used = 0.0;
    let mut out = Vec::new();
    for &b in bytes {
        used += width(font, &[b], size);
        if used > room {
            break;
        }
        out.push(b);
    }
    out.push(0x85);
    out
}

/// Greedy line breaking of `spans` (several fonts) into lines of at most
/// `max` points. Breaks at spaces; '\n' forces a break; a word wider than
/// the line (a hash, a URL) is cut where it overflows rather than spilling
/// into the margin. Always returns at least one line.
pub fn wrap(spans: &[(Font, &str)], size: f32, max: f32) -> Vec<Line> {
    let mut w = Wrapper {
        size,
        max,
        lines: Vec::new(),
        line: Vec::new(),
        used: 0.0,
        space: None,
    };
    for &(font, text) in spans {
        for (i, part) in text.split('\n').enumerate() {
            if i > 0 {
                w.flush();
            }
            let bytes = encode(part);
            for piece in split_spaces(&bytes) {
                match piece {
                    Piece::Space => {
                        if !w.line.is_empty() {
                            w.space = Some(font);
                        }
                    }
                    Piece::Word(word) => w.word(font, word),
                }
            }
        }
    }
    w.flush();
    // Trailing blank lines (a statement ending in "\n") would only push
    // the next field down.
    while w.lines.len() > 1 && w.lines.last().is_some_and(|l| l.is_empty()) {
        w.lines.pop();
    }
    w.lines
}

enum Piece<'a> {
    Space,
    Word(&'a [u8]),
}

fn split_spaces(bytes: &[u8]) -> Vec<Piece<'_>> {
    let mut out = Vec::new();
    let mut start = 0;
    for (i, &b) in bytes.iter().enumerate() {
        if b == b' ' {
            if start < i {
                out.push(Piece::Word(&bytes[start..i]));
            }
            out.push(Piece::Space);
            start = i + 1;
        }
    }
    if start < bytes.len() {
        out.push(Piece::Word(&bytes[start..]));
    }
    out
}

struct Wrapper {
    size: f32,
    max: f32,
    lines: Vec<Line>,
    line: Line,
    used: f32,
    /// A space seen since the last word, in its font; written only if
    /// another word follows on the same line.
    space: Option<Font>,
}

impl Wrapper {
    fn push(&mut self, font: Font, bytes: &[u8]) {
        self.used += width(font, bytes, self.size);
        match self.line.last_mut() {
            Some(last) if last.font == font => last.bytes.extend_from_slice(bytes),
            _ => self.line.push(Span {
                font,
                bytes: bytes.to_vec(),
            }),
        }
    }

    fn flush(&mut self) {
        self.lines.push(std::mem::take(&mut self.line));
        self.used = 0.0;
        self.space = None;
    }

    fn word(&mut self, font: Font, word: &[u8]) {
        let w = width(font, word, self.size);
        if let Some(sf) = self.space.take() {
            let sw = width(sf, b" ", self.size);
            if self.used + sw + w <= self.max {
                self.push(sf, b" ");
                self.push(font, word);
                return;
            }
            self.flush();
        } else if !self.line.is_empty() && self.used + w > self.max {
            // Glued to the previous span (e.g. a bold label then its value
            // with no space) and it does not fit: break there anyway.
            self.flush();
        }
        if self.used + w <= self.max {
            self.push(font, word);
        } else {
            self.cut(font, word);
        }
    }

    /// Lays out a word wider than a line byte by byte, in one pass (a
    /// pasted key or log can be long). At least one byte goes on each line,
    /// so even an absurdly narrow width terminates.
    fn cut(&mut self, font: Font, word: &[u8]) {
        let mut start = 0;
        let mut w = 0.0;
        for (i, &b) in word.iter().enumerate() {
            let bw = width(font, &[b], self.size);
            if self.used + w + bw > self.max && (i > start || !self.line.is_empty()) {
                if i > start {
                    self.push(font, &word[start..i]);
                }
                self.flush();
                start = i;
                w = 0.0;
            }
            w += bw;
        }
        self.push(font, &word[start..]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(l: &Line) -> String {
        l.iter()
            .flat_map(|s| s.bytes.iter().map(|&b| b as char))
            .collect()
    }

    #[test]
    fn french_letters_map_to_winansi() {
        assert_eq!(
            encode("é è à ç ô œ « » ’ – …"),
            [
                0xe9, 32, 0xe8, 32, 0xe0, 32, 0xe7, 32, 0xf4, 32, 0x9c, 32, 0xab, 32, 0xbb, 32,
                0x92, 32, 0x96, 32, 0x85
            ]
        );
        assert_eq!(encode("a😀ب\u{301}\u{202f}:"), b"a??\xa0:");
    }

    #[test]
    fn widths_are_helvetica_s() {
        // "Hello" in Helvetica: 722+556+222+222+556 = 2278 units.
        assert!((width(Font::Regular, b"Hello", 10.0) - 22.78).abs() < 1e-4);
        assert!(width(Font::Bold, b"Hello", 10.0) > width(Font::Regular, b"Hello", 10.0));
    }

    #[test]
    fn wraps_at_spaces_within_the_width() {
        let s = "le fournisseur chiffre les données au repos et en transit ".repeat(20);
        let lines = wrap(&[(Font::Regular, &s)], 10.0, 200.0);
        assert!(lines.len() > 10);
        for l in &lines {
            let w: f32 = l.iter().map(|s| width(s.font, &s.bytes, 10.0)).sum();
            assert!(w <= 200.0, "{w}");
            let t = text(l);
            assert!(!t.starts_with(' ') && !t.ends_with(' '), "{t:?}");
        }
    }

    #[test]
    fn long_words_are_cut_and_newlines_kept() {
        let lines = wrap(&[(Font::Bold, "A:"), (Font::Regular, " x\ny")], 10.0, 300.0);
        assert_eq!(lines.len(), 2);
        assert_eq!(lines[0].len(), 2, "bold label then regular text");
        let long = "0123456789".repeat(50);
        let lines = wrap(&[(Font::Regular, &long)], 10.0, 100.0);
        assert!(lines.len() >= 25);
        let joined: String = lines.iter().map(text).collect();
        assert_eq!(joined, long);
        assert_eq!(wrap(&[(Font::Regular, "")], 10.0, 100.0).len(), 1);
        assert_eq!(wrap(&[(Font::Regular, "abc")], 10.0, 0.1).len(), 3);
        // One pass: a pasted 200 kB blob does not stall the export.
        let blob = "x".repeat(200_000);
        assert!(wrap(&[(Font::Regular, &blob)], 10.0, 100.0).len() > 1000);
        assert_eq!(fit(Font::Regular, b"abcdef", 10.0, 22.0), b"ab\x85");
    }
}
