//! `msrp=legs` (docs/scenarios.md): the peers' end of each leg's MSRP connection.
//!
//! Leg LEG has the PF's URI `msrp://pf.example:2855/LEG;tcp` and the peer's
//! `msrp://LEG.example:2855/s;tcp`. Script inputs become frame bytes written with the library's
//! own writer ([`frame::write_request`], [`frame::write_response`]); what the session writes on
//! each leg is decoded with the library's own [`FrameDecoder`] and printed, so the printed lines
//! prove the bytes. No protocol logic lives here: the runner only remembers which transaction ids
//! it used (to print the Message-ID and Byte-Range of the request a response answers) and which
//! chunks the PF relayed to a leg (so that `<- LEG MSRP STATUS` can answer them).

use crate::msrp::frame::{self, Frame, FrameDecoder, RequestMethod, StartLine};
use crate::msrp::Continuation;
use crate::{Config, Leg, Session};

use super::line::{Header, OutputLine, Sigil};
use super::parse::StepInput;
use super::render::TraceLine;

/// What a request carried that a printed response repeats: its transaction id, Message-ID and
/// Byte-Range (verbatim).
#[derive(Debug, Clone)]
struct Sent {
    tid: String,
    message_id: Option<String>,
    byte_range: Option<String>,
}

#[derive(Debug)]
struct WireLeg {
    leg: Leg,
    /// The PF's URI on this leg.
    local: String,
    /// The peer's URI.
    remote: String,
    next_tid: u32,
    /// Requests handed to the session on this leg, newest last.
    sent: Vec<Sent>,
    /// Chunks the PF relayed on this leg that the script has not answered.
    relayed: Vec<Sent>,
    /// Peer → PF: reads what the runner hands over, to learn the requests' transaction ids.
    inbound: FrameDecoder,
    /// PF → peer: reads what the session writes.
    outbound: FrameDecoder,
}

/// The peers of every leg of a `msrp=legs` session.
#[derive(Debug)]
pub(super) struct Wire {
    legs: Vec<WireLeg>,
}

impl Wire {
    /// The peers of `config`'s legs; each leg is set up on `session` with its two URIs.
    pub(super) fn new(config: &Config, session: &mut Session) -> Wire {
        let mut legs = vec![Leg::Client];
        if config.iwfs == 0 {
            legs.push(Leg::Remote);
        }
        legs.extend((1..=config.iwfs).map(Leg::Iwf));
        let max = config.msrp_max_frame().saturating_mul(2);
        let legs = legs
            .into_iter()
            .map(|leg| {
                let local = format!("msrp://pf.example:2855/{leg};tcp");
                let remote = format!("msrp://{leg}.example:2855/s;tcp");
                // Scripts of a proxy set no legs up: the session refuses them, and says so on use.
                let _ = session.set_msrp_leg(leg, &local, &remote);
                let (inbound, outbound) = (FrameDecoder::new(max), FrameDecoder::new(max));
                WireLeg {
                    leg,
                    local,
                    remote,
                    next_tid: 1,
                    sent: Vec::new(),
                    relayed: Vec::new(),
                    inbound,
                    outbound,
                }
            })
            .collect();
        Wire { legs }
    }

    fn leg(&mut self, leg: Leg) -> Option<&mut WireLeg> {
        self.legs.iter_mut().find(|l| l.leg == leg)
    }

    /// The bytes a script input puts on its leg's connection, or `None` for an input that is
    /// not MSRP. A `<- LEG MSRP STATUS` that answers nothing adds a diagnostic line.
    pub(super) fn bytes_of(
        &mut self,
        input: &StepInput,
        lines: &mut Vec<TraceLine>,
    ) -> Option<(Leg, Vec<u8>)> {
        let (leg, bytes) = match input {
            StepInput::MsrpSend { leg, message_id, byte_range, continuation, content_type, body } => {
                let l = self.leg(*leg)?;
                let mut headers: Vec<(&str, &str)> = Vec::new();
                headers.extend(message_id.as_deref().map(|v| ("Message-ID", v)));
                headers.extend(byte_range.as_deref().map(|v| ("Byte-Range", v)));
                headers.extend(content_type.as_deref().map(|v| ("Content-Type", v)));
                let with_body = !body.is_empty() || content_type.is_some();
                let flag = continuation.unwrap_or(Continuation::Complete);
                (*leg, l.request("SEND", &headers, with_body.then_some(body.as_slice()), flag))
            }
            StepInput::MsrpReport { leg, headers } => {
                let l = self.leg(*leg)?;
                let headers: Vec<(&str, &str)> =
                    headers.iter().map(|(n, v)| (n.as_str(), v.as_str())).collect();
                (*leg, l.request("REPORT", &headers, None, Continuation::Complete))
            }
            StepInput::MsrpStatus { leg, status, message_id, byte_range } => {
                let l = self.leg(*leg)?;
                let bytes = l.answer(*status, message_id, byte_range.as_deref());
                if bytes.is_empty() {
                    lines.push(TraceLine::Diagnostic(format!(
                        "no chunk of {message_id} relayed to {leg} awaits an answer"
                    )));
                }
                (*leg, bytes)
            }
            StepInput::MsrpBytes { leg, bytes } => (*leg, bytes.clone()),
            _ => return None,
        };
        let l = self.leg(leg)?;
        l.learn_inbound(&bytes);
        Some((leg, bytes))
    }

    /// Takes what the session wrote on every leg and prints it, one line per frame.
    pub(super) fn drain(&mut self, session: &mut Session, lines: &mut Vec<TraceLine>) {
        for l in &mut self.legs {
            while let Some(bytes) = session.poll_msrp_transmit(l.leg) {
                let n = bytes.len();
                l.read_outbound(bytes, lines);
                session.msrp_transmitted(l.leg, n);
            }
        }
    }
}

impl WireLeg {
    fn tid(&mut self, body: &[u8]) -> String {
        loop {
            let tid = format!("sc{:06}", self.next_tid);
            self.next_tid += 1;
            if !frame::body_holds_end_line(body, &tid) {
                return tid;
            }
        }
    }

    /// A request from the peer to the PF.
    fn request(
        &mut self,
        method: &str,
        headers: &[(&str, &str)],
        body: Option<&[u8]>,
        flag: Continuation,
    ) -> Vec<u8> {
        let tid = self.tid(body.unwrap_or_default());
        let mut out = Vec::new();
        frame::write_request(
            &mut out,
            &tid,
            method,
            &self.local,
            &self.remote,
            headers.iter().copied(),
            body,
            flag,
        );
        out
    }

    /// The peer's responses to the relayed chunks of `message_id` (with `byte_range`, or all).
    fn answer(&mut self, status: u16, message_id: &str, byte_range: Option<&str>) -> Vec<u8> {
        let mut out = Vec::new();
        let matches = |s: &Sent| {
            s.message_id.as_deref() == Some(message_id)
                && byte_range.map_or(true, |r| s.byte_range.as_deref() == Some(r))
        };
        let (answered, kept): (Vec<Sent>, Vec<Sent>) = self.relayed.drain(..).partition(|s| matches(s));
        self.relayed = kept;
        for s in answered {
            frame::write_response(&mut out, &s.tid, status, &self.local, &self.remote);
        }
        out
    }

    /// Notes the transaction ids of the requests in bytes handed to the session.
    fn learn_inbound(&mut self, mut bytes: &[u8]) {
        while !bytes.is_empty() {
            let n = self.inbound.push(bytes);
            bytes = bytes.get(n..).unwrap_or_default();
            let mut framed = false;
            while let Some(result) = self.inbound.next_frame() {
                framed = true;
                if let Ok(f) = result.as_ref() {
                    if matches!(f.start, StartLine::Request(_)) {
                        let sent = sent_of(f);
                        self.sent.push(sent);
                    }
                }
            }
            if n == 0 && !framed {
                break;
            }
        }
    }

    /// Prints the frames in bytes the session wrote.
    fn read_outbound(&mut self, mut bytes: &[u8], lines: &mut Vec<TraceLine>) {
        while !bytes.is_empty() {
            let n = self.outbound.push(bytes);
            bytes = bytes.get(n..).unwrap_or_default();
            let mut framed = false;
            while let Some(result) = self.outbound.next_frame() {
                framed = true;
                let line = match result {
                    Ok(f) => {
                        let (line, relayed) = print(self.leg, &f, &self.sent);
                        self.relayed.extend(relayed);
                        line
                    }
                    Err(e) => TraceLine::Diagnostic(format!(
                        "the PF wrote bytes on {} that do not frame: {e}",
                        self.leg
                    )),
                };
                lines.push(line);
            }
            if n == 0 && !framed {
                break;
            }
        }
    }
}

fn sent_of(f: &Frame<'_>) -> Sent {
    Sent {
        tid: f.transaction_id.to_owned(),
        message_id: f.message_id().map(str::to_owned),
        byte_range: f.byte_range().map(str::to_owned),
    }
}

/// The line for a frame the PF wrote on `leg`, and the chunk to remember when it is a SEND.
fn print(leg: Leg, f: &Frame<'_>, sent: &[Sent]) -> (TraceLine, Option<Sent>) {
    let leg_name = leg.to_string();
    let mut headers = Vec::new();
    let (word, relayed) = match f.start {
        StartLine::Response { status, .. } => {
            if let Some(s) = sent.iter().rev().find(|s| s.tid == f.transaction_id) {
                headers.extend(s.message_id.as_ref().map(|v| Header::new("Message-ID", v.as_str())));
                headers.extend(s.byte_range.as_ref().map(|v| Header::new("Byte-Range", v.as_str())));
            }
            (status.to_string(), None)
        }
        StartLine::Request(RequestMethod::Send) => {
            headers.extend(f.message_id().map(|v| Header::new("Message-ID", v)));
            headers.extend(f.byte_range().map(|v| Header::new("Byte-Range", v)));
            headers.push(Header::new("Continuation", f.continuation.to_string()));
            ("SEND".to_owned(), Some(sent_of(f)))
        }
        StartLine::Request(RequestMethod::Report) => {
            headers.extend(f.message_id().map(|v| Header::new("Message-ID", v)));
            headers.extend(f.byte_range().map(|v| Header::new("Byte-Range", v)));
            headers.extend(f.header("Status").map(|v| Header::new("Status", v)));
            ("REPORT".to_owned(), None)
        }
        StartLine::Request(RequestMethod::Other(m)) => {
            return (TraceLine::Diagnostic(format!("the PF wrote an MSRP {m} on {leg}")), None)
        }
    };
    (TraceLine::Output(OutputLine::new(Sigil::Send, &[&leg_name, "MSRP", &word], headers)), relayed)
}
