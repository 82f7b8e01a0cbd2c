//! Figures for the two paths a user waits on: loading the catalog and
//! deciding what applies to a service (targets: under 1 ms together), and one
//! search query (target: under 1 ms).
//!
//! Run: `cargo bench -p thiqa-catalog --bench catalog`. Criterion prints the
//! time of each; the last lines print the targets with the measured ratio.

use std::hint::black_box;
use std::time::Instant;

use criterion::{criterion_group, Criterion};
use thiqa_catalog::{embedded_sources, Catalog, Level, Profile, SearchQuery, ServiceModel};

/// What the binary does at start: load the embedded (build-time JSON) catalog.
fn parse() -> Catalog {
    Catalog::load_embedded().expect("embedded catalog loads")
}

/// Parsing the TOML sources themselves (what tests and editors do).
fn parse_toml() -> Catalog {
    let (root, chapters) = embedded_sources();
    Catalog::parse(root, chapters).expect("embedded catalog parses")
}

fn profile() -> Profile {
    Profile::new(ServiceModel::Saas, Level::Two)
        .with_fact("password_authentication", true)
        .with_fact("remote_intervention_abroad", false)
}

const QUERY: &str = "chiffrement des donnees stockees";

fn benches(c: &mut Criterion) {
    let p = profile();
    c.bench_function("parse embedded catalog + applicability", |b| {
        b.iter(|| {
            let catalog = parse();
            black_box(catalog.applicability(black_box(&p)).len())
        })
    });
    c.bench_function("parse the TOML sources (for comparison)", |b| {
        b.iter(|| black_box(parse_toml().chapters.len()))
    });
    let catalog = parse();
    c.bench_function("applicability (parsed catalog)", |b| {
        b.iter(|| black_box(catalog.applicability(black_box(&p)).len()))
    });
    c.bench_function("build search index", |b| {
        b.iter(|| black_box(thiqa_catalog::SearchIndex::new(&catalog.chapters).vocabulary_len()))
    });
    catalog.search_index();
    let q = SearchQuery::new(QUERY);
    c.bench_function("search query", |b| {
        b.iter(|| black_box(catalog.search(black_box(&q)).len()))
    });
    let mut filtered = SearchQuery::new("journalisation");
    filtered.model = Some(ServiceModel::Iaas);
    filtered.level = Some(Level::One);
    c.bench_function("search query with filters", |b| {
        b.iter(|| black_box(catalog.search(black_box(&filtered)).len()))
    });
}

/// Mean of `n` runs, in microseconds: the summary against the targets.
fn mean_us(n: u32, mut f: impl FnMut()) -> f64 {
    let start = Instant::now();
    for _ in 0..n {
        f();
    }
    start.elapsed().as_secs_f64() * 1e6 / f64::from(n)
}

fn summary() {
    let p = profile();
    let load = mean_us(200, || {
        black_box(parse().applicability(&p).len());
    });
    let catalog = parse();
    catalog.search_index();
    let q = SearchQuery::new(QUERY);
    let search = mean_us(2000, || {
        black_box(catalog.search(&q).len());
    });
    let n = catalog.obligations().count();
    println!("\ncatalog: {n} obligations");
    println!(
        "parse + applicability: {load:.0} µs (target 1000 µs, {:.2}× the target)",
        load / 1000.0
    );
    println!(
        "search \"{QUERY}\": {search:.1} µs (target 1000 µs, {:.3}× the target)",
        search / 1000.0
    );
}

criterion_group!(group, benches);

fn main() {
    group();
    Criterion::default().configure_from_args().final_summary();
    summary();
}
