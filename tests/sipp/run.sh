#!/usr/bin/env bash
# SIPp against the pf_udp example, on 127.0.0.1 only.
#
# For each scenario NAME, three processes talk SIP over UDP on loopback:
#   NAME.client.xml  SIPp as the served CPM Client
#   pf_udp           the example: a B2BUA embedding cpm-pf, one session per dialog
#   NAME.remote.xml  SIPp as the remote CPM entity (the CF of a group, or the other user's PF)
# One of the two SIPp peers sends the INVITE to the PF (uac), the other receives the PF's (uas).
# The test passes when both SIPp runs exit 0 (every expected message arrived, every check in
# the XML held), the example exits 0 after its call, and its action log holds the expected
# lines (written by cpm_pf::script::render_action, as in scenario files) in the expected order.
#
# file-transfer-imap also runs Dovecot on 127.0.0.1 (tests/imap/dovecot.sh) as the Message Store
# of pf_udp --imap, and checks with Python's imapclient what was stored there.
#
# Usage: bash tests/sipp/run.sh [NAME...]     (default: every scenario)
# Needs sipp (Debian package sip-tester) and cargo; file-transfer-imap needs dovecot-imapd and
# imapclient, which dovecot.sh installs when missing. KEEP=1 keeps the work directory.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"

. "$here/lib.sh"
need_tools sip-tester sipp
build_pf

# dovecot_start / dovecot_stop; its own trap is not installed: cleanup below stops Dovecot.
. "$root/tests/imap/dovecot.sh"

start_work sipp
# By its PID; nothing to do (and a non-zero status) when it was not started.
cleanup_more() { dovecot_stop; }

# Ports: a block of 20 per scenario (SIPp also binds RTP echo ports from its -mp port up), from
# a base below the usual ephemeral range that differs between concurrent runs.
base=$((10000 + ($$ % 200) * 100))
index=0

log=""

# The log's lines without their indentation.
log_lines() { sed 's/^ *//' "$log"; }

# The number of the first log line that is exactly $1 (after indentation), or nothing.
line_of() { log_lines | grep -nxF -- "$1" | head -n 1 | cut -d: -f1 || true; }

expect() {
    local line
    for line in "$@"; do
        [ -n "$(line_of "$line")" ] || fail "action log lacks: $line"
    done
}

reject() {
    local line
    for line in "$@"; do
        [ -z "$(line_of "$line")" ] || fail "action log has: $line"
    done
}

# expect_order A B: the first A comes before the first B.
expect_order() {
    local a b
    a="$(line_of "$1")"
    b="$(line_of "$2")"
    if [ -z "$a" ] || [ -z "$b" ] || [ "$a" -ge "$b" ]; then fail "expected '$1' before '$2'"; fi
}

# run NAME CALLER PF-FLAGS...: runs one scenario, CALLER (client or remote) sending the INVITE;
# the checks follow the call.
run() {
    local name="$1" caller="$2"
    shift 2
    local dir="$work/$name"
    local p=$((base + index * 20))
    index=$((index + 1))
    local pf_port=$p
    declare -A port=([client]=$((p + 1)) [remote]=$((p + 2)))
    declare -A media=([client]=$((p + 10)) [remote]=$((p + 15)))
    local callee=client
    [ "$caller" = client ] && callee=remote
    mkdir -p "$dir"
    log="$dir/pf.log"
    ok=1
    echo "== $name (the $caller calls; pf_udp $*)"

    # -trace_logs: what the scenarios' <log> actions say, in *_logs.log.
    local sipp_common=(-i 127.0.0.1 -m 1 -timeout 30s -timeout_error -nostdin -trace_err -trace_logs)
    (cd "$dir" && exec timeout 60 "$pf_bin" --listen "127.0.0.1:$pf_port" \
        --remote "127.0.0.1:${port[remote]}" --client "127.0.0.1:${port[client]}" \
        --log pf.log --calls 1 "$@" 2>pf.err) &
    local pf_pid=$!
    pids+=("$pf_pid")
    (cd "$dir" && exec timeout 60 sipp -sf "$here/$name.$callee.xml" -p "${port[$callee]}" \
        -mp "${media[$callee]}" "${sipp_common[@]}" >"$callee.out" 2>&1) &
    local callee_pid=$!
    pids+=("$callee_pid")
    wait_bound "$pf_port" && wait_bound "${port[$callee]}" || fail "a process did not start"

    local caller_rc=0 callee_rc=0 pf_rc=0
    (cd "$dir" && exec timeout 60 sipp -sf "$here/$name.$caller.xml" "127.0.0.1:$pf_port" \
        -p "${port[$caller]}" -mp "${media[$caller]}" "${sipp_common[@]}" >"$caller.out" 2>&1) ||
        caller_rc=$?
    wait "$callee_pid" || callee_rc=$?
    wait "$pf_pid" || pf_rc=$?
    pids=() # all three were waited for: their ids may be reused from now on
    [ "$caller_rc" = 0 ] || fail "SIPp $caller exited $caller_rc"
    [ "$callee_rc" = 0 ] || fail "SIPp $callee exited $callee_rc"
    [ "$pf_rc" = 0 ] || fail "pf_udp exited $pf_rc"
    touch "$log"
}

# Shows what the processes said when a scenario failed.
report() {
    local name="$1" dir="$work/$1"
    if [ "$ok" = 1 ]; then
        echo "  ok"
        return
    fi
    echo "  --- pf.log"; sed 's/^/  | /' "$dir/pf.log"
    echo "  --- pf.err"; sed 's/^/  | /' "$dir/pf.err" 2>/dev/null || true
    for f in "$dir"/*errors.log "$dir"/*.out "$dir"/dovecot.log; do
        [ -s "$f" ] || continue
        echo "  --- $(basename "$f")"; { tail -n 30 "$f"; echo; } | sed 's/^/  | /'
    done
}

scenario_client_leaves() {
    # Branch 1: the user leaves (cause 200). BYE-1c, Reason propagation, BYE-1d, BYE-1e.
    run client-leaves client --kind one-to-one
    local reason='Reason: SIP ;cause=200 ;text="Call completed elsewhere"'
    expect "<- client BYE | $reason" "== release-media client" "-> remote BYE | $reason" \
        "<- remote 200 BYE" "-> client 200 BYE" "== release-media remote" "== terminated"
    expect_order "<- remote 200 BYE" "-> client 200 BYE"
}

scenario_remote_ends_group() {
    # Branch 2: the CF ends the group for good (cause 410), recorded. BYE-2b before BYE-2a, BYE-2d.
    run remote-ends-group client --kind group --prefs allow-offline-storage
    local reason='Reason: SIP;cause=410;text="Gone"'
    local store='== store session-info in session-history:0a1b2c3d-4e5f-6071-8293-a4b5c6d7e8f9'
    expect "<- remote BYE | $reason" "$store" "-> client BYE | $reason" "<- client 200 BYE" \
        "-> remote 200 BYE" "== terminated"
    expect_order "$store" "-> client BYE | $reason"
    expect_order "<- client 200 BYE" "-> remote 200 BYE"
}

scenario_connection_loss() {
    # Branch 4 in a group with allow-defer: the PF answers at once and stays (BYE-4i, 4ii, 4iii),
    # until the CF ends the group (branch 2 without a client leg).
    run connection-loss client --kind group --prefs allow-defer
    expect '<- client BYE | Reason: SIP;cause=503;text="Service Unavailable"' "-> client 200 BYE" \
        "== release-media client" "-> remote SUBSCRIBE | Event: conference" "== intercept on" \
        '<- remote BYE | Reason: SIP;cause=410;text="Gone"' "-> remote 200 BYE" "== terminated"
    expect_order "-> client 200 BYE" '<- remote BYE | Reason: SIP;cause=410;text="Gone"'
    reject "-> remote BYE" '-> remote BYE | Reason: SIP;cause=503;text="Service Unavailable"' "-> client BYE"
}

scenario_session_timer() {
    # ST-0, ST-2, ST-6: Session-Expires 90 from the INVITE, never refreshed. Expiry at
    # 90 - min(32, 90/3) = 60 s of session time, 2 s of real time at --time-scale 30.
    run session-timer client --kind one-to-one --time-scale 30
    expect "-> client BYE" "-> remote BYE" "<- client 200 BYE" "<- remote 200 BYE" \
        "== release-media client" "== release-media remote" "== terminated"
    # Not before 60 s of session time, and well before 90 s.
    grep -qE '^# session deadline reached (6|7)[0-9] s after the INVITE$' "$log" ||
        fail "the session timer did not expire between 60 s and 80 s"
}

scenario_remote_starts() {
    # Terminating side: the remote invites the served user (8.3 dispatch), then ends the session
    # for inactivity (480, branch 2): BYE-2a with the Reason, BYE-2d.
    run remote-starts remote --kind one-to-one
    local reason='Reason: SIP;cause=480;text="Temporarily Unavailable"'
    expect "== route session-invitation" "<- remote INVITE" "<- remote BYE | $reason" \
        "-> client BYE | $reason" "<- client 200 BYE" "-> remote 200 BYE" "== terminated"
    expect_order "<- client 200 BYE" "-> remote 200 BYE"
}

scenario_file_transfer_imap() {
    # FT-1, FT-1c with a real Message Store: the client ends a file transfer; the PF stores the
    # File Transfer History object in Dovecot (CREATE, APPEND) before it answers, and the 200 OK
    # carries the UID Dovecot assigned (APPENDUID) as Message-UID.
    dovecot_start
    run file-transfer-imap client --kind file-transfer --prefs allow-offline-storage \
        --imap "imap://pf:secret@127.0.0.1:$DOVECOT_PORT"
    local dir="$work/file-transfer-imap" uid
    local folder="conversation:sip:bob@example.com" mailbox="Default/sip:bob@example.com"
    # A conversation folder is taken to exist (no create-folder): pf_udp creates the mailbox
    # when the server refuses the APPEND for want of it (TRYCREATE).
    expect "<- client BYE" "-> remote BYE" "<- remote 200 BYE" "== store ft-history in $folder" \
        "== terminated"
    # The UID the client received, as SIPp logged it (<log message="Message-UID: [$uid]"/>).
    uid="$(cat "$dir"/file-transfer-imap.client_*_logs.log 2>/dev/null |
        sed -n 's/^.*Message-UID: \([0-9][0-9]*\)$/\1/p' | head -n 1)"
    if [ -z "$uid" ]; then
        fail "SIPp client logged no Message-UID"
    else
        echo "  the client's 200 OK: Message-UID: $uid"
        expect "@ stored ft-history uid=$uid" "-> client 200 BYE | Message-UID: $uid"
        expect_order "@ stored ft-history uid=$uid" "-> client 200 BYE | Message-UID: $uid"
        python3 "$here/imap_check.py" "$DOVECOT_PORT" pf secret "$mailbox" "$uid" ||
            fail "the Message Store does not hold exactly the object the client was told of"
    fi
    cp "$DOVECOT_WORK/dovecot.log" "$dir/dovecot.log" 2>/dev/null || true
    dovecot_stop
}

all=(client-leaves remote-ends-group connection-loss session-timer remote-starts file-transfer-imap)
selected=("$@")
[ "${#selected[@]}" -gt 0 ] || selected=("${all[@]}")
for name in "${selected[@]}"; do
    case "$name" in
        client-leaves) scenario_client_leaves ;;
        remote-ends-group) scenario_remote_ends_group ;;
        connection-loss) scenario_connection_loss ;;
        session-timer) scenario_session_timer ;;
        remote-starts) scenario_remote_starts ;;
        file-transfer-imap) scenario_file_transfer_imap ;;
        *) echo "unknown scenario $name (known: ${all[*]})" >&2; exit 2 ;;
    esac
    report "$name"
done

conclude "SIPp scenarios" "all ${#selected[@]} passed"
