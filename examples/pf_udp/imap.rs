//! The Message Store over IMAP (`--imap`): APPEND with UIDPLUS, the mailbox created on TRYCREATE.

use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

use cpm_pf::Folder;

/// The IMAP mailbox of a folder, as the library names it in the `rcs` profile (MS-8).
pub(crate) fn mailbox(folder: &Folder) -> String {
    folder.mailbox(cpm_pf::Profile::Rcs)
}

/// `--imap imap://USER:PASS@HOST:PORT` (RFC 5092; `%XX` escapes in USER and PASS).
#[derive(Clone)]
pub(crate) struct ImapUrl {
    addr: SocketAddr,
    user: String,
    password: String,
}

impl ImapUrl {
    pub(crate) fn parse(url: &str) -> Result<ImapUrl, String> {
        let rest = url.strip_prefix("imap://").ok_or("not an imap:// URL")?;
        let rest = rest.strip_suffix('/').unwrap_or(rest);
        let (userinfo, host) = rest.rsplit_once('@').ok_or("no USER:PASS@ in the URL")?;
        let (user, password) = userinfo.split_once(':').ok_or("no :PASS after the user")?;
        let addr: SocketAddr = match host.parse() {
            Ok(addr) => addr,
            Err(_) => {
                format!("{host}:143").parse().map_err(|_| "HOST:PORT must be an IP address and port")?
            }
        };
        // No TLS here (the crate is built without it): the password must not leave the host.
        if !addr.ip().is_loopback() {
            return Err("plaintext IMAP: only a loopback address (127.0.0.1) is accepted".into());
        }
        Ok(ImapUrl { addr, user: percent_decode(user)?, password: percent_decode(password)? })
    }
}

fn percent_decode(text: &str) -> Result<String, String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = bytes.get(i + 1..i + 3).and_then(|h| std::str::from_utf8(h).ok());
            let byte = hex.and_then(|h| u8::from_str_radix(h, 16).ok()).ok_or("bad % escape in the URL")?;
            out.push(byte);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).map_err(|_| "the URL's user or password is not UTF-8".into())
}

/// A connection to the IMAP Message Store, opened when first needed and opened again after it
/// broke. The protocol is spoken by the `imap` crate; commands block, at most `IMAP_TIMEOUT`.
pub(crate) struct Imap {
    url: ImapUrl,
    session: Option<imap::Session<TcpStream>>,
}

const IMAP_TIMEOUT: Duration = Duration::from_secs(5);

impl Imap {
    pub(crate) fn new(url: ImapUrl) -> Imap {
        Imap { url, session: None }
    }

    fn session(&mut self) -> Result<&mut imap::Session<TcpStream>, String> {
        if self.session.is_none() {
            let stream = TcpStream::connect_timeout(&self.url.addr, IMAP_TIMEOUT)
                .map_err(|e| format!("cannot connect to {}: {e}", self.url.addr))?;
            stream.set_read_timeout(Some(IMAP_TIMEOUT)).map_err(|e| e.to_string())?;
            stream.set_write_timeout(Some(IMAP_TIMEOUT)).map_err(|e| e.to_string())?;
            let mut client = imap::Client::new(stream);
            // Once per new client (the crate asserts that).
            client.read_greeting().map_err(|e| format!("no IMAP greeting: {e}"))?;
            let session =
                client.login(&self.url.user, &self.url.password).map_err(|(e, _)| format!("LOGIN: {e}"))?;
            self.session = Some(session);
        }
        self.session.as_mut().ok_or_else(|| "no IMAP session".to_owned())
    }

    /// Forgets a connection that an error other than a server's NO or BAD may have broken.
    fn failed(&mut self, what: &str, e: imap::Error) -> String {
        if !matches!(e, imap::Error::No(_) | imap::Error::Bad(_)) {
            self.session = None;
        }
        format!("{what}: {e}")
    }

    /// CREATE; a mailbox that exists already is no error (RFC 5530 ALREADYEXISTS).
    pub(crate) fn create(&mut self, mailbox: &str) -> Result<(), String> {
        let result = self.session()?.create(mailbox);
        match result {
            Ok(()) => Ok(()),
            Err(imap::Error::No(no)) if no.information.contains("ALREADYEXISTS") => Ok(()),
            Err(e) => Err(self.failed("CREATE", e)),
        }
    }

    /// APPEND, returning the UID the server gave the message: its APPENDUID response code
    /// (RFC 4315 UIDPLUS), which the crate returns as `Appended::uids`. A server without
    /// UIDPLUS gives none, and the store is reported failed rather than guessed at.
    ///
    /// The library asks for a session history folder to be created (`CreateFolder`), but takes
    /// a conversation folder to exist. When it does not, the server refuses the APPEND (RFC 3501
    /// 6.3.11: `NO [TRYCREATE]`, which the crate reports as `Error::Append`, the code dropped,
    /// when the refusal comes before the message is sent): the mailbox is created and the
    /// APPEND tried once more, as RFC 3501 suggests.
    /// Stores `content` in `mailbox` once: when an object with its `Message-ID` is there
    /// already (stored before a crash that came before the PF saved that it was), its UID,
    /// else [`Imap::append`]. The PF's generated Message-IDs are unique per call (their seed is
    /// the call's Call-ID), so the search finds only this object stored earlier.
    pub(crate) fn append_once(&mut self, mailbox: &str, content: &[u8]) -> Result<u32, String> {
        if let Some(id) = message_id(content) {
            if let Some(uid) = self.find(mailbox, id)? {
                return Ok(uid);
            }
        }
        self.append(mailbox, content)
    }

    /// The UID of the message in `mailbox` whose Message-ID contains `id` (EXAMINE, read-only,
    /// then UID SEARCH HEADER); `None` when there is none or no such mailbox.
    fn find(&mut self, mailbox: &str, id: &str) -> Result<Option<u32>, String> {
        if mailbox.chars().any(|c| c == '"' || c == '\\' || c.is_control()) {
            return Ok(None); // append refuses it
        }
        match self.session()?.examine(mailbox) {
            Ok(_) => {}
            Err(imap::Error::No(_)) => return Ok(None), // no such mailbox yet
            Err(e) => return Err(self.failed("EXAMINE", e)),
        }
        let found = self.session()?.uid_search(format!("HEADER Message-ID \"{id}\""));
        let found = found.map_err(|e| self.failed("UID SEARCH", e))?;
        Ok(found.into_iter().min())
    }

    pub(crate) fn append(&mut self, mailbox: &str, content: &[u8]) -> Result<u32, String> {
        // The crate writes the mailbox as a quoted string without escaping it: refuse what
        // would end the string or the line (the peer's URI comes from the INVITE).
        if mailbox.chars().any(|c| c == '"' || c == '\\' || c.is_control()) {
            return Err(format!("mailbox name {mailbox:?} cannot be quoted"));
        }
        let first = self.session()?.append(mailbox, content).finish();
        let appended = match first {
            Ok(appended) => appended,
            Err(imap::Error::Append) => {
                self.create(mailbox).map_err(|e| format!("APPEND refused, then {e}"))?;
                let again = self.session()?.append(mailbox, content).finish();
                again.map_err(|e| self.failed("APPEND after CREATE", e))?
            }
            Err(e) => return Err(self.failed("APPEND", e)),
        };
        match appended.uids.as_deref() {
            Some([imap_proto::UidSetMember::Uid(uid)]) => Ok(*uid),
            _ => Err("the server's answer to APPEND has no APPENDUID (RFC 4315 UIDPLUS)".into()),
        }
    }
}

/// The value of the `Message-ID` header field of an RFC 5322 message, without its angle
/// brackets, when it is plain enough to search for (letters, digits, `@ . - _`).
fn message_id(content: &[u8]) -> Option<&str> {
    let text = std::str::from_utf8(content.get(..content.len().min(8192))?).ok()?;
    let header = text.split("\r\n\r\n").next()?;
    let value = header.split("\r\n").find_map(|line| {
        let (name, value) = line.split_once(':')?;
        name.trim().eq_ignore_ascii_case("Message-ID").then_some(value.trim())
    })?;
    let id = value.trim_start_matches('<').trim_end_matches('>');
    let plain = !id.is_empty() && id.bytes().all(|b| b.is_ascii_alphanumeric() || b"@.-_".contains(&b));
    plain.then_some(id)
}
