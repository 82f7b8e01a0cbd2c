//! Notices to commanditaires and their answers (3.1.1, 3.8.2, 3.8.14,
//! 3.11.1, 3.11.4, 3.15.2). The provider's staff send a notice of one of
//! the kinds of `notices/kinds.toml` about some of its services
//! (`organisations.manage`); it reaches the organisations holding a
//! contract on them (or every commanditaire, for a kind that says so),
//! through their portal inbox and the messages the outbox sends. Each
//! organisation acknowledges or gives its consent (`org.notices.answer`);
//! a refused or missing consent blocks marking the change done until an
//! operator records the decision taken with that customer.

pub mod kinds;

use std::collections::BTreeMap;

use thiqa_catalog::Lang;
use thiqa_domain::assessment::{is_iso_date, iso_date_start};
use thiqa_domain::{NoticeId, OrganisationId, Permission, ProviderId, ServiceId, Tenant};
use thiqa_store::{
    Actor, NewNotice, Notice, NoticeAnswer, NoticeDetail, NoticeSent, NoticeSummary,
    ReceivedNotice, Refusal, Service,
};

pub use kinds::{FieldType, KindField, NoticeKind};

use crate::{App, AppError, Member, Staff};

/// The longest title, in characters.
pub const TITLE_MAX: usize = 200;
/// The longest comment or decision, in characters.
pub const COMMENT_MAX: usize = 2000;

const DAY_MS: i64 = 86_400_000;

/// What is wrong with a submitted notice; nothing is sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NoticeProblem {
    /// No such kind of notice.
    Kind,
    /// The title is empty or too long.
    Title,
    /// No service chosen (the kind goes to the contracts of services), or
    /// one that is not a number.
    Services,
    /// A field of the kind is missing, too long, or not a date (its name).
    Field(String),
    /// The answer deadline is not a date after today.
    Deadline,
}

/// The notice form as typed.
pub struct NoticeText<'a> {
    pub kind: &'a str,
    pub title: &'a str,
    pub services: Vec<&'a str>,
    /// `YYYY-MM-DD`, or empty for the kind's default.
    pub answer_by: &'a str,
    /// (field name, value) for the kind's fields.
    pub fields: Vec<(&'a str, &'a str)>,
}

/// A notice checked field by field against its kind.
pub struct NoticeInput {
    pub kind: &'static NoticeKind,
    title: String,
    services: Vec<ServiceId>,
    answer_by_day: Option<i64>,
    fields: BTreeMap<String, String>,
}

/// A `YYYY-MM-DDTHH:MM` date-time (UTC), in seconds.
pub(crate) fn datetime_s(s: &str) -> Option<i64> {
    let (day, time) = s.split_once('T')?;
    let (h, m) = time.split_once(':')?;
    let (h, m): (i64, i64) = (h.parse().ok()?, m.get(..2)?.parse().ok()?);
    if !is_iso_date(day) || !(0..24).contains(&h) || !(0..60).contains(&m) {
        return None;
    }
    Some(iso_date_start(day)? + h * 3600 + m * 60)
}

fn field_fits(f: &KindField, value: &str) -> bool {
    let chars = value.chars().count();
    !value.is_empty()
        && match f.kind {
            FieldType::Line => chars <= kinds::LINE_MAX && !value.contains('\n'),
            FieldType::Text => chars <= kinds::TEXT_MAX,
            FieldType::Datetime => datetime_s(value).is_some(),
            FieldType::Date => is_iso_date(value),
        }
}

impl NoticeInput {
    /// Checks the form against the kind it names; every problem is named.
    pub fn check(t: &NoticeText<'_>) -> Result<NoticeInput, Vec<NoticeProblem>> {
        let Some(kind) = kinds::find(t.kind.trim()) else {
            return Err(vec![NoticeProblem::Kind]);
        };
        let mut problems = Vec::new();
        let title = t.title.trim();
        if title.is_empty() || title.chars().count() > TITLE_MAX {
            problems.push(NoticeProblem::Title);
        }
        let mut services = Vec::new();
        for s in &t.services {
            match s.trim().parse::<i64>() {
                Ok(id) => services.push(ServiceId(id)),
                Err(_) => problems.push(NoticeProblem::Services),
            }
        }
        if services.is_empty() && !kind.to_everyone() {
            problems.push(NoticeProblem::Services);
        }
        let mut fields = BTreeMap::new();
        for f in &kind.fields {
            let value = t
                .fields
                .iter()
                .find(|(n, _)| *n == f.name)
                .map_or("", |(_, v)| v.trim());
            if field_fits(f, value) {
                fields.insert(f.name.clone(), value.replace("\r\n", "\n"));
            } else {
                problems.push(NoticeProblem::Field(f.name.clone()));
            }
        }
        let by = t.answer_by.trim();
        let answer_by_day = if by.is_empty() {
            None
        } else if let Some(start) = iso_date_start(by) {
            Some(start)
        } else {
            problems.push(NoticeProblem::Deadline);
            None
        };
        if !problems.is_empty() {
            problems.dedup();
            return Err(problems);
        }
        services.sort();
        services.dedup();
        Ok(NoticeInput {
            kind,
            title: title.to_string(),
            services,
            answer_by_day,
            fields,
        })
    }
}

fn require_read(staff: &Staff<'_>) -> Result<(), AppError> {
    if staff.can(Permission::OrganisationsManage) || staff.can(Permission::ServicesRead) {
        Ok(())
    } else {
        Err(AppError::Forbidden)
    }
}

fn refusal(key: &'static str, english: impl Into<String>) -> AppError {
    AppError::Refused(Refusal::new(key, english))
}

/// Sends a notice (`organisations.manage`): its targets and messages are
/// committed with it; journaled. Refused when a service is not of a model
/// the kind concerns, or the deadline is not after today.
pub async fn send(
    app: &App,
    staff: &Staff<'_>,
    input: &NoticeInput,
) -> Result<NoticeSent, AppError> {
    staff.require(Permission::OrganisationsManage)?;
    send_for(app, staff.provider(), input, staff.actor()).await
}

/// The same for provider `provider`, once whoever acts is allowed to (the
/// console above, the demo's loader).
pub(crate) async fn send_for(
    app: &App,
    provider: ProviderId,
    input: &NoticeInput,
    actor: &Actor,
) -> Result<NoticeSent, AppError> {
    let scope = app.store.provider(provider);
    let kind = input.kind;
    if !kind.models.is_empty() {
        for id in &input.services {
            let service = scope.service(*id).await?;
            if !kind.models.contains(&service.model) {
                return Err(AppError::Refused(
                    Refusal::new(
                        "refusal-notice-model",
                        format!(
                            "{} is not a {} service",
                            service.name,
                            kind.models.join("/")
                        ),
                    )
                    .arg("service", &service.name)
                    .arg("models", kind.models.join(", ").to_uppercase()),
                ));
            }
        }
    }
    let now_ms = app.store.clock().now_ms();
    let answer_by = match input.answer_by_day {
        // The whole day given is left to answer.
        Some(day_s) => day_s * 1000 + DAY_MS - 1,
        None => now_ms + kind.answer_days * DAY_MS,
    };
    if answer_by <= now_ms {
        return Err(refusal(
            "refusal-notice-deadline",
            "the answer deadline must be after today",
        ));
    }
    let remind_at = (answer_by - kind.remind_hours * 3_600_000).max(now_ms);
    let new = NewNotice {
        kind: kind.id.clone(),
        title: input.title.clone(),
        fields: serde_json::to_string(&input.fields)
            .map_err(|e| AppError::Internal(e.to_string()))?,
        answer: kind.answer.clone(),
        answer_by,
        remind_at,
        authority: kind.authority,
        services: input.services.clone(),
        everyone: kind.to_everyone(),
        today: crate::time::iso_date(now_ms / 1000),
    };
    Ok(scope.send_notice(&new, actor).await?)
}

/// The services a new notice may name (`organisations.manage`).
pub async fn form_services(app: &App, staff: &Staff<'_>) -> Result<Vec<Service>, AppError> {
    staff.require(Permission::OrganisationsManage)?;
    Ok(app.store.provider(staff.provider()).services().await?)
}

/// The provider's notices, newest first (`organisations.manage` or
/// `services.read`).
pub async fn list(app: &App, staff: &Staff<'_>) -> Result<Vec<NoticeSummary>, AppError> {
    require_read(staff)?;
    Ok(app.store.provider(staff.provider()).notices().await?)
}

/// One notice with its targets' answers and its messages.
pub async fn view(app: &App, staff: &Staff<'_>, id: NoticeId) -> Result<NoticeDetail, AppError> {
    require_read(staff)?;
    Ok(app.store.provider(staff.provider()).notice(id).await?)
}

fn bounded_text(text: &str, key: &'static str) -> Result<String, AppError> {
    let text = text.trim();
    if text.is_empty() || text.chars().count() > COMMENT_MAX {
        return Err(refusal(key, "a text of 1 to 2000 characters is needed"));
    }
    Ok(text.to_string())
}

/// Records the decision taken with an organisation that refused or did
/// not give its consent (`organisations.manage`); journaled.
pub async fn decide(
    app: &App,
    staff: &Staff<'_>,
    id: NoticeId,
    org: OrganisationId,
    decision: &str,
) -> Result<(), AppError> {
    staff.require(Permission::OrganisationsManage)?;
    let decision = bounded_text(decision, "refusal-notice-decision-text")?;
    Ok(app
        .store
        .provider(staff.provider())
        .record_notice_decision(id, org, &decision, staff.actor())
        .await?)
}

/// Marks the announced change done (`organisations.manage`); refused while
/// a consent is refused or missing without a decision.
pub async fn mark_done(app: &App, staff: &Staff<'_>, id: NoticeId) -> Result<(), AppError> {
    staff.require(Permission::OrganisationsManage)?;
    Ok(app
        .store
        .provider(staff.provider())
        .mark_notice_done(id, staff.actor())
        .await?)
}

/// Records how the authority was told (`organisations.manage`, 3.11.4).
pub async fn authority_informed(
    app: &App,
    staff: &Staff<'_>,
    id: NoticeId,
    reference: &str,
) -> Result<(), AppError> {
    staff.require(Permission::OrganisationsManage)?;
    let reference = bounded_text(reference, "refusal-notice-authority-text")?;
    Ok(app
        .store
        .provider(staff.provider())
        .record_authority_informed(id, &reference, staff.actor())
        .await?)
}

fn organisation_member(member: &Member<'_>) -> Result<(), AppError> {
    match member.tenant() {
        Tenant::Organisation(_) => Ok(()),
        Tenant::Provider(_) => Err(AppError::Forbidden),
    }
}

/// The notices sent to the member's organisation (`portal.read`).
pub async fn inbox(app: &App, member: &Member<'_>) -> Result<Vec<ReceivedNotice>, AppError> {
    organisation_member(member)?;
    member.require(Permission::PortalRead)?;
    Ok(app.store.tenant(member.tenant()).notices_received().await?)
}

/// A notice as its commanditaire reads it, with its services concerned.
pub struct ReceivedView {
    pub received: ReceivedNotice,
    /// The organisation's services the notice is about.
    pub services: Vec<String>,
}

/// One notice sent to the member's organisation (`portal.read`).
pub async fn received(
    app: &App,
    member: &Member<'_>,
    id: NoticeId,
) -> Result<ReceivedView, AppError> {
    organisation_member(member)?;
    member.require(Permission::PortalRead)?;
    let scope = app.store.tenant(member.tenant());
    let (received, services) =
        tokio::try_join!(scope.notice_received(id), scope.notice_services(id))?;
    Ok(ReceivedView { received, services })
}

/// The organisation's answer (`org.notices.answer`); a refusal says why.
pub async fn answer(
    app: &App,
    member: &Member<'_>,
    id: NoticeId,
    answer: NoticeAnswer,
    comment: &str,
) -> Result<(), AppError> {
    organisation_member(member)?;
    member.require(Permission::OrgNoticesAnswer)?;
    let comment = comment.trim();
    if comment.chars().count() > COMMENT_MAX {
        return Err(refusal("refusal-notice-comment", "the comment is too long"));
    }
    if answer == NoticeAnswer::Refuse && comment.is_empty() {
        return Err(refusal(
            "refusal-notice-refusal-comment",
            "a refusal says why in a comment",
        ));
    }
    Ok(app
        .store
        .tenant(member.tenant())
        .answer_notice(id, answer, comment, member.actor())
        .await?)
}

/// Whether the member gets notices by e-mail too.
pub async fn email_preference(app: &App, member: &Member<'_>) -> Result<bool, AppError> {
    organisation_member(member)?;
    Ok(app
        .store
        .tenant(member.tenant())
        .notice_email(member.account().id)
        .await?)
}

/// Turns the member's notice e-mails on or off (its own choice).
pub async fn set_email_preference(
    app: &App,
    member: &Member<'_>,
    email: bool,
) -> Result<(), AppError> {
    organisation_member(member)?;
    Ok(app
        .store
        .tenant(member.tenant())
        .set_notice_email(member.account().id, email, member.actor())
        .await?)
}

/// A notice's fields as (label, value) in the reader's language, in the
/// kind's order; a field the kind no longer has keeps its name as label.
pub fn fields_of(notice: &Notice, lang: Lang) -> Vec<(String, String)> {
    let mut values: BTreeMap<String, String> =
        serde_json::from_str(&notice.fields).unwrap_or_default();
    let mut out = Vec::with_capacity(values.len());
    for f in kinds::find(&notice.kind).map_or(&[][..], |k| &k.fields) {
        if let Some(v) = values.remove(&f.name) {
            out.push((f.label(lang).to_string(), v));
        }
    }
    // What is left, the kind no longer names, keeps its own name.
    out.extend(values);
    out
}

/// The kind's title in the reader's language, or its id if unknown.
pub fn kind_title(kind: &str, lang: Lang) -> String {
    kinds::find(kind).map_or_else(|| kind.to_string(), |k| k.title(lang).to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text<'a>(kind: &'a str, fields: Vec<(&'a str, &'a str)>) -> NoticeText<'a> {
        NoticeText {
            kind,
            title: "Maintenance du stockage",
            services: vec!["3"],
            answer_by: "",
            fields,
        }
    }

    #[test]
    fn a_planned_operation_carries_the_five_facts_of_3_8_2() {
        let full = vec![
            ("starts_at", "2026-12-20T22:00"),
            ("ends_at", "2026-12-21T02:00"),
            ("nature", "Remplacement des contrôleurs"),
            ("impacts", "Indisponibilité de 10 minutes"),
            ("contact", "noc@prestataire.ma"),
        ];
        assert!(NoticeInput::check(&text("planned-operation", full.clone())).is_ok());
        let mut missing = full.clone();
        missing.retain(|(n, _)| *n != "impacts");
        assert_eq!(
            NoticeInput::check(&text("planned-operation", missing)).err(),
            Some(vec![NoticeProblem::Field("impacts".into())])
        );
        let mut bad_time = full;
        bad_time[0].1 = "2026-12-20 22h";
        assert_eq!(
            NoticeInput::check(&text("planned-operation", bad_time)).err(),
            Some(vec![NoticeProblem::Field("starts_at".into())])
        );
        assert_eq!(
            NoticeInput::check(&text("no-such-kind", vec![])).err(),
            Some(vec![NoticeProblem::Kind])
        );
    }

    #[test]
    fn a_notice_to_everyone_needs_no_service_but_others_do() {
        let mut t = text(
            "third-party-security-lowered",
            vec![
                ("third_party", "Hébergeur B"),
                ("change", "Fin du chiffrement au repos"),
                ("impacts", "Données lisibles sur disque"),
                ("measures", "Chiffrement réactivé sous 48 h"),
            ],
        );
        t.services.clear();
        assert!(NoticeInput::check(&t).is_ok());
        let mut other = text("policy-change", vec![]);
        other.services.clear();
        let problems = NoticeInput::check(&other).err().unwrap();
        assert!(problems.contains(&NoticeProblem::Services));
    }

    #[test]
    fn date_times_are_real_ones() {
        assert_eq!(datetime_s("1970-01-02T01:01"), Some(86_400 + 3660));
        for bad in ["2026-02-30T10:00", "2026-01-01T24:00", "2026-01-01", "x"] {
            assert_eq!(datetime_s(bad), None, "{bad}");
        }
    }
}
