//! The statement of applicability as PDF, read back with poppler's
//! `pdftotext` and `pdfinfo` (package poppler-utils): what an auditor's
//! viewer would show and what a search or copy-paste would find.

use std::path::{Path, PathBuf};
use std::process::Command;

use thiqa_export::{soa_pdf, SoaPdfHeader, SoaPdfLabels, SoaRow};

fn header(labels: SoaPdfLabels) -> SoaPdfHeader {
    SoaPdfHeader {
        service: "Cloud souverain IaaS".into(),
        provider: "Atlas Numérique SARL".into(),
        catalog_version: "DGSSI 2024.1".into(),
        generated_at: "2026-01-31T09:30:00Z".into(),
        labels,
    }
}

fn chapters() -> Vec<(String, String)> {
    vec![
        ("3.1".into(), "Politiques de sécurité".into()),
        ("3.6".into(), "Cryptographie".into()),
    ]
}

/// About 5,000 characters, numbered so we can tell where it goes.
fn long_statement() -> String {
    let mut s = String::new();
    let mut i = 1;
    while s.len() < 5000 {
        s.push_str(&format!(
            "Étape{i:03} : les données sont chiffrées (AES-256) avec une clé gérée par le fournisseur. "
        ));
        i += 1;
    }
    s
}

fn last_step() -> String {
    let s = long_statement();
    let at = s.rfind("Étape").unwrap();
    s[at..at + "Étape000".len()].to_string()
}

fn rows() -> Vec<SoaRow> {
    vec![
        SoaRow {
            chapter: "3.1".into(),
            id: "3.1.1.a".into(),
            title: "Politique de sécurité du système d'information (PSSI)".into(),
            applicable: true,
            reason: "Toujours applicable".into(),
            status: "compliant".into(),
            statement:
                "La PSSI est approuvée (voir annexe) et publiée sous C:\\Politiques\\pssi.pdf."
                    .into(),
            owner: "Équipe 🔐 sécurité".into(),
            next_review: "2026-06-30".into(),
            evidence: "PSSI v3 (sha256 0123456789ab)".into(),
            ..Default::default()
        },
        SoaRow {
            chapter: "3.6".into(),
            id: "3.6.3.b".into(),
            title: "Gestion des clés cryptographiques".into(),
            applicable: false,
            reason: "exigée au niveau 2 seulement".into(),
            status: "not_applicable".into(),
            justification: "Le service n’héberge pas de clés « clients » – voir l’offre…".into(),
            ..Default::default()
        },
        SoaRow {
            chapter: "3.6".into(),
            id: "3.6.4.a".into(),
            title: "Chiffrement des données au repos".into(),
            applicable: true,
            status: "partially_compliant".into(),
            statement: long_statement(),
            ..Default::default()
        },
    ]
}

fn temp_pdf(name: &str, bytes: &[u8]) -> PathBuf {
    let path = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("{name}.pdf"));
    std::fs::write(&path, bytes).unwrap();
    path
}

/// Runs a poppler tool; fails loudly when it is missing rather than letting
/// the test pass without having read the PDF.
fn poppler(tool: &str, args: &[&str]) -> String {
    let out = Command::new(tool).args(args).output().unwrap_or_else(|e| {
        panic!(
            "cannot run `{tool}` ({e}): install poppler-utils \
             (apt-get install -y poppler-utils)"
        )
    });
    assert!(
        out.status.success(),
        "{tool} {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("poppler prints UTF-8 with -enc UTF-8")
}

fn pages(path: &Path) -> usize {
    let info = poppler("pdfinfo", &[path.to_str().unwrap()]);
    info.lines()
        .find_map(|l| l.strip_prefix("Pages:"))
        .and_then(|n| n.trim().parse().ok())
        .unwrap_or_else(|| panic!("no page count in pdfinfo's output:\n{info}"))
}

/// Text of one page (1-based), or of all with `None`, whitespace folded so
/// that wrapped lines read as one.
fn text(path: &Path, page: Option<usize>) -> String {
    let p = page.map(|p| p.to_string());
    let mut args = vec!["-enc", "UTF-8"];
    if let Some(p) = &p {
        args.extend(["-f", p, "-l", p]);
    }
    args.extend([path.to_str().unwrap(), "-"]);
    poppler("pdftotext", &args)
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

#[test]
fn french_statement_reads_back_with_its_accents() {
    let bytes = soa_pdf(&header(SoaPdfLabels::french()), &chapters(), &rows()).unwrap();
    assert!(bytes.starts_with(b"%PDF-"));
    let path = temp_pdf("soa-fr", &bytes);
    let n = pages(&path);
    assert!(n > 1, "the long statement needs a second page, got {n}");
    let all = text(&path, None);

    for expected in [
        "Déclaration d'applicabilité",
        "Cloud souverain IaaS",
        "Fournisseur : Atlas Numérique SARL",
        "Version du référentiel : DGSSI 2024.1",
        "Générée le : 2026-01-31 09:30:00 UTC",
        "3.1 — Politiques de sécurité",
        "3.6 — Cryptographie",
        "3.1.1.a — Politique de sécurité du système d'information (PSSI)",
        "3.6.3.b — Gestion des clés cryptographiques",
        "3.6.4.a — Chiffrement des données au repos",
        "Applicable — Toujours applicable",
        "Non applicable — exigée au niveau 2 seulement",
        "Statut : conforme",
        "Statut : non applicable",
        "Statut : partiellement conforme",
        // Parentheses and backslashes survive the PDF string syntax.
        "Déclaration de mise en œuvre : La PSSI est approuvée (voir annexe) et publiée sous C:\\Politiques\\pssi.pdf.",
        // Outside WinAnsi: a '?' instead of a failure.
        "Responsable : Équipe ? sécurité",
        "Prochaine revue : 2026-06-30",
        "Preuves : PSSI v3 (sha256 0123456789ab)",
        "Justification : Le service n’héberge pas de clés « clients » – voir l’offre…",
        "Étape001 : les données sont chiffrées (AES-256)",
        &format!("Page 1 sur {n}"),
        &format!("Page {n} sur {n}"),
    ] {
        assert!(all.contains(expected), "missing {expected:?} in:\n{all}");
    }

    // The summary's counts sit in a column: read them line by line.
    let layout = poppler(
        "pdftotext",
        &[
            "-layout",
            "-enc",
            "UTF-8",
            "-f",
            "1",
            "-l",
            "1",
            path.to_str().unwrap(),
            "-",
        ],
    );
    let count = |label: &str| -> Option<String> {
        layout.lines().find_map(|l| {
            let rest = l.trim().strip_prefix(label)?;
            let n = rest.trim();
            (!n.is_empty() && n.bytes().all(|b| b.is_ascii_digit())).then(|| n.to_string())
        })
    };
    for (label, n) in [
        ("Obligations", "3"),
        ("Applicable", "2"),
        ("Non applicable", "1"),
        ("conforme", "1"),
        ("partiellement conforme", "1"),
        ("non conforme", "0"),
        ("non évaluée", "0"),
    ] {
        assert_eq!(count(label).as_deref(), Some(n), "{label} in:\n{layout}");
    }

    // The long statement starts on one page and ends on a later one, with
    // nothing lost between them.
    let page_of = |needle: &str| {
        (1..=n)
            .find(|&p| text(&path, Some(p)).contains(needle))
            .unwrap_or_else(|| panic!("{needle:?} on no page"))
    };
    let first = page_of("Étape001");
    let last = page_of(&last_step());
    assert!(last > first, "statement from page {first} to {last}");
    assert_read_whole(&path, n, &long_statement());
}

/// `statement` is in the PDF with nothing lost or reordered, reading the
/// pages in order without their footers.
fn assert_read_whole(path: &Path, pages: usize, statement: &str) {
    let mut body = String::new();
    for p in 1..=pages {
        let footer =
            format!("Déclaration d'applicabilité — Cloud souverain IaaS Page {p} sur {pages}");
        let page = text(path, Some(p));
        assert!(
            page.ends_with(&footer),
            "page {p} ends with its footer: {page}"
        );
        body.push_str(&page[..page.len() - footer.len()]);
    }
    let body: String = body.split_whitespace().collect();
    let expected: String = statement.split_whitespace().collect();
    assert!(
        body.contains(&expected),
        "the statement is not read back whole"
    );
}

#[test]
fn statements_of_several_pages_break_between_lines() {
    // Paragraphs, blank lines, and a 3,000-character "word" (a pasted
    // key or log line) that must be cut to fit the width.
    let mut statement = long_statement().repeat(6);
    statement.push_str("\n\nAnnexe :\n");
    statement.push_str(&"0123456789abcdef".repeat(190));
    statement.push_str("\nFin de la déclaration.");
    let rows = vec![SoaRow {
        chapter: "3.6".into(),
        id: "3.6.4.a".into(),
        title: "Chiffrement des données au repos".into(),
        applicable: true,
        status: "compliant".into(),
        statement: statement.clone(),
        ..Default::default()
    }];
    let bytes = soa_pdf(&header(SoaPdfLabels::french()), &chapters(), &rows).unwrap();
    let path = temp_pdf("soa-long", &bytes);
    let n = pages(&path);
    assert!(n >= 4, "~33,000 characters fill several pages, got {n}");
    assert!(text(&path, Some(n)).contains("Fin de la déclaration."));
    assert_read_whole(&path, n, &statement);
}

#[test]
fn english_labels_are_used() {
    let bytes = soa_pdf(&header(SoaPdfLabels::english()), &chapters(), &rows()).unwrap();
    let path = temp_pdf("soa-en", &bytes);
    let all = text(&path, None);
    for expected in [
        "Statement of applicability",
        "Provider: Atlas Numérique SARL",
        "Status: partially compliant",
        "Implementation statement: La PSSI",
        "Page 1 of",
    ] {
        assert!(all.contains(expected), "missing {expected:?} in:\n{all}");
    }
}

#[test]
fn three_hundred_obligations_build() {
    let chapters: Vec<(String, String)> = (1..=10)
        .map(|c| (format!("3.{c}"), format!("Chapitre numéro {c} — sécurité")))
        .collect();
    let statuses = [
        "compliant",
        "partially_compliant",
        "non_compliant",
        "not_assessed",
    ];
    let rows: Vec<SoaRow> = (0..300)
        .map(|i| SoaRow {
            chapter: format!("3.{}", i / 30 + 1),
            id: format!("3.{}.{}.x", i / 30 + 1, i % 30 + 1),
            title: format!("Obligation n°{i} relative à la sécurité de l'hébergement"),
            applicable: i % 7 != 0,
            reason: if i % 7 == 0 {
                "hors du périmètre du modèle IaaS".into()
            } else {
                String::new()
            },
            status: statuses[i % 4].into(),
            statement: "Mesure mise en œuvre et contrôlée chaque trimestre. ".repeat(i % 25),
            justification: String::new(),
            owner: if i % 3 == 0 {
                "RSSI".into()
            } else {
                String::new()
            },
            next_review: if i % 2 == 0 {
                "2026-12-31".into()
            } else {
                String::new()
            },
            evidence: if i % 5 == 0 {
                format!("Rapport d'audit {i} (sha256 {})", "ab".repeat(32))
            } else {
                String::new()
            },
        })
        .collect();
    let started = std::time::Instant::now();
    let bytes = soa_pdf(&header(SoaPdfLabels::french()), &chapters, &rows).unwrap();
    let took = started.elapsed();
    let path = temp_pdf("soa-300", &bytes);
    let n = pages(&path);
    eprintln!(
        "300 rows: {} bytes, {n} pages, built in {took:?}",
        bytes.len()
    );
    assert!(n >= 10, "{n} pages for 300 obligations");
    let last = text(&path, Some(n));
    assert!(last.contains(&format!("Page {n} sur {n}")), "{last}");
    assert!(text(&path, None).contains("3.10.30.x — Obligation n°299"));

    // No word runs into the right margin (x > 595.28 - 56) nor the footer.
    let bbox = poppler("pdftotext", &["-bbox", path.to_str().unwrap(), "-"]);
    let attr = |line: &str, name: &str| -> Option<f32> {
        let at = line.find(&format!("{name}=\""))? + name.len() + 2;
        line[at..].split('"').next()?.parse().ok()
    };
    let mut words = 0;
    for line in bbox.lines().filter(|l| l.trim_start().starts_with("<word")) {
        words += 1;
        let x = attr(line, "xMax").unwrap();
        assert!(x <= 595.28 - 56.0 + 0.5, "word past the margin: {line}");
    }
    assert!(words > 10_000, "{words} words");
}

#[test]
fn arabic_and_signs_outside_winansi_read_back() {
    // The fonts are embedded: œ, € and Arabic print and read back, where
    // the standard fonts' WinAnsi had no Arabic at all.
    let statement = "Le cœur du service coûte 12 € par mois ; nom commercial ثقة السحابية, \
                     déclaré à la DGSSI.";
    let rows = vec![SoaRow {
        chapter: "3.1".into(),
        id: "3.1.1.a".into(),
        title: "Politique de sécurité — سياسة أمن المعلومات".into(),
        applicable: true,
        status: "compliant".into(),
        statement: statement.into(),
        owner: "أمل".into(),
        evidence: "PSSI".into(),
        ..Default::default()
    }];
    let mut h = header(SoaPdfLabels::french());
    h.provider = "أطلس الرقمية".into();
    let bytes = soa_pdf(&h, &chapters(), &rows).unwrap();
    let path = temp_pdf("soa-ar", &bytes);
    // pdftotext puts right-to-left text between embedding marks; a
    // reader's search ignores them. (Words with the lām-alif ligature,
    // "الأمن", read back with the pair swapped in poppler 22, though the
    // PDF maps the glyph to لأ in order: avoided here.)
    let all: String = text(&path, None)
        .chars()
        .filter(|c| !matches!(c, '\u{202a}'..='\u{202e}'))
        .collect();
    for expected in [
        "Le cœur du service coûte 12 € par mois",
        "ثقة",
        "السحابية",
        "سياسة أمن المعلومات",
        "Fournisseur : أطلس الرقمية",
        "Responsable : أمل",
        "déclaré à la DGSSI.",
    ] {
        assert!(all.contains(expected), "missing {expected:?} in:\n{all}");
    }
}

#[test]
fn every_obligation_of_the_referentiel_prints() {
    // The statement of a real service: the référentiel's 255 obligations,
    // each with its official text as the statement.
    let c = thiqa_catalog::dgssi_cloud_2025();
    let chapters: Vec<(String, String)> = c
        .chapters
        .iter()
        .map(|ch| (ch.id.clone(), ch.title_fr.clone()))
        .collect();
    let rows: Vec<SoaRow> = c
        .obligations()
        .map(|(ch, _, o)| SoaRow {
            chapter: ch.id.clone(),
            id: o.id.clone(),
            title: o.title_fr.clone(),
            applicable: true,
            status: "compliant".into(),
            statement: o.text_fr.clone(),
            ..Default::default()
        })
        .collect();
    assert!(rows.len() >= 250, "{} obligations", rows.len());
    let bytes = soa_pdf(&header(SoaPdfLabels::french()), &chapters, &rows).unwrap();
    let path = temp_pdf("soa-all", &bytes);
    let n = pages(&path);
    let all = text(&path, None);
    for r in &rows {
        assert!(all.contains(&format!("{} — ", r.id)), "{} missing", r.id);
    }
    assert!(all.contains(&format!("Page {n} sur {n}")));
    // No word runs into the right margin.
    let bbox = poppler("pdftotext", &["-bbox", path.to_str().unwrap(), "-"]);
    for line in bbox.lines().filter(|l| l.trim_start().starts_with("<word")) {
        let at = line.find("xMax=\"").unwrap() + 6;
        let x: f32 = line[at..].split('"').next().unwrap().parse().unwrap();
        assert!(x <= 595.28 - 56.0 + 0.5, "word past the margin: {line}");
    }
}
