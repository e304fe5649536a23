//! The `Event` header (compact `o`), RFC 6665 §8.4.
//!
//! ```text
//! Event          = ( "Event" / "o" ) HCOLON event-type *( SEMI event-param )
//! event-type     = event-package *( "." event-template )
//! event-package  = token-nodot
//! event-template = token-nodot
//! token-nodot    = 1*( alphanum / "-" / "!" / "%" / "*" / "_" / "+" / "`" / "'" / "~" )
//! event-param    = generic-param / ( "id" EQUAL token )
//! ```
//!
//! The event type is matched without regard to case (SPEC 8.3, TD-4), and as a whole:
//! `deferred-messages.winfo` (a template) is not `deferred-messages`. The `id` parameter is kept
//! with the other parameters ([`Event::id`] finds it).

use core::fmt;

use smallvec::SmallVec;

use super::lex::{is_token_char, Cursor};
use super::{ErrorKind, GenericParam, GrammarError};

const HEADER: &str = "Event";

/// The OMA CPM deferred-messages event package (TD-4).
pub const DEFERRED_MESSAGES: &str = "deferred-messages";

/// A parsed `Event` value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event<'a> {
    /// The event type as written: package and templates, e.g. `presence.winfo`.
    pub event_type: &'a str,
    /// Parameters (including `id`), in order.
    pub params: SmallVec<[GenericParam<'a>; 2]>,
}

impl<'a> Event<'a> {
    /// Parses an `Event` value, e.g. `deferred-messages` or `conference;id=1`.
    ///
    /// ```
    /// use cpm_pf::grammar::event::{Event, DEFERRED_MESSAGES};
    /// let e = Event::parse("Deferred-Messages ;id=7").unwrap();
    /// assert!(e.is_type(DEFERRED_MESSAGES));
    /// assert_eq!(e.id(), Some("7"));
    /// ```
    pub fn parse(value: &'a str) -> Result<Event<'a>, GrammarError> {
        let mut params = SmallVec::new();
        let event_type = scan(value, &mut |p| params.push(p))?;
        Ok(Event { event_type, params })
    }

    /// `true` when the event type is `t`, compared whole and without regard to case.
    pub fn is_type(&self, t: &str) -> bool {
        self.event_type.eq_ignore_ascii_case(t)
    }

    /// The event package: the event type up to its first `.`.
    pub fn package(&self) -> &'a str {
        self.event_type.split('.').next().unwrap_or(self.event_type)
    }

    /// The event templates after the package, in order.
    pub fn templates(&self) -> impl Iterator<Item = &'a str> {
        self.event_type.split('.').skip(1)
    }

    /// The `id` parameter's value, if present.
    pub fn id(&self) -> Option<&'a str> {
        self.params.iter().find(|p| p.is("id")).and_then(|p| p.value)
    }
}

/// Validates a whole `Event` value and returns its event type, without collecting the
/// parameters (no allocation).
pub fn event_type(value: &str) -> Result<&str, GrammarError> {
    scan(value, &mut |_| {})
}

fn scan<'a>(value: &'a str, on_param: &mut dyn FnMut(GenericParam<'a>)) -> Result<&'a str, GrammarError> {
    let mut c = Cursor::new(value, HEADER);
    c.sws();
    if c.is_eof() {
        return Err(c.err(ErrorKind::Empty));
    }
    let start = c.pos();
    loop {
        let label = c.pos();
        while c.peek().is_some_and(|b| b != b'.' && is_token_char(b)) {
            c.bump();
        }
        if c.pos() == label {
            return Err(c.unexpected(ErrorKind::ExpectedToken));
        }
        if c.peek() == Some(b'.') {
            c.bump();
        } else {
            break;
        }
    }
    let event_type = c.slice(start, c.pos())?;
    while c.eat_sep(b';') {
        on_param(c.generic_param()?);
    }
    c.sws();
    if !c.is_eof() {
        return Err(c.unexpected(ErrorKind::Trailing));
    }
    Ok(event_type)
}

impl fmt::Display for Event<'_> {
    /// `type;param…`, no whitespace.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.event_type)?;
        for p in &self.params {
            write!(f, ";{p}")?;
        }
        Ok(())
    }
}
