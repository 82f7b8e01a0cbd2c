//! What a message of the outbox says: the e-mail (plain text and HTML, in
//! the recipient's language, from the message files) and the webhook body
//! (Standard Webhooks payload: `type`, `timestamp`, `data`). Composed at
//! send time from the notice as stored, so a retry says the same thing.

use askama::Template;
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

/// What an e-mail says, written once and rendered twice: as plain text
/// and as HTML (an askama template, so every value is escaped).
#[derive(Template)]
#[template(path = "mail.html")]
struct MailBody {
    lang: &'static str,
    /// Greeting and introduction.
    opening: Vec<String>,
    /// A notice's (title, kind).
    heading: Option<(String, String)>,
    /// A notice's fields as (label, value).
    fields: Vec<(String, String)>,
    /// What is asked, then the sentence that leads to the link.
    closing: Vec<String>,
    url: String,
    warning: Option<String>,
    footer: String,
}

impl MailBody {
    fn text(&self) -> String {
        let mut out = self.opening.join("\n\n") + "\n\n";
        if let Some((title, kind)) = &self.heading {
            out.push_str(&format!("{kind}\n{title}\n\n"));
        }
        for (label, value) in &self.fields {
            out.push_str(&format!("{label} :\n{value}\n\n"));
        }
        out.push_str(&format!("{}\n{}\n\n", self.closing.join("\n"), self.url));
        if let Some(w) = &self.warning {
            out.push_str(&format!("{w}\n\n"));
        }
        out.push_str(&format!("-- \n{}\n", self.footer));
        out
    }

    /// The message to `d`'s recipient; None if the template fails (a
    /// defect: the message is then given up as permanent, never half sent).
    fn mail(&self, d: &Delivery, host: &str, subject: String) -> Option<Mail> {
        Some(Mail {
            message_id: message_id(d, host),
            to: d.address.clone(),
            to_name: Some(d.recipient_name.clone()).filter(|n| !n.is_empty()),
            subject,
            text: self.text(),
            html: self.render().ok()?,
            language: self.lang.to_string(),
        })
    }
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
fn notice_mail(d: &Delivery, i18n: &I18n, base: &str, host: &str) -> Option<Mail> {
    let notice = d.notice.as_ref()?;
    let lang = Lang::parse(&d.language).unwrap_or(Lang::Fr);
    let tr = Tr { i18n, lang };
    let kind = notices::kind_title(&notice.kind, lang.into());
    let reminder = d.topic == "notice-reminder";
    let (subject, intro) = if reminder {
        ("mail-reminder-subject", "mail-reminder-intro")
    } else {
        ("mail-notice-subject", "mail-notice-intro")
    };
    let subject = tr.t2(subject, ("kind", &kind), ("title", &notice.title));
    let body = MailBody {
        lang: lang.code(),
        opening: vec![
            tr.t1("mail-greeting", "name", &d.recipient_name),
            tr.t(intro),
        ],
        heading: Some((notice.title.clone(), kind)),
        fields: notices::fields_of(notice, lang.into()),
        closing: vec![
            tr.t1(
                &format!("mail-asks-{}", notice.answer),
                "date",
                &format_utc(notice.answer_by / 1000),
            ),
            tr.t("mail-notice-link"),
        ],
        url: notice_url(base, notice),
        warning: None,
        footer: tr.t("mail-footer"),
    };
    body.mail(d, host, subject)
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
fn link_mail(d: &Delivery, i18n: &I18n, host: &str) -> Option<Mail> {
    let payload: serde_json::Value = serde_json::from_str(d.payload.as_deref()?).ok()?;
    let url = payload.get("url")?.as_str()?;
    let until = payload.get("until")?.as_i64()?;
    let lang = Lang::parse(&d.language).unwrap_or(Lang::Fr);
    let tr = Tr { i18n, lang };
    let body = MailBody {
        lang: lang.code(),
        opening: vec![tr.t1("mail-greeting", "name", &d.recipient_name)],
        heading: None,
        fields: Vec::new(),
        closing: vec![tr.t1("mail-link-intro", "until", &format_utc(until))],
        url: url.to_string(),
        warning: Some(tr.t("mail-link-warning")),
        footer: tr.t("mail-footer"),
    };
    body.mail(d, host, tr.t("mail-link-subject"))
}

#[cfg(test)]
mod tests {
    use thiqa_domain::NoticeId;

    use super::*;

    fn delivery(title: &str, nature: &str) -> Delivery {
        Delivery {
            id: 7,
            topic: "notice".into(),
            subject_id: 3,
            channel: "email".into(),
            organisation: None,
            address: "rssi@banque.ma".into(),
            recipient_name: "Salma".into(),
            language: "fr".into(),
            payload: None,
            attempts: 0,
            leased_until: 0,
            leased_by: String::new(),
            notice: Some(Notice {
                id: NoticeId(3),
                kind: "planned-operation".into(),
                title: title.into(),
                fields: serde_json::json!({ "nature": nature }).to_string(),
                answer: "acknowledge".into(),
                answer_by: 1_796_000_000_000,
                authority: false,
                authority_informed_at: None,
                authority_reference: None,
                status: "open".into(),
                done_at: None,
                done_by: None,
                created_at: 0,
                created_by: "amal".into(),
            }),
            webhook: None,
        }
    }

    #[test]
    fn a_notice_mail_says_the_same_in_both_parts_and_escapes_the_html() {
        let i18n = I18n::load().unwrap();
        let d = delivery("Coupure <b>réseau</b>", "Ligne 1\nLigne 2");
        let m = mail(&d, &i18n, "https://portail.ma/", "thiqa.ma").unwrap();
        assert_eq!(m.message_id, "delivery-7.notice-3@thiqa.ma");
        assert_eq!(m.language, "fr");
        assert!(m.subject.contains("Coupure <b>réseau</b>"), "{}", m.subject);
        assert!(
            m.text.contains("Nature des opérations :\nLigne 1\nLigne 2"),
            "{}",
            m.text
        );
        assert!(
            m.text.contains("https://portail.ma/notices/3"),
            "{}",
            m.text
        );
        assert!(m.html.contains("Coupure &#60;b&#62;réseau"), "{}", m.html);
        assert!(!m.html.contains("<b>"), "{}", m.html);
        assert!(m.html.contains("Ligne 1<br>Ligne 2"), "{}", m.html);
        assert!(
            m.html.contains("href=\"https://portail.ma/notices/3\""),
            "{}",
            m.html
        );
    }
}
