//! The exports read back as what was written: one record per obligation, in
//! the column layout scripts rely on, and a workbook a person can filter.

use std::io::{Cursor, Read};

use calamine::{Data, Reader, Xlsx};
use thiqa_catalog::Catalog;
use thiqa_export::{catalog_csv, catalog_xlsx, obligation_rows, COLUMNS};

/// The engine's fixture catalog (shared with thiqa-catalog's tests).
fn fixture() -> Catalog {
    Catalog::parse(
        include_str!("../../thiqa-catalog/tests/fixtures/catalog.toml"),
        &[
            (
                "3.01.toml",
                include_str!("../../thiqa-catalog/tests/fixtures/3.01.toml"),
            ),
            (
                "3.05.toml",
                include_str!("../../thiqa-catalog/tests/fixtures/3.05.toml"),
            ),
        ],
    )
    .expect("fixture parses")
}

fn embedded() -> &'static Catalog {
    thiqa_catalog::try_dgssi_cloud_2025()
        .unwrap_or_else(|e| panic!("the embedded catalog does not parse: {e}"))
}

fn csv_records(c: &Catalog) -> (Vec<String>, Vec<csv::StringRecord>) {
    let mut out = Vec::new();
    catalog_csv(c, &mut out).unwrap();
    let mut r = csv::Reader::from_reader(out.as_slice());
    let header = r.headers().unwrap().iter().map(String::from).collect();
    let records = r.records().collect::<Result<_, _>>().unwrap();
    (header, records)
}

fn check_csv(c: &Catalog) {
    let (header, records) = csv_records(c);
    assert_eq!(header, COLUMNS);
    let ids: Vec<&str> = c.obligations().map(|(_, _, o)| o.id.as_str()).collect();
    assert_eq!(records.len(), ids.len(), "one record per obligation");
    for (rec, (_, _, o)) in records.iter().zip(c.obligations()) {
        assert_eq!(&rec[0], o.id);
        assert_eq!(
            &rec[11], o.text_fr,
            "official text intact, accents included"
        );
        assert_eq!(rec.len(), COLUMNS.len());
    }
}

#[test]
fn fixture_csv_has_one_record_per_obligation_with_readable_cells() {
    let c = fixture();
    check_csv(&c);
    let (_, records) = csv_records(&c);
    let b = &records[1];
    assert_eq!(&b[0], "3.1.1.b");
    assert_eq!(&b[1], "3.1");
    assert_eq!(&b[2], "3.1.1");
    assert_eq!(&b[7], "all");
    assert_eq!(&b[8], "2");
    assert_eq!(
        &b[13],
        "3.1.1.b.1 Les changements organisationnels.\n\
         3.1.1.b.2 Les changements propres au SaaS. [models: saas]\n  \
         3.1.1.b.2.1 Les interfaces des utilisateurs finaux."
    );
    let gateway = &records[3];
    assert_eq!(&gateway[6], "technical; procedure");
    assert_eq!(&gateway[7], "iaas; paas");
    assert_eq!(&gateway[9], "when remote_intervention_abroad");
    assert_eq!(&records[4][9], "when_not password_authentication");
    assert_eq!(&records[4][7], "all", "every model listed = all");
}

fn sheet_xml(bytes: &[u8], name: &str) -> String {
    let mut zip = zip::ZipArchive::new(Cursor::new(bytes)).unwrap();
    let mut s = String::new();
    zip.by_name(name).unwrap().read_to_string(&mut s).unwrap();
    s
}

fn check_xlsx(c: &Catalog) {
    let bytes = catalog_xlsx(c).unwrap();
    let mut book: Xlsx<_> = calamine::open_workbook_from_rs(Cursor::new(bytes.clone())).unwrap();
    assert_eq!(book.sheet_names(), ["Obligations", "Synthèse"]);
    let range = book.worksheet_range("Obligations").unwrap();
    let rows: Vec<Vec<String>> = range
        .rows()
        .map(|r| r.iter().map(|d| d.to_string()).collect())
        .collect();
    assert_eq!(rows[0], COLUMNS);
    let expected = obligation_rows(c);
    assert_eq!(
        rows.len(),
        expected.len() + 1,
        "header + one row per obligation"
    );
    for (got, want) in rows[1..].iter().zip(&expected) {
        // calamine drops trailing empty cells.
        let mut got = got.clone();
        got.resize(COLUMNS.len(), String::new());
        assert_eq!(&got, want);
    }

    let summary = book.worksheet_range("Synthèse").unwrap();
    let count = |label: &str| {
        summary.rows().find_map(|r| match (r.first(), r.get(1)) {
            (Some(Data::String(l)), Some(Data::Float(n))) if l == label => Some(*n as usize),
            _ => None,
        })
    };
    let stats = c.stats();
    assert_eq!(count("Obligations"), Some(stats.obligations));
    assert_eq!(count("Articles"), Some(stats.articles));

    let xml = sheet_xml(&bytes, "xl/worksheets/sheet1.xml");
    assert!(
        xml.contains(r#"ySplit="1""#) && xml.contains(r#"state="frozen""#),
        "header row frozen"
    );
    let last_col = (b'A' + COLUMNS.len() as u8 - 1) as char;
    assert!(
        xml.contains(&format!(
            r#"<autoFilter ref="A1:{last_col}{}"/>"#,
            expected.len() + 1
        )),
        "autofilter over the whole table"
    );
    assert!(xml.contains("<cols>"), "column widths set");
    let styles = sheet_xml(&bytes, "xl/styles.xml");
    assert!(styles.contains("<b/>"), "a bold font exists for the header");
    assert!(
        xml.contains(r#"<c r="A1" s="1" t="s">"#) || xml.contains(r#"<c r="A1" s="1""#),
        "header cells use the bold style"
    );
    // Reproducible: the same catalog gives the same bytes.
    assert_eq!(bytes, catalog_xlsx(c).unwrap());
}

#[test]
fn fixture_xlsx_round_trips() {
    check_xlsx(&fixture());
}

#[test]
fn embedded_catalog_csv_has_one_record_per_obligation() {
    check_csv(embedded());
}

#[test]
fn embedded_catalog_xlsx_round_trips() {
    let c = embedded();
    check_xlsx(c);
    assert!(
        c.obligations().count() > 200,
        "the référentiel has its obligations"
    );
}
