# postfix.sh: the Postfix + OpenDKIM peer of Leak's benchmarks, sourced by
# bench.sh and compare.sh (not run on its own). Postfix relays to the sink
# on port $sink through two OpenDKIM milters in a row, RSA-2048 and
# Ed25519 with Leak's own keys ($work/dkim), as Leak signs twice: OpenDKIM
# 2.11 signs with one algorithm per instance (SignatureAlgorithm).
#
# Needs from the sourcing script: $work, $LL (leak-load), $sink, the
# children array and wait_port. start_postfix sets pf_conf, pf_port,
# pf_addr, pf_pids (master and milters, for RSS), pf_version, odk_version
# and pf_label.

# start_opendkim NAME ALGORITHM SELECTOR: one signing milter, listening on
# the Unix socket $work/opendkim-NAME/sock, as Debian's opendkim package
# sets it up. (Over loopback TCP, libmilter's small writes meet Nagle's
# algorithm and delayed ACKs: about 140 ms per message at any load, which
# capped Postfix at 65 msgs/s with 10 sessions.)
start_opendkim() {
  local dir=$work/opendkim-$1
  mkdir -p "$dir"
  chown opendkim "$dir"
  install -o opendkim -m 600 "$work/dkim/$3.key" "$dir/key"
  echo "key leak.example:$3:$dir/key" >"$dir/keytable"
  echo "* key" >"$dir/signingtable"
  cat >"$dir/opendkim.conf" <<EOF
Syslog no
Mode s
Socket local:$dir/sock
UMask 000
Canonicalization relaxed/relaxed
SignatureAlgorithm $2
KeyTable file:$dir/keytable
SigningTable refile:$dir/signingtable
RequireSafeKeys no
UserID opendkim
PidFile $dir/pid
EOF
  opendkim -x "$dir/opendkim.conf" -f >"$dir/log" 2>&1 &
  odk_pids+=("$!")
  children+=("$!")
  local i
  for i in $(seq 300); do [ -S "$dir/sock" ] && return; sleep 0.1; done
  echo "opendkim $1 did not create $dir/sock; its log:" >&2
  cat "$dir/log" >&2
  exit 1
}

# start_postfix: Postfix relaying to the sink through two OpenDKIM milters.
start_postfix() {
  local pf=$work/postfix
  pf_conf=$pf/conf
  read -r pf_port < <("$LL" ports 1)
  odk_pids=()
  start_opendkim rsa rsa-sha256 leak-rsa
  start_opendkim ed ed25519-sha256 leak-ed
  mkdir -p "$pf_conf" "$pf/queue" "$pf/data"
  chown postfix "$pf/data"
  cat >"$pf_conf/main.cf" <<EOF
compatibility_level = 3.6
queue_directory = $pf/queue
data_directory = $pf/data
mail_owner = postfix
setgid_group = postdrop
myhostname = postfix.bench.invalid
mydomain = bench.invalid
myorigin = bench.invalid
mydestination =
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
mynetworks = 127.0.0.0/8
alias_maps =
alias_database =
local_recipient_maps =
maillog_file = $pf/maillog
maillog_file_prefixes = $work
smtpd_peername_lookup = no
smtpd_client_connection_count_limit = 0
relayhost = [127.0.0.1]:$sink
smtp_tls_security_level = none
smtpd_milters = unix:$work/opendkim-rsa/sock, unix:$work/opendkim-ed/sock
milter_default_action = tempfail
EOF
  # master.cf: the services the benchmarks use, none chrooted, as the
  # daemon's Postfix tests run them; then the smtpd under test.
  {
    echo "127.0.0.1:$pf_port inet n - n - - smtpd"
    cat cmd/leakd/testdata/postfix-services.cf
  } >"$pf_conf/master.cf"
  if ! postfix -c "$pf_conf" start >/dev/null 2>&1; then
    echo "postfix start failed; its log:" >&2
    tail -20 "$pf/maillog" >&2 2>/dev/null || true
    exit 1
  fi
  wait_port "$pf_port"
  pf_addr=127.0.0.1:$pf_port
  pf_pids="$(tr -d ' ' <"$pf/queue/pid/master.pid"),${odk_pids[0]},${odk_pids[1]}"
  pf_version=$(postconf -c "$pf_conf" -h mail_version)
  odk_version=$(opendkim -V | sed -n 's/.*OpenDKIM Filter v\([^ ]*\).*/\1/p')
  pf_label="Postfix $pf_version + OpenDKIM $odk_version"
}

