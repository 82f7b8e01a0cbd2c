//! What a message of the outbox says: the e-mail (plain text and HTML, in
//! the recipient's language, from the message files) and the webhook body
//! (Standard Webhooks payload: `type`, `timestamp`, `data`). Composed at
//! send time from the notice as stored, so a retry says the same thing.

use serde_json::json;
use thiqa_app::notices;
use thiqa_app::time::{format_utc, rfc3339};
use thiqa_delivery::Mail;
use thiqa_store::{Delivery, Notice};

use crate::i18n::{I18n, Lang, Tr};

/// Where a notice is read and answered in the portal.
fn notice_url(base: &str, notice: &Notice) -> String {
    format!("{}/notices/{}", base.trim_end_matches('/'), notice.id)
}

/// The idempotency key: the same on every attempt of one delivery.
pub fn message_id(d: &Delivery, host: &str) -> String {
    format!("delivery-{}.{}-{}@{host}", d.id, d.topic, d.subject_id)
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

/// The e-mail a delivery carries, by its topic; None when there is
/// nothing to say (an unknown topic, a notice gone).
pub fn mail(d: &Delivery, i18n: &I18n, base: &str, host: &str) -> Option<Mail> {
    match d.topic.as_str() {
        "account-link" => link_mail(d, i18n, host),
        _ => notice_mail(d, i18n, base, host),
    }
}

/// The e-mail of a notice or its reminder; None for a delivery that is
/// not one (nothing to say).
pub fn notice_mail(d: &Delivery, i18n: &I18n, base: &str, host: &str) -> Option<Mail> {
    let notice = d.notice.as_ref()?;
    let lang = Lang::parse(&d.language).unwrap_or(Lang::Fr);
    let tr = Tr { i18n, lang };
    let kind = notices::kind_title(&notice.kind, lang.into());
    let reminder = d.topic == "notice-reminder";
    let subject = tr.t2(
        if reminder {
            "mail-reminder-subject"
        } else {
            "mail-notice-subject"
        },
        ("kind", &kind),
        ("title", &notice.title),
    );
    let greeting = tr.t1("mail-greeting", "name", &d.recipient_name);
    let intro = tr.t(if reminder {
        "mail-reminder-intro"
    } else {
        "mail-notice-intro"
    });
    let asks = tr.t1(
        &format!("mail-asks-{}", notice.answer),
        "date",
        &format_utc(notice.answer_by / 1000),
    );
    let url = notice_url(base, notice);
    let link = tr.t1("mail-notice-link", "url", &url);
    let footer = tr.t("mail-footer");
    let fields = notices::fields_of(notice, lang.into());

    let mut text = format!("{greeting}\n\n{intro}\n\n{kind}\n{}\n\n", notice.title);
    for (label, value) in &fields {
        text.push_str(&format!("{label} :\n{value}\n\n"));
    }
    text.push_str(&format!("{asks}\n{link}\n\n-- \n{footer}\n"));

    let mut html = format!(
        "<!doctype html><html lang=\"{}\"><body><p>{}</p><p>{}</p><h1>{}</h1><p><strong>{}</strong></p><dl>",
        lang.code(),
        escape(&greeting),
        escape(&intro),
        escape(&notice.title),
        escape(&kind)
    );
    for (label, value) in &fields {
        html.push_str(&format!(
            "<dt><strong>{}</strong></dt><dd>{}</dd>",
            escape(label),
            escape(value).replace('\n', "<br>")
        ));
    }
    html.push_str(&format!(
        "</dl><p>{}</p><p><a href=\"{}\">{}</a></p><hr><p><small>{}</small></p></body></html>",
        escape(&asks),
        escape(&url),
        escape(&url),
        escape(&footer)
    ));
    Some(Mail {
        message_id: message_id(d, host),
        to: d.address.clone(),
        to_name: Some(d.recipient_name.clone()).filter(|n| !n.is_empty()),
        subject,
        text,
        html,
        language: lang.code().to_string(),
    })
}

/// The webhook body of a notice or its reminder: what a receiver needs
/// to open a ticket, never another organisation's data.
pub fn notice_webhook(d: &Delivery, base: &str, now_s: i64) -> Option<Vec<u8>> {
    let notice = d.notice.as_ref()?;
    let fields: serde_json::Value = serde_json::from_str(&notice.fields).unwrap_or(json!({}));
    let body = json!({
        "type": if d.topic == "notice-reminder" { "notice.reminder" } else { "notice.sent" },
        "timestamp": rfc3339(now_s),
        "data": {
            "notice_id": notice.id,
            "kind": notice.kind,
            "title": notice.title,
            "fields": fields,
            "answer": notice.answer,
            "answer_by": rfc3339(notice.answer_by / 1000),
            "url": notice_url(base, notice),
        }
    });
    serde_json::to_vec(&body).ok()
}

/// The e-mail carrying an account's one-time link (set-up or reset). The
/// link is in the outbox row's payload until the message is sent.
pub fn link_mail(d: &Delivery, i18n: &I18n, host: &str) -> Option<Mail> {
    let payload: serde_json::Value = serde_json::from_str(d.payload.as_deref()?).ok()?;
    let url = payload.get("url")?.as_str()?;
    let until = payload.get("until")?.as_i64()?;
    let lang = Lang::parse(&d.language).unwrap_or(Lang::Fr);
    let tr = Tr { i18n, lang };
    let greeting = tr.t1("mail-greeting", "name", &d.recipient_name);
    let intro = tr.t1("mail-link-intro", "until", &format_utc(until));
    let warning = tr.t("mail-link-warning");
    let footer = tr.t("mail-footer");
    Some(Mail {
        message_id: message_id(d, host),
        to: d.address.clone(),
        to_name: Some(d.recipient_name.clone()).filter(|n| !n.is_empty()),
        subject: tr.t("mail-link-subject"),
        text: format!("{greeting}\n\n{intro}\n{url}\n\n{warning}\n\n-- \n{footer}\n"),
        html: format!(
            "<!doctype html><html lang=\"{}\"><body><p>{}</p><p>{}</p><p><a href=\"{}\">{}</a></p><p>{}</p><hr><p><small>{}</small></p></body></html>",
            lang.code(),
            escape(&greeting),
            escape(&intro),
            escape(url),
            escape(url),
            escape(&warning),
            escape(&footer)
        ),
        language: lang.code().to_string(),
    })
}
