//! Library outputs to script lines (SCENARIOS.md "Outputs"): one line per [`Action`].

use core::fmt;

use crate::dispatch::{DispatchError, Route};
use crate::Action;

use super::line::{Header, OutputLine, Sigil};

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

fn send(words: &[&str], headers: Vec<Header>) -> TraceLine {
    TraceLine::Output(OutputLine::new(Sigil::Send, words, headers))
}

fn local(words: &[&str]) -> TraceLine {
    TraceLine::Output(OutputLine::new(Sigil::Local, words, Vec::new()))
}

/// The line for one action, exactly as SCENARIOS.md "Outputs" writes it.
///
/// ```
/// use cpm_pf::script::render_action;
/// use cpm_pf::{Action, Leg};
/// let line = render_action(&Action::ReleaseMedia { leg: Leg::Iwf(2) });
/// assert_eq!(line.to_string(), "== release-media iwf2");
/// ```
pub fn render_action(action: &Action<'_>) -> TraceLine {
    // `Action` is `#[non_exhaustive]`: inside this crate the match is exhaustive, and the last
    // arm keeps a future variant from panicking the runner until it gets a rendering.
    #[allow(unreachable_patterns)]
    match action {
        Action::SendBye { leg, reasons } => {
            let leg = leg.to_string();
            send(&[&leg, "BYE"], reasons.iter().map(|r| Header::new("Reason", r.as_ref())).collect())
        }
        Action::SendResponse { leg, status, method, message_uid } => {
            let (leg, status) = (leg.to_string(), status.to_string());
            let headers = message_uid.iter().map(|uid| Header::new("Message-UID", uid.as_str())).collect();
            send(&[&leg, &status, method.as_str()], headers)
        }
        Action::SendReInvite { leg, remove_streams_of } => send(
            &[&leg.to_string(), "INVITE"],
            vec![Header::new("remove-streams", remove_streams_of.to_string())],
        ),
        Action::SubscribeConference { leg } => {
            send(&[&leg.to_string(), "SUBSCRIBE"], vec![Header::new("Event", "conference")])
        }
        Action::MsrpResponse { leg, status, message_id } => send(
            &[&leg.to_string(), "MSRP", &status.to_string()],
            message_id.iter().map(|id| Header::new("Message-ID", id.as_ref())).collect(),
        ),
        Action::ReleaseMedia { leg } => local(&["release-media", &leg.to_string()]),
        Action::CreateFolder { folder } => local(&["create-folder", &folder.to_string()]),
        Action::Store { object, folder, .. } => {
            local(&["store", &object.to_string(), "in", &folder.to_string()])
        }
        Action::InterceptOn => local(&["intercept", "on"]),
        Action::InterceptOff => local(&["intercept", "off"]),
        Action::Defer { object, .. } => local(&["defer", &object.to_string()]),
        Action::Deliver { object } => local(&["deliver", &object.to_string(), "to", "client"]),
        Action::Diagnostic(d) => TraceLine::Diagnostic(d.to_string()),
        Action::Terminated => local(&["terminated"]),
        other => TraceLine::Diagnostic(format!("unrenderable action {other:?}")),
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
        Err(e) => vec![local(&["route", "invalid"]), TraceLine::Diagnostic(e.to_string())],
    }
}
