//! `thiqa catalog …` as a compliance officer runs it from the shell.

use std::process::{Command, Output};

fn thiqa(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_thiqa"))
        .arg("catalog")
        .args(args)
        .output()
        .expect("the thiqa binary runs")
}

fn ok(args: &[&str]) -> String {
    let out = thiqa(args);
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(
        out.status.success(),
        "thiqa catalog {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

fn catalog() -> &'static thiqa_catalog::Catalog {
    thiqa_catalog::dgssi_cloud_2025()
}

#[test]
fn stats_count_the_whole_text() {
    let fr = ok(&["stats"]);
    assert!(fr.contains("Chapitres : 15\n"), "{fr}");
    assert!(
        fr.contains(&format!(
            "Obligations : {}\n",
            catalog().obligations().count()
        )),
        "{fr}"
    );
    let en = ok(&["stats", "--lang", "en"]);
    assert!(en.contains("Chapters: 15\n"), "{en}");
}

#[test]
fn show_prints_the_french_text_then_the_english_with_attributes() {
    let out = ok(&["show", "3.6.3.b"]);
    let o = catalog().obligation("3.6.3.b").unwrap();
    let fr = out.find(&o.text_fr).expect("French text");
    let en = out.find(&o.text_en).expect("English text");
    assert!(fr < en, "{out}");
    assert!(
        out.contains("Niveaux : niveau 2") && out.contains("Force : obligation"),
        "{out}"
    );
    assert!(out.contains("- 3.6.3.b.1 "), "items: {out}");

    let article = ok(&["show", "3.6.3"]);
    assert!(
        article.contains("3.6.3.a ") && article.contains("3.6.3.b "),
        "{article}"
    );

    let missing = thiqa(&["show", "9.9.9"]);
    assert!(!missing.status.success());
    assert!(String::from_utf8_lossy(&missing.stderr).contains("9.9.9"));
}

#[test]
fn list_names_every_obligation() {
    let out = ok(&["list"]);
    for (_, _, o) in catalog().obligations() {
        assert!(out.contains(&format!("    {} ", o.id)), "{} missing", o.id);
    }
}

#[test]
fn applicability_differs_between_iaas_level_2_and_saas_level_1() {
    let iaas2 = ok(&["applicable", "--model", "iaas", "--level", "2", "--all"]);
    let saas1 = ok(&["applicable", "--model", "saas", "--level", "1", "--all"]);
    assert!(
        iaas2.contains("+ 3.6.3.b ")
            && iaas2.contains("Applicable : réservé au niveau 2 (service de niveau 2)"),
        "{iaas2}"
    );
    assert!(
        saas1.contains("- 3.6.3.b ")
            && saas1.contains("Non applicable : réservé au niveau 2 (service de niveau 1)"),
        "{saas1}"
    );
    assert!(iaas2.contains("+ 3.12.4.c ") && saas1.contains("- 3.12.4.c "));
    assert!(
        iaas2.contains("- 3.5.5.c ")
            && iaas2.contains("Non applicable : réservé aux services SaaS (service IaaS)"),
        "{iaas2}"
    );
    assert!(saas1.contains("+ 3.5.5.c "), "{saas1}");
    assert!(
        saas1.contains("Obligations applicables :"),
        "counts at the end"
    );

    // Without --all, only what applies.
    let only = ok(&[
        "applicable",
        "--model",
        "saas",
        "--level",
        "1",
        "--lang",
        "en",
    ]);
    assert!(
        !only.contains("3.6.3.b ") && only.contains("+ 3.5.5.c "),
        "{only}"
    );
    assert!(only.contains("Applicable obligations:"), "{only}");

    let diff = ok(&[
        "compare",
        "--left-model",
        "iaas",
        "--left-level",
        "2",
        "--right-model",
        "saas",
        "--right-level",
        "1",
    ]);
    for id in ["3.6.3.b —", "3.12.4.c —", "3.5.5.c —"] {
        assert!(diff.contains(id), "{id}: {diff}");
    }
}

#[test]
fn an_unknown_fact_is_refused_by_name_with_the_valid_ones() {
    for args in [
        &["applicable", "--fact", "nosuch=yes"][..],
        &[
            "applicable",
            "--model",
            "iaas",
            "--level",
            "1",
            "--fact",
            "nosuch=yes",
        ][..],
    ] {
        let out = thiqa(args);
        assert!(!out.status.success());
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.contains("nosuch") && err.contains("internal_development"),
            "{err}"
        );
    }
}

#[test]
fn search_ignores_accents() {
    let out = ok(&["search", "securite", "--chapter", "3.6"]);
    assert!(out.lines().any(|l| l.starts_with("3.6.")), "{out}");
    assert!(!out.lines().any(|l| l.starts_with("3.5.")), "{out}");
}

#[test]
fn csv_export_has_a_header_and_a_row_per_obligation() {
    let out = thiqa(&["export", "--format", "csv"]);
    assert!(out.status.success());
    let mut reader = csv::Reader::from_reader(out.stdout.as_slice());
    assert_eq!(&reader.headers().unwrap()[0], "id");
    assert_eq!(reader.records().count(), catalog().obligations().count());

    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("catalog.xlsx");
    let xlsx = thiqa(&[
        "export",
        "--format",
        "xlsx",
        "--out",
        file.to_str().unwrap(),
    ]);
    assert!(
        xlsx.status.success(),
        "{}",
        String::from_utf8_lossy(&xlsx.stderr)
    );
    assert!(std::fs::read(&file).unwrap().starts_with(b"PK"));
    assert!(
        !thiqa(&["export", "--format", "xlsx"]).status.success(),
        "xlsx needs --out"
    );

    let profile = ok(&[
        "export",
        "--format",
        "oscal-profile",
        "--model",
        "saas",
        "--level",
        "1",
    ]);
    assert!(profile.contains("\"o-3.5.5.c\"") && !profile.contains("\"o-3.6.3.b\""));
}
