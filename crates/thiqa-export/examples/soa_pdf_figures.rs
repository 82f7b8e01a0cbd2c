//! Prints how long the statement of applicability of the whole référentiel
//! (every obligation of the embedded catalog, its official text as the
//! statement) takes to render as PDF, and its size. Figures, not a timed
//! test: `cargo run --release -p thiqa-export --example soa_pdf_figures`.

use std::time::{Duration, Instant};

use thiqa_export::{soa_pdf, SoaPdfHeader, SoaPdfLabels, SoaRow};

const RUNS: u32 = 5;

fn main() {
    let c = thiqa_catalog::dgssi_cloud_2025();
    let chapters: Vec<(String, String)> = c
        .chapters
        .iter()
        .map(|ch| (ch.id.clone(), ch.title_fr.clone()))
        .collect();
    let statuses = ["compliant", "partially_compliant", "non_compliant"];
    let rows: Vec<SoaRow> = c
        .obligations()
        .enumerate()
        .map(|(i, (ch, _, o))| SoaRow {
            chapter: ch.id.clone(),
            id: o.id.clone(),
            title: o.title_fr.clone(),
            applicable: true,
            status: statuses[i % statuses.len()].into(),
            statement: o.text_fr.clone(),
            owner: "RSSI".into(),
            evidence: format!("Rapport d'audit {i} (sha256 {})", "ab".repeat(6)),
            ..Default::default()
        })
        .collect();
    let header = SoaPdfHeader {
        service: "Cloud souverain IaaS".into(),
        provider: "Atlas Numérique SARL".into(),
        catalog_version: format!("{} {}", c.id(), c.version()),
        generated_at: "2026-01-31T09:30:00Z".into(),
        labels: SoaPdfLabels::french(),
    };
    let mut best = Duration::MAX;
    let mut size = 0;
    for _ in 0..RUNS {
        let started = Instant::now();
        let pdf = soa_pdf(&header, &chapters, &rows).expect("the statement renders");
        best = best.min(started.elapsed());
        size = pdf.len();
    }
    println!(
        "{} obligations: {size} bytes, best of {RUNS} renders {best:?}",
        rows.len()
    );
}
