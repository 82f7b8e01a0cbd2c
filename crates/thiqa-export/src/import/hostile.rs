//! Workbooks built by hand, part by part, as an attacker would: the tests
//! of every crate that imports spreadsheets (this one, the server, the
//! binary) send these, so they live beside the reader they attack.

use std::io::Write;

use zip::write::SimpleFileOptions;

fn deflated() -> SimpleFileOptions {
    SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated)
}

/// A minimal XLSX whose first sheet is `sheet_xml` (the whole
/// `<worksheet>` document), with `shared_strings` as its
/// `xl/sharedStrings.xml` when given.
pub fn workbook(sheet_xml: &str, shared_strings: Option<&str>) -> Vec<u8> {
    let mut parts = vec![
        (
            "[Content_Types].xml",
            r#"<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/></Types>"#.to_string(),
        ),
        (
            "_rels/.rels",
            r#"<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>"#.to_string(),
        ),
        (
            "xl/workbook.xml",
            r#"<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="Feuil1" sheetId="1" r:id="rId1"/></sheets></workbook>"#.to_string(),
        ),
        (
            "xl/_rels/workbook.xml.rels",
            r#"<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>"#.to_string(),
        ),
        ("xl/worksheets/sheet1.xml", sheet_xml.to_string()),
    ];
    if let Some(s) = shared_strings {
        parts.push(("xl/sharedStrings.xml", s.to_string()));
    }
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for (name, text) in parts {
        // Writing into memory cannot fail.
        let _ = zip.start_file(name, deflated());
        let _ = zip.write_all(text.as_bytes());
    }
    zip.finish().map(|c| c.into_inner()).unwrap_or_default()
}

/// A `<worksheet>` holding these cells: (reference such as `A1`, inline text).
pub fn sheet(cells: &[(&str, &str)]) -> String {
    let mut xml = String::from(
        r#"<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>"#,
    );
    for (r, text) in cells {
        let row: String = r.chars().filter(char::is_ascii_digit).collect();
        xml.push_str(&format!(
            r#"<row r="{row}"><c r="{r}" t="inlineStr"><is><t>{text}</t></is></c></row>"#
        ));
    }
    xml.push_str("</sheetData></worksheet>");
    xml
}

/// The 1.6 KB workbook of the review: cells A1 and XFD1048576 only, a
/// dense range of 512 GiB to a reader that allocates the used range.
pub fn corner_cells() -> Vec<u8> {
    workbook(&sheet(&[("A1", "id"), ("XFD1048576", "x")]), None)
}

/// A shared-strings part declaring ten trillion strings.
pub fn huge_shared_strings() -> Vec<u8> {
    workbook(
        &sheet(&[("A1", "id")]),
        Some(
            r#"<?xml version="1.0" encoding="UTF-8"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="1" uniqueCount="10000000000000"><si><t>x</t></si></sst>"#,
        ),
    )
}

/// A zip bomb: a sheet part of `mib` MiB of spaces, deflated to a few
/// dozen KiB.
pub fn zip_bomb(mib: usize) -> Vec<u8> {
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let _ = zip.start_file("xl/worksheets/sheet1.xml", deflated());
    let block = vec![b' '; 1 << 20];
    for _ in 0..mib {
        let _ = zip.write_all(&block);
    }
    zip.finish().map(|c| c.into_inner()).unwrap_or_default()
}
