//! An embedder without an MSRP stack feeds raw MSRP bytes: `FrameDecoder` → `SendRequest` →
//! `Session`. The RFC 4975 §5.1 message "abcdEFGH" in two chunks, delivered in any TCP split,
//! is stored once, whole (REC-5i); a frame that cannot be understood is answered 400 (MSRP-1).

use cpm_pf::msrp::frame::{FrameDecoder, DEFAULT_MAX_FRAME};
use cpm_pf::msrp::SendRequest;
use cpm_pf::{Action, Config, Input, Leg, Policy, Preferences, Session, Time};
use proptest::prelude::*;

const T0: Time = Time::from_unix_secs(1_767_225_600);

mod common;

/// RFC 4975 §5.1, with the To-Path / From-Path lines the RFC's snippet leaves out: both chunks.
fn stream() -> Vec<u8> {
    [common::RFC4975_S5_1_FIRST, common::RFC4975_S5_1_SECOND].concat()
}

/// Feeds `pieces` of a byte stream to a decoder and every SEND to a recording session;
/// returns the stored contents and the MSRP statuses the session asked to send.
fn feed(pieces: &[&[u8]]) -> (Vec<Vec<u8>>, Vec<u16>) {
    let mut config = Config::default();
    config.prefs = Preferences::ALLOW_OFFLINE_STORAGE;
    config.policy = Policy::LIVE_RECORDING;
    config.peer = Some("sip:bob@example.com".into());
    let mut session = Session::new(config, T0).unwrap();
    let mut decoder = FrameDecoder::new(DEFAULT_MAX_FRAME);
    let (mut stored, mut statuses) = (Vec::new(), Vec::new());
    for piece in pieces {
        let mut rest = *piece;
        while !rest.is_empty() {
            let taken = decoder.push(rest);
            rest = &rest[taken..];
            while let Some(frame) = decoder.next_frame() {
                let frame = match frame {
                    Ok(frame) => frame,
                    Err(e) => {
                        statuses.push(e.status());
                        continue;
                    }
                };
                let Some(send) = SendRequest::from_frame(&frame) else { continue };
                for action in session.handle(Input::MsrpSend { leg: Leg::Client, send }, T0) {
                    match action {
                        Action::Store { content, .. } => stored.push(content),
                        Action::MsrpResponse { status, .. } => statuses.push(status),
                        _ => {}
                    }
                }
            }
            if taken == 0 {
                break;
            }
        }
    }
    (stored, statuses)
}

#[test]
fn rfc4975_two_chunks_are_stored_once_whole() {
    let (stored, statuses) = feed(&[&stream()]);
    assert_eq!(stored.len(), 1);
    assert!(stored[0].ends_with(b"abcdEFGH"), "{}", String::from_utf8_lossy(&stored[0]));
    assert!(statuses.is_empty());
}

#[test]
fn a_send_without_message_id_is_answered_400() {
    let bad = b"MSRP a786hjs2 SEND\r\n\
To-Path: msrp://biloxi.example.com:12763/kjhd37s2s20w2a;tcp\r\n\
From-Path: msrp://atlanta.example.com:7654/jshA7weztas;tcp\r\n\
Byte-Range: 1-25/25\r\n\
Content-Type: text/plain\r\n\
\r\n\
Hey Bob, are you there?\r\n\
-------a786hjs2$\r\n";
    let (stored, statuses) = feed(&[bad]);
    assert!(stored.is_empty());
    assert_eq!(statuses, [400]);
}

proptest! {
    #[test]
    fn any_tcp_split_gives_the_same_store(cuts in prop::collection::vec(0..stream().len(), 0..12)) {
        let stream = stream();
        let mut cuts = cuts;
        cuts.push(0);
        cuts.push(stream.len());
        cuts.sort_unstable();
        let pieces: Vec<&[u8]> = cuts.windows(2).map(|w| &stream[w[0]..w[1]]).collect();
        prop_assert_eq!(feed(&pieces), feed(&[&stream]));
    }
}
