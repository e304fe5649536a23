//! Library outputs to script lines (docs/scenarios.md "Outputs"): one line per [`Action`], the
//! text of its `Display`.

use core::fmt;

use crate::dispatch::{DispatchError, Route};
use crate::Action;

use super::line::{OutputLine, Sigil};
use super::parse::INVALID_ROUTE;

/// One line of a trace: an output, compared with the expected lines, or a diagnostic, never
/// compared.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TraceLine {
    /// A `->` or `==` line.
    Output(OutputLine),
    /// A `!!` line (its text, without the `!! `).
    Diagnostic(String),
}

impl TraceLine {
    /// The output, unless this is a diagnostic.
    pub fn output(&self) -> Option<&OutputLine> {
        match self {
            TraceLine::Output(o) => Some(o),
            TraceLine::Diagnostic(_) => None,
        }
    }
}

impl fmt::Display for TraceLine {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TraceLine::Output(o) => o.fmt(f),
            TraceLine::Diagnostic(d) => write!(f, "!! {d}"),
        }
    }
}

fn local(words: &[&str]) -> TraceLine {
    TraceLine::Output(OutputLine::new(Sigil::Local, words, Vec::new()))
}

/// The line for one action: its [`Display`](core::fmt::Display) text (docs/scenarios.md
/// "Outputs"), read back into the canonical form outputs are compared in; a diagnostic stays
/// free text.
///
/// An action whose text does not read back as an output line (a value with ` | ` inside, which
/// no script can produce) becomes a diagnostic saying so rather than a wrong comparison.
///
/// ```
/// use cpm_pf::script::render_action;
/// use cpm_pf::{Action, Leg};
/// let line = render_action(&Action::ReleaseMedia { leg: Leg::Iwf(2) });
/// assert_eq!(line.to_string(), "== release-media iwf2");
/// ```
pub fn render_action(action: &Action<'_>) -> TraceLine {
    match action {
        Action::Diagnostic(d) => return TraceLine::Diagnostic(d.to_string()),
        // msrp=legs: not an output of its own; the runner prints the frames of the bytes.
        Action::MsrpTransmit { leg } => {
            return TraceLine::Diagnostic(format!("bytes to write on {leg}'s MSRP connection"))
        }
        _ => {}
    }
    let text = action.to_string();
    match OutputLine::parse(&text) {
        Ok(line) => TraceLine::Output(line),
        Err(e) => TraceLine::Diagnostic(format!("action does not read back as an output line ({e}): {text}")),
    }
}

/// The lines for the outcome of a `route` input: `== route PROCEDURE [group] [skip-services]`,
/// or `== route invalid` followed by a diagnostic naming the error.
pub fn render_route(outcome: &Result<Route, DispatchError>) -> Vec<TraceLine> {
    match outcome {
        Ok(route) => {
            let mut words = vec!["route", route.procedure.as_str()];
            if route.group {
                words.push("group");
            }
            if route.skip_services {
                words.push("skip-services");
            }
            vec![local(&words)]
        }
        Err(e) => vec![local(&["route", INVALID_ROUTE]), TraceLine::Diagnostic(e.to_string())],
    }
}
