//! A CPM Participating Function over UDP: cpm-pf embedded in a small rsip-based B2BUA.
//!
//! The flags, as `--help` prints them (one text, `usage.txt`, for both):
#![doc = concat!("```text\n", include_str!("usage.txt"), "```")]
//!
//! Datagrams from `--remote` are the remote leg; any other sender is the client leg. An INVITE
//! starts a call: the PF answers `100 Trying`, relays it to the other leg as a new dialog
//! (B2BUA), relays the final answer back, acknowledges the other leg's answer itself, and keeps
//! one [`cpm_pf::Session`] per call. From then on every BYE, BYE response, UPDATE and re-INVITE
//! is fed to the session, and the actions it returns are carried out and written to the log,
//! one line each, exactly as the scenario runner prints them (`-> remote BYE | Reason: ...`,
//! `== release-media client`). What this example cannot do for real (media, SUBSCRIBE,
//! interception) is logged only.
//!
//! Transactions (RFC 3261 §17, UDP): the PF retransmits the requests it sends, an INVITE from
//! T1 doubling (Timer A) until a response, a BYE from T1 doubling up to T2 (Timer E); with no
//! final response after 64 × T1 (Timer B, Timer F) the INVITE's sender is answered `408` and
//! the call ends, a BYE's timeout goes to the session (`TransactionTimeout`), which ends the
//! call. Its final answers to INVITEs are retransmitted until the ACK (§13.3.1.4, Timer G), its
//! answers to retransmitted requests sent again, its ACK sent again for a retransmitted answer.
//! An ended call is kept 64 × T1 (Timer J) for late retransmissions, then freed. Calls are found
//! by Call-ID (either leg's) in a hash map and deadlines kept in a heap, so the work for one
//! datagram does not grow with the number of calls held.
//!
//! Message Store: every `Action::Store` is answered with `Input::Stored` (or `StoreFailed`).
//! With `--imap` the object is APPENDed to the folder's mailbox of a real IMAP server, and the
//! UID is the one the server assigned (APPENDUID, RFC 4315), so a file transfer's 200 OK
//! carries the Message Store's own `Message-UID` (FT-1c); without it, UIDs are counted.
//!
//! State (`--state redis://`, [`state`]): each call is saved in Redis after each of its inputs
//! and loaded again on start or when a datagram of it arrives, so that the call outlives its
//! process; stores are idempotent, so a crash between a store and the save stores nothing twice.
//!
//! MSRP (`--msrp-listen`, [`media`] and [`sdp`]): each leg's SDP names the PF's listener and
//! URI, each leg's TCP connection is taken or opened, and its bytes are pumped through the
//! session (`Input::MsrpBytes`, `Session::poll_msrp_transmit`): no MSRP code here.
//!
//! It is an example, not a server: no DNS, no authentication, no CANCEL, no SIP over TCP;
//! provisional answers of the other leg are not relayed.

mod args;
mod imap;
mod media;
mod sdp;
mod state;

use std::borrow::Cow;
use std::cmp::Reverse;
// Calls are looked up by key, never iterated, so a HashMap's order cannot reach the output
// (clippy.toml keeps it out of the library, where it could).
#[allow(clippy::disallowed_types)]
use std::collections::HashMap;
use std::collections::{BinaryHeap, VecDeque};
use std::fs;
use std::io::{self, Write};
use std::net::{SocketAddr, UdpSocket};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use cpm_pf::headers::{names, HeaderName, SipHeaders};
use cpm_pf::rsip_adapter::{self as adapter, Dialog};
use cpm_pf::script::{render_action, render_route};
use cpm_pf::{Action, Actions, Config, Folder, Input, Leg, Method, ObjectRef, Session, Side, Time};
use rsip::{Header, Request, Response, SipMessage};

use args::{Args, USAGE};
use imap::{mailbox, Imap};
use media::Media;
use sdp::Setup;
use state::{SavedCall, State};

/// What the socket asks the kernel to buffer for it: a burst of datagrams while the PF is busy
/// (an IMAP store blocks it) waits there instead of being dropped. The kernel caps it at
/// `net.core.rmem_max`; retransmission, not this, is what makes a loss harmless.
const RECEIVE_BUFFER: usize = 4 << 20;

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

fn bind(addr: SocketAddr) -> io::Result<UdpSocket> {
    let socket = socket2::Socket::new(socket2::Domain::for_address(addr), socket2::Type::DGRAM, None)?;
    if let Err(e) = socket.set_recv_buffer_size(RECEIVE_BUFFER) {
        eprintln!("pf_udp: cannot set the receive buffer: {e}");
    }
    socket.bind(&addr.into())?;
    Ok(socket.into())
}

fn run(args: Args) -> io::Result<()> {
    let socket = bind(args.listen)?;
    let log: Box<dyn Write> = match &args.log {
        Some(path) => Box::new(io::BufWriter::new(fs::File::create(path)?)),
        None => Box::new(io::stdout()),
    };
    eprintln!(
        "pf_udp: listening on {} (contact {}, instance {}), remote leg {}",
        args.listen, args.contact, args.instance, args.remote
    );
    let imap = args.imap.clone().map(Imap::new);
    let state = args.state.as_deref().map(State::open).transpose().map_err(io::Error::other)?;
    let clock = Clock::new(args.time_scale);
    let outbox = Vec::new();
    let mut media = match args.msrp_listen {
        Some(addr) => {
            let media = Media::bind(addr, Config::default().msrp_max_frame())?;
            eprintln!("pf_udp: MSRP over TCP on {addr}");
            Some(media)
        }
        None => None,
    };
    let mut io = Io {
        clock,
        socket,
        log,
        counter: 0,
        last_call: 0,
        finished: 0,
        args,
        imap,
        state,
        outbox,
        msrp_out: Vec::new(),
        msrp_connect: Vec::new(),
        msrp_close: Vec::new(),
    };
    let mut calls = Calls::default();
    load_calls(&mut io, &mut calls).map_err(io::Error::other)?;
    let mut buf = vec![0u8; 65_535];
    let mut status = Status::default();
    loop {
        // 1. Deadlines that are due: timers of the sessions and transactions, calls to free.
        let now = io.clock.now();
        while let Some(&Reverse((at, id))) = calls.deadlines.peek() {
            if at > now {
                break;
            }
            calls.deadlines.pop();
            let Some(call) = calls.by_id.get_mut(&id) else { continue }; // freed already
            if call.scheduled != Some(at) {
                continue; // superseded by an earlier deadline, which already fired
            }
            call.scheduled = None;
            call.fire_timers(&mut io, now);
            if call.ended.is_some_and(|at| now >= io.later(at, 64 * io.args.t1)) {
                if let Some(call) = calls.remove(id) {
                    io.forget(&call);
                }
            } else {
                calls.touched(id, &mut io);
            }
        }
        io.flush();
        if let Some(media) = &mut media {
            media.pump(&mut io, &mut calls);
        }
        // 2. Stop after --calls sessions; say how many calls are held when that changed.
        if io.args.calls.is_some_and(|n| io.finished >= n) {
            return Ok(());
        }
        status.report(&calls);
        // 3. Wait for a datagram, at most until the next deadline.
        let next = calls.deadlines.peek().map(|Reverse((at, _))| *at);
        let wait = next.map_or(Duration::from_millis(200), |d| io.clock.real_until(d));
        if let Some(media) = &mut media {
            // --msrp-listen: one poll over the UDP socket and the MSRP connections; the TCP
            // side is handled there, a datagram below (read at once: it is there).
            let fd = std::os::fd::AsRawFd::as_raw_fd(&io.socket);
            let ready = media.wait(fd, wait, &mut io, &mut calls)?;
            io.flush();
            media.pump(&mut io, &mut calls);
            if !ready.udp {
                continue;
            }
            io.socket.set_read_timeout(Some(Duration::from_millis(1)))?;
        } else {
            io.socket
                .set_read_timeout(Some(wait.clamp(Duration::from_millis(1), Duration::from_millis(200))))?;
        }
        let (n, from) = match io.socket.recv_from(&mut buf) {
            Ok(received) => received,
            Err(e) if matches!(e.kind(), io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut) => continue,
            Err(e) => return Err(e),
        };
        let touched = match SipMessage::try_from(&buf[..n]) {
            Ok(SipMessage::Request(req)) => on_request(&mut io, &mut calls, req, from),
            Ok(SipMessage::Response(resp)) => on_response(&mut io, &mut calls, resp),
            Err(e) => {
                eprintln!(
                    "pf_udp: dropped a datagram of {n} bytes from {from} that rsip cannot parse: {}; it begins {:?}",
                    quote(&e.to_string()).escape_debug(),
                    quote(&String::from_utf8_lossy(&buf[..n])),
                );
                None
            }
        };
        if let Some(id) = touched {
            calls.touched(id, &mut io);
        }
        io.flush();
        if let Some(media) = &mut media {
            media.pump(&mut io, &mut calls);
        }
    }
}

/// The `holding N calls` line on standard error, at most once a second and only when a number
/// changed: what tests read to see that every call was freed.
#[derive(Default)]
struct Status {
    last: Option<(usize, usize, usize)>,
    at: Option<Instant>,
}

impl Status {
    #[allow(clippy::disallowed_methods)] // the example reads the clock; the library never does
    fn report(&mut self, calls: &Calls) {
        let now = Instant::now();
        if self.at.is_some_and(|at| now.duration_since(at) < Duration::from_secs(1)) {
            return;
        }
        let numbers = (calls.by_id.len(), calls.by_call_id.len(), calls.deadlines.len());
        if self.last != Some(numbers) {
            let (held, ids, deadlines) = numbers;
            eprintln!("pf_udp: holding {held} calls ({ids} Call-IDs, {deadlines} deadlines)");
            self.last = Some(numbers);
        }
        self.at = Some(now);
    }
}

// ----- the calls held: by Call-ID, deadlines in a heap ---------------------------------------

#[derive(Default)]
#[allow(clippy::disallowed_types)] // looked up, never iterated
struct Calls {
    /// Boxed: a call is large (its session, two dialogs), and a table of boxes stays small, so
    /// a peak of calls does not leave the allocator holding a large freed table.
    by_id: HashMap<u64, Box<Call>>,
    /// Both legs' Call-IDs, each to its call and leg.
    by_call_id: HashMap<String, (u64, Leg)>,
    /// With `--msrp-listen`: the session ids of the PF's MSRP URIs, each to its call and leg.
    by_msrp: HashMap<String, (u64, Leg)>,
    /// Each call's next deadline. An entry is stale (skipped when it comes up) unless it is the
    /// call's `scheduled` time: a deadline that moved later stays in the heap until then, one
    /// that moved earlier is pushed again.
    deadlines: BinaryHeap<Reverse<(Time, u64)>>,
}

impl Calls {
    fn find(&self, call_id: &str) -> Option<(u64, Leg)> {
        self.by_call_id.get(call_id).copied()
    }

    fn insert(&mut self, call: Call, io: &Io) {
        let id = call.id;
        for leg in [Leg::Client, Leg::Remote] {
            let call_id = &call.side(leg).call_id;
            if !call_id.is_empty() {
                self.by_call_id.insert(call_id.clone(), (id, leg));
            }
        }
        if io.args.msrp_listen.is_some() {
            for leg in [Leg::Client, Leg::Remote] {
                self.by_msrp.insert(msrp_session_id(&call.key, leg), (id, leg));
            }
        }
        self.by_id.insert(id, Box::new(call));
        self.schedule(id, io);
    }

    /// The call and leg whose PF MSRP URI `to_path` names (the first request on a connection
    /// the PF accepted).
    fn by_msrp_uri(&self, to_path: &str, io: &Io) -> Option<(u64, Leg)> {
        let (id, leg) = *self.by_msrp.get(msrp_session_of(to_path)?)?;
        let call = self.by_id.get(&id)?;
        media::names(to_path, &io.msrp_uri(&call.key, leg)?).then_some((id, leg))
    }

    /// Puts the call's next deadline in the heap when it comes before the one there.
    fn schedule(&mut self, id: u64, io: &Io) {
        let Some(call) = self.by_id.get_mut(&id) else { return };
        let Some(next) = call.next_deadline(io) else { return };
        if call.scheduled.map_or(true, |at| next < at) {
            call.scheduled = Some(next);
            self.deadlines.push(Reverse((next, id)));
        }
    }

    /// After an input of the call: its next deadline in the heap, its state saved.
    fn touched(&mut self, id: u64, io: &mut Io) {
        self.schedule(id, io);
        if let Some(call) = self.by_id.get(&id) {
            io.save(call);
        }
    }

    fn remove(&mut self, id: u64) -> Option<Box<Call>> {
        let call = self.by_id.remove(&id)?;
        for leg in [Leg::Client, Leg::Remote] {
            if self.by_call_id.get(&call.side(leg).call_id).is_some_and(|(i, _)| *i == id) {
                self.by_call_id.remove(&call.side(leg).call_id);
            }
            if !self.by_msrp.is_empty() {
                let session = msrp_session_id(&call.key, leg);
                if self.by_msrp.get(&session).is_some_and(|(i, _)| *i == id) {
                    self.by_msrp.remove(&session);
                }
            }
        }
        // Give back what a peak of calls took once they are gone.
        if self.by_id.is_empty() {
            *self = Calls::default();
            give_back_memory();
        } else if self.by_id.capacity() > 64 && self.by_id.len() < self.by_id.capacity() / 4 {
            self.by_id.shrink_to_fit();
            self.by_call_id.shrink_to_fit();
            self.by_msrp.shrink_to_fit();
            give_back_memory();
        }
        Some(call)
    }
}

/// Returns the free pages of the heap to the system. glibc's `free` gives memory back only from
/// the top of the heap, and a few small chunks it caches for reuse, high in the heap, keep a
/// peak's worth of freed calls resident; `malloc_trim` releases every whole free page.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn give_back_memory() {
    // SAFETY: malloc_trim takes a byte count and only rearranges the allocator's free memory;
    // no pointer the program holds is touched.
    unsafe {
        libc::malloc_trim(0);
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn give_back_memory() {}

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
    seen: VecDeque<(String, Option<String>)>,
    /// The SDP the PF last sent on this leg, to answer a re-INVITE with unchanged media.
    sdp: Vec<u8>,
    /// `--msrp-listen`: the leg's MSRP peer, to give the leg its connection back after a
    /// restore (the session's URIs again, and a new connect where the PF is the active party).
    msrp: Option<MsrpPeer>,
    /// The PF's requests on this leg that await their final response.
    sent: Vec<ClientTx>,
    /// The PF's final answer to an INVITE from this leg, sent again until the ACK.
    answer: Option<Retransmit>,
    /// The ACK the PF sent for this leg's answer to its INVITE, sent again for a retransmitted
    /// answer.
    ack: Option<String>,
}

/// `--msrp-listen`: a leg's MSRP peer as its SDP named it.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
struct MsrpPeer {
    /// Its `a=path` URI (the session's remote URI of the leg).
    path: String,
    /// Where the PF connects, when it is the active party on this leg.
    dial: Option<SocketAddr>,
    /// The leg's media was released: a restored call does not connect it again.
    released: bool,
}

/// A request the PF sent, until its final response (RFC 3261 §17.1.1 and §17.1.2, UDP).
struct ClientTx {
    method: rsip::Method,
    cseq: u32,
    /// Timer A or E: the next retransmission; `None` once a provisional response came to an
    /// INVITE (Proceeding).
    retransmit: Option<Retransmit>,
    /// Timer B or F: no final response by then, the transaction failed (408).
    timeout: Time,
}

/// A message sent again at `at`, then after twice `interval` (capped at T2 where RFC 3261
/// says so), until `until`.
struct Retransmit {
    text: String,
    at: Time,
    interval: Duration,
    until: Time,
}

struct Call {
    /// The call's number in this process (log lines).
    id: u64,
    /// The Call-ID of the leg that sent the INVITE: the call's name in `--state` and in the
    /// Message Store's idempotency keys.
    key: String,
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
    /// The deadline this call has in the heap of [`Calls`], if any.
    scheduled: Option<Time>,
}

impl Call {
    fn leg(&mut self, leg: Leg) -> &mut LegSide {
        match leg {
            Leg::Client => &mut self.client,
            _ => &mut self.remote,
        }
    }

    fn side(&self, leg: Leg) -> &LegSide {
        match leg {
            Leg::Client => &self.client,
            _ => &self.remote,
        }
    }

    /// Marks the call ended (once), counting it for `--calls`.
    fn end(&mut self, io: &mut Io, now: Time) {
        if self.ended.is_none() {
            self.ended = Some(now);
            io.finished += 1;
        }
    }

    fn next_deadline(&self, io: &Io) -> Option<Time> {
        let mut next = self.session.poll_timeout();
        let mut consider = |t: Time| next = Some(next.map_or(t, |n: Time| n.min(t)));
        for side in [&self.client, &self.remote] {
            for tx in &side.sent {
                consider(tx.timeout);
                if let Some(r) = &tx.retransmit {
                    consider(r.at);
                }
            }
            if let Some(r) = &side.answer {
                consider(r.at);
            }
        }
        if let Some(at) = self.ended {
            consider(io.later(at, 64 * io.args.t1));
        }
        next
    }

    fn fire_timers(&mut self, io: &mut Io, now: Time) {
        if self.session.poll_timeout().is_some_and(|d| d <= now) {
            let after = now.saturating_since(self.started).as_secs();
            io.input(self.id, &format!("# session deadline reached {after} s after the INVITE"));
            let actions = self.session.handle_timeout(now);
            carry_out(io, self, actions, now);
        }
        let t2 = 8 * io.args.t1;
        for leg in [Leg::Client, Leg::Remote] {
            // Retransmissions: Timer A (INVITE, doubling) and E (up to T2); answers: Timer G.
            let peer = self.side(leg).peer;
            let side = self.leg(leg);
            let mut resend = Vec::new();
            for tx in &mut side.sent {
                let cap = if tx.method == rsip::Method::Invite { None } else { Some(t2) };
                if let Some(r) = &mut tx.retransmit {
                    if r.at <= now {
                        resend.push(r.text.clone());
                        r.interval = cap.map_or(r.interval * 2, |cap| (r.interval * 2).min(cap));
                        r.at = io.later(now, r.interval);
                    }
                }
            }
            if let Some(r) = &mut side.answer {
                if r.until <= now {
                    // Timer H: no ACK came. The dialog stays; its BYE or session timer ends it.
                    side.answer = None;
                    io.note(self.id, &format!("no ACK from the {leg} leg for the answer to its INVITE"));
                } else if r.at <= now {
                    resend.push(r.text.clone());
                    r.interval = (r.interval * 2).min(t2);
                    r.at = io.later(now, r.interval);
                }
            }
            for text in resend {
                io.send(&text, peer);
            }
            // Timeouts: Timer B and F.
            let timed_out: Vec<ClientTx> = {
                let side = self.leg(leg);
                let (gone, kept) =
                    std::mem::take(&mut side.sent).into_iter().partition(|tx| tx.timeout <= now);
                side.sent = kept;
                gone
            };
            for tx in timed_out {
                match tx.method {
                    rsip::Method::Invite => self.invite_timed_out(io, leg, now),
                    method => {
                        io.input(self.id, &format!("@ timeout {leg} {method}"));
                        let method = adapter::method(&method);
                        let actions = self.session.handle(Input::TransactionTimeout { leg, method }, now);
                        carry_out(io, self, actions, now);
                    }
                }
            }
        }
    }

    /// Timer B: the other leg never answered the PF's INVITE. Its sender is answered 408
    /// (RFC 3261 §8.1.3.1: a timeout is a 408), and the call ends.
    fn invite_timed_out(&mut self, io: &mut Io, out: Leg, now: Time) {
        self.invite_sent = None;
        let Some((leg, invite)) = self.invite.take() else { return };
        io.line(&format!("  # call {}: the {out} leg never answered the INVITE; answered 408", self.id));
        let mut resp = adapter::response(&invite, 408, None);
        let tag = io.tag();
        adapter::add_to_tag(&mut resp, &tag);
        io.answer(self.leg(leg), &invite, &resp.to_string(), now);
        self.end(io, now);
    }
}

// ----- --state: calls saved and loaded --------------------------------------------------------

/// On start: the calls saved in `--state` (those of this instance when `--instance` named it,
/// else all), each under a new local number.
fn load_calls(io: &mut Io, calls: &mut Calls) -> Result<(), String> {
    let Some(state) = &mut io.state else { return Ok(()) };
    let saved = state.load_all()?;
    let mine = |c: &SavedCall| !io.args.instance_given || c.instance == io.args.instance;
    let (mine, others): (Vec<_>, Vec<_>) = saved.into_iter().partition(mine);
    if !others.is_empty() {
        eprintln!("pf_udp: {} saved call(s) of other instances left to them", others.len());
    }
    let n = mine.len();
    for saved in mine {
        adopt(io, calls, saved);
    }
    eprintln!("pf_udp: {n} call(s) loaded from --state");
    Ok(())
}

/// The call with this Call-ID: held here, else saved in `--state` (by another process: this
/// one before a crash, or another instance whose calls now come here).
fn find_or_load(io: &mut Io, calls: &mut Calls, call_id: &str) -> Option<(u64, Leg)> {
    if let Some(found) = calls.find(call_id) {
        return Some(found);
    }
    match io.state.as_mut()?.load(call_id) {
        Ok(Some(saved)) => {
            adopt(io, calls, saved);
            calls.find(call_id)
        }
        Ok(None) => None,
        Err(e) => {
            eprintln!("pf_udp: Call-ID {call_id}: {e}");
            None
        }
    }
}

/// Holds a saved call again.
fn adopt(io: &mut Io, calls: &mut Calls, saved: SavedCall) {
    if saved.instance == io.args.instance {
        // Tags and branches go on from where this instance was, never repeating one.
        io.counter = io.counter.max(saved.counter);
    }
    io.counter += 1;
    let id = io.counter;
    match saved.restore(id) {
        Ok(mut call) => {
            io.input(id, &format!("# call {id}: restored from --state, Call-ID {}", call.key));
            // Its requests still awaiting an answer go out again at once, not at their next
            // backed-off retransmission: the answer may have gone to the process that held the
            // call, and a proxy in front (Kamailio) waits about a second for this PF's answer
            // to the retransmission that brought the call here before it fails over again.
            let now = io.clock.now();
            for leg in [Leg::Client, Leg::Remote] {
                for tx in &mut call.leg(leg).sent {
                    if let Some(r) = &mut tx.retransmit {
                        r.at = r.at.min(now);
                    }
                }
            }
            io.msrp_restored(&mut call);
            calls.insert(call, io);
        }
        Err(e) => eprintln!("pf_udp: a saved call cannot be restored: {e}"),
    }
}

/// `--msrp-listen`: the call whose PF MSRP URI has the session id `session`, when it is saved
/// in `--state` but not held here (its first request on a new connection, after a restart or
/// on another instance); found through its `cpm-pf:msrp:` key, held from now on.
fn load_by_msrp(io: &mut Io, calls: &mut Calls, session: &str) -> Option<(u64, Leg)> {
    if calls.by_msrp.contains_key(session) {
        return None; // held: the To-Path named it otherwise
    }
    match io.state.as_mut()?.load_by_msrp(session) {
        Ok(Some(saved)) => {
            adopt(io, calls, saved);
            calls.by_msrp.get(session).copied()
        }
        Ok(None) => None,
        Err(e) => {
            eprintln!("pf_udp: MSRP session {session}: {e}");
            None
        }
    }
}

// ----- requests -----------------------------------------------------------------------------

/// Handles a request; returns the call it concerned, if any.
fn on_request(io: &mut Io, calls: &mut Calls, req: Request, from: SocketAddr) -> Option<u64> {
    let now = io.clock.now();
    let Ok(call_id) = adapter::call_id(&req).map(str::to_owned) else {
        eprintln!("pf_udp: request without Call-ID from {from} dropped");
        return None;
    };
    let Some((id, leg)) = find_or_load(io, calls, &call_id) else {
        match req.method {
            rsip::Method::Invite => return new_call(io, calls, req, from, call_id, now),
            rsip::Method::Ack => {}
            // A load balancer's keepalive (Kamailio's dispatcher probing): the PF is up.
            rsip::Method::Options => io.send(adapter::response(&req, 200, None).to_string(), from),
            // RFC 3261 §12.2.2: a request outside any dialog the PF knows.
            _ => io.send(adapter::response(&req, 481, None).to_string(), from),
        }
        return None;
    };
    let call = calls.by_id.get_mut(&id)?;
    if req.method == rsip::Method::Ack {
        // The PF acknowledged the other leg's 2xx itself when it arrived (its dialogs are its
        // own); this ACK only ends the retransmission of the PF's answer.
        call.leg(leg).answer = None;
        return Some(id);
    }
    let key = transaction_key(&req);
    if let Some((_, answer)) = call.leg(leg).seen.iter().find(|(k, _)| *k == key) {
        // A retransmission: answer again what was answered. An INVITE not answered yet gets
        // its provisional answer again (RFC 3261 §17.2.1, Proceeding): a proxy that relays it
        // on a new branch (Kamailio failing over to this PF) must see this PF alive.
        match answer.clone() {
            Some(answer) => io.send(answer, from),
            None if req.method == rsip::Method::Invite => {
                io.send(adapter::response(&req, 100, None).to_string(), from)
            }
            None => {}
        }
        return None;
    }
    let seen = &mut call.leg(leg).seen;
    seen.push_back((key, None));
    if seen.len() > 16 {
        seen.pop_front();
    }
    match req.method {
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
            ok.headers.push(Header::Contact(io.contact().into()));
            let sdp = if req.method == rsip::Method::Invite { call.leg(leg).sdp.clone() } else { Vec::new() };
            set_body(&mut ok.headers, &mut ok.body, sdp);
            io.answer(call.leg(leg), &req, &ok.to_string(), now);
        }
        _ => {
            let resp = adapter::response(&req, 501, None).to_string();
            io.answer(call.leg(leg), &req, &resp, now);
        }
    }
    Some(id)
}

/// An INVITE outside any call: a new call, relayed to the other leg as a new dialog.
fn new_call(
    io: &mut Io,
    calls: &mut Calls,
    invite: Request,
    from: SocketAddr,
    call_id: String,
    now: Time,
) -> Option<u64> {
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
        io.send(adapter::response(&invite, 480, None).to_string(), from);
        return None;
    };
    let session = match Session::new(io.config(&invite, leg, &call_id), now) {
        Ok(session) => session,
        Err(e) => {
            io.line(&format!("  # configuration refused: {e}, answered 500"));
            io.send(adapter::response(&invite, 500, None).to_string(), from);
            return None;
        }
    };
    // RFC 3261 §17.2.1: the sender stops retransmitting its INVITE; the PF's final answer is
    // retransmitted by the PF until the ACK.
    io.send(adapter::response(&invite, 100, None).to_string(), from);
    let mut call = Call {
        id,
        key: call_id.clone(),
        session,
        client: LegSide::new(out_peer),
        remote: LegSide::new(out_peer),
        invite: None,
        invite_sent: None,
        started: now,
        ended: None,
        scheduled: None,
    };
    // The leg the INVITE came from: its peer and its Call-ID; the other leg's come below.
    call.leg(leg).peer = from;
    call.leg(leg).call_id = call_id.clone();
    call.leg(leg).seen.push_back((transaction_key(&invite), None));
    // REC-4a, ST-0: the first INVITE gives the session info object and maybe the interval.
    io.input(id, &format!("<- {leg} INVITE"));
    let actions = call.session.handle(adapter::request_input(leg, &invite), now);
    carry_out(io, &mut call, actions, now);

    // The B2BUA's INVITE on the other leg: a new dialog, the CPM headers and the SDP copied.
    let (tag, via) = (io.tag(), io.via());
    let out_call_id = format!("{}-{id}-{call_id}", io.args.instance);
    let from_value = invite.first(&names::FROM).unwrap_or("<sip:anonymous@anonymous.invalid>");
    let mut headers = rsip::Headers::default();
    headers.push(Header::Via(via.into()));
    headers.push(Header::MaxForwards("70".into()));
    headers.push(Header::From(format!("<{}>;tag={tag}", adapter::addr_spec(from_value)).into()));
    headers.push(Header::To(invite.first(&names::TO).unwrap_or_default().into()));
    headers.push(Header::CallId(out_call_id.clone().into()));
    headers.push(Header::CSeq("1 INVITE".into()));
    headers.push(Header::Contact(io.contact().into()));
    copy_relayed(&mut headers, &invite.headers);
    let mut sent = Request {
        method: rsip::Method::Invite,
        uri: invite.uri.clone(),
        version: rsip::Version::V2,
        headers,
        body: Vec::new(),
    };
    let offer = io.msrp_offer(&mut call, leg, out, &invite.body);
    set_body(&mut sent.headers, &mut sent.body, offer);
    let text = sent.to_string();
    io.send(&text, out_peer);
    let out_side = call.leg(out);
    out_side.call_id = out_call_id;
    out_side.sdp = sent.body.clone();
    out_side.sent.push(io.client_tx(rsip::Method::Invite, 1, text, now));
    call.invite = Some((leg, invite));
    call.invite_sent = Some(sent);
    calls.insert(call, io);
    Some(id)
}

// ----- responses ----------------------------------------------------------------------------

/// Handles a response; returns the call it concerned, if any.
fn on_response(io: &mut Io, calls: &mut Calls, resp: Response) -> Option<u64> {
    let now = io.clock.now();
    let Some((id, leg)) = adapter::call_id(&resp).ok().and_then(|id| find_or_load(io, calls, id)) else {
        eprintln!("pf_udp: response for no known call dropped");
        return None;
    };
    let call = calls.by_id.get_mut(&id)?;
    let status = resp.status_code.code();
    let Ok((seq, method)) = adapter::cseq(&resp) else { return None };
    let side = call.leg(leg);
    let Some(i) = side.sent.iter().position(|tx| tx.cseq == seq && adapter::method(&tx.method) == method)
    else {
        // No transaction waits for it: a retransmitted final answer to the PF's INVITE, whose
        // ACK went lost (RFC 3261 §13.2.2.4, §17.1.1.3), or a late or stray response.
        if method == Method::Invite && status >= 200 {
            if let Some(ack) = side.ack.clone() {
                let peer = side.peer;
                io.send(&ack, peer);
            }
        }
        return None;
    };
    if status < 200 {
        // Proceeding: an INVITE is no longer retransmitted, and waits for its final answer up
        // to Timer C (RFC 3261 §16.6: more than 3 minutes; 360 × T1); a BYE keeps being
        // retransmitted, every T2 (§17.1.2.2).
        let t2 = 8 * io.args.t1;
        let tx = &mut side.sent[i];
        if tx.method == rsip::Method::Invite {
            tx.retransmit = None;
            tx.timeout = io.later(now, 360 * io.args.t1);
        } else if let Some(r) = &mut tx.retransmit {
            r.interval = t2;
        }
        return Some(id);
    }
    side.sent.remove(i);
    match method {
        Method::Invite => answer_invite(io, call, leg, &resp, now),
        Method::Bye => {
            io.input(call.id, &format!("<- {leg} {status} BYE"));
            if let Ok(Some(input)) = adapter::response_input(leg, &resp) {
                let actions = call.session.handle(input, now);
                carry_out(io, call, actions, now);
            }
        }
        _ => {}
    }
    Some(id)
}

/// The other leg answered the PF's INVITE: relay the answer to the leg that sent the INVITE.
fn answer_invite(io: &mut Io, call: &mut Call, out: Leg, answer: &Response, now: Time) {
    let (Some((leg, invite)), Some(sent)) = (call.invite.take(), call.invite_sent.take()) else {
        return;
    };
    let status = answer.status_code.code();
    let mut resp = adapter::response(&invite, status, None);
    let tag = io.tag();
    adapter::add_to_tag(&mut resp, &tag);
    if (200..300).contains(&status) {
        let dialogs = (Dialog::from_sent_invite(&sent, answer), Dialog::from_received_invite(&invite, &tag));
        if let (Ok(out_dialog), Ok(in_dialog)) = dialogs {
            let ack = out_dialog.ack(&io.via()).to_string();
            io.send(&ack, call.leg(out).peer);
            call.leg(out).ack = Some(ack);
            call.leg(out).dialog = Some(out_dialog);
            call.leg(leg).dialog = Some(in_dialog);
        }
        resp.headers.push(Header::Contact(io.contact().into()));
        copy_relayed(&mut resp.headers, &answer.headers);
        let body = io.msrp_answer(call, leg, out, &invite.body, &answer.body);
        set_body(&mut resp.headers, &mut resp.body, body);
        call.leg(leg).sdp = resp.body.clone();
        io.line(&format!(
            "  # call {}: the {out} leg answered {status}; relayed, the call is established",
            call.id
        ));
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
        let ack = ack.to_string();
        io.send(&ack, call.leg(out).peer);
        call.leg(out).ack = Some(ack);
        io.line(&format!("  # call {}: the {out} leg answered {status}; relayed", call.id));
        call.end(io, now);
    }
    io.answer(call.leg(leg), &invite, &resp.to_string(), now);
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
                        let (seq, peer, text) =
                            (side.dialog.as_ref().map_or(0, |d| d.local_seq), side.peer, bye.to_string());
                        io.send(&text, peer);
                        let tx = io.client_tx(rsip::Method::Bye, seq, text, now);
                        call.leg(leg).sent.push(tx);
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
                            io.answer(side, &req, &resp.to_string(), now);
                        }
                    }
                    None => io.note(call.id, &format!("no {method} pending on the {leg} leg")),
                }
            }
            Action::Store { object, folder, content } => {
                let uid = io.store(call.id, &call.key, object, &folder, &content);
                stored.push((object, uid));
            }
            Action::CreateFolder { folder } => io.create_folder(call.id, &folder),
            Action::Terminated => call.end(io, now),
            // --msrp-listen: written on the leg's connection once the call is saved.
            Action::MsrpTransmit { leg } => io.msrp_out.push((call.id, leg)),
            Action::ReleaseMedia { leg } if io.args.msrp_listen.is_some() => {
                // Released for good: a restored call does not connect this leg again.
                if let Some(peer) = &mut call.leg(leg).msrp {
                    peer.released = true;
                }
                io.msrp_close.push((call.id, leg))
            }
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
    /// Calls ended so far, for `--calls`.
    finished: usize,
    /// The Message Store, with `--imap`.
    imap: Option<Imap>,
    /// The calls' saved state, with `--state`.
    state: Option<State>,
    /// Datagrams to send once the inputs that made them are saved ([`Io::flush`]).
    outbox: Vec<(String, SocketAddr)>,
    /// `--msrp-listen`: legs with MSRP bytes to write, after the save ([`Media::pump`]).
    msrp_out: Vec<(u64, Leg)>,
    /// Legs whose passive peer the PF connects to.
    msrp_connect: Vec<(u64, Leg, SocketAddr)>,
    /// Legs whose media the session released: their connections are closed.
    msrp_close: Vec<(u64, Leg)>,
}

impl Io {
    /// Queues a datagram for `to` (for every destination, `--outbound` when given). It leaves
    /// at the next [`Io::flush`], after the call it belongs to is saved: persist, then act. A
    /// PF killed before the save sent nothing of that input, whose sender retransmits it; one
    /// killed after the save left a state that sends it again (its retransmission timers).
    fn send(&mut self, message: impl Into<String>, to: SocketAddr) {
        let to = self.args.outbound.unwrap_or(to);
        self.outbox.push((message.into(), to));
    }

    /// Sends the response to `req` and remembers it for the request's retransmissions; a final
    /// answer to an INVITE is also sent again until the ACK (RFC 3261 §13.3.1.4, §17.2.1).
    fn answer(&mut self, side: &mut LegSide, req: &Request, resp: &str, now: Time) {
        let key = transaction_key(req);
        if let Some(entry) = side.seen.iter_mut().find(|(k, _)| *k == key) {
            entry.1 = Some(resp.to_owned());
        }
        if req.method == rsip::Method::Invite {
            side.answer = Some(Retransmit {
                text: resp.to_owned(),
                at: self.later(now, self.args.t1),
                interval: self.args.t1,
                until: self.later(now, 64 * self.args.t1),
            });
        }
        let peer = side.peer;
        self.send(resp, peer);
    }

    /// The session time `real` of real time after `now`.
    fn later(&self, now: Time, real: Duration) -> Time {
        now + real * self.clock.scale
    }

    /// A request just sent, to retransmit from T1 on and to give up on after 64 × T1.
    fn client_tx(&self, method: rsip::Method, cseq: u32, text: String, now: Time) -> ClientTx {
        let t1 = self.args.t1;
        let timeout = self.later(now, 64 * t1);
        let retransmit = Retransmit { text, at: self.later(now, t1), interval: t1, until: timeout };
        ClientTx { method, cseq, retransmit: Some(retransmit), timeout }
    }

    /// `--msrp-listen`: the PF's MSRP URI on `leg` of the call `key`. Its session id follows
    /// from the call and the leg, so it is the same after a restore.
    fn msrp_uri(&self, key: &str, leg: Leg) -> Option<String> {
        let addr = self.msrp_addr()?;
        Some(format!("msrp://{addr}/{};tcp", msrp_session_id(key, leg)))
    }

    /// `--msrp-listen`: the INVITE's SDP as relayed on `out`. The leg `leg` it came from gets
    /// its MSRP URIs (the PF's and the offer's path); the relayed offer names the PF's listener
    /// and URI on `out`, and `actpass` (RFC 6135): the answerer chooses who connects.
    fn msrp_offer(&mut self, call: &mut Call, leg: Leg, out: Leg, offer: &[u8]) -> Vec<u8> {
        let (Some(listen), Some(media)) = (self.msrp_addr(), sdp::msrp_media(offer)) else {
            return offer.to_vec();
        };
        let (Some(pf_in), Some(pf_out)) = (self.msrp_uri(&call.key, leg), self.msrp_uri(&call.key, out))
        else {
            return offer.to_vec();
        };
        if let Err(e) = call.session.set_msrp_leg(leg, &pf_in, &media.path) {
            self.note(call.id, &format!("MSRP on the {leg} leg refused: {e}; SDP relayed unchanged"));
            return offer.to_vec();
        }
        call.leg(leg).msrp = Some(MsrpPeer { path: media.path.clone(), dial: None, released: false });
        sdp::rewrite(offer, listen, &pf_out, Setup::Actpass).unwrap_or_else(|| offer.to_vec())
    }

    /// `--msrp-listen`: the answer's SDP as relayed on `leg` (the INVITE's sender). The leg
    /// `out` that answered gets its MSRP URIs, and the PF connects to it when it answered
    /// `passive`; the relayed answer names the PF on `leg`, passive unless the offerer is
    /// (then the PF connects to the offerer).
    fn msrp_answer(&mut self, call: &mut Call, leg: Leg, out: Leg, offer: &[u8], answer: &[u8]) -> Vec<u8> {
        let Some(listen) = self.msrp_addr() else { return answer.to_vec() };
        let (Some(offered), Some(answered)) = (sdp::msrp_media(offer), sdp::msrp_media(answer)) else {
            return answer.to_vec();
        };
        let (Some(pf_in), Some(pf_out)) = (self.msrp_uri(&call.key, leg), self.msrp_uri(&call.key, out))
        else {
            return answer.to_vec();
        };
        match call.session.set_msrp_leg(out, &pf_out, &answered.path) {
            Ok(()) => {
                let mut dial = None;
                if sdp::pf_connects_after_answer(answered.setup) {
                    dial = answered.address();
                    match dial {
                        Some(to) => self.msrp_connect.push((call.id, out, to)),
                        None => {
                            self.note(call.id, &format!("cannot connect to {}: not IP:PORT", answered.path))
                        }
                    }
                }
                call.leg(out).msrp = Some(MsrpPeer { path: answered.path.clone(), dial, released: false });
            }
            Err(e) => self.note(call.id, &format!("MSRP on the {out} leg refused: {e}")),
        }
        let setup = sdp::answer_setup(offered.setup);
        if setup == Setup::Active {
            match offered.address() {
                Some(to) => {
                    self.msrp_connect.push((call.id, leg, to));
                    if let Some(peer) = &mut call.leg(leg).msrp {
                        peer.dial = Some(to);
                    }
                }
                None => self.note(call.id, &format!("cannot connect to {}: not IP:PORT", offered.path)),
            }
        }
        sdp::rewrite(answer, listen, &pf_in, setup).unwrap_or_else(|| answer.to_vec())
    }

    /// `--msrp-listen`: a call restored from `--state` has no MSRP connection (TCP does not
    /// outlive the process that held it). Each of its MSRP legs gets its URIs again
    /// (`set_msrp_leg`: what was buffered for the dead connection, bytes that may or may not
    /// have been written before the crash, is dropped rather than sent twice), and the PF
    /// connects again where it is the active party; where the peer is, it connects again to
    /// the same PF URI, and [`Media`] finds the call by that URI's session id.
    fn msrp_restored(&mut self, call: &mut Call) {
        if call.ended.is_some() {
            return;
        }
        for leg in [Leg::Client, Leg::Remote] {
            let Some(peer) = call.side(leg).msrp.clone().filter(|p| !p.released) else { continue };
            if !self.msrp_reset(call, leg, &peer) {
                continue;
            }
            if let Some(to) = peer.dial {
                self.note(call.id, &format!("restored: connecting again to the {leg} leg's MSRP peer {to}"));
                self.msrp_connect.push((call.id, leg, to));
            }
        }
    }

    /// `leg` gets a new MSRP connection: the session's URIs for it again, dropping what it
    /// buffered for the old one. False when the leg cannot have MSRP here.
    fn msrp_reset(&mut self, call: &mut Call, leg: Leg, peer: &MsrpPeer) -> bool {
        let Some(local) = self.msrp_uri(&call.key, leg) else { return false };
        match call.session.set_msrp_leg(leg, &local, &peer.path) {
            Ok(()) => true,
            Err(e) => {
                self.note(call.id, &format!("MSRP on the {leg} leg refused: {e}"));
                false
            }
        }
    }

    /// The address the SDP names for the PF's MSRP listener.
    fn msrp_addr(&self) -> Option<SocketAddr> {
        let listen = self.args.msrp_listen?;
        let ip = if listen.ip().is_unspecified() { self.args.contact.ip() } else { listen.ip() };
        Some(SocketAddr::new(ip, listen.port()))
    }

    /// The PF's Contact value.
    fn contact(&self) -> String {
        format!("<sip:pf@{}>", self.args.contact)
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

    /// Stores an object, idempotently, since a crash between storing and saving the call makes
    /// the restored call store it again: into `--store-dir` as `CALL-ID-OBJECT.eml` (written
    /// whole to a temporary file, then renamed: a repeated store writes the same file again),
    /// and into the `--imap` Message Store, where a repeated store finds the object stored
    /// before by its Message-ID ([`Imap::append_once`]). Returns its UID (the server's with
    /// `--imap`, else counted), or `None` when the store failed.
    fn store(
        &mut self,
        call: u64,
        key: &str,
        object: ObjectRef,
        folder: &Folder,
        content: &[u8],
    ) -> Option<String> {
        self.counter += 1;
        let n = self.counter;
        if let Some(dir) = &self.args.store_dir {
            let name = file_name(&format!("{key}-{object}"));
            let (path, temporary) = (dir.join(format!("{name}.eml")), dir.join(format!(".{name}.tmp")));
            if let Err(e) = fs::write(&temporary, content).and_then(|()| fs::rename(&temporary, &path)) {
                self.note(call, &format!("cannot write {}: {e}", path.display()));
            }
        }
        let mailbox = mailbox(folder);
        let uid = match &mut self.imap {
            None => n.to_string(),
            Some(imap) => match imap.append_once(&mailbox, content) {
                Ok(uid) => uid.to_string(),
                Err(e) => {
                    self.note(call, &format!("cannot store {object} in mailbox {mailbox}: {e}"));
                    return None;
                }
            },
        };
        self.note(call, &format!("stored {object} in {folder} (mailbox {mailbox}) as UID {uid}"));
        if self.args.exit_after_store {
            // What a crash right after the store leaves: the object stored, the call's state
            // saved before it was. The log says where it stopped.
            self.line(&format!("# --exit-after-store: exiting after storing {object}, before saving"));
            let _ = self.log.flush();
            std::process::exit(9);
        }
        Some(uid)
    }

    /// Saves the call in `--state` (after each of its inputs); with an expiry once it ended.
    fn save(&mut self, call: &Call) {
        let Some(state) = &mut self.state else { return };
        let expire = call.ended.map(|_| 64 * self.args.t1 + Duration::from_secs(1));
        let msrp = msrp_keys(call, self.args.msrp_listen.is_some());
        if let Err(e) = state.save(call, &msrp, self.counter, &self.args.instance, expire) {
            eprintln!("pf_udp: call {}: not saved: {e}", call.id);
        }
    }

    /// Deletes a freed call from `--state`.
    fn forget(&mut self, call: &Call) {
        let Some(state) = &mut self.state else { return };
        let msrp = msrp_keys(call, self.args.msrp_listen.is_some());
        if let Err(e) = state.delete(call, &msrp) {
            eprintln!("pf_udp: call {}: not deleted: {e}", call.id);
        }
    }

    /// Sends the datagrams queued since the last flush, in order, and flushes the log. Called
    /// once the calls that queued them are saved.
    fn flush(&mut self) {
        for (message, to) in self.outbox.drain(..) {
            if let Err(e) = self.socket.send_to(message.as_bytes(), to) {
                eprintln!("pf_udp: cannot send to {to}: {e}");
            }
        }
        let _ = self.log.flush();
    }

    fn tag(&mut self) -> String {
        self.counter += 1;
        format!("{}.{}", self.args.instance, self.counter)
    }

    fn via(&mut self) -> String {
        self.counter += 1;
        format!("SIP/2.0/UDP {};branch=z9hG4bK-{}.{}", self.args.via, self.args.instance, self.counter)
    }

    /// The session's configuration: the flags, and what the INVITE says about this session.
    fn config(&self, invite: &Request, from: Leg, call_id: &str) -> Config {
        let mut config = Config::default();
        config.kind = self.args.kind;
        config.prefs = self.args.prefs;
        config.policy = self.args.policy;
        config.session_expires = self.args.session_expires;
        if let Some(secs) = self.args.msrp_timeout {
            config.msrp_response_timeout_secs = secs;
        }
        // The generated IMDN-Message-IDs (and so the objects' Message-IDs) follow from the
        // Call-ID: unique per call whichever instance handles it, and the same after a restore.
        config.id_seed = Some(fnv1a(call_id.as_bytes()));
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

/// What tells a request received on a leg from its retransmissions: its CSeq, number and method
/// (`seen` is per leg, so per dialog, where RFC 3261 §12.2.1.1 makes each request's CSeq its
/// own). Not the top Via branch: a proxy in front may relay a retransmission on a new branch
/// (Kamailio's failover to another PF does), and it must still be known as the same request.
fn transaction_key(req: &Request) -> String {
    req.first(&adapter::names::CSEQ).unwrap_or("").trim().to_owned()
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
            seen: VecDeque::new(),
            sdp: Vec::new(),
            msrp: None,
            sent: Vec::new(),
            answer: None,
            ack: None,
        }
    }
}

/// The session ids of the call's PF MSRP URIs that `--state` names it by (a `cpm-pf:msrp:` key
/// each): those of its legs with MSRP, with `--msrp-listen`.
fn msrp_keys(call: &Call, listen: bool) -> Vec<String> {
    if !listen {
        return Vec::new();
    }
    [Leg::Client, Leg::Remote]
        .into_iter()
        .filter(|&leg| call.side(leg).msrp.is_some())
        .map(|leg| msrp_session_id(&call.key, leg))
        .collect()
}

/// `text` as a file name: letters, digits, `-` and `.` kept, anything else `_`.
fn file_name(text: &str) -> String {
    text.chars().map(|c| if c.is_ascii_alphanumeric() || c == '-' || c == '.' { c } else { '_' }).collect()
}

/// The session id of the PF's MSRP URI on `leg` of the call `key` (the Call-ID of its first
/// INVITE): unique per call and leg, the same in any process.
fn msrp_session_id(key: &str, leg: Leg) -> String {
    format!("{:016x}{}", fnv1a(key.as_bytes()), if leg == Leg::Client { "c" } else { "r" })
}

/// The session id of the PF MSRP URI that a To-Path names first (`msrp://HOST:PORT/ID;tcp`).
fn msrp_session_of(to_path: &str) -> Option<&str> {
    let first = to_path.split_ascii_whitespace().next()?;
    let tail = first.rsplit_once('/')?.1;
    Some(tail.split_once(';').map_or(tail, |(s, _)| s))
}

/// FNV-1a, 64 bits.
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |hash, &b| (hash ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3))
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
