#!/usr/bin/env bash
# Load: SIPp's built-in uac -> pf_udp -> SIPp's built-in uas, on 127.0.0.1 only.
#
# LOAD_CALLS calls (default 20000) at LOAD_RATE calls/s (default 400), each an INVITE, its 200
# and ACK, then a BYE from the caller relayed by the PF. Passes when:
#   - both SIPp runs exit 0 and the caller's final statistics count LOAD_CALLS successful calls
#     and 0 failed ones (SIPp also fails a call on an unexpected message or a timeout);
#   - pf_udp then frees every call: its `holding N calls` line on standard error reaches 0
#     within 64 x T1 (Timer J, 32 s) and a margin;
#   - its resident memory (VmRSS) after that is within RSS_SLACK_KB (default 2048) of what it
#     was before the first call. The slack is for what a process keeps once it has served
#     (allocator arenas it does not give back, pages of code first touched by the run); a call
#     held is ~2 kB, so 2 MB is ~1000 calls, under 3 s of this load: a leak of even 1 call in
#     20 would show.
# Bounded: SIPp's own -timeout, `timeout` around every process, bounded waits; each process is
# stopped by its PID. Usage: bash tests/sipp/load.sh. KEEP=1 keeps the work directory.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
. "$here/lib.sh"

if ! command -v sipp >/dev/null 2>&1; then
    echo "sipp not found: install the Debian package sip-tester" >&2
    exit 2
fi
calls="${LOAD_CALLS:-20000}"
rate="${LOAD_RATE:-400}"
slack="${RSS_SLACK_KB:-2048}"
build_pf

work="$(mktemp -d "${TMPDIR:-/tmp}/cpm-pf-load.XXXXXX")"
pids=()
cleanup() {
    for pid in "${pids[@]+"${pids[@]}"}"; do
        kill "$pid" 2>/dev/null || true
    done
    wait 2>/dev/null || true
    if [ "${KEEP:-0}" = 1 ]; then echo "work directory kept: $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

base=$((30000 + ($$ % 100) * 50))
pf_port=$base uac_port=$((base + 1)) uas_port=$((base + 2))
failures=0
fail() {
    echo "  FAIL: $*"
    failures=$((failures + 1))
}

# The time the calls take at this rate, plus SIPp's last retransmissions and a margin.
seconds=$((calls / rate + 60))
echo "== $calls calls at $rate calls/s through pf_udp (at most ${seconds}s)"
cd "$work"
"$pf_bin" --listen "127.0.0.1:$pf_port" --remote "127.0.0.1:$uas_port" \
    --kind one-to-one --log /dev/null 2>pf.err &
pf_pid=$!
pids+=("$pf_pid")
timeout "$seconds" sipp -sn uas -i 127.0.0.1 -p "$uas_port" -mp $((base + 10)) -m "$calls" \
    -nostdin -timeout "${seconds}s" -timeout_error -trace_screen -trace_err >uas.out 2>&1 &
uas_pid=$!
pids+=("$uas_pid")
wait_bound "$pf_port"
wait_bound "$uas_port"
sleep 1
before="$(rss_kb "$pf_pid")"
uac_rc=0 uas_rc=0
start=$SECONDS
timeout "$seconds" sipp -sn uac "127.0.0.1:$pf_port" -i 127.0.0.1 -p "$uac_port" -mp $((base + 20)) \
    -r "$rate" -m "$calls" -nostdin -timeout "${seconds}s" -timeout_error -trace_screen -trace_err \
    >uac.out 2>&1 || uac_rc=$?
wait "$uas_pid" || uas_rc=$?
echo "  SIPp done in $((SECONDS - start)) s"
[ "$uac_rc" = 0 ] || fail "SIPp uac exited $uac_rc"
[ "$uas_rc" = 0 ] || fail "SIPp uas exited $uas_rc"

# The caller's final screen: `Successful call | periodic | cumulative`.
count() { sed -n "s/^ *$1 *| *[0-9]* *| *\([0-9]*\).*/\1/p" uac_*_screen.log | tail -n 1; }
ok_calls="$(count 'Successful call')"
failed_calls="$(count 'Failed call')"
# The Retrans column of the last screen: what each side sent again (uac) or received again (uas).
retrans() { awk '$2 ~ /^(-+>|<-+)$/ && $3 ~ /^[0-9]+$/ { n += $4 } END { print n + 0 }' "$@"; }
echo "  SIPp uac: ${ok_calls:-?} successful, ${failed_calls:-?} failed;" \
    "retransmissions: $(retrans uac_*_screen.log) at the uac, $(retrans uas_*_screen.log) at the uas"
[ "$ok_calls" = "$calls" ] || fail "SIPp counts ${ok_calls:-no} successful calls, not $calls"
[ "$failed_calls" = 0 ] || fail "SIPp counts ${failed_calls:-an unknown number of} failed calls"

peak="$(rss_kb "$pf_pid" VmHWM)"
echo "  pf_udp: held $(held pf.err) calls when SIPp ended; waiting for Timer J (32 s) to free them"
if wait_drained pf.err 45; then
    sleep 1.5 # the allocator's trimming follows the frees
    after="$(rss_kb "$pf_pid")"
    echo "  pf_udp memory: ${before} kB before, ${peak} kB at the peak, ${after} kB after (slack ${slack} kB)"
    [ "$after" -le $((before + slack)) ] || fail "pf_udp kept $((after - before)) kB after every call was freed"
else
    fail "pf_udp still holds $(held pf.err) calls 45 s after the last one"
fi
cpu="$(awk '{ print $14 + $15 }' "/proc/$pf_pid/stat")"
echo "  pf_udp CPU: $((cpu * 10)) ms for $calls calls ($(echo "scale=2; $cpu * 10 / $calls" | bc) ms a call, debug build)"
kill "$pf_pid"
wait "$pf_pid" 2>/dev/null || true
pids=()

if [ "$failures" -gt 0 ]; then
    for f in uac.out uas.out pf.err; do
        echo "  --- $f"; tail -n 30 "$f" | sed 's/^/  | /'
    done
    for f in *errors.log; do
        [ -s "$f" ] && { echo "  --- $f"; tail -n 20 "$f" | sed 's/^/  | /'; }
    done
    echo "load: $failures check(s) failed"
    exit 1
fi
echo "load: passed"
