//! The `Accept-Contact` header (compact `a`), RFC 3841 §9.2, with the feature parameters of
//! RFC 3840 §9 and the ICSI / IARI tags of TS 24.229 §7.2A.8 / §7.2A.9.
//!
//! ```text
//! Accept-Contact  = ("Accept-Contact" / "a") HCOLON ac-value *(COMMA ac-value)
//! ac-value        = "*" *(SEMI ac-params)
//! ac-params       = feature-param / req-param / explicit-param / generic-param
//! req-param       = "require"
//! explicit-param  = "explicit"
//! feature-param   = enc-feature-tag [EQUAL LDQUOT (tag-value-list / string-value) RDQUOT]
//! enc-feature-tag = base-tags / other-tags          ; other-tags = "+" ftag-name
//! tag-value-list  = tag-value *("," tag-value)
//! tag-value       = ["!"] (token-nobang / boolean / numeric)
//! string-value    = "<" *(qdtext-no-abkt / quoted-pair) ">"
//! ```
//!
//! Nothing here allocates: [`values`] walks a field value lazily, each [`AcValue`] borrows the
//! text of its parameters and re-reads it on demand ([`AcValue::params`]), and tag values are
//! percent-decoded on the fly ([`TagValue::decoded`]), so the terminating dispatch (8.3) runs
//! without touching the heap. [`parse`] collects the values of one field for callers that want
//! them all at once.
//!
//! Decisions (tested in `tests/grammar_accept_contact.rs`):
//!
//! - Parameter names are matched without regard to case (RFC 3840 §9: feature tags are
//!   case-insensitive); `require` and `explicit` are recognised only without a value (with one
//!   they are generic params).
//! - A feature parameter's value is normally quoted. **Leniency (SPEC 8.3):** an unquoted value
//!   is accepted as one tag value, and it may contain characters `token-nobang` lacks, such as
//!   the `:` of an unencoded URN (`+g.3gpp.icsi-ref=urn:urn-7:…`); it ends at `;`, `,`, a quote
//!   or whitespace. Inside quotes, unencoded URNs are accepted the same way.
//! - A quoted value that starts with `<` is one `string-value`; otherwise it is split at commas
//!   into tag values, whitespace around each is ignored and empty ones are skipped.
//! - A `%` not followed by two hex digits decodes as itself (`token-nobang` allows `%`).
//! - Rendering is canonical: `*;name;name="v1,v2";generic=value`, values separated by `, `;
//!   feature values are always quoted.

use core::fmt;

use smallvec::SmallVec;

use super::lex::{Cursor, LazyList};
use super::service::CpmService;
use super::{eq_ignore_case_bytes, percent_decoded, ErrorKind, GenericParam, GrammarError, PercentDecoded};

const HEADER: &str = "Accept-Contact";

/// The RFC 3840 §10 base tags; any other feature tag starts with `+`.
pub const BASE_TAGS: [&str; 20] = [
    "audio",
    "automata",
    "class",
    "duplex",
    "data",
    "control",
    "mobility",
    "description",
    "events",
    "priority",
    "methods",
    "schemes",
    "application",
    "video",
    "language",
    "type",
    "isfocus",
    "actor",
    "text",
    "extensions",
];

/// The ICSI feature tag (TS 24.229 §7.2A.8).
pub const ICSI_REF: &str = "+g.3gpp.icsi-ref";
/// The IARI feature tag (TS 24.229 §7.2A.9).
pub const IARI_REF: &str = "+g.3gpp.iari-ref";

/// One `Accept-Contact` header field: one or more values.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AcceptContact<'a> {
    /// The values, in order.
    pub values: SmallVec<[AcValue<'a>; 2]>,
}

impl<'a> AcceptContact<'a> {
    /// Parses one `Accept-Contact` field value; same as [`parse`].
    pub fn parse(value: &'a str) -> Result<AcceptContact<'a>, GrammarError> {
        parse(value)
    }
}

/// Parses one `Accept-Contact` field value into all its values.
///
/// ```
/// use cpm_pf::grammar::accept_contact::{parse, AcParam};
/// use cpm_pf::grammar::service::CpmService;
/// let ac = parse(r#"*;+g.3gpp.icsi-ref="urn%3Aurn-7%3A3gpp-service.ims.icsi.oma.cpm.msg";require;explicit"#).unwrap();
/// let v = &ac.values[0];
/// assert!(v.is_require() && v.is_explicit());
/// let icsi = v.feature("+G.3GPP.ICSI-REF").unwrap();
/// assert_eq!(icsi.tag_values().next().unwrap().cpm_service(), Some(CpmService::Msg));
/// ```
pub fn parse(value: &str) -> Result<AcceptContact<'_>, GrammarError> {
    values(value).collect::<Result<SmallVec<_>, _>>().map(|values| AcceptContact { values })
}

/// The values of one `Accept-Contact` field, parsed lazily without allocating. An empty field
/// yields one [`ErrorKind::Empty`] error; after an error the iterator ends.
pub fn values(value: &str) -> AcValues<'_> {
    AcValues { list: LazyList::new(value, HEADER) }
}

/// Iterator returned by [`values`].
#[derive(Debug, Clone)]
pub struct AcValues<'a> {
    list: LazyList<'a>,
}

impl<'a> Iterator for AcValues<'a> {
    type Item = Result<AcValue<'a>, GrammarError>;

    fn next(&mut self) -> Option<Self::Item> {
        self.list.next_with(ac_value)
    }
}

/// Validates one field value and hands every feature parameter to `f` as it is read, in order:
/// one pass where [`values`] then [`AcValue::features`] make two (the terminating dispatch).
/// Stops at the first error, which is the one [`values`] would yield; features read before it
/// have been handed over.
pub(crate) fn visit_features<'a>(
    value: &'a str,
    mut f: impl FnMut(FeatureParam<'a>),
) -> Result<(), GrammarError> {
    let mut c = Cursor::new(value, HEADER);
    c.sws();
    if c.is_eof() {
        return Err(c.err(ErrorKind::Empty));
    }
    loop {
        if c.peek() != Some(b'*') {
            return Err(c.unexpected(ErrorKind::Expected("'*'")));
        }
        c.bump();
        while c.eat_sep(b';') {
            if let AcParam::Feature(p) = ac_param(&mut c)? {
                f(p);
            }
        }
        if !c.list_next()? {
            return Ok(());
        }
    }
}

fn ac_value<'a>(c: &mut Cursor<'a>) -> Result<AcValue<'a>, GrammarError> {
    if c.peek() != Some(b'*') {
        return Err(c.unexpected(ErrorKind::Expected("'*'")));
    }
    c.bump();
    let start = c.pos();
    let mut end = start;
    while c.eat_sep(b';') {
        ac_param(c)?;
        end = c.pos();
    }
    Ok(AcValue { params: c.slice(start, end)?, offset: start })
}

fn ac_param<'a>(c: &mut Cursor<'a>) -> Result<AcParam<'a>, GrammarError> {
    let name = c.token()?;
    let is_feature = name.starts_with('+') || BASE_TAGS.iter().any(|t| t.eq_ignore_ascii_case(name));
    if is_feature {
        if !c.eat_sep(b'=') {
            return Ok(AcParam::Feature(FeatureParam { name, value: None }));
        }
        let value = if c.peek() == Some(b'"') {
            let q = c.quoted_string()?;
            // `quoted_string` returns the value with both its quotes: the inside is between them.
            q.strip_prefix('"').and_then(|q| q.strip_suffix('"')).unwrap_or(q)
        } else {
            let start = c.pos();
            while c.peek().is_some_and(|b| b.is_ascii_graphic() && !matches!(b, b';' | b',' | b'"' | b'\\')) {
                c.bump();
            }
            if c.pos() == start {
                return Err(c.unexpected(ErrorKind::Expected("a feature value")));
            }
            c.slice(start, c.pos())?
        };
        return Ok(AcParam::Feature(FeatureParam { name, value: Some(value) }));
    }
    let save = c.pos();
    if c.eat_sep(b'=') {
        let value = c.gen_value()?;
        return Ok(AcParam::Generic(GenericParam { name, value: Some(value) }));
    }
    c.set_pos(save);
    Ok(if name.eq_ignore_ascii_case("require") {
        AcParam::Require
    } else if name.eq_ignore_ascii_case("explicit") {
        AcParam::Explicit
    } else {
        AcParam::Generic(GenericParam { name, value: None })
    })
}

/// One `ac-value` (`*;params…`), borrowing its already validated parameter text.
#[derive(Debug, Clone, Copy)]
pub struct AcValue<'a> {
    params: &'a str,
    offset: usize,
}

impl<'a> AcValue<'a> {
    /// The parameters, in order (re-read from the borrowed text; no allocation).
    pub fn params(&self) -> AcParams<'a> {
        AcParams { c: Cursor::new(self.params, HEADER) }
    }

    /// The text of the parameters as written (after the `*`).
    pub fn params_str(&self) -> &'a str {
        self.params
    }

    /// Byte offset of the parameters within the field value.
    pub fn offset(&self) -> usize {
        self.offset
    }

    /// `true` when the value has the `require` parameter.
    pub fn is_require(&self) -> bool {
        self.params().any(|p| p == AcParam::Require)
    }

    /// `true` when the value has the `explicit` parameter.
    pub fn is_explicit(&self) -> bool {
        self.params().any(|p| p == AcParam::Explicit)
    }

    /// The feature parameters, in order.
    pub fn features(&self) -> impl Iterator<Item = FeatureParam<'a>> {
        self.params().filter_map(|p| match p {
            AcParam::Feature(f) => Some(f),
            _ => None,
        })
    }

    /// The first feature parameter named `name` (case-insensitive), e.g. [`ICSI_REF`].
    pub fn feature(&self, name: &str) -> Option<FeatureParam<'a>> {
        self.features().find(|f| f.is(name))
    }
}

impl PartialEq for AcValue<'_> {
    /// Two values are equal when their parameters are.
    fn eq(&self, other: &Self) -> bool {
        self.params().eq(other.params())
    }
}

impl Eq for AcValue<'_> {}

impl fmt::Display for AcValue<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("*")?;
        for p in self.params() {
            write!(f, ";{p}")?;
        }
        Ok(())
    }
}

impl fmt::Display for AcceptContact<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        super::write_comma_list(f, self.values.iter())
    }
}

/// Iterator over the parameters of an [`AcValue`].
#[derive(Debug, Clone)]
pub struct AcParams<'a> {
    c: Cursor<'a>,
}

impl<'a> Iterator for AcParams<'a> {
    type Item = AcParam<'a>;

    fn next(&mut self) -> Option<AcParam<'a>> {
        if !self.c.eat_sep(b';') {
            return None;
        }
        // The text was validated when the value was parsed; should it ever fail, stop.
        ac_param(&mut self.c).ok()
    }
}

/// One `ac-params` item.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AcParam<'a> {
    /// `require` (RFC 3841 §9.2): non-matching contacts are dropped.
    Require,
    /// `explicit`: only contacts that registered the feature explicitly match.
    Explicit,
    /// A feature parameter: a base tag (`audio`, `methods`, …) or a `+` tag.
    Feature(FeatureParam<'a>),
    /// Any other parameter (`q`, …).
    Generic(GenericParam<'a>),
}

impl fmt::Display for AcParam<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AcParam::Require => f.write_str("require"),
            AcParam::Explicit => f.write_str("explicit"),
            AcParam::Feature(p) => write!(f, "{p}"),
            AcParam::Generic(p) => write!(f, "{p}"),
        }
    }
}

/// A feature parameter (RFC 3840 §9): tag name and its value text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FeatureParam<'a> {
    /// The feature tag as written, e.g. `+g.3gpp.icsi-ref` or `audio`.
    pub name: &'a str,
    /// The value between the quotes (escapes as written), or the unquoted value; `None` when
    /// the tag has no value (boolean TRUE).
    pub value: Option<&'a str>,
}

impl<'a> FeatureParam<'a> {
    /// `true` when the tag is `name`, compared without regard to case.
    pub fn is(&self, name: &str) -> bool {
        super::eq_ignore_case(self.name.as_bytes(), name.as_bytes())
    }

    /// `true` for an `other-tags` feature (its name starts with `+`), e.g. an ICSI or IARI tag.
    pub fn is_extension(&self) -> bool {
        self.name.starts_with('+')
    }

    /// The tag values: the comma list inside the quotes, or the single `string-value`.
    pub fn tag_values(&self) -> TagValues<'a> {
        let v = trim_wsp(self.value.unwrap_or_default());
        if v.starts_with('<') {
            TagValues { rest: "", single: Some(v) }
        } else {
            TagValues { rest: v, single: None }
        }
    }
}

impl fmt::Display for FeatureParam<'_> {
    /// `name` or `name="value"`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name)?;
        if let Some(v) = self.value {
            write!(f, "=\"{v}\"")?;
        }
        Ok(())
    }
}

/// `s` without the spaces and tabs at either end.
fn trim_wsp(s: &str) -> &str {
    s.trim_matches([' ', '\t'])
}

/// Iterator over the tag values of a [`FeatureParam`].
#[derive(Debug, Clone)]
pub struct TagValues<'a> {
    rest: &'a str,
    single: Option<&'a str>,
}

impl<'a> Iterator for TagValues<'a> {
    type Item = TagValue<'a>;

    fn next(&mut self) -> Option<TagValue<'a>> {
        if let Some(s) = self.single.take() {
            return Some(TagValue { raw: s });
        }
        while !self.rest.is_empty() {
            let (item, rest) = self.rest.split_once(',').unwrap_or((self.rest, ""));
            self.rest = rest;
            let item = trim_wsp(item);
            if !item.is_empty() {
                return Some(TagValue { raw: item });
            }
        }
        None
    }
}

/// One tag value, as written (a leading `!` negates it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TagValue<'a> {
    raw: &'a str,
}

impl<'a> TagValue<'a> {
    /// The value as written, `!` included.
    pub fn as_str(&self) -> &'a str {
        self.raw
    }

    /// `true` when the value is negated (`!…`); a negated value never matches (SPEC 8.3).
    pub fn is_negated(&self) -> bool {
        self.raw.starts_with('!')
    }

    /// The value without its `!`.
    pub fn value(&self) -> &'a str {
        self.raw.strip_prefix('!').unwrap_or(self.raw)
    }

    /// The value without `!`, percent-decoded on the fly.
    pub fn decoded(&self) -> PercentDecoded<'a> {
        percent_decoded(self.value())
    }

    /// `true` when the decoded value (without `!`) equals `s` without regard to ASCII case.
    pub fn eq_decoded(&self, s: &str) -> bool {
        eq_ignore_case_bytes(self.decoded(), s)
    }

    /// The CPM service the decoded value (without `!`) is a kind of, if any (TD-9). Whether the
    /// value is negated is for the caller to check.
    pub fn cpm_service(&self) -> Option<CpmService> {
        CpmService::identify_encoded(self.value())
    }
}
