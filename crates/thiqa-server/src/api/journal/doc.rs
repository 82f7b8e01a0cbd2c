//! The journal export's query and answers, for the OpenAPI document: the
//! formats and their media types are listed from [`JournalFormat`], the
//! type the export parses and answers with.

use std::collections::BTreeMap;

use thiqa_export::journal::JournalFormat;
use utoipa::openapi::path::{Parameter, ParameterIn};
use utoipa::openapi::response::{Response, ResponseBuilder};
use utoipa::openapi::schema::{ObjectBuilder, SchemaFormat, Type};
use utoipa::openapi::{Content, KnownFormat, RefOr};
use utoipa::{IntoParams, IntoResponses};

/// `from`, `to`, `format` and (operators) `organisation`.
pub struct ExportParams;

use crate::api::openapi::query_parameter as query;

impl IntoParams for ExportParams {
    fn into_params(_: impl Fn() -> Option<ParameterIn>) -> Vec<Parameter> {
        let day = || {
            ObjectBuilder::new()
                .schema_type(Type::String)
                .format(Some(SchemaFormat::KnownFormat(KnownFormat::Date)))
        };
        vec![
            query("from", true, day()),
            query("to", true, day().description(Some("included"))),
            query(
                "format",
                false,
                ObjectBuilder::new()
                    .schema_type(Type::String)
                    .enum_values(Some(JournalFormat::NAMES))
                    .description(Some("default ndjson")),
            ),
            query(
                "organisation",
                false,
                ObjectBuilder::new()
                    .schema_type(Type::Integer)
                    .description(Some(
                        "operators: the commanditaire whose events to export (required for them)",
                    )),
            ),
        ]
    }
}

fn download(description: &str, media_types: &[&str]) -> BTreeMap<String, RefOr<Response>> {
    let text = || Content::new(Some(ObjectBuilder::new().schema_type(Type::String)));
    let response = media_types
        .iter()
        .fold(ResponseBuilder::new().description(description), |r, m| {
            r.content(*m, text())
        });
    BTreeMap::from([("200".to_string(), response.into())])
}

/// The events, in the media type of the format asked.
pub struct EventsDownload;

impl IntoResponses for EventsDownload {
    fn responses() -> BTreeMap<String, RefOr<Response>> {
        let media: Vec<&str> = JournalFormat::NAMES
            .iter()
            .filter_map(|n| JournalFormat::parse(n))
            .map(|f| f.media_type().split(';').next().unwrap_or_default())
            .collect();
        download("the events, streamed as a download", &media)
    }
}

/// One inclusion proof file per line.
pub struct ProofsDownload;

impl IntoResponses for ProofsDownload {
    fn responses() -> BTreeMap<String, RefOr<Response>> {
        download(
            "one inclusion proof per line, streamed as a download",
            &["application/x-ndjson"],
        )
    }
}
