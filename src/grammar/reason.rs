//! The `Reason` header (RFC 3326 §2, updated by RFC 9366; protocol tokens of TS 24.229 §7.2A.18).
//!
//! ```text
//! Reason            = "Reason" HCOLON reason-value *(COMMA reason-value)
//! reason-value      = protocol *(SEMI reason-params)
//! protocol          = "SIP" / "Q.850" / token
//! reason-params     = protocol-cause / reason-text / reason-extension
//! protocol-cause    = "cause" EQUAL cause          ; cause = 1*DIGIT
//! reason-text       = "text" EQUAL quoted-string
//! reason-extension  = generic-param
//! ```
//!
//! One header *field* value is parsed at a time; repeated `Reason` fields are the caller's to
//! merge (RFC 3261 §7.3.1). Whitespace is allowed around `;`, `=` and `,` (RFC 3326's own
//! examples write `SIP ;cause=200 ;text="Call completed elsewhere"`), parameter names are
//! matched without regard to case, and a comma inside the quoted `text` is not a separator.
//!
//! Decisions where the RFCs leave room (each tested in `tests/grammar_reason.rs`):
//!
//! - **A `cause` that is not a `u32`** (`cause=abc`, `cause=99999999999`) is not
//!   `protocol-cause`; it still matches `reason-extension = generic-param`, so the value parses:
//!   the protocol is kept, [`ReasonValue::cause`] is `None` (never coerced to 0) and the parameter
//!   stays, as written, in [`ReasonValue::params`].
//! - **An unquoted `text`** (`text=Busy`) is not `reason-text` but is a generic param: kept in
//!   `params`, [`ReasonValue::text`] is `None`.
//! - **Duplicates**: the first `cause` parameter decides `cause`, the first quoted `text` decides
//!   `text`; later ones are kept as generic params. Several values with the same protocol (RFC
//!   9366) are all kept, in order; consumers pick the first that suits them
//!   ([`Reason::first_cause`]).
//! - **Empty** value, an empty list element (`SIP,,Q.850`), a missing protocol, an unterminated
//!   quote or a bad escape are errors.
//!
//! [`Display`](core::fmt::Display) renders the canonical form `SIP;cause=200;text="…"`: no
//! whitespace, `cause` then `text` then the generic params in order, values separated by `, `.

use core::fmt;
use std::borrow::Cow;

use smallvec::SmallVec;

use super::lex::{self, Cursor};
use super::{ErrorKind, GenericParam, GrammarError};

const HEADER: &str = "Reason";

/// A cause value: a SIP status code for protocol `SIP`, a Q.850 cause for `Q.850`, and so on.
/// Open: any number is data, not an error.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Cause(pub u32);

impl Cause {
    /// SIP `200` OK: for a BYE, the call was completed elsewhere or the user left (BYE-R4).
    pub const OK: Cause = Cause(200);
    /// SIP `410` Gone: the group session is terminated for good (BYE-R5).
    pub const GONE: Cause = Cause(410);
    /// SIP `480` Temporarily Unavailable: ended for inactivity (BYE-R6).
    pub const TEMPORARILY_UNAVAILABLE: Cause = Cause(480);
    /// SIP `503` Service Unavailable: the usual cause of a network-initiated release.
    pub const SERVICE_UNAVAILABLE: Cause = Cause(503);
    /// SIP `600` Busy Everywhere.
    pub const BUSY_EVERYWHERE: Cause = Cause(600);
    /// Q.850 cause 16, normal call clearing.
    pub const Q850_NORMAL_CLEARING: Cause = Cause(16);
    /// `RELEASE_CAUSE` 1 "User ends call" (TS 24.229 §7.2A.18; BYE-R8).
    pub const RELEASE_USER_ENDS_CALL: Cause = Cause(1);
}

impl fmt::Display for Cause {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// One `Reason` header field: one or more reason values.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reason<'a> {
    /// The values, in order.
    pub values: SmallVec<[ReasonValue<'a>; 2]>,
}

impl<'a> Reason<'a> {
    /// Parses one `Reason` header field value; same as [`parse`].
    pub fn parse(value: &'a str) -> Result<Reason<'a>, GrammarError> {
        parse(value)
    }

    /// The cause of the first value whose protocol is `protocol` (case-insensitive) and whose
    /// cause is numeric (SPEC 8.2.2.3: "the first with a numeric cause counts").
    pub fn first_cause(&self, protocol: &str) -> Option<Cause> {
        self.values.iter().filter(|v| v.is_protocol(protocol)).find_map(|v| v.cause)
    }

    /// The values whose protocol is `protocol` (case-insensitive), in order.
    pub fn with_protocol<'s>(&'s self, protocol: &'s str) -> impl Iterator<Item = &'s ReasonValue<'a>> + 's {
        self.values.iter().filter(move |v| v.is_protocol(protocol))
    }
}

/// One `reason-value`: a protocol token and its parameters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReasonValue<'a> {
    /// The protocol token as written (`SIP`, `Q.850`, `RELEASE_CAUSE`, …).
    pub protocol: &'a str,
    /// The numeric cause, when `cause` is present and numeric.
    pub cause: Option<Cause>,
    /// The `text` parameter's content between the quotes, escapes kept as written.
    pub text: Option<&'a str>,
    /// Other parameters, in order.
    pub params: SmallVec<[GenericParam<'a>; 2]>,
}

impl<'a> ReasonValue<'a> {
    /// `true` when the protocol token is `p`, compared without regard to case.
    pub fn is_protocol(&self, p: &str) -> bool {
        self.protocol.eq_ignore_ascii_case(p)
    }

    /// The `text` with its `\` escapes removed (borrowed when there are none).
    pub fn text_unescaped(&self) -> Option<Cow<'a, str>> {
        self.text.map(lex::unescape)
    }

    /// The first generic parameter named `name` (case-insensitive). A `cause` that is not a
    /// number, or an unquoted `text`, is found here.
    pub fn param(&self, name: &str) -> Option<&GenericParam<'a>> {
        self.params.iter().find(|p| p.is(name))
    }
}

/// Parses one `Reason` header field value.
///
/// ```
/// use cpm_pf::grammar::reason::{parse, Cause};
/// // RFC 3326 §2
/// let r = parse(r#"SIP ;cause=200 ;text="Call completed elsewhere""#).unwrap();
/// assert!(r.values[0].is_protocol("sip"));
/// assert_eq!(r.values[0].cause, Some(Cause::OK));
/// assert_eq!(r.values[0].text, Some("Call completed elsewhere"));
/// ```
pub fn parse(value: &str) -> Result<Reason<'_>, GrammarError> {
    let mut c = Cursor::new(value, HEADER);
    c.sws();
    if c.is_eof() {
        return Err(c.err(ErrorKind::Empty));
    }
    // Each value is built where it is stored: the structs are a few hundred bytes, and moving
    // them through return values cost more than the parsing itself (BENCHMARKS.md, `bye_parts`).
    let mut reason = Reason { values: SmallVec::new() };
    loop {
        let protocol = c.token()?;
        reason.values.push(ReasonValue { protocol, cause: None, text: None, params: SmallVec::new() });
        if let Some(v) = reason.values.last_mut() {
            reason_params(&mut c, v)?;
        }
        if !c.list_next()? {
            return Ok(reason);
        }
    }
}

/// The `;`-separated parameters after a value's protocol, into `v`.
fn reason_params<'a>(c: &mut Cursor<'a>, v: &mut ReasonValue<'a>) -> Result<(), GrammarError> {
    let mut seen_cause = false;
    while c.eat_sep(b';') {
        let p = c.generic_param()?;
        if p.is("cause") && !seen_cause {
            seen_cause = true;
            if let Some(n) =
                p.value.filter(|d| d.bytes().all(|b| b.is_ascii_digit())).and_then(lex::parse_u32)
            {
                v.cause = Some(Cause(n));
                continue;
            }
        } else if p.is("text") && v.text.is_none() {
            if let Some(inner) = p.value.and_then(|q| q.strip_prefix('"')).and_then(|q| q.strip_suffix('"')) {
                v.text = Some(inner);
                continue;
            }
        }
        v.params.push(p);
    }
    Ok(())
}

impl fmt::Display for ReasonValue<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.protocol)?;
        if let Some(cause) = self.cause {
            write!(f, ";cause={cause}")?;
        }
        if let Some(text) = self.text {
            write!(f, ";text=\"{text}\"")?;
        }
        for p in &self.params {
            write!(f, ";{p}")?;
        }
        Ok(())
    }
}

impl fmt::Display for Reason<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        super::write_comma_list(f, self.values.iter())
    }
}
