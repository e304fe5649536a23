# Helpers shared by the scripts of tests/sipp/ (sourced, not run). They expect $root (the
# repository); start_work sets up $work, the `pids` its cleanup kills, and `fail`.

# Builds the example; sets pf_bin.
build_pf() {
    echo "== cargo build --example pf_udp --features rsip,serde"
    (cd "$root" && cargo build --quiet --example pf_udp --features rsip,serde)
    pf_bin="${CARGO_TARGET_DIR:-$root/target}/debug/examples/pf_udp"
}

# Waits (at most 5 s) until a line of the kernel's socket table $1 (/proc/net/udp, /proc/net/tcp)
# holds $2; otherwise says that nothing listens on $3.
wait_socket() {
    for _ in $(seq 50); do
        grep -q "$2" "$1" 2>/dev/null && return 0
        sleep 0.1
    done
    echo "nothing listens on $3" >&2
    return 1
}

# Waits (at most 5 s) until something listens on UDP port $1 of 127.0.0.1.
wait_bound() { wait_socket /proc/net/udp " $(printf '0100007F:%04X' "$1") " "127.0.0.1:$1"; }

# Waits (at most 5 s) until something listens on TCP port $1 of 127.0.0.1.
wait_tcp() { wait_socket /proc/net/tcp " $(printf '0100007F:%04X' "$1") 00000000:0000 0A " "TCP 127.0.0.1:$1"; }

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

# need_tools "PACKAGES" TOOL...: exits 2, naming the Debian PACKAGES, when a TOOL is missing.
need_tools() {
    local packages="$1" tool
    shift
    for tool in "$@"; do
        if ! command -v "$tool" >/dev/null 2>&1; then
            echo "$tool not found: install the Debian packages $packages" >&2
            exit 2
        fi
    done
}

# start_work NAME: a temp work directory ($work) and an EXIT trap (cleanup) that stops every PID
# in `pids`, runs the script's own `cleanup_more` when it defines one, and removes $work (KEEP=1
# keeps it). Also the failure count and `fail`, which every script reports the same way.
start_work() {
    work="$(mktemp -d "${TMPDIR:-/tmp}/cpm-pf-$1.XXXXXX")"
    pids=()
    trap cleanup EXIT
    trap 'exit 130' INT TERM
}
cleanup() {
    for pid in "${pids[@]+"${pids[@]}"}"; do
        kill "$pid" 2>/dev/null || true
    done
    wait 2>/dev/null || true
    if declare -F cleanup_more >/dev/null; then cleanup_more || true; fi
    if [ "${KEEP:-0}" = 1 ]; then echo "work directory kept: $work"; else rm -rf "$work"; fi
}
failures=0
ok=1
fail() {
    echo "  FAIL: $*"
    failures=$((failures + 1))
    ok=0
}
# conclude LABEL VERDICT: a script's last line, the same for every script: how many checks
# failed (and exit 1), or VERDICT.
conclude() {
    if [ "$failures" -gt 0 ]; then
        echo "$1: $failures check(s) failed (KEEP=1 keeps the work directory)"
        exit 1
    fi
    echo "$1: $2"
}

# start_redis PORT: Debian's redis-server on 127.0.0.1:PORT, in $work/redis, persisting nothing;
# returns once it answers (at most 5 s). Sets redis_pid (also in `pids`); rcli runs redis-cli on it.
start_redis() {
    redis_port="$1"
    mkdir -p "$work/redis"
    redis-server --port "$redis_port" --bind 127.0.0.1 --dir "$work/redis" --save '' \
        --appendonly no --logfile "$work/redis/redis.log" &
    redis_pid=$!
    pids+=("$redis_pid")
    for _ in $(seq 50); do
        [ "$(redis-cli -p "$redis_port" ping 2>/dev/null)" = PONG ] && return 0
        sleep 0.1
    done
    echo "redis-server on 127.0.0.1:$redis_port does not answer" >&2
    return 1
}
rcli() { redis-cli -p "$redis_port" "$@"; }
