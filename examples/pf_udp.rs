//! A CPM Participating Function over UDP: cpm-pf embedded in a small rsip-based B2BUA.
//!
//! The flags, as `--help` prints them (one text, `pf_udp.usage.txt`, for both):
#![doc = concat!("```text\n", include_str!("pf_udp.usage.txt"), "```")]
//!
//! Datagrams from `--remote` are the remote leg; any other sender is the client leg. An INVITE
//! starts a call: the PF relays it to the other leg as a new dialog (B2BUA), relays the final
//! answer back, relays the ACK, and keeps one [`cpm_pf::Session`] per call. From then on every
//! BYE, BYE response, UPDATE and re-INVITE is fed to the session, and the actions it returns are
//! carried out and written to the log, one line each, exactly as the scenario runner prints them
//! (`-> remote BYE | Reason: ...`, `== release-media client`). What this example cannot do for
//! real (media, SUBSCRIBE, interception) is logged only.
//!
//! Message Store: every `Action::Store` is answered with `Input::Stored` (or `StoreFailed`).
//! With `--imap` the object is APPENDed to the folder's mailbox of a real IMAP server, and the
//! UID is the one the server assigned (APPENDUID, RFC 4315), so a file transfer's 200 OK
//! carries the Message Store's own `Message-UID` (FT-1c); without it, UIDs are counted.
//!
//! It is an example, not a server: no retransmission timers (loopback does not lose
//! datagrams; retransmissions received are absorbed), no DNS, no authentication, no CANCEL.

use std::borrow::Cow;
use std::fs;
use std::io::{self, Write};
use std::net::{SocketAddr, TcpStream, UdpSocket};
use std::path::PathBuf;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use cpm_pf::headers::{names, HeaderName, SipHeaders};
use cpm_pf::rsip_adapter::{self as adapter, Dialog};
use cpm_pf::script::{render_action, render_route};
use cpm_pf::{
    Action, Actions, Config, Folder, Input, Kind, Leg, Method, ObjectRef, Policy, Preferences, Session, Side,
    Time,
};
use rsip::{Header, Request, Response, SipMessage};

/// Timer F / H of RFC 3261: how long a BYE the PF sent may go unanswered (64 × T1).
const TRANSACTION_TIMEOUT: Duration = Duration::from_secs(32);
/// How long a terminated call is kept to answer retransmissions.
const LINGER: Duration = Duration::from_secs(32);

fn main() {
    let args = match Args::parse(std::env::args().skip(1)) {
        Ok(Some(args)) => args,
        Ok(None) => {
            print!("{USAGE}");
            return;
        }
        Err(e) => {
            eprintln!("pf_udp: {e}\n\n{USAGE}");
            std::process::exit(2);
        }
    };
    if let Err(e) = run(args) {
        eprintln!("pf_udp: {e}");
        std::process::exit(1);
    }
}

fn run(args: Args) -> io::Result<()> {
    let socket = UdpSocket::bind(args.listen)?;
    let log: Box<dyn Write> = match &args.log {
        Some(path) => Box::new(fs::File::create(path)?),
        None => Box::new(io::stdout()),
    };
    eprintln!("pf_udp: listening on {}, remote leg {}", args.listen, args.remote);
    let imap = args.imap.clone().map(Imap::new);
    let mut io = Io { clock: Clock::new(args.time_scale), socket, log, counter: 0, last_call: 0, args, imap };
    let mut calls: Vec<Call> = Vec::new();
    let mut ended = 0;
    let mut buf = vec![0u8; 65_535];
    loop {
        // 1. Deadlines: session timers and unanswered BYEs.
        let now = io.clock.now();
        for call in &mut calls {
            call.fire_timers(&mut io, now);
        }
        // 2. Forget calls that ended a while ago; stop after --calls sessions.
        calls.retain(|c| match c.ended {
            Some(at) if now.saturating_since(at) > LINGER * io.clock.scale => {
                ended += 1;
                false
            }
            _ => true,
        });
        let finished = ended + calls.iter().filter(|c| c.ended.is_some()).count();
        if io.args.calls.is_some_and(|n| finished >= n) {
            io.flush();
            return Ok(());
        }
        // 3. Wait for a datagram, at most until the next deadline.
        let next = calls.iter().filter_map(Call::next_deadline).min();
        let wait = next.map_or(Duration::from_millis(200), |d| io.clock.real_until(d));
        io.socket.set_read_timeout(Some(wait.clamp(Duration::from_millis(1), Duration::from_millis(200))))?;
        let (n, from) = match io.socket.recv_from(&mut buf) {
            Ok(received) => received,
            Err(e) if matches!(e.kind(), io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut) => continue,
            Err(e) => return Err(e),
        };
        match SipMessage::try_from(&buf[..n]) {
            Ok(SipMessage::Request(req)) => on_request(&mut io, &mut calls, req, from),
            Ok(SipMessage::Response(resp)) => on_response(&mut io, &mut calls, resp),
            Err(e) => eprintln!(
                "pf_udp: dropped a datagram of {n} bytes from {from} that rsip cannot parse: {}; it begins {:?}",
                quote(&e.to_string()).escape_debug(),
                quote(&String::from_utf8_lossy(&buf[..n])),
            ),
        }
        io.flush();
    }
}

// ----- one call: a dialog on each leg and one cpm-pf session --------------------------------

/// One leg of a call: the PF's dialog with the client or with the remote.
struct LegSide {
    call_id: String,
    peer: SocketAddr,
    dialog: Option<Dialog>,
    /// Requests received here that the session has yet to answer (`Action::SendResponse`).
    pending: Vec<Request>,
    /// Requests already seen here (top Via branch and CSeq) with the response sent, if any, so
    /// a retransmission is answered again instead of reaching the session twice.
    seen: Vec<(String, Option<String>)>,
    /// The PF's BYE on this leg awaits its final response until this time.
    bye_deadline: Option<Time>,
    /// The SDP the PF last sent on this leg, to answer a re-INVITE with unchanged media.
    sdp: Vec<u8>,
}

struct Call {
    id: u64,
    session: Session,
    client: LegSide,
    remote: LegSide,
    /// The INVITE that started the call and the leg it came from, until its answer is relayed.
    invite: Option<(Leg, Request)>,
    /// The INVITE the PF sent on the other leg, until answered.
    invite_sent: Option<Request>,
    /// When the INVITE arrived, in session time.
    started: Time,
    ended: Option<Time>,
}

impl Call {
    fn leg(&mut self, leg: Leg) -> &mut LegSide {
        match leg {
            Leg::Client => &mut self.client,
            _ => &mut self.remote,
        }
    }

    fn next_deadline(&self) -> Option<Time> {
        [self.session.poll_timeout(), self.client.bye_deadline, self.remote.bye_deadline]
            .into_iter()
            .flatten()
            .min()
    }

    fn fire_timers(&mut self, io: &mut Io, now: Time) {
        if self.session.poll_timeout().is_some_and(|d| d <= now) {
            let after = now.saturating_since(self.started).as_secs();
            io.input(self.id, &format!("# session deadline reached {after} s after the INVITE"));
            let actions = self.session.handle_timeout(now);
            carry_out(io, self, actions, now);
        }
        for leg in [Leg::Client, Leg::Remote] {
            if self.leg(leg).bye_deadline.is_some_and(|d| d <= now) {
                self.leg(leg).bye_deadline = None;
                io.input(self.id, &format!("@ timeout {leg} BYE"));
                let actions =
                    self.session.handle(Input::TransactionTimeout { leg, method: Method::Bye }, now);
                carry_out(io, self, actions, now);
            }
        }
    }
}

fn find(calls: &mut [Call], call_id: &str) -> Option<(usize, Leg)> {
    calls.iter().enumerate().find_map(|(i, c)| {
        (c.client.call_id == call_id)
            .then_some((i, Leg::Client))
            .or_else(|| (c.remote.call_id == call_id).then_some((i, Leg::Remote)))
    })
}

// ----- requests -----------------------------------------------------------------------------

fn on_request(io: &mut Io, calls: &mut Vec<Call>, req: Request, from: SocketAddr) {
    let now = io.clock.now();
    let Ok(call_id) = adapter::call_id(&req).map(str::to_owned) else {
        return eprintln!("pf_udp: request without Call-ID from {from} dropped");
    };
    let Some((i, leg)) = find(calls, &call_id) else {
        return match req.method {
            rsip::Method::Invite => new_call(io, calls, req, from, call_id, now),
            rsip::Method::Ack => {}
            // RFC 3261 §12.2.2: a request outside any dialog the PF knows.
            _ => io.send(&adapter::response(&req, 481, None).to_string(), from),
        };
    };
    let call = &mut calls[i];
    let key = transaction_key(&req);
    if req.method != rsip::Method::Ack {
        if let Some((_, answer)) = call.leg(leg).seen.iter().find(|(k, _)| *k == key) {
            // A retransmission: answer again what was answered, or wait for the answer.
            if let Some(answer) = answer.clone() {
                io.send(&answer, from);
            }
            return;
        }
        let seen = &mut call.leg(leg).seen;
        seen.push((key, None));
        if seen.len() > 16 {
            seen.remove(0);
        }
    }
    match req.method {
        // The PF acknowledged the other leg's 2xx itself when it arrived (its dialogs are its own).
        rsip::Method::Ack => {}
        rsip::Method::Bye => {
            let reasons = adapter::reasons(&req);
            let line: String = reasons.iter().map(|r| format!(" | Reason: {r}")).collect();
            io.input(call.id, &format!("<- {leg} BYE{line}"));
            call.leg(leg).pending.push(req.clone());
            let actions = call.session.handle(Input::ByeReceived { leg, reasons: &reasons }, now);
            carry_out(io, call, actions, now);
        }
        rsip::Method::Update | rsip::Method::Invite => {
            // A refresh (RFC 4028): the session restarts its timer. The PF answers it itself,
            // with media unchanged; relaying it to the other leg is left out of this example.
            io.input(call.id, &format!("<- {leg} {}", req.method));
            let actions = call.session.handle(adapter::request_input(leg, &req), now);
            carry_out(io, call, actions, now);
            let mut ok = adapter::response(&req, 200, None);
            copy_headers(&mut ok.headers, &req.headers, &[&names::SESSION_EXPIRES]);
            ok.headers.push(Header::Contact(format!("<sip:pf@{}>", io.args.listen).into()));
            let sdp = if req.method == rsip::Method::Invite { call.leg(leg).sdp.clone() } else { Vec::new() };
            set_body(&mut ok.headers, &mut ok.body, sdp);
            io.answer(call.leg(leg), &req, &ok.to_string());
        }
        _ => {
            let resp = adapter::response(&req, 501, None).to_string();
            io.answer(call.leg(leg), &req, &resp);
        }
    }
}

/// An INVITE outside any call: a new call, relayed to the other leg as a new dialog.
fn new_call(
    io: &mut Io,
    calls: &mut Vec<Call>,
    invite: Request,
    from: SocketAddr,
    call_id: String,
    now: Time,
) {
    let leg = if from == io.args.remote { Leg::Remote } else { Leg::Client };
    let out = other(leg);
    let out_peer = match out {
        Leg::Client => io.args.client,
        _ => Some(io.args.remote),
    };
    io.counter += 1;
    let id = io.counter;
    io.input(id, &format!("# call {id}: INVITE from the {leg} leg at {from}, Call-ID {call_id}"));
    if leg == Leg::Remote {
        // 8.3: a request arriving in the terminating network; show how it is dispatched.
        for line in render_route(&cpm_pf::route(Method::Invite, &invite, io.args.policy)) {
            io.line(&format!("  {line}"));
        }
    }
    let Some(out_peer) = out_peer else {
        io.line("  # no --client address: the session cannot be relayed, answered 480");
        return io.send(&adapter::response(&invite, 480, None).to_string(), from);
    };
    let session = match Session::new(io.config(&invite, leg), now) {
        Ok(session) => session,
        Err(e) => {
            io.line(&format!("  # configuration refused: {e}, answered 500"));
            return io.send(&adapter::response(&invite, 500, None).to_string(), from);
        }
    };
    let mut call = Call {
        id,
        session,
        client: LegSide::new(out_peer),
        remote: LegSide::new(out_peer),
        invite: None,
        invite_sent: None,
        started: now,
        ended: None,
    };
    // The leg the INVITE came from: its peer and its Call-ID; the other leg's come below.
    call.leg(leg).peer = from;
    call.leg(leg).call_id = call_id.clone();
    call.leg(leg).seen.push((transaction_key(&invite), None));
    // REC-4a, ST-0: the first INVITE gives the session info object and maybe the interval.
    io.input(id, &format!("<- {leg} INVITE"));
    let actions = call.session.handle(adapter::request_input(leg, &invite), now);
    carry_out(io, &mut call, actions, now);

    // The B2BUA's INVITE on the other leg: a new dialog, the CPM headers and the SDP copied.
    let (tag, via) = (io.tag(), io.via());
    let out_call_id = format!("pf{id}-{call_id}");
    let from_value = invite.first(&names::FROM).unwrap_or("<sip:anonymous@anonymous.invalid>");
    let mut headers = rsip::Headers::default();
    headers.push(Header::Via(via.into()));
    headers.push(Header::MaxForwards("70".into()));
    headers.push(Header::From(format!("<{}>;tag={tag}", adapter::addr_spec(from_value)).into()));
    headers.push(Header::To(invite.first(&names::TO).unwrap_or_default().into()));
    headers.push(Header::CallId(out_call_id.clone().into()));
    headers.push(Header::CSeq("1 INVITE".into()));
    headers.push(Header::Contact(format!("<sip:pf@{}>", io.args.listen).into()));
    copy_relayed(&mut headers, &invite.headers);
    let mut sent = Request {
        method: rsip::Method::Invite,
        uri: invite.uri.clone(),
        version: rsip::Version::V2,
        headers,
        body: Vec::new(),
    };
    set_body(&mut sent.headers, &mut sent.body, invite.body.clone());
    io.send(&sent.to_string(), out_peer);
    let out_side = call.leg(out);
    out_side.call_id = out_call_id;
    out_side.sdp = sent.body.clone();
    call.invite = Some((leg, invite));
    call.invite_sent = Some(sent);
    calls.push(call);
}

// ----- responses ----------------------------------------------------------------------------

fn on_response(io: &mut Io, calls: &mut [Call], resp: Response) {
    let now = io.clock.now();
    let Some((i, leg)) = adapter::call_id(&resp).ok().and_then(|id| find(calls, id)) else {
        return eprintln!("pf_udp: response for no known call dropped");
    };
    let call = &mut calls[i];
    let status = resp.status_code.code();
    match adapter::cseq(&resp) {
        Ok((_, Method::Invite)) if status >= 200 => answer_invite(io, call, leg, &resp),
        Ok((_, Method::Bye)) if status >= 200 => {
            call.leg(leg).bye_deadline = None;
            io.input(call.id, &format!("<- {leg} {status} BYE"));
            if let Ok(Some(input)) = adapter::response_input(leg, &resp) {
                let actions = call.session.handle(input, now);
                carry_out(io, call, actions, now);
            }
        }
        _ => {} // provisional responses are not relayed in this example
    }
}

/// The other leg answered the PF's INVITE: relay the answer to the leg that sent the INVITE.
fn answer_invite(io: &mut Io, call: &mut Call, out: Leg, answer: &Response) {
    let (Some((leg, invite)), Some(sent)) = (call.invite.take(), call.invite_sent.take()) else {
        return; // a retransmitted answer: the ACK already went out
    };
    let status = answer.status_code.code();
    let mut resp = adapter::response(&invite, status, None);
    let tag = io.tag();
    adapter::add_to_tag(&mut resp, &tag);
    if (200..300).contains(&status) {
        let dialogs = (Dialog::from_sent_invite(&sent, answer), Dialog::from_received_invite(&invite, &tag));
        if let (Ok(out_dialog), Ok(in_dialog)) = dialogs {
            let via = io.via();
            io.send(&out_dialog.ack(&via).to_string(), call.leg(out).peer);
            call.leg(out).dialog = Some(out_dialog);
            call.leg(leg).dialog = Some(in_dialog);
        }
        resp.headers.push(Header::Contact(format!("<sip:pf@{}>", io.args.listen).into()));
        copy_relayed(&mut resp.headers, &answer.headers);
        set_body(&mut resp.headers, &mut resp.body, answer.body.clone());
        call.leg(leg).sdp = answer.body.clone();
    } else {
        // The call failed before it started. A non-2xx answer is acknowledged inside its
        // INVITE transaction: same branch, the answer's To (RFC 3261 §17.1.1.3).
        let mut ack = Request { method: rsip::Method::Ack, body: Vec::new(), ..sent.clone() };
        ack.headers = rsip::Headers::default();
        copy_headers(
            &mut ack.headers,
            &sent.headers,
            &[&adapter::names::VIA, &names::FROM, &adapter::names::CALL_ID],
        );
        copy_headers(&mut ack.headers, &answer.headers, &[&names::TO]);
        ack.headers.push(Header::CSeq("1 ACK".into()));
        ack.headers.push(Header::ContentLength("0".into()));
        io.send(&ack.to_string(), call.leg(out).peer);
        io.line(&format!("  # call {}: the {out} leg answered {status}; relayed", call.id));
        call.ended = Some(io.clock.now());
    }
    io.answer(call.leg(leg), &invite, &resp.to_string());
}

// ----- the actions cpm-pf returns -----------------------------------------------------------

/// Carries out `actions` in order, logging each; a `Store` is reported back as `Stored` (or
/// `StoreFailed`) once all are carried out.
fn carry_out(io: &mut Io, call: &mut Call, actions: Actions<'_>, now: Time) {
    let mut stored = Vec::new();
    for action in actions {
        io.line(&format!("  {}", render_action(&action)));
        match action {
            Action::SendBye { leg, reasons } => {
                let via = io.via();
                let side = call.leg(leg);
                match side.dialog.as_mut().map(|d| d.bye(&via, &reasons)) {
                    Some(bye) => {
                        side.bye_deadline = Some(now + TRANSACTION_TIMEOUT * io.clock.scale);
                        let peer = side.peer;
                        io.send(&bye.to_string(), peer);
                    }
                    None => io.note(call.id, &format!("no dialog on the {leg} leg: BYE not sent")),
                }
            }
            Action::SendResponse { leg, method, .. } => {
                // The answer to the request of `method` this leg is waiting for.
                let side = call.leg(leg);
                match side.pending.iter().position(|r| adapter::method(&r.method) == method) {
                    Some(i) => {
                        let req = side.pending.remove(i);
                        if let Some(resp) = adapter::response_for(&req, &action) {
                            io.answer(side, &req, &resp.to_string());
                        }
                    }
                    None => io.note(call.id, &format!("no {method} pending on the {leg} leg")),
                }
            }
            Action::Store { object, folder, content } => {
                let uid = io.store(call.id, object, &folder, &content);
                stored.push((object, uid));
            }
            Action::CreateFolder { folder } => io.create_folder(call.id, &folder),
            Action::Terminated => call.ended = Some(now),
            Action::Diagnostic(_) => {}
            // No media relay, conference subscription or deferred-delivery store here.
            other => io.note(call.id, &format!("not carried out by this example: {}", render_action(&other))),
        }
    }
    for (object, uid) in stored {
        if let Some(uid) = uid {
            io.input(call.id, &format!("@ stored {object} uid={uid}"));
            let actions = call.session.handle(Input::Stored { object, uid: &uid }, now);
            carry_out(io, call, actions, now);
        } else {
            io.input(call.id, &format!("@ store-failed {object}"));
            let actions = call.session.handle(Input::StoreFailed { object }, now);
            carry_out(io, call, actions, now);
        }
    }
}

// ----- sending, logging, time ---------------------------------------------------------------

struct Io {
    args: Args,
    clock: Clock,
    socket: UdpSocket,
    log: Box<dyn Write>,
    counter: u64,
    last_call: u64,
    /// The Message Store, with `--imap`.
    imap: Option<Imap>,
}

impl Io {
    fn send(&mut self, message: &str, to: SocketAddr) {
        if let Err(e) = self.socket.send_to(message.as_bytes(), to) {
            eprintln!("pf_udp: cannot send to {to}: {e}");
        }
    }

    /// Sends the response to `req` and remembers it for the request's retransmissions.
    fn answer(&mut self, side: &mut LegSide, req: &Request, resp: &str) {
        let key = transaction_key(req);
        if let Some(entry) = side.seen.iter_mut().find(|(k, _)| *k == key) {
            entry.1 = Some(resp.to_owned());
        }
        let peer = side.peer;
        self.send(resp, peer);
    }

    /// One line of the action log.
    fn line(&mut self, line: &str) {
        if let Err(e) = writeln!(self.log, "{line}") {
            eprintln!("pf_udp: cannot write the log: {e}");
        }
    }

    /// An input line, after a `# call N` line when the call changed.
    fn input(&mut self, call: u64, line: &str) {
        if call != self.last_call && !line.starts_with("# call") {
            self.line(&format!("# call {call}"));
        }
        self.last_call = call;
        self.line(line);
    }

    fn note(&mut self, call: u64, what: &str) {
        eprintln!("pf_udp: call {call}: {what}");
    }

    /// Creates a folder's mailbox in the Message Store (with `--imap`). The session has no input
    /// for a failure: it shows as the `StoreFailed` of the first object stored there.
    fn create_folder(&mut self, call: u64, folder: &Folder) {
        let mailbox = mailbox(folder);
        let Some(imap) = &mut self.imap else {
            return self.note(call, &format!("folder {folder} created"));
        };
        match imap.create(&mailbox) {
            Ok(()) => self.note(call, &format!("folder {folder} created: mailbox {mailbox}")),
            Err(e) => self.note(call, &format!("folder {folder}: cannot create mailbox {mailbox}: {e}")),
        }
    }

    /// Stores an object: into `--store-dir` as `N.eml`, and into the `--imap` Message Store.
    /// Returns its UID (the server's with `--imap`, else `N`), or `None` when the store failed.
    fn store(&mut self, call: u64, object: ObjectRef, folder: &Folder, content: &[u8]) -> Option<String> {
        self.counter += 1;
        let n = self.counter;
        if let Some(dir) = &self.args.store_dir {
            let path = dir.join(format!("{n}.eml"));
            if let Err(e) = fs::write(&path, content) {
                self.note(call, &format!("cannot write {}: {e}", path.display()));
            }
        }
        let mailbox = mailbox(folder);
        let uid = match &mut self.imap {
            None => n.to_string(),
            Some(imap) => match imap.append(&mailbox, content) {
                Ok(uid) => uid.to_string(),
                Err(e) => {
                    self.note(call, &format!("cannot store {object} in mailbox {mailbox}: {e}"));
                    return None;
                }
            },
        };
        self.note(call, &format!("stored {object} in {folder} (mailbox {mailbox}) as UID {uid}"));
        Some(uid)
    }

    fn flush(&mut self) {
        let _ = self.log.flush();
    }

    fn tag(&mut self) -> String {
        self.counter += 1;
        format!("pf{}", self.counter)
    }

    fn via(&mut self) -> String {
        self.counter += 1;
        format!("SIP/2.0/UDP {};branch=z9hG4bK-pf{}", self.args.listen, self.counter)
    }

    /// The session's configuration: the flags, and what the INVITE says about this session.
    fn config(&self, invite: &Request, from: Leg) -> Config {
        let mut config = Config::default();
        config.kind = self.args.kind;
        config.prefs = self.args.prefs;
        config.policy = self.args.policy;
        config.session_expires = self.args.session_expires;
        config.id_seed = Some(self.counter);
        config.side = if from == Leg::Client { Side::Originating } else { Side::Terminating };
        // The other user: the callee of an originating session, the caller of a terminating one.
        let peer = if from == Leg::Client { &names::TO } else { &names::FROM };
        if let Some(value) = invite.first(peer) {
            config.peer = Some(adapter::addr_spec(value).into());
        }
        if let Some(id) = invite.first(&names::CONTRIBUTION_ID) {
            config.contribution_id = Some(id.trim().into());
        }
        config
    }
}

/// The clock the example passes to the library: wall-clock time, running `scale` times faster
/// than real time from the start (so a 90 s session interval can be tested in seconds).
struct Clock {
    start: Instant,
    start_time: Time,
    scale: u32,
}

impl Clock {
    // The library never reads a clock (clippy.toml forbids it there); the embedder does.
    #[allow(clippy::disallowed_methods)]
    fn new(scale: u32) -> Clock {
        let wall = SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default();
        let millis = u64::try_from(wall.as_millis()).unwrap_or(u64::MAX);
        Clock { start: Instant::now(), start_time: Time::from_unix_millis(millis), scale }
    }

    fn now(&self) -> Time {
        self.start_time + self.start.elapsed() * self.scale
    }

    /// Real time until the clock shows `deadline`.
    fn real_until(&self, deadline: Time) -> Duration {
        deadline.saturating_since(self.now()) / self.scale
    }
}

// ----- small SIP helpers --------------------------------------------------------------------

fn other(leg: Leg) -> Leg {
    if leg == Leg::Client {
        Leg::Remote
    } else {
        Leg::Client
    }
}

/// What identifies a request's transaction: its top Via branch and its CSeq.
fn transaction_key(req: &Request) -> String {
    let branch = req.first(&adapter::names::VIA).and_then(|v| adapter::param(v, "branch")).unwrap_or("");
    format!("{branch} {}", req.first(&adapter::names::CSEQ).unwrap_or(""))
}

/// Copies every header of `from` named in `which` to `to`.
fn copy_headers(to: &mut rsip::Headers, from: &rsip::Headers, which: &[&HeaderName]) {
    for header in from.iter() {
        if which.iter().any(|n| n.matches(adapter::header_parts(header).0)) {
            to.push(header.clone());
        }
    }
}

/// Copies what a B2BUA passes on from one dialog to the other: every header except those that
/// belong to a dialog, a transaction or a hop.
fn copy_relayed(to: &mut rsip::Headers, from: &rsip::Headers) {
    const ROUTE: HeaderName = HeaderName { full: "Route", compact: None };
    const MAX_FORWARDS: HeaderName = HeaderName { full: "Max-Forwards", compact: None };
    let own = [
        &adapter::names::VIA,
        &names::FROM,
        &names::TO,
        &adapter::names::CALL_ID,
        &adapter::names::CSEQ,
        &adapter::names::CONTACT,
        &adapter::names::RECORD_ROUTE,
        &ROUTE,
        &MAX_FORWARDS,
        &adapter::names::CONTENT_LENGTH,
    ];
    for header in from.iter() {
        if !own.iter().any(|n| n.matches(adapter::header_parts(header).0)) {
            to.push(header.clone());
        }
    }
}

/// Sets the body and its Content-Length.
fn set_body(headers: &mut rsip::Headers, body_slot: &mut Vec<u8>, body: Vec<u8>) {
    headers.retain(|h| !adapter::names::CONTENT_LENGTH.matches(adapter::header_parts(h).0));
    headers.push(Header::ContentLength(body.len().to_string().into()));
    *body_slot = body;
}

impl LegSide {
    fn new(peer: SocketAddr) -> LegSide {
        LegSide {
            call_id: String::new(),
            peer,
            dialog: None,
            pending: Vec::new(),
            seen: Vec::new(),
            bye_deadline: None,
            sdp: Vec::new(),
        }
    }
}

/// At most [`QUOTE_MAX`] bytes of `text`, cut at a character boundary, `…` marking the cut: what
/// the example quotes of a datagram it cannot parse (and of an error that may hold all of it).
fn quote(text: &str) -> Cow<'_, str> {
    if text.len() <= QUOTE_MAX {
        return Cow::Borrowed(text);
    }
    let mut end = QUOTE_MAX;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    Cow::Owned(format!("{}…", &text[..end]))
}

const QUOTE_MAX: usize = 200;

// ----- the Message Store over IMAP (--imap) ----------------------------------------------------

/// The IMAP mailbox of a folder, as the library names it in the `rcs` profile (MS-8).
fn mailbox(folder: &Folder) -> String {
    folder.mailbox(cpm_pf::Profile::Rcs)
}

/// `--imap imap://USER:PASS@HOST:PORT` (RFC 5092; `%XX` escapes in USER and PASS).
#[derive(Clone)]
struct ImapUrl {
    addr: SocketAddr,
    user: String,
    password: String,
}

impl ImapUrl {
    fn parse(url: &str) -> Result<ImapUrl, String> {
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
struct Imap {
    url: ImapUrl,
    session: Option<imap::Session<TcpStream>>,
}

const IMAP_TIMEOUT: Duration = Duration::from_secs(5);

impl Imap {
    fn new(url: ImapUrl) -> Imap {
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
    fn create(&mut self, mailbox: &str) -> Result<(), String> {
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
    fn append(&mut self, mailbox: &str, content: &[u8]) -> Result<u32, String> {
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

// ----- flags --------------------------------------------------------------------------------

/// The usage text `--help` prints, which is also the flags' part of this file's documentation.
const USAGE: &str = include_str!("pf_udp.usage.txt");

struct Args {
    listen: SocketAddr,
    remote: SocketAddr,
    client: Option<SocketAddr>,
    kind: Kind,
    prefs: Preferences,
    policy: Policy,
    session_expires: Option<Duration>,
    time_scale: u32,
    store_dir: Option<PathBuf>,
    imap: Option<ImapUrl>,
    log: Option<PathBuf>,
    calls: Option<usize>,
}

impl Args {
    /// The flags, or `None` for `--help`.
    fn parse(mut words: impl Iterator<Item = String>) -> Result<Option<Args>, String> {
        let mut args = Args {
            listen: SocketAddr::from(([127, 0, 0, 1], 5070)),
            remote: SocketAddr::from(([127, 0, 0, 1], 5080)),
            client: None,
            kind: Kind::OneToOne,
            prefs: Preferences::empty(),
            policy: Policy::empty(),
            session_expires: None,
            time_scale: 1,
            store_dir: None,
            imap: None,
            log: None,
            calls: None,
        };
        while let Some(flag) = words.next() {
            let mut value = || words.next().ok_or(format!("{flag} needs a value"));
            let bad = |what: &str| format!("{flag}: {what}");
            match flag.as_str() {
                "--listen" => args.listen = value()?.parse().map_err(|_| bad("not an address"))?,
                "--remote" => args.remote = value()?.parse().map_err(|_| bad("not an address"))?,
                "--client" => args.client = Some(value()?.parse().map_err(|_| bad("not an address"))?),
                "--kind" => {
                    args.kind = match value()?.as_str() {
                        "one-to-one" | "1-1" => Kind::OneToOne,
                        "group" => Kind::Group,
                        "file-transfer" | "ft" => Kind::FileTransfer,
                        _ => return Err(bad("one-to-one (1-1), group or file-transfer (ft)")),
                    }
                }
                "--prefs" => args.prefs = prefs(&value()?).map_err(|f| bad(&format!("unknown {f}")))?,
                "--policy" => args.policy = policy(&value()?).map_err(|f| bad(&format!("unknown {f}")))?,
                "--session-expires" => {
                    let secs: u64 = value()?.parse().map_err(|_| bad("seconds"))?;
                    args.session_expires = Some(Duration::from_secs(secs));
                }
                "--time-scale" => {
                    args.time_scale =
                        value()?.parse().ok().filter(|n| *n >= 1).ok_or(bad("a whole number >= 1"))?
                }
                "--store-dir" => args.store_dir = Some(value()?.into()),
                "--imap" => args.imap = Some(ImapUrl::parse(&value()?).map_err(|e| bad(&e))?),
                "--log" => args.log = Some(value()?.into()),
                "--calls" => args.calls = Some(value()?.parse().map_err(|_| bad("a number"))?),
                "-h" | "--help" => return Ok(None),
                _ => return Err(format!("unknown flag {flag}")),
            }
        }
        Ok(Some(args))
    }
}

/// `--prefs`: a comma list of names as scenario files write them (`allow-defer`), which are
/// the names of the bitflags constants (`ALLOW_DEFER`) in lower case.
fn prefs(list: &str) -> Result<Preferences, String> {
    constants(list).try_fold(Preferences::empty(), |set, (name, constant)| {
        Preferences::from_name(&constant).map(|p| set | p).ok_or(name)
    })
}

/// `--policy`: like `--prefs`.
fn policy(list: &str) -> Result<Policy, String> {
    constants(list).try_fold(Policy::empty(), |set, (name, constant)| {
        Policy::from_name(&constant).map(|p| set | p).ok_or(name)
    })
}

fn constants(list: &str) -> impl Iterator<Item = (String, String)> + '_ {
    list.split(',')
        .map(str::trim)
        .filter(|n| !n.is_empty())
        .map(|n| (n.to_owned(), n.to_ascii_uppercase().replace('-', "_")))
}
