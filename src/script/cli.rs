//! The command line of the `replay` binary (`src/bin/replay.rs`, feature `cli`), as a function
//! so that it can be tested without building the binary.

use std::io::Write;
use std::panic::{catch_unwind, AssertUnwindSafe};

use super::diff::{check, load};
use super::parse::Script;
use super::run::run;

/// The usage text: what `--help` prints, and what bad usage prints after its error.
pub const USAGE: &str = "\
usage: replay FILE...          print the trace of each script
       replay --check FILE...  compare each script with its expectations

Runs cpm-pf scenario scripts; the language is documented in docs/scenarios.md.

options:
  --check      compare each step's outputs with the script's expectations, then print
               `ok FILE` or `FAIL FILE` per file and `N passed, M failed`
  -h, --help   print this help and exit 0
  --           every argument after it is a file

exit codes:
  0  every script passed (with --check), or every trace was printed
  1  a step produced something other than what was expected (or broke an invariant,
     or the library panicked)
  2  a script error (reported as FILE:LINE: why), an unreadable file, or bad usage";

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
    let (check_mode, files) = match parse_args(args) {
        Args::Run { check, files } => (check, files),
        Args::Help => {
            let _ = writeln!(out, "{USAGE}");
            return EXIT_OK;
        }
        Args::Bad(why) => {
            let _ = writeln!(err, "{why}{USAGE}");
            return EXIT_ERROR;
        }
    };
    let mut code = EXIT_OK;
    let (mut passed, mut failed) = (0usize, 0usize);
    for file in &files {
        let file_code = match load(file) {
            Err(e) => {
                let _ = writeln!(err, "{e}");
                if check_mode {
                    let _ = writeln!(out, "FAIL {file}");
                }
                EXIT_ERROR
            }
            Ok(script) if check_mode => check_one(file, &script, out, err),
            Ok(script) => print_one(file, &script, files.len() > 1, out, err),
        };
        if check_mode && file_code == EXIT_OK {
            passed += 1;
        } else if check_mode {
            failed += 1;
        }
        code = code.max(file_code);
    }
    if check_mode {
        let _ = writeln!(out, "{passed} passed, {failed} failed");
    }
    code
}

/// What the command line asks for.
enum Args<'a> {
    /// Print (or, with `check`, check) these files.
    Run { check: bool, files: Vec<&'a str> },
    /// `-h` or `--help`.
    Help,
    /// Bad usage: why, as a line ending with a newline (or empty).
    Bad(String),
}

fn parse_args(args: &[String]) -> Args<'_> {
    let mut check = false;
    let mut files = Vec::new();
    let mut options_done = false;
    for arg in args {
        match arg.as_str() {
            a if options_done => files.push(a),
            "--check" => check = true,
            "-h" | "--help" => return Args::Help,
            "--" => options_done = true,
            a if a.starts_with('-') && a.len() > 1 => return Args::Bad(format!("unknown option {a}\n")),
            a => files.push(a),
        }
    }
    if files.is_empty() {
        return Args::Bad(String::new());
    }
    Args::Run { check, files }
}

/// Checks one loaded script: prints its differing steps and `ok FILE` or `FAIL FILE`; returns
/// its exit code.
fn check_one(file: &str, script: &Script, out: &mut dyn Write, err: &mut dyn Write) -> i32 {
    match catch_unwind(AssertUnwindSafe(|| check(script))) {
        Ok(report) if report.is_ok() => {
            let _ = writeln!(out, "ok {file}");
            EXIT_OK
        }
        Ok(report) => {
            let _ = write!(out, "{}", report.with_file(file));
            let _ = writeln!(out, "FAIL {file}");
            EXIT_DIFFERED
        }
        Err(_) => {
            let _ = writeln!(err, "{file}: the library panicked (a bug in the library)");
            let _ = writeln!(out, "FAIL {file}");
            EXIT_DIFFERED
        }
    }
}

/// Prints the trace of one loaded script (after a `# FILE` line when there are several files);
/// returns its exit code.
fn print_one(file: &str, script: &Script, several: bool, out: &mut dyn Write, err: &mut dyn Write) -> i32 {
    match catch_unwind(AssertUnwindSafe(|| run(script))) {
        Ok(trace) => {
            if several {
                let _ = writeln!(out, "# {file}");
            }
            let _ = write!(out, "{trace}");
            EXIT_OK
        }
        Err(_) => {
            let _ = writeln!(err, "{file}: the library panicked (a bug in the library)");
            EXIT_DIFFERED
        }
    }
}
