//! Running a [`Script`] against the library: build each typed input, call the library, render
//! what it returns. No protocol logic lives here.

use core::fmt;
use std::time::Duration;

use crate::headers::SipHeaders;
use crate::invariants::InvariantChecker;
use crate::msrp::SendRequest;
use crate::{dispatch, Input, Session, Time};

use super::parse::{Script, StepInput};
use super::render::{render_action, render_route, TraceLine};
use super::wire::Wire;
use super::START;

/// What the library produced for a whole script.
///
/// `Display` prints it as a script: the session line, then each input line followed by its
/// produced lines (indented by two spaces), so a trace can be edited into a scenario file.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Trace {
    /// The session line as written, if the script has one.
    pub session: Option<String>,
    /// One entry per input, in order.
    pub steps: Vec<StepTrace>,
}

/// What the library produced for one input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StepTrace {
    /// The input's line number (1-based).
    pub line: usize,
    /// The input line as written.
    pub input: String,
    /// The produced lines, in the order the library returned them.
    pub lines: Vec<TraceLine>,
    /// Promises the session broke at this step, found by the shared
    /// [`InvariantChecker`](crate::invariants::InvariantChecker); `--check` fails on any.
    pub violations: Vec<String>,
}

impl fmt::Display for Trace {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(s) = &self.session {
            writeln!(f, "{s}")?;
        }
        for step in &self.steps {
            writeln!(f, "{}", step.input)?;
            for line in &step.lines {
                writeln!(f, "  {line}")?;
            }
            for v in &step.violations {
                writeln!(f, "  !! invariant broken: {v}")?;
            }
        }
        Ok(())
    }
}

/// One object the session asked to store while a script ran (`replay --store-dir`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredObject {
    /// Which object.
    pub object: crate::ObjectRef,
    /// The folder it was stored in.
    pub folder: crate::Folder,
    /// Its RFC 5322 bytes.
    pub content: Vec<u8>,
}

/// Runs `script` against one new [`Session`] (created at [`START`]) and returns what the
/// library produced for each input.
///
/// A panic in the library propagates: it is a bug in the library, never a reaction to a
/// script.
pub fn run(script: &Script) -> Trace {
    run_with(script, false).0
}

/// [`run`], also returning every object the session asked to store, in store order.
pub fn run_storing(script: &Script) -> (Trace, Vec<StoredObject>) {
    run_with(script, true)
}

/// Runs `script`; the stored objects' contents are copied only when `keep_stored`.
fn run_with(script: &Script, keep_stored: bool) -> (Trace, Vec<StoredObject>) {
    let mut now = START;
    let mut session = script.session.as_ref().map(|s| Session::new(s.config.clone(), START));
    let mut wire = match (script.session.as_ref(), session.as_mut()) {
        (Some(line), Some(Ok(session))) if line.msrp_legs => Some(Wire::new(&line.config, session)),
        _ => None,
    };
    let mut checker = script.session.as_ref().map(|s| InvariantChecker::new(&s.config));
    let policy = script.policy();
    let mut trace = Trace { session: script.session.as_ref().map(|s| s.text.clone()), steps: Vec::new() };
    let mut stored = Vec::new();
    for step in &script.steps {
        let mut lines = Vec::new();
        let mut violations = Vec::new();
        if let StepInput::Route { method, headers } = &step.input {
            let headers = borrow_headers(headers);
            lines.extend(render_route(&dispatch::route(*method, &headers, policy)));
        } else {
            match (session.as_mut(), checker.as_mut()) {
                (Some(Ok(session)), Some(checker)) => {
                    let before = checker.violations().len();
                    let kept = keep_stored.then_some(&mut stored);
                    drive(session, checker, wire.as_mut(), &step.input, &mut now, &mut (&mut lines, kept));
                    violations.extend(checker.violations()[before..].iter().map(ToString::to_string));
                }
                // Script::parse refuses both; kept so that a hand-built Script cannot panic.
                (Some(Err(e)), _) => lines.push(TraceLine::Diagnostic(format!("no session: {e}"))),
                _ => lines.push(TraceLine::Diagnostic("no session line".to_owned())),
            }
        }
        trace.steps.push(StepTrace { line: step.line, input: step.text.clone(), lines, violations });
    }
    (trace, stored)
}

/// Where [`drive`] puts what a step produced: the rendered lines, and the stored objects when
/// they are kept.
type Sink<'a> = (&'a mut Vec<TraceLine>, Option<&'a mut Vec<StoredObject>>);

fn collect(actions: &crate::Actions<'_>, out: &mut Sink<'_>) {
    for action in actions {
        if let crate::Action::MsrpTransmit { .. } = action {
            // The bytes are taken and printed frame by frame after the step (`Wire::drain`).
            continue;
        }
        out.0.push(render_action(action));
        if let (crate::Action::Store { object, folder, content }, Some(stored)) =
            (action, out.1.as_deref_mut())
        {
            stored.push(StoredObject { object: *object, folder: folder.clone(), content: content.clone() });
        }
    }
}

/// Feeds one session input to the library (and to the invariant checker) and renders the
/// actions it returns.
fn drive(
    session: &mut Session,
    checker: &mut InvariantChecker,
    wire: Option<&mut Wire>,
    input: &StepInput,
    now: &mut Time,
    out: &mut Sink<'_>,
) {
    if let Some(wire) = wire {
        // msrp=legs: MSRP inputs are bytes on the leg's connection; after any input, what the
        // session wrote is read back and printed.
        if let Some((leg, bytes)) = wire.bytes_of(input, out.0) {
            let input = Input::MsrpBytes { leg, bytes: &bytes };
            checker.input(&input);
            let actions = session.handle(input, *now);
            checker.actions(&actions, session);
            collect(&actions, out);
        } else {
            drive_one(session, checker, input, now, out);
        }
        return wire.drain(session, out.0);
    }
    drive_one(session, checker, input, now, out);
}

/// [`drive`] for an input that is not MSRP bytes.
fn drive_one(
    session: &mut Session,
    checker: &mut InvariantChecker,
    input: &StepInput,
    now: &mut Time,
    out: &mut Sink<'_>,
) {
    let mut handle = |session: &mut Session, input: Input<'_>, now: Time| {
        checker.input(&input);
        let actions = session.handle(input, now);
        checker.actions(&actions, session);
        collect(&actions, out);
    };
    match input {
        StepInput::Bye { leg, reasons } => {
            let reasons: Vec<&str> = reasons.iter().map(String::as_str).collect();
            handle(session, Input::ByeReceived { leg: *leg, reasons: &reasons }, *now);
        }
        StepInput::Request { leg, method, headers, body } => {
            let headers = borrow_headers(headers);
            let input = Input::RequestReceived {
                leg: *leg,
                method: *method,
                headers: &headers as &dyn SipHeaders,
                body,
            };
            handle(session, input, *now);
        }
        StepInput::Response { leg, status, method } => {
            let input = Input::ResponseReceived { leg: *leg, status: *status, method: *method };
            handle(session, input, *now);
        }
        StepInput::MsrpSend { leg, message_id, byte_range, continuation, content_type, body } => {
            let send = SendRequest {
                message_id: message_id.as_deref(),
                byte_range: byte_range.as_deref(),
                continuation: *continuation,
                content_type: content_type.as_deref(),
                body,
            };
            handle(session, Input::MsrpSend { leg: *leg, send }, *now);
        }
        StepInput::Advance { seconds } => {
            *now = *now + Duration::from_secs(*seconds);
            let actions = session.handle_timeout(*now);
            checker.actions(&actions, session);
            collect(&actions, out);
        }
        StepInput::Timeout { leg, method } => {
            handle(session, Input::TransactionTimeout { leg: *leg, method: *method }, *now);
        }
        StepInput::Stored { object, uid } => {
            handle(session, Input::Stored { object: *object, uid }, *now);
        }
        StepInput::StoreFailed { object } => {
            handle(session, Input::StoreFailed { object: *object }, *now);
        }
        StepInput::Delivered { message_id } => {
            handle(session, Input::Delivered { message_id: *message_id }, *now);
        }
        // Handled by `run` (no session needed); listed so that a new input is not forgotten.
        StepInput::Route { .. } => {}
        // msrp=legs only (the parser refuses them otherwise): `drive` turns them into bytes.
        StepInput::MsrpBytes { .. } | StepInput::MsrpStatus { .. } | StepInput::MsrpReport { .. } => {}
    }
}

fn borrow_headers(headers: &[(String, String)]) -> Vec<(&str, &str)> {
    headers.iter().map(|(n, v)| (n.as_str(), v.as_str())).collect()
}
