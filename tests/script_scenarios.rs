//! The shared scenario files (`../shared/scenarios/*.scn`): they all parse now, and they all
//! pass once the session machine is merged.

use std::path::PathBuf;

use cpm_pf::script::{check_file, load};

fn scenarios() -> Vec<PathBuf> {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/scenarios");
    let Ok(entries) = std::fs::read_dir(dir) else {
        eprintln!("skipped: {dir} not found");
        return Vec::new();
    };
    let mut files: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "scn"))
        .collect();
    files.sort();
    files
}

#[test]
fn every_shared_scenario_parses() {
    for path in scenarios() {
        let script = load(&path).unwrap_or_else(|e| panic!("{e}"));
        assert!(script.session.is_some() || script.steps.iter().all(|s| s.text.starts_with("route")));
        assert!(!script.steps.is_empty(), "{} has no steps", path.display());
    }
}

#[test]
#[ignore = "needs session machine"]
fn every_shared_scenario_passes() {
    let mut failures = String::new();
    for path in scenarios() {
        let report = check_file(&path).unwrap_or_else(|e| panic!("{e}"));
        if !report.is_ok() {
            failures.push_str(&report.to_string());
        }
    }
    assert!(failures.is_empty(), "\n{failures}");
}

#[test]
#[ignore = "needs session machine"]
fn an_inline_proxy_scenario_passes() {
    let script = cpm_pf::script::Script::parse(
        "session role=proxy\n\
         <- client BYE | Reason: SIP;cause=200;text=\"Call completed\"\n\
         -> remote BYE | Reason: SIP;cause=200;text=\"Call completed\"\n\
         <- remote 200 BYE\n\
         -> client 200 BYE\n\
         == terminated\n",
    )
    .unwrap();
    let report = cpm_pf::script::check(&script);
    assert!(report.is_ok(), "\n{report}");
}
