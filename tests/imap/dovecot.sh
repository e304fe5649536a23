# Starts Dovecot (Debian's dovecot-imapd) on 127.0.0.1 for a test, with a throwaway
# configuration under a temp dir. Source it, call `dovecot_start` (it sets DOVECOT_PORT and
# DOVECOT_WORK; user: any name, password `secret`) and make sure `dovecot_stop` runs when the
# script exits (e.g. `trap dovecot_stop EXIT`): it stops Dovecot by its PID and removes the
# dir. Installs dovecot-imapd and Python's imapclient when they are missing.

dovecot_stop() {
    if [ -n "${DOVECOT_WORK:-}" ] && [ -f "$DOVECOT_WORK/run/master.pid" ]; then
        kill "$(cat "$DOVECOT_WORK/run/master.pid")" 2>/dev/null || true
        for _ in $(seq 50); do [ -f "$DOVECOT_WORK/run/master.pid" ] || break; sleep 0.1; done
    fi
    [ -n "${DOVECOT_WORK:-}" ] && rm -rf "$DOVECOT_WORK"
    DOVECOT_WORK=""
}

dovecot_start() {
    if ! command -v dovecot >/dev/null 2>&1; then
        apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y dovecot-imapd
    fi
    if ! python3 -c "import imapclient" >/dev/null 2>&1; then
        python3 -m pip install --quiet imapclient
    fi

    DOVECOT_WORK="$(mktemp -d)"
    chmod 755 "$DOVECOT_WORK"
    # A free port on the loopback, chosen by the kernel.
    DOVECOT_PORT="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
    mkdir -p "$DOVECOT_WORK/run" "$DOVECOT_WORK/state" "$DOVECOT_WORK/mail" "$DOVECOT_WORK/home" "$DOVECOT_WORK/objects"
    chown dovecot:dovecot "$DOVECOT_WORK/mail" "$DOVECOT_WORK/home"
    cat > "$DOVECOT_WORK/dovecot.conf" <<EOF
base_dir = $DOVECOT_WORK/run
state_dir = $DOVECOT_WORK/state
log_path = $DOVECOT_WORK/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
mail_location = maildir:$DOVECOT_WORK/mail/%u:LAYOUT=fs
default_internal_user = dovecot
default_internal_group = dovecot
default_login_user = dovenull
first_valid_uid = 1
passdb {
  driver = static
  args = password=secret
}
userdb {
  driver = static
  args = uid=dovecot gid=dovecot home=$DOVECOT_WORK/home/%u
}
service imap-login {
  inet_listener imap {
    address = 127.0.0.1
    port = $DOVECOT_PORT
  }
  inet_listener imaps {
    port = 0
  }
}
namespace inbox {
  inbox = yes
  separator = /
}
EOF
    dovecot -c "$DOVECOT_WORK/dovecot.conf"
    for _ in $(seq 50); do
        if python3 -c "import socket; socket.create_connection(('127.0.0.1', $DOVECOT_PORT), 1)" 2>/dev/null; then
            return 0
        fi
        sleep 0.1
    done
    echo "dovecot did not listen on 127.0.0.1:$DOVECOT_PORT" >&2
    cat "$DOVECOT_WORK/dovecot.log" >&2 || true
    return 1
}
