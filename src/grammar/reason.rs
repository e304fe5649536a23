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
    // Each value is built where it is stored: the structs are a few hundred bytes, and moving
    // them through return values cost more than the parsing itself (BENCHMARKS.md, `bye_parts`).
    let mut build = Build { reason: Reason { values: SmallVec::new() }, seen_cause: false };
    if !plain(value, &mut build) {
        build.reason.values.clear();
        walk(value, &mut build)?;
    }
    Ok(build.reason)
}

/// The first numeric causes of one `Reason` field value, by protocol (see [`first_causes`]).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct FirstCauses {
    /// The cause of the first `SIP` value with a numeric cause.
    pub(crate) sip: Option<Cause>,
    /// The cause of the first `RELEASE_CAUSE` value with a numeric cause.
    pub(crate) release: Option<Cause>,
}

/// Checks one `Reason` field value exactly as [`parse`] does (same verdict, same error) and
/// returns the cause of the first `SIP` value with a numeric cause (when `want_sip`) and of the
/// first `RELEASE_CAUSE` value with one (when `want_release`), protocols matched without regard
/// to case: what [`Reason::first_cause`] answers on the parsed value, without building it. A
/// cause that is not wanted, or found already, is not looked for.
pub(crate) fn first_causes(
    value: &str,
    want_sip: bool,
    want_release: bool,
) -> Result<FirstCauses, GrammarError> {
    if let Some(cause) = sip_cause_text(value.as_bytes()) {
        return Ok(FirstCauses { sip: want_sip.then_some(Cause(cause)), release: None });
    }
    let mut scan =
        Scan { want_sip, want_release, found: FirstCauses::default(), target: None, seen_cause: false };
    if plain(value, &mut scan) {
        return Ok(scan.found);
    }
    // Whitespace, a line fold, an escape, an IPv6 reference, or an error: the full grammar
    // decides (and names the error). The scan starts again from scratch.
    scan.found = FirstCauses::default();
    walk(value, &mut scan)?;
    Ok(scan.found)
}

/// The one shape nearly every `Reason` field of a BYE has, `SIP;cause=NNN` alone or followed
/// by `;text="…"` (letters in any case, 1 to 9 digits, a quoted text without escapes or
/// controls, nothing after it): its cause. `None` for anything else, which [`plain`] and then
/// [`walk`] decide; a value this accepts they accept too, with this cause as its only `SIP`
/// cause and no `RELEASE_CAUSE` (tested below against both).
///
/// Two word compares and a digit run instead of [`plain`]'s token scans, piece slicing and
/// per-parameter name checks: about a third of a BYE's instructions (BENCHMARKS.md, `bye`).
#[inline(always)]
fn sip_cause_text(b: &[u8]) -> Option<u32> {
    use super::{to_lower_word, word};
    let (head, rest) = b.split_first_chunk::<10>()?;
    // `sip;caus` folded, then `e` in either case and `=`.
    if to_lower_word(u64::from_le_bytes(*head.first_chunk::<8>()?)) != word(b"sip;caus")
        || (head[8] != b'e' && head[8] != b'E')
        || head[9] != b'='
    {
        return None;
    }
    let digits = rest.iter().take(10).take_while(|b| b.is_ascii_digit()).count();
    if !(1..=9).contains(&digits) {
        // No cause, or one that might not fit a `u32`: the general path decides.
        return None;
    }
    let (number, rest) = (rest.get(..digits)?, rest.get(digits..)?);
    let cause = number.iter().fold(0u32, |n, &d| n * 10 + u32::from(d - b'0'));
    if rest.is_empty() {
        return Some(cause);
    }
    // `;text="` folded (the eighth byte, the text's first or its closing quote, masked off),
    // then plain quoted text and the closing quote at the very end.
    let text = rest.first_chunk::<8>()?;
    if to_lower_word(u64::from_le_bytes(*text)) & 0x00ff_ffff_ffff_ffff != word(b";text=\"\0") {
        return None;
    }
    let inside = rest.get(7..)?;
    let n = lex::qdtext_plain_run(inside);
    (inside.get(n) == Some(&b'"') && n + 1 == inside.len()).then_some(cause)
}

/// The form nearly every `Reason` field has, `SIP;cause=503;text="Service Unavailable"`:
/// values and parameters with no whitespace anywhere, parameter values that are tokens or
/// quoted strings without escapes. Fed to `visit` as [`walk`] would; `false` as soon as the
/// value leaves that form (it may still be well-formed), and then what `visit` saw is to be
/// discarded. Everything accepted here [`walk`] accepts as well, with the same parts.
///
/// Byte at a time with no `Result` on the way: the lexer's general steps (whitespace around
/// every separator, errors built at each step) cost more than the scan itself (BENCHMARKS.md).
#[inline(always)]
fn plain<'a>(value: &'a str, visit: &mut impl Visit<'a>) -> bool {
    let b = value.as_bytes();
    // The end of the token starting at `i`, if there is one.
    let token_end = |i: usize| {
        let n = lex::token_run(b.get(i..)?);
        (n > 0).then_some(i + n)
    };
    // Every piece starts and ends at an ASCII byte or the end; should one not, this path gives
    // up (`false`) and the general walk decides.
    let piece = |a: usize, z: usize| value.get(a..z);
    let mut i = 0;
    loop {
        // protocol
        let Some((end, protocol)) = token_end(i).and_then(|end| Some((end, piece(i, end)?))) else {
            return false;
        };
        visit.value(protocol);
        i = end;
        // *(SEMI reason-params), then COMMA or the end
        loop {
            match b.get(i) {
                None => return true,
                Some(b';') => i += 1,
                Some(b',') => {
                    i += 1;
                    break;
                }
                Some(_) => return false,
            }
            let Some((name_end, name)) = token_end(i).and_then(|e| Some((e, piece(i, e)?))) else {
                return false;
            };
            i = name_end;
            let mut param_value = None;
            if b.get(i) == Some(&b'=') {
                let start = i + 1;
                let end = if b.get(start) == Some(&b'"') {
                    let Some(inside) = b.get(start + 1..) else { return false };
                    let close = start + 1 + lex::qdtext_plain_run(inside);
                    if b.get(close) != Some(&b'"') {
                        return false;
                    }
                    close + 1
                } else {
                    let Some(end) = token_end(start) else { return false };
                    end
                };
                let Some(v) = piece(start, end) else { return false };
                param_value = Some(v);
                i = end;
            }
            visit.param(GenericParam { name, value: param_value });
        }
    }
}

/// What [`walk`] reports, in the order written: each value's protocol, then its parameters.
trait Visit<'a> {
    fn value(&mut self, protocol: &'a str);
    fn param(&mut self, param: GenericParam<'a>);
}

/// The grammar of one field value, shared by [`parse`] and [`first_causes`] so that both accept
/// and reject the same values with the same errors.
#[inline(always)]
fn walk<'a>(value: &'a str, visit: &mut impl Visit<'a>) -> Result<(), GrammarError> {
    let mut c = Cursor::new(value, HEADER);
    c.sws();
    if c.is_eof() {
        return Err(c.err(ErrorKind::Empty));
    }
    loop {
        visit.value(c.token()?);
        // reason-value = protocol *(SEMI reason-params)
        while c.eat_sep(b';') {
            visit.param(c.generic_param()?);
        }
        if !c.list_next()? {
            return Ok(());
        }
    }
}

/// `protocol-cause`: a `cause` parameter whose value is all digits and fits a `u32`.
#[inline]
fn numeric_cause(p: &GenericParam<'_>) -> Option<Cause> {
    p.value.filter(|d| d.bytes().all(|b| b.is_ascii_digit())).and_then(lex::parse_u32).map(Cause)
}

/// `true` when `p` is named `name`, an ASCII lower-case word (cheaper than
/// [`GenericParam::is`] on the hot path: lengths first).
#[inline(always)]
fn named(p: &GenericParam<'_>, name: &str) -> bool {
    p.name.len() == name.len() && p.name.eq_ignore_ascii_case(name)
}

/// Builds the [`Reason`] value by value, in place.
struct Build<'a> {
    reason: Reason<'a>,
    /// The current value has had its `cause` parameter (numeric or not): later ones are generic.
    seen_cause: bool,
}

impl<'a> Visit<'a> for Build<'a> {
    #[inline(always)]
    fn value(&mut self, protocol: &'a str) {
        self.seen_cause = false;
        self.reason.values.push(ReasonValue { protocol, cause: None, text: None, params: SmallVec::new() });
    }

    #[inline(always)]
    fn param(&mut self, p: GenericParam<'a>) {
        let Some(v) = self.reason.values.last_mut() else { return };
        if named(&p, "cause") && !self.seen_cause {
            self.seen_cause = true;
            if let Some(cause) = numeric_cause(&p) {
                v.cause = Some(cause);
                return;
            }
        } else if named(&p, "text") && v.text.is_none() {
            if let Some(inner) = p.value.and_then(|q| q.strip_prefix('"')).and_then(|q| q.strip_suffix('"')) {
                v.text = Some(inner);
                return;
            }
        }
        v.params.push(p);
    }
}

/// Which cause the current value may give.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Target {
    Sip,
    Release,
}

/// Looks for the first causes only; keeps nothing else.
struct Scan {
    want_sip: bool,
    want_release: bool,
    found: FirstCauses,
    /// The current value's protocol is one still looked for.
    target: Option<Target>,
    /// The current value has had its `cause` parameter (numeric or not).
    seen_cause: bool,
}

impl<'a> Visit<'a> for Scan {
    #[inline(always)]
    fn value(&mut self, protocol: &'a str) {
        self.seen_cause = false;
        self.target = if self.want_sip && self.found.sip.is_none() && protocol.eq_ignore_ascii_case("SIP") {
            Some(Target::Sip)
        } else if self.want_release
            && self.found.release.is_none()
            && protocol.eq_ignore_ascii_case("RELEASE_CAUSE")
        {
            Some(Target::Release)
        } else {
            None
        };
    }

    #[inline(always)]
    fn param(&mut self, p: GenericParam<'a>) {
        let Some(target) = self.target else { return };
        if self.seen_cause || !named(&p, "cause") {
            return;
        }
        // Only the first `cause` of a value is `protocol-cause`; a non-numeric one is generic
        // and leaves the value without a cause.
        self.seen_cause = true;
        let Some(cause) = numeric_cause(&p) else { return };
        match target {
            Target::Sip => self.found.sip = Some(cause),
            Target::Release => self.found.release = Some(cause),
        }
        self.target = None;
    }
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

#[cfg(test)]
mod tests {
    use super::{first_causes, plain, sip_cause_text, walk, Build, Cause, FirstCauses, Reason, Scan};
    use proptest::prelude::*;
    use smallvec::SmallVec;

    fn build(value: &str, fast: bool) -> Option<Reason<'_>> {
        let mut b = Build { reason: Reason { values: SmallVec::new() }, seen_cause: false };
        let ok = if fast { plain(value, &mut b) } else { walk(value, &mut b).is_ok() };
        ok.then_some(b.reason)
    }

    /// What the plain form accepts, the full grammar accepts with the same parts, for building
    /// and for scanning.
    fn check(value: &str) {
        let Some(fast) = build(value, true) else { return };
        assert_eq!(Some(&fast), build(value, false).as_ref(), "{value:?}");
        for (want_sip, want_release) in [(true, true), (true, false), (false, true)] {
            let scan = || Scan {
                want_sip,
                want_release,
                found: Default::default(),
                target: None,
                seen_cause: false,
            };
            let (mut a, mut b) = (scan(), scan());
            assert!(plain(value, &mut a) && walk(value, &mut b).is_ok(), "{value:?}");
            assert_eq!(a.found, b.found, "{value:?}");
        }
    }

    #[test]
    fn the_plain_form_is_the_grammar() {
        for value in [
            "SIP;cause=503;text=\"Service Unavailable\"",
            "SIP;cause=200,Q.850;cause=16;text=\"a, b; c\"",
            "sip;CAUSE=abc;cause=200,SIP;cause=480,RELEASE_CAUSE;cause=1",
            "X;a;b=c;d=\"é\"",
        ] {
            assert!(build(value, true).is_some(), "{value:?}");
            check(value);
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 4096, ..ProptestConfig::default() })]
        #[test]
        fn the_plain_form_agrees_with_the_grammar(
            parts in proptest::collection::vec(
                prop_oneof![
                    Just("SIP"), Just("RELEASE_CAUSE"), Just("Q.850"), Just(";"), Just(","),
                    Just("="), Just("cause"), Just("text"), Just("200"), Just("1"), Just("abc"),
                    Just("\"x, y\""), Just("\""), Just("é"), Just("[::1]"), Just(" "), Just("\\"),
                ],
                0..16,
            )
        ) {
            check(&parts.concat());
        }

        /// The usual shape, with every kind of slip around it: the fast path takes only what
        /// the grammar takes, with the same cause, and `first_causes` answers as the general
        /// walk does (same causes, same error) whichever path decided.
        #[test]
        fn the_usual_shape_agrees_with_the_grammar(
            value in "[sS][iIx][pP][;,]?[cC][aA][uU][sS][eE]=?[0-9]{0,11}[a ]?(;[tT][eE][xX][tT]=\"[ -~\t\u{80}-\u{10ffff}\\\r]{0,12}\"?[ ;,a]{0,2}(Q.850;cause=16)?)?",
        ) {
            check_usual(&value);
        }

        #[test]
        fn the_usual_shape_agrees_with_the_grammar_on_parts(
            parts in proptest::collection::vec(
                prop_oneof![
                    Just("SIP;cause="), Just("sIp;CaUsE="), Just(";text=\""), Just(";TeXt=\""),
                    Just("0"), Just("200"), Just("4294967295"), Just("4294967296"), Just("999999999"),
                    Just("\""), Just("é"), Just(" "), Just("\\"), Just(","), Just(";"), Just("x"),
                    Just("\t"), Just("\r\n "),
                ],
                0..8,
            )
        ) {
            check_usual(&parts.concat());
        }
    }

    /// What the general walk (no fast path at all) finds for `value`.
    fn general(
        value: &str,
        want_sip: bool,
        want_release: bool,
    ) -> Result<FirstCauses, crate::grammar::GrammarError> {
        let mut scan =
            Scan { want_sip, want_release, found: Default::default(), target: None, seen_cause: false };
        walk(value, &mut scan).map(|()| scan.found)
    }

    fn check_usual(value: &str) {
        if let Some(cause) = sip_cause_text(value.as_bytes()) {
            let built = build(value, false).unwrap_or_else(|| panic!("the grammar refuses {value:?}"));
            assert_eq!(built.first_cause("SIP"), Some(Cause(cause)), "{value:?}");
            assert_eq!(built.first_cause("RELEASE_CAUSE"), None, "{value:?}");
            assert_eq!(build(value, true), Some(built), "{value:?}");
        }
        for (want_sip, want_release) in [(true, true), (true, false), (false, true), (false, false)] {
            assert_eq!(
                first_causes(value, want_sip, want_release),
                general(value, want_sip, want_release),
                "{value:?}"
            );
        }
    }

    #[test]
    fn the_usual_shape() {
        for (value, cause) in [
            ("SIP;cause=503;text=\"Service Unavailable\"", Some(503)),
            ("SIP;cause=200;text=\"Call completed\"", Some(200)),
            ("sip;CAUSE=480", Some(480)),
            ("SIP;cause=0;text=\"\"", Some(0)),
            ("SIP;cause=999999999;text=\"\u{e9}t\u{e9}\"", Some(999_999_999)),
            // Left to the general path, which may still accept them.
            ("SIP;cause=4294967295", None),
            ("SIP;cause=200;text=\"a\\\"b\"", None),
            ("SIP;cause=200;text=\"x\";foo", None),
            ("SIP;cause=200,Q.850;cause=16", None),
            ("SIP ;cause=200", None),
            ("SIP;cause=20a", None),
            ("SIP;cause=", None),
            ("SIP;cause=200;text=\"open", None),
            ("SIP;cause=200;tex=\"x\"", None),
            ("SIP;cause=200;text=\"a\r\nb\"", None),
        ] {
            assert_eq!(sip_cause_text(value.as_bytes()), cause, "{value:?}");
            check_usual(value);
        }
    }
}
