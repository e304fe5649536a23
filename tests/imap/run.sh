#!/usr/bin/env bash
# The Message Store objects cpm-pf renders, checked in a real IMAP server (issue 16, MS-1 … MS-8).
#
# Starts Dovecot (Debian's dovecot-imapd) on 127.0.0.1 with a throwaway configuration under a
# temp dir, has the scenario runner store every object of tests/imap/scenarios/*.scn (every
# object kind, in both profiles) with `replay --store-dir`, and checks each object in the server
# with tests/imap/check.py: APPEND, BODY[] byte for byte, ENVELOPE, SEARCH HEADER, SORT (DATE).
# Dovecot is stopped by its PID whatever happens. Installs what it needs when it is missing.
set -euo pipefail
cd "$(dirname "$0")/../.."

. tests/imap/dovecot.sh
trap dovecot_stop EXIT
dovecot_start
work="$DOVECOT_WORK"
port="$DOVECOT_PORT"

cargo build --quiet --features cli --bin replay
dirs=()
for scn in tests/imap/scenarios/*.scn; do
    name="$(basename "$scn" .scn)"
    mkdir -p "$work/objects/$name"
    "${CARGO_TARGET_DIR:-target}/debug/replay" --check --store-dir "$work/objects/$name" "$scn"
    dirs+=("$work/objects/$name")
done
python3 tests/imap/check.py 127.0.0.1 "$port" pf-user secret "${dirs[@]}"
