//! The command line: the flags `--help` prints (`usage.txt`).

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use cpm_pf::{Kind, Policy, Preferences};

use crate::imap::ImapUrl;

/// The usage text `--help` prints, which is also the flags' part of this file's documentation.
pub(crate) const USAGE: &str = include_str!("usage.txt");

pub(crate) struct Args {
    pub(crate) listen: SocketAddr,
    /// The address written in Contact: `--contact`, else `listen`.
    pub(crate) contact: SocketAddr,
    /// The sent-by of the PF's Via, where answers to its requests go: `--via`, else `contact`.
    pub(crate) via: SocketAddr,
    /// `--outbound`: every datagram goes there (a load balancer in front of several PFs).
    pub(crate) outbound: Option<SocketAddr>,
    pub(crate) remote: SocketAddr,
    pub(crate) client: Option<SocketAddr>,
    pub(crate) kind: Kind,
    pub(crate) prefs: Preferences,
    pub(crate) policy: Policy,
    pub(crate) session_expires: Option<Duration>,
    pub(crate) time_scale: u32,
    /// RFC 3261 T1, real time: retransmission intervals start there, timeouts are 64 × T1.
    pub(crate) t1: Duration,
    pub(crate) store_dir: Option<PathBuf>,
    pub(crate) imap: Option<ImapUrl>,
    /// `--state redis://HOST:PORT`: where the calls are saved.
    pub(crate) state: Option<String>,
    /// What makes this process's tags, branches and Call-IDs its own.
    pub(crate) instance: String,
    /// Whether `--instance` named it (then only this instance's saved calls are loaded).
    pub(crate) instance_given: bool,
    /// `--exit-after-store`: a crash between storing and saving, for tests.
    pub(crate) exit_after_store: bool,
    pub(crate) log: Option<PathBuf>,
    pub(crate) calls: Option<usize>,
    /// `--msrp-listen`: where the PF takes the legs' MSRP connections; none, no MSRP relay and
    /// no SDP rewrite.
    pub(crate) msrp_listen: Option<SocketAddr>,
    /// `--msrp-timeout`: how long a chunk relayed to a leg waits for its response (ML-4).
    pub(crate) msrp_timeout: Option<u16>,
}

impl Args {
    /// The flags, or `None` for `--help`.
    pub(crate) fn parse(mut words: impl Iterator<Item = String>) -> Result<Option<Args>, String> {
        let mut args = Args {
            listen: SocketAddr::from(([127, 0, 0, 1], 5070)),
            contact: SocketAddr::from(([0, 0, 0, 0], 0)),
            via: SocketAddr::from(([0, 0, 0, 0], 0)),
            outbound: None,
            remote: SocketAddr::from(([127, 0, 0, 1], 5080)),
            client: None,
            kind: Kind::OneToOne,
            prefs: Preferences::empty(),
            policy: Policy::empty(),
            session_expires: None,
            time_scale: 1,
            t1: Duration::from_millis(500),
            store_dir: None,
            imap: None,
            state: None,
            instance: String::new(),
            instance_given: false,
            exit_after_store: false,
            log: None,
            calls: None,
            msrp_listen: None,
            msrp_timeout: None,
        };
        while let Some(flag) = words.next() {
            let mut value = || words.next().ok_or(format!("{flag} needs a value"));
            let bad = |what: &str| format!("{flag}: {what}");
            match flag.as_str() {
                "--listen" => args.listen = value()?.parse().map_err(|_| bad("not an address"))?,
                "--contact" => args.contact = value()?.parse().map_err(|_| bad("not an address"))?,
                "--via" => args.via = value()?.parse().map_err(|_| bad("not an address"))?,
                "--outbound" => args.outbound = Some(value()?.parse().map_err(|_| bad("not an address"))?),
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
                "--t1" => {
                    let ms: u64 =
                        value()?.parse().ok().filter(|n| *n >= 1).ok_or(bad("milliseconds >= 1"))?;
                    args.t1 = Duration::from_millis(ms);
                }
                "--state" => {
                    let url = value()?;
                    if !url.starts_with("redis://") {
                        return Err(bad("a redis://HOST:PORT URL"));
                    }
                    args.state = Some(url);
                }
                "--instance" => {
                    let name = value()?;
                    if name.is_empty() || !name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-') {
                        return Err(bad("letters, digits and '-'"));
                    }
                    args.instance = name;
                    args.instance_given = true;
                }
                "--exit-after-store" => args.exit_after_store = true,
                "--store-dir" => args.store_dir = Some(value()?.into()),
                "--imap" => args.imap = Some(ImapUrl::parse(&value()?).map_err(|e| bad(&e))?),
                "--log" => args.log = Some(value()?.into()),
                "--msrp-listen" => {
                    args.msrp_listen = Some(value()?.parse().map_err(|_| bad("not an address"))?)
                }
                "--msrp-timeout" => {
                    args.msrp_timeout =
                        Some(value()?.parse().ok().filter(|n| *n >= 1).ok_or(bad("seconds, 1 to 65535"))?)
                }
                "--calls" => args.calls = Some(value()?.parse().map_err(|_| bad("a number"))?),
                "-h" | "--help" => return Ok(None),
                _ => return Err(format!("unknown flag {flag}")),
            }
        }
        if args.contact.port() == 0 {
            args.contact = args.listen;
        }
        if args.via.port() == 0 {
            args.via = args.contact;
        }
        if args.instance.is_empty() {
            args.instance = random_instance();
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

/// An instance name no other process is likely to have: the clock's nanoseconds and the process
/// id, so that two PFs sharing one `--state` never make the same tag, branch or Call-ID.
#[allow(clippy::disallowed_methods)] // the example reads the clock; the library never does
fn random_instance() -> String {
    let nanos =
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.subsec_nanos());
    format!("{:x}{:x}", std::process::id(), nanos)
}
