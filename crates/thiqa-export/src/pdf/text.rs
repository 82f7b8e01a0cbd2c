//! Text as the PDF draws it: cleaned of what cannot be printed, cut into
//! runs of one face (Arabic letters in Noto Sans Arabic, the rest in Noto
//! Sans), shaped, and wrapped greedily into lines that fit a given width.
//!
//! Right to left: an Arabic word is shaped right to left (joined letters),
//! and each line is put in visual order by the Unicode bidi algorithm with a
//! left-to-right paragraph, so an Arabic phrase, name or sentence inside
//! French or English text reads correctly. What remains for Arabic labels
//! (an Arabic PDF): paragraphs whose base direction is right to left, i.e.
//! lines aligned on the right margin, "label : value" mirrored, and line
//! breaking that fills lines from the right.

use krilla::text::KrillaGlyph;
use unicode_bidi::{BidiInfo, Level};

use super::fonts::{Face, Faces};

/// The weight the layout asks for; the script picks the family.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Font {
    Regular,
    Bold,
}

/// Shaped text in one face, drawn with one call.
#[derive(Debug, Clone)]
pub struct Span {
    pub face: Face,
    /// The text the glyphs stand for (their ranges index into it): what a
    /// reader copies or a search finds.
    pub text: String,
    /// In visual order.
    pub glyphs: Vec<KrillaGlyph>,
    /// In em: multiply by the size for points.
    pub width: f32,
    pub rtl: bool,
}

impl Span {
    pub fn points(&self, size: f32) -> f32 {
        self.width * size
    }
}

pub type Line = Vec<Span>;

/// Printable form of one character: `None` drops it. Control characters
/// go (line breaks are handled before), a tab is a space; soft hyphens,
/// zero-width spaces, byte order marks and explicit bidi controls go too
/// (the bidi algorithm runs on the text itself, and they draw nothing).
fn printable(c: char) -> Option<char> {
    match c {
        '\t' => Some(' '),
        '\u{ad}' | '\u{200b}' | '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' => None,
        '\u{2066}'..='\u{2069}' | '\u{feff}' => None,
        c if c.is_control() => None,
        c => Some(c),
    }
}

fn is_arabic(c: char) -> bool {
    matches!(c, '\u{600}'..='\u{6ff}' | '\u{750}'..='\u{77f}' | '\u{8a0}'..='\u{8ff}'
        | '\u{fb50}'..='\u{fdff}' | '\u{fe70}'..='\u{feff}')
}

/// Arabic-Indic digits: the Arabic font, but read left to right.
fn is_arabic_digit(c: char) -> bool {
    matches!(c, '\u{660}'..='\u{669}' | '\u{6f0}'..='\u{6f9}')
}

/// Joiners shape Arabic and draw nothing: never replaced by '?'.
fn is_joiner(c: char) -> bool {
    matches!(c, '\u{200c}' | '\u{200d}')
}

/// How a character wants to be shaped: (arabic face, right to left), or
/// `None` for a neutral (punctuation, spaces, combining marks) that goes
/// with its neighbours.
fn run_of(c: char) -> Option<(bool, bool)> {
    if is_arabic_digit(c) {
        Some((true, false))
    } else if is_arabic(c) {
        Some((true, true))
    } else if c.is_alphanumeric() {
        Some((false, false))
    } else {
        None
    }
}

/// Marks that sit on the letter before them (accents typed decomposed).
fn is_mark(c: char) -> bool {
    matches!(c, '\u{300}'..='\u{36f}' | '\u{1ab0}'..='\u{1aff}' | '\u{1dc0}'..='\u{1dff}'
        | '\u{20d0}'..='\u{20ff}' | '\u{fe20}'..='\u{fe2f}')
}

/// Splits a word (no spaces) into runs of one face and direction and
/// shapes each. A neutral between two characters of one run joins it;
/// elsewhere (the comma after an Arabic name, a bracket) it is read left
/// to right, as the bidi algorithm resolves it in a left-to-right
/// paragraph. A character neither font has prints as '?', so a stray
/// emoji costs a glyph and reads back as what is seen.
fn shape_word(faces: &Faces, weight: Font, word: &str, out: &mut Vec<Span>) {
    const LTR: (bool, bool) = (false, false);
    let chars: Vec<char> = word.chars().collect();
    let strong: Vec<Option<(bool, bool)>> = chars.iter().map(|&c| run_of(c)).collect();
    // The next strong character's run from each position, in one backward
    // pass (a pasted line of dashes is all neutrals).
    let mut next_strong = vec![LTR; chars.len() + 1];
    for i in (0..chars.len()).rev() {
        next_strong[i] = strong[i].unwrap_or(next_strong[i + 1]);
    }
    let mut runs: Vec<((bool, bool), String)> = Vec::new();
    let mut prev = LTR;
    for (i, &c) in chars.iter().enumerate() {
        let key = match strong[i] {
            Some(k) => k,
            None if is_mark(c) || is_joiner(c) => runs.last().map_or(LTR, |r| r.0),
            None => {
                if next_strong[i + 1] == prev {
                    prev
                } else {
                    LTR
                }
            }
        };
        if let Some(k) = strong[i] {
            prev = k;
        }
        match runs.last_mut() {
            Some((k, text)) if *k == key => text.push(c),
            _ => runs.push((key, c.to_string())),
        }
    }
    for ((arabic, rtl), text) in runs {
        let face = Face::of(weight, arabic);
        // Characters this face lacks: the other family's, or '?'.
        let mut current = (face, String::new());
        for c in text.chars() {
            let (f, c) = if is_joiner(c) || faces.has(face, c) {
                (face, c)
            } else if faces.has(face.other(), c) {
                (face.other(), c)
            } else {
                (face, '?')
            };
            if f != current.0 && !current.1.is_empty() {
                out.push(shape(faces, current.0, std::mem::take(&mut current.1), rtl));
            }
            current.0 = f;
            current.1.push(c);
        }
        if !current.1.is_empty() {
            out.push(shape(faces, current.0, current.1, rtl));
        }
    }
}

fn shape(faces: &Faces, face: Face, text: String, rtl: bool) -> Span {
    // A run in the Latin face is left to right whatever its neighbours.
    let rtl = rtl && matches!(face, Face::Arabic | Face::ArabicBold);
    let s = faces.shape(face, &text, rtl);
    Span {
        face,
        text,
        glyphs: s.glyphs,
        width: s.width,
        rtl: s.rtl,
    }
}

/// Greedy line breaking of `spans` (several weights) into lines of at most
/// `max` points. Breaks at spaces (never at a no-break space); '\n' forces
/// a break; a word wider than the line (a hash, a URL) is cut where it
/// overflows rather than spilling into the margin. Always returns at least
/// one line.
pub fn wrap(faces: &Faces, spans: &[(Font, &str)], size: f32, max: f32) -> Vec<Line> {
    let mut w = Wrapper {
        faces,
        size,
        max,
        lines: Vec::new(),
        line: Vec::new(),
        used: 0.0,
        space: None,
    };
    let mut runs = Vec::new();
    for &(weight, text) in spans {
        for (i, part) in text.split(['\n', '\u{2028}', '\u{2029}']).enumerate() {
            if i > 0 {
                w.flush();
            }
            let clean: String = part.chars().filter_map(printable).collect();
            for (j, word) in clean.split(' ').enumerate() {
                if j > 0 && !w.line.is_empty() {
                    w.space = Some(weight);
                }
                runs.clear();
                shape_word(faces, weight, word, &mut runs);
                for run in runs.drain(..) {
                    w.word(run);
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

/// One line of at most `max` points: the text itself, or as much of it as
/// fits followed by '…'. For the footer and the summary.
pub fn fit(faces: &Faces, spans: &[(Font, &str)], size: f32, max: f32) -> Line {
    let mut lines = wrap(faces, spans, size, max);
    if lines.len() <= 1 {
        return lines.pop().unwrap_or_default();
    }
    let weight = spans.first().map_or(Font::Regular, |s| s.0);
    let ellipsis = shape(faces, Face::of(weight, false), "…".into(), false);
    let room = max - ellipsis.points(size);
    let mut line = wrap(faces, spans, size, room).swap_remove(0);
    line.push(ellipsis);
    line
}

pub fn width(line: &Line, size: f32) -> f32 {
    line.iter().map(|s| s.points(size)).sum()
}

struct Wrapper<'a> {
    faces: &'a Faces,
    size: f32,
    max: f32,
    lines: Vec<Line>,
    /// Runs of the current line in logical order, not merged yet.
    line: Line,
    used: f32,
    /// A space seen since the last word, in its weight; written only if
    /// another word follows on the same line.
    space: Option<Font>,
}

impl Wrapper<'_> {
    fn push(&mut self, span: Span) {
        self.used += span.points(self.size);
        self.line.push(span);
    }

    fn flush(&mut self) {
        let line = std::mem::take(&mut self.line);
        self.lines.push(merge(visual_order(line)));
        self.used = 0.0;
        self.space = None;
    }

    fn word(&mut self, run: Span) {
        let w = run.points(self.size);
        if let Some(weight) = self.space.take() {
            // Between two Arabic words the space is the Arabic font's, so
            // the phrase stays one run.
            let arabic = |s: &Span| matches!(s.face, Face::Arabic | Face::ArabicBold);
            let between = arabic(&run) && self.line.last().is_some_and(arabic);
            let space = shape(self.faces, Face::of(weight, between), " ".into(), between);
            let sw = space.points(self.size);
            if self.used + sw + w <= self.max {
                self.push(space);
                self.push(run);
                return;
            }
            self.flush();
        } else if !self.line.is_empty() && self.used + w > self.max {
            // Glued to the previous run (a bold label then its value with
            // no space, a Latin prefix on an Arabic word) and it does not
            // fit: break there anyway.
            self.flush();
        }
        if self.used + w <= self.max {
            self.push(run);
        } else {
            self.cut(run);
        }
    }

    /// Lays out a run wider than a line cluster by cluster, in logical
    /// order, in one pass (a pasted key or log can be long). At least one
    /// cluster goes on each line, so even an absurdly narrow width ends.
    fn cut(&mut self, run: Span) {
        let n = run.glyphs.len();
        let order: Vec<usize> = if run.rtl {
            (0..n).rev().collect()
        } else {
            (0..n).collect()
        };
        let mut piece: Vec<usize> = Vec::new();
        let mut w = 0.0;
        let mut at = 0;
        while at < n {
            // A cluster: the glyphs that share the first one's text.
            let start = run.glyphs[order[at]].text_range.start;
            let mut end = at + 1;
            while end < n && run.glyphs[order[end]].text_range.start == start {
                end += 1;
            }
            let cw: f32 = order[at..end]
                .iter()
                .map(|&g| run.glyphs[g].x_advance * self.size)
                .sum();
            if self.used + w + cw > self.max && (!piece.is_empty() || !self.line.is_empty()) {
                if !piece.is_empty() {
                    let p = sub(&run, &mut piece);
                    self.push(p);
                }
                self.flush();
                w = 0.0;
            }
            piece.extend_from_slice(&order[at..end]);
            w += cw;
            at = end;
        }
        if !piece.is_empty() {
            let p = sub(&run, &mut piece);
            self.push(p);
        }
    }
}

/// The glyphs `indices` (logical order, emptied) of `run` as a run of their
/// own, in visual order, with their text.
fn sub(run: &Span, indices: &mut Vec<usize>) -> Span {
    if run.rtl {
        indices.reverse();
    }
    let mut glyphs: Vec<KrillaGlyph> = indices.drain(..).map(|i| run.glyphs[i].clone()).collect();
    let from = glyphs.iter().map(|g| g.text_range.start).min().unwrap_or(0);
    let to = glyphs
        .iter()
        .map(|g| g.text_range.end)
        .max()
        .unwrap_or(from);
    for g in &mut glyphs {
        g.text_range = g.text_range.start - from..g.text_range.end - from;
    }
    Span {
        face: run.face,
        text: run.text.get(from..to).unwrap_or_default().to_string(),
        width: glyphs.iter().map(|g| g.x_advance).sum(),
        glyphs,
        rtl: run.rtl,
    }
}

/// Puts a line's runs (logical order) in visual order: the bidi levels of
/// its text in a left-to-right paragraph, then rule L2 (reverse every
/// sequence at or above each odd level, highest first). Each run is one
/// direction already and shaped in its own order.
fn visual_order(mut line: Line) -> Line {
    if !line.iter().any(|s| s.rtl) {
        return line;
    }
    let mut text = String::new();
    let mut starts = Vec::with_capacity(line.len());
    for s in &line {
        starts.push(text.len());
        text.push_str(&s.text);
    }
    let info = BidiInfo::new(&text, Some(Level::ltr()));
    let levels: Vec<u8> = starts
        .iter()
        .map(|&i| info.levels.get(i).map_or(0, |l| l.number()))
        .collect();
    let Some(&top) = levels.iter().max() else {
        return line;
    };
    let mut order: Vec<usize> = (0..line.len()).collect();
    for level in (1..=top).rev() {
        let mut i = 0;
        while i < order.len() {
            if levels[order[i]] < level {
                i += 1;
                continue;
            }
            let mut j = i;
            while j < order.len() && levels[order[j]] >= level {
                j += 1;
            }
            order[i..j].reverse();
            i = j;
        }
    }
    let mut slots: Vec<Option<Span>> = line.drain(..).map(Some).collect();
    order.iter().filter_map(|&i| slots[i].take()).collect()
}

/// Joins neighbouring runs of one face into one span (one draw call, and
/// the words of a line stay one string for a reader's search).
fn merge(line: Line) -> Line {
    let mut out: Line = Vec::with_capacity(line.len());
    for s in line {
        match out.last_mut() {
            Some(last) if last.face == s.face => {
                let shift = last.text.len();
                last.text.push_str(&s.text);
                last.width += s.width;
                last.rtl |= s.rtl;
                last.glyphs.extend(s.glyphs.into_iter().map(|mut g| {
                    g.text_range = g.text_range.start + shift..g.text_range.end + shift;
                    g
                }));
            }
            _ => out.push(s),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn faces() -> Faces {
        Faces::load().expect("the embedded fonts parse")
    }

    fn text(l: &Line) -> String {
        l.iter().map(|s| s.text.as_str()).collect()
    }

    #[test]
    fn wraps_at_spaces_within_the_width() {
        let f = faces();
        let s = "le fournisseur chiffre les données au repos et en transit ".repeat(20);
        let lines = wrap(&f, &[(Font::Regular, &s)], 10.0, 200.0);
        assert!(lines.len() > 10);
        for l in &lines {
            let w = width(l, 10.0);
            assert!(w <= 200.0, "{w}");
            let t = text(l);
            assert!(!t.starts_with(' ') && !t.ends_with(' '), "{t:?}");
        }
        let joined: Vec<String> = lines.iter().map(text).collect();
        assert_eq!(joined.join(" "), s.trim_end());
    }

    #[test]
    fn long_words_are_cut_and_newlines_kept() {
        let f = faces();
        let lines = wrap(
            &f,
            &[(Font::Bold, "A:"), (Font::Regular, " x\ny")],
            10.0,
            300.0,
        );
        assert_eq!(lines.len(), 2);
        assert_eq!(lines[0].len(), 2, "bold label then regular text");
        assert_eq!(lines[0][0].face, Face::SansBold);
        let long = "0123456789".repeat(50);
        let lines = wrap(&f, &[(Font::Regular, &long)], 10.0, 100.0);
        assert!(lines.len() >= 25);
        for l in &lines {
            assert!(width(l, 10.0) <= 100.0);
        }
        let joined: String = lines.iter().map(text).collect();
        assert_eq!(joined, long);
        assert_eq!(wrap(&f, &[(Font::Regular, "")], 10.0, 100.0).len(), 1);
        assert_eq!(wrap(&f, &[(Font::Regular, "abc")], 10.0, 0.1).len(), 3);
        // One pass: a pasted 200 kB blob does not stall the export.
        for blob in ["x".repeat(200_000), "=".repeat(200_000)] {
            assert!(wrap(&f, &[(Font::Regular, &blob)], 10.0, 100.0).len() > 1000);
        }
        // Windows line ends are one break, not two.
        assert_eq!(wrap(&f, &[(Font::Regular, "a\r\nb")], 10.0, 100.0).len(), 2);
        let cut = fit(&f, &[(Font::Regular, "abc def ghi")], 10.0, 30.0);
        assert!(text(&cut).ends_with('…') && width(&cut, 10.0) <= 30.0);
    }

    #[test]
    fn control_characters_go_and_unknown_ones_read_as_a_question_mark() {
        let f = faces();
        let lines = wrap(
            &f,
            &[(
                Font::Regular,
                "a\u{0}b\u{7}\u{1b}c\td\u{ad}e\u{feff}\u{202e}f 😀 \u{e000}",
            )],
            10.0,
            500.0,
        );
        assert_eq!(lines.len(), 1);
        assert_eq!(text(&lines[0]), "abc def ? ?");
        // Accents typed as combining marks stay on their letter.
        let l = wrap(&f, &[(Font::Regular, "e\u{301}té")], 10.0, 500.0);
        assert_eq!(text(&l[0]), "e\u{301}té");
    }

    #[test]
    fn arabic_takes_its_font_and_reads_right_to_left() {
        let f = faces();
        // Logical order: "ثقة" then "رقمية", inside a French sentence.
        let lines = wrap(
            &f,
            &[(Font::Regular, "Le nom ثقة رقمية (2026) signifie confiance.")],
            10.0,
            500.0,
        );
        assert_eq!(lines.len(), 1);
        let l = &lines[0];
        let arabic: Vec<&Span> = l.iter().filter(|s| s.face == Face::Arabic).collect();
        assert_eq!(arabic.len(), 1, "one run: the two words and the space");
        assert!(arabic[0].rtl);
        // Visual order: the second word is drawn left of the first.
        let a = &arabic[0].text;
        assert!(a.find("رقمية").unwrap() < a.find("ثقة").unwrap(), "{a}");
        assert!(text(l).starts_with("Le nom ") && text(l).ends_with(" signifie confiance."));
        for s in l {
            let ranges_ok = s
                .glyphs
                .iter()
                .all(|g| s.text.get(g.text_range.clone()).is_some());
            assert!(ranges_ok, "glyph ranges index the span's text");
        }
        // A bold label keeps the Arabic in the bold Arabic face.
        let bold = wrap(&f, &[(Font::Bold, "ثقة")], 10.0, 500.0);
        assert_eq!(bold[0][0].face, Face::ArabicBold);
    }

    #[test]
    fn an_arabic_word_wider_than_the_line_is_cut_in_reading_order() {
        let f = faces();
        let word = "بسم".repeat(60);
        let lines = wrap(&f, &[(Font::Regular, &word)], 10.0, 80.0);
        assert!(lines.len() > 3);
        for l in &lines {
            assert!(width(l, 10.0) <= 80.0);
        }
        let joined: String = lines.iter().map(text).collect();
        assert_eq!(joined, word, "the first line holds the word's start");
    }
}
