#!/usr/bin/env bash
# Scale-out: two pf_udp PFs behind Kamailio, sharing one Redis; one is killed mid-run (issue 17).
#
# On 127.0.0.1 only:
#   SIPp uac (built-in) --> Kamailio (dispatcher) --> pf_udp "pfa" | pf_udp "pfb" --> Kamailio --> SIPp uas
#   both PFs save their calls in one Redis (--state) and store into one Dovecot (--imap).
# Kamailio (scaleout.kamailio.cfg) picks the PF by a hash of the Call-ID (the PFs' own
# remote-leg Call-IDs carry the client's, so both legs of a call hash alike), probes the PFs
# with OPTIONS every second, and fails a request over to the other PF when the first does not
# answer in time. The PFs write Kamailio's second socket as their Via sent-by, so the answers
# to their requests come back through Kamailio too, to the PF the same hash picks now: the
# answer to a request of the dead PF reaches the one that took its calls over. Every datagram a
# PF sends goes through Kamailio (--outbound), and it sends nothing of an input before the call
# is saved.
#
# SCALE_CALLS calls (default 500) at SCALE_RATE calls/s (default 50) of a file transfer: INVITE,
# 200, ACK, a pause, the client's BYE, relayed; the PF stores the File Transfer History object
# before it answers. Half way through, pfa is killed with SIGKILL. Passes when:
#   - SIPp's uac counts SCALE_CALLS successful calls and 0 failed ones, and both SIPp runs exit 0;
#   - both PFs handled calls before the kill and pfb restored calls of pfa's from Redis after it;
#   - the Message Store holds exactly one File Transfer History object per call: SCALE_CALLS
#     messages, SCALE_CALLS distinct Message-IDs (nothing lost, nothing stored twice);
#   - every Redis key left expires.
# Bounded: `timeout` around every process, bounded waits, SIPp's own -timeout; processes stopped
# by PID. Usage: bash tests/sipp/scaleout.sh. KEEP=1 keeps the work directory.
# Needs sipp, kamailio, redis-server, and what tests/imap/dovecot.sh installs.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
. "$here/lib.sh"
# dovecot_start / dovecot_stop; its own trap is not installed: cleanup below stops Dovecot.
. "$root/tests/imap/dovecot.sh"

need_tools "sip-tester, kamailio and redis-server" sipp kamailio redis-server redis-cli
calls="${SCALE_CALLS:-500}"
rate="${SCALE_RATE:-50}"
build_pf

start_work scaleout
cleanup_more() {
    [ -s "$work/kamailio.pid" ] && kill "$(cat "$work/kamailio.pid")" 2>/dev/null
    dovecot_stop
}

# Ports below the ephemeral range (32768 and up), where a client socket could hold one.
base=$((30000 + ($$ % 50) * 50))
front=$base replies=$((base + 1)) pfa=$((base + 2)) pfb=$((base + 3))
uac=$((base + 4)) uas=$((base + 5)) redis_port=$((base + 6))

cd "$work"
mkdir -p kamailio
start_redis "$redis_port"
dovecot_start

# Set 1 tries pfa first, set 2 pfb first (the highest priority first, algorithm 8).
cat >dispatcher.list <<EOF
1 sip:127.0.0.1:$pfa 0 2
1 sip:127.0.0.1:$pfb 0 1
2 sip:127.0.0.1:$pfb 0 2
2 sip:127.0.0.1:$pfa 0 1
EOF
sed -e "s/@FRONT@/$front/g" -e "s/@REPLIES@/$replies/g" -e "s/@NEXT_HOP@/$uas/g" \
    -e "s/@PF1@/$pfa/g" -e "s/@PF2@/$pfb/g" -e "s|@WORK@|$work|g" \
    "$here/scaleout.kamailio.cfg" >kamailio.cfg
kamailio -c -f kamailio.cfg >kamailio-check.log 2>&1 || {
    cat kamailio-check.log
    echo "scaleout: kamailio refuses its configuration" >&2
    exit 1
}
# Daemonized (fork=yes); its PID file lets cleanup stop it.
kamailio -f kamailio.cfg -P "$work/kamailio.pid" -Y "$work/kamailio" -m 64 -M 8 -E >kamailio.log 2>&1
wait_bound "$front"

mailbox="Default/sip:service@127.0.0.1:$front"
pf_flags=(--contact "127.0.0.1:$front" --via "127.0.0.1:$replies" --outbound "127.0.0.1:$front"
    --remote "127.0.0.1:$uas" --kind file-transfer --prefs allow-offline-storage
    --imap "imap://pf:secret@127.0.0.1:$DOVECOT_PORT" --state "redis://127.0.0.1:$redis_port")
"$pf_bin" --listen "127.0.0.1:$pfa" --instance pfa "${pf_flags[@]}" --log pfa.log 2>pfa.err &
pfa_pid=$!
pids+=("$pfa_pid")
"$pf_bin" --listen "127.0.0.1:$pfb" --instance pfb "${pf_flags[@]}" --log pfb.log 2>pfb.err &
pids+=($!)
wait_bound "$pfa"
wait_bound "$pfb"
sleep 2 # Kamailio's first probes find both PFs up

seconds=$((calls / rate + 60))
echo "== $calls calls at $rate calls/s through Kamailio and two PFs; pfa killed half way"
timeout "$seconds" sipp -sn uas -i 127.0.0.1 -p "$uas" -mp $((base + 10)) -m "$calls" \
    -nostdin -timeout "${seconds}s" -timeout_error -trace_err >uas.out 2>&1 &
uas_pid=$!
pids+=("$uas_pid")
wait_bound "$uas"
uac_rc=0 uas_rc=0
start=$SECONDS
timeout "$seconds" sipp -sn uac "127.0.0.1:$front" -i 127.0.0.1 -p "$uac" -mp $((base + 20)) \
    -r "$rate" -m "$calls" -d 1000 -nostdin -timeout "${seconds}s" -timeout_error -trace_err \
    -trace_stat -fd 1 >uac.out 2>&1 &
uac_pid=$!
pids+=("$uac_pid")
sleep "$(awk -v c="$calls" -v r="$rate" 'BEGIN { print c / r / 2 }')"
handled_before="$(grep -c '^<- client INVITE' pfa.log || true) $(grep -c '^<- client INVITE' pfb.log || true)"
kill -KILL "$pfa_pid"
wait "$pfa_pid" 2>/dev/null || true
echo "  pfa killed after $((SECONDS - start)) s; calls begun by pfa and pfb until then: $handled_before"
wait "$uac_pid" || uac_rc=$?
wait "$uas_pid" || uas_rc=$?
echo "  SIPp done after $((SECONDS - start)) s"

# SIPp's statistics file (-trace_stat): the last line's cumulated counters.
stat="$(ls -t uac_*_.csv 2>/dev/null | head -n 1 || true)"
column() { awk -F';' -v name="$1" 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == name) c = i } END { print $c }' "$stat"; }
if [ -z "$stat" ]; then
    fail "SIPp wrote no statistics"
else
    succeeded="$(column SuccessfulCall\(C\))" failed="$(column FailedCall\(C\))"
    echo "  SIPp uac: $succeeded successful, $failed failed"
    [ "$succeeded" = "$calls" ] || fail "SIPp counts $succeeded successful calls, not $calls"
    [ "$failed" = 0 ] || fail "SIPp counts $failed failed calls"
fi
[ "$uac_rc" = 0 ] || fail "SIPp uac exited $uac_rc"
[ "$uas_rc" = 0 ] || fail "SIPp uas exited $uas_rc"
read -r before_a before_b <<<"$handled_before"
[ "$before_a" -gt 0 ] && [ "$before_b" -gt 0 ] || fail "the calls were not shared out: $handled_before"
restored="$(grep -c 'restored from --state' pfb.log || true)"
echo "  pfb restored $restored call(s) from Redis"
[ "$restored" -gt 0 ] || fail "pfb took over no call of pfa's"

# The Message Store: one object per call, each once.
python3 - "$DOVECOT_PORT" "$mailbox" "$calls" <<'EOF' || fail "the Message Store does not hold one object per call"
import sys
from imapclient import IMAPClient
port, mailbox, calls = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
with IMAPClient("127.0.0.1", port=port, ssl=False, timeout=10) as imap:
    imap.login("pf", "secret")
    imap.select_folder(mailbox, readonly=True)
    uids = imap.search("ALL")
    ids = [d[b"ENVELOPE"].message_id for d in imap.fetch(uids, ["ENVELOPE"]).values()]
print(f"  imap: {len(uids)} object(s) in {mailbox}, {len(set(ids))} distinct Message-IDs")
sys.exit(0 if len(uids) == calls and len(set(ids)) == calls else 1)
EOF
for key in $(rcli --scan --pattern 'cpm-pf:*'); do
    ttl="$(rcli ttl "$key")"
    [ "$ttl" -gt 0 ] || fail "Redis keeps $key without an expiry (TTL $ttl)"
done
echo "  Redis after the run: $(rcli --scan --pattern 'cpm-pf:*' | wc -l) key(s), each expiring"

if [ "$failures" -gt 0 ]; then
    for f in pfa.err pfb.err uac.out uas.out kamailio.log *errors.log; do
        [ -s "$f" ] && { echo "  --- $f"; tail -n 25 "$f" | sed 's/^/  | /'; }
    done
fi
conclude scaleout "passed in $((SECONDS - start)) s"
