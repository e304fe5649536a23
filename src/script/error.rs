//! What can be wrong with a script, and with a script file.

use core::fmt;
use std::path::{Path, PathBuf};

use crate::config::ConfigError;
use crate::dispatch::Procedure;
use crate::grammar::GrammarError;
use crate::names::{object_names, one_of, quote};
use crate::Leg;

/// A script that cannot be run: the line (1-based) and what is wrong with it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}: {kind}")]
pub struct ScriptError {
    /// The line, counting from 1.
    pub line: usize,
    /// What is wrong.
    pub kind: ErrorKind,
}

impl ScriptError {
    /// An error on `line`.
    pub fn new(line: usize, kind: ErrorKind) -> ScriptError {
        ScriptError { line, kind }
    }

    /// The same error, attributed to the file `path` (displayed as `FILE:LINE: why`).
    pub fn in_file(self, path: impl AsRef<Path>) -> FileError {
        FileError { path: path.as_ref().to_owned(), kind: FileErrorKind::Script(self) }
    }
}

/// What is wrong with a script line.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The line starts with a word that is not a line kind.
    #[error("unknown line {}: expected session, <-, @, route, ->, == or !!", quote(.0))]
    UnknownWord(String),
    /// A `session` line after another line.
    #[error("the session line must come first")]
    SessionNotFirst,
    /// A second `session` line.
    #[error("a script has one session line; the first is on line {0}")]
    SessionTwice(usize),
    /// A `session` word that is not `key=value`.
    #[error("expected key=value, found {}", quote(.0))]
    NotKeyValue(String),
    /// A `session` key that does not exist.
    #[error("unknown session key {}", quote(.0))]
    UnknownKey(String),
    /// A `session` key given twice.
    #[error("session key {} given twice", quote(.0))]
    DuplicateKey(String),
    /// A `session` value the key does not take.
    #[error("bad value {} for {key}: expected {expected}", quote(.value))]
    BadValue {
        /// The key.
        key: String,
        /// The value written.
        value: String,
        /// What the key takes.
        expected: String,
    },
    /// `role=proxy` together with `iwf=N`, N > 0.
    #[error("a proxy has no IWF legs: role=proxy cannot have iwf={0}")]
    ProxyWithIwf(u8),
    /// The library refused the configuration.
    #[error("the library refuses this configuration: {0}")]
    Config(ConfigError),
    /// An expected output (`->`, `==`) before the first input.
    #[error("an expected output must follow an input")]
    OutputBeforeInput,
    /// A line that needs a session in a script without a `session` line.
    #[error("{0} needs a session line at the top of the script")]
    NoSession(&'static str),
    /// A word that is not a leg name.
    #[error("unknown leg {}: expected client, remote or iwfK", quote(.0))]
    UnknownLeg(String),
    /// A leg the session does not have.
    #[error("the session has no leg {leg} ({why})")]
    NoSuchLeg {
        /// The leg.
        leg: Leg,
        /// Which legs it has.
        why: &'static str,
    },
    /// A method the line does not take.
    #[error("unexpected method {}: expected {expected}", quote(.found))]
    BadMethod {
        /// The word written.
        found: String,
        /// What the line takes.
        expected: String,
    },
    /// A status that is not a final response.
    #[error("bad status {}: expected a final response, 200 to 699", quote(.0))]
    BadStatus(String),
    /// A word or a number missing or out of place.
    #[error("expected {what}, found {}", found_or_end(found))]
    Expected {
        /// What the line needs at this place.
        what: &'static str,
        /// What is there (empty at the end of the line).
        found: String,
    },
    /// A Message Store object name that does not exist.
    #[error("unknown object {}: expected {}", quote(.0), object_names())]
    UnknownObject(String),
    /// A Message-ID that does not follow RFC 4975.
    #[error("bad message id {}: {error}", quote(.id))]
    BadMessageId {
        /// The id written.
        id: String,
        /// What is wrong.
        error: GrammarError,
    },
    /// A header segment that is not `Name: value`.
    #[error("bad header {}: expected Name: value", quote(.0))]
    BadHeader(String),
    /// A header value that starts or ends with `|`: it could not be printed back unambiguously,
    /// since ` | ` separates headers.
    #[error("header value {} starts or ends with '|', which the ` | ` separator makes ambiguous", quote(.0))]
    BarAtValueEdge(String),
    /// Headers on a line that takes none.
    #[error("this line takes no headers")]
    NoHeadersAllowed,
    /// A `body:` on a line that takes none.
    #[error("this line takes no body")]
    BodyNotAllowed,
    /// A header given twice where once is the most.
    #[error("header {} given twice", quote(.0))]
    DuplicateHeader(String),
    /// A header an MSRP SEND line does not take.
    #[error(
        "unknown MSRP header {}: expected Message-ID, Byte-Range, Continuation, Content-Type or body",
        quote(.0)
    )]
    UnknownMsrpHeader(String),
    /// A local action (`==`) that does not exist.
    #[error(
        "unknown local action {}: expected release-media, create-folder, store, intercept, defer, \
         deliver, terminated or route",
        quote(.0)
    )]
    UnknownAction(String),
    /// A folder that is neither `conversation:PEER` nor `session-history:ID`.
    #[error("bad folder {}: expected conversation:PEER or session-history:CONTRIBUTION-ID", quote(.0))]
    BadFolder(String),
    /// A routing procedure that does not exist.
    #[error("unknown procedure {}: expected {} or invalid", quote(.0), one_of(Procedure::NAMES))]
    UnknownProcedure(String),
    /// A script with no input line: nothing would be run or checked. Reported on the session
    /// line, or on line 1 when there is none.
    #[error("the script has no input line (<-, @ or route): nothing would be run or checked")]
    NoInput,
}

/// What an [`ErrorKind::Expected`] found: the quoted word, or the end of the line.
fn found_or_end(found: &str) -> String {
    if found.is_empty() {
        "the end of the line".to_owned()
    } else {
        quote(found)
    }
}

/// A script file that cannot be checked: unreadable, or with a script error.
///
/// Displayed as `FILE:LINE: why` for a script error, `FILE: why` otherwise.
#[derive(Debug)]
pub struct FileError {
    /// The file.
    pub path: PathBuf,
    /// What is wrong.
    pub kind: FileErrorKind,
}

/// What is wrong with a script file.
#[derive(Debug)]
#[non_exhaustive]
pub enum FileErrorKind {
    /// It could not be read (or is not UTF-8).
    Io(std::io::Error),
    /// Its text is not a valid script.
    Script(ScriptError),
}

impl fmt::Display for FileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let path = self.path.display();
        match &self.kind {
            FileErrorKind::Io(e) => write!(f, "{path}: cannot read: {e}"),
            FileErrorKind::Script(e) => write!(f, "{path}:{}: {}", e.line, e.kind),
        }
    }
}

impl std::error::Error for FileError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match &self.kind {
            FileErrorKind::Io(e) => Some(e),
            FileErrorKind::Script(e) => Some(e),
        }
    }
}
