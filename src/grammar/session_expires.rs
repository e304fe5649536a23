//! `Session-Expires` (compact `x`) and `Min-SE` (RFC 4028 §4, §5).
//!
//! ```text
//! Session-Expires = ("Session-Expires" / "x") HCOLON delta-seconds *(SEMI se-params)
//! se-params       = refresher-param / generic-param
//! refresher-param = "refresher" EQUAL ("uas" / "uac")
//! Min-SE          = "Min-SE" HCOLON delta-seconds *(SEMI generic-param)
//! delta-seconds   = 1*DIGIT
//! ```
//!
//! Decisions where RFC 4028 leaves room (tested in `tests/grammar_session_expires.rs`):
//!
//! - `delta-seconds` larger than `u32::MAX` is an error, [`ErrorKind::NumberOutOfRange`];
//!   `0` parses (the grammar allows it; SPEC ST-0 has the session report and ignore it).
//! - The parameter name `refresher` and its values `uac` / `uas` are matched without regard to
//!   case (ABNF strings are case-insensitive). A `refresher` with any other value
//!   (`refresher=both`) is not `refresher-param` but is a `generic-param`: kept in `params`,
//!   `refresher` stays `None` (the default then applies, as RFC 4028 §9 lets the UAS choose).
//!   A second `refresher` is kept as a generic param; the first decides.
//! - An empty value is [`ErrorKind::Empty`].
//!
//! `Display` renders the canonical form `4000;refresher=uac;param…` with no whitespace.

use core::fmt;

use smallvec::SmallVec;

use super::lex::{self, Cursor};
use super::{ErrorKind, GenericParam, GrammarError};

/// Which side refreshes the session.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refresher {
    /// `refresher=uac`.
    Uac,
    /// `refresher=uas`.
    Uas,
}

impl Refresher {
    /// `uac` or `uas`.
    pub fn as_str(self) -> &'static str {
        match self {
            Refresher::Uac => "uac",
            Refresher::Uas => "uas",
        }
    }
}

impl fmt::Display for Refresher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A parsed `Session-Expires` value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionExpires<'a> {
    /// The session interval in seconds.
    pub delta_seconds: u32,
    /// The `refresher` parameter, if present.
    pub refresher: Option<Refresher>,
    /// Other parameters, in order.
    pub params: SmallVec<[GenericParam<'a>; 2]>,
}

impl<'a> SessionExpires<'a> {
    /// Parses a `Session-Expires` value, e.g. `4000;refresher=uac` (RFC 4028 §4).
    ///
    /// ```
    /// use cpm_pf::grammar::session_expires::{Refresher, SessionExpires};
    /// let se = SessionExpires::parse("4000;refresher=uac").unwrap();
    /// assert_eq!((se.delta_seconds, se.refresher), (4000, Some(Refresher::Uac)));
    /// ```
    pub fn parse(value: &'a str) -> Result<SessionExpires<'a>, GrammarError> {
        let mut c = Cursor::new(value, "Session-Expires");
        let delta_seconds = delta_seconds(&mut c)?;
        let mut se = SessionExpires { delta_seconds, refresher: None, params: SmallVec::new() };
        let mut seen_refresher = false;
        while c.eat_sep(b';') {
            let p = c.generic_param()?;
            if p.is("refresher") && !seen_refresher {
                seen_refresher = true;
                let r = match p.value {
                    Some(v) if v.eq_ignore_ascii_case("uac") => Some(Refresher::Uac),
                    Some(v) if v.eq_ignore_ascii_case("uas") => Some(Refresher::Uas),
                    _ => None,
                };
                if r.is_some() {
                    se.refresher = r;
                    continue;
                }
            }
            se.params.push(p);
        }
        end(&mut c)?;
        Ok(se)
    }
}

impl fmt::Display for SessionExpires<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.delta_seconds)?;
        if let Some(r) = self.refresher {
            write!(f, ";refresher={r}")?;
        }
        for p in &self.params {
            write!(f, ";{p}")?;
        }
        Ok(())
    }
}

/// A parsed `Min-SE` value (RFC 4028 §5): the smallest session interval a hop accepts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MinSe<'a> {
    /// The minimum session interval in seconds.
    pub delta_seconds: u32,
    /// Parameters, in order.
    pub params: SmallVec<[GenericParam<'a>; 2]>,
}

impl<'a> MinSe<'a> {
    /// The floor RFC 4028 §4 sets when no `Min-SE` is present: 90 seconds.
    pub const DEFAULT_SECONDS: u32 = 90;

    /// Parses a `Min-SE` value, e.g. `3600`.
    pub fn parse(value: &'a str) -> Result<MinSe<'a>, GrammarError> {
        let mut c = Cursor::new(value, "Min-SE");
        let delta_seconds = delta_seconds(&mut c)?;
        let mut params = SmallVec::new();
        while c.eat_sep(b';') {
            params.push(c.generic_param()?);
        }
        end(&mut c)?;
        Ok(MinSe { delta_seconds, params })
    }
}

impl fmt::Display for MinSe<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.delta_seconds)?;
        for p in &self.params {
            write!(f, ";{p}")?;
        }
        Ok(())
    }
}

fn delta_seconds(c: &mut Cursor<'_>) -> Result<u32, GrammarError> {
    c.sws();
    if c.is_eof() {
        return Err(c.err(ErrorKind::Empty));
    }
    let start = c.pos();
    let digits = c.digits()?;
    lex::parse_u32(digits).ok_or_else(|| {
        c.set_pos(start);
        c.err(ErrorKind::NumberOutOfRange)
    })
}

fn end(c: &mut Cursor<'_>) -> Result<(), GrammarError> {
    c.sws();
    if c.is_eof() {
        Ok(())
    } else {
        Err(c.unexpected(ErrorKind::Trailing))
    }
}
