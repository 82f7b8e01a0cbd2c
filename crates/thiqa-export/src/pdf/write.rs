//! Laid-out pages to PDF bytes with `pdf-writer`: the two standard fonts
//! (not embedded: every viewer has them), one compressed content stream per
//! page, and bookmarks for the chapters.

use std::io::Write;

use flate2::write::ZlibEncoder;
use flate2::Compression;
use pdf_writer::{Content, Filter, Finish, Name, Pdf, Rect, Ref, Str, TextStr};

use super::layout::{Color, Item, Mark, PAGE_H, PAGE_W};
use super::metrics::{HELVETICA, HELVETICA_BOLD};
use super::text::Font;

pub struct Meta<'a> {
    pub title: &'a str,
    pub lang: &'a str,
}

const REGULAR: Name = Name(b"F1");
const BOLD: Name = Name(b"F2");

pub fn document(pages: &[Vec<Item>], marks: &[Mark], meta: &Meta) -> Vec<u8> {
    let catalog = Ref::new(1);
    let tree = Ref::new(2);
    let regular = Ref::new(3);
    let bold = Ref::new(4);
    let info = Ref::new(5);
    let outline = Ref::new(6);
    // Then, per page, the page and its content; then the bookmarks.
    let page_ref = |i: usize| Ref::new(7 + 2 * i as i32);
    let content_ref = |i: usize| Ref::new(8 + 2 * i as i32);
    let mark_ref = |i: usize| Ref::new(7 + 2 * pages.len() as i32 + i as i32);

    let mut pdf = Pdf::new();
    {
        let mut c = pdf.catalog(catalog);
        c.pages(tree);
        c.lang(TextStr(meta.lang));
        if !marks.is_empty() {
            c.outlines(outline);
            c.page_mode(pdf_writer::types::PageMode::UseOutlines);
        }
    }
    pdf.pages(tree)
        .kids((0..pages.len()).map(page_ref))
        .count(pages.len() as i32);
    for (id, base, widths) in [
        (regular, Name(b"Helvetica"), &HELVETICA),
        (bold, Name(b"Helvetica-Bold"), &HELVETICA_BOLD),
    ] {
        // Widths are optional for the standard fonts, but with them a
        // viewer that substitutes another face keeps our line lengths.
        pdf.type1_font(id)
            .base_font(base)
            .encoding_predefined(Name(b"WinAnsiEncoding"))
            .first_char(32)
            .last_char(255)
            .widths(widths.iter().map(|&w| f32::from(w)));
    }
    pdf.document_info(info)
        .title(TextStr(meta.title))
        .producer(TextStr("Thiqa"));

    for (i, items) in pages.iter().enumerate() {
        let mut page = pdf.page(page_ref(i));
        page.parent(tree)
            .media_box(Rect::new(0.0, 0.0, PAGE_W, PAGE_H))
            .contents(content_ref(i));
        page.resources()
            .fonts()
            .pair(REGULAR, regular)
            .pair(BOLD, bold);
        page.finish();
        let raw = content(items);
        match deflate(&raw) {
            Some(packed) => {
                pdf.stream(content_ref(i), &packed)
                    .filter(Filter::FlateDecode);
            }
            None => {
                pdf.stream(content_ref(i), &raw);
            }
        }
    }

    if !marks.is_empty() {
        pdf.outline(outline)
            .first(mark_ref(0))
            .last(mark_ref(marks.len() - 1))
            .count(marks.len() as i32);
        for (i, m) in marks.iter().enumerate() {
            let mut item = pdf.outline_item(mark_ref(i));
            item.title(TextStr(&m.title)).parent(outline);
            if i > 0 {
                item.prev(mark_ref(i - 1));
            }
            if i + 1 < marks.len() {
                item.next(mark_ref(i + 1));
            }
            item.dest().page(page_ref(m.page)).xyz(0.0, m.top, None);
        }
    }
    pdf.finish()
}

fn content(items: &[Item]) -> Vec<u8> {
    let mut c = Content::new();
    let mut font = None;
    let mut color = None;
    c.begin_text();
    for item in items {
        if let Item::Text {
            x,
            y,
            size,
            color: col,
            span,
        } = item
        {
            let f = match span.font {
                Font::Regular => REGULAR,
                Font::Bold => BOLD,
            };
            if font != Some((span.font, *size)) {
                c.set_font(f, *size);
                font = Some((span.font, *size));
            }
            if color != Some(*col) {
                let Color(r, g, b) = *col;
                c.set_fill_rgb(r, g, b);
                color = Some(*col);
            }
            c.set_text_matrix([1.0, 0.0, 0.0, 1.0, *x, *y]);
            c.show(Str(&span.bytes));
        }
    }
    c.end_text();
    for item in items {
        if let Item::Rule {
            x1,
            x2,
            y,
            width,
            gray,
        } = item
        {
            c.set_stroke_gray(*gray)
                .set_line_width(*width)
                .move_to(*x1, *y)
                .line_to(*x2, *y)
                .stroke();
        }
    }
    c.finish().into_vec()
}

/// Text streams shrink ~4x. Writing into a Vec cannot really fail; if it
/// ever did, the page is stored uncompressed rather than lost.
fn deflate(data: &[u8]) -> Option<Vec<u8>> {
    let mut z = ZlibEncoder::new(Vec::new(), Compression::default());
    z.write_all(data).ok()?;
    z.finish().ok()
}
