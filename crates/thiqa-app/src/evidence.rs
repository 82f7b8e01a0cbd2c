//! Evidence of a service: a link, a note, or a file kept in the
//! content-addressed blob store with its versions, each item linked to the
//! obligations it proves and valid until a date. Adding is the editors'
//! work (`assessment.edit`); whoever may read the service reads the
//! evidence, and every file opened is journaled (`evidence.download`).

use thiqa_blobs::BlobRead;
use thiqa_catalog::Catalog;
use thiqa_domain::{EvidenceId, Permission, ServiceId};
use thiqa_store::{Evidence, EvidenceVersion, NewEvent, NewEvidence, NewEvidenceVersion};

use crate::time::iso_date;
use crate::{App, AppError, ServiceScope, Staff};

/// The longest title, in characters.
pub const TITLE_MAX: usize = 200;
/// The longest link, in bytes.
pub const URL_MAX: usize = 2000;
/// The longest note, in characters.
pub const NOTE_MAX: usize = 10_000;
/// Evidence whose validity ends within this many days is "expiring".
pub const EXPIRING_DAYS: i64 = 30;

/// What is wrong with submitted evidence; nothing is saved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EvidenceProblem {
    /// Empty or longer than [`TITLE_MAX`].
    Title,
    /// No obligation named: evidence proves at least one.
    NoObligation,
    /// An obligation id the référentiel does not have.
    UnknownObligation(String),
    /// The end of validity is not a real day (YYYY-MM-DD).
    ValidUntil,
    /// Neither a well-formed http(s) link nor a note within [`NOTE_MAX`].
    UrlOrNote,
    /// No file, or an empty one.
    File,
}

/// What every item says of itself, checked.
#[derive(Debug, Clone)]
pub struct EvidenceMeta {
    title: String,
    obligations: Vec<String>,
    valid_until: String,
}

impl EvidenceMeta {
    /// `obligations` are ids separated by spaces, commas, semicolons or
    /// lines; `valid_until` may be empty (no end).
    pub fn check(
        c: &Catalog,
        title: &str,
        obligations: &str,
        valid_until: &str,
    ) -> Result<EvidenceMeta, Vec<EvidenceProblem>> {
        let mut problems = Vec::new();
        let title = title.trim();
        if title.is_empty() || title.chars().count() > TITLE_MAX {
            problems.push(EvidenceProblem::Title);
        }
        let ids: Vec<String> = obligations
            .split([' ', ',', ';', '\n', '\r', '\t'])
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .collect();
        if ids.is_empty() {
            problems.push(EvidenceProblem::NoObligation);
        }
        for id in &ids {
            if c.obligation(id).is_none() {
                problems.push(EvidenceProblem::UnknownObligation(id.clone()));
            }
        }
        let valid_until = check_valid_until(valid_until);
        if let Err(p) = &valid_until {
            problems.push(p.clone());
        }
        match valid_until {
            Ok(valid_until) if problems.is_empty() => Ok(EvidenceMeta {
                title: title.to_string(),
                obligations: ids,
                valid_until,
            }),
            _ => Err(problems),
        }
    }
}

/// An end of validity: empty (none) or a real day.
pub fn check_valid_until(text: &str) -> Result<String, EvidenceProblem> {
    let text = text.trim();
    if text.is_empty() || thiqa_domain::assessment::is_iso_date(text) {
        Ok(text.to_string())
    } else {
        Err(EvidenceProblem::ValidUntil)
    }
}

/// A file already written to the blob store, named by its digest.
#[derive(Debug, Clone)]
pub struct StoredFile {
    pub sha256: String,
    pub size: u64,
    pub filename: String,
    pub media_type: String,
}

/// What an item holds.
#[derive(Debug, Clone)]
pub enum Content {
    /// A link, with the note typed beside it if any.
    Link {
        url: String,
        note: Option<String>,
    },
    Note(String),
    File(StoredFile),
}

impl Content {
    /// A link (http or https, no spaces, at most [`URL_MAX`]) or, without
    /// one, a note (at most [`NOTE_MAX`]); one of the two is required.
    pub fn link_or_note(url: &str, note: &str) -> Result<Content, EvidenceProblem> {
        let (url, note) = (url.trim(), note.trim());
        if note.chars().count() > NOTE_MAX {
            return Err(EvidenceProblem::UrlOrNote);
        }
        if url.is_empty() {
            return match note.is_empty() {
                true => Err(EvidenceProblem::UrlOrNote),
                false => Ok(Content::Note(note.to_string())),
            };
        }
        let well_formed = (url.starts_with("https://") || url.starts_with("http://"))
            && url.len() <= URL_MAX
            && !url.contains(char::is_whitespace);
        match well_formed {
            true => Ok(Content::Link {
                url: url.to_string(),
                note: Some(note.to_string()).filter(|n| !n.is_empty()),
            }),
            false => Err(EvidenceProblem::UrlOrNote),
        }
    }

    /// A received file, unless it is empty.
    pub fn file(file: Option<StoredFile>) -> Result<Content, EvidenceProblem> {
        match file {
            Some(f) if f.size > 0 => Ok(Content::File(f)),
            _ => Err(EvidenceProblem::File),
        }
    }
}

/// Before a file is received: the caller may add evidence to `service`
/// (`assessment.edit`, one of its provider's services), so nobody streams
/// bytes to be refused afterwards.
pub async fn may_add(app: &App, staff: &Staff<'_>, service: ServiceId) -> Result<(), AppError> {
    staff.require(Permission::AssessmentEdit)?;
    app.store
        .provider(staff.provider())
        .service(service)
        .await?;
    Ok(())
}

/// An item as its editor (`assessment.edit`) sees it before adding a
/// version: the upload form checks its kind and current version before
/// the file's bytes are received.
pub async fn editable_item(
    app: &App,
    staff: &Staff<'_>,
    service: ServiceId,
    evidence: EvidenceId,
) -> Result<Evidence, AppError> {
    staff.require(Permission::AssessmentEdit)?;
    Ok(app
        .store
        .provider(staff.provider())
        .evidence_item(service, evidence)
        .await?)
}

/// Adds an item to a service of the staff member's provider
/// (`assessment.edit`). Returns its id.
pub async fn add(
    app: &App,
    staff: &Staff<'_>,
    service: ServiceId,
    meta: EvidenceMeta,
    content: Content,
) -> Result<EvidenceId, AppError> {
    staff.require(Permission::AssessmentEdit)?;
    let mut new = NewEvidence {
        kind: "note",
        title: meta.title,
        valid_until: meta.valid_until,
        obligations: meta.obligations,
        ..Default::default()
    };
    match content {
        Content::Note(note) => new.note = Some(note),
        Content::Link { url, note } => {
            new.kind = "url";
            new.url = Some(url);
            new.note = note;
        }
        Content::File(f) => {
            new.kind = "file";
            new.sha256 = Some(f.sha256);
            new.size = Some(f.size as i64);
            new.filename = Some(f.filename);
            new.media_type = Some(f.media_type);
        }
    }
    Ok(app
        .store
        .provider(staff.provider())
        .create_evidence(service, &new, staff.actor())
        .await?)
}

/// Makes `file` the current version of a file item (`assessment.edit`).
/// `replacing` is the version the uploader saw as current: Stale when
/// another was added since. Refused for a link or a note.
pub async fn add_version(
    app: &App,
    staff: &Staff<'_>,
    service: ServiceId,
    evidence: EvidenceId,
    file: StoredFile,
    valid_until: String,
    replacing: Option<i64>,
) -> Result<i64, AppError> {
    staff.require(Permission::AssessmentEdit)?;
    let new = NewEvidenceVersion {
        sha256: file.sha256,
        size: file.size as i64,
        filename: file.filename,
        media_type: file.media_type,
        valid_until,
    };
    Ok(app
        .store
        .provider(staff.provider())
        .add_evidence_version(service, evidence, &new, replacing, staff.actor())
        .await?)
}

/// Where an item's validity stands today.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Validity {
    /// No end, or an end more than [`EXPIRING_DAYS`] away.
    Valid,
    /// Ends within [`EXPIRING_DAYS`].
    Expiring,
    /// Ended before today.
    Expired,
}

fn validity(valid_until: &str, today: &str, soon: &str) -> Validity {
    if valid_until.is_empty() || valid_until > soon {
        Validity::Valid
    } else if valid_until < today {
        Validity::Expired
    } else {
        Validity::Expiring
    }
}

/// A service's evidence, each item with its validity today.
pub struct EvidenceList {
    pub service_name: String,
    pub items: Vec<(Evidence, Validity)>,
}

/// The evidence of the service `scope` reads.
pub async fn of_service(app: &App, scope: &ServiceScope) -> Result<EvidenceList, AppError> {
    let (service, items) = tokio::try_join!(
        app.store
            .provider(scope.provider())
            .service(scope.service()),
        app.store
            .provider(scope.provider())
            .evidence(scope.service(), None),
    )?;
    let now = app.store.clock().now_s();
    let (today, soon) = (iso_date(now), iso_date(now + EXPIRING_DAYS * 86_400));
    let items = items
        .into_iter()
        .map(|e| {
            let v = validity(&e.valid_until, &today, &soon);
            (e, v)
        })
        .collect();
    Ok(EvidenceList {
        service_name: service.name,
        items,
    })
}

/// An item with every version of its file, newest first.
pub struct EvidenceHistory {
    pub service_name: String,
    pub item: Evidence,
    pub versions: Vec<EvidenceVersion>,
}

pub async fn history(
    app: &App,
    scope: &ServiceScope,
    evidence: EvidenceId,
) -> Result<EvidenceHistory, AppError> {
    let (p, s) = (scope.provider(), scope.service());
    let (service, item, versions) = tokio::try_join!(
        app.store.provider(p).service(s),
        app.store.provider(p).evidence_item(s, evidence),
        app.store.provider(p).evidence_versions(s, evidence),
    )?;
    Ok(EvidenceHistory {
        service_name: service.name,
        item,
        versions,
    })
}

/// A file being read back, with the name and type it was given.
pub struct OpenedFile {
    pub blob: BlobRead,
    pub filename: String,
    pub media_type: String,
}

/// Opens a file item's `version` (None: the current one), journaled as
/// `evidence.download` by whoever reads it; NotFound when the item, the
/// version or the stored file is not there.
pub async fn open(
    app: &App,
    scope: &ServiceScope,
    evidence: EvidenceId,
    version: Option<i64>,
) -> Result<OpenedFile, AppError> {
    let (p, s) = (scope.provider(), scope.service());
    let (version, sha256, filename, media_type) = match version {
        None => {
            let e = app.store.provider(p).evidence_item(s, evidence).await?;
            let sha256 = e.sha256.ok_or(AppError::NotFound)?;
            (e.version, sha256, e.filename, e.media_type)
        }
        Some(wanted) => {
            let v = app
                .store
                .provider(p)
                .evidence_versions(s, evidence)
                .await?
                .into_iter()
                .find(|v| v.version == wanted)
                .ok_or(AppError::NotFound)?;
            (wanted, v.sha256, Some(v.filename), Some(v.media_type))
        }
    };
    let blob = app.blobs.read(&sha256).await?.ok_or(AppError::NotFound)?;
    app.store
        .record_event(
            scope.actor(),
            NewEvent::success("evidence.download")
                .target(format!("service:{}", s.0))
                .tenant(scope.tenant())
                .details(format!("evidence {evidence} version {version}")),
        )
        .await?;
    Ok(OpenedFile {
        blob,
        filename: filename.unwrap_or_else(|| "evidence".to_string()),
        media_type: media_type.unwrap_or_else(|| "application/octet-stream".to_string()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn evidence_names_known_obligations_and_a_real_end_of_validity() {
        let c = thiqa_catalog::dgssi_cloud_2025();
        let ok = EvidenceMeta::check(c, " PSSI ", "3.1.1.a\n3.1.1.b", "").unwrap();
        assert_eq!(ok.obligations, vec!["3.1.1.a", "3.1.1.b"]);
        assert_eq!(
            EvidenceMeta::check(c, "", " ; ", "2027-13-01").unwrap_err(),
            vec![
                EvidenceProblem::Title,
                EvidenceProblem::NoObligation,
                EvidenceProblem::ValidUntil
            ]
        );
        assert_eq!(
            EvidenceMeta::check(c, "t", "3.1.1.a 7.7", "").unwrap_err(),
            vec![EvidenceProblem::UnknownObligation("7.7".into())]
        );
    }

    #[test]
    fn a_link_must_be_http_and_without_one_a_note_is_required() {
        assert!(matches!(
            Content::link_or_note(" https://x.ma/p ", "n"),
            Ok(Content::Link { url, note: Some(n) }) if url == "https://x.ma/p" && n == "n"
        ));
        assert!(matches!(Content::link_or_note("", " n "), Ok(Content::Note(n)) if n == "n"));
        for (url, note) in [
            ("", ""),
            ("ftp://x", ""),
            ("https://a b", ""),
            ("", &*"n".repeat(NOTE_MAX + 1)),
        ] {
            assert_eq!(
                Content::link_or_note(url, note).unwrap_err(),
                EvidenceProblem::UrlOrNote,
                "{url:?}"
            );
        }
        assert_eq!(Content::file(None).unwrap_err(), EvidenceProblem::File);
    }

    #[test]
    fn validity_expires_the_day_after_its_end_and_warns_a_month_before() {
        let (today, soon) = ("2027-03-01", "2027-03-31");
        assert_eq!(validity("", today, soon), Validity::Valid);
        assert_eq!(validity("2027-04-01", today, soon), Validity::Valid);
        assert_eq!(validity("2027-03-31", today, soon), Validity::Expiring);
        assert_eq!(validity("2027-03-01", today, soon), Validity::Expiring);
        assert_eq!(validity("2027-02-28", today, soon), Validity::Expired);
    }
}
