#!/usr/bin/env bash
# Faults: pf_udp's own transactions when a peer does not answer, with SIPp on 127.0.0.1 only.
#
# One pf_udp runs with --t1 50 (RFC 3261 T1 of 50 ms: Timers B, F and J are 64 x T1 = 3.2 s).
#   no-answer       the client's INVITE is relayed to a remote that receives it and never
#                   answers. Passes when the remote received the PF's INVITE again (Timer A: at
#                   least 5 copies in 3.2 s), the client got 408 (SIPp checks it and ACKs), the
#                   action log says why, and pf_udp then holds no call.
#   peer-vanishes   a call is established, then the remote exits. The client's BYE is relayed,
#                   the PF's BYE times out (Timer F), the session is told (`@ timeout remote
#                   BYE`), answers the client's BYE (SIPp checks the 200) and terminates; pf_udp
#                   then holds no call.
# Bounded: `timeout` around SIPp, SIPp's own -timeout, waits of a few seconds; processes are
# stopped by their PIDs. Usage: bash tests/sipp/faults.sh. KEEP=1 keeps the work directory.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
. "$here/lib.sh"

need_tools sip-tester sipp
build_pf

start_work faults

# Ports below the ephemeral range (32768 and up), where a client socket could hold one.
base=$((30000 + ($$ % 50) * 50))
pf_port=$base client_port=$((base + 1)) remote_port=$((base + 2))

cd "$work"
"$pf_bin" --listen "127.0.0.1:$pf_port" --remote "127.0.0.1:$remote_port" --kind one-to-one \
    --t1 50 --log pf.log 2>pf.err &
pf_pid=$!
pids+=("$pf_pid")
wait_bound "$pf_port"

# sipp_pair NAME: the remote (uas) in the background, the client calling; both must exit 0.
sipp_pair() {
    local name="$1" common=(-i 127.0.0.1 -m 1 -timeout 20s -timeout_error -nostdin -trace_err -trace_msg)
    mkdir -p "$name"
    (cd "$name" && exec timeout 30 sipp -sf "$here/$name.remote.xml" -p "$remote_port" \
        -mp $((base + 10)) "${common[@]}" >remote.out 2>&1) &
    local remote_pid=$!
    pids+=("$remote_pid")
    wait_bound "$remote_port"
    local client_rc=0 remote_rc=0
    (cd "$name" && exec timeout 30 sipp -sf "$here/$name.client.xml" "127.0.0.1:$pf_port" \
        -p "$client_port" -mp $((base + 20)) "${common[@]}" >client.out 2>&1) || client_rc=$?
    wait "$remote_pid" || remote_rc=$?
    [ "$client_rc" = 0 ] || fail "SIPp client exited $client_rc"
    [ "$remote_rc" = 0 ] || fail "SIPp remote exited $remote_rc"
}

# drained: pf_udp frees the call once Timer J (3.2 s here) has run out.
drained() {
    wait_drained pf.err 8 || fail "pf_udp still holds $(held pf.err) call(s)"
}

report() {
    local name="$1"
    if [ "$ok" = 1 ]; then echo "  ok"; return; fi
    echo "  --- pf.log"; sed 's/^/  | /' pf.log
    echo "  --- pf.err"; tail -n 20 pf.err | sed 's/^/  | /'
    for f in "$name"/*.out "$name"/*errors.log; do
        [ -s "$f" ] && { echo "  --- $f"; tail -n 20 "$f" | sed 's/^/  | /'; }
    done
}

echo "== no-answer (the remote never answers the PF's INVITE)"
ok=1
sipp_pair no-answer
invites="$(cat no-answer/*_messages.log 2>/dev/null | grep -c '^INVITE sip:' || true)"
echo "  the remote received the PF's INVITE $invites time(s)"
[ "$invites" -ge 5 ] || fail "the PF did not retransmit its INVITE (Timer A)"
grep -q "the remote leg never answered the INVITE; answered 408" pf.log ||
    fail "the action log does not say the INVITE was answered 408"
drained
report no-answer

echo "== peer-vanishes (the remote exits after the ACK; the PF's BYE is never answered)"
ok=1
sipp_pair peer-vanishes
for line in "<- client BYE" "-> remote BYE" "@ timeout remote BYE" "-> client 200 BYE" "== terminated"; do
    sed 's/^ *//' pf.log | grep -qxF -- "$line" || fail "action log lacks: $line"
done
drained
report peer-vanishes

kill "$pf_pid"
wait "$pf_pid" 2>/dev/null || true
pids=()
conclude faults "all 2 passed"
