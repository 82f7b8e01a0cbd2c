//! The four faces the PDF draws with, embedded in the binary: Noto Sans
//! (Latin with every French accent, punctuation, €) and Noto Sans Arabic,
//! each in regular and bold. See `fonts/README.md` for where they come from.
//!
//! Text is shaped here with rustybuzz, once, and the same glyphs are both
//! measured (to wrap) and drawn (by krilla), so a line is never wider on
//! the page than it was when it was broken.

use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::LazyLock;

use krilla::text::{GlyphId, KrillaGlyph};
use rustybuzz::{script, Direction, Script, ShapePlan, UnicodeBuffer};

use super::text::Font;

/// A face: a script's family in a weight.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Face {
    Sans,
    SansBold,
    Arabic,
    ArabicBold,
}

impl Face {
    pub const ALL: [Face; 4] = [Face::Sans, Face::SansBold, Face::Arabic, Face::ArabicBold];

    pub fn of(weight: Font, arabic: bool) -> Face {
        match (weight, arabic) {
            (Font::Regular, false) => Face::Sans,
            (Font::Bold, false) => Face::SansBold,
            (Font::Regular, true) => Face::Arabic,
            (Font::Bold, true) => Face::ArabicBold,
        }
    }

    /// The same weight in the other script's family, for a character the
    /// first lacks (Latin punctuation in an Arabic word, say).
    pub fn other(self) -> Face {
        match self {
            Face::Sans => Face::Arabic,
            Face::SansBold => Face::ArabicBold,
            Face::Arabic => Face::Sans,
            Face::ArabicBold => Face::SansBold,
        }
    }

    pub fn index(self) -> usize {
        self as usize
    }

    pub fn bytes(self) -> &'static [u8] {
        match self {
            Face::Sans => include_bytes!("../../fonts/NotoSans-Regular.ttf"),
            Face::SansBold => include_bytes!("../../fonts/NotoSans-Bold.ttf"),
            Face::Arabic => include_bytes!("../../fonts/NotoSansArabic-Regular.ttf"),
            Face::ArabicBold => include_bytes!("../../fonts/NotoSansArabic-Bold.ttf"),
        }
    }
}

/// A face parsed for shaping, with its plans (left to right, right to
/// left) made once: a plan per call would cost more than the shaping.
struct Shaper {
    face: rustybuzz::Face<'static>,
    plans: [ShapePlan; 2],
    script: Script,
}

/// The parsed faces, read once per process. `None` only if a font file in
/// the binary were unreadable, which a unit test rules out.
static SHAPERS: LazyLock<Option<Vec<Shaper>>> = LazyLock::new(|| {
    Face::ALL
        .iter()
        .map(|&f| {
            let face = rustybuzz::Face::from_slice(f.bytes(), 0)?;
            let script = match f {
                Face::Sans | Face::SansBold => script::LATIN,
                Face::Arabic | Face::ArabicBold => script::ARABIC,
            };
            let plan = |d| ShapePlan::new(&face, d, Some(script), None, &[]);
            let plans = [plan(Direction::LeftToRight), plan(Direction::RightToLeft)];
            Some(Shaper {
                face,
                plans,
                script,
            })
        })
        .collect()
});

/// Words a statement repeats (articles, labels, spaces) are shaped once
/// per document; longer texts (a pasted key) are not kept.
const CACHED_LEN: usize = 48;

/// The shaping faces, in `Face::ALL`'s order, and this document's cache.
pub struct Faces {
    shapers: &'static [Shaper],
    cache: RefCell<HashMap<(Face, bool, String), Shaped>>,
}

impl Faces {
    pub fn load() -> Option<Faces> {
        SHAPERS.as_deref().map(|shapers| Faces {
            shapers,
            cache: RefCell::default(),
        })
    }

    pub fn has(&self, face: Face, c: char) -> bool {
        self.shapers[face.index()].face.glyph_index(c).is_some()
    }

    /// Shapes `text` in one face and one direction: glyphs in visual order
    /// (right to left runs come out reversed, as rustybuzz places them),
    /// advances in em, so `width * size` is the run's width in points.
    pub fn shape(&self, face: Face, text: &str, rtl: bool) -> Shaped {
        if text.len() > CACHED_LEN {
            return self.shape_now(face, text, rtl);
        }
        let key = (face, rtl, text.to_string());
        if let Some(s) = self.cache.borrow().get(&key) {
            return s.clone();
        }
        let s = self.shape_now(face, text, rtl);
        self.cache.borrow_mut().insert(key, s.clone());
        s
    }

    fn shape_now(&self, face: Face, text: &str, rtl: bool) -> Shaped {
        let sh = &self.shapers[face.index()];
        let mut buffer = UnicodeBuffer::new();
        buffer.push_str(text);
        // The plan's script and direction, whatever the text's neutrals.
        buffer.set_script(sh.script);
        buffer.set_direction(if rtl {
            Direction::RightToLeft
        } else {
            Direction::LeftToRight
        });
        let out = rustybuzz::shape_with_plan(&sh.face, &sh.plans[usize::from(rtl)], buffer);
        let em = sh.face.units_per_em().max(1) as f32;
        let infos = out.glyph_infos();
        let mut glyphs = Vec::with_capacity(infos.len());
        let mut width = 0.0;
        for (i, (info, pos)) in infos.iter().zip(out.glyph_positions()).enumerate() {
            let start = info.cluster as usize;
            // A cluster ends where the next one (in logical order) starts.
            let end = cluster_end(infos, i, rtl).unwrap_or(text.len()).max(start);
            let advance = pos.x_advance as f32 / em;
            width += advance;
            glyphs.push(KrillaGlyph::new(
                GlyphId::new(info.glyph_id),
                advance,
                pos.x_offset as f32 / em,
                pos.y_offset as f32 / em,
                pos.y_advance as f32 / em,
                start..end,
                None,
            ));
        }
        Shaped { glyphs, width, rtl }
    }
}

/// Start of the cluster after glyph `i`'s in logical order, if any.
fn cluster_end(infos: &[rustybuzz::GlyphInfo], i: usize, rtl: bool) -> Option<usize> {
    let cluster = infos[i].cluster;
    let next = |j: &usize| infos[*j].cluster != cluster;
    let j = if rtl {
        (0..i).rev().find(next)
    } else {
        (i + 1..infos.len()).find(next)
    }?;
    Some(infos[j].cluster as usize)
}

/// Glyphs of one run, in visual order.
#[derive(Debug, Clone)]
pub struct Shaped {
    pub glyphs: Vec<KrillaGlyph>,
    /// Sum of the advances, in em.
    pub width: f32,
    pub rtl: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_fonts_load_and_cover_french_and_arabic() {
        let faces = Faces::load().expect("the embedded fonts parse");
        for face in [Face::Sans, Face::SansBold] {
            for c in "àâæçéèêëîïôœùûüÿÀÂÆÇÉÈÊËÎÏÔŒÙÛÜŸ€«»’–—…\u{a0}\u{202f}".chars()
            {
                assert!(faces.has(face, c), "{face:?} lacks {c:?}");
            }
        }
        for face in [Face::Arabic, Face::ArabicBold] {
            for c in "ابتثجحخدذرزسشصضطظعغفقكلمنهويءآأؤإئةىڭݣ،؛؟٠١٩".chars()
            {
                assert!(faces.has(face, c), "{face:?} lacks {c:?}");
            }
        }
        assert!(krilla::text::Font::new(Face::Sans.bytes().into(), 0).is_some());
    }

    #[test]
    fn arabic_is_joined_and_measured() {
        let faces = Faces::load().unwrap();
        let word = faces.shape(Face::Arabic, "ثقة", true);
        assert_eq!(word.glyphs.len(), 3);
        // Contextual forms: the joined word uses other glyphs than the
        // letters set apart.
        let apart: Vec<u32> = "ث ق ة"
            .split(' ')
            .flat_map(|l| faces.shape(Face::Arabic, l, true).glyphs)
            .map(|g| g.glyph_id.to_u32())
            .collect();
        let joined: Vec<u32> = word
            .glyphs
            .iter()
            .rev()
            .map(|g| g.glyph_id.to_u32())
            .collect();
        assert_ne!(joined, apart);
        // Visual order: the last letter (ة, bytes 4..6) is drawn first.
        assert_eq!(word.glyphs[0].text_range, 4..6);
        assert!(word.width > 0.5 && word.width < 3.0, "{}", word.width);
    }
}
