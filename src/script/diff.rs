//! Comparing what a script expects with what the library produced, step by step, as multisets.

use core::fmt;
use std::path::Path;

use super::error::{FileError, FileErrorKind};
use super::line::OutputLine;
use super::parse::Script;
use super::run::{run, Trace};

/// The lines of one step that did not match.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StepDiff {
    /// The input's line number (1-based).
    pub line: usize,
    /// The input line as written.
    pub input: String,
    /// Expected lines (as written) that were not produced.
    pub missing: Vec<String>,
    /// Produced lines (canonical) that were not expected.
    pub unexpected: Vec<String>,
    /// Promises the session broke at this step (see [`crate::invariants`]).
    pub violations: Vec<String>,
}

/// The outcome of checking a script: every step whose outputs differ from its expectations.
///
/// `Display` prints each differing step as `FILE:LINE: <input line>` followed by
/// `  missing: <expected line>` and `  unexpected: <produced line>` lines; nothing when all
/// steps match.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CheckReport {
    /// The file the script came from (`<script>` is shown when `None`).
    pub file: Option<String>,
    /// How many steps were compared.
    pub steps: usize,
    /// The steps that differ, in script order.
    pub diffs: Vec<StepDiff>,
}

impl CheckReport {
    /// `true` when every step produced exactly what it expected.
    pub fn is_ok(&self) -> bool {
        self.diffs.is_empty()
    }

    /// The same report, attributed to `file`.
    pub fn with_file(mut self, file: impl Into<String>) -> CheckReport {
        self.file = Some(file.into());
        self
    }
}

impl fmt::Display for CheckReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let file = self.file.as_deref().unwrap_or("<script>");
        for d in &self.diffs {
            writeln!(f, "{file}:{}: {}", d.line, d.input)?;
            for m in &d.missing {
                writeln!(f, "  missing: {m}")?;
            }
            for u in &d.unexpected {
                writeln!(f, "  unexpected: {u}")?;
            }
            for v in &d.violations {
                writeln!(f, "  invariant broken: {v}")?;
            }
        }
        Ok(())
    }
}

/// Compares two lists of output lines as multisets: order does not matter, counts do.
///
/// Returns the indices of the `expected` lines with no produced counterpart, and of the
/// `produced` lines with no expected counterpart, each in their list's order.
///
/// ```
/// use cpm_pf::script::{compare_outputs, OutputLine};
/// let lines = |v: &[&str]| -> Vec<OutputLine> { v.iter().map(|l| l.parse().unwrap()).collect() };
/// let expected = lines(&["-> iwf1 BYE", "-> iwf2 BYE"]);
/// let produced = lines(&["-> iwf2 BYE", "-> iwf1 BYE", "-> iwf1 BYE"]);
/// assert_eq!(compare_outputs(&expected, &produced), (vec![], vec![2]));
/// ```
pub fn compare_outputs(expected: &[OutputLine], produced: &[OutputLine]) -> (Vec<usize>, Vec<usize>) {
    let mut used = vec![false; produced.len()];
    let mut missing = Vec::new();
    for (i, e) in expected.iter().enumerate() {
        match (0..produced.len()).find(|&j| !used[j] && produced[j] == *e) {
            Some(j) => used[j] = true,
            None => missing.push(i),
        }
    }
    let unexpected = used.iter().enumerate().filter(|(_, u)| !**u).map(|(j, _)| j).collect();
    (missing, unexpected)
}

/// Compares the expectations of `script` with `trace` (diagnostics are never compared); a step
/// where the session broke an invariant differs whatever its lines.
///
/// This needs no session: a test can build the trace by hand.
pub fn compare(script: &Script, trace: &Trace) -> CheckReport {
    let mut report = CheckReport { file: None, steps: script.steps.len(), diffs: Vec::new() };
    for (i, step) in script.steps.iter().enumerate() {
        // A step the trace does not reach (a trace built by hand, or cut short) produced no line
        // and broke no invariant: every line it expects is reported missing.
        let (produced, violations): (Vec<OutputLine>, _) = match trace.steps.get(i) {
            Some(t) => (t.lines.iter().filter_map(|l| l.output().cloned()).collect(), t.violations.clone()),
            None => (Vec::new(), Vec::new()),
        };
        let expected: Vec<OutputLine> = step.expected.iter().map(|e| e.output.clone()).collect();
        let (missing, unexpected) = compare_outputs(&expected, &produced);
        if !missing.is_empty() || !unexpected.is_empty() || !violations.is_empty() {
            report.diffs.push(StepDiff {
                line: step.line,
                input: step.text.clone(),
                missing: missing.iter().map(|&m| step.expected[m].text.clone()).collect(),
                unexpected: unexpected.iter().map(|&u| produced[u].to_string()).collect(),
                violations,
            });
        }
    }
    report
}

/// Runs `script` and compares what it produced with what it expects.
pub fn check(script: &Script) -> CheckReport {
    compare(script, &run(script))
}

/// Reads and parses the script file at `path`.
pub fn load(path: impl AsRef<Path>) -> Result<Script, FileError> {
    let path = path.as_ref();
    let text = std::fs::read_to_string(path)
        .map_err(|e| FileError { path: path.to_owned(), kind: FileErrorKind::Io(e) })?;
    Script::parse(&text).map_err(|e| e.in_file(path))
}

/// Reads, parses, runs and checks the script file at `path`; the report names the file.
///
/// ```no_run
/// let report = cpm_pf::script::check_file("scenarios/proxy-forwards-bye.scn").unwrap();
/// assert!(report.is_ok(), "{report}");
/// ```
pub fn check_file(path: impl AsRef<Path>) -> Result<CheckReport, FileError> {
    let path = path.as_ref();
    let script = load(path)?;
    Ok(check(&script).with_file(path.display().to_string()))
}
