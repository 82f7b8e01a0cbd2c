//! Flowing text down A4 pages: a cursor that places whole lines and opens a
//! new page when the next line would not fit above the footer, so no line
//! is ever cut in two. Pages come out as plain lists of positioned items;
//! `write` turns them into PDF.

use super::fonts::Faces;
use super::text::{self, Font, Line, Span};

/// A4 portrait, in points.
pub const PAGE_W: f32 = 595.28;
pub const PAGE_H: f32 = 841.89;
/// Left and right margin, ~2 cm.
pub const MARGIN: f32 = 56.0;
const TOP: f32 = PAGE_H - 56.0;
/// Text stops here; the footer sits below.
const BOTTOM: f32 = 64.0;
pub const FOOTER_BASELINE: f32 = 36.0;
pub const TEXT_W: f32 = PAGE_W - 2.0 * MARGIN;

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Color(pub f32, pub f32, pub f32);

pub const BLACK: Color = Color(0.0, 0.0, 0.0);
pub const GRAY: Color = Color(0.4, 0.4, 0.4);
/// Headings: a dark blue that prints well in grey too.
pub const ACCENT: Color = Color(0.09, 0.2, 0.42);

#[derive(Debug, Clone)]
pub enum Item {
    Text {
        x: f32,
        y: f32,
        size: f32,
        color: Color,
        span: Span,
    },
    Rule {
        x1: f32,
        x2: f32,
        y: f32,
        width: f32,
        gray: f32,
    },
}

#[derive(Debug, Clone, Copy)]
pub struct Style {
    pub size: f32,
    pub leading: f32,
    /// From the left margin.
    pub indent: f32,
    pub color: Color,
}

impl Style {
    pub const fn new(size: f32, indent: f32, color: Color) -> Style {
        Style {
            size,
            leading: size * 1.3,
            indent,
            color,
        }
    }

    pub fn width(&self) -> f32 {
        TEXT_W - self.indent
    }
}

/// A place a bookmark points at.
#[derive(Debug, Clone)]
pub struct Mark {
    pub title: String,
    pub page: usize,
    pub top: f32,
}

pub struct Layout<'a> {
    faces: &'a Faces,
    pub pages: Vec<Vec<Item>>,
    pub marks: Vec<Mark>,
    /// Top of the next line.
    y: f32,
}

impl<'a> Layout<'a> {
    pub fn new(faces: &'a Faces) -> Layout<'a> {
        Layout {
            faces,
            pages: vec![Vec::new()],
            marks: Vec::new(),
            y: TOP,
        }
    }

    fn at_top(&self) -> bool {
        self.y >= TOP
    }

    fn items(&mut self) -> &mut Vec<Item> {
        self.pages.last_mut().expect("a layout always has a page")
    }

    /// Opens a new page unless `height` points still fit on this one. A
    /// block taller than a page starts at the top and then breaks between
    /// lines like any text.
    pub fn ensure(&mut self, height: f32) {
        if self.y - height < BOTTOM && !self.at_top() {
            self.pages.push(Vec::new());
            self.y = TOP;
        }
    }

    /// Vertical space, dropped at the top of a page where it would only
    /// push the text down.
    pub fn gap(&mut self, height: f32) {
        if !self.at_top() {
            self.y -= height;
        }
    }

    pub fn wrap(&self, spans: &[(Font, &str)], style: &Style) -> Vec<Line> {
        text::wrap(self.faces, spans, style.size, style.width())
    }

    /// Places lines one by one, each on the page where it fits whole.
    pub fn lines(&mut self, lines: &[Line], style: &Style) {
        for line in lines {
            self.ensure(style.leading);
            // Baseline low enough that accented capitals clear the line
            // above; leading leaves room for descenders below.
            let y = self.y - style.size * 0.95;
            let items = placed(
                line.clone(),
                MARGIN + style.indent,
                y,
                style.size,
                style.color,
            );
            self.items().extend(items);
            self.y -= style.leading;
        }
    }

    pub fn paragraph(&mut self, spans: &[(Font, &str)], style: &Style) {
        let lines = self.wrap(spans, style);
        self.lines(&lines, style);
    }

    /// One line: `left` (cut with '…' if needed) and `right` ending at
    /// `right_edge` from the margin. For the summary's counts.
    pub fn row(&mut self, left: &str, right: &str, right_edge: f32, style: &Style) {
        let r = text::fit(self.faces, &[(Font::Bold, right)], style.size, right_edge);
        let rw = text::width(&r, style.size);
        let room = right_edge - style.indent - rw - style.size;
        let l = text::fit(self.faces, &[(Font::Regular, left)], style.size, room);
        self.lines(&[l], style);
        let y = self.y + style.leading - style.size * 0.95;
        let items = placed(r, MARGIN + right_edge - rw, y, style.size, style.color);
        self.items().extend(items);
    }

    /// A thin horizontal line across the text width, below the cursor.
    pub fn rule(&mut self, gray: f32, width: f32) {
        self.ensure(6.0);
        let y = self.y - 3.0;
        self.items().push(Item::Rule {
            x1: MARGIN,
            x2: PAGE_W - MARGIN,
            y,
            width,
            gray,
        });
        self.y -= 6.0;
    }

    /// Bookmarks the current position (call after `ensure`, so the mark
    /// lands on the page its heading does).
    pub fn mark(&mut self, title: String) {
        self.marks.push(Mark {
            title,
            page: self.pages.len() - 1,
            top: self.y,
        });
    }

    /// Adds a single line at a fixed baseline on every page, e.g. the
    /// footer; `draw(page_index, page_count)` returns its items.
    pub fn stamp(&mut self, draw: impl Fn(usize, usize) -> Vec<Item>) {
        let n = self.pages.len();
        for (i, page) in self.pages.iter_mut().enumerate() {
            page.extend(draw(i, n));
        }
    }
}

/// The spans of a line side by side from `x`, on the baseline `y`.
pub fn placed(line: Line, mut x: f32, y: f32, size: f32, color: Color) -> Vec<Item> {
    let mut items = Vec::with_capacity(line.len());
    for span in line {
        let w = span.points(size);
        items.push(Item::Text {
            x,
            y,
            size,
            color,
            span,
        });
        x += w;
    }
    items
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_never_cross_the_bottom_margin() {
        let faces = Faces::load().unwrap();
        let mut l = Layout::new(&faces);
        let style = Style::new(10.0, 0.0, BLACK);
        let long = "mot ".repeat(5000);
        l.paragraph(&[(Font::Regular, &long)], &style);
        assert!(l.pages.len() > 3);
        for page in &l.pages {
            for item in page {
                if let Item::Text { y, .. } = item {
                    assert!(*y - 10.0 * 0.3 >= BOTTOM - 0.01 && *y <= TOP);
                }
            }
        }
    }
}
