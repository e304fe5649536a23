//! The command line of the `replay` binary (`src/bin/replay.rs`, feature `cli`), as a function
//! so that it can be tested without building the binary.

use std::io::Write;
use std::panic::{catch_unwind, AssertUnwindSafe};

use super::diff::{compare, load, CheckReport};
use super::parse::Script;
use super::run::{run, run_storing, StoredObject};

/// The usage text: what `--help` prints, and what bad usage prints after its error.
pub const USAGE: &str = "\
usage: replay FILE...          print the trace of each script
       replay --check FILE...  compare each script with its expectations
       replay [--check] --store-dir DIR FILE...

Runs cpm-pf scenario scripts; the language is documented in docs/scenarios.md.

options:
  --check      compare each step's outputs with the script's expectations, then print
               `ok FILE` or `FAIL FILE` per file and `N passed, M failed`
  --store-dir DIR
               also write the content of every object the session stored to
               DIR/NN-OBJECT.eml (NN from 01 in store order, spaces in OBJECT as `_`) and one
               line per store to DIR/manifest.tsv: file, object, folder, IMAP mailbox; with
               several files, each file's objects go to DIR/<file name without .scn>/
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
    let (check_mode, store_dir, files) = match parse_args(args) {
        Args::Run { check, store_dir, files } => (check, store_dir, files),
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
            Ok(script) => {
                let how = How { check: check_mode, store_dir, several: files.len() > 1 };
                one_file(file, &script, how, out, err)
            }
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
    /// Print (or, with `check`, check) these files, storing objects under `store_dir`.
    Run { check: bool, store_dir: Option<&'a str>, files: Vec<&'a str> },
    /// `-h` or `--help`.
    Help,
    /// Bad usage: why, as a line ending with a newline (or empty).
    Bad(String),
}

fn parse_args(args: &[String]) -> Args<'_> {
    let mut check = false;
    let mut store_dir = None;
    let mut files = Vec::new();
    let mut options_done = false;
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        match arg.as_str() {
            a if options_done => files.push(a),
            "--check" => check = true,
            "--store-dir" => match args.next() {
                Some(dir) => store_dir = Some(dir.as_str()),
                None => return Args::Bad("--store-dir needs a directory\n".to_owned()),
            },
            "-h" | "--help" => return Args::Help,
            "--" => options_done = true,
            a if a.starts_with('-') && a.len() > 1 => return Args::Bad(format!("unknown option {a}\n")),
            a => files.push(a),
        }
    }
    if files.is_empty() {
        return Args::Bad(String::new());
    }
    Args::Run { check, store_dir, files }
}

/// What the command line asks of each file.
#[derive(Clone, Copy)]
struct How<'a> {
    check: bool,
    store_dir: Option<&'a str>,
    several: bool,
}

/// Runs one loaded script once: checks it (its differing steps, then `ok FILE` or `FAIL FILE`)
/// or prints its trace (after a `# FILE` line when there are several files), and with
/// `--store-dir` writes what it stored; returns its exit code.
fn one_file(file: &str, script: &Script, how: How<'_>, out: &mut dyn Write, err: &mut dyn Write) -> i32 {
    let ran = if how.store_dir.is_some() {
        catch_unwind(AssertUnwindSafe(|| run_storing(script)))
    } else {
        catch_unwind(AssertUnwindSafe(|| (run(script), Vec::new())))
    };
    let Ok((trace, stored)) = ran else {
        let _ = writeln!(err, "{file}: the library panicked (a bug in the library)");
        if how.check {
            let _ = writeln!(out, "FAIL {file}");
        }
        return EXIT_DIFFERED;
    };
    let code = if how.check {
        report_check(file, compare(script, &trace), out)
    } else {
        if how.several {
            let _ = writeln!(out, "# {file}");
        }
        let _ = write!(out, "{trace}");
        EXIT_OK
    };
    match how.store_dir {
        Some(dir) => code.max(store_one(file, script, &stored, dir, how.several, err)),
        None => code,
    }
}

/// Prints a check's differing steps and `ok FILE` or `FAIL FILE`; returns its exit code.
fn report_check(file: &str, report: CheckReport, out: &mut dyn Write) -> i32 {
    if report.is_ok() {
        let _ = writeln!(out, "ok {file}");
        return EXIT_OK;
    }
    let _ = write!(out, "{}", report.with_file(file));
    let _ = writeln!(out, "FAIL {file}");
    EXIT_DIFFERED
}

/// `--store-dir`: writes what `script` stored under `dir` (under `dir/<stem>/` when `several`
/// files run); returns its exit code.
fn store_one(
    file: &str,
    script: &Script,
    stored: &[StoredObject],
    dir: &str,
    several: bool,
    err: &mut dyn Write,
) -> i32 {
    let mut dir = std::path::PathBuf::from(dir);
    if several {
        let stem = std::path::Path::new(file).file_stem().map_or_else(|| file.into(), |s| s.to_owned());
        dir.push(stem);
    }
    let profile = script.session.as_ref().map(|s| s.config.profile).unwrap_or_default();
    match write_store_dir(&dir, stored, profile) {
        Ok(()) => EXIT_OK,
        Err(e) => {
            let _ = writeln!(err, "{file}: --store-dir {}: {e}", dir.display());
            EXIT_ERROR
        }
    }
}

fn write_store_dir(
    dir: &std::path::Path,
    stored: &[StoredObject],
    profile: crate::Profile,
) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    let mut manifest = String::new();
    for (i, s) in stored.iter().enumerate() {
        let name = format!("{:02}-{}.eml", i + 1, s.object.to_string().replace(' ', "_"));
        std::fs::write(dir.join(&name), &s.content)?;
        let mailbox = s.folder.mailbox(profile);
        manifest.push_str(&format!("{name}\t{}\t{}\t{mailbox}\n", s.object, s.folder));
    }
    std::fs::write(dir.join("manifest.tsv"), manifest)
}
