//! `--state redis://HOST:PORT`: every call saved in Redis after each input, so that another
//! process (after a crash, or another instance behind the same load balancer) carries it on.
//!
//! What is saved, under `cpm-pf:call:CALL-ID` (the Call-ID of the leg that sent the INVITE),
//! with `cpm-pf:alias:CALL-ID` (the other leg's Call-ID) naming that key:
//! - the session, as [`cpm_pf::Session::save`] makes it (SNAP-1);
//! - the example's own dialog and transaction state, in [`SavedCall`]: each leg's dialog
//!   (the fields of [`Dialog`], which has no serde of its own), the requests waiting for the
//!   session's answer and the answers already sent (as their wire text, parsed again on
//!   restore), the PF's own requests being retransmitted with their timers, the answer it
//!   retransmits until the ACK, its ACK.
//!
//! With `--msrp-listen`, `cpm-pf:msrp:SESSION-ID` (the session id of the PF's MSRP URI on a leg,
//! one key per leg with MSRP) names that key too: a connection to a PF URI of a call this
//! process does not hold (its peer connecting again after a restart) finds the call by it.
//!
//! The keys are written after every input of the call (one `MULTI`), after the actions the
//! input caused were carried out; once the call ended they are written with an expiry of
//! 64 × T1 (the time the call is still kept for retransmissions), and deleted when it is freed.
//! A crash between carrying out an input's actions and saving leaves the state before that
//! input: the peer retransmits the input (UDP), the restored call handles it again and the
//! session decides the same actions (SNAP-1). The one action whose repetition would show is a
//! store in the Message Store, so stores are idempotent (see `Io::store`): a repeated store
//! finds the object stored the first time and reports its UID.
//!
//! The values are postcard (the library's own snapshot format) of [`SavedCall`].

use std::net::SocketAddr;
use std::time::Duration;

use cpm_pf::rsip_adapter::Dialog;
use cpm_pf::{Leg, Session, Time};
use rsip::{Request, SipMessage};
use serde::{Deserialize, Serialize};

use crate::{Call, ClientTx, LegSide, MsrpPeer, Retransmit};

const CALL_PREFIX: &str = "cpm-pf:call:";
const ALIAS_PREFIX: &str = "cpm-pf:alias:";
const MSRP_PREFIX: &str = "cpm-pf:msrp:";
/// How long a Redis command may take before the PF gives up on it (and says so).
const TIMEOUT: Duration = Duration::from_secs(2);

/// The connection to Redis, opened again after an error.
pub(crate) struct State {
    client: redis::Client,
    connection: Option<redis::Connection>,
}

impl State {
    pub(crate) fn open(url: &str) -> Result<State, String> {
        let client = redis::Client::open(url).map_err(|e| format!("--state {url}: {e}"))?;
        let mut state = State { client, connection: None };
        state.connection().map_err(|e| format!("--state {url}: {e}"))?;
        Ok(state)
    }

    fn connection(&mut self) -> redis::RedisResult<&mut redis::Connection> {
        if self.connection.is_none() {
            let connection = self.client.get_connection_with_timeout(TIMEOUT)?;
            connection.set_read_timeout(Some(TIMEOUT))?;
            connection.set_write_timeout(Some(TIMEOUT))?;
            self.connection = Some(connection);
        }
        let missing = || redis::RedisError::from((redis::ErrorKind::Io, "no connection"));
        self.connection.as_mut().ok_or_else(missing)
    }

    /// Runs `f` on the connection; an error drops the connection, to be opened again next time.
    fn with<T>(
        &mut self,
        f: impl FnOnce(&mut redis::Connection) -> redis::RedisResult<T>,
    ) -> Result<T, String> {
        let result = self.connection().and_then(f);
        result.map_err(|e| {
            self.connection = None;
            format!("redis: {e}")
        })
    }

    /// Saves the call under its keys (and those of `msrp`, its MSRP session ids); `expire`
    /// once it ended.
    pub(crate) fn save(
        &mut self,
        call: &Call,
        msrp: &[String],
        counter: u64,
        instance: &str,
        expire: Option<Duration>,
    ) -> Result<(), String> {
        let saved = SavedCall::new(call, counter, instance)?;
        let bytes = postcard::to_allocvec(&saved).map_err(|e| format!("cannot encode the call: {e}"))?;
        let (key, alias) = keys(call);
        let aliases = alias.into_iter().chain(msrp.iter().map(|id| format!("{MSRP_PREFIX}{id}")));
        let mut pipe = redis::pipe();
        pipe.atomic();
        match expire {
            None => {
                pipe.cmd("SET").arg(&key).arg(bytes).ignore();
                for alias in aliases {
                    pipe.cmd("SET").arg(alias).arg(&call.key).ignore();
                }
            }
            Some(ttl) => {
                let secs = ttl.as_secs().max(1);
                pipe.cmd("SET").arg(&key).arg(bytes).arg("EX").arg(secs).ignore();
                for alias in aliases {
                    pipe.cmd("SET").arg(alias).arg(&call.key).arg("EX").arg(secs).ignore();
                }
            }
        }
        self.with(|c| pipe.query::<()>(c))
    }

    /// Forgets a call that was freed.
    pub(crate) fn delete(&mut self, call: &Call, msrp: &[String]) -> Result<(), String> {
        let (key, alias) = keys(call);
        let mut cmd = redis::cmd("DEL");
        cmd.arg(key);
        if let Some(alias) = alias {
            cmd.arg(alias);
        }
        for id in msrp {
            cmd.arg(format!("{MSRP_PREFIX}{id}"));
        }
        self.with(|c| cmd.query::<()>(c))
    }

    /// The call either leg of which has this Call-ID, if one is saved.
    pub(crate) fn load(&mut self, call_id: &str) -> Result<Option<SavedCall>, String> {
        let bytes: Option<Vec<u8>> =
            self.with(|c| redis::cmd("GET").arg(format!("{CALL_PREFIX}{call_id}")).query(c))?;
        let bytes = match bytes {
            Some(bytes) => Some(bytes),
            None => {
                let key: Option<String> =
                    self.with(|c| redis::cmd("GET").arg(format!("{ALIAS_PREFIX}{call_id}")).query(c))?;
                match key {
                    Some(key) => {
                        self.with(|c| redis::cmd("GET").arg(format!("{CALL_PREFIX}{key}")).query(c))?
                    }
                    None => None,
                }
            }
        };
        bytes.map(|b| SavedCall::decode(&b)).transpose()
    }

    /// The call one of whose PF MSRP URIs has the session id `session`, if one is saved.
    pub(crate) fn load_by_msrp(&mut self, session: &str) -> Result<Option<SavedCall>, String> {
        let key: Option<String> =
            self.with(|c| redis::cmd("GET").arg(format!("{MSRP_PREFIX}{session}")).query(c))?;
        let Some(key) = key else { return Ok(None) };
        let bytes: Option<Vec<u8>> =
            self.with(|c| redis::cmd("GET").arg(format!("{CALL_PREFIX}{key}")).query(c))?;
        bytes.map(|b| SavedCall::decode(&b)).transpose()
    }

    /// Every call saved (SCAN, so Redis is never blocked).
    pub(crate) fn load_all(&mut self) -> Result<Vec<SavedCall>, String> {
        let mut keys = Vec::new();
        let mut cursor = 0u64;
        loop {
            let (next, batch): (u64, Vec<String>) = self.with(|c| {
                redis::cmd("SCAN")
                    .arg(cursor)
                    .arg("MATCH")
                    .arg(format!("{CALL_PREFIX}*"))
                    .arg("COUNT")
                    .arg(1000)
                    .query(c)
            })?;
            keys.extend(batch);
            cursor = next;
            if cursor == 0 {
                break;
            }
        }
        keys.sort();
        keys.dedup(); // SCAN may return a key twice
        let mut calls = Vec::new();
        for key in keys {
            let bytes: Option<Vec<u8>> = self.with(|c| redis::cmd("GET").arg(&key).query(c))?;
            match bytes.map(|b| SavedCall::decode(&b)) {
                Some(Ok(call)) => calls.push(call),
                Some(Err(e)) => eprintln!("pf_udp: {key}: {e}; left alone"),
                None => {} // expired meanwhile
            }
        }
        Ok(calls)
    }
}

fn keys(call: &Call) -> (String, Option<String>) {
    let alias = [&call.client.call_id, &call.remote.call_id]
        .into_iter()
        .find(|id| !id.is_empty() && **id != call.key)
        .map(|id| format!("{ALIAS_PREFIX}{id}"));
    (format!("{CALL_PREFIX}{}", call.key), alias)
}

// ----- what is saved ---------------------------------------------------------------------------

/// One call as Redis holds it: the library's session bytes and the example's own state.
#[derive(Serialize, Deserialize)]
pub(crate) struct SavedCall {
    /// The instance that saved it last, and its counter of tags and branches then.
    pub(crate) instance: String,
    pub(crate) counter: u64,
    key: String,
    session: Vec<u8>,
    client: SavedLeg,
    remote: SavedLeg,
    invite: Option<(Leg, String)>,
    invite_sent: Option<String>,
    started: Time,
    ended: Option<Time>,
}

#[derive(Serialize, Deserialize)]
struct SavedLeg {
    call_id: String,
    peer: SocketAddr,
    dialog: Option<SavedDialog>,
    pending: Vec<String>,
    seen: Vec<(String, Option<String>)>,
    sdp: Vec<u8>,
    msrp: Option<MsrpPeer>,
    sent: Vec<SavedTx>,
    answer: Option<SavedRetransmit>,
    ack: Option<String>,
}

/// The fields of [`Dialog`], the Request-URI as text.
#[derive(Serialize, Deserialize)]
struct SavedDialog {
    call_id: String,
    local: String,
    remote: String,
    remote_target: String,
    route_set: Vec<String>,
    local_seq: u32,
}

#[derive(Serialize, Deserialize)]
struct SavedTx {
    invite: bool,
    cseq: u32,
    retransmit: Option<SavedRetransmit>,
    timeout: Time,
}

#[derive(Serialize, Deserialize)]
struct SavedRetransmit {
    text: String,
    at: Time,
    interval_ms: u64,
    until: Time,
}

impl SavedCall {
    fn new(call: &Call, counter: u64, instance: &str) -> Result<SavedCall, String> {
        Ok(SavedCall {
            instance: instance.to_owned(),
            counter,
            key: call.key.clone(),
            session: call.session.save().map_err(|e| format!("cannot save the session: {e}"))?,
            client: SavedLeg::new(&call.client),
            remote: SavedLeg::new(&call.remote),
            invite: call.invite.as_ref().map(|(leg, req)| (*leg, req.to_string())),
            invite_sent: call.invite_sent.as_ref().map(Request::to_string),
            started: call.started,
            ended: call.ended,
        })
    }

    fn decode(bytes: &[u8]) -> Result<SavedCall, String> {
        postcard::from_bytes(bytes).map_err(|e| format!("not a saved call: {e}"))
    }

    /// The call again, under the local number `id`.
    pub(crate) fn restore(self, id: u64) -> Result<Call, String> {
        Ok(Call {
            id,
            key: self.key,
            session: Session::restore(&self.session)
                .map_err(|e| format!("cannot restore the session: {e}"))?,
            client: self.client.restore()?,
            remote: self.remote.restore()?,
            invite: self.invite.map(|(leg, text)| Ok::<_, String>((leg, request(&text)?))).transpose()?,
            invite_sent: self.invite_sent.as_deref().map(request).transpose()?,
            started: self.started,
            ended: self.ended,
            scheduled: None,
        })
    }
}

impl SavedLeg {
    fn new(side: &LegSide) -> SavedLeg {
        SavedLeg {
            call_id: side.call_id.clone(),
            peer: side.peer,
            dialog: side.dialog.as_ref().map(|d| SavedDialog {
                call_id: d.call_id.clone(),
                local: d.local.clone(),
                remote: d.remote.clone(),
                remote_target: d.remote_target.to_string(),
                route_set: d.route_set.clone(),
                local_seq: d.local_seq,
            }),
            pending: side.pending.iter().map(Request::to_string).collect(),
            seen: side.seen.iter().cloned().collect(),
            sdp: side.sdp.clone(),
            msrp: side.msrp.clone(),
            sent: side
                .sent
                .iter()
                .map(|tx| SavedTx {
                    invite: tx.method == rsip::Method::Invite,
                    cseq: tx.cseq,
                    retransmit: tx.retransmit.as_ref().map(SavedRetransmit::new),
                    timeout: tx.timeout,
                })
                .collect(),
            answer: side.answer.as_ref().map(SavedRetransmit::new),
            ack: side.ack.clone(),
        }
    }

    fn restore(self) -> Result<LegSide, String> {
        let dialog = match self.dialog {
            None => None,
            Some(d) => Some(Dialog {
                call_id: d.call_id,
                local: d.local,
                remote: d.remote,
                remote_target: rsip::Uri::try_from(d.remote_target.as_str())
                    .map_err(|e| format!("a saved dialog's target: {e}"))?,
                route_set: d.route_set,
                local_seq: d.local_seq,
            }),
        };
        Ok(LegSide {
            call_id: self.call_id,
            peer: self.peer,
            dialog,
            pending: self.pending.iter().map(|t| request(t)).collect::<Result<_, _>>()?,
            seen: self.seen.into_iter().collect(),
            sdp: self.sdp,
            msrp: self.msrp,
            sent: self
                .sent
                .into_iter()
                .map(|tx| ClientTx {
                    method: if tx.invite { rsip::Method::Invite } else { rsip::Method::Bye },
                    cseq: tx.cseq,
                    retransmit: tx.retransmit.map(SavedRetransmit::restore),
                    timeout: tx.timeout,
                })
                .collect(),
            answer: self.answer.map(SavedRetransmit::restore),
            ack: self.ack,
        })
    }
}

impl SavedRetransmit {
    fn new(r: &Retransmit) -> SavedRetransmit {
        SavedRetransmit {
            text: r.text.clone(),
            at: r.at,
            interval_ms: u64::try_from(r.interval.as_millis()).unwrap_or(u64::MAX),
            until: r.until,
        }
    }

    fn restore(self) -> Retransmit {
        Retransmit {
            text: self.text,
            at: self.at,
            interval: Duration::from_millis(self.interval_ms),
            until: self.until,
        }
    }
}

fn request(text: &str) -> Result<Request, String> {
    match SipMessage::try_from(text.as_bytes()) {
        Ok(SipMessage::Request(req)) => Ok(req),
        Ok(SipMessage::Response(_)) => Err("a saved request is a response".into()),
        Err(e) => Err(format!("a saved request does not parse: {e}")),
    }
}
