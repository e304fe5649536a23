//! Script text to [`Script`]: every line kind of docs/scenarios.md, checked before anything runs.

use std::time::Duration;

use crate::config::{Config, Policy, Role};
use crate::dispatch::Procedure;
use crate::grammar::message_id::MessageId;
use crate::headers::names;
use crate::msrp::Continuation;
use crate::names::{one_of, parse_flags, ObjectRefError, UnknownName};
use crate::{Leg, Method, ObjectRef, Session};

use super::error::{ErrorKind, ScriptError};
use super::line::{split, OutputLine, Parts, Sigil};
use super::START;

/// A parsed scenario script.
#[derive(Debug, Clone)]
pub struct Script {
    /// The `session` line, if the script has one (a script of `route` lines needs none).
    pub session: Option<SessionLine>,
    /// The inputs in order, each with its expected outputs.
    pub steps: Vec<Step>,
}

/// The `session` line and the configuration it describes.
#[derive(Debug, Clone)]
pub struct SessionLine {
    /// Its line number (1-based).
    pub line: usize,
    /// Its text as written (leading whitespace removed).
    pub text: String,
    /// The configuration built from its keys.
    pub config: Config,
    /// `msrp=legs`: the session speaks MSRP on its legs (ML-1 … ML-5); the runner hands it
    /// frame bytes and decodes what it writes.
    pub msrp_legs: bool,
}

/// One input and the outputs expected from it.
#[derive(Debug, Clone)]
pub struct Step {
    /// The input's line number (1-based).
    pub line: usize,
    /// The input line as written (leading whitespace removed).
    pub text: String,
    /// The input.
    pub input: StepInput,
    /// The `->` and `==` lines that follow it, up to the next input.
    pub expected: Vec<Expected>,
}

/// One expected output line.
#[derive(Debug, Clone)]
pub struct Expected {
    /// Its line number (1-based).
    pub line: usize,
    /// The line as written (leading whitespace removed).
    pub text: String,
    /// Its canonical form.
    pub output: OutputLine,
}

/// An input of a script, owned, ready to be turned into a library [`Input`](crate::Input).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum StepInput {
    /// `<- LEG BYE [| headers]`: the values of its `Reason` headers, in order.
    Bye {
        /// The leg.
        leg: Leg,
        /// Every `Reason` header value in the order written.
        reasons: Vec<String>,
    },
    /// `<- LEG INVITE|REFER|UPDATE [| headers]`.
    Request {
        /// The leg.
        leg: Leg,
        /// INVITE, REFER, UPDATE or NOTIFY.
        method: Method,
        /// Every header in the order written.
        headers: Vec<(String, String)>,
        /// The unescaped `body:`, empty without one.
        body: Vec<u8>,
    },
    /// `<- LEG STATUS METHOD`.
    Response {
        /// The leg.
        leg: Leg,
        /// 200 to 699.
        status: u16,
        /// The method of the request it answers.
        method: Method,
    },
    /// `<- LEG MSRP SEND | …`: absent headers are `None`, the library decides what they mean.
    MsrpSend {
        /// The leg.
        leg: Leg,
        /// The raw `Message-ID`.
        message_id: Option<String>,
        /// The raw `Byte-Range`.
        byte_range: Option<String>,
        /// The flag of `Continuation:` (`None` when absent or not one of `$ + #`).
        continuation: Option<Continuation>,
        /// The raw `Content-Type`.
        content_type: Option<String>,
        /// The unescaped `body:`, empty without one.
        body: Vec<u8>,
    },
    /// `<- LEG MSRP-BYTES | body: TEXT` (`msrp=legs`): raw bytes read on LEG's MSRP connection.
    MsrpBytes {
        /// The leg.
        leg: Leg,
        /// The unescaped bytes.
        bytes: Vec<u8>,
    },
    /// `<- LEG MSRP STATUS | Message-ID: ID [| Byte-Range: S-E/T]` (`msrp=legs`): LEG answers
    /// the chunks of ID the PF relayed to it (those with that Byte-Range, or every one still
    /// unanswered).
    MsrpStatus {
        /// The leg.
        leg: Leg,
        /// The status code (three digits).
        status: u16,
        /// The Message-ID of the chunks answered.
        message_id: String,
        /// The Byte-Range of the chunk answered, verbatim; `None`: every unanswered chunk of ID.
        byte_range: Option<String>,
    },
    /// `<- LEG MSRP REPORT | Message-ID: ID | Byte-Range: S-E/T | Status: 000 CODE`
    /// (`msrp=legs`): a REPORT received on LEG.
    MsrpReport {
        /// The leg.
        leg: Leg,
        /// Every header in the order written.
        headers: Vec<(String, String)>,
    },
    /// `@ advance SECONDS`.
    Advance {
        /// How long passes.
        seconds: u64,
    },
    /// `@ timeout LEG METHOD`.
    Timeout {
        /// The leg.
        leg: Leg,
        /// The method of the PF's request.
        method: Method,
    },
    /// `@ stored OBJECT uid=UID`.
    Stored {
        /// The object.
        object: ObjectRef,
        /// The UID.
        uid: String,
    },
    /// `@ store-failed OBJECT`.
    StoreFailed {
        /// The object.
        object: ObjectRef,
    },
    /// `@ delivered ID`.
    Delivered {
        /// The message.
        message_id: MessageId,
    },
    /// `route METHOD [| headers]`.
    Route {
        /// The method (any name; unknown ones are [`Method::Other`]).
        method: Method,
        /// Every header in the order written.
        headers: Vec<(String, String)>,
    },
}

impl Script {
    /// Parses a script. Never panics; the first problem found is returned with its line. A
    /// script without any input line (only a `session` line, comments, or nothing) is an error
    /// too: it would check nothing.
    ///
    /// ```
    /// use cpm_pf::script::{Script, StepInput};
    /// use cpm_pf::Leg;
    /// let script = Script::parse("session iwf=1\n<- client BYE\n-> iwf1 BYE\n").unwrap();
    /// assert_eq!(script.session.unwrap().config.iwfs, 1);
    /// assert!(matches!(script.steps[0].input, StepInput::Bye { leg: Leg::Client, .. }));
    /// assert_eq!(script.steps[0].expected[0].line, 3);
    ///
    /// let err = Script::parse("session\n<- remote BYE\n@ nap 3\n").unwrap_err();
    /// assert_eq!(err.line, 3);
    /// ```
    pub fn parse(text: &str) -> Result<Script, ScriptError> {
        let mut script = Script { session: None, steps: Vec::new() };
        let mut seen_other = false;
        for (index, raw) in text.lines().enumerate() {
            let line = index + 1;
            let text = raw.trim_start();
            if text.is_empty() || text.starts_with('#') || is_word(text, "!!") {
                continue;
            }
            let parsed = script.parse_line(text, seen_other).map_err(|kind| ScriptError::new(line, kind))?;
            script.push(line, text, parsed)?;
            seen_other = true;
        }
        if script.steps.is_empty() {
            let line = script.session.as_ref().map_or(1, |s| s.line);
            return Err(ScriptError::new(line, ErrorKind::NoInput));
        }
        Ok(script)
    }

    /// The policy `route` lines are classified with: the session line's, or none.
    pub fn policy(&self) -> Policy {
        self.session.as_ref().map_or(Policy::empty(), |s| s.config.policy)
    }

    fn parse_line(&self, text: &str, seen_other: bool) -> Result<Parsed, ErrorKind> {
        let (first, rest) = first_word(text);
        match first {
            "session" => {
                if let Some(s) = &self.session {
                    return Err(ErrorKind::SessionTwice(s.line));
                }
                if seen_other {
                    return Err(ErrorKind::SessionNotFirst);
                }
                let (config, msrp_legs) = parse_session(rest)?;
                Ok(Parsed::Session(config, msrp_legs))
            }
            "<-" => {
                let config = self.config().ok_or(ErrorKind::NoSession("an input from a leg"))?;
                let legs = self.session.as_ref().is_some_and(|s| s.msrp_legs);
                Ok(Parsed::Input(parse_received(rest, config, legs)?))
            }
            "@" => {
                let config = self.config().ok_or(ErrorKind::NoSession("an @ input"))?;
                Ok(Parsed::Input(parse_at(rest, config)?))
            }
            "route" => Ok(Parsed::Input(parse_route(rest)?)),
            "->" | "==" => {
                if self.steps.is_empty() {
                    return Err(ErrorKind::OutputBeforeInput);
                }
                let output = OutputLine::parse(text)?;
                validate_output(&output, self.config())?;
                Ok(Parsed::Output(output))
            }
            _ => Err(ErrorKind::UnknownWord(first.to_owned())),
        }
    }

    fn config(&self) -> Option<&Config> {
        self.session.as_ref().map(|s| &s.config)
    }

    fn push(&mut self, line: usize, text: &str, parsed: Parsed) -> Result<(), ScriptError> {
        match parsed {
            Parsed::Session(config, msrp_legs) => {
                if let Err(e) = Session::new(config.clone(), START) {
                    return Err(ScriptError::new(line, ErrorKind::Config(e)));
                }
                self.session = Some(SessionLine { line, text: text.to_owned(), config, msrp_legs });
            }
            Parsed::Input(input) => {
                self.steps.push(Step { line, text: text.to_owned(), input, expected: Vec::new() })
            }
            Parsed::Output(output) => {
                // parse_line refuses an output before the first input, so there is a last step.
                if let Some(step) = self.steps.last_mut() {
                    step.expected.push(Expected { line, text: text.to_owned(), output });
                }
            }
        }
        Ok(())
    }
}

enum Parsed {
    Session(Config, bool),
    Input(StepInput),
    Output(OutputLine),
}

/// `true` when `text` is `word` alone or followed by whitespace.
fn is_word(text: &str, word: &str) -> bool {
    text.strip_prefix(word).is_some_and(|r| r.is_empty() || r.starts_with(char::is_whitespace))
}

fn first_word(text: &str) -> (&str, &str) {
    let end = text.find(char::is_whitespace).unwrap_or(text.len());
    (&text[..end], &text[end..])
}

fn expected(what: &'static str, found: Option<&&str>) -> ErrorKind {
    ErrorKind::Expected { what, found: found.map_or(String::new(), |s| (*s).to_owned()) }
}

fn no_more(words: &[&str], at: usize) -> Result<(), ErrorKind> {
    match words.get(at) {
        None => Ok(()),
        Some(w) => Err(ErrorKind::Expected { what: "the end of the line", found: (*w).to_owned() }),
    }
}

fn no_headers(parts: &Parts<'_>) -> Result<(), ErrorKind> {
    if parts.body.is_some() {
        return Err(ErrorKind::BodyNotAllowed);
    }
    if !parts.headers.is_empty() {
        return Err(ErrorKind::NoHeadersAllowed);
    }
    Ok(())
}

/// The `session` line's words: each `key=value`, each key at most once, then the checks that
/// concern several keys.
fn parse_session(rest: &str) -> Result<(Config, bool), ErrorKind> {
    let mut config = Config::default();
    let mut msrp_legs = false;
    let mut seen: Vec<&str> = Vec::new();
    for word in rest.split_whitespace() {
        let Some((key, value)) = word.split_once('=') else {
            return Err(ErrorKind::NotKeyValue(word.to_owned()));
        };
        if seen.contains(&key) {
            return Err(ErrorKind::DuplicateKey(key.to_owned()));
        }
        seen.push(key);
        if key == "msrp" {
            msrp_legs = switch(key, value, ["legs", "chunks"])?;
            continue;
        }
        set_key(&mut config, key, value)?;
    }
    if config.role == Role::Proxy && config.iwfs > 0 {
        return Err(ErrorKind::ProxyWithIwf(config.iwfs));
    }
    Ok((config, msrp_legs))
}

/// A `session` value the key does not take.
fn bad_value(key: &str, value: &str, expected: impl Into<String>) -> ErrorKind {
    ErrorKind::BadValue { key: key.to_owned(), value: value.to_owned(), expected: expected.into() }
}

/// Sets one `session` key: a name from one of the library's tables ([`crate::names`]), an
/// identity, a yes/no switch or a number.
fn set_key(config: &mut Config, key: &str, value: &str) -> Result<(), ErrorKind> {
    let named = |e: UnknownName| bad_value(key, value, e.expected);
    match key {
        "role" => config.role = value.parse().map_err(named)?,
        "kind" => config.kind = value.parse().map_err(named)?,
        "side" => config.side = value.parse().map_err(named)?,
        "prefs" => config.prefs = parse_flags(value).map_err(named)?,
        "policy" => config.policy = parse_flags(value).map_err(named)?,
        "contribution-id" => config.contribution_id = Some(identity(key, value, "a token")?),
        "conversation-id" => config.conversation_id = Some(identity(key, value, "a token")?),
        "peer" => config.peer = Some(identity(key, value, "a URI")?),
        "focus" => config.focus = Some(identity(key, value, "a URI")?),
        "profile" => config.profile = value.parse().map_err(|_| bad_value(key, value, "rcs or oma"))?,
        "history-folder" => config.history_folder_exists = switch(key, value, ["exists", "absent"])?,
        "ft-in-session" => config.ft_in_session = switch(key, value, ["yes", "no"])?,
        _ => set_number(config, key, value)?,
    }
    Ok(())
}

/// A non-empty identity value.
fn identity(key: &str, value: &str, expected: &str) -> Result<Box<str>, ErrorKind> {
    if value.is_empty() {
        return Err(bad_value(key, value, expected));
    }
    Ok(value.into())
}

/// `on` or `off` as `true` or `false`.
fn switch(key: &str, value: &str, [on, off]: [&str; 2]) -> Result<bool, ErrorKind> {
    match value {
        v if v == on => Ok(true),
        v if v == off => Ok(false),
        _ => Err(bad_value(key, value, format!("{on} or {off}"))),
    }
}

/// The keys that take a number (`iwf`, the limits, the timers); any other key is unknown.
fn set_number(config: &mut Config, key: &str, value: &str) -> Result<(), ErrorKind> {
    let bad = |expected: &str| bad_value(key, value, expected);
    let seconds = |expected| value.parse().map(Duration::from_secs).map_err(|_| bad(expected));
    match key {
        "iwf" => config.iwfs = value.parse().map_err(|_| bad("a number of IWFs from 0 to 255"))?,
        "session-expires" if value == "none" => config.session_expires = None,
        "session-expires" => config.session_expires = Some(seconds("seconds or none")?),
        "store-timeout" => config.store_timeout = seconds("seconds")?,
        "max-message" => config.limits.max_message = value.parse().map_err(|_| bad("bytes"))?,
        "max-partial" => {
            config.limits.max_partial = value.parse().map_err(|_| bad("a number of messages"))?
        }
        "max-buffered" => config.limits.max_buffered = value.parse().map_err(|_| bad("bytes"))?,
        "msrp-timeout" => config.msrp_response_timeout_secs = value.parse().map_err(|_| bad("seconds"))?,
        "msrp-max-pending" => {
            config.msrp_max_pending = value.parse().map_err(|_| bad("a number of chunks"))?
        }
        _ => return Err(ErrorKind::UnknownKey(key.to_owned())),
    }
    Ok(())
}

/// A leg name, checked against the legs the session has.
fn parse_leg(word: Option<&&str>, config: Option<&Config>) -> Result<Leg, ErrorKind> {
    let Some(word) = word else { return Err(expected("a leg", None)) };
    let leg: Leg = word.parse().map_err(|_| ErrorKind::UnknownLeg((*word).to_owned()))?;
    let Some(config) = config else { return Err(ErrorKind::NoSession("a leg")) };
    match leg {
        Leg::Client => Ok(leg),
        Leg::Remote if config.iwfs == 0 => Ok(leg),
        Leg::Remote => Err(ErrorKind::NoSuchLeg { leg, why: "an interworked session has iwf legs instead" }),
        Leg::Iwf(k) if k <= config.iwfs => Ok(leg),
        Leg::Iwf(_) if config.iwfs == 0 => {
            Err(ErrorKind::NoSuchLeg { leg, why: "the session is not interworked: set iwf=N" })
        }
        Leg::Iwf(_) => Err(ErrorKind::NoSuchLeg { leg, why: "beyond the session's iwf=N" }),
    }
}

/// The methods of the requests a leg may send the PF (`<- LEG METHOD`; NOTIFY carries the
/// conference event package, MS-5).
const RECEIVED_METHODS: [Method; 5] =
    [Method::Bye, Method::Invite, Method::Refer, Method::Update, Method::Notify];

/// The methods of the requests the PF sends or forwards: those it receives, and the SUBSCRIBE of
/// BYE-4i (its response may be written, docs/scenarios.md "Inputs").
const SENT_METHODS: [Method; 5] =
    [Method::Bye, Method::Invite, Method::Refer, Method::Update, Method::Subscribe];

/// `word` as one of `methods`, named by the library's table of methods.
fn method_in(word: Option<&&str>, methods: &[Method]) -> Result<Method, ErrorKind> {
    let expected = || one_of(&methods.iter().map(|m| m.as_str()).collect::<Vec<_>>());
    let Some(word) = word else { return Err(ErrorKind::Expected { what: "a method", found: String::new() }) };
    match word.parse::<Method>() {
        Ok(m) if methods.contains(&m) => Ok(m),
        _ => Err(ErrorKind::BadMethod { found: (*word).to_owned(), expected: expected() }),
    }
}

fn parse_status(word: &str) -> Result<u16, ErrorKind> {
    match word.parse::<u16>() {
        Ok(s) if (200..=699).contains(&s) && word.len() == 3 => Ok(s),
        _ => Err(ErrorKind::BadStatus(word.to_owned())),
    }
}

fn parse_received(rest: &str, config: &Config, legs: bool) -> Result<StepInput, ErrorKind> {
    let parts = split(rest)?;
    let w = &parts.words;
    let leg = parse_leg(w.first(), Some(config))?;
    let Some(second) = w.get(1) else {
        return Err(expected("a method, a status or MSRP", None));
    };
    const LEGS_ONLY: &str = "msrp=legs on the session line (MSRP-BYTES, MSRP STATUS, MSRP REPORT)";
    if *second == "MSRP-BYTES" {
        if !legs {
            return Err(expected(LEGS_ONLY, Some(second)));
        }
        no_more(w, 2)?;
        if !parts.headers.is_empty() {
            return Err(ErrorKind::NoHeadersAllowed);
        }
        return Ok(StepInput::MsrpBytes { leg, bytes: parts.body.unwrap_or_default() });
    }
    if *second == "MSRP" && w.get(2).is_some_and(|m| *m != "SEND") {
        if !legs {
            return Err(expected(LEGS_ONLY, w.get(2)));
        }
        no_more(w, 3)?;
        return parse_msrp_legs_input(leg, w.get(2).copied().unwrap_or_default(), &parts);
    }
    if second.bytes().all(|b| b.is_ascii_digit()) {
        let status = parse_status(second)?;
        let method = method_in(w.get(2), &SENT_METHODS)?;
        no_more(w, 3)?;
        no_headers(&parts)?;
        return Ok(StepInput::Response { leg, status, method });
    }
    if *second == "MSRP" {
        if w.get(2) != Some(&"SEND") {
            return Err(expected("SEND after MSRP", w.get(2)));
        }
        no_more(w, 3)?;
        return parse_msrp(leg, parts);
    }
    let method = method_in(Some(second), &RECEIVED_METHODS)?;
    no_more(w, 2)?;
    if method == Method::Bye {
        let reasons =
            parts.headers.iter().filter(|(n, _)| names::REASON.matches(n)).map(|(_, v)| (*v).to_owned());
        return Ok(StepInput::Bye { leg, reasons: reasons.collect() });
    }
    Ok(StepInput::Request {
        leg,
        method,
        headers: owned_headers(&parts),
        body: parts.body.unwrap_or_default(),
    })
}

fn owned_headers(parts: &Parts<'_>) -> Vec<(String, String)> {
    parts.headers.iter().map(|(n, v)| ((*n).to_owned(), (*v).to_owned())).collect()
}

fn parse_msrp(leg: Leg, parts: Parts<'_>) -> Result<StepInput, ErrorKind> {
    let mut message_id = None;
    let mut byte_range = None;
    let mut continuation: Option<&str> = None;
    let mut content_type = None;
    for (name, value) in &parts.headers {
        let slot = if name.eq_ignore_ascii_case("Message-ID") {
            &mut message_id
        } else if name.eq_ignore_ascii_case("Byte-Range") {
            &mut byte_range
        } else if name.eq_ignore_ascii_case("Continuation") {
            &mut continuation
        } else if name.eq_ignore_ascii_case("Content-Type") {
            &mut content_type
        } else {
            return Err(ErrorKind::UnknownMsrpHeader((*name).to_owned()));
        };
        if slot.replace(*value).is_some() {
            return Err(ErrorKind::DuplicateHeader((*name).to_owned()));
        }
    }
    let continuation = match continuation.map(str::as_bytes) {
        Some(&[flag]) => Continuation::from_flag(flag),
        _ => None,
    };
    Ok(StepInput::MsrpSend {
        leg,
        message_id: message_id.map(str::to_owned),
        byte_range: byte_range.map(str::to_owned),
        continuation,
        content_type: content_type.map(str::to_owned),
        body: parts.body.unwrap_or_default(),
    })
}

/// `<- LEG MSRP STATUS | …` and `<- LEG MSRP REPORT | …` (`msrp=legs`).
fn parse_msrp_legs_input(leg: Leg, word: &str, parts: &Parts<'_>) -> Result<StepInput, ErrorKind> {
    if parts.body.is_some() {
        return Err(ErrorKind::BodyNotAllowed);
    }
    let header =
        |name: &str| parts.headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| *v);
    if word == "REPORT" {
        for name in ["Message-ID", "Byte-Range", "Status"] {
            if header(name).is_none() {
                return Err(expected("Message-ID, Byte-Range and Status headers", Some(&name)));
            }
        }
        return Ok(StepInput::MsrpReport { leg, headers: owned_headers(parts) });
    }
    let status = match word.parse::<u16>() {
        Ok(s) if word.len() == 3 && (200..=999).contains(&s) => s,
        _ => return Err(expected("SEND, REPORT or a three-digit status after MSRP", Some(&word))),
    };
    for (name, _) in &parts.headers {
        if !["Message-ID", "Byte-Range"].iter().any(|n| n.eq_ignore_ascii_case(name)) {
            return Err(ErrorKind::UnknownMsrpHeader((*name).to_owned()));
        }
    }
    let Some(message_id) = header("Message-ID") else {
        return Err(expected("a Message-ID header", None));
    };
    Ok(StepInput::MsrpStatus {
        leg,
        status,
        message_id: message_id.to_owned(),
        byte_range: header("Byte-Range").map(str::to_owned),
    })
}

fn parse_message_id(word: Option<&&str>) -> Result<MessageId, ErrorKind> {
    let Some(word) = word else { return Err(expected("a message id", None)) };
    MessageId::parse(word).map_err(|error| ErrorKind::BadMessageId { id: (*word).to_owned(), error })
}

/// An object name at `words[at..]`, read by the library's own table ([`ObjectRef::from_words`]);
/// returns it and how many words it took.
fn parse_object(words: &[&str], at: usize) -> Result<(ObjectRef, usize), ErrorKind> {
    let word = |i: usize| words.get(i).copied();
    ObjectRef::from_words(word(at), word(at + 1)).map_err(|e| match e {
        ObjectRefError::UnknownObject(name) => ErrorKind::UnknownObject(name),
        ObjectRefError::BadMessageId { id, error } => ErrorKind::BadMessageId { id, error },
        ObjectRefError::MissingId(_) => expected("a message id", None),
        _ => expected("an object", None),
    })
}

fn parse_at(rest: &str, config: &Config) -> Result<StepInput, ErrorKind> {
    let parts = split(rest)?;
    no_headers(&parts)?;
    let w = &parts.words;
    const FORMS: &str = "advance, timeout, stored, store-failed or delivered";
    match w.first() {
        Some(&"advance") => {
            let seconds = match w.get(1) {
                Some(s) => s.parse().map_err(|_| expected("whole seconds", Some(s)))?,
                None => return Err(expected("whole seconds", None)),
            };
            no_more(w, 2)?;
            Ok(StepInput::Advance { seconds })
        }
        Some(&"timeout") => {
            let leg = parse_leg(w.get(1), Some(config))?;
            let method = method_in(w.get(2), &SENT_METHODS)?;
            no_more(w, 3)?;
            Ok(StepInput::Timeout { leg, method })
        }
        Some(&"stored") => {
            let (object, n) = parse_object(w, 1)?;
            let uid = match w.get(1 + n).and_then(|u| u.strip_prefix("uid=")) {
                // The UID comes back as a header value (a file transfer's `Message-UID`), so it
                // obeys the header values' rule: no `|` at an edge, which would print as a
                // separator.
                Some(uid) if uid.starts_with('|') || uid.ends_with('|') => {
                    return Err(ErrorKind::BarAtValueEdge(uid.to_owned()))
                }
                Some(uid) if !uid.is_empty() => uid.to_owned(),
                _ => return Err(expected("uid=UID", w.get(1 + n))),
            };
            no_more(w, 2 + n)?;
            Ok(StepInput::Stored { object, uid })
        }
        Some(&"store-failed") => {
            let (object, n) = parse_object(w, 1)?;
            no_more(w, 1 + n)?;
            Ok(StepInput::StoreFailed { object })
        }
        Some(&"delivered") => {
            let message_id = parse_message_id(w.get(1))?;
            no_more(w, 2)?;
            Ok(StepInput::Delivered { message_id })
        }
        other => Err(expected(FORMS, other)),
    }
}

fn parse_route(rest: &str) -> Result<StepInput, ErrorKind> {
    let parts = split(rest)?;
    let method = match parts.words.first() {
        Some(m) if m.bytes().all(|b| b.is_ascii_alphabetic() || b == b'-') => Method::from_name(m),
        other => return Err(expected("a method name", other)),
    };
    no_more(&parts.words, 1)?;
    // A `body:` is accepted and ignored: the dispatch looks at headers only.
    Ok(StepInput::Route { method, headers: owned_headers(&parts) })
}

/// The procedure of `== route invalid` (a malformed CPM header), beside [`Procedure`]'s names.
pub(crate) const INVALID_ROUTE: &str = "invalid";

/// Checks an expected output line against the forms docs/scenarios.md lists, so that a typo is a
/// script error rather than a difference that can never go away.
fn validate_output(output: &OutputLine, config: Option<&Config>) -> Result<(), ErrorKind> {
    let w: Vec<&str> = output.words.iter().map(String::as_str).collect();
    match output.sigil {
        Sigil::Send => validate_send(&w, config),
        Sigil::Local => validate_local(&w, config),
    }
}

/// A `->` line: a leg, then a request, a response or an MSRP response.
fn validate_send(w: &[&str], config: Option<&Config>) -> Result<(), ErrorKind> {
    if config.is_none() {
        return Err(ErrorKind::NoSession("an output on a leg"));
    }
    parse_leg(w.first(), config)?;
    match w.get(1) {
        Some(&"MSRP") if matches!(w.get(2), Some(&("SEND" | "REPORT"))) => no_more(w, 3),
        Some(&"MSRP") => {
            let status = w.get(2).ok_or(expected("an MSRP status", None))?;
            if !(status.len() == 3 && status.bytes().all(|b| b.is_ascii_digit())) {
                return Err(ErrorKind::BadStatus((*status).to_owned()));
            }
            no_more(w, 3)
        }
        Some(s) if s.bytes().all(|b| b.is_ascii_digit()) => {
            match s.parse::<u16>() {
                Ok(n) if s.len() == 3 && (100..=699).contains(&n) => {}
                _ => return Err(ErrorKind::BadStatus((*s).to_owned())),
            }
            method_in(w.get(2), &SENT_METHODS)?;
            no_more(w, 3)
        }
        Some(m) if matches!(m.parse(), Ok(Method::Bye | Method::Invite | Method::Subscribe)) => no_more(w, 2),
        other => Err(expected("BYE, INVITE, SUBSCRIBE, a status or MSRP", other)),
    }
}

/// A `==` line: one of the local actions.
fn validate_local(w: &[&str], config: Option<&Config>) -> Result<(), ErrorKind> {
    let leg = |at: usize| parse_leg(w.get(at), config).map(drop);
    let Some(&first) = w.first() else { return Err(expected("an output after the sigil", None)) };
    match first {
        "release-media" => leg(1).and_then(|()| no_more(w, 2)),
        "create-folder" => folder(w.get(1)).and_then(|()| no_more(w, 2)),
        "store" => {
            let (_, n) = parse_object(w, 1)?;
            if w.get(1 + n) != Some(&"in") {
                return Err(expected("in FOLDER", w.get(1 + n)));
            }
            folder(w.get(2 + n))?;
            no_more(w, 3 + n)
        }
        "intercept" => match w.get(1) {
            Some(&("on" | "off")) => no_more(w, 2),
            other => Err(expected("on or off", other)),
        },
        "defer" => {
            let (_, n) = parse_object(w, 1)?;
            no_more(w, 1 + n)
        }
        "deliver" => {
            let (_, n) = parse_object(w, 1)?;
            if w.get(1 + n) != Some(&"to") || w.get(2 + n).and_then(|l| l.parse().ok()) != Some(Leg::Client) {
                return Err(expected("to client", w.get(1 + n)));
            }
            no_more(w, 3 + n)
        }
        "terminated" => no_more(w, 1),
        "route" => {
            match w.get(1) {
                Some(p) if *p == INVALID_ROUTE || p.parse::<Procedure>().is_ok() => {}
                Some(p) => return Err(ErrorKind::UnknownProcedure((*p).to_owned())),
                None => return Err(expected("a procedure", None)),
            }
            let mut at = 2;
            for flag in ["group", "skip-services"] {
                if w.get(at) == Some(&flag) {
                    at += 1;
                }
            }
            no_more(w, at)
        }
        other => Err(ErrorKind::UnknownAction(other.to_owned())),
    }
}

fn folder(word: Option<&&str>) -> Result<(), ErrorKind> {
    let Some(word) = word else { return Err(expected("a folder", None)) };
    let name = word.strip_prefix("conversation:").or_else(|| word.strip_prefix("session-history:"));
    match name {
        Some(n) if !n.is_empty() => Ok(()),
        _ => Err(ErrorKind::BadFolder((*word).to_owned())),
    }
}
