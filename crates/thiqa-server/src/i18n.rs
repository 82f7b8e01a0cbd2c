//! User-visible text lives in Fluent message files (`locales/*.ftl`), French
//! first, English beside it; Arabic (right-to-left) will join them.

use std::collections::HashMap;

use fluent_bundle::concurrent::FluentBundle;
use fluent_bundle::{FluentArgs, FluentResource, FluentValue};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Lang {
    #[default]
    Fr,
    En,
}

impl Lang {
    pub const ALL: [Lang; 2] = [Lang::Fr, Lang::En];

    pub fn code(self) -> &'static str {
        match self {
            Lang::Fr => "fr",
            Lang::En => "en",
        }
    }

    pub fn parse(s: &str) -> Option<Lang> {
        match s {
            "fr" => Some(Lang::Fr),
            "en" => Some(Lang::En),
            _ => None,
        }
    }

    /// The first supported language of an Accept-Language header.
    pub fn from_accept_language(header: &str) -> Option<Lang> {
        header
            .split(',')
            .filter_map(|part| part.split(';').next())
            .map(|tag| tag.trim().to_ascii_lowercase())
            .find_map(|tag| Lang::parse(tag.split('-').next().unwrap_or("")))
    }
}

impl From<Lang> for thiqa_catalog::Lang {
    fn from(l: Lang) -> thiqa_catalog::Lang {
        match l {
            Lang::Fr => thiqa_catalog::Lang::Fr,
            Lang::En => thiqa_catalog::Lang::En,
        }
    }
}

const SOURCES: [(Lang, &str); 2] = [
    (Lang::Fr, include_str!("../locales/fr.ftl")),
    (Lang::En, include_str!("../locales/en.ftl")),
];

pub struct I18n {
    bundles: HashMap<Lang, FluentBundle<FluentResource>>,
}

impl std::fmt::Debug for I18n {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("I18n")
    }
}

impl I18n {
    /// Parses the embedded message files; a syntax error is a build defect
    /// caught by the tests.
    pub fn load() -> Result<I18n, String> {
        let mut bundles = HashMap::new();
        for (lang, source) in SOURCES {
            let resource = FluentResource::try_new(source.to_string())
                .map_err(|(_, errs)| format!("{}.ftl: {errs:?}", lang.code()))?;
            let langid: unic_langid::LanguageIdentifier =
                lang.code().parse().map_err(|e| format!("{e:?}"))?;
            let mut bundle = FluentBundle::new_concurrent(vec![langid]);
            // Isolation marks would show up inside HTML attributes.
            bundle.set_use_isolating(false);
            bundle
                .add_resource(resource)
                .map_err(|errs| format!("{}.ftl: {errs:?}", lang.code()))?;
            bundles.insert(lang, bundle);
        }
        Ok(I18n { bundles })
    }

    pub fn message(&self, lang: Lang, key: &str, args: Option<&FluentArgs>) -> String {
        let Some(bundle) = self.bundles.get(&lang) else {
            return key.to_string();
        };
        let Some(pattern) = bundle.get_message(key).and_then(|m| m.value()) else {
            // A missing key shows itself rather than an empty string; the
            // tests check both files define the same keys.
            return key.to_string();
        };
        let mut errors = vec![];
        bundle
            .format_pattern(pattern, args, &mut errors)
            .into_owned()
    }

    /// Message ids defined for a language (for the consistency test).
    pub fn keys(lang: Lang) -> Vec<String> {
        let source = SOURCES
            .iter()
            .find(|(l, _)| *l == lang)
            .map(|(_, s)| *s)
            .unwrap_or("");
        source
            .lines()
            .filter(|l| !l.starts_with([' ', '#', '\t']) && l.contains(" ="))
            .filter_map(|l| l.split(" =").next())
            .map(|k| k.trim().to_string())
            .collect()
    }
}

/// What templates call: `{{ tr.t("key") }}`.
#[derive(Clone, Copy)]
pub struct Tr<'a> {
    pub i18n: &'a I18n,
    pub lang: Lang,
}

impl Tr<'_> {
    pub fn t(&self, key: &str) -> String {
        self.i18n.message(self.lang, key, None)
    }

    /// A message with one named argument.
    pub fn t1(&self, key: &str, name: &str, value: &str) -> String {
        let mut args = FluentArgs::new();
        args.set(name.to_string(), FluentValue::from(value.to_string()));
        self.i18n.message(self.lang, key, Some(&args))
    }

    /// A message with two named arguments.
    pub fn t2(&self, key: &str, (n1, v1): (&str, &str), (n2, v2): (&str, &str)) -> String {
        let mut args = FluentArgs::new();
        args.set(n1.to_string(), FluentValue::from(v1.to_string()));
        args.set(n2.to_string(), FluentValue::from(v2.to_string()));
        self.i18n.message(self.lang, key, Some(&args))
    }

    /// A refusal of the store, in this language.
    pub fn refusal(&self, refusal: &thiqa_store::Refusal) -> String {
        let mut args = FluentArgs::new();
        for (name, value) in &refusal.args {
            args.set(name.to_string(), FluentValue::from(value.clone()));
        }
        self.i18n.message(self.lang, refusal.key, Some(&args))
    }

    pub fn code(&self) -> &'static str {
        self.lang.code()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn french_and_english_define_the_same_messages() {
        let fr: std::collections::BTreeSet<_> = I18n::keys(Lang::Fr).into_iter().collect();
        let en: std::collections::BTreeSet<_> = I18n::keys(Lang::En).into_iter().collect();
        let only_fr: Vec<_> = fr.difference(&en).collect();
        let only_en: Vec<_> = en.difference(&fr).collect();
        assert!(
            only_fr.is_empty() && only_en.is_empty(),
            "only in fr: {only_fr:?}; only in en: {only_en:?}"
        );
        I18n::load().unwrap();
    }

    #[test]
    fn every_confirmation_has_its_message() {
        let fr = I18n::keys(Lang::Fr);
        for notice in crate::web::notice::Notice::all() {
            assert!(fr.contains(&notice.message_key()), "{notice:?}");
        }
    }

    /// Every refusal the store can give (`Refusal::new("refusal-…"` in its
    /// sources) has its message, so none reaches a page as a bare key.
    #[test]
    fn every_refusal_of_the_store_has_its_message() {
        fn sources(dir: &std::path::Path, out: &mut String) {
            for entry in std::fs::read_dir(dir).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    sources(&path, out);
                } else if path.extension().is_some_and(|e| e == "rs") {
                    out.push_str(&std::fs::read_to_string(&path).unwrap());
                }
            }
        }
        let mut text = String::new();
        let store = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../thiqa-store/src");
        sources(&store, &mut text);
        let used: std::collections::BTreeSet<&str> = text
            .split('"')
            .filter(|s| s.starts_with("refusal-") && !s.contains(' '))
            .collect();
        assert!(used.len() > 20, "refusal keys found: {used:?}");
        let fr = I18n::keys(Lang::Fr);
        let missing: Vec<_> = used
            .iter()
            .filter(|k| !fr.contains(&k.to_string()))
            .collect();
        assert!(missing.is_empty(), "no message for {missing:?}");
    }

    #[test]
    fn accept_language_picks_the_first_supported() {
        assert_eq!(
            Lang::from_accept_language("de-DE, en-US;q=0.8, fr;q=0.5"),
            Some(Lang::En)
        );
        assert_eq!(Lang::from_accept_language("ar-MA"), None);
    }
}
