//! Laid-out pages to PDF bytes with krilla: the faces embedded once and
//! subset to the glyphs used, with the Unicode maps that let a reader
//! search and copy the text; compressed content streams; bookmarks for the
//! chapters; title and language in the metadata.

use krilla::color::rgb;
use krilla::destination::XyzDestination;
use krilla::error::KrillaResult;
use krilla::geom::{PathBuilder, Point};
use krilla::metadata::Metadata;
use krilla::outline::{Outline, OutlineNode};
use krilla::page::PageSettings;
use krilla::paint::{Fill, Stroke};
use krilla::surface::Surface;
use krilla::text::Font as PdfFont;
use krilla::Document;

use super::fonts::Face;
use super::layout::{Color, Item, Mark, PAGE_H, PAGE_W};

pub struct Meta<'a> {
    pub title: &'a str,
    pub lang: &'a str,
}

pub fn document(pages: &[Vec<Item>], marks: &[Mark], meta: &Meta) -> KrillaResult<Vec<u8>> {
    // One krilla font per face for the whole document, so each is embedded
    // once. A face krilla cannot read leaves its text undrawn rather than
    // failing the export; the fonts module's tests rule that out.
    let fonts: Vec<Option<PdfFont>> = Face::ALL
        .iter()
        .map(|f| PdfFont::new(f.bytes().into(), 0))
        .collect();
    let mut doc = Document::new();
    let Some(settings) = PageSettings::from_wh(PAGE_W, PAGE_H) else {
        return doc.finish();
    };
    for items in pages {
        let mut page = doc.start_page_with(settings.clone());
        let mut surface = page.surface();
        draw(&mut surface, items, &fonts);
        surface.finish();
        page.finish();
    }
    let mut outline = Outline::new();
    for m in marks {
        // krilla's y grows downwards from the top of the page.
        let to = XyzDestination::new(m.page, Point::from_xy(0.0, PAGE_H - m.top));
        outline.push_child(OutlineNode::new(m.title.clone(), to));
    }
    doc.set_outline(outline);
    doc.set_metadata(
        Metadata::new()
            .title(meta.title.to_string())
            .language(meta.lang.to_string())
            .producer("Thiqa".to_string()),
    );
    doc.finish()
}

fn draw(surface: &mut Surface, items: &[Item], fonts: &[Option<PdfFont>]) {
    for item in items {
        match item {
            Item::Text {
                x,
                y,
                size,
                color,
                span,
            } => {
                let Some(font) = fonts.get(span.face.index()).cloned().flatten() else {
                    continue;
                };
                surface.set_stroke(None);
                surface.set_fill(Some(Fill {
                    paint: rgb(*color).into(),
                    ..Default::default()
                }));
                surface.draw_glyphs(
                    Point::from_xy(*x, PAGE_H - y),
                    &span.glyphs,
                    font,
                    &span.text,
                    *size,
                    false,
                );
            }
            Item::Rule {
                x1,
                x2,
                y,
                width,
                gray,
            } => {
                let mut path = PathBuilder::new();
                path.move_to(*x1, PAGE_H - y);
                path.line_to(*x2, PAGE_H - y);
                let Some(path) = path.finish() else { continue };
                surface.set_fill(None);
                surface.set_stroke(Some(Stroke {
                    paint: rgb(Color(*gray, *gray, *gray)).into(),
                    width: *width,
                    ..Default::default()
                }));
                surface.draw_path(&path);
            }
        }
    }
}

fn rgb(Color(r, g, b): Color) -> rgb::Color {
    let byte = |v: f32| (v.clamp(0.0, 1.0) * 255.0).round() as u8;
    rgb::Color::new(byte(r), byte(g), byte(b))
}
