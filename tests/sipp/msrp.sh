#!/usr/bin/env bash
# MSRP over TCP through pf_udp --msrp-listen (issue 15, item 5): the PF relays each leg's MSRP
# itself, with no MSRP code of its own (the library answers, relays and learns delivery).
#
# On 127.0.0.1, per case: pf_udp (recording: allow-offline-storage, live-recording, objects in
# --store-dir), SIPp as the client (msrp.client.xml, offers m=message ... TCP/MSRP with
# a=setup:active) and as the remote (msrp.remote.xml, answers a=setup:passive or active), and
# one MSRP peer on each side (msrp_peer.py). SIPp writes the PF's MSRP URI it found in the SDP
# (the PF's own: the SDP is rewritten on both legs) to a file, where its peer reads it.
#
# relay (the remote answers passive: the PF connects to the remote's peer; the client's peer
# connects to the PF, which learns its leg from the To-Path of the first request):
#   each peer sends a chat message in three chunks; passes when each far side received the
#   other's bytes exactly (cmp) in three chunks with the sender's Byte-Ranges, every chunk on
#   each side was answered 200 (the peers' logs), the client's peer saw, when the remote's
#   message had arrived whole and before it answered it, the client's own message stored in
#   --store-dir and the remote's not, and in the end both are stored (REC-5ii, ML-4): the
#   client's at once, the remote's only after the client's 200s.
# no-answer (the remote answers active: its peer connects to the PF; --msrp-timeout 2):
#   the client's peer never answers; passes when the remote's message is reported as not
#   delivered in the action log, no object is stored for it, and the client's message is.
#
# Bounded: `timeout` around every process, peers with their own timeouts, stopped by PID.
# Usage: bash tests/sipp/msrp.sh [relay|no-answer]. Needs sipp and python3. KEEP=1 keeps the
# work directory.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
. "$here/lib.sh"

need_tools "sip-tester and python3" sipp python3
build_pf

start_work msrp

# A block of ports per case, offset from run.sh's blocks.
base=$((10050 + ($$ % 200) * 100))
index=0

# The number of the first action log line ($log) holding $1 (a fixed string), or nothing.
line_with() { grep -nF -- "$1" "$log" | head -n 1 | cut -d: -f1 || true; }

expect_order() {
    local a b
    a="$(line_with "$1")"
    b="$(line_with "$2")"
    if [ -z "$a" ] || [ -z "$b" ] || [ "$a" -ge "$b" ]; then fail "expected '$1' before '$2' in pf.log"; fi
}

# The chunks a peer's log says it sent or got: "ID START-END/TOTAL" lines.
chunks() { sed -n "s/^$2 SEND [^ ]* \([^ ]*\) \([^ ]*\).*/\1 \2/p" "$1"; }

# run NAME SETUP [PF-FLAGS...] [-- CLIENT-PEER-FLAGS...]
run() {
    local name="$1" setup="$2"
    shift 2
    local pf_flags=() peer_flags=()
    while [ $# -gt 0 ] && [ "$1" != -- ]; do pf_flags+=("$1"); shift; done
    [ $# -gt 0 ] && shift
    peer_flags=("$@")
    dir="$work/$name"
    local p=$((base + index * 20))
    index=$((index + 1))
    local pf_port=$p client_port=$((p + 1)) remote_port=$((p + 2)) msrp_port=$((p + 3))
    local remote_msrp=$((p + 4))
    mkdir -p "$dir/store"
    log="$dir/pf.log"
    ok=1
    echo "== $name (the remote answers a=setup:$setup; pf_udp ${pf_flags[*]})"
    # The messages: UTF-8 text, cut into three chunks by byte (a cut may fall inside a character).
    printf 'Bonjour Bob — ça va ? Trois morceaux: un, deux, trois. 👋 (client)' >"$dir/client.msg"
    printf 'Hallo Alice, prima! Grüße zurück — in drei Stücken: eins, zwei, drei. (remote)' >"$dir/remote.msg"

    local sipp_common=(-i 127.0.0.1 -m 1 -timeout 40s -timeout_error -nostdin -trace_err)
    (cd "$dir" && exec timeout 60 "$pf_bin" --listen "127.0.0.1:$pf_port" \
        --remote "127.0.0.1:$remote_port" --client "127.0.0.1:$client_port" \
        --msrp-listen "127.0.0.1:$msrp_port" --prefs allow-offline-storage --policy live-recording \
        --store-dir store --log pf.log --calls 1 "${pf_flags[@]}" 2>pf.err) &
    local pf_pid=$!
    pids+=("$pf_pid")
    (cd "$dir" && exec timeout 60 sipp -sf "$here/msrp.remote.xml" -p "$remote_port" \
        -mp $((p + 10)) -key setup "$setup" -key msrp_port "$remote_msrp" "${sipp_common[@]}" \
        >remote.out 2>&1) &
    local remote_pid=$!
    pids+=("$remote_pid")
    local connect=(--listen "$remote_msrp")
    [ "$setup" = active ] && connect=(--connect)
    (cd "$dir" && exec timeout 50 python3 "$here/msrp_peer.py" "${connect[@]}" \
        --pf-path-file remote.pfpath --my-path "msrp://127.0.0.1:$remote_msrp/sremote1;tcp" \
        --message-id rmsg0001 --send remote.msg --received remote.received --log remote.peer.log \
        --timeout 30 --linger 1 >remote.peer.out 2>&1) &
    local remote_peer=$!
    pids+=("$remote_peer")
    wait_bound "$pf_port" && wait_bound "$remote_port" && wait_tcp "$msrp_port" ||
        fail "a process did not start"
    if [ "$setup" = passive ]; then wait_tcp "$remote_msrp" || fail "the remote's MSRP peer did not start"; fi
    (cd "$dir" && exec timeout 50 python3 "$here/msrp_peer.py" --connect \
        --pf-path-file client.pfpath --my-path "msrp://127.0.0.1:9/sclient1;tcp" \
        --message-id cmsg0001 --send client.msg --received client.received --log client.peer.log \
        --timeout 30 "${peer_flags[@]}" >client.peer.out 2>&1) &
    local client_peer=$!
    pids+=("$client_peer")
    # Two strangers on the PF's MSRP listener: one that sends nothing, one whose first request
    # names no leg. Each writes how long the PF kept its connection open.
    (cd "$dir" && exec timeout 20 python3 - "$msrp_port" >stray.out 2>&1 <<'PY'
import socket, sys, threading, time
port = int(sys.argv[1])
def stray(name, data):
    s = socket.create_connection(("127.0.0.1", port), timeout=15)
    t = time.monotonic()
    if data:
        s.sendall(data)
    try:
        closed = s.recv(1) == b""
    except OSError:
        closed = True
    print(f"{name} closed={closed} after={time.monotonic() - t:.1f}", flush=True)
silent = threading.Thread(target=stray, args=("silent", b""))
silent.start()
stray("unknown", b"MSRP x1y2z3w4 SEND\r\nTo-Path: msrp://127.0.0.1:%d/nobody;tcp\r\n"
      b"From-Path: msrp://127.0.0.1:9/x;tcp\r\nMessage-ID: stray001\r\n-------x1y2z3w4$\r\n" % port)
silent.join()
PY
    ) &
    local stray_pid=$!
    pids+=("$stray_pid")

    local client_rc=0 remote_rc=0 pf_rc=0 cpeer_rc=0 rpeer_rc=0
    (cd "$dir" && exec timeout 60 sipp -sf "$here/msrp.client.xml" "127.0.0.1:$pf_port" \
        -p "$client_port" -mp $((p + 15)) "${sipp_common[@]}" >client.out 2>&1) || client_rc=$?
    wait "$remote_pid" || remote_rc=$?
    wait "$pf_pid" || pf_rc=$?
    wait "$client_peer" || cpeer_rc=$?
    wait "$remote_peer" || rpeer_rc=$?
    wait "$stray_pid" || fail "the strangers' script failed"
    pids=()
    [ "$client_rc" = 0 ] || fail "SIPp client exited $client_rc"
    [ "$remote_rc" = 0 ] || fail "SIPp remote exited $remote_rc"
    [ "$pf_rc" = 0 ] || fail "pf_udp exited $pf_rc"
    [ "$cpeer_rc" = 0 ] || fail "the client's MSRP peer exited $cpeer_rc"
    [ "$rpeer_rc" = 0 ] || fail "the remote's MSRP peer exited $rpeer_rc"
    touch "$log" "$dir/client.peer.log" "$dir/remote.peer.log"
}

# Both directions relayed byte for byte, chunk for chunk.
check_relay() {
    cmp -s "$dir/client.msg" "$dir/remote.received" || fail "the remote did not receive the client's bytes"
    [ "$(chunks "$dir/client.peer.log" sent)" = "$(chunks "$dir/remote.peer.log" got)" ] ||
        fail "the client's chunks did not reach the remote as sent"
    # The answers to the client's chunks came from the PF; each chunk answered 200.
    [ "$(grep -c '^got 200 ' "$dir/client.peer.log")" = 3 ] || fail "the client's 3 chunks were not all answered 200"
    [ "$(grep -c '^answered 200 ' "$dir/remote.peer.log")" = 3 ] || fail "the remote did not answer 3 chunks"
    ls "$dir"/store/*cmsg0001*.eml >/dev/null 2>&1 || fail "the client's message is not stored"
    grep -qF 'Trois morceaux' "$dir"/store/*cmsg0001*.eml 2>/dev/null || fail "the stored client message lacks its text"
}

report() {
    if [ "$ok" = 1 ]; then
        echo "  ok"
        return
    fi
    for f in pf.log pf.err client.peer.log remote.peer.log client.peer.out remote.peer.out; do
        [ -s "$dir/$f" ] || continue
        echo "  --- $f"; tail -n 40 "$dir/$f" | sed 's/^/  | /'
    done
    for f in "$dir"/*errors.log "$dir"/*.out; do
        [ -s "$f" ] || continue
        echo "  --- $(basename "$f")"; { tail -n 20 "$f"; echo; } | sed 's/^/  | /'
    done
    echo "  --- store"; ls "$dir/store" | sed 's/^/  | /'
}

case_relay() {
    run relay passive -- --check-store store
    check_relay
    cmp -s "$dir/remote.msg" "$dir/client.received" || fail "the client did not receive the remote's bytes"
    [ "$(chunks "$dir/remote.peer.log" sent)" = "$(chunks "$dir/client.peer.log" got)" ] ||
        fail "the remote's chunks did not reach the client as sent"
    [ "$(grep -c '^got 200 ' "$dir/remote.peer.log")" = 3 ] || fail "the remote's 3 chunks were not all answered 200"
    [ "$(grep -c '^answered 200 ' "$dir/client.peer.log")" = 3 ] || fail "the client did not answer 3 chunks"
    # Before the client answered: its own message stored, the remote's not yet.
    grep -qx 'check own-stored=yes other-stored=no' "$dir/client.peer.log" ||
        fail "when the remote's message arrived, the client's was not stored or the remote's already was"
    ls "$dir"/store/*rmsg0001*.eml >/dev/null 2>&1 || fail "the remote's message is not stored after delivery"
    grep -qF 'in drei St' "$dir"/store/*rmsg0001*.eml 2>/dev/null || fail "the stored remote message lacks its text"
    expect_order "== store chat-message cmsg0001" "== store chat-message rmsg0001"
    # Connections that name no leg are closed: at once for a To-Path of no call, after the 5 s
    # bound for one that sends nothing; neither reaches a session.
    grep -qE '^unknown closed=True after=0\.[0-9]$' "$dir/stray.out" ||
        fail "a connection whose To-Path names no leg was not closed at once"
    grep -qE '^silent closed=True after=(4\.[5-9]|5\.[0-9]|6\.[0-9])$' "$dir/stray.out" ||
        fail "a connection that sends nothing was not closed after about 5 s"
    ! grep -q stray001 "$log" || fail "a stranger's request reached a session"
    expect_order "== store chat-message rmsg0001" "<- client BYE"
}

case_no_answer() {
    run no-answer active --msrp-timeout 2 -- --no-answer --linger 4
    check_relay
    [ "$(grep -c '^got SEND .* rmsg0001 ' "$dir/client.peer.log")" = 3 ] || fail "the client did not get the remote's 3 chunks"
    ! grep -q '^answered' "$dir/client.peer.log" || fail "the client answered"
    grep -q 'rmsg0001.*not delivered\|not delivered.*rmsg0001' "$log" ||
        fail "the action log does not report the remote's message as not delivered"
    ! grep -qF '== store chat-message rmsg0001' "$log" || fail "the undelivered message was stored"
    ! ls "$dir"/store/*rmsg0001* >/dev/null 2>&1 || fail "a file was stored for the undelivered message"
}

all=(relay no-answer)
selected=("$@")
[ "${#selected[@]}" -gt 0 ] || selected=("${all[@]}")
for name in "${selected[@]}"; do
    case "$name" in
        relay) case_relay ;;
        no-answer) case_no_answer ;;
        *) echo "unknown case $name (known: ${all[*]})" >&2; exit 2 ;;
    esac
    report
done

conclude "MSRP over TCP" "all ${#selected[@]} passed"
