//! `--msrp-listen`: the few SDP fields of an MSRP media line the PF reads and rewrites
//! (RFC 4975 §8, RFC 6135 / RFC 4145 `a=setup`). Nothing else of the SDP is touched.
//!
//! The PF terminates MSRP on each leg (it is a B2BUA in the media path), so the SDP it sends on
//! a leg names the PF's own listener and its own MSRP URI for that leg: `c=` (the session's and
//! the MSRP section's), the port of `m=message PORT TCP/MSRP`, `a=path` (one URI: the PF), and
//! `a=setup` (the PF's role on that leg's connection).

use std::net::SocketAddr;

/// `a=setup` (RFC 4145 §4): who opens the leg's TCP connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Setup {
    Active,
    Passive,
    Actpass,
}

impl Setup {
    fn parse(value: &str) -> Option<Setup> {
        match value.trim().to_ascii_lowercase().as_str() {
            "active" => Some(Setup::Active),
            "passive" => Some(Setup::Passive),
            "actpass" => Some(Setup::Actpass),
            _ => None,
        }
    }

    fn as_str(self) -> &'static str {
        match self {
            Setup::Active => "active",
            Setup::Passive => "passive",
            Setup::Actpass => "actpass",
        }
    }
}

/// What the PF reads of a peer's MSRP media description.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct MsrpMedia {
    /// The first URI of `a=path`: the peer's MSRP URI (no relays, RFC 4976, in this example).
    pub(crate) path: String,
    /// `a=setup`, when given.
    pub(crate) setup: Option<Setup>,
}

impl MsrpMedia {
    /// Where to connect when the PF is the active party: the host (an IP address: no DNS in
    /// this example) and port of the path URI.
    pub(crate) fn address(&self) -> Option<SocketAddr> {
        let rest = self.path.strip_prefix("msrp://")?;
        let authority = rest.split('/').next()?;
        let authority = authority.rsplit_once('@').map_or(authority, |(_, host)| host);
        authority.parse().ok()
    }
}

/// `m=message PORT TCP/MSRP ...`: the port's byte range in the line, when it is one.
fn msrp_port(line: &str) -> Option<(usize, usize)> {
    let rest = line.strip_prefix("m=message ")?;
    let mut words = rest.split(' ');
    let port = words.next()?;
    let proto = words.next()?;
    proto.eq_ignore_ascii_case("TCP/MSRP").then_some((10, 10 + port.len()))
}

fn lines(sdp: &str) -> impl Iterator<Item = &str> {
    sdp.split('\n').map(|l| l.strip_suffix('\r').unwrap_or(l))
}

/// The first `m=message … TCP/MSRP` section of `sdp` with its `a=path`, or `None` when there
/// is none (then the PF leaves the SDP and the media alone).
pub(crate) fn msrp_media(sdp: &[u8]) -> Option<MsrpMedia> {
    let sdp = std::str::from_utf8(sdp).ok()?;
    let mut inside = false;
    let (mut path, mut setup) = (None, None);
    for line in lines(sdp) {
        if line.starts_with("m=") {
            if inside {
                break;
            }
            inside = msrp_port(line).is_some();
        } else if inside {
            if let Some(value) = line.strip_prefix("a=path:") {
                path = value.split_ascii_whitespace().next().map(str::to_owned);
            } else if let Some(value) = line.strip_prefix("a=setup:") {
                setup = Setup::parse(value);
            }
        }
    }
    Some(MsrpMedia { path: path?, setup })
}

/// `sdp` with its MSRP media pointing at the PF: `c=` (session level and MSRP section), the
/// MSRP port, `a=path` the PF's URI `path` for this leg, `a=setup` the PF's role (added after
/// `a=path` when missing). `None` when `sdp` has no MSRP section.
pub(crate) fn rewrite(sdp: &[u8], listen: SocketAddr, path: &str, setup: Setup) -> Option<Vec<u8>> {
    let text = std::str::from_utf8(sdp).ok()?;
    msrp_media(sdp)?;
    let eol = if text.contains("\r\n") { "\r\n" } else { "\n" };
    let ip = listen.ip();
    let family = if ip.is_ipv4() { "IP4" } else { "IP6" };
    let mut out = String::with_capacity(text.len() + 64);
    // Where we are: before any m= line (session level), in the MSRP section, elsewhere.
    let (mut session_level, mut inside, mut done, mut has_setup) = (true, false, false, false);
    let mut pending_setup = false;
    let mut body: Vec<&str> = lines(text).collect();
    if body.last() == Some(&"") {
        body.pop();
    }
    for line in body {
        if line.starts_with("m=") {
            if inside && !has_setup && pending_setup {
                out.push_str(&format!("a=setup:{}{eol}", setup.as_str()));
            }
            session_level = false;
            inside = !done && msrp_port(line).is_some();
            done |= inside;
            if let Some((start, end)) = msrp_port(line).filter(|_| inside) {
                out.push_str(&format!("{}{}{}{eol}", &line[..start], listen.port(), &line[end..]));
                continue;
            }
        } else if line.starts_with("c=") && (session_level || inside) {
            out.push_str(&format!("c=IN {family} {ip}{eol}"));
            continue;
        } else if inside && line.starts_with("a=path:") {
            out.push_str(&format!("a=path:{path}{eol}"));
            pending_setup = true;
            continue;
        } else if inside && line.starts_with("a=setup:") {
            out.push_str(&format!("a=setup:{}{eol}", setup.as_str()));
            has_setup = true;
            continue;
        }
        out.push_str(line);
        out.push_str(eol);
    }
    if inside && !has_setup && pending_setup {
        out.push_str(&format!("a=setup:{}{eol}", setup.as_str()));
    }
    Some(out.into_bytes())
}

/// The PF's `a=setup` in its answer to an offer with `offered` (RFC 4145 §4.1; RFC 4975 §5.4:
/// without `a=setup` the offerer is active): passive where it can, active only when the
/// offerer insists on being passive.
pub(crate) fn answer_setup(offered: Option<Setup>) -> Setup {
    match offered {
        Some(Setup::Passive) => Setup::Active,
        _ => Setup::Passive,
    }
}

/// Whether the PF, having offered `actpass`, opens the connection: when the answer says
/// `passive` (without `a=setup` the answerer is active, RFC 4145 §4.1).
pub(crate) fn pf_connects_after_answer(answered: Option<Setup>) -> bool {
    answered == Some(Setup::Passive)
}

#[cfg(test)]
mod tests {
    use super::*;

    const OFFER: &str = "v=0\r\no=- 1 1 IN IP4 10.0.0.1\r\ns=-\r\nc=IN IP4 10.0.0.1\r\nt=0 0\r\n\
        m=message 7394 TCP/MSRP *\r\na=accept-types:message/cpim\r\n\
        a=path:msrp://10.0.0.1:7394/abc;tcp\r\na=setup:active\r\n";

    #[test]
    fn reads_and_rewrites_the_msrp_section() {
        let media = msrp_media(OFFER.as_bytes()).unwrap();
        assert_eq!(media.path, "msrp://10.0.0.1:7394/abc;tcp");
        assert_eq!(media.setup, Some(Setup::Active));
        assert_eq!(media.address(), Some("10.0.0.1:7394".parse().unwrap()));
        let listen: SocketAddr = "127.0.0.1:2855".parse().unwrap();
        let out = rewrite(OFFER.as_bytes(), listen, "msrp://127.0.0.1:2855/x;tcp", Setup::Passive).unwrap();
        let out = String::from_utf8(out).unwrap();
        assert_eq!(
            out,
            "v=0\r\no=- 1 1 IN IP4 10.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n\
             m=message 2855 TCP/MSRP *\r\na=accept-types:message/cpim\r\n\
             a=path:msrp://127.0.0.1:2855/x;tcp\r\na=setup:passive\r\n"
        );
    }

    #[test]
    fn adds_a_missing_setup_and_leaves_other_sdp_alone() {
        let offer = OFFER.replace("a=setup:active\r\n", "");
        let listen: SocketAddr = "127.0.0.1:2855".parse().unwrap();
        let out = rewrite(offer.as_bytes(), listen, "msrp://127.0.0.1:2855/x;tcp", Setup::Actpass).unwrap();
        assert!(String::from_utf8(out)
            .unwrap()
            .ends_with("a=path:msrp://127.0.0.1:2855/x;tcp\r\na=setup:actpass\r\n"));
        assert!(
            rewrite(b"v=0\r\nm=audio 4000 RTP/AVP 0\r\n", listen, "msrp://h/x;tcp", Setup::Passive).is_none()
        );
        assert_eq!(answer_setup(None), Setup::Passive);
        assert_eq!(answer_setup(Some(Setup::Passive)), Setup::Active);
        assert!(pf_connects_after_answer(Some(Setup::Passive)));
        assert!(!pf_connects_after_answer(None));
    }
}
