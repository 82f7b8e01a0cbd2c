//! The query parameters the catalog operations read, for the OpenAPI
//! document. The handlers parse the raw query themselves (to name a bad
//! parameter and the values it takes); the values listed here come from the
//! catalog's types and data, so the document cannot drift from the parsers,
//! and a test checks the names against the parsers' lists.

use thiqa_catalog::{Force, Level, Nature, Recurrence, ServiceModel};
use utoipa::openapi::path::{Parameter, ParameterIn, ParameterStyle};
use utoipa::openapi::schema::{ArrayBuilder, ObjectBuilder, Type};
use utoipa::{IntoParams, PartialSchema};

use crate::api::openapi::query_parameter as query;

fn one_of(values: impl IntoIterator<Item = String>) -> ObjectBuilder {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .enum_values(Some(values))
}

/// `<prefix>model`, `<prefix>level` (required) and repeated `<prefix>fact`.
fn profile(prefix: &str) -> Vec<Parameter> {
    let facts = thiqa_catalog::dgssi_cloud_2025()
        .facts()
        .flat_map(|f| [format!("{}:yes", f.id), format!("{}:no", f.id)]);
    let mut fact = query(
        &format!("{prefix}fact"),
        false,
        ArrayBuilder::new().items(one_of(facts)),
    );
    fact.description = Some("repeated: fact:yes or fact:no (facts of GET /catalog)".into());
    fact.style = Some(ParameterStyle::Form);
    fact.explode = Some(true);
    vec![
        query(&format!("{prefix}model"), true, ServiceModel::schema()),
        query(&format!("{prefix}level"), true, Level::schema()),
        fact,
    ]
}

fn lang() -> Parameter {
    query(
        "lang",
        false,
        one_of(["fr", "en"].map(String::from)).description(Some("default fr")),
    )
}

/// The search of `GET /catalog/obligations`.
pub struct Search;

impl IntoParams for Search {
    fn into_params(_: impl Fn() -> Option<ParameterIn>) -> Vec<Parameter> {
        let chapters = thiqa_catalog::dgssi_cloud_2025()
            .chapters
            .iter()
            .map(|c| c.id.clone());
        vec![
            query(
                "q",
                false,
                ObjectBuilder::new()
                    .schema_type(Type::String)
                    .max_length(Some(200))
                    .description(Some("words, accent-insensitive")),
            ),
            query("model", false, ServiceModel::schema()),
            query("level", false, Level::schema()),
            query("nature", false, Nature::schema()),
            query("recurrence", false, Recurrence::schema()),
            query("force", false, Force::schema()),
            query("chapter", false, one_of(chapters)),
        ]
    }
}

/// A profile: model, level, facts.
pub struct ProfileQuery;

impl IntoParams for ProfileQuery {
    fn into_params(_: impl Fn() -> Option<ParameterIn>) -> Vec<Parameter> {
        profile("")
    }
}

/// Two profiles: `left_…` and `right_…`.
pub struct CompareQuery;

impl IntoParams for CompareQuery {
    fn into_params(_: impl Fn() -> Option<ParameterIn>) -> Vec<Parameter> {
        [profile("left_"), profile("right_")].concat()
    }
}

/// The language of an OSCAL document.
pub struct LangQuery;

impl IntoParams for LangQuery {
    fn into_params(_: impl Fn() -> Option<ParameterIn>) -> Vec<Parameter> {
        vec![lang()]
    }
}

/// A profile and the language of its OSCAL document.
pub struct ProfileLangQuery;

impl IntoParams for ProfileLangQuery {
    fn into_params(_: impl Fn() -> Option<ParameterIn>) -> Vec<Parameter> {
        [profile(""), vec![lang()]].concat()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog_params::SEARCH_PARAMS;

    fn names<P: IntoParams>() -> Vec<String> {
        P::into_params(|| None)
            .into_iter()
            .map(|p| p.name)
            .collect()
    }

    /// The documented parameters are the ones the parsers read.
    #[test]
    fn documented_parameters_are_the_parsed_ones() {
        assert_eq!(names::<Search>(), SEARCH_PARAMS);
        assert_eq!(names::<ProfileQuery>(), super::super::PROFILE_PARAMS);
        assert_eq!(names::<CompareQuery>(), super::super::COMPARE_PARAMS);
        assert_eq!(
            names::<ProfileLangQuery>(),
            super::super::OSCAL_PROFILE_PARAMS
        );
        assert_eq!(names::<LangQuery>(), ["lang"]);
    }
}
