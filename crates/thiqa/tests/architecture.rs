//! The workspace's shape, checked so it stays what the README's map says:
//! data flows from the edges (HTTP, CLI) through the use cases
//! (`thiqa-app`) to the store, never back up, and inside a crate no two
//! top-level modules need each other.
//!
//! Test code (`tests.rs` files, anything after `#[cfg(test)]`) and comments
//! are not dependencies and are skipped.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Every `.rs` file under `dir`.
fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// A file's code as the build sees it outside tests, without comments.
fn product_code(path: &Path) -> String {
    if path.file_name().is_some_and(|n| n == "tests.rs") {
        return String::new();
    }
    let text = std::fs::read_to_string(path).unwrap();
    let before_tests = text.split("#[cfg(test)]").next().unwrap_or("");
    before_tests
        .lines()
        .filter(|l| !l.trim_start().starts_with("//"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The identifiers named after `crate::` (also inside `crate::{a, b}`).
fn crate_paths(code: &str) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    for (i, _) in code.match_indices("crate::") {
        let rest = &code[i + "crate::".len()..];
        // `thiqa_crate::x` is another crate, not this one.
        let before = code[..i].chars().next_back();
        if before.is_some_and(|c| c.is_alphanumeric() || c == '_') {
            continue;
        }
        if let Some(group) = rest.strip_prefix('{') {
            let group = &group[..group.find('}').unwrap_or(group.len())];
            for part in group.split(',') {
                let head = part.trim().split("::").next().unwrap_or("").trim();
                names.insert(head.to_string());
            }
        } else {
            let head: String = rest
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            names.insert(head);
        }
    }
    names
}

/// Top-level module → the top-level modules of the same crate it uses.
fn module_graph(src: &Path) -> BTreeMap<String, BTreeSet<String>> {
    let mut modules: BTreeMap<String, Vec<PathBuf>> = BTreeMap::new();
    for entry in std::fs::read_dir(src).unwrap().flatten() {
        let path = entry.path();
        let name = path.file_stem().unwrap().to_string_lossy().to_string();
        if name == "lib" || name == "main" {
            continue;
        }
        let files = modules.entry(name).or_default();
        if path.is_dir() {
            rust_files(&path, files);
        } else if path.extension().is_some_and(|e| e == "rs") {
            files.push(path);
        }
    }
    let names: BTreeSet<String> = modules.keys().cloned().collect();
    modules
        .iter()
        .map(|(name, files)| {
            let used = files
                .iter()
                .flat_map(|f| crate_paths(&product_code(f)))
                .filter(|m| m != name && names.contains(m))
                .collect();
            (name.clone(), used)
        })
        .collect()
}

/// The groups of modules that reach each other (strongly connected
/// components of more than one module), each sorted.
fn cycles(graph: &BTreeMap<String, BTreeSet<String>>) -> Vec<Vec<String>> {
    let reach = |from: &String| {
        let mut seen = BTreeSet::new();
        let mut todo = vec![from.clone()];
        while let Some(m) = todo.pop() {
            for next in &graph[&m] {
                if seen.insert(next.clone()) {
                    todo.push(next.clone());
                }
            }
        }
        seen
    };
    let reaches: BTreeMap<&String, BTreeSet<String>> =
        graph.keys().map(|m| (m, reach(m))).collect();
    let mut groups: BTreeSet<Vec<String>> = BTreeSet::new();
    for m in graph.keys() {
        let mut group: Vec<String> = graph
            .keys()
            .filter(|o| *o == m || (reaches[m].contains(*o) && reaches[*o].contains(m)))
            .cloned()
            .collect();
        group.sort();
        if group.len() > 1 {
            groups.insert(group);
        }
    }
    groups.into_iter().collect()
}

/// Cycles not broken yet, each to be removed from this list when it is:
/// the test fails on any other cycle, and on one listed here that is gone.
const KNOWN_CYCLES: &[(&str, &[&str])] = &[];

#[test]
fn no_crate_has_a_cycle_between_its_top_level_modules() {
    let crates = workspace().join("crates");
    let mut found: BTreeSet<(String, Vec<String>)> = BTreeSet::new();
    let mut checked = 0;
    for entry in std::fs::read_dir(&crates).unwrap().flatten() {
        let src = entry.path().join("src");
        if !src.is_dir() {
            continue;
        }
        let name = entry.file_name().to_string_lossy().to_string();
        checked += 1;
        for group in cycles(&module_graph(&src)) {
            found.insert((name.clone(), group));
        }
    }
    assert!(checked >= 12, "only {checked} crates found");
    let known: BTreeSet<(String, Vec<String>)> = KNOWN_CYCLES
        .iter()
        .map(|(c, g)| (c.to_string(), g.iter().map(|m| m.to_string()).collect()))
        .collect();
    let new: Vec<_> = found.difference(&known).collect();
    let gone: Vec<_> = known.difference(&found).collect();
    println!(
        "{checked} crates checked; known cycles left: {}",
        known.len()
    );
    assert!(
        new.is_empty(),
        "modules that need each other (move what both need into a module of its own): {new:?}"
    );
    assert!(
        gone.is_empty(),
        "these cycles are broken: take them off KNOWN_CYCLES: {gone:?}"
    );
}

#[test]
fn the_cycle_finder_sees_a_cycle_and_ignores_tests_and_comments() {
    let dir = tempfile::tempdir().unwrap();
    let write = |name: &str, text: &str| std::fs::write(dir.path().join(name), text).unwrap();
    write("a.rs", "use crate::b::X;\n");
    write("b.rs", "use crate::{c, d::Y};\n");
    write("c.rs", "pub fn f() { crate::a::g() }\n");
    write(
        "d.rs",
        "// crate::a is only named here\n#[cfg(test)]\nmod tests { use crate::a; }\n",
    );
    write("tests.rs", "use crate::a;\n");
    let graph = module_graph(dir.path());
    assert_eq!(cycles(&graph), vec![vec!["a", "b", "c"]]);
    assert!(graph["d"].is_empty(), "{graph:?}");
}

/// The CLI calls use cases, never the web edge's pages or API handlers.
#[test]
fn the_command_line_does_not_reach_into_the_web_pages() {
    let mut files = Vec::new();
    rust_files(&workspace().join("crates/thiqa/src"), &mut files);
    for f in files {
        let code = product_code(&f);
        for edge in [
            "thiqa_server::pages",
            "thiqa_server::api",
            "thiqa_server::web",
        ] {
            assert!(!code.contains(edge), "{} uses {edge}", f.display());
        }
    }
}

/// `cargo tree` of one crate's normal dependencies (`depth` levels down,
/// "" for all), one name per line.
fn dependencies(krate: &str, depth: &str) -> Vec<String> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let out = Command::new(cargo)
        .current_dir(workspace())
        .args([
            "tree",
            "--offline",
            "-e",
            "normal",
            "--prefix",
            "none",
            "-p",
            krate,
        ])
        .args(if depth.is_empty() {
            vec![]
        } else {
            vec!["--depth", depth]
        })
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .filter_map(|l| l.split_whitespace().next().map(str::to_string))
        .collect()
}

/// The web edge reaches the database only through the store (which it
/// depends on, so the driver is in its tree below the store, never beside).
#[test]
fn the_web_edge_does_not_depend_on_the_database_driver() {
    let deps = dependencies("thiqa-server", "1");
    assert!(deps.iter().any(|d| d == "thiqa-store"), "{deps:?}");
    assert!(
        !deps.iter().any(|d| d == "sqlx" || d == "rusqlite"),
        "{deps:?}"
    );
}

/// Storage is storage: no HTTP client in the store's tree (evidence files
/// in S3 go through `thiqa-blobs`), nor the parsers and rule engine, which
/// it uses only as crates of their own that do no I/O.
#[test]
fn the_store_carries_no_http_client() {
    let deps = dependencies("thiqa-store", "");
    for client in ["hyper", "reqwest", "object_store", "thiqa-blobs"] {
        assert!(!deps.iter().any(|d| d == client), "{client} in {deps:?}");
    }
}
