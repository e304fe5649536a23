#!/usr/bin/env bash
# Crash: a call survives pf_udp being killed, through its --state in Redis (issue 17).
#
# On 127.0.0.1: Redis (Debian's redis-server, in a temp dir, no persistence), Dovecot as the
# Message Store (tests/imap/dovecot.sh), SIPp as the client and the remote of a file transfer
# (crash.client.xml, crash.remote.xml), and pf_udp three times on the same port and state:
#   1. pf_udp #1 relays the INVITE; once the call is established it is killed with SIGKILL.
#   2. pf_udp #2 starts, loads the call from Redis, gets the client's BYE, relays it, gets the
#      remote's 200, stores the File Transfer History object in Dovecot, and exits right after
#      the store (--exit-after-store): the object is stored, the state saved says it is not.
#   3. pf_udp #3 starts on that state: it sends its BYE again (Timer E, restored), the remote
#      answers it again, the session stores again, which finds the stored object by its
#      Message-ID instead of storing it twice, and the client's BYE is answered with its UID.
# Passes when both SIPp runs exit 0 (the client got 200 OK with a Message-UID, the remote got
# the BYE), the action logs show each step in the process that did it, the Message Store holds
# exactly one object, the one whose UID the client got (imap_check.py), --store-dir holds
# exactly one file, and Redis keeps the call only with an expiry.
# Bounded: `timeout` around SIPp, bounded polls, every process stopped by its PID.
# Usage: bash tests/sipp/crash.sh. Needs sipp, redis-server, and what dovecot.sh installs.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
. "$here/lib.sh"
# dovecot_start / dovecot_stop; its own trap is not installed: cleanup below stops Dovecot.
. "$root/tests/imap/dovecot.sh"

for tool in sipp redis-server redis-cli; do
    if ! command -v "$tool" >/dev/null 2>&1; then
        echo "$tool not found: install the Debian packages sip-tester and redis-server" >&2
        exit 2
    fi
done
build_pf

work="$(mktemp -d "${TMPDIR:-/tmp}/cpm-pf-crash.XXXXXX")"
pids=()
cleanup() {
    for pid in "${pids[@]+"${pids[@]}"}"; do
        kill "$pid" 2>/dev/null || true
    done
    wait 2>/dev/null || true
    dovecot_stop || true
    if [ "${KEEP:-0}" = 1 ]; then echo "work directory kept: $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

base=$((40000 + ($$ % 100) * 50))
pf_port=$base client_port=$((base + 1)) remote_port=$((base + 2)) redis_port=$((base + 3))
failures=0
fail() {
    echo "  FAIL: $*"
    failures=$((failures + 1))
}

cd "$work"
mkdir -p redis objects
redis-server --port "$redis_port" --bind 127.0.0.1 --dir "$work/redis" --save '' \
    --appendonly no --logfile "$work/redis/redis.log" &
redis_pid=$!
pids+=("$redis_pid")
dovecot_start
for _ in $(seq 50); do
    [ "$(redis-cli -p "$redis_port" ping 2>/dev/null)" = PONG ] && break
    sleep 0.1
done
rcli() { redis-cli -p "$redis_port" "$@"; }

pf_flags=(--listen "127.0.0.1:$pf_port" --remote "127.0.0.1:$remote_port" --kind file-transfer
    --prefs allow-offline-storage --imap "imap://pf:secret@127.0.0.1:$DOVECOT_PORT"
    --store-dir "$work/objects" --state "redis://127.0.0.1:$redis_port" --instance pf-a)
start_pf() { # start_pf N [FLAGS...]: pf_udp #N, its log pfN.log; sets pf_pid
    local n="$1"
    shift
    "$pf_bin" "${pf_flags[@]}" --log "pf$n.log" "$@" 2>"pf$n.err" &
    pf_pid=$!
    pids+=("$pf_pid")
    wait_bound "$pf_port"
}
# Lines of a log without their indentation, checked to be there.
expect() {
    local log="$1" line
    shift
    for line in "$@"; do
        sed 's/^ *//' "$log" | grep -qxF -- "$line" || fail "$log lacks: $line"
    done
}

echo "== crash (pf_udp killed while the call is established, then exiting between store and save)"
sipp_common=(-i 127.0.0.1 -m 1 -timeout 45s -timeout_error -nostdin -trace_err -trace_logs)
start_pf 1
(exec timeout 60 sipp -sf "$here/crash.remote.xml" -p "$remote_port" -mp $((base + 10)) \
    "${sipp_common[@]}" >remote.out 2>&1) &
remote_pid=$!
pids+=("$remote_pid")
wait_bound "$remote_port"
(exec timeout 60 sipp -sf "$here/crash.client.xml" "127.0.0.1:$pf_port" -p "$client_port" \
    -mp $((base + 20)) "${sipp_common[@]}" >client.out 2>&1) &
client_pid=$!
pids+=("$client_pid")

# 1. Established: pf_udp #1 relayed the 200 OK (and saved the call); then SIGKILL.
for _ in $(seq 50); do
    grep -q "the remote leg answered 200; relayed" pf1.log 2>/dev/null && break
    sleep 0.1
done
sleep 0.2 # the client's ACK
kill -KILL "$pf_pid"
wait "$pf_pid" 2>/dev/null || true
saved="$(rcli --scan --pattern 'cpm-pf:call:*' | wc -l) $(rcli --scan --pattern 'cpm-pf:alias:*' | wc -l)"
echo "  pf_udp #1 killed; Redis holds $saved call and alias key(s)"
[ "$saved" = "1 1" ] || fail "Redis holds $saved call and alias keys, expected 1 1"

# 2. pf_udp #2: loads the call, handles the BYE, exits right after the store.
start_pf 2 --exit-after-store
pf2_rc=0
for _ in $(seq 250); do kill -0 "$pf_pid" 2>/dev/null || break; sleep 0.1; done
wait "$pf_pid" || pf2_rc=$?
echo "  pf_udp #2 exited $pf2_rc"
[ "$pf2_rc" = 9 ] || fail "pf_udp #2 exited $pf2_rc, not 9 (after the store)"

# 3. pf_udp #3: carries the call to its end.
start_pf 3
client_rc=0 remote_rc=0
wait "$client_pid" || client_rc=$?
wait "$remote_pid" || remote_rc=$?
[ "$client_rc" = 0 ] || fail "SIPp client exited $client_rc"
[ "$remote_rc" = 0 ] || fail "SIPp remote exited $remote_rc"

folder="conversation:sip:bob@example.com" mailbox="Default/sip:bob@example.com"
uid="$(cat crash.client_*_logs.log 2>/dev/null | sed -n 's/^.*Message-UID: \([0-9][0-9]*\)$/\1/p' | head -n 1)"
expect pf1.log "<- client INVITE"
expect pf2.log "<- client BYE" "-> remote BYE" "<- remote 200 BYE" "== store ft-history in $folder"
grep -q "^# call [0-9]*: restored from --state" pf2.log || fail "pf2.log: the call was not restored"
grep -q "^# --exit-after-store: exiting after storing ft-history" pf2.log || fail "pf2.log: no exit after the store"
grep -q "^# call [0-9]*: restored from --state" pf3.log || fail "pf3.log: the call was not restored"
if [ -z "$uid" ]; then
    fail "SIPp client logged no Message-UID"
else
    echo "  the client's 200 OK: Message-UID: $uid"
    expect pf3.log "<- remote 200 BYE" "== store ft-history in $folder" "@ stored ft-history uid=$uid" \
        "-> client 200 BYE | Message-UID: $uid" "== terminated"
    python3 "$here/imap_check.py" "$DOVECOT_PORT" pf secret "$mailbox" "$uid" ||
        fail "the Message Store does not hold exactly the object the client was told of"
fi
files="$(find objects -type f | wc -l)"
echo "  --store-dir: $files file(s): $(cd objects && ls -A | tr '\n' ' ')"
[ "$files" = 1 ] || fail "--store-dir holds $files files, expected 1"
for key in $(rcli --scan --pattern 'cpm-pf:*'); do
    ttl="$(rcli ttl "$key")"
    [ "$ttl" -gt 0 ] || fail "Redis keeps $key without an expiry (TTL $ttl)"
done
echo "  Redis after the call: $(rcli --scan --pattern 'cpm-pf:*' | wc -l) key(s), each expiring"

kill "$pf_pid" "$redis_pid"
wait "$pf_pid" "$redis_pid" 2>/dev/null || true
pids=()
if [ "$failures" -gt 0 ]; then
    for f in pf1.log pf2.log pf3.log pf1.err pf2.err pf3.err client.out remote.out *errors.log; do
        [ -s "$f" ] && { echo "  --- $f"; tail -n 25 "$f" | sed 's/^/  | /'; }
    done
    echo "crash: $failures check(s) failed"
    exit 1
fi
echo "crash: passed"
