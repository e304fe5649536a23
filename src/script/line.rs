//! The pieces every script line is made of: the head words, the ` | Name: value` header list and
//! the `body:` pseudo-header; and [`OutputLine`], the canonical form of an output line that
//! expected and produced lines are compared in.

use core::fmt;

use super::error::ErrorKind;

/// The separator between a line's head and each of its headers.
const SEP: &str = " | ";

/// One header of a script line: `Name: value`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Header {
    /// The name as written (compared without regard to case).
    pub name: String,
    /// The value, verbatim apart from the whitespace around it.
    pub value: String,
}

impl Header {
    /// A header from its name and value.
    pub fn new(name: impl Into<String>, value: impl Into<String>) -> Header {
        Header { name: name.into(), value: value.into() }
    }

    /// `true` when `self` and `other` have the same name (any case) and the same value.
    pub fn same_as(&self, other: &Header) -> bool {
        self.name.eq_ignore_ascii_case(&other.name) && self.value == other.value
    }
}

/// A line split into its parts (without its leading sigil).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(crate) struct Parts<'a> {
    /// The words before the first ` | `.
    pub words: Vec<&'a str>,
    /// The headers, in the order written (the `body:` pseudo-header excluded).
    pub headers: Vec<(&'a str, &'a str)>,
    /// The unescaped `body:` pseudo-header, if there was one.
    pub body: Option<Vec<u8>>,
}

/// Splits `text` (a line without its sigil) into head words, headers and body.
pub(crate) fn split(text: &str) -> Result<Parts<'_>, ErrorKind> {
    let (head, mut rest) = match text.find(SEP) {
        Some(i) => (&text[..i], Some(&text[i + SEP.len()..])),
        None => (text, None),
    };
    let mut parts = Parts { words: head.split_whitespace().collect(), ..Parts::default() };
    while let Some(r) = rest {
        let (segment, next) = match r.find(SEP) {
            Some(i) => (&r[..i], Some(&r[i + SEP.len()..])),
            None => (r, None),
        };
        let Some((name, value)) = segment.split_once(':') else {
            return Err(ErrorKind::BadHeader(segment.trim().to_owned()));
        };
        let name = name.trim();
        if name.is_empty() || name.contains(char::is_whitespace) {
            return Err(ErrorKind::BadHeader(segment.trim().to_owned()));
        }
        if name.eq_ignore_ascii_case("body") {
            // The body takes the rest of the line, ` | ` included.
            let colon = r.find(':').map_or(r.len(), |i| i + 1);
            let raw = &r[colon..];
            let raw = raw.strip_prefix(' ').unwrap_or(raw);
            parts.body = Some(unescape(raw));
            break;
        }
        let value = value.trim();
        if value.starts_with('|') || value.ends_with('|') {
            return Err(ErrorKind::BarAtValueEdge(value.to_owned()));
        }
        parts.headers.push((name, value));
        rest = next;
    }
    Ok(parts)
}

/// Unescapes `\r`, `\n` and `\\`; any other backslash is kept as written.
pub(crate) fn unescape(raw: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(raw.len());
    let mut bytes = raw.bytes().peekable();
    while let Some(b) = bytes.next() {
        if b == b'\\' {
            match bytes.peek() {
                Some(b'r') => {
                    out.push(b'\r');
                    bytes.next();
                }
                Some(b'n') => {
                    out.push(b'\n');
                    bytes.next();
                }
                Some(b'\\') => {
                    out.push(b'\\');
                    bytes.next();
                }
                _ => out.push(b'\\'),
            }
        } else {
            out.push(b);
        }
    }
    out
}

/// Which kind of output a line is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Sigil {
    /// `->`: something the PF sends on a leg.
    Send,
    /// `==`: a local action.
    Local,
}

impl Sigil {
    /// The sigil as written: `->` or `==`.
    pub fn as_str(self) -> &'static str {
        match self {
            Sigil::Send => "->",
            Sigil::Local => "==",
        }
    }
}

/// The canonical form of an output line (`->` or `==`), the unit of comparison.
///
/// Two lines are equal when their sigils and head words are equal (runs of whitespace between
/// words do not matter) and their headers are the same in the same order, names compared
/// without regard to case and values verbatim. `Display` prints the line in its canonical
/// spelling: words separated by one space, each header as ` | Name: value`.
///
/// ```
/// use cpm_pf::script::OutputLine;
/// let a: OutputLine = "->  client   BYE | reason: SIP;cause=410".parse().unwrap();
/// let b: OutputLine = "-> client BYE | Reason: SIP;cause=410".parse().unwrap();
/// assert_eq!(a, b);
/// assert_eq!(a.to_string(), "-> client BYE | reason: SIP;cause=410");
/// ```
#[derive(Debug, Clone)]
pub struct OutputLine {
    /// `->` or `==`.
    pub sigil: Sigil,
    /// The words before the first ` | `.
    pub words: Vec<String>,
    /// The headers in order.
    pub headers: Vec<Header>,
}

impl OutputLine {
    /// A line from its parts; each of `words` is split at whitespace, so `"chat-message m1"`
    /// is two words, as it would be when parsed.
    pub fn new(sigil: Sigil, words: &[&str], headers: Vec<Header>) -> OutputLine {
        let words = words.iter().flat_map(|w| w.split_whitespace()).map(str::to_owned).collect();
        OutputLine { sigil, words, headers }
    }

    /// Parses one output line in its generic form: a sigil, words, headers. Only the syntax is
    /// checked here; [`Script::parse`](super::Script::parse) also checks legs and names.
    pub fn parse(text: &str) -> Result<OutputLine, ErrorKind> {
        let text = text.trim_start();
        let (sigil, rest) = if let Some(rest) = text.strip_prefix("->") {
            (Sigil::Send, rest)
        } else if let Some(rest) = text.strip_prefix("==") {
            (Sigil::Local, rest)
        } else {
            let word = text.split_whitespace().next().unwrap_or("").to_owned();
            return Err(ErrorKind::UnknownWord(word));
        };
        if !rest.is_empty() && !rest.starts_with(char::is_whitespace) {
            return Err(ErrorKind::UnknownWord(text.split_whitespace().next().unwrap_or("").to_owned()));
        }
        let parts = split(rest)?;
        if parts.body.is_some() {
            return Err(ErrorKind::BodyNotAllowed);
        }
        if parts.words.is_empty() {
            return Err(ErrorKind::Expected { what: "an output after the sigil", found: String::new() });
        }
        Ok(OutputLine {
            sigil,
            words: parts.words.iter().map(|w| (*w).to_owned()).collect(),
            headers: parts.headers.iter().map(|(n, v)| Header::new(*n, *v)).collect(),
        })
    }
}

impl PartialEq for OutputLine {
    fn eq(&self, other: &OutputLine) -> bool {
        self.sigil == other.sigil
            && self.words == other.words
            && self.headers.len() == other.headers.len()
            && self.headers.iter().zip(&other.headers).all(|(a, b)| a.same_as(b))
    }
}

impl Eq for OutputLine {}

impl core::str::FromStr for OutputLine {
    type Err = ErrorKind;
    fn from_str(s: &str) -> Result<OutputLine, ErrorKind> {
        OutputLine::parse(s)
    }
}

impl fmt::Display for OutputLine {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.sigil.as_str())?;
        for w in &self.words {
            write!(f, " {w}")?;
        }
        for h in &self.headers {
            write!(f, " | {}: {}", h.name, h.value)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_words_headers_and_body() {
        let p = split(" remote  MSRP SEND | Message-ID: m1 | body: a | b\\r\\n\\\\x\\t").unwrap();
        assert_eq!(p.words, ["remote", "MSRP", "SEND"]);
        assert_eq!(p.headers, [("Message-ID", "m1")]);
        assert_eq!(p.body.as_deref(), Some(&b"a | b\r\n\\x\\t"[..]));
    }

    #[test]
    fn header_without_colon_is_an_error() {
        assert_eq!(split("client BYE | Reason").unwrap_err(), ErrorKind::BadHeader("Reason".into()));
        assert!(split("client BYE | : x").is_err());
        assert!(split("client BYE | Re son: x").is_err());
    }

    #[test]
    fn header_values_keep_inner_text() {
        let p = split("client BYE | Reason:  SIP;cause=410;text=\"a:b\"  ").unwrap();
        assert_eq!(p.headers, [("Reason", "SIP;cause=410;text=\"a:b\"")]);
    }

    #[test]
    fn output_lines_compare_canonically() {
        let a = OutputLine::parse("==  store  chat-message   m1-000 in conversation:x").unwrap();
        assert_eq!(a.to_string(), "== store chat-message m1-000 in conversation:x");
        let b = OutputLine::parse("-> client 200 BYE | MESSAGE-UID: 7").unwrap();
        let c = OutputLine::parse("-> client 200 BYE | Message-UID: 7").unwrap();
        let d = OutputLine::parse("-> client 200 BYE | Message-UID: 8").unwrap();
        assert_eq!(b, c);
        assert_ne!(c, d);
        assert!(OutputLine::parse("=> x").is_err());
        assert!(OutputLine::parse("==x").is_err());
        assert!(OutputLine::parse("==").is_err());
        assert_eq!(OutputLine::parse("-> client BYE | body: x").unwrap_err(), ErrorKind::BodyNotAllowed);
    }
}
