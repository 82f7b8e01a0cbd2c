use super::*;
use crate::fixture;
use crate::Catalog;

fn ids(c: &Catalog, q: &SearchQuery) -> Vec<String> {
    c.search(q)
        .iter()
        .map(|h| h.obligation.id.clone())
        .collect()
}

fn text(c: &Catalog, t: &str) -> Vec<String> {
    ids(c, &SearchQuery::new(t))
}

#[test]
fn folding_removes_case_accents_and_ligatures() {
    assert_eq!(
        fold("Sécurité ÉLÈVE Ça Où Île Naïve"),
        "securite eleve ca ou ile naive"
    );
    assert_eq!(fold("Mettre en Œuvre, cæcum"), "mettre en oeuvre, caecum");
    assert_eq!(fold("àâäéèêëîïôöùûüç"), "aaaeeeeiioouuuc");
    // Decomposed input (e + combining acute) folds the same.
    assert_eq!(fold("se\u{301}curite\u{301}"), "securite");
    assert_eq!(
        tokenize("L'analyse d'impact (mémoire, calcul) 3.3.1"),
        ["analyse", "impact", "memoire", "calcul", "3", "3", "1"]
    );
}

#[test]
fn accentless_query_finds_accented_text_and_title_hits_rank_first() {
    let c = fixture::catalog();
    for q in ["securite", "SÉCURITÉ", "Sécurité"] {
        let found = text(&c, q);
        assert_eq!(
            found.first().map(String::as_str),
            Some("3.1.1.a"),
            "{q}: {found:?}"
        );
        // 3.1.1.b only has it in its article's title: found, but after.
        assert!(found.contains(&"3.1.1.b".to_string()), "{q}: {found:?}");
    }
    let hits = c.search(&SearchQuery::new("securite"));
    assert!(hits[0].in_title);
    assert!(hits[0].score > hits[1].score);
}

#[test]
fn title_hit_beats_several_body_hits() {
    let c = fixture::catalog();
    // "mots de passe" is in 3.5.5.a's title and text; "mot de passe" is only
    // a fact label elsewhere. English title word too.
    assert_eq!(
        text(&c, "password").first().map(String::as_str),
        Some("3.5.5.a")
    );
    assert_eq!(
        text(&c, "passe").first().map(String::as_str),
        Some("3.5.5.a")
    );
}

#[test]
fn searches_english_items_evidence_and_prefixes() {
    let c = fixture::catalog();
    assert_eq!(text(&c, "jump host"), ["3.5.5.b"]);
    assert_eq!(text(&c, "oeuvre"), ["3.5.5.b"]);
    assert_eq!(
        text(&c, "utilisateurs finaux"),
        ["3.1.1.b"],
        "nested item text"
    );
    assert_eq!(text(&c, "minutes"), ["3.1.1.b"], "English evidence");
    assert_eq!(text(&c, "compte rendu"), ["3.1.1.b"], "French evidence");
    assert_eq!(text(&c, "robust"), ["3.5.5.a"], "prefix of robustesse");
}

#[test]
fn every_word_must_match_and_stop_words_are_ignored() {
    let c = fixture::catalog();
    assert!(text(&c, "politique password").is_empty());
    assert_eq!(
        text(&c, "la politique de sécurité")
            .first()
            .map(String::as_str),
        Some("3.1.1.a")
    );
    assert!(text(&c, "zzzz").is_empty());
}

#[test]
fn obligation_ids_can_be_searched() {
    let c = fixture::catalog();
    assert_eq!(
        text(&c, "3.5.5.c").first().map(String::as_str),
        Some("3.5.5.c")
    );
    assert_eq!(text(&c, "3.5.5"), ["3.5.5.a", "3.5.5.b", "3.5.5.c"]);
    assert!(text(&c, "3.5.50").is_empty());
}

#[test]
fn filters_keep_what_applies() {
    let c = fixture::catalog();
    let all = |f: &dyn Fn(&mut SearchQuery)| {
        let mut q = SearchQuery::default();
        f(&mut q);
        ids(&c, &q)
    };
    assert_eq!(all(&|_| {}).len(), 5, "empty query lists everything");
    assert_eq!(
        all(&|q| q.model = Some(ServiceModel::Saas)),
        ["3.1.1.a", "3.1.1.b", "3.5.5.a", "3.5.5.c"]
    );
    assert_eq!(
        all(&|q| q.level = Some(Level::One)),
        ["3.1.1.a", "3.5.5.a", "3.5.5.b", "3.5.5.c"]
    );
    assert_eq!(
        all(&|q| q.nature = Some(Nature::Technical)),
        ["3.5.5.a", "3.5.5.b"]
    );
    assert_eq!(all(&|q| q.force = Some(Force::Recommendation)), ["3.5.5.b"]);
    assert_eq!(
        all(&|q| q.recurrence = Some(Recurrence::Annual)),
        ["3.1.1.a"]
    );
    assert_eq!(
        all(&|q| q.chapter = Some("3.5".into())),
        ["3.5.5.a", "3.5.5.b", "3.5.5.c"]
    );
    let mut q = SearchQuery::new("passe");
    q.model = Some(ServiceModel::Saas);
    q.level = Some(Level::Two);
    assert!(!ids(&c, &q).contains(&"3.5.5.b".to_string()));
}

#[test]
fn the_index_is_built_once() {
    let c = fixture::catalog();
    let a: *const SearchIndex = c.search_index();
    let b: *const SearchIndex = c.search_index();
    assert_eq!(a, b);
    assert!(c.search_index().vocabulary_len() > 20);
}
