//! Query parameters of the catalog's pages and API, parsed once for both.
//!
//! A bad value is the caller's mistake, never a server error: every parser
//! returns a [`ParamError`] naming the parameter and the values it accepts,
//! which the API turns into a 400 `invalid_input` and the pages into a 400
//! page in the visitor's language.

use thiqa_catalog::{
    Catalog, Force, Level, Nature, Profile, Recurrence, SearchQuery, ServiceModel,
};

/// Longest search text accepted (the longest obligation title is far shorter).
pub const MAX_QUERY_CHARS: usize = 200;

/// Parameters of a search, in the order of the search form.
pub const SEARCH_PARAMS: [&str; 7] = [
    "q",
    "model",
    "level",
    "nature",
    "recurrence",
    "force",
    "chapter",
];

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ParamError {
    /// The query string is not `application/x-www-form-urlencoded` UTF-8.
    Malformed,
    Missing {
        param: String,
        allowed: Vec<String>,
    },
    Invalid {
        param: String,
        value: String,
        allowed: Vec<String>,
    },
    TooLong {
        param: String,
        max: usize,
    },
    /// A fact the catalog does not define (a typo would silently leave the
    /// real fact at its default, so it is refused).
    UnknownFact {
        param: String,
        fact: String,
        allowed: Vec<String>,
    },
    /// A parameter the endpoint does not take (`levle=2`).
    Unknown {
        param: String,
        allowed: Vec<String>,
    },
}

impl ParamError {
    /// The parameter at fault, as the caller wrote it.
    pub fn param(&self) -> &str {
        match self {
            ParamError::Malformed => "query",
            ParamError::Missing { param, .. }
            | ParamError::Invalid { param, .. }
            | ParamError::TooLong { param, .. }
            | ParamError::UnknownFact { param, .. }
            | ParamError::Unknown { param, .. } => param,
        }
    }

    /// The accepted values or names, when there is a list.
    pub fn allowed(&self) -> &[String] {
        match self {
            ParamError::Missing { allowed, .. }
            | ParamError::Invalid { allowed, .. }
            | ParamError::UnknownFact { allowed, .. }
            | ParamError::Unknown { allowed, .. } => allowed,
            ParamError::Malformed | ParamError::TooLong { .. } => &[],
        }
    }
}

/// The API's message (English, like the rest of the API's messages).
impl std::fmt::Display for ParamError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ParamError::Malformed => {
                f.write_str("query: not a valid URL-encoded UTF-8 query string")
            }
            ParamError::Missing { param, allowed } => {
                write!(f, "{param}: required; one of {}", allowed.join(", "))
            }
            ParamError::Invalid {
                param,
                value,
                allowed,
            } => {
                write!(
                    f,
                    "{param}: \"{value}\" is not one of {}",
                    allowed.join(", ")
                )
            }
            ParamError::TooLong { param, max } => write!(f, "{param}: at most {max} characters"),
            ParamError::UnknownFact {
                param,
                fact,
                allowed,
            } => write!(
                f,
                "{param}: unknown fact \"{fact}\"; the catalog's facts are: {}",
                allowed.join(", ")
            ),
            ParamError::Unknown { param, allowed } => write!(
                f,
                "{param}: unknown parameter; this endpoint takes {}",
                allowed.join(", ")
            ),
        }
    }
}

/// Query parameters in order; a repeated name keeps every value
/// (`fact=a:yes&fact=b:no`).
#[derive(Debug, Clone, Default)]
pub struct Params(Vec<(String, String)>);

impl Params {
    pub fn parse(raw: Option<&str>) -> Result<Params, ParamError> {
        serde_urlencoded::from_str(raw.unwrap_or(""))
            .map(Params)
            .map_err(|_| ParamError::Malformed)
    }

    /// The first non-empty value: an empty value is an "any" option of a form.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, v)| k == name && !v.trim().is_empty())
            .map(|(_, v)| v.trim())
    }

    /// Every non-empty value of a repeated parameter.
    pub fn all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.0
            .iter()
            .filter(move |(k, v)| k == name && !v.trim().is_empty())
            .map(|(_, v)| v.trim())
    }

    /// Adds a parameter (to rewrite a form's fields into the API's names).
    pub fn with(mut self, name: &str, value: String) -> Params {
        self.0.push((name.to_string(), value));
        self
    }

    pub fn pairs(&self) -> impl Iterator<Item = (&str, &str)> {
        self.0.iter().map(|(k, v)| (k.as_str(), v.trim()))
    }

    /// Refuses parameters outside `known`, so a typo is not silently ignored.
    pub fn only(&self, known: &[&str]) -> Result<(), ParamError> {
        match self.0.iter().find(|(k, _)| !known.contains(&k.as_str())) {
            None => Ok(()),
            Some((k, _)) => Err(ParamError::Unknown {
                param: k.clone(),
                allowed: known.iter().map(|s| s.to_string()).collect(),
            }),
        }
    }
}

fn one_of<T: Copy>(
    param: &str,
    value: &str,
    all: &[T],
    name: impl Fn(T) -> String,
) -> Result<T, ParamError> {
    all.iter()
        .copied()
        .find(|v| name(*v).eq_ignore_ascii_case(value))
        .ok_or_else(|| ParamError::Invalid {
            param: param.to_string(),
            value: value.to_string(),
            allowed: all.iter().map(|v| name(*v)).collect(),
        })
}

pub fn model(param: &str, value: &str) -> Result<ServiceModel, ParamError> {
    one_of(param, value, &ServiceModel::ALL, |m| m.as_str().to_string())
}

pub fn level(param: &str, value: &str) -> Result<Level, ParamError> {
    one_of(param, value, &Level::ALL, |l| l.number().to_string())
}

pub fn nature(param: &str, value: &str) -> Result<Nature, ParamError> {
    one_of(param, value, Nature::ALL, |n| n.as_str().to_string())
}

pub fn recurrence(param: &str, value: &str) -> Result<Recurrence, ParamError> {
    one_of(param, value, Recurrence::ALL, |r| r.as_str().to_string())
}

pub fn force(param: &str, value: &str) -> Result<Force, ParamError> {
    one_of(param, value, Force::ALL, |f| f.as_str().to_string())
}

/// `yes` / `no` (also `true` / `false`).
pub fn yes_no(param: &str, value: &str) -> Result<bool, ParamError> {
    match value.to_ascii_lowercase().as_str() {
        "yes" | "true" => Ok(true),
        "no" | "false" => Ok(false),
        _ => Err(ParamError::Invalid {
            param: param.to_string(),
            value: value.to_string(),
            allowed: vec!["yes".into(), "no".into()],
        }),
    }
}

pub fn chapter(catalog: &Catalog, param: &str, value: &str) -> Result<String, ParamError> {
    match catalog.chapter(value) {
        Some(c) => Ok(c.id.clone()),
        None => Err(ParamError::Invalid {
            param: param.to_string(),
            value: value.to_string(),
            allowed: catalog.chapters.iter().map(|c| c.id.clone()).collect(),
        }),
    }
}

/// Checks a fact id against the catalog.
pub fn fact_id(catalog: &Catalog, param: &str, id: &str) -> Result<String, ParamError> {
    match catalog.fact(id) {
        Some(f) => Ok(f.id.clone()),
        None => Err(ParamError::UnknownFact {
            param: param.to_string(),
            fact: id.to_string(),
            allowed: catalog.facts().map(|f| f.id.clone()).collect(),
        }),
    }
}

/// `name:yes`, `name=no`.
pub fn fact_answer(
    catalog: &Catalog,
    param: &str,
    value: &str,
) -> Result<(String, bool), ParamError> {
    let Some((name, answer)) = value.split_once([':', '=']) else {
        return Err(ParamError::Invalid {
            param: param.to_string(),
            value: value.to_string(),
            allowed: vec!["<fact>:yes".into(), "<fact>:no".into()],
        });
    };
    Ok((
        fact_id(catalog, param, name.trim())?,
        yes_no(param, answer.trim())?,
    ))
}

/// The search the parameters describe; `None` for an untouched form (no text,
/// no filter).
pub fn search(catalog: &Catalog, p: &Params) -> Result<Option<SearchQuery>, ParamError> {
    let text = p.get("q").unwrap_or("");
    if text.chars().count() > MAX_QUERY_CHARS {
        return Err(ParamError::TooLong {
            param: "q".into(),
            max: MAX_QUERY_CHARS,
        });
    }
    let query = SearchQuery {
        text: text.to_string(),
        model: p.get("model").map(|v| model("model", v)).transpose()?,
        level: p.get("level").map(|v| level("level", v)).transpose()?,
        nature: p.get("nature").map(|v| nature("nature", v)).transpose()?,
        recurrence: p
            .get("recurrence")
            .map(|v| recurrence("recurrence", v))
            .transpose()?,
        force: p.get("force").map(|v| force("force", v)).transpose()?,
        chapter: p
            .get("chapter")
            .map(|v| chapter(catalog, "chapter", v))
            .transpose()?,
    };
    Ok((query != SearchQuery::default()).then_some(query))
}

/// A profile from `<prefix>model`, `<prefix>level` and repeated
/// `<prefix>fact=name:yes|no`. Model and level are required.
pub fn profile(catalog: &Catalog, p: &Params, prefix: &str) -> Result<Profile, ParamError> {
    let name = |n: &str| format!("{prefix}{n}");
    let (model_p, level_p, fact_p) = (name("model"), name("level"), name("fact"));
    let model_v = p.get(&model_p).ok_or_else(|| ParamError::Missing {
        param: model_p.clone(),
        allowed: ServiceModel::ALL
            .iter()
            .map(|m| m.as_str().to_string())
            .collect(),
    })?;
    let level_v = p.get(&level_p).ok_or_else(|| ParamError::Missing {
        param: level_p.clone(),
        allowed: vec!["1".into(), "2".into()],
    })?;
    let mut profile = Profile::new(model(&model_p, model_v)?, level(&level_p, level_v)?);
    for v in p.all(&fact_p) {
        let (id, answer) = fact_answer(catalog, &fact_p, v)?;
        profile.facts.insert(id, answer);
    }
    Ok(profile)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(q: &str) -> Params {
        Params::parse(Some(q)).unwrap()
    }

    #[test]
    fn search_filters_parse_and_name_the_bad_parameter() {
        let c = thiqa_catalog::dgssi_cloud_2025();
        let q = search(
            c,
            &params("q=securite&model=saas&level=2&nature=technical&chapter=3.5"),
        )
        .unwrap()
        .unwrap();
        assert_eq!(q.model, Some(ServiceModel::Saas));
        assert_eq!(q.chapter.as_deref(), Some("3.5"));
        assert_eq!(
            search(c, &params("q=&model=")).unwrap(),
            None,
            "an untouched form is no search"
        );
        let err = search(c, &params("level=3")).unwrap_err();
        assert_eq!(err.param(), "level");
        assert!(
            err.to_string().contains("\"3\" is not one of 1, 2"),
            "{err}"
        );
        assert_eq!(
            search(c, &params("chapter=9.9")).unwrap_err().param(),
            "chapter"
        );
        let long = format!("q={}", "a".repeat(MAX_QUERY_CHARS + 1));
        assert_eq!(search(c, &params(&long)).unwrap_err().param(), "q");
    }

    #[test]
    fn profiles_need_model_and_level_and_known_facts() {
        let c = thiqa_catalog::dgssi_cloud_2025();
        let p = profile(
            c,
            &params("model=iaas&level=2&fact=internal_development:no"),
            "",
        )
        .unwrap();
        assert_eq!(p.facts.get("internal_development"), Some(&false));
        let p = profile(
            c,
            &params("right_model=SaaS&right_level=1&right_fact=automatic_backup=yes"),
            "right_",
        )
        .unwrap();
        assert_eq!((p.model, p.level), (ServiceModel::Saas, Level::One));
        assert_eq!(
            profile(c, &params("level=1"), "").unwrap_err().param(),
            "model"
        );
        let err = profile(c, &params("model=iaas&level=1&fact=nosuch:yes"), "").unwrap_err();
        assert!(
            err.to_string().contains("nosuch") && err.to_string().contains("internal_development"),
            "{err}"
        );
        let err = profile(
            c,
            &params("model=iaas&level=1&fact=automatic_backup:maybe"),
            "",
        )
        .unwrap_err();
        assert_eq!(err.allowed(), ["yes", "no"]);
    }

    #[test]
    fn unknown_parameters_are_refused() {
        let err = params("levle=2").only(&SEARCH_PARAMS).unwrap_err();
        assert_eq!(err.param(), "levle");
        // Invalid UTF-8 is decoded lossily: a search for nothing, not an error.
        assert_eq!(
            Params::parse(Some("q=%FF")).unwrap().get("q"),
            Some("\u{fffd}")
        );
    }
}
