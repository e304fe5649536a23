//! `--msrp-listen ADDR`: each leg's MSRP over TCP (RFC 4975 §6), pumped between the sockets
//! and the call's session. The example speaks no MSRP of its own: the bytes read on a leg's
//! connection go to the session (`Input::MsrpBytes`), and what the session has to write on a
//! leg (`Session::poll_msrp_transmit`) goes to that leg's connection; answers, relay and
//! delivery are the library's.
//!
//! Connections:
//! - accepted on the listener: unbound until the first request on it, whose To-Path (read with
//!   the library's frame parser) names the PF's URI of one leg of one call (RFC 4975 §6: the
//!   active party sends first); then it is that leg's connection and every byte read so far
//!   goes to the session. A connection that sends nothing matching within
//!   [`UNBOUND_TIMEOUT`], or more than one maximum frame without a complete first frame, is
//!   closed, as is one whose first request names no known leg.
//! - opened by the PF (non-blocking connect) when the leg's peer is passive.
//!
//! Waiting: one `poll(2)` over the UDP socket, the listener and every connection, at most until
//! the next deadline, so the PF is idle when nothing happens and answers at once when
//! something does.
//!
//! A TCP connection cannot survive the process: with `--state`, a call restored elsewhere
//! keeps its session's MSRP state, and its legs get connections again (RFC 4975 defines no
//! reconnection; this is the example's): where the PF was the active party it connects again
//! when the call is loaded; where the peer was, the peer connects again to the same PF URI, and
//! a To-Path of a call not held here is looked up in `--state` (`cpm-pf:msrp:SESSION-ID`). The
//! restored legs' buffered bytes, written or not before the crash, are dropped (`set_msrp_leg`).

use std::io::{self, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::os::fd::{AsRawFd, RawFd};
use std::time::{Duration, Instant};

use cpm_pf::msrp::endpoint::to_path_is;
use cpm_pf::msrp::frame::{parse, Parsed};
use cpm_pf::{Input, Leg};

use crate::{carry_out, load_by_msrp, msrp_session_of, Calls, Io};

/// How long an accepted connection may stay without a first request naming a leg.
const UNBOUND_TIMEOUT: Duration = Duration::from_secs(5);
/// The most accepted connections waiting for their first request at once.
const MAX_UNBOUND: usize = 64;
/// What one read takes from a connection.
const READ_SIZE: usize = 64 * 1024;

struct Conn {
    stream: TcpStream,
    peer: SocketAddr,
    /// The call and leg it carries, once known.
    owner: Option<(u64, Leg)>,
    /// A connect the PF started, until it completes.
    connecting: bool,
    /// An accepted connection's bytes before its first request named a leg.
    unbound: Vec<u8>,
    /// When an unbound connection is closed.
    deadline: Instant,
    /// Set when it is to be closed (at the end of this turn).
    closed: bool,
}

/// What `poll` found.
pub(crate) struct Ready {
    pub(crate) udp: bool,
}

pub(crate) struct Media {
    listener: TcpListener,
    conns: Vec<Conn>,
    max_frame: usize,
    buf: Vec<u8>,
}

impl Media {
    pub(crate) fn bind(addr: SocketAddr, max_frame: usize) -> io::Result<Media> {
        let listener = TcpListener::bind(addr)?;
        listener.set_nonblocking(true)?;
        Ok(Media { listener, conns: Vec::new(), max_frame, buf: vec![0; READ_SIZE] })
    }

    /// Waits at most `wait` (and never past an unbound connection's deadline) until the UDP
    /// socket, the listener or a connection is ready; handles the TCP side.
    pub(crate) fn wait(
        &mut self,
        udp: RawFd,
        wait: Duration,
        io: &mut Io,
        calls: &mut Calls,
    ) -> io::Result<Ready> {
        #[allow(clippy::disallowed_methods)] // the example reads the clock; the library never does
        let now = Instant::now();
        let wait = self
            .conns
            .iter()
            .filter(|c| c.owner.is_none())
            .fold(wait, |w, c| w.min(c.deadline.saturating_duration_since(now)));
        let mut fds = Vec::with_capacity(2 + self.conns.len());
        fds.push(pollfd(udp, libc::POLLIN));
        fds.push(pollfd(self.listener.as_raw_fd(), libc::POLLIN));
        for conn in &self.conns {
            let unsent = conn.owner.is_some_and(|(id, leg)| {
                calls.by_id.get(&id).is_some_and(|c| c.session.poll_msrp_transmit(leg).is_some())
            });
            let events = if conn.connecting {
                libc::POLLOUT
            } else if unsent {
                libc::POLLIN | libc::POLLOUT
            } else {
                libc::POLLIN
            };
            fds.push(pollfd(conn.stream.as_raw_fd(), events));
        }
        let timeout = i32::try_from(wait.as_millis().clamp(1, 200)).unwrap_or(200);
        let nfds = libc::nfds_t::try_from(fds.len()).unwrap_or(libc::nfds_t::MAX);
        // SAFETY: `fds` is a live, properly initialised array of `nfds` pollfd structures that
        // poll only reads and writes (revents) for the duration of the call.
        let n = unsafe { libc::poll(fds.as_mut_ptr(), nfds, timeout) };
        if n < 0 {
            let e = io::Error::last_os_error();
            return if e.kind() == io::ErrorKind::Interrupted { Ok(Ready { udp: false }) } else { Err(e) };
        }
        let ready = |i: usize| fds.get(i).map_or(0, |f| f.revents);
        if ready(1) != 0 {
            self.accept();
        }
        for i in 0..fds.len().saturating_sub(2) {
            let revents = ready(i + 2);
            if revents != 0 {
                self.on_ready(i, revents, io, calls);
            }
        }
        #[allow(clippy::disallowed_methods)]
        let now = Instant::now();
        for conn in &mut self.conns {
            if conn.owner.is_none() && !conn.closed && now >= conn.deadline {
                eprintln!("pf_udp: MSRP connection from {} named no leg in time: closed", conn.peer);
                conn.closed = true;
            }
        }
        self.conns.retain(|c| !c.closed);
        Ok(Ready { udp: ready(0) != 0 })
    }

    fn accept(&mut self) {
        loop {
            match self.listener.accept() {
                Ok((stream, peer)) => {
                    let unbound = self.conns.iter().filter(|c| c.owner.is_none()).count();
                    if unbound >= MAX_UNBOUND || stream.set_nonblocking(true).is_err() {
                        eprintln!("pf_udp: MSRP connection from {peer} refused: too many unbound");
                        continue;
                    }
                    let _ = stream.set_nodelay(true);
                    #[allow(clippy::disallowed_methods)]
                    let deadline = Instant::now() + UNBOUND_TIMEOUT;
                    self.conns.push(Conn {
                        stream,
                        peer,
                        owner: None,
                        connecting: false,
                        unbound: Vec::new(),
                        deadline,
                        closed: false,
                    });
                }
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return,
                Err(e) => {
                    eprintln!("pf_udp: MSRP accept: {e}");
                    return;
                }
            }
        }
    }

    fn on_ready(&mut self, i: usize, revents: i16, io: &mut Io, calls: &mut Calls) {
        let Some(conn) = self.conns.get_mut(i) else { return };
        if conn.closed {
            return;
        }
        if conn.connecting {
            match conn.stream.take_error() {
                Ok(None) if conn.stream.peer_addr().is_ok() => {
                    conn.connecting = false;
                    if let Some((id, leg)) = conn.owner {
                        io.note(id, &format!("MSRP connection to the {leg} leg's peer {} open", conn.peer));
                        io.msrp_out.push((id, leg));
                    }
                }
                Ok(Some(e)) | Err(e) => {
                    if let Some((id, leg)) = conn.owner {
                        io.note(id, &format!("cannot connect to the {leg} leg's peer {}: {e}", conn.peer));
                    }
                    conn.closed = true;
                }
                Ok(None) => {
                    if revents & (libc::POLLERR | libc::POLLHUP) != 0 {
                        conn.closed = true;
                    }
                }
            }
            return;
        }
        if revents & libc::POLLOUT != 0 {
            if let Some(owner) = conn.owner {
                io.msrp_out.push(owner);
            }
        }
        if revents & (libc::POLLIN | libc::POLLHUP | libc::POLLERR) == 0 {
            return;
        }
        // A few reads per turn, so one busy connection does not starve the others.
        for _ in 0..4 {
            let n = match self.conns[i].stream.read(&mut self.buf) {
                Ok(0) => {
                    let conn = &mut self.conns[i];
                    if let Some((id, leg)) = conn.owner {
                        io.note(id, &format!("the {leg} leg's MSRP connection was closed by its peer"));
                    }
                    conn.closed = true;
                    return;
                }
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => {
                    eprintln!("pf_udp: MSRP connection from {}: {e}", self.conns[i].peer);
                    self.conns[i].closed = true;
                    return;
                }
            };
            match self.conns[i].owner {
                Some((id, leg)) => {
                    let bytes = std::mem::take(&mut self.buf);
                    feed(io, calls, id, leg, &bytes[..n]);
                    self.buf = bytes;
                }
                None => {
                    let bytes = std::mem::take(&mut self.buf);
                    self.conns[i].unbound.extend_from_slice(&bytes[..n]);
                    self.buf = bytes;
                    self.bind_unbound(i, io, calls);
                    if self.conns[i].closed {
                        return;
                    }
                }
            }
        }
    }

    /// An accepted connection's first request: its To-Path names the leg it carries.
    fn bind_unbound(&mut self, i: usize, io: &mut Io, calls: &mut Calls) {
        let conn = &mut self.conns[i];
        let found = match parse(&conn.unbound, self.max_frame) {
            Ok(Parsed::Incomplete) if conn.unbound.len() <= self.max_frame => return,
            Ok(Parsed::Incomplete) => Err("more than one maximum frame without a request".to_owned()),
            Err(e) => Err(format!("its first frame cannot be read: {e}")),
            Ok(Parsed::Frame { frame, .. }) => calls
                .by_msrp_uri(frame.to_path, io)
                .or_else(|| {
                    // A call not held here: saved in --state by a process that held it (its
                    // peer connects again after a restart).
                    load_by_msrp(io, calls, msrp_session_of(frame.to_path)?)?;
                    calls.by_msrp_uri(frame.to_path, io)
                })
                .ok_or_else(|| format!("its To-Path {} names no leg", frame.to_path)),
        };
        let (id, leg) = match found {
            Ok(owner) => owner,
            Err(why) => {
                eprintln!("pf_udp: MSRP connection from {} closed: {why}", conn.peer);
                conn.closed = true;
                return;
            }
        };
        conn.owner = Some((id, leg));
        let bytes = std::mem::take(&mut conn.unbound);
        let peer = conn.peer;
        // A new connection for a leg replaces the old one, and what the session buffered for
        // the old one is dropped (a restored call's legs were reset when it was loaded).
        let mut replaced = false;
        for (j, other) in self.conns.iter_mut().enumerate() {
            if j != i && other.owner == Some((id, leg)) {
                other.closed = true;
                replaced = true;
            }
        }
        io.note(id, &format!("MSRP connection from {peer} is the {leg} leg's"));
        if replaced {
            if let Some(call) = calls.by_id.get_mut(&id) {
                if let Some(msrp) = call.side(leg).msrp.clone() {
                    io.msrp_reset(call, leg, &msrp);
                }
            }
        }
        feed(io, calls, id, leg, &bytes);
        io.msrp_out.push((id, leg));
    }

    /// Opens the connection of `leg` of call `id` to its passive peer at `to`.
    pub(crate) fn connect(&mut self, id: u64, leg: Leg, to: SocketAddr) {
        let opened = (|| -> io::Result<TcpStream> {
            let socket = socket2::Socket::new(socket2::Domain::for_address(to), socket2::Type::STREAM, None)?;
            socket.set_nonblocking(true)?;
            socket.set_tcp_nodelay(true)?;
            match socket.connect(&to.into()) {
                Ok(()) => {}
                Err(e) if e.raw_os_error() == Some(libc::EINPROGRESS) => {}
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
                Err(e) => return Err(e),
            }
            Ok(socket.into())
        })();
        match opened {
            Ok(stream) => {
                for other in &mut self.conns {
                    if other.owner == Some((id, leg)) {
                        other.closed = true;
                    }
                }
                #[allow(clippy::disallowed_methods)]
                let deadline = Instant::now();
                self.conns.push(Conn {
                    stream,
                    peer: to,
                    owner: Some((id, leg)),
                    connecting: true,
                    unbound: Vec::new(),
                    deadline,
                    closed: false,
                });
            }
            Err(e) => eprintln!("pf_udp: call {id}: cannot connect to the {leg} leg's peer {to}: {e}"),
        }
    }

    /// Writes what the sessions have for the legs in `io.msrp_out`, then closes the legs in
    /// `io.msrp_close` (after writing what they still had) and the connections of freed calls.
    /// Called after the calls are saved: persist, then act.
    pub(crate) fn pump(&mut self, io: &mut Io, calls: &mut Calls) {
        for (id, leg, to) in std::mem::take(&mut io.msrp_connect) {
            self.connect(id, leg, to);
        }
        let mut out = std::mem::take(&mut io.msrp_out);
        out.sort_unstable_by_key(|(id, leg)| (*id, leg.to_string()));
        out.dedup();
        for (id, leg) in out {
            self.write(id, leg, calls);
        }
        for (id, leg) in std::mem::take(&mut io.msrp_close) {
            self.write(id, leg, calls);
            for conn in &mut self.conns {
                if conn.owner == Some((id, leg)) {
                    conn.closed = true;
                }
            }
        }
        for conn in &mut self.conns {
            if conn.owner.is_some_and(|(id, _)| !calls.by_id.contains_key(&id)) {
                conn.closed = true;
            }
        }
        self.conns.retain(|c| !c.closed);
    }

    fn write(&mut self, id: u64, leg: Leg, calls: &mut Calls) {
        let Some(call) = calls.by_id.get_mut(&id) else { return };
        let Some(conn) = self.conns.iter_mut().find(|c| c.owner == Some((id, leg)) && !c.closed) else {
            return; // not connected (yet): the session keeps the bytes
        };
        if conn.connecting {
            return;
        }
        while let Some(bytes) = call.session.poll_msrp_transmit(leg) {
            match conn.stream.write(bytes) {
                Ok(0) => break,
                Ok(n) => call.session.msrp_transmitted(leg, n),
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => {
                    eprintln!("pf_udp: call {id}: cannot write on the {leg} leg's MSRP connection: {e}");
                    conn.closed = true;
                    break;
                }
            }
        }
    }
}

/// Bytes read on `leg`'s connection go to the call's session; its actions are carried out and
/// the call saved (its writes happen in [`Media::pump`], after the save).
fn feed(io: &mut Io, calls: &mut Calls, id: u64, leg: Leg, bytes: &[u8]) {
    let now = io.clock.now();
    let Some(call) = calls.by_id.get_mut(&id) else { return };
    io.input(id, &format!("# {} bytes read on the {leg} leg's MSRP connection", bytes.len()));
    let actions = call.session.handle(Input::MsrpBytes { leg, bytes }, now);
    carry_out(io, call, actions, now);
    calls.touched(id, io);
}

fn pollfd(fd: i32, events: i16) -> libc::pollfd {
    libc::pollfd { fd, events, revents: 0 }
}

/// `to_path` is the PF URI `local`: the session's own comparison (RFC 4975 §6.1).
pub(crate) fn names(to_path: &str, local: &str) -> bool {
    to_path_is(to_path, local)
}
