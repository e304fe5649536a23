//! Every scenario file runs in `cargo test`: the project's own (`tests/scenarios/*.scn`, one or
//! more per requirement ID, named after it) and the shared ones (`../shared/scenarios/*.scn`,
//! when that folder exists; under `CI=true` it must) except those listed in `tests/PENDING`.

use std::path::{Path, PathBuf};

use cpm_pf::script::{check, check_file, load, Script};

mod common;

use common::{scn_files, shared_scenarios};

fn manifest_dir() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn pending() -> Vec<String> {
    std::fs::read_to_string(manifest_dir().join("tests/PENDING"))
        .unwrap_or_default()
        .lines()
        .map(|l| l.split('#').next().unwrap_or("").trim().to_owned())
        .filter(|l| !l.is_empty())
        .collect()
}

fn failures(files: &[PathBuf]) -> String {
    let mut failures = String::new();
    for path in files {
        match check_file(path) {
            Ok(report) if report.is_ok() => {}
            Ok(report) => failures.push_str(&format!("{report}\n")),
            Err(e) => failures.push_str(&format!("{e}\n")),
        }
    }
    failures
}

#[test]
fn every_project_scenario_passes() {
    let files = scn_files(&manifest_dir().join("tests/scenarios"));
    assert!(files.len() >= 40, "tests/scenarios/ should hold the project's scenarios, found {}", files.len());
    let failures = failures(&files);
    assert!(failures.is_empty(), "\n{failures}");
}

/// Skipped (saying so) when `../shared/scenarios` is missing, except under `CI=true`, where it
/// fails.
#[test]
fn every_shared_scenario_not_pending_passes() {
    let Some((dir, files)) = shared_scenarios() else { return };
    let pending = pending();
    for name in &pending {
        assert!(dir.join(name).exists(), "tests/PENDING names {name}, which is not a shared scenario");
    }
    let run: Vec<PathBuf> = files
        .into_iter()
        .filter(|p| !pending.iter().any(|n| p.file_name().is_some_and(|f| f == n.as_str())))
        .collect();
    let failures = failures(&run);
    assert!(failures.is_empty(), "\n{failures}");
}

/// Skipped (saying so) when `../shared/scenarios` is missing, except under `CI=true`.
#[test]
fn every_shared_scenario_parses() {
    let Some((_, files)) = shared_scenarios() else { return };
    for path in files {
        let script = load(&path).unwrap_or_else(|e| panic!("{e}"));
        assert!(!script.steps.is_empty(), "{} has no steps", path.display());
    }
}

#[test]
fn a_wrong_expectation_is_reported() {
    // The runner can fail: the proxy's forwarded BYE expected on the wrong leg.
    let script = Script::parse(
        "session role=proxy\n\
         <- client BYE\n\
         -> client BYE\n",
    )
    .unwrap();
    let report = check(&script);
    assert!(!report.is_ok());
    let text = report.to_string();
    assert!(text.contains("missing: -> client BYE") && text.contains("unexpected: -> remote BYE"), "{text}");
}
