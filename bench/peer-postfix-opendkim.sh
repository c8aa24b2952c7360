#!/usr/bin/env bash
# The performance peer of `bench/run`: the classic stack ninsho replaces.
#
#   smtp-source ──SMTP 127.0.0.1:2525──▶ Postfix ──milter 127.0.0.1:8891──▶ OpenDKIM (RSA-2048)
#                                        Postfix queue (durable) ──SMTP 127.0.0.1:2526──▶ smtp-sink
#
# A private Postfix instance (its own config and queue directory, nothing
# under /etc changed) relays N newsletter-sized messages, each signed by an
# OpenDKIM milter for the author domain, to smtp-sink. The clock runs from
# the first message injected to the last one Postfix delivered to the sink.
# Prints `postfix+opendkim: N msgs in S s = R msg/s` and stops everything it
# started, also on error or Ctrl-C.
#
# Root. Needs postfix, opendkim, opendkim-tools and (for VERIFY=1)
# python3-dkim; `bench/run` installs them without starting their services.
# Knobs: N (20000) messages, CONC (50) parallel SMTP sessions, MSG_KB (8)
# message size, VERIFY (1: first check that a few signed messages verify
# with dkimpy, and that a changed body does not), WORK (scratch directory
# outside /tmp, removed at the end), TIMEOUT (900 s per run).
set -euo pipefail

N=${N:-20000}
CONC=${CONC:-50}
MSG_KB=${MSG_KB:-8}
VERIFY=${VERIFY:-1}
TIMEOUT=${TIMEOUT:-900}
domain=news.example.test
selector=s1
in_port=2525
sink_port=2526
milter_port=8891

say() { echo "peer: $*" >&2; }
fail() { say "$*"; exit 1; }

[ "$(id -u)" = 0 ] || fail "run as root (Postfix and OpenDKIM drop to their own accounts)"
for tool in postfix postconf postqueue opendkim opendkim-genkey smtp-sink smtp-source ss; do
    command -v "$tool" >/dev/null || fail "$tool is missing (apt-get install postfix opendkim opendkim-tools)"
done
if [ "$VERIFY" = 1 ]; then
    /usr/bin/python3 -c 'import dkim' 2>/dev/null || fail "dkimpy is missing (apt-get install python3-dkim)"
fi

listening() { ss -Hltn "sport = :$1" | grep -q .; }
for port in $in_port $sink_port $milter_port; do
    ! listening "$port" || fail "port $port is taken"
done

# Not under /tmp: OpenDKIM refuses a key in a directory others may write.
work=${WORK:-$(mktemp -d /var/lib/ninsho-peer.XXXXXX)}
mkdir -p "$work"/{keys,dump,etc,spool,data,log}
chmod 755 "$work"
sink_pid=''
postfix_up=no

stop_everything() {
    set +e
    [ -n "$sink_pid" ] && kill "$sink_pid" 2>/dev/null && wait "$sink_pid" 2>/dev/null
    sink_pid=''
    if [ "$postfix_up" = yes ]; then
        postfix -c "$work/etc" stop >/dev/null 2>&1
        postfix_up=no
    fi
    if [ -f "$work/opendkim.pid" ]; then
        kill "$(cat "$work/opendkim.pid")" 2>/dev/null
        rm -f "$work/opendkim.pid"
    fi
    # Neither lets go of its port at once; the next start needs them free.
    for _ in $(seq 100); do
        listening $in_port || listening $milter_port || listening $sink_port || break
        sleep 0.1
    done
    set -e
}
trap 'stop_everything; rm -rf "$work"' EXIT
trap 'exit 130' INT TERM

# The signing key and its DNS record.
opendkim-genkey -b 2048 -h sha256 -d "$domain" -s "$selector" -D "$work/keys"
chown -R opendkim:opendkim "$work/keys"
chmod 700 "$work/keys"
chown nobody "$work/dump"

# One multipart/alternative newsletter of about MSG_KB KB: a text part with
# a line per story and an HTML table of stories, lines well under 998 octets.
message=$work/message.eml
{
    printf 'From: "Example Weekly" <news@%s>\n' "$domain"
    printf 'To: <reader@dest.example.test>\n'
    printf 'Subject: Example Weekly: this week in review\n'
    printf 'Date: %s\n' "$(LC_ALL=C date -R)"
    printf 'Message-ID: <weekly.bench@%s>\n' "$domain"
    printf 'MIME-Version: 1.0\n'
    printf 'List-Unsubscribe: <https://%s/u/0123456789abcdef>, <mailto:leave@%s>\n' "$domain" "$domain"
    printf 'List-Unsubscribe-Post: List-Unsubscribe=One-Click\n'
    printf 'Content-Type: multipart/alternative; boundary="part"\n\n'
    printf -- '--part\nContent-Type: text/plain; charset=utf-8\n\n'
    for story in $(seq 1 20); do
        printf 'Story %d: what happened, in two lines of plain text. More: https://%s/s/%d\n' "$story" "$domain" "$story"
    done
    printf -- '\n--part\nContent-Type: text/html; charset=utf-8\n\n<!DOCTYPE html>\n<html><body><table width="100%%">\n'
} > "$message"
story=1
while [ "$(stat -c %s "$message")" -lt $((MSG_KB * 1024 - 200)) ]; do
    printf '<tr><td style="padding:12px;font-family:sans-serif;font-size:15px;color:#333"><h2>Story %d</h2><p>What happened this week, told in a paragraph that is about as long as a real one in a newsletter. <a href="https://%s/s/%d">Read on</a></p></td></tr>\n' \
        "$story" "$domain" "$story" >> "$message"
    story=$((story + 1))
done
printf '</table>\n<p><a href="https://%s/u/0123456789abcdef">Unsubscribe</a></p></body></html>\n--part--\n' "$domain" >> "$message"
say "message of $(stat -c %s "$message") bytes"

cat > "$work/opendkim.conf" <<EOF
Mode                s
Domain              $domain
Selector            $selector
KeyFile             $work/keys/$selector.private
Canonicalization    relaxed/relaxed
SignatureAlgorithm  rsa-sha256
Socket              inet:$milter_port@127.0.0.1
UserID              opendkim:opendkim
PidFile             $work/opendkim.pid
Background          yes
Syslog              no
EOF

# The private Postfix: relays everything to the sink, looks nothing up in
# DNS, writes its log to a file (no syslog needed).
cat > "$work/etc/main.cf" <<EOF
compatibility_level = 3.6
queue_directory = $work/spool
data_directory = $work/data
myhostname = mta.$domain
mydomain = $domain
mydestination =
local_recipient_maps =
alias_maps =
alias_database =
inet_interfaces = loopback-only
inet_protocols = ipv4
mynetworks = 127.0.0.0/8
smtpd_relay_restrictions = permit_mynetworks reject
relayhost = [127.0.0.1]:$sink_port
smtp_dns_support_level = disabled
smtp_host_lookup = native
smtpd_peername_lookup = no
smtpd_milters = inet:127.0.0.1:$milter_port
non_smtpd_milters = \$smtpd_milters
milter_default_action = tempfail
maillog_file = $work/log/maillog
EOF
# Debian's services, with the SMTP server on our port and no chroot (a
# chroot would need copies of files from /etc).
awk -v listen="127.0.0.1:$in_port" '
    /^[#[:space:]]/ || NF < 8 { print; next }
    $1 == "smtp" && $2 == "inet" { $1 = listen }
    { $5 = "n"; print }
' /etc/postfix/master.cf > "$work/etc/master.cf"
chown postfix:postfix "$work/data"

start_services() {
    opendkim -x "$work/opendkim.conf" || fail "OpenDKIM did not start"
    for _ in $(seq 50); do listening $milter_port && break; sleep 0.1; done
    listening $milter_port || fail "OpenDKIM did not start"
    postfix -c "$work/etc" start >/dev/null 2>&1 || fail "Postfix did not start (see $work/log/maillog)"
    postfix_up=yes
    for _ in $(seq 50); do listening $in_port && break; sleep 0.1; done
    listening $in_port || fail "Postfix did not listen on $in_port"
}

start_sink() {
    # -u: drop to nobody; -m: sessions at once; extra options (a dump dir) after.
    smtp-sink -u nobody -m 1024 "$@" "127.0.0.1:$sink_port" 1024 2>>"$work/log/sink" &
    sink_pid=$!
    for _ in $(seq 50); do listening $sink_port && return; sleep 0.1; done
    fail "smtp-sink did not start"
}

inject() {
    smtp-source -d -s "$CONC" -m "$1" -M "client.$domain" -f "news@$domain" \
        -t "reader@dest.example.test" -F "$message" "127.0.0.1:$in_port"
}

# Messages Postfix has handed to the sink so far.
delivered() { grep -c ' status=sent ' "$work/log/maillog" 2>/dev/null || true; }

wait_for() {
    local want=$1 deadline=$((SECONDS + TIMEOUT))
    while [ "$(delivered)" -lt "$want" ]; do
        [ $SECONDS -lt $deadline ] || fail "only $(delivered) of $want delivered in $TIMEOUT s (see $work/log/maillog)"
        sleep 0.05
    done
}

if [ "$VERIFY" = 1 ]; then
    start_services
    start_sink -d "$work/dump/%M."
    inject 3
    wait_for 3
    stop_everything
    # The sink writes its own lines and a Received header first; the
    # message as signed starts at the signature.
    /usr/bin/python3 - "$work/keys/$selector.txt" "$work/dump" <<'EOF' >&2 || fail "the peer's signatures do not verify"
import pathlib, re, sys, dkim

record = "".join(re.findall(r'"([^"]*)"', pathlib.Path(sys.argv[1]).read_text())).encode()
def dns(name, timeout=5):
    return record if name.startswith(b"s1._domainkey.news.example.test") else None

dumps = [p for p in pathlib.Path(sys.argv[2]).iterdir() if p.is_file()]
assert dumps, "the sink kept no message"
for path in dumps:
    raw = path.read_bytes().replace(b"\r\n", b"\n")
    start = raw.find(b"DKIM-Signature:")
    assert start >= 0, f"{path.name}: not signed"
    message = raw[start:].replace(b"\n", b"\r\n")
    assert dkim.verify(message, dnsfunc=dns), f"{path.name}: signature does not verify"
    assert not dkim.verify(message.replace(b"Story 3", b"Story 4", 1), dnsfunc=dns), f"{path.name}: a changed body verifies"
print(f"peer: {len(dumps)} signed messages verify with dkimpy; a changed body does not")
EOF
    : > "$work/log/maillog"
fi

start_services
start_sink
sync
start=$(date +%s.%N)
inject "$N" > "$work/log/source" 2>&1 || say "smtp-source: exit $? ($(tail -n 3 "$work/log/source"))"
wait_for "$N"
end=$(date +%s.%N)
stop_everything
awk -v n="$N" -v a="$start" -v b="$end" \
    'BEGIN { s = b - a; printf "postfix+opendkim: %d msgs in %.2f s = %.1f msg/s\n", n, s, n / s }'
