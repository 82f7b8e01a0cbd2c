//! One e-mail as the outbox hands it over, checked and turned into a MIME
//! message. What is wrong with a mail itself (an address that is no address,
//! a malformed Message-ID) can never succeed later: a permanent failure.

use lettre::message::header::{HeaderName, HeaderValue};
use lettre::message::{Mailbox, MultiPart};
use lettre::{Address, Message};

use crate::SendError;

/// One e-mail to one recipient, in one language, as plain text and HTML.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mail {
    /// The idempotency key, e.g. `delivery-42.notice-7@thiqa`, sent as the
    /// Message-ID header (without angle brackets here): every attempt of the
    /// same delivery carries the same one, so a receiver can drop duplicates.
    pub message_id: String,
    pub to: String,
    pub to_name: Option<String>,
    pub subject: String,
    pub text: String,
    pub html: String,
    /// `fr` or `en`: the Content-Language header.
    pub language: String,
}

const CONTENT_LANGUAGE: HeaderName = HeaderName::new_from_ascii_str("Content-Language");

impl Mail {
    pub(super) fn to_message(&self, from: Mailbox) -> Result<Message, SendError> {
        let address: Address = self.to.trim().parse().map_err(|e| {
            SendError::Permanent(format!(
                "recipient {:?} is not an e-mail address: {e}",
                self.to
            ))
        })?;
        if !is_message_id(&self.message_id) {
            return Err(SendError::Permanent(format!(
                "message id {:?} is not of the form left@right (RFC 5322 msg-id)",
                self.message_id
            )));
        }
        if !is_language_tag(&self.language) {
            return Err(SendError::Permanent(format!(
                "language {:?} is not a language tag such as fr or en",
                self.language
            )));
        }
        // A line break in a subject or a name is never meant: it comes from
        // a title someone typed. It is flattened rather than refused, so the
        // notice still goes out.
        let to = Mailbox::new(self.to_name.as_deref().map(one_line), address);
        Message::builder()
            .from(from)
            .to(to)
            .subject(one_line(&self.subject))
            .message_id(Some(format!("<{}>", self.message_id)))
            .raw_header(HeaderValue::new(CONTENT_LANGUAGE, self.language.clone()))
            .multipart(MultiPart::alternative_plain_html(
                self.text.clone(),
                self.html.clone(),
            ))
            .map_err(|e| SendError::Permanent(format!("the message cannot be built: {e}")))
    }
}

fn one_line(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect::<String>()
        .trim()
        .to_owned()
}

/// `dot-atom-text "@" dot-atom-text` (RFC 5322 §3.6.4), at most 200
/// characters: nothing that could end the header or the brackets early.
fn is_message_id(id: &str) -> bool {
    let dot_atom = |part: &str| {
        !part.is_empty()
            && part.split('.').all(|atom| {
                !atom.is_empty()
                    && atom
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || "!#$%&'*+-/=?^_`{|}~".contains(c))
            })
    };
    id.len() <= 200
        && matches!(id.split_once('@'), Some((left, right)) if dot_atom(left) && dot_atom(right))
}

/// A BCP 47 shape: a 2–3 letter language, then optional subtags
/// (`fr`, `en`, `fr-MA`).
fn is_language_tag(tag: &str) -> bool {
    let mut parts = tag.split('-');
    let primary_ok = parts
        .next()
        .is_some_and(|p| (2..=3).contains(&p.len()) && p.chars().all(|c| c.is_ascii_alphabetic()));
    primary_ok
        && tag.len() <= 35
        && parts.all(|p| (1..=8).contains(&p.len()) && p.chars().all(|c| c.is_ascii_alphanumeric()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mail() -> Mail {
        Mail {
            message_id: "delivery-42.notice-7@thiqa".into(),
            to: "amal@example.ma".into(),
            to_name: Some("Amal El Idrissi".into()),
            subject: "Opération planifiée".into(),
            text: "Bonjour".into(),
            html: "<p>Bonjour</p>".into(),
            language: "fr".into(),
        }
    }

    fn from() -> Mailbox {
        "Thiqa <no-reply@example.ma>".parse().expect("mailbox")
    }

    #[test]
    fn a_good_mail_carries_its_message_id_and_language() {
        let message = mail().to_message(from()).expect("builds");
        let text = String::from_utf8(message.formatted()).expect("ascii");
        assert!(
            text.contains("Message-ID: <delivery-42.notice-7@thiqa>\r\n"),
            "{text}"
        );
        assert!(text.contains("Content-Language: fr\r\n"), "{text}");
        assert!(text.contains("multipart/alternative"), "{text}");
    }

    fn refused(m: &Mail) -> bool {
        matches!(m.to_message(from()), Err(SendError::Permanent(_)))
    }

    #[test]
    fn bad_addresses_ids_and_languages_are_permanent() {
        for to in [
            "",
            "amal",
            "amal@",
            "@example.ma",
            "a b@example.ma",
            "amal@example.ma\r\nBcc: x@y.ma",
        ] {
            let m = Mail {
                to: to.into(),
                ..mail()
            };
            assert!(refused(&m), "{to:?}");
        }
        for id in [
            "",
            "no-at",
            "<a@b>",
            "a@b\r\nBcc: x@y",
            "a b@c",
            "a..b@c",
            "a@",
        ] {
            let m = Mail {
                message_id: id.into(),
                ..mail()
            };
            assert!(refused(&m), "{id:?}");
        }
        for language in ["", "f", "français", "fr\r\nX: y", "fr_MA"] {
            let m = Mail {
                language: language.into(),
                ..mail()
            };
            assert!(refused(&m), "{language:?}");
        }
        assert!(Mail {
            language: "fr-MA".into(),
            ..mail()
        }
        .to_message(from())
        .is_ok());
    }

    #[test]
    fn a_line_break_in_the_subject_cannot_add_a_header() {
        let m = Mail {
            subject: "Incident\r\nBcc: victim@example.ma".into(),
            ..mail()
        };
        let text =
            String::from_utf8(m.to_message(from()).expect("builds").formatted()).expect("ascii");
        assert!(!text.contains("\r\nBcc:"), "{text}");
        // Nor one in the recipient's name.
        let m = Mail {
            to_name: Some("Amal\r\nBcc: victim@example.ma".into()),
            ..mail()
        };
        let message = m.to_message(from()).expect("builds");
        let text = String::from_utf8(message.formatted()).expect("ascii");
        assert!(!text.contains("\r\nBcc:"), "{text}");
        assert_eq!(message.envelope().to().len(), 1, "{:?}", message.envelope());
    }
}
