//! The scenario language: drive a [`Session`](crate::Session) with a plain-text script, render
//! what the library decides, and compare it with what the script expects.
//!
//! The language is specified in `docs/scenarios.md`; in short, every non-blank line that does not
//! start with `#` is one of:
//!
//! | starts with | what it is |
//! |---|---|
//! | `session` | the configuration, `key=value` words (`role`, `kind`, `side`, `iwf`, `prefs`, `policy`, `contribution-id`, `peer`, `history-folder`, `ft-in-session`, `session-expires`, `max-message`, `max-partial`, `max-buffered`, `store-timeout`); first, once; not needed by a script of `route` lines |
//! | `<-` | an input received on a leg: `<- LEG METHOD [\| headers]`, `<- LEG STATUS METHOD`, `<- LEG MSRP SEND \| …` |
//! | `@` | `@ advance SECONDS`, `@ timeout LEG METHOD`, `@ stored OBJECT uid=UID`, `@ store-failed OBJECT`, `@ delivered ID` |
//! | `route` | `route METHOD [\| headers]`: classify a request with the terminating dispatch (8.3) |
//! | `->` | an expected request or response sent on a leg |
//! | `==` | an expected local action |
//! | `!!` | a diagnostic: free text, never compared |
//!
//! The expected outputs of an input are the `->`/`==` lines up to the next input; they are
//! compared as a multiset (order within a step is not checked, counts are), in the canonical
//! form of [`OutputLine`]: whitespace between words does not matter, header names are compared
//! without regard to case, values verbatim. Headers are written ` | Name: value`; the `body:`
//! pseudo-header takes the rest of the line and unescapes `\r`, `\n` and `\\`.
//!
//! Leading whitespace on a line is ignored, so a printed [`Trace`] (outputs indented) is itself
//! a valid script. A script starts at [`START`], a fixed time, so stored objects are the same
//! on every run.
//!
//! The runner holds no protocol logic: [`Script::parse`] builds typed inputs, [`run`] calls the
//! library and [`render_action`] renders its actions with their `Display`
//! ([`Action`](crate::Action)); every name a line uses (legs, methods, objects, procedures,
//! session values) is read and printed with the library's own tables ([`crate::names`]). Comparison ([`compare`],
//! [`compare_outputs`]) works on rendered lines and needs no session.
//!
//! ```
//! use cpm_pf::script::{compare, OutputLine, Script, StepTrace, Trace, TraceLine};
//!
//! let script = Script::parse(
//!     "session iwf=2\n\
//!      <- client BYE\n\
//!      == release-media client\n\
//!      -> iwf1 BYE\n\
//!      -> iwf2 BYE\n",
//! )
//! .unwrap();
//! assert_eq!(script.steps.len(), 1);
//!
//! // What a session might have produced (normally: `cpm_pf::script::run(&script)`).
//! let produced = ["-> iwf2 BYE", "== release-media client"];
//! let trace = Trace {
//!     session: None,
//!     steps: vec![StepTrace {
//!         line: 2,
//!         input: "<- client BYE".into(),
//!         lines: produced.iter().map(|l| TraceLine::Output(l.parse().unwrap())).collect(),
//!         violations: Vec::new(),
//!     }],
//! };
//! let report = compare(&script, &trace).with_file("bye.scn");
//! assert!(!report.is_ok());
//! assert_eq!(report.to_string(), "bye.scn:2: <- client BYE\n  missing: -> iwf1 BYE\n");
//! # let _: Option<OutputLine> = None;
//! ```
//!
//! A script needs at least one input line (`<-`, `@` or `route`); one without is a script
//! error. The command line is [`replay`] (binary `replay`, feature `cli`:
//! `cargo run --features cli --bin replay -- --help`).
//!
//! Test authors run scenario files with [`check_file`]:
//!
//! ```no_run
//! let report = cpm_pf::script::check_file("tests/scenarios/my-case.scn").expect("valid script");
//! assert!(report.is_ok(), "{report}");
//! ```

mod cli;
mod diff;
mod error;
mod line;
mod parse;
mod render;
mod run;
mod wire;

pub use cli::{replay, EXIT_DIFFERED, EXIT_ERROR, EXIT_OK, USAGE};
pub use diff::{check, check_file, compare, compare_outputs, load, CheckReport, StepDiff};
pub use error::{ErrorKind, FileError, FileErrorKind, ScriptError};
pub use line::{Header, OutputLine, Sigil};
pub use parse::{Expected, Script, SessionLine, Step, StepInput};
pub use render::{render_action, render_route, TraceLine};
pub use run::{run, run_storing, StepTrace, StoredObject, Trace};

use crate::Time;

/// The time every script starts at: 2026-01-01T00:00:00Z. Fixed, so that the `Date` of stored
/// objects is the same on every run.
pub const START: Time = Time::from_unix_secs(1_767_225_600);
