#!/usr/bin/env bash
# Crashes: calls survive pf_udp being killed, through its --state in Redis (issue 17).
#
# On 127.0.0.1: Redis (Debian's redis-server, in a temp dir, no persistence), Dovecot as the
# Message Store (tests/imap/dovecot.sh), SIPp as the client and the remote, and pf_udp started
# again and again on the same port and state.
#
# crash (a file transfer, crash.client.xml and crash.remote.xml; the client ends it):
#   1. pf_udp #1 relays the INVITE; once the call is established it is killed with SIGKILL.
#   2. pf_udp #2 starts, loads the call from Redis, gets the client's BYE, relays it, gets the
#      remote's 200, stores the File Transfer History object in Dovecot, and exits right after
#      the store (--exit-after-store): the object is stored, the state saved says it is not.
#   3. pf_udp #3 starts on that state: it sends its BYE again (Timer E, restored), the remote
#      answers it again, the session stores again, which finds the stored object by its
#      Message-ID instead of storing it twice, and the client's BYE is answered with its UID.
#   Passes when both SIPp runs exit 0 (the client got 200 OK with a Message-UID, the remote got
#   the BYE), the action logs show each step in the process that did it, the Message Store holds
#   exactly one object, the one whose UID the client got (imap_check.py), --store-dir holds
#   exactly one file, and Redis keeps the call only with an expiry.
#
# takeover (a group the remote ends, takeover.client.xml and takeover.remote.xml):
#   pf_udp --instance pf-a relays the INVITE and is killed with SIGKILL once the call is
#   established; pf_udp --instance pf-b starts, leaves pf-a's call in Redis (it loads only its
#   own), and takes it over when the remote's BYE arrives: a Call-ID it does not hold, found
#   through the alias key of the remote leg. Passes when both SIPp runs exit 0 (the client got
#   the BYE with the remote's Reason, the remote its 200 OK), the log shows the takeover and
#   the branch 2 actions, --store-dir holds the session info and group state objects, and Redis
#   keeps the call only with an expiry.
#
# msrp (a chat message relayed over MSRP, msrp.client.xml and msrp.remote.xml; --msrp-listen,
# recording with --prefs allow-offline-storage --policy live-recording into --store-dir):
#   the client's MSRP peer connects to the PF (it is active); the remote's answers
#   a=setup:passive, so the PF connects to it (msrp_crash_peer.py plays both). The client sends
#   chunk 1 of a 3-chunk message; once the remote answered it 200 and pf_udp #1 read that
#   answer, pf_udp #1 is killed with SIGKILL (Redis then holds the call, its alias and one
#   cpm-pf:msrp: key per leg). pf_udp #2 starts on the same --state and --msrp-listen and loads
#   the call: it connects again to the remote's peer; the client's peer connects again to the
#   same PF URI and sends chunks 2 and 3. Passes when the remote received the message byte for
#   byte (chunk 1 on the first connection, 2 and 3 on the second), each of the client's chunks
#   was answered 200, the BYE completes on both legs (both SIPp runs exit 0), the client's
#   message was stored by pf_udp #2 only, once the message was whole (REC-5i, REC-5ii: a message
#   from the client is recorded as soon as it is complete; nothing waits for delivery), with
#   the text of all three chunks, --store-dir holds exactly the call's objects (the chat
#   message: a one-to-one session stores no session info in the rcs profile, MS-3), one file,
#   named by the call and the message, and Redis keeps every key only with an expiry.
# msrp-takeover: the same with pf_udp #1 --instance pf-a and #2 --instance pf-b, which loads
#   nothing on start: the client's peer connecting again is what loads the call, through the
#   cpm-pf:msrp: key of the To-Path's session id; loading it connects again to the remote.
#
# Bounded: `timeout` around SIPp, bounded polls, every process stopped by its PID.
# Usage: bash tests/sipp/crash.sh [crash|takeover|msrp|msrp-takeover]. Needs sipp, redis-server, and what
# dovecot.sh installs. KEEP=1 keeps the work directory.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
. "$here/lib.sh"
# dovecot_start / dovecot_stop; its own trap is not installed: cleanup below stops Dovecot.
. "$root/tests/imap/dovecot.sh"

need_tools "sip-tester and redis-server" sipp redis-server redis-cli
build_pf

start_work crash
cleanup_more() { dovecot_stop; }

# Ports below the ephemeral range (32768 and up), where a client socket could hold one.
base=$((30000 + ($$ % 50) * 50))
pf_port=$base client_port=$((base + 1)) remote_port=$((base + 2)) redis_port=$((base + 3))

cd "$work"
start_redis "$redis_port"

common_flags=(--listen "127.0.0.1:$pf_port" --remote "127.0.0.1:$remote_port"
    --state "redis://127.0.0.1:$redis_port")
pf_flags=()
start_pf() { # start_pf N [FLAGS...]: pf_udp #N (pf_flags and FLAGS), its log pfN.log; sets pf_pid
    local n="$1"
    shift
    "$pf_bin" "${common_flags[@]}" "${pf_flags[@]}" --log "pf$n.log" "$@" 2>"pf$n.err" &
    pf_pid=$!
    pids+=("$pf_pid")
    wait_bound "$pf_port"
}
# start_sipp NAME: the remote (uas) and the client (uac) of NAME.*.xml, in the background;
# sets remote_pid, client_pid. CALLER is the side that sends the INVITE: client here.
start_sipp() {
    local name="$1" common=(-i 127.0.0.1 -m 1 -timeout 45s -timeout_error -nostdin -trace_err -trace_logs)
    (exec timeout 60 sipp -sf "$here/$name.remote.xml" -p "$remote_port" -mp $((base + 10)) \
        "${common[@]}" >remote.out 2>&1) &
    remote_pid=$!
    pids+=("$remote_pid")
    wait_bound "$remote_port"
    (exec timeout 60 sipp -sf "$here/$name.client.xml" "127.0.0.1:$pf_port" -p "$client_port" \
        -mp $((base + 20)) "${common[@]}" >client.out 2>&1) &
    client_pid=$!
    pids+=("$client_pid")
}
# kill_established: SIGKILL to pf_udp once it relayed the remote's 200 OK (and saved the call).
kill_established() {
    for _ in $(seq 50); do
        grep -q "the remote leg answered 200; relayed" pf1.log 2>/dev/null && break
        sleep 0.1
    done
    sleep 0.2 # the client's ACK
    kill -KILL "$pf_pid"
    wait "$pf_pid" 2>/dev/null || true
    local saved
    saved="$(rcli --scan --pattern 'cpm-pf:call:*' | wc -l) $(rcli --scan --pattern 'cpm-pf:alias:*' | wc -l)"
    echo "  pf_udp #1 killed; Redis holds $saved call and alias key(s)"
    [ "$saved" = "1 1" ] || fail "Redis holds $saved call and alias keys, expected 1 1"
}
# wait_sipp: both SIPp runs must exit 0.
wait_sipp() {
    local client_rc=0 remote_rc=0
    wait "$client_pid" || client_rc=$?
    wait "$remote_pid" || remote_rc=$?
    [ "$client_rc" = 0 ] || fail "SIPp client exited $client_rc"
    [ "$remote_rc" = 0 ] || fail "SIPp remote exited $remote_rc"
}
# Lines of a log without their indentation, checked to be there.
expect() {
    local log="$1" line
    shift
    for line in "$@"; do
        sed 's/^ *//' "$log" | grep -qxF -- "$line" || fail "$log lacks: $line"
    done
}
restored() { grep -q "^# call [0-9]*: restored from --state" "$1" || fail "$1: the call was not restored"; }
# stored_once DIR N: --store-dir holds exactly N files (one per object of the call: a file is
# named by the call and the object, so an object stored twice would not add one, but a
# temporary file left over or a second call's object would).
stored_once() {
    local files
    files="$(find "$1" -type f | wc -l)"
    echo "  --store-dir: $files file(s): $(cd "$1" && ls -A | tr '\n' ' ')"
    [ "$files" = "$2" ] || fail "--store-dir holds $files files, expected $2"
}
# expiring: every key left in Redis has an expiry.
expiring() {
    local key ttl
    for key in $(rcli --scan --pattern 'cpm-pf:*'); do
        ttl="$(rcli ttl "$key")"
        [ "$ttl" -gt 0 ] || fail "Redis keeps $key without an expiry (TTL $ttl)"
    done
    echo "  Redis after the call: $(rcli --scan --pattern 'cpm-pf:*' | wc -l) key(s), each expiring"
}
stop_pf() {
    kill "$pf_pid" 2>/dev/null || true
    wait "$pf_pid" 2>/dev/null || true
}
report() {
    if [ "$ok" = 1 ]; then echo "  ok"; return; fi
    local f
    for f in pf*.log pf*.err client.out remote.out *errors.log; do
        [ -s "$f" ] && { echo "  --- $f"; tail -n 25 "$f" | sed 's/^/  | /'; }
    done
}

scenario_crash() {
    echo "== crash (pf_udp killed while the call is established, then exiting between store and save)"
    dovecot_start
    pf_flags=(--kind file-transfer --prefs allow-offline-storage --instance pf-a --store-dir "$PWD/objects"
        --imap "imap://pf:secret@127.0.0.1:$DOVECOT_PORT")
    mkdir -p objects
    start_pf 1
    start_sipp crash
    # 1. Established: SIGKILL.
    kill_established
    # 2. pf_udp #2: loads the call, handles the BYE, exits right after the store.
    start_pf 2 --exit-after-store
    local pf2_rc=0
    for _ in $(seq 250); do kill -0 "$pf_pid" 2>/dev/null || break; sleep 0.1; done
    wait "$pf_pid" || pf2_rc=$?
    echo "  pf_udp #2 exited $pf2_rc"
    [ "$pf2_rc" = 9 ] || fail "pf_udp #2 exited $pf2_rc, not 9 (after the store)"
    # 3. pf_udp #3: carries the call to its end.
    start_pf 3
    wait_sipp

    local folder="conversation:sip:bob@example.com" mailbox="Default/sip:bob@example.com" uid
    uid="$(cat crash.client_*_logs.log 2>/dev/null | sed -n 's/^.*Message-UID: \([0-9][0-9]*\)$/\1/p' | head -n 1)"
    expect pf1.log "<- client INVITE"
    restored pf2.log
    expect pf2.log "<- client BYE" "-> remote BYE" "<- remote 200 BYE" "== store ft-history in $folder"
    grep -q "^# --exit-after-store: exiting after storing ft-history" pf2.log || fail "pf2.log: no exit after the store"
    restored pf3.log
    if [ -z "$uid" ]; then
        fail "SIPp client logged no Message-UID"
    else
        echo "  the client's 200 OK: Message-UID: $uid"
        expect pf3.log "<- remote 200 BYE" "== store ft-history in $folder" "@ stored ft-history uid=$uid" \
            "-> client 200 BYE | Message-UID: $uid" "== terminated"
        python3 "$here/imap_check.py" "$DOVECOT_PORT" pf secret "$mailbox" "$uid" ||
            fail "the Message Store does not hold exactly the object the client was told of"
    fi
    stored_once objects 1
    expiring
    stop_pf
    cp "$DOVECOT_WORK/dovecot.log" dovecot.log 2>/dev/null || true
    dovecot_stop
}

scenario_takeover() {
    echo "== takeover (pf_udp --instance pf-a killed; pf-b takes the call over when the remote's BYE comes)"
    pf_flags=(--kind group --prefs allow-offline-storage --store-dir "$PWD/objects")
    mkdir -p objects
    start_pf 1 --instance pf-a
    start_sipp takeover
    kill_established
    start_pf 2 --instance pf-b
    wait_sipp
    local reason='Reason: SIP;cause=410;text="Gone"'
    local folder='session-history:0a1b2c3d-4e5f-6071-8293-a4b5c6d7e8f9'
    grep -q "1 saved call(s) of other instances left to them" pf2.err ||
        fail "pf_udp --instance pf-b loaded another instance's call on start"
    restored pf2.log
    expect pf2.log "<- remote BYE | $reason" "== store session-info in $folder" \
        "== store group-state in $folder" "-> client BYE | $reason" "<- client 200 BYE" \
        "-> remote 200 BYE" "== terminated"
    stored_once objects 2
    expiring
    stop_pf
}

# scenario_msrp same|other: pf_udp #2 with the instance of #1, or another one.
scenario_msrp() {
    local which="$1" pf2_instance=pf-a
    [ "$which" = other ] && pf2_instance=pf-b
    echo "== msrp (pf_udp killed after relaying chunk 1 of 3; pf_udp #2, instance $pf2_instance, gets the connections back)"
    local msrp_port=$((base + 4)) remote_msrp=$((base + 5)) client_port=$((base + 1))
    pf_flags=(--client "127.0.0.1:$client_port" --msrp-listen "127.0.0.1:$msrp_port"
        --prefs allow-offline-storage --policy live-recording --store-dir "$PWD/objects")
    mkdir -p objects
    printf 'Bonjour Bob — le PF tombe après le premier morceau; deux et trois arrivent après. 👋' >client.msg
    start_pf 1 --instance pf-a
    (exec timeout 40 python3 "$here/msrp_crash_peer.py" --listen "$remote_msrp" \
        --my-path "msrp://127.0.0.1:$remote_msrp/sremote1;tcp" --received remote.received \
        --log remote.peer.log --timeout 30 >remote.peer.out 2>&1) &
    local remote_peer=$!
    pids+=("$remote_peer")
    wait_tcp "$msrp_port" && wait_tcp "$remote_msrp" || fail "pf_udp or the remote's MSRP peer does not listen"
    local common=(-i 127.0.0.1 -m 1 -timeout 45s -timeout_error -nostdin -trace_err)
    (exec timeout 60 sipp -sf "$here/msrp.remote.xml" -p "$remote_port" -mp $((base + 10)) \
        -key setup passive -key msrp_port "$remote_msrp" "${common[@]}" >remote.out 2>&1) &
    remote_pid=$!
    pids+=("$remote_pid")
    wait_bound "$remote_port"
    (exec timeout 40 python3 "$here/msrp_crash_peer.py" --connect --pf-path-file client.pfpath \
        --my-path "msrp://127.0.0.1:9/sclient1;tcp" --message-id cmsg0001 --send client.msg \
        --log client.peer.log --timeout 30 >client.peer.out 2>&1) &
    local client_peer=$!
    pids+=("$client_peer")
    (exec timeout 60 sipp -sf "$here/msrp.client.xml" "127.0.0.1:$pf_port" -p "$client_port" \
        -mp $((base + 20)) "${common[@]}" >client.out 2>&1) &
    client_pid=$!
    pids+=("$client_pid")
    # Chunk 1 answered on both sides, and the remote's 200 read by pf_udp #1 (the only bytes
    # the remote's peer sends): then SIGKILL.
    local i
    for ((i = 0; i < 100; i++)); do
        grep -q '^got 200 c1x1 ' client.peer.log 2>/dev/null &&
            grep -q '^answered 200 ' remote.peer.log 2>/dev/null &&
            grep -q "bytes read on the remote leg's MSRP connection" pf1.log 2>/dev/null && break
        sleep 0.1
    done
    [ "$i" -lt 100 ] || fail "chunk 1 was not relayed and answered within 10 s"
    kill -KILL "$pf_pid"
    wait "$pf_pid" 2>/dev/null || true
    local saved
    saved="$(rcli --scan --pattern 'cpm-pf:call:*' | wc -l) $(rcli --scan --pattern 'cpm-pf:alias:*' | wc -l)"
    saved="$saved $(rcli --scan --pattern 'cpm-pf:msrp:*' | wc -l)"
    echo "  pf_udp #1 killed after chunk 1; Redis holds $saved call, alias and MSRP key(s)"
    [ "$saved" = "1 1 2" ] || fail "Redis holds $saved call, alias and MSRP keys, expected 1 1 2"
    ! grep -qF '== store' pf1.log || fail "pf_udp #1 stored something (the message before it was whole?)"
    start_pf 2 --instance "$pf2_instance"
    local cpeer_rc=0 rpeer_rc=0
    wait "$client_peer" || cpeer_rc=$?
    wait "$remote_peer" || rpeer_rc=$?
    wait_sipp
    [ "$cpeer_rc" = 0 ] || fail "the client's MSRP peer exited $cpeer_rc"
    [ "$rpeer_rc" = 0 ] || fail "the remote's MSRP peer exited $rpeer_rc"

    # The message, byte for byte, chunk 1 on the first connection, 2 and 3 on the second.
    cmp -s client.msg remote.received || fail "the remote did not receive the client's message byte for byte"
    local got
    got="$(sed -n 's/^got SEND [^ ]* cmsg0001 \([^ ]*\) . conn=\([0-9]\).*/\1@\2/p' remote.peer.log | paste -sd' ')"
    local sent
    # (a range sent twice only when the first connection after the kill was reset unread)
    sent="$(sed -n 's/^sent SEND [^ ]* cmsg0001 \([^ ]*\) conn=.*/\1/p' client.peer.log | awk '!seen[$0]++' |
        paste -sd' ')"
    echo "  the remote got (range@connection): $got (the client sent $sent)"
    [ "$(echo "$got" | wc -w)" = 3 ] || fail "the remote did not get exactly 3 chunks"
    [ "$(echo "$got" | tr ' ' '\n' | grep -c '@1$')" = 1 ] || fail "chunk 1 did not come on the first connection"
    [ "$(echo "$got" | tr ' ' '\n' | grep -c '@2$')" = 2 ] || fail "chunks 2 and 3 did not come on the second connection"
    [ "$(echo "$got" | tr ' ' '\n' | cut -d@ -f1 | paste -sd' ')" = "$sent" ] ||
        fail "the remote's chunks are not the client's Byte-Ranges"
    [ "$(grep -c '^answered 200 ' remote.peer.log)" = 3 ] || fail "the remote did not answer 3 chunks"
    [ "$(grep -c '^got 200 c' client.peer.log)" = 3 ] || fail "the client's 3 chunks were not all answered 200"
    if [ "$which" = other ]; then
        grep -q "1 saved call(s) of other instances left to them" pf2.err ||
            fail "pf_udp --instance pf-b loaded another instance's call on start"
    fi
    restored pf2.log
    grep -qF "restored: connecting again to the remote leg's MSRP peer 127.0.0.1:$remote_msrp" pf2.err ||
        fail "pf_udp #2 did not connect again to the remote's MSRP peer"
    grep -qF "MSRP connection to the remote leg's peer 127.0.0.1:$remote_msrp open" pf2.err ||
        fail "pf_udp #2's connection to the remote's MSRP peer did not open"
    grep -q "MSRP connection from 127.0.0.1:[0-9]* is the client leg's" pf2.err ||
        fail "pf_udp #2 did not take the client's new connection as the client leg's"
    # Recorded once, by pf_udp #2, when chunk 3 made the message whole; all of its text.
    [ "$(grep -cF '== store chat-message cmsg0001' pf2.log)" = 1 ] || fail "pf_udp #2 did not store the message exactly once"
    expect pf2.log "<- client BYE" "-> remote BYE" "<- remote 200 BYE" "-> client 200 BYE" "== terminated"
    # The call's objects: the chat message. No session info: a one-to-one session writes none
    # in the default rcs profile (MS-3, the project's choice), and no disposition notification
    # was sent. One file, named by the call and the message.
    [ "$(grep -c '== store ' pf2.log)" = 1 ] || fail "pf_udp #2 stored more than the chat message"
    stored_once objects 1
    [ "$(find objects -name "$(grep -o '^# call [0-9]*: restored from --state, Call-ID .*' pf2.log |
        sed 's/.*Call-ID //; s/[^A-Za-z0-9.-]/_/g')-chat-message_cmsg0001.eml" | wc -l)" = 1 ] ||
        fail "--store-dir does not hold the chat message's file, named by the call's Call-ID and cmsg0001"
    grep -qF 'Bonjour Bob' objects/*cmsg0001*.eml 2>/dev/null || fail "the stored message lacks chunk 1's text"
    grep -qF 'arrivent après' objects/*cmsg0001*.eml 2>/dev/null || fail "the stored message lacks chunk 3's text"
    expiring
    stop_pf
}

all=(crash takeover msrp msrp-takeover)
selected=("$@")
[ "${#selected[@]}" -gt 0 ] || selected=("${all[@]}")
for name in "${selected[@]}"; do
    mkdir -p "$work/$name"
    cd "$work/$name"
    ok=1
    rcli flushall >/dev/null
    case "$name" in
        crash) scenario_crash ;;
        takeover) scenario_takeover ;;
        msrp) scenario_msrp same ;;
        msrp-takeover) scenario_msrp other ;;
        *) echo "unknown scenario $name (known: ${all[*]})" >&2; exit 2 ;;
    esac
    report
    pids=("$redis_pid") # every other process of the scenario was waited for
done

kill "$redis_pid"
wait "$redis_pid" 2>/dev/null || true
pids=()
conclude crash "all ${#selected[@]} passed"
