//! A compliance officer with a service, and multipart bodies as a browser
//! sends them: shared by the evidence tests.

use super::{Client, TestApp};
use thiqa_domain::Directory;

/// A multipart body of text fields and an optional file
/// (name, media type, bytes); returns (content type, body).
pub fn multipart(fields: &[(&str, &str)], file: Option<(&str, &str, &[u8])>) -> (String, Vec<u8>) {
    let boundary = "thiqa-test-boundary-7d1f";
    let mut body = Vec::new();
    for (name, value) in fields {
        body.extend(format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n").as_bytes());
    }
    if let Some((filename, media, bytes)) = file {
        body.extend(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{filename}\"\r\nContent-Type: {media}\r\n\r\n")
                .as_bytes(),
        );
        body.extend(bytes);
        body.extend(b"\r\n");
    }
    body.extend(format!("--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

pub async fn officer(t: &TestApp) -> (Client, String) {
    let (_, secret) = t
        .user(
            Directory::Operators,
            "amal",
            &["Responsable conformité"],
            true,
        )
        .await;
    let mut c = t.signed_operator("amal", secret.as_ref().unwrap()).await;
    c.get("/services").await;
    let r = c
        .post_form(
            "/services",
            &[("name", "IaaS"), ("model", "iaas"), ("level", "2")],
        )
        .await;
    let service = r.location().unwrap().to_string();
    c.get(&format!("{service}/evidence")).await;
    (c, service)
}

/// The first evidence item page linked from an evidence list
/// (`/services/N/evidence/M`).
pub fn first_item_link(list_body: &str, service: &str) -> String {
    list_body
        .split("href=\"")
        .filter_map(|s| s.split('"').next())
        .find(|h| h.starts_with(&format!("{service}/evidence/")) && !h.contains("download"))
        .expect("an evidence item link")
        .to_string()
}
