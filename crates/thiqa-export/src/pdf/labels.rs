//! The words of the PDF, so one layout serves French (the DGSSI's language,
//! the default) and English readers alike.

/// Every word the PDF prints that is not data.
#[derive(Debug, Clone)]
pub struct SoaPdfLabels {
    /// BCP 47 tag of the document ("fr", "en"), for screen readers.
    pub lang: String,
    pub title: String,
    pub service: String,
    pub provider: String,
    pub catalog_version: String,
    pub generated_at: String,
    pub summary: String,
    pub obligations: String,
    pub applicable: String,
    pub not_applicable: String,
    /// Heading of the counts by status (of the applicable obligations).
    pub by_status: String,
    pub status: String,
    pub statement: String,
    pub justification: String,
    pub evidence: String,
    pub owner: String,
    pub next_review: String,
    pub page: String,
    pub of: String,
    /// Put after a label: " :" with a no-break space in French, ":" in English.
    pub colon: String,
    /// Shown for a missing statement or evidence of an applicable obligation.
    pub missing: String,
    /// Status code (`SoaRow::status`) to words, in the summary's order.
    /// Unknown codes are printed as they are.
    pub statuses: Vec<(String, String)>,
}

fn pairs(p: &[(&str, &str)]) -> Vec<(String, String)> {
    p.iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect()
}

impl SoaPdfLabels {
    pub fn french() -> SoaPdfLabels {
        SoaPdfLabels {
            lang: "fr".into(),
            title: "Déclaration d'applicabilité".into(),
            service: "Service".into(),
            provider: "Fournisseur".into(),
            catalog_version: "Version du référentiel".into(),
            generated_at: "Générée le".into(),
            summary: "Synthèse".into(),
            obligations: "Obligations".into(),
            applicable: "Applicable".into(),
            not_applicable: "Non applicable".into(),
            by_status: "Obligations applicables par statut".into(),
            status: "Statut".into(),
            statement: "Déclaration de mise en œuvre".into(),
            justification: "Justification".into(),
            evidence: "Preuves".into(),
            owner: "Responsable".into(),
            next_review: "Prochaine revue".into(),
            page: "Page".into(),
            of: "sur".into(),
            colon: "\u{a0}:".into(),
            missing: "—".into(),
            // Same words as the web pages (locales/fr.ftl, status-*).
            statuses: pairs(&[
                ("compliant", "conforme"),
                ("partially_compliant", "partiellement conforme"),
                ("non_compliant", "non conforme"),
                ("not_applicable", "non applicable"),
                ("not_assessed", "non évaluée"),
            ]),
        }
    }

    pub fn english() -> SoaPdfLabels {
        SoaPdfLabels {
            lang: "en".into(),
            title: "Statement of applicability".into(),
            service: "Service".into(),
            provider: "Provider".into(),
            catalog_version: "Catalog version".into(),
            generated_at: "Generated".into(),
            summary: "Summary".into(),
            obligations: "Obligations".into(),
            applicable: "Applicable".into(),
            not_applicable: "Not applicable".into(),
            by_status: "Applicable obligations by status".into(),
            status: "Status".into(),
            statement: "Implementation statement".into(),
            justification: "Justification".into(),
            evidence: "Evidence".into(),
            owner: "Owner".into(),
            next_review: "Next review".into(),
            page: "Page".into(),
            of: "of".into(),
            colon: ":".into(),
            missing: "—".into(),
            statuses: pairs(&[
                ("compliant", "compliant"),
                ("partially_compliant", "partially compliant"),
                ("non_compliant", "non-compliant"),
                ("not_applicable", "not applicable"),
                ("not_assessed", "not assessed"),
            ]),
        }
    }

    pub(super) fn status_words<'a>(&'a self, code: &'a str) -> &'a str {
        self.statuses
            .iter()
            .find(|(c, _)| c == code)
            .map_or(code, |(_, w)| w.as_str())
    }

    pub(super) fn label(&self, word: &str) -> String {
        format!("{word}{}", self.colon)
    }
}
