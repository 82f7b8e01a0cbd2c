//! `thiqa catalog …`: the référentiel from the shell, without a server or a
//! database: list, read, search, work out applicability, compare two
//! profiles, count, export.

mod show;

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{bail, Context};
use clap::{Subcommand, ValueEnum};
use thiqa_catalog::{
    Catalog, Force, Lang, Level, Nature, Profile, Recurrence, SearchQuery, ServiceModel, Subject,
};

#[derive(Subcommand)]
pub enum CatalogCommand {
    /// Chapters, articles and obligation ids with short titles.
    List {
        #[arg(long, value_enum, default_value_t = LangArg::Fr)]
        lang: LangArg,
    },
    /// One article or obligation in full: French text, then English, attributes, references, evidence.
    Show {
        /// An article (3.6.3), an obligation (3.6.3.b) or a chapter (3.6).
        id: String,
        /// Language of the labels (the text is always shown in both).
        #[arg(long, value_enum, default_value_t = LangArg::Fr)]
        lang: LangArg,
    },
    /// The obligations that apply to a service, each with its reason.
    Applicable {
        #[arg(long, value_parser = parse_model)]
        model: ServiceModel,
        #[arg(long, value_parser = parse_level)]
        level: Level,
        /// Answer to a profile question (repeatable); unanswered questions take the catalog's default.
        #[arg(long = "fact", value_name = "NAME=yes|no", value_parser = parse_fact)]
        facts: Vec<(String, bool)>,
        #[arg(long, value_enum, default_value_t = LangArg::Fr)]
        lang: LangArg,
        /// Also list the obligations that do not apply, with the reason.
        #[arg(long)]
        all: bool,
    },
    /// What applies differently to two profiles (e.g. moving a service from level 1 to level 2).
    Compare {
        #[arg(long, value_parser = parse_model)]
        left_model: ServiceModel,
        #[arg(long, value_parser = parse_level)]
        left_level: Level,
        #[arg(long = "left-fact", value_name = "NAME=yes|no", value_parser = parse_fact)]
        left_facts: Vec<(String, bool)>,
        #[arg(long, value_parser = parse_model)]
        right_model: ServiceModel,
        #[arg(long, value_parser = parse_level)]
        right_level: Level,
        #[arg(long = "right-fact", value_name = "NAME=yes|no", value_parser = parse_fact)]
        right_facts: Vec<(String, bool)>,
        #[arg(long, value_enum, default_value_t = LangArg::Fr)]
        lang: LangArg,
    },
    /// Counts: chapters, articles, obligations, by force, nature, recurrence, level, model.
    Stats {
        #[arg(long, value_enum, default_value_t = LangArg::Fr)]
        lang: LangArg,
    },
    /// Full-text search, accents and case ignored ("securite" finds "sécurité").
    Search {
        #[arg(required = true)]
        words: Vec<String>,
        #[arg(long, value_parser = parse_model)]
        model: Option<ServiceModel>,
        #[arg(long, value_parser = parse_level)]
        level: Option<Level>,
        #[arg(long, value_parser = parse_nature)]
        nature: Option<Nature>,
        #[arg(long, value_parser = parse_recurrence)]
        recurrence: Option<Recurrence>,
        #[arg(long, value_parser = parse_force)]
        force: Option<Force>,
        /// Chapter id, e.g. 3.6.
        #[arg(long)]
        chapter: Option<String>,
        #[arg(long, value_enum, default_value_t = LangArg::Fr)]
        lang: LangArg,
    },
    /// Write the catalog (or a service's OSCAL profile) to standard output or a file.
    Export {
        #[arg(long, value_enum)]
        format: ExportFormat,
        /// File to write [default: standard output; required for xlsx].
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
        /// For oscal-profile: the service model.
        #[arg(long, value_parser = parse_model)]
        model: Option<ServiceModel>,
        /// For oscal-profile: the qualification level.
        #[arg(long, value_parser = parse_level)]
        level: Option<Level>,
        /// For oscal-profile: answers to profile questions (repeatable).
        #[arg(long = "fact", value_name = "NAME=yes|no", value_parser = parse_fact)]
        facts: Vec<(String, bool)>,
        /// For oscal-profile: where the profile finds the catalog.
        #[arg(long, default_value = "catalog.json")]
        catalog_href: String,
        /// Language of the OSCAL titles and texts.
        #[arg(long, value_enum, default_value_t = LangArg::Fr)]
        lang: LangArg,
    },
}

#[derive(Clone, Copy, Default, ValueEnum)]
pub enum LangArg {
    #[default]
    Fr,
    En,
}

impl From<LangArg> for Lang {
    fn from(l: LangArg) -> Lang {
        match l {
            LangArg::Fr => Lang::Fr,
            LangArg::En => Lang::En,
        }
    }
}

#[derive(Clone, Copy, ValueEnum)]
pub enum ExportFormat {
    /// OSCAL 1.1.2 catalog (JSON).
    Oscal,
    /// OSCAL profile of the obligations that apply to --model/--level/--fact.
    OscalProfile,
    /// Thiqa's own JSON document (loadable again).
    Json,
    /// One row per obligation.
    Csv,
    /// Spreadsheet; needs --out.
    Xlsx,
}

fn names<T: Copy>(all: &[T], name: fn(T) -> &'static str) -> String {
    all.iter().map(|v| name(*v)).collect::<Vec<_>>().join(", ")
}

fn parse_model(s: &str) -> Result<ServiceModel, String> {
    ServiceModel::from_name(s).ok_or_else(|| {
        format!(
            "expected one of {}",
            names(&ServiceModel::ALL, ServiceModel::as_str)
        )
    })
}

fn parse_level(s: &str) -> Result<Level, String> {
    match s.trim() {
        "1" => Ok(Level::One),
        "2" => Ok(Level::Two),
        _ => Err("expected 1 or 2".into()),
    }
}

fn parse_nature(s: &str) -> Result<Nature, String> {
    Nature::from_name(s)
        .ok_or_else(|| format!("expected one of {}", names(Nature::ALL, Nature::as_str)))
}

fn parse_recurrence(s: &str) -> Result<Recurrence, String> {
    Recurrence::from_name(s).ok_or_else(|| {
        format!(
            "expected one of {}",
            names(Recurrence::ALL, Recurrence::as_str)
        )
    })
}

fn parse_force(s: &str) -> Result<Force, String> {
    Force::from_name(s)
        .ok_or_else(|| format!("expected one of {}", names(Force::ALL, Force::as_str)))
}

/// `NAME=yes|no`, the name checked against the embedded catalog so a typo is
/// reported at once, naming the valid questions.
fn parse_fact(s: &str) -> Result<(String, bool), String> {
    let Some((name, value)) = s.split_once(['=', ':']) else {
        return Err("expected NAME=yes or NAME=no".into());
    };
    let catalog = thiqa_catalog::dgssi_cloud_2025();
    let name = name.trim();
    if catalog.fact(name).is_none() {
        let known: Vec<&str> = catalog.facts().map(|f| f.id.as_str()).collect();
        return Err(format!(
            "unknown fact \"{name}\"; the catalog's facts are: {}",
            known.join(", ")
        ));
    }
    let value = match value.trim().to_ascii_lowercase().as_str() {
        "yes" | "true" | "oui" => true,
        "no" | "false" | "non" => false,
        other => return Err(format!("\"{other}\": expected yes or no")),
    };
    Ok((name.to_string(), value))
}

fn profile(
    catalog: &Catalog,
    model: ServiceModel,
    level: Level,
    facts: Vec<(String, bool)>,
) -> anyhow::Result<Profile> {
    let mut p = Profile::new(model, level);
    p.facts.extend(facts);
    p.validate(catalog)?;
    Ok(p)
}

pub fn run(cmd: CatalogCommand) -> anyhow::Result<ExitCode> {
    let c = thiqa_catalog::try_dgssi_cloud_2025()
        .map_err(|e| anyhow::anyhow!("the embedded catalog is invalid: {e}"))?;
    let text = match cmd {
        CatalogCommand::List { lang } => show::list(c, lang.into()),
        CatalogCommand::Show { id, lang } => show::show(c, &id, lang.into())?,
        CatalogCommand::Applicable {
            model,
            level,
            facts,
            lang,
            all,
        } => applicable(c, &profile(c, model, level, facts)?, lang.into(), all),
        CatalogCommand::Compare {
            left_model,
            left_level,
            left_facts,
            right_model,
            right_level,
            right_facts,
            lang,
        } => {
            let left = profile(c, left_model, left_level, left_facts)?;
            let right = profile(c, right_model, right_level, right_facts)?;
            compare(c, &left, &right, lang.into())
        }
        CatalogCommand::Stats { lang } => c.stats().render(lang.into()),
        CatalogCommand::Search {
            words,
            model,
            level,
            nature,
            recurrence,
            force,
            chapter,
            lang,
        } => {
            if let Some(ch) = &chapter {
                if c.chapter(ch).is_none() {
                    let known: Vec<&str> = c.chapters.iter().map(|c| c.id.as_str()).collect();
                    bail!("no chapter {ch}; the chapters are: {}", known.join(", "));
                }
            }
            let query = SearchQuery {
                text: words.join(" "),
                model,
                level,
                nature,
                recurrence,
                force,
                chapter,
            };
            search(c, &query, lang.into())
        }
        CatalogCommand::Export {
            format,
            out,
            model,
            level,
            facts,
            catalog_href,
            lang,
        } => {
            let bytes = export(c, format, (model, level, facts), &catalog_href, lang.into())?;
            return write_out(&bytes, out.as_deref(), matches!(format, ExportFormat::Xlsx));
        }
    };
    emit(text.as_bytes())?;
    Ok(ExitCode::SUCCESS)
}

/// Writes to standard output; a closed pipe (`| head`) is not an error.
fn emit(bytes: &[u8]) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    match out.write_all(bytes).and_then(|()| out.flush()) {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        other => other.context("writing to standard output"),
    }
}

fn write_out(
    bytes: &[u8],
    out: Option<&std::path::Path>,
    binary: bool,
) -> anyhow::Result<ExitCode> {
    match out {
        Some(path) => {
            std::fs::write(path, bytes).with_context(|| format!("writing {}", path.display()))?;
            eprintln!("written: {} ({} bytes)", path.display(), bytes.len());
        }
        None if binary => bail!("--format xlsx writes a binary file: give --out FILE"),
        None => emit(bytes)?,
    }
    Ok(ExitCode::SUCCESS)
}

type ProfileParts = (Option<ServiceModel>, Option<Level>, Vec<(String, bool)>);

fn export(
    c: &Catalog,
    format: ExportFormat,
    (model, level, facts): ProfileParts,
    href: &str,
    lang: Lang,
) -> anyhow::Result<Vec<u8>> {
    let profiled = matches!(format, ExportFormat::OscalProfile);
    if !profiled && (model.is_some() || level.is_some() || !facts.is_empty()) {
        bail!("--model, --level and --fact only apply to --format oscal-profile");
    }
    Ok(match format {
        ExportFormat::Oscal => pretty(thiqa_catalog::oscal::catalog(c, lang))?,
        ExportFormat::OscalProfile => {
            let (Some(model), Some(level)) = (model, level) else {
                bail!("--format oscal-profile needs --model and --level");
            };
            let p = profile(c, model, level, facts)?;
            pretty(thiqa_catalog::oscal::profile(c, &p, href, lang))?
        }
        ExportFormat::Json => (thiqa_catalog::json::to_string(c) + "\n").into_bytes(),
        ExportFormat::Csv => {
            let mut out = Vec::new();
            thiqa_export::catalog_csv(c, &mut out)?;
            out
        }
        ExportFormat::Xlsx => thiqa_export::catalog_xlsx(c)?,
    })
}

fn pretty(v: serde_json::Value) -> serde_json::Result<Vec<u8>> {
    let mut bytes = serde_json::to_vec_pretty(&v)?;
    bytes.push(b'\n');
    Ok(bytes)
}

fn title(c: &Catalog, id: &str, lang: Lang) -> String {
    if let Some(o) = c.obligation(id) {
        return lang.pick(&o.title_fr, &o.title_en).to_string();
    }
    c.items()
        .find(|(_, i)| i.id == id)
        .map(|(_, i)| show::short(lang.pick(&i.text_fr, &i.text_en), 90))
        .unwrap_or_default()
}

fn applicable(c: &Catalog, p: &Profile, lang: Lang, all: bool) -> String {
    use std::fmt::Write;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{} {}",
        lang.pick("Profil :", "Profile:"),
        p.describe(lang)
    );
    for (id, value) in &p.facts {
        let _ = writeln!(
            out,
            "  {id} = {}",
            if *value {
                lang.pick("oui", "yes")
            } else {
                lang.pick("non", "no")
            }
        );
    }
    let _ = writeln!(
        out,
        "{}\n",
        lang.pick(
            "  (autres questions : réponse par défaut)",
            "  (other questions: default answer)"
        )
    );
    let decisions = c.applicability(p);
    let mut shown_parent = false;
    let mut parent_reasons = 0;
    let (mut ob, mut ob_yes, mut it, mut it_yes) = (0, 0, 0, 0);
    for d in &decisions {
        let mark = if d.applicable { '+' } else { '-' };
        match d.subject {
            Subject::Obligation => {
                ob += 1;
                ob_yes += usize::from(d.applicable);
                parent_reasons = d.reasons.len();
                shown_parent = d.applicable || all;
                if shown_parent {
                    let _ = writeln!(
                        out,
                        "{mark} {}  {}\n    {}",
                        d.id,
                        title(c, &d.id, lang),
                        d.explain(lang, c)
                    );
                }
            }
            Subject::Item { .. } => {
                it += 1;
                it_yes += usize::from(d.applicable);
                // Items restricted further than their obligation are worth a line.
                if shown_parent && d.reasons.len() > parent_reasons && (d.applicable || all) {
                    let _ = writeln!(
                        out,
                        "    {mark} {}  {}\n        {}",
                        d.id,
                        title(c, &d.id, lang),
                        d.explain(lang, c)
                    );
                }
            }
        }
    }
    let _ = writeln!(
        out,
        "\n{} {ob_yes} / {ob} ; {} {}\n{} {it_yes} / {it}",
        lang.pick("Obligations applicables :", "Applicable obligations:"),
        lang.pick("non applicables :", "not applicable:"),
        ob - ob_yes,
        lang.pick("Éléments de liste applicables :", "Applicable list items:"),
    );
    out
}

fn compare(c: &Catalog, left: &Profile, right: &Profile, lang: Lang) -> String {
    use std::fmt::Write;
    let diffs = c.compare(left, right);
    let mut out = format!("{} / {}\n\n", left.describe(lang), right.describe(lang));
    for d in &diffs {
        let _ = writeln!(
            out,
            "{}\n    {}",
            d.explain(lang, c, left, right),
            title(c, &d.id, lang)
        );
    }
    let _ = writeln!(
        out,
        "\n{} {}",
        lang.pick("Différences :", "Differences:"),
        diffs.len()
    );
    out
}

fn search(c: &Catalog, q: &SearchQuery, lang: Lang) -> String {
    use std::fmt::Write;
    let hits = c.search(q);
    let mut out = String::new();
    for h in &hits {
        let article = &c.chapters[h.at.chapter].articles[h.at.article];
        let o = h.obligation;
        let _ = writeln!(
            out,
            "{}  {}\n    {} {}",
            o.id,
            lang.pick(&o.title_fr, &o.title_en),
            article.id,
            lang.pick(&article.title_fr, &article.title_en)
        );
    }
    let _ = writeln!(
        out,
        "{} {}",
        lang.pick("Résultats :", "Results:"),
        hits.len()
    );
    out
}
