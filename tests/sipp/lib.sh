# Helpers shared by tests/sipp/load.sh, faults.sh, crash.sh and msrp.sh (sourced, not run).
# They expect $root (the repository) and an array `pids` that the caller's cleanup kills.

# Builds the example; sets pf_bin.
build_pf() {
    echo "== cargo build --example pf_udp --features rsip,serde"
    (cd "$root" && cargo build --quiet --example pf_udp --features rsip,serde)
    pf_bin="${CARGO_TARGET_DIR:-$root/target}/debug/examples/pf_udp"
}

# Waits (at most 5 s) until something listens on UDP port $1 of 127.0.0.1.
wait_bound() {
    local hex
    hex="$(printf '0100007F:%04X' "$1")"
    for _ in $(seq 50); do
        grep -q " $hex " /proc/net/udp 2>/dev/null && return 0
        sleep 0.1
    done
    echo "nothing listens on 127.0.0.1:$1" >&2
    return 1
}

# Waits (at most 5 s) until something listens on TCP port $1 of 127.0.0.1.
wait_tcp() {
    local hex
    hex="$(printf '0100007F:%04X' "$1")"
    for _ in $(seq 50); do
        grep -q " $hex 00000000:0000 0A " /proc/net/tcp 2>/dev/null && return 0
        sleep 0.1
    done
    echo "nothing listens on TCP 127.0.0.1:$1" >&2
    return 1
}

# Memory of process $1 in kB: its anonymous resident pages (RssAnon: the heap and stacks, not
# the pages of its program file), or another line of /proc/PID/status named by $2 (VmHWM: the peak).
rss_kb() { awk -v k="${2:-RssAnon}:" '$1 == k { print $2 }' "/proc/$1/status"; }

# The last `holding N calls` count pf_udp wrote to $1 (its standard error), or nothing.
held() { sed -n 's/^pf_udp: holding \([0-9]*\) calls.*/\1/p' "$1" | tail -n 1; }

# Waits at most $2 seconds until pf_udp (standard error in $1) says it holds no call.
wait_drained() {
    local err="$1" limit="$2" i
    for ((i = 0; i < limit * 10; i++)); do
        [ "$(held "$err")" = 0 ] && return 0
        sleep 0.1
    done
    return 1
}
