use super::*;
use crate::fixture;

fn decision<'a>(decisions: &'a [Decision], id: &str) -> &'a Decision {
    decisions
        .iter()
        .find(|d| d.id == id)
        .unwrap_or_else(|| panic!("no decision for {id}"))
}

#[test]
fn unrestricted_obligation_applies_everywhere_and_says_so() {
    let c = fixture::catalog();
    for model in ServiceModel::ALL {
        for level in Level::ALL {
            let d = c.applicability(&Profile::new(model, level));
            let a = decision(&d, "3.1.1.a");
            assert!(a.applicable);
            assert!(a.reasons.is_empty());
            assert_eq!(
                a.explain(Lang::Fr, &c),
                "Applicable : s'applique à tous les modèles et niveaux"
            );
            assert_eq!(
                a.explain(Lang::En, &c),
                "Applicable: applies to every model and level"
            );
        }
    }
}

#[test]
fn level_restriction_is_explained_with_the_service_level() {
    let c = fixture::catalog();
    let d = c.applicability(&Profile::new(ServiceModel::Iaas, Level::One));
    let b = decision(&d, "3.1.1.b");
    assert!(!b.applicable);
    assert_eq!(
        b.explain(Lang::Fr, &c),
        "Non applicable : réservé au niveau 2 (service de niveau 1)"
    );
    assert_eq!(
        b.explain(Lang::En, &c),
        "Not applicable: level 2 only (level 1 service)"
    );
    let d = c.applicability(&Profile::new(ServiceModel::Iaas, Level::Two));
    assert_eq!(
        decision(&d, "3.1.1.b").explain(Lang::Fr, &c),
        "Applicable : réservé au niveau 2 (service de niveau 2)"
    );
}

#[test]
fn when_fact_uses_the_catalog_default_until_answered() {
    let c = fixture::catalog();
    let p = Profile::new(ServiceModel::Saas, Level::One);
    let d = c.applicability(&p);
    let a = decision(&d, "3.5.5.a");
    assert!(a.applicable, "password_authentication defaults to yes");
    assert_eq!(
        a.explain(Lang::Fr, &c),
        "Applicable : condition « mot de passe » remplie (réponse par défaut)"
    );

    let p = p.with_fact("password_authentication", false);
    let d = c.applicability(&p);
    let a = decision(&d, "3.5.5.a");
    assert!(!a.applicable);
    assert_eq!(
        a.explain(Lang::Fr, &c),
        "Non applicable : condition « mot de passe » non remplie"
    );
    assert_eq!(
        a.explain(Lang::En, &c),
        "Not applicable: condition \"password\" not met"
    );
    // The when_not twin flips.
    let c_dec = decision(&d, "3.5.5.c");
    assert!(c_dec.applicable);
    assert_eq!(
        c_dec.explain(Lang::Fr, &c),
        "Applicable : cas d'exclusion « mot de passe » non rencontré"
    );
}

#[test]
fn every_failed_restriction_is_named_and_only_those() {
    let c = fixture::catalog();
    // 3.5.5.b: iaas/paas, level 1, when remote_intervention_abroad (default no).
    let p = Profile::new(ServiceModel::Saas, Level::One);
    let b = decision(&c.applicability(&p), "3.5.5.b").clone();
    assert!(!b.applicable);
    assert_eq!(b.reasons.len(), 3);
    assert_eq!(
        b.explain(Lang::Fr, &c),
        "Non applicable : réservé aux services IaaS et PaaS (service SaaS) ; \
         condition « Des interventions à distance sont-elles réalisées depuis l'étranger ? » \
         non remplie (réponse par défaut)"
    );
    let p =
        Profile::new(ServiceModel::Paas, Level::One).with_fact("remote_intervention_abroad", true);
    let b = decision(&c.applicability(&p), "3.5.5.b").clone();
    assert!(b.applicable);
    assert!(b.reasons.iter().all(Reason::met));
}

#[test]
fn a_list_of_every_model_is_no_restriction() {
    let c = fixture::catalog();
    let p =
        Profile::new(ServiceModel::Iaas, Level::One).with_fact("password_authentication", false);
    let d = decision(&c.applicability(&p), "3.5.5.c").clone();
    assert_eq!(d.reasons.len(), 1, "{:?}", d.reasons);
}

#[test]
fn items_inherit_their_obligation_and_add_their_own_restrictions() {
    let c = fixture::catalog();
    let l1 = c.applicability(&Profile::new(ServiceModel::Saas, Level::One));
    for id in ["3.1.1.b.1", "3.1.1.b.2", "3.1.1.b.2.1"] {
        let d = decision(&l1, id);
        assert!(!d.applicable, "{id} must follow its obligation");
        assert_eq!(
            d.subject,
            Subject::Item {
                obligation: "3.1.1.b".into()
            }
        );
        assert!(d.explain(Lang::Fr, &c).contains("réservé au niveau 2"));
    }
    let iaas2 = c.applicability(&Profile::new(ServiceModel::Iaas, Level::Two));
    assert!(decision(&iaas2, "3.1.1.b.1").applicable);
    let b2 = decision(&iaas2, "3.1.1.b.2");
    assert!(!b2.applicable);
    assert_eq!(
        b2.explain(Lang::Fr, &c),
        "Non applicable : réservé aux services SaaS (service IaaS)"
    );
    // A nested item follows its parent item.
    assert!(!decision(&iaas2, "3.1.1.b.2.1").applicable);
    let saas2 = c.applicability(&Profile::new(ServiceModel::Saas, Level::Two));
    assert!(decision(&saas2, "3.1.1.b.2.1").applicable);
}

#[test]
fn decisions_follow_the_text_order_with_items_after_their_obligation() {
    let c = fixture::catalog();
    let ids: Vec<String> = c
        .applicability(&Profile::new(ServiceModel::Iaas, Level::One))
        .into_iter()
        .map(|d| d.id)
        .collect();
    assert_eq!(
        ids,
        [
            "3.1.1.a",
            "3.1.1.b",
            "3.1.1.b.1",
            "3.1.1.b.2",
            "3.1.1.b.2.1",
            "3.5.5.a",
            "3.5.5.b",
            "3.5.5.c"
        ]
    );
}

#[test]
fn compare_lists_only_what_changes_with_both_reasons() {
    let c = fixture::catalog();
    let l1 = Profile::new(ServiceModel::Iaas, Level::One);
    let l2 = Profile::new(ServiceModel::Iaas, Level::Two);
    let diff = c.compare(&l1, &l2);
    let ids: Vec<&str> = diff.iter().map(|d| d.id.as_str()).collect();
    assert_eq!(ids, ["3.1.1.b", "3.1.1.b.1"]);
    assert!(!diff[0].left.applicable && diff[0].right.applicable);
    assert_eq!(
        diff[0].explain(Lang::Fr, &c, &l1, &l2),
        "3.1.1.b — IaaS, niveau 1 : Non applicable : réservé au niveau 2 (service de niveau 1) / \
         IaaS, niveau 2 : Applicable : réservé au niveau 2 (service de niveau 2)"
    );
    assert!(c.compare(&l1, &l1).is_empty());
}

#[test]
fn profile_parsing_names_unknown_facts() {
    let c = fixture::catalog();
    let p = Profile::from_toml(
        "model = \"saas\"\nlevel = 2\n[facts]\npassword_authentication = false\n",
        &c,
    )
    .unwrap();
    assert_eq!(p.model, ServiceModel::Saas);
    assert_eq!(p.level, Level::Two);
    assert_eq!(p.facts.get("password_authentication"), Some(&false));

    let err = Profile::from_toml(
        "model = \"saas\"\nlevel = 2\n[facts]\npasword_authentication = false\n",
        &c,
    )
    .unwrap_err();
    assert!(
        matches!(&err, ProfileError::UnknownFacts { unknown, .. } if unknown == &["pasword_authentication"])
    );
    let msg = err.to_string();
    assert!(msg.contains("pasword_authentication"), "{msg}");
    assert!(
        msg.contains("password_authentication"),
        "lists the known facts: {msg}"
    );

    let err = Profile::from_json(r#"{"model":"saas","level":3}"#, &c).unwrap_err();
    assert!(err.to_string().contains("level must be 1 or 2"), "{err}");
    let err = Profile::from_toml("model = \"caas\"\nlevel = 1\n", &c).unwrap_err();
    assert!(err.to_string().contains("caas"), "{err}");
}

#[test]
fn applicable_obligations_matches_decisions() {
    let c = fixture::catalog();
    let p = Profile::new(ServiceModel::Iaas, Level::Two);
    let ids: Vec<&str> = c
        .applicable_obligations(&p)
        .iter()
        .map(|o| o.id.as_str())
        .collect();
    assert_eq!(ids, ["3.1.1.a", "3.1.1.b", "3.5.5.a"]);
}
