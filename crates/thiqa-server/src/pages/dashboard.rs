//! A service's gap analysis: readiness, counts by status, a per-chapter bar
//! chart drawn by the server (SVG, readable without JavaScript, with the same
//! figures as a table), blocking gaps and reviews due.

use thiqa_catalog::{Catalog, Force};
use thiqa_domain::AssessmentStatus;
use thiqa_store::AssessmentSet;

use crate::i18n::Lang;

/// One chapter's figures, and its bar geometry in the chart.
pub struct ChapterBar {
    pub id: String,
    pub title: String,
    pub applicable: usize,
    pub compliant: usize,
    pub partial: usize,
    pub non_compliant: usize,
    pub not_applicable: usize,
    pub not_assessed: usize,
    /// y of the bar, and the x/width of each segment, in SVG units.
    pub y: usize,
    pub segments: Vec<(usize, usize, &'static str)>,
}

pub struct Dashboard {
    pub applicable: usize,
    pub readiness_percent: usize,
    pub chapters: Vec<ChapterBar>,
    pub chart_height: usize,
    /// Mandatory obligations non-compliant or not assessed: (id, status).
    pub blocking: Vec<(String, &'static str)>,
    /// (id, next review date, owner) due within 30 days or overdue.
    pub reviews_due: Vec<(String, String, String)>,
}

pub const BAR_X: usize = 60;
pub const BAR_WIDTH: usize = 500;
const ROW: usize = 26;

/// Figures over the applicable obligations; reviews are due when their date
/// is on or before `soon` (YYYY-MM-DD: ISO dates compare as text).
pub fn build(
    c: &Catalog,
    lang: Lang,
    applicable: &[String],
    stored: &AssessmentSet,
    soon: &str,
) -> Dashboard {
    let status_of = |id: &str| {
        stored
            .get(id)
            .map(|a| a.status)
            .unwrap_or(AssessmentStatus::NotAssessed)
    };
    let mut chapters = Vec::new();
    for (i, ch) in c.chapters.iter().enumerate() {
        let ids: Vec<&String> = applicable
            .iter()
            .filter(|id| c.locate(id).is_some_and(|at| at.chapter == i))
            .collect();
        let count = |s: AssessmentStatus| ids.iter().filter(|id| status_of(id) == s).count();
        let mut bar = ChapterBar {
            id: ch.id.clone(),
            title: match lang {
                Lang::Fr => ch.title_fr.clone(),
                Lang::En => ch.title_en.clone(),
            },
            applicable: ids.len(),
            compliant: count(AssessmentStatus::Compliant),
            partial: count(AssessmentStatus::PartiallyCompliant),
            non_compliant: count(AssessmentStatus::NonCompliant),
            not_applicable: count(AssessmentStatus::NotApplicable),
            not_assessed: count(AssessmentStatus::NotAssessed),
            y: 10 + chapters.len() * ROW,
            segments: vec![],
        };
        let mut x = BAR_X;
        for (n, class) in [
            (bar.compliant, "seg-compliant"),
            (bar.partial, "seg-partial"),
            (bar.non_compliant, "seg-non-compliant"),
            (bar.not_applicable, "seg-not-applicable"),
            (bar.not_assessed, "seg-not-assessed"),
        ] {
            let w = (n * BAR_WIDTH).checked_div(bar.applicable).unwrap_or(0);
            if w > 0 {
                bar.segments.push((x, w, class));
                x += w;
            }
        }
        chapters.push(bar);
    }
    let compliant: usize = chapters.iter().map(|b| b.compliant).sum();
    let blocking = applicable
        .iter()
        .filter(|id| {
            c.obligation(id)
                .is_some_and(|o| o.force == Force::Obligation)
        })
        .filter_map(|id| match status_of(id) {
            AssessmentStatus::NonCompliant => Some((id.clone(), "status-non_compliant")),
            AssessmentStatus::NotAssessed => Some((id.clone(), "status-not_assessed")),
            _ => None,
        })
        .collect();
    let mut reviews_due: Vec<(String, String, String)> = applicable
        .iter()
        .filter_map(|id| stored.get(id))
        .filter(|a| !a.next_review.is_empty() && a.next_review.as_str() <= soon)
        .map(|a| {
            (
                a.obligation_id.clone(),
                a.next_review.clone(),
                a.owner.clone(),
            )
        })
        .collect();
    reviews_due.sort_by(|a, b| a.1.cmp(&b.1));
    Dashboard {
        applicable: applicable.len(),
        readiness_percent: if applicable.is_empty() {
            0
        } else {
            compliant * 100 / applicable.len()
        },
        chart_height: 20 + chapters.len() * ROW,
        chapters,
        blocking,
        reviews_due,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bars_add_up_and_blocking_gaps_are_mandatory_ones() {
        let c = thiqa_catalog::dgssi_cloud_2025();
        let applicable: Vec<String> = ["3.1.1.a", "3.1.1.b", "3.1.2.a", "3.6.3.a"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        let a = |id: &str, status, review: &str| thiqa_store::Assessment {
            obligation_id: id.into(),
            status,
            statement: String::new(),
            justification: String::new(),
            owner: "rssi".into(),
            next_review: review.into(),
            updated_at: 0,
            updated_by: "x".into(),
            version: 0,
        };
        let stored = AssessmentSet::new(vec![
            a("3.1.1.a", AssessmentStatus::Compliant, "2026-12-01"),
            a("3.1.1.b", AssessmentStatus::NonCompliant, "2027-06-01"),
        ]);
        let d = build(c, Lang::Fr, &applicable, &stored, "2026-12-29");
        assert_eq!(d.readiness_percent, 25);
        let ch1 = &d.chapters[0];
        assert_eq!(
            (
                ch1.applicable,
                ch1.compliant,
                ch1.non_compliant,
                ch1.not_assessed
            ),
            (3, 1, 1, 1)
        );
        assert!(ch1.segments.iter().map(|s| s.1).sum::<usize>() <= BAR_WIDTH);
        let blocking: Vec<&str> = d.blocking.iter().map(|b| b.0.as_str()).collect();
        assert_eq!(blocking, ["3.1.1.b", "3.1.2.a", "3.6.3.a"]);
        assert_eq!(
            d.reviews_due,
            vec![(
                "3.1.1.a".to_string(),
                "2026-12-01".to_string(),
                "rssi".to_string()
            )]
        );
    }
}
