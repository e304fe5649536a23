//! MSRP on the legs (docs/requirements.md ML-1 … ML-5): the session's side of RFC 4975 when it
//! is in the media path and speaks MSRP itself.
//!
//! - ML-1: [`Session::set_msrp_leg`] gives a leg its URIs; `Input::MsrpBytes` hands over what was
//!   read; [`Session::poll_msrp_transmit`] / [`Session::msrp_transmitted`] drain what to write.
//! - ML-2: every request is answered (RFC 4975 §7.2): `481` for a To-Path that is not the leg's,
//!   `501` for an unknown method, `400`/`413` from the frame decoder and the reassembler, `413`
//!   when the target leg has too many relayed chunks awaiting their response, else `200`; as the
//!   request's `Failure-Report` asks. REPORTs are not answered (§7.1.2).
//! - ML-3: SENDs are relayed chunk for chunk with a new transaction id and the target leg's
//!   paths; REPORTs go back to the leg that sent the message.
//! - ML-4: the client's responses and REPORTs decide, once, whether a message relayed to it was
//!   delivered; no response within `Config::msrp_response_timeout` is a failure.
//! - ML-5: the decoder holds at most one maximum frame; at most `Config::msrp_max_pending`
//!   relayed chunks await their response per leg; the steady state allocates nothing per chunk.

use core::mem;

use smallvec::SmallVec;

use super::{ignored, LegStatus, Phase, Session};
use crate::action::{Action, Actions, Diagnostic, IgnoredInput, IgnoredWhy, MsrpLegEvent};
use crate::config::Role;
use crate::grammar::byte_range::ByteRange;
use crate::grammar::message_id::MessageId;
use crate::grammar::trim;
use crate::msrp::endpoint::{
    check_uri, report_status, to_path_is, Delivery, DeliveryFailure, FailureReport, LegEndpoint,
    MsrpLegError, MsrpLegs, Pending,
};
use crate::msrp::frame::{self, Frame, FrameDecoder, FrameError, Problem, RequestMethod, StartLine};
use crate::msrp::reassembly::Message;
use crate::msrp::{Continuation, SendRequest};
use crate::{Leg, Time};

/// Header names a relayed request does not copy: the target leg's paths replace the paths, and
/// the session asks for every response it needs (default `Failure-Report`).
fn relayed_header(name: &str) -> bool {
    !["To-Path", "From-Path", "Failure-Report"].iter().any(|n| n.eq_ignore_ascii_case(name))
}

impl Session {
    /// MSRP on the legs (ML-1): `leg` speaks MSRP through this session, with `local_uri` the
    /// PF's end and `remote_uri` the peer's (both from the SDP: `a=path`). From then on hand
    /// the bytes read from the leg's connection over with `Input::MsrpBytes`; the session
    /// answers, relays, and learns delivery itself. Calling it again for a leg (a new
    /// connection, for example when the client re-joins: call it *before* feeding the
    /// re-joining INVITE) replaces the URIs and drops what was buffered for the old connection.
    ///
    /// ```
    /// use cpm_pf::{Config, Leg, Session, Time};
    /// let mut s = Session::new(Config::default(), Time::EPOCH).unwrap();
    /// s.set_msrp_leg(Leg::Client, "msrp://pf.example:2855/client;tcp", "msrp://client.example:2855/s;tcp")?;
    /// assert!(s.set_msrp_leg(Leg::Iwf(1), "msrp://pf.example/i;tcp", "msrp://i.example/s;tcp").is_err());
    /// assert!(s.poll_msrp_transmit(Leg::Client).is_none());
    /// # Ok::<(), cpm_pf::msrp::endpoint::MsrpLegError>(())
    /// ```
    pub fn set_msrp_leg(&mut self, leg: Leg, local_uri: &str, remote_uri: &str) -> Result<(), MsrpLegError> {
        if self.config.role == Role::Proxy {
            return Err(MsrpLegError::NotInMediaPath);
        }
        let i = self.index(leg).ok_or(MsrpLegError::NoSuchLeg(leg))?;
        check_uri(local_uri)?;
        check_uri(remote_uri)?;
        let n = self.legs.len();
        let (max_frame, max_pending) =
            (self.config.msrp_max_frame(), usize::from(self.config.msrp_max_pending));
        let legs = self.rare.get_or_insert_with(Box::default).msrp.get_or_insert_with(MsrpLegs::default);
        if legs.legs.len() < n {
            legs.legs.resize_with(n, || None);
        }
        if let Some(slot) = legs.legs.get_mut(i) {
            let kept = slot.take().map(|ep| (ep.next_tid, ep.pending));
            let mut ep = LegEndpoint::new(local_uri, remote_uri, max_frame, max_pending);
            // Relayed chunks still await their answers (or their deadline); ids stay fresh.
            if let Some((next_tid, pending)) = kept {
                ep.next_tid = next_tid;
                ep.pending = pending;
            }
            *slot = Some(ep);
        }
        Ok(())
    }

    /// MSRP on the legs (ML-1): the bytes to write on `leg`'s MSRP connection, `None` when
    /// there are none. Write what you can, then call [`Session::msrp_transmitted`].
    ///
    /// ```
    /// use cpm_pf::{Config, Input, Leg, Session, Time};
    /// let mut s = Session::new(Config::default(), Time::EPOCH).unwrap();
    /// s.set_msrp_leg(Leg::Remote, "msrp://pf.example/remote;tcp", "msrp://r.example/s;tcp").unwrap();
    /// let _ = s.handle(Input::MsrpBytes { leg: Leg::Remote, bytes: b"HTTP/1.1 200 OK\r\n" }, Time::EPOCH);
    /// let mut socket = Vec::new();
    /// while let Some(bytes) = s.poll_msrp_transmit(Leg::Remote) {
    ///     socket.extend_from_slice(bytes); // a real socket may take fewer
    ///     let n = bytes.len();
    ///     s.msrp_transmitted(Leg::Remote, n);
    /// }
    /// assert!(socket.is_empty(), "a start line that is not MSRP has no transaction id to answer");
    /// ```
    pub fn poll_msrp_transmit(&self, leg: Leg) -> Option<&[u8]> {
        let ep = self.endpoint(leg)?;
        Some(ep.unsent()).filter(|b| !b.is_empty())
    }

    /// MSRP on the legs: `n` bytes of [`Session::poll_msrp_transmit`] were written on `leg`;
    /// the rest stays for the next poll.
    ///
    /// ```
    /// use cpm_pf::{Config, Input, Leg, Session, Time};
    /// let mut s = Session::new(Config::default(), Time::EPOCH).unwrap();
    /// s.set_msrp_leg(Leg::Remote, "msrp://pf.example/remote;tcp", "msrp://r.example/s;tcp").unwrap();
    /// let nope = b"MSRP abcd1234 NOPE\r\nTo-Path: msrp://pf.example/remote;tcp\r\n\
    ///     From-Path: msrp://r.example/s;tcp\r\n-------abcd1234$\r\n";
    /// let _ = s.handle(Input::MsrpBytes { leg: Leg::Remote, bytes: nope }, Time::EPOCH);
    /// let total = s.poll_msrp_transmit(Leg::Remote).unwrap().len();
    /// s.msrp_transmitted(Leg::Remote, 10); // a short write
    /// assert_eq!(s.poll_msrp_transmit(Leg::Remote).unwrap().len(), total - 10);
    /// s.msrp_transmitted(Leg::Remote, total - 10);
    /// assert!(s.poll_msrp_transmit(Leg::Remote).is_none());
    /// ```
    pub fn msrp_transmitted(&mut self, leg: Leg, n: usize) {
        if let Some(ep) = self.endpoint_mut(leg) {
            ep.consume(n);
        }
    }

    /// MSRP on the legs: chunks relayed on `leg` that await their response (ML-5: at most
    /// `Config::msrp_max_pending`).
    ///
    /// ```
    /// use cpm_pf::{Config, Leg, Session, Time};
    /// let s = Session::new(Config::default(), Time::EPOCH).unwrap();
    /// assert_eq!(s.msrp_pending(Leg::Client), 0); // also for a leg not set up
    /// ```
    pub fn msrp_pending(&self, leg: Leg) -> usize {
        self.endpoint(leg).map_or(0, |ep| ep.pending.len())
    }

    /// MSRP on the legs: bytes read from `leg` not yet framed (ML-5: at most one maximum
    /// frame, `Config::msrp_max_frame`).
    ///
    /// ```
    /// use cpm_pf::{Config, Input, Leg, Session, Time};
    /// let mut s = Session::new(Config::default(), Time::EPOCH).unwrap();
    /// s.set_msrp_leg(Leg::Client, "msrp://pf.example/c;tcp", "msrp://c.example/s;tcp").unwrap();
    /// let _ = s.handle(Input::MsrpBytes { leg: Leg::Client, bytes: b"MSRP abcd1234 SE" }, Time::EPOCH);
    /// assert_eq!(s.msrp_undecoded(Leg::Client), 16);
    /// ```
    pub fn msrp_undecoded(&self, leg: Leg) -> usize {
        self.endpoint(leg).map_or(0, |ep| ep.decoder.buffered())
    }

    /// ML-5: `leg` has more than one maximum frame written and not taken: its peer does not
    /// read (or the embedder does not write). Nothing more is written there until it drains.
    fn congested(&self, leg: Leg) -> bool {
        let bound = self.config.msrp_max_frame();
        self.endpoint(leg).is_some_and(|ep| ep.unsent().len() > bound)
    }

    fn endpoint(&self, leg: Leg) -> Option<&LegEndpoint> {
        let i = self.index(leg)?;
        self.msrp()?.legs.get(i)?.as_ref()
    }

    fn endpoint_mut(&mut self, leg: Leg) -> Option<&mut LegEndpoint> {
        let i = self.index(leg)?;
        self.msrp_mut()?.legs.get_mut(i)?.as_mut()
    }

    /// `Input::MsrpBytes`: frame what arrived and act on each frame.
    pub(super) fn on_msrp_bytes(&mut self, leg: Leg, bytes: &[u8], now: Time, out: &mut Actions<'_>) {
        if self.msrp_leg(leg, out).is_none() {
            return;
        }
        // The decoder is taken out while its frames are handled, so that they can borrow it
        // while the session changes (an empty decoder allocates nothing).
        let Some(mut decoder) =
            self.endpoint_mut(leg).map(|ep| mem::replace(&mut ep.decoder, FrameDecoder::new(1)))
        else {
            return ignored(out, IgnoredInput::MsrpChunk, IgnoredWhy::NoMsrpLeg);
        };
        let mut congested = false;
        // Frames that lie whole in `bytes` are read where they lie; only one cut by the end
        // of a read is buffered.
        let mut feed = decoder.feed(bytes);
        while let Some(result) = feed.next_frame() {
            let response = matches!(&result, Ok(f) if matches!(f.start, StartLine::Response { .. }));
            if !response && self.congested(leg) {
                // ML-5: a peer that sends but never reads its answers gets no more of them;
                // its requests are dropped and that is reported, once per input.
                if !mem::replace(&mut congested, true) {
                    let event = MsrpLegEvent::NotReading;
                    out.push(Action::Diagnostic(Diagnostic::MsrpLeg { leg, event }));
                }
                continue;
            }
            self.on_frame(leg, result, now, out);
        }
        drop(feed);
        if let Some(ep) = self.endpoint_mut(leg) {
            ep.decoder = decoder;
        }
        self.announce_transmits(out);
    }

    /// One `Action::MsrpTransmit` per leg that got bytes during this input.
    pub(super) fn announce_transmits(&mut self, out: &mut Actions<'_>) {
        let iwfs = self.config.iwfs;
        let Some(legs) = self.msrp_mut() else { return };
        for (i, ep) in legs.legs.iter_mut().enumerate() {
            if let Some(ep) = ep.as_mut().filter(|ep| ep.announce) {
                ep.announce = false;
                let leg = match i {
                    0 => Leg::Client,
                    _ if iwfs == 0 => Leg::Remote,
                    _ => Leg::Iwf(u8::try_from(i).unwrap_or(u8::MAX)),
                };
                out.push(Action::MsrpTransmit { leg });
            }
        }
    }

    fn on_frame(
        &mut self,
        leg: Leg,
        result: Result<Frame<'_>, FrameError>,
        now: Time,
        out: &mut Actions<'_>,
    ) {
        match result {
            Err(e) => self.on_frame_error(leg, e, out),
            Ok(frame) => match frame.start {
                StartLine::Response { status, .. } => {
                    self.on_response(leg, frame.transaction_id, status, out)
                }
                StartLine::Request(method) => self.on_request_frame(leg, &frame, method, now, out),
            },
        }
    }

    /// ML-2: a frame that cannot be taken is answered at once when its transaction id is known
    /// (`400`, `413`); one that ends the stream is reported, once.
    fn on_frame_error(&mut self, leg: Leg, e: FrameError, out: &mut Actions<'_>) {
        let Some(ep) = self.endpoint_mut(leg) else { return };
        // A response is never answered, not even a malformed one.
        let response = matches!(e, FrameError::Malformed { problem: Problem::BodyInResponse, .. });
        if response {
            out.push(Action::Diagnostic(Diagnostic::MsrpLeg { leg, event: MsrpLegEvent::BadResponse }));
        }
        if let Some(tid) = e.transaction_id().filter(|_| !response) {
            ep.respond(tid.as_bytes(), e.status(), None);
            out.push(Action::Diagnostic(Diagnostic::MsrpLeg {
                leg,
                event: MsrpLegEvent::Refused { status: e.status() },
            }));
        }
        if e.is_fatal() && !ep.failed {
            ep.failed = true;
            out.push(Action::Diagnostic(Diagnostic::MsrpLeg { leg, event: MsrpLegEvent::Unframeable(e) }));
        }
    }

    /// Answers a request received on `leg` with `status`, as its `Failure-Report` asks.
    fn answer(
        &mut self,
        leg: Leg,
        frame: &Frame<'_>,
        status: u16,
        report: FailureReport,
        out: &mut Actions<'_>,
    ) {
        if status != 200 {
            out.push(Action::Diagnostic(Diagnostic::MsrpLeg {
                leg,
                event: MsrpLegEvent::Refused { status },
            }));
        }
        if report.wants(status) {
            if let Some(ep) = self.endpoint_mut(leg) {
                ep.respond(frame.transaction_id.as_bytes(), status, Some(frame.from_path));
            }
        }
    }

    fn on_request_frame(
        &mut self,
        leg: Leg,
        frame: &Frame<'_>,
        method: RequestMethod<'_>,
        now: Time,
        out: &mut Actions<'_>,
    ) {
        let report = FailureReport::of(frame.failure_report());
        let ours = self.endpoint(leg).is_some_and(|ep| to_path_is(frame.to_path, &ep.local));
        if !ours && method == RequestMethod::Report {
            // A REPORT is never answered (RFC 4975 §7.1.2), not even with 481.
            let event = MsrpLegEvent::ReportNotRelayed;
            return out.push(Action::Diagnostic(Diagnostic::MsrpLeg { leg, event }));
        }
        if !ours {
            return self.answer(leg, frame, 481, report, out);
        }
        match method {
            RequestMethod::Send => self.on_send_frame(leg, frame, report, now, out),
            RequestMethod::Report => self.on_report_frame(leg, frame, out),
            RequestMethod::Other(_) => self.answer(leg, frame, frame::STATUS_NOT_IMPLEMENTED, report, out),
        }
    }

    /// ML-2/ML-3: a SEND is checked, reassembled when the session records, answered, relayed.
    fn on_send_frame(
        &mut self,
        leg: Leg,
        frame: &Frame<'_>,
        report: FailureReport,
        now: Time,
        out: &mut Actions<'_>,
    ) {
        let Some(send) = SendRequest::from_frame(frame) else { return };
        let id = send.message_id.and_then(|m| MessageId::parse(trim(m)).ok());
        let range = match send.byte_range {
            None => Some(ByteRange::WHOLE),
            Some(r) => ByteRange::parse(trim(r)).ok(),
        };
        let (Some(id), Some(range)) = (id, range) else {
            return self.answer(leg, frame, frame::STATUS_BAD_REQUEST, report, out);
        };
        let targets = self.relay_targets(leg);
        let max_pending = usize::from(self.config.msrp_max_pending);
        let full =
            |t: Leg| self.endpoint(t).is_some_and(|ep| ep.pending.len() >= max_pending) || self.congested(t);
        if let Some(&busy) = targets.iter().find(|&&t| full(t)) {
            out.push(Action::Diagnostic(Diagnostic::MsrpLeg { leg: busy, event: MsrpLegEvent::Busy }));
            return self.answer(leg, frame, frame::STATUS_TOO_LARGE, report, out);
        }
        let completed = match self.reassemble(leg, &send, now, out) {
            Err(status) => return self.answer(leg, frame, status, report, out),
            Ok(completed) => completed,
        };
        self.answer(leg, frame, 200, report, out);
        let no_content = frame.body.is_none() && frame.continuation != Continuation::Aborted;
        if no_content || range.is_empty_keep_alive() {
            // A SEND without content (RFC 4975 §7.1: `1-0/0`, a keep-alive or a connection
            // opener) concerns this hop only: answered, not relayed.
            return;
        }
        for target in targets {
            self.relay_send(leg, target, frame, (id, range, completed), now, out);
        }
    }

    /// ML-3: where a chunk received on `from` goes: the client's to `remote` or to every IWF,
    /// anything else to the client; only legs set up, with media, whose stream still frames.
    fn relay_targets(&self, from: Leg) -> SmallVec<[Leg; 4]> {
        let mut targets = SmallVec::new();
        let live = |leg: Leg| {
            self.index(leg).is_some_and(|i| self.legs[i].media && self.legs[i].status != LegStatus::Gone)
                && self.endpoint(leg).is_some_and(|ep| !ep.failed)
        };
        match from {
            Leg::Client if self.config.iwfs == 0 => targets.push(Leg::Remote),
            Leg::Client => targets.extend((1..=self.config.iwfs).map(Leg::Iwf)),
            Leg::Remote | Leg::Iwf(_) => targets.push(Leg::Client),
        }
        targets.retain(|leg| live(*leg));
        targets
    }

    /// Writes one relayed SEND on `target`: a new transaction id, the target's paths, every
    /// other header and the body as received, the same continuation flag.
    #[allow(clippy::too_many_arguments)]
    fn relay_send(
        &mut self,
        from: Leg,
        target: Leg,
        frame: &Frame<'_>,
        (id, range, completed): (MessageId, ByteRange, Option<bool>),
        now: Time,
        out: &mut Actions<'_>,
    ) {
        let deadline = now + self.config.msrp_response_timeout();
        let cap = usize::from(self.config.msrp_max_pending).saturating_mul(2);
        let Some(ep) = self.endpoint_mut(target) else { return };
        let body = frame.body.unwrap_or_default();
        // The decoder's scan saw every body byte: a body without a CR needs no second search.
        let tid = ep.new_tid(frame.body_to_search());
        if let Some(head) = frame.relay_head() {
            // The usual head: the lines to copy are copied at once, as received.
            frame::write_request_with_head(
                &mut ep.transmit,
                tid.as_bytes(),
                "SEND",
                &ep.paths,
                head,
                frame.body,
                frame.continuation,
            );
        } else {
            let headers = frame.headers().filter(|h| relayed_header(h.name)).map(|h| (h.name, h.value));
            ep.write_request(&tid, "SEND", headers, frame.body, frame.continuation);
        }
        ep.announce = true;
        let len = body.len() as u64;
        ep.pending.push_back(Pending { tid, message_id: Some(id), len, deadline });
        let Some(legs) = self.msrp_mut() else { return };
        legs.note_origin(id, from, cap);
        if target == Leg::Client {
            let total = match (range.total, frame.continuation) {
                (Some(t), _) => Some(t),
                (None, Continuation::Complete) => Some(range.start.saturating_sub(1).saturating_add(len)),
                (None, _) => None,
            };
            self.track_delivery(id, (total, completed), frame.continuation, cap, out);
        }
    }

    /// ML-4: one more chunk of message `id` went to the client.
    /// `total` is the message's size when a chunk says it; `completed` whether this chunk
    /// completed the message in the reassembler (`None` when the session does not reassemble).
    fn track_delivery(
        &mut self,
        id: MessageId,
        (total, completed): (Option<u64>, Option<bool>),
        flag: Continuation,
        cap: usize,
        out: &mut Actions<'_>,
    ) {
        let mut evicted = None;
        let Some(legs) = self.msrp_mut() else { return };
        if flag == Continuation::Aborted {
            // An aborted message is never recorded: nothing to learn about its delivery.
            legs.deliveries.retain(|d| d.id != id || d.decided.is_some());
            return;
        }
        if legs.delivery(id).is_none() {
            if legs.deliveries.len() >= cap.max(1) {
                evicted = legs.deliveries.pop_front().filter(|d| d.decided.is_none()).map(|d| d.id);
            }
            let whole = completed.map(|_| false);
            legs.deliveries.push_back(Delivery {
                id,
                total: None,
                acked: 0,
                outstanding: 0,
                whole,
                decided: None,
            });
        }
        if let Some(d) = legs.delivery(id) {
            d.outstanding = d.outstanding.saturating_add(1);
            d.total = d.total.or(total);
            if completed == Some(true) {
                d.whole = Some(true);
            }
        }
        if let Some(old) = evicted {
            self.decided_delivery(old, Err(DeliveryFailure::Abandoned), out);
        }
    }

    /// ML-4: the decision about message `id`'s delivery, made once: recorded (REC-5ii) or
    /// reported as not stored.
    fn decide(&mut self, id: MessageId, verdict: Result<(), DeliveryFailure>, out: &mut Actions<'_>) {
        let Some(d) = self.msrp_mut().and_then(|l| l.delivery(id)) else { return };
        if d.decided.is_some() {
            return;
        }
        d.decided = Some(verdict);
        self.decided_delivery(id, verdict, out);
    }

    fn decided_delivery(
        &mut self,
        id: MessageId,
        verdict: Result<(), DeliveryFailure>,
        out: &mut Actions<'_>,
    ) {
        out.push(Action::Diagnostic(Diagnostic::Delivery { message_id: id, failure: verdict.err() }));
        if self.phase == Phase::Terminated {
            return;
        }
        match verdict {
            Ok(()) => {
                if let Some((r, c)) = self.recorder() {
                    r.delivered(c, id, out);
                }
            }
            Err(why) => {
                if let Some(r) = self.recorder.as_deref_mut() {
                    r.not_delivered(id, why, out);
                }
            }
        }
    }

    /// The delivery of `id` failed before the message was complete: it must not be recorded.
    pub(super) fn failed_delivery(&self, id: MessageId) -> Option<DeliveryFailure> {
        let legs = self.msrp()?;
        legs.deliveries.iter().find(|d| d.id == id).and_then(|d| d.decided).and_then(Result::err)
    }

    /// A response on `leg`: the relayed chunk it answers stops waiting; the client's decide
    /// delivery (ML-4).
    fn on_response(&mut self, leg: Leg, tid: &str, status: u16, out: &mut Actions<'_>) {
        let Some(ep) = self.endpoint_mut(leg) else { return };
        let Some(p) = ep
            .pending
            .iter()
            .position(|p| p.tid.as_bytes() == tid.as_bytes())
            .and_then(|i| ep.pending.remove(i))
        else {
            return out
                .push(Action::Diagnostic(Diagnostic::MsrpLeg { leg, event: MsrpLegEvent::StrayResponse }));
        };
        if status != 200 {
            out.push(Action::Diagnostic(Diagnostic::MsrpLeg {
                leg,
                event: MsrpLegEvent::FailureResponse { status },
            }));
        }
        if leg == Leg::Client {
            if let Some(id) = p.message_id {
                self.client_answered(id, p.len, status, out);
            }
        }
    }

    fn client_answered(&mut self, id: MessageId, len: u64, status: u16, out: &mut Actions<'_>) {
        let Some(d) = self.msrp_mut().and_then(|l| l.delivery(id)) else { return };
        d.outstanding = d.outstanding.saturating_sub(1);
        if status != 200 {
            return self.decide(id, Err(DeliveryFailure::Status(status)), out);
        }
        d.acked = d.acked.saturating_add(len);
        if d.complete() {
            self.decide(id, Ok(()), out);
        }
    }

    /// ML-3/ML-4: a REPORT is never answered; the client's decides delivery; every REPORT goes
    /// back to the leg that sent the message.
    fn on_report_frame(&mut self, leg: Leg, frame: &Frame<'_>, out: &mut Actions<'_>) {
        let Some(id) = frame.message_id().and_then(|m| MessageId::parse(trim(m)).ok()) else {
            return out.push(Action::Diagnostic(Diagnostic::MsrpLeg {
                leg,
                event: MsrpLegEvent::ReportNotRelayed,
            }));
        };
        if leg == Leg::Client {
            self.client_reported(id, frame, out);
        }
        let origin = self.msrp().and_then(|l| l.origin(id));
        let live = origin
            .filter(|&o| o != leg && !self.congested(o))
            .filter(|&o| self.index(o).is_some_and(|i| self.legs[i].media));
        let Some(ep) = live.and_then(|o| self.endpoint_mut(o)).filter(|ep| !ep.failed) else {
            return out.push(Action::Diagnostic(Diagnostic::MsrpLeg {
                leg,
                event: MsrpLegEvent::ReportNotRelayed,
            }));
        };
        let tid = ep.new_tid(b"");
        let headers = frame.headers().filter(|h| relayed_header(h.name)).map(|h| (h.name, h.value));
        ep.write_request(&tid, "REPORT", headers, None, Continuation::Complete);
    }

    fn client_reported(&mut self, id: MessageId, frame: &Frame<'_>, out: &mut Actions<'_>) {
        let Some(status) = frame.header("Status").and_then(report_status) else { return };
        if status != 200 {
            return self.decide(id, Err(DeliveryFailure::Report(status)), out);
        }
        let range = frame.byte_range().and_then(|r| ByteRange::parse(trim(r)).ok());
        let Some(d) = self.msrp().and_then(|l| l.deliveries.iter().find(|d| d.id == id)) else { return };
        let whole = range.is_some_and(|r| {
            r.start == 1
                && r.end.is_some()
                && r.end == r.total
                && d.total.map_or(true, |t| Some(t) == r.total)
        });
        if whole {
            self.decide(id, Ok(()), out);
        }
    }

    /// The earliest deadline of a chunk relayed on any leg (ML-4).
    pub(super) fn msrp_deadline(&self) -> Option<Time> {
        self.msrp().and_then(MsrpLegs::deadline)
    }

    /// ML-4: relayed chunks whose deadline passed stop waiting; a message to the client with
    /// such a chunk is not delivered.
    pub(super) fn msrp_timeouts(&mut self, now: Time, out: &mut Actions<'_>) {
        let n = self.msrp().map_or(0, |l| l.legs.len());
        for i in 0..n {
            let leg = self.leg_at(i);
            while let Some(p) = self.endpoint_mut(leg).and_then(|ep| {
                let due = ep.pending.front().filter(|p| p.deadline <= now).copied()?;
                ep.pending.pop_front();
                Some(due)
            }) {
                self.chunk_unanswered(leg, p, DeliveryFailure::NoResponse, out);
            }
        }
    }

    fn chunk_unanswered(&mut self, leg: Leg, p: Pending, why: DeliveryFailure, out: &mut Actions<'_>) {
        match (leg, p.message_id) {
            (Leg::Client, Some(id)) => {
                if let Some(d) = self.msrp_mut().and_then(|l| l.delivery(id)) {
                    d.outstanding = d.outstanding.saturating_sub(1);
                }
                self.decide(id, Err(why), out);
            }
            _ => out.push(Action::Diagnostic(Diagnostic::MsrpLeg { leg, event: MsrpLegEvent::NoResponse })),
        }
    }

    /// A leg's media is released: its relayed chunks will never be answered (ML-3, ML-4).
    pub(super) fn msrp_released(&mut self, leg: Leg, out: &mut Actions<'_>) {
        let Some(ep) = self.endpoint_mut(leg) else { return };
        let pending: SmallVec<[Pending; 4]> = ep.pending.drain(..).collect();
        for p in pending {
            self.chunk_unanswered(leg, p, DeliveryFailure::Released, out);
        }
    }

    /// BYE-4ii with MSRP on the legs: a deferred message is kept for the client's re-join.
    pub(super) fn msrp_defer(&mut self, message: &Message) {
        let bound = self.config.limits.max_buffered;
        if let Some(legs) = self.msrp_mut() {
            legs.deferred.push_back(message.clone());
            // Bounded like the messages awaiting delivery: the oldest give way.
            while legs.deferred.iter().map(|m| m.body.len()).sum::<usize>() > bound {
                legs.deferred.pop_front();
            }
        }
    }

    /// BYE-4iii with MSRP on the legs: deferred messages go to the client as SENDs, in arrival
    /// order, each in one chunk.
    pub(super) fn msrp_rejoined(&mut self, now: Time, out: &mut Actions<'_>) {
        let Some(deferred) = self.msrp_mut().map(|l| mem::take(&mut l.deferred)) else { return };
        let deadline = now + self.config.msrp_response_timeout();
        let cap = usize::from(self.config.msrp_max_pending).saturating_mul(2);
        for m in deferred {
            let Some(ep) = self.endpoint_mut(Leg::Client) else { break };
            let tid = ep.new_tid(&m.body);
            let range = format!("1-{n}/{n}", n = m.body.len());
            let mut headers: SmallVec<[(&str, &str); 3]> = SmallVec::new();
            headers.push(("Message-ID", m.id.as_str()));
            headers.push(("Byte-Range", &range));
            if let Some(ct) = m.content_type.as_deref() {
                headers.push(("Content-Type", ct));
            }
            ep.write_request(&tid, "SEND", headers, Some(&m.body), Continuation::Complete);
            let len = m.body.len() as u64;
            ep.pending.push_back(Pending { tid, message_id: Some(m.id), len, deadline });
            self.track_delivery(m.id, (Some(len), Some(true)), Continuation::Complete, cap, out);
        }
        self.announce_transmits(out);
    }
}
