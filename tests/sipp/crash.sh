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
# Bounded: `timeout` around SIPp, bounded polls, every process stopped by its PID.
# Usage: bash tests/sipp/crash.sh [crash|takeover]. Needs sipp, redis-server, and what
# dovecot.sh installs. KEEP=1 keeps the work directory.
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
ok=1
fail() {
    echo "  FAIL: $*"
    failures=$((failures + 1))
    ok=0
}

cd "$work"
mkdir -p redis
redis-server --port "$redis_port" --bind 127.0.0.1 --dir "$work/redis" --save '' \
    --appendonly no --logfile "$work/redis/redis.log" &
redis_pid=$!
pids+=("$redis_pid")
for _ in $(seq 50); do
    [ "$(redis-cli -p "$redis_port" ping 2>/dev/null)" = PONG ] && break
    sleep 0.1
done
rcli() { redis-cli -p "$redis_port" "$@"; }

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

all=(crash takeover)
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
        *) echo "unknown scenario $name (known: ${all[*]})" >&2; exit 2 ;;
    esac
    report
    pids=("$redis_pid") # every other process of the scenario was waited for
done

kill "$redis_pid"
wait "$redis_pid" 2>/dev/null || true
pids=()
if [ "$failures" -gt 0 ]; then
    echo "crash: $failures check(s) failed"
    exit 1
fi
echo "crash: all ${#selected[@]} passed"
