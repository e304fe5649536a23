//! The command line of `examples/replay.rs`, as a function so that it can be tested without
//! building the example.

use std::io::Write;
use std::panic::{catch_unwind, AssertUnwindSafe};

use super::diff::{check, load};
use super::run::run;

/// The usage text.
pub const USAGE: &str = "usage: replay FILE...          print the trace of each script\n       \
                         replay --check FILE...  compare each script with its expectations";

/// Exit code: every file passed (or every trace was printed).
pub const EXIT_OK: i32 = 0;
/// Exit code: some step produced something other than what was expected (or the library
/// panicked).
pub const EXIT_DIFFERED: i32 = 1;
/// Exit code: a script error, an unreadable file or bad usage.
pub const EXIT_ERROR: i32 = 2;

/// Runs the replay command line with `args` (without the program name), writing traces, diffs
/// and summaries to `out` and errors to `err`; returns the process exit code.
///
/// - `replay FILE...` prints each file's trace (a valid script; with several files each is
///   preceded by a `# FILE` comment).
/// - `replay --check FILE...` checks each file, prints the differing steps, then `ok FILE` or
///   `FAIL FILE`, and finally `N passed, M failed`. A file with a script error (reported as
///   `FILE:LINE: why` on `err`) or that cannot be read counts as failed.
///
/// Exit codes: [`EXIT_OK`], [`EXIT_DIFFERED`], [`EXIT_ERROR`] (the highest that applies).
pub fn replay(args: &[String], out: &mut dyn Write, err: &mut dyn Write) -> i32 {
    let mut check_mode = false;
    let mut files = Vec::new();
    for arg in args {
        match arg.as_str() {
            "--check" => check_mode = true,
            "-h" | "--help" => {
                let _ = writeln!(out, "{USAGE}");
                return EXIT_OK;
            }
            "--" => {}
            a if a.starts_with('-') && a.len() > 1 => {
                let _ = writeln!(err, "unknown option {a}\n{USAGE}");
                return EXIT_ERROR;
            }
            a => files.push(a),
        }
    }
    if files.is_empty() {
        let _ = writeln!(err, "{USAGE}");
        return EXIT_ERROR;
    }
    let mut code = EXIT_OK;
    let (mut passed, mut failed) = (0usize, 0usize);
    for file in &files {
        let script = match load(file) {
            Ok(s) => s,
            Err(e) => {
                let _ = writeln!(err, "{e}");
                code = EXIT_ERROR;
                if check_mode {
                    failed += 1;
                    let _ = writeln!(out, "FAIL {file}");
                }
                continue;
            }
        };
        if check_mode {
            match catch_unwind(AssertUnwindSafe(|| check(&script))) {
                Ok(report) if report.is_ok() => {
                    passed += 1;
                    let _ = writeln!(out, "ok {file}");
                }
                Ok(report) => {
                    failed += 1;
                    code = code.max(EXIT_DIFFERED);
                    let _ = write!(out, "{}", report.with_file(*file));
                    let _ = writeln!(out, "FAIL {file}");
                }
                Err(_) => {
                    failed += 1;
                    code = code.max(EXIT_DIFFERED);
                    let _ = writeln!(err, "{file}: the library panicked (a bug in the library)");
                    let _ = writeln!(out, "FAIL {file}");
                }
            }
        } else {
            match catch_unwind(AssertUnwindSafe(|| run(&script))) {
                Ok(trace) => {
                    if files.len() > 1 {
                        let _ = writeln!(out, "# {file}");
                    }
                    let _ = write!(out, "{trace}");
                }
                Err(_) => {
                    code = code.max(EXIT_DIFFERED);
                    let _ = writeln!(err, "{file}: the library panicked (a bug in the library)");
                }
            }
        }
    }
    if check_mode {
        let _ = writeln!(out, "{passed} passed, {failed} failed");
    }
    code
}
