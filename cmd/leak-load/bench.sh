#!/usr/bin/env bash
# Leak's load benchmark, and the same job done by Postfix + OpenDKIM, on
# this machine's loopback interface. Prints a markdown table for the README.
# compare.sh, next to it, is issue 13's harness: a connection per message
# (Postfix's smtp-source) and reuse, the default (OpenSSL) and purego builds, and
# Postfix + OpenDKIM, medians of 3, with ratios and latency at half peak.
#
#   cmd/leak-load/bench.sh
#
# Runs, one after the other so that they never compete for the CPU:
#   1. Leak, smarthost mode to a sink: N messages of SIZE octets over C
#      sessions (policies relaxed so no limit throttles; fsync and dual DKIM
#      signing on, as always).
#   2. Leak's memory: MEM_C sessions each sending 20 MiB messages, MEM_N in
#      all, the relay's RSS sampled every 100 ms.
#   3. Postfix relaying the same N messages to the same sink, signed by two
#      OpenDKIM milters (RSA-2048 and Ed25519, with Leak's own keys).
#      Postfix and OpenDKIM are installed with apt-get if missing.
#
# Settings (environment): N=20000 C=50 SIZE=2048 MEM_N=300 MEM_C=100
# MEM_SIZE=20971520 RUN_LIMIT=900 (seconds per run), MEM_ATTACH=FILE (the
# memory run's messages carry this real photo or document instead of the
# JPEG-shaped filler), SKIP_THROUGHPUT=1, SKIP_MEMORY=1, SKIP_POSTFIX=1, KEEP=1 (keep the work directory), OUT=FILE (also write
# the table there), WORKERS=N (delivery.workers; default: leakd's),
# TAGS=... (build tags of leakd; TAGS=purego for Go's RSA signer instead of
# OpenSSL's libcrypto).
# Needs root for Postfix (postfix start) and Linux (/proc).
set -euo pipefail
cd "$(dirname "$0")/../.."

N=${N:-20000}
C=${C:-50}
SIZE=${SIZE:-2048}
MEM_N=${MEM_N:-300}
MEM_C=${MEM_C:-100}
MEM_SIZE=${MEM_SIZE:-20971520}
RUN_LIMIT=${RUN_LIMIT:-900}
OUT=${OUT:-/dev/null}

work=$(mktemp -d /tmp/leak-bench.XXXXXX)
# Postfix's and OpenDKIM's unprivileged processes must reach their files.
chmod 755 "$work"
bin=$work/bin
children=()   # processes this script started, stopped on exit
pf_conf=""
notes=()

log() { printf '== %s\n' "$*" >&2; }

cleanup() {
  set +e
  if [ -n "$pf_conf" ] && [ -f "$work/postfix/queue/pid/master.pid" ]; then
    postfix -c "$pf_conf" stop >/dev/null 2>&1
    for _ in $(seq 50); do
      [ -f "$work/postfix/queue/pid/master.pid" ] || break
      kill -0 "$(tr -d ' ' <"$work/postfix/queue/pid/master.pid")" 2>/dev/null || break
      sleep 0.1
    done
  fi
  for p in "${children[@]}"; do
    kill "$p" 2>/dev/null
  done
  for p in "${children[@]}"; do
    wait "$p" 2>/dev/null
  done
  if [ "${KEEP:-}" = 1 ]; then
    log "work directory kept: $work"
  else
    rm -rf "$work"
  fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# wait_port PORT: until something listens on 127.0.0.1:PORT (30 s at most).
wait_port() {
  for _ in $(seq 300); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; then
      return 0
    fi
    sleep 0.1
  done
  echo "nothing listens on 127.0.0.1:$1" >&2
  return 1
}

log "building leakd and leak-load"
mkdir -p "$bin"
# A cgo build signs RSA with OpenSSL's libcrypto, several times faster
# than Go (relay/sign/openssl.go); TAGS=purego to compare.
TAGS=${TAGS-}
go build -tags "$TAGS" -o "$bin/leakd" ./cmd/leakd
go build -o "$bin/leak-load" ./cmd/leak-load
LL=$bin/leak-load

# One set of DKIM keys for every run: Leak's, which OpenDKIM uses too, so
# that one records file verifies both relays' signatures.
mkdir -p "$work/dkim"
printf 'domain: leak.example\ndata_dir: %s/keys\ndkim:\n  key_dir: %s/dkim\n' "$work" "$work" >"$work/keys.yaml"
"$bin/leakd" dkim keygen --config "$work/keys.yaml" >/dev/null
"$bin/leakd" dkim dns --config "$work/keys.yaml" >"$work/records.txt"

# start_leakd NAME SINKPORT: a fresh leakd in smarthost mode to the sink.
start_leakd() {
  local dir=$work/$1 smtp http
  read -r smtp http < <("$LL" ports 2)
  mkdir -p "$dir"
  cat >"$dir/leak.yaml" <<EOF
domain: leak.example
hostname: mx.leak.example
data_dir: $dir/data
log_level: info
smtp:
  listen: 127.0.0.1:$smtp
  max_message_bytes: 26214400
http:
  listen: 127.0.0.1:$http
policy:
  conn_per_ip: 0
  conn_total: 0
  rate_ip: {rate: 0}
  rate_net: {rate: 0}
  rate_sender: {rate: 0}
  rate_sender_domain: {rate: 0}
  rate_auth_domain: {rate: 0}
  rate_recipient: {rate: 0}
  rate_global: {rate: 0}
dkim:
  key_dir: $work/dkim
delivery:
  mode: smarthost
  smarthost: 127.0.0.1:$2
  smarthost_tls: none
${WORKERS:+  workers: $WORKERS}
EOF
  "$bin/leakd" serve --config "$dir/leak.yaml" >"$dir/leakd.log" 2>&1 &
  leakd_pid=$!
  children+=("$leakd_pid")
  leakd_addr=127.0.0.1:$smtp
  wait_port "$smtp"
}

stop_leakd() {
  kill -TERM "$leakd_pid" 2>/dev/null || true
  wait "$leakd_pid" 2>/dev/null || true
}

results=()

read -r sink < <("$LL" ports 1)
if [ "${SKIP_THROUGHPUT:-}" != 1 ]; then
  log "Leak: $N messages of $SIZE octets over $C sessions"
  start_leakd leak "$sink"
  "$LL" bench --addr "$leakd_addr" --listen "127.0.0.1:$sink" --n "$N" --c "$C" --size "$SIZE" \
    --duration "${RUN_LIMIT}s" --timeout "${RUN_LIMIT}s" --pid "$leakd_pid" \
    --dkim-records "$work/records.txt" --label "Leak" --json "$work/leak.json"
  results+=("$work/leak.json")
  stop_leakd
fi

if [ "${SKIP_MEMORY:-}" != 1 ]; then
  log "Leak memory: $MEM_N messages of $MEM_SIZE octets over $MEM_C sessions"
  start_leakd memory "$sink"
  mem_msg=(--size "$MEM_SIZE")
  [ -n "${MEM_ATTACH:-}" ] && mem_msg=(--attach "$MEM_ATTACH")
  "$LL" bench --addr "$leakd_addr" --listen "127.0.0.1:$sink" --n "$MEM_N" --c "$MEM_C" "${mem_msg[@]}" \
    --duration "${RUN_LIMIT}s" --timeout "${RUN_LIMIT}s" --io-timeout 5m --pid "$leakd_pid" --rss-interval 100ms \
    --label "Leak, memory run" --json "$work/memory.json"
  results+=("$work/memory.json")
  stop_leakd
fi

# install_postfix: Postfix and OpenDKIM from Debian, without configuring
# or starting the system instance.
install_postfix() {
  local need=()
  for p in postfix opendkim opendkim-tools; do
    dpkg -s "$p" >/dev/null 2>&1 || need+=("$p")
  done
  [ ${#need[@]} -eq 0 ] && return 0
  log "installing ${need[*]}"
  export DEBIAN_FRONTEND=noninteractive
  echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections
  apt-get update -qq && apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
}

# The Postfix + OpenDKIM peer: start_opendkim, start_postfix.
. cmd/leak-load/postfix.sh # the working directory is the repository root

if [ "${SKIP_POSTFIX:-}" != 1 ]; then
  if [ "$(id -u)" != 0 ]; then
    notes+=("Postfix was not run: postfix start needs root.")
  elif ! install_postfix; then
    notes+=("Postfix was not run: apt-get could not install postfix, opendkim and opendkim-tools.")
  else
    start_postfix
    log "Postfix $pf_version + OpenDKIM $odk_version: $N messages of $SIZE octets over $C sessions"
    "$LL" bench --addr "$pf_addr" --listen "127.0.0.1:$sink" --n "$N" --c "$C" --size "$SIZE" \
      --duration "${RUN_LIMIT}s" --timeout "${RUN_LIMIT}s" --pid "$pf_pids" --rss-interval 1s \
      --dkim-records "$work/records.txt" --label "Postfix $pf_version + OpenDKIM $odk_version" --json "$work/postfix.json"
    results+=("$work/postfix.json")
    notes+=("Postfix $pf_version with its defaults (queue fsync on), relayhost to the sink, two OpenDKIM $odk_version milters in a row (OpenDKIM signs with one algorithm per instance): RSA-2048 and Ed25519 with Leak's keys.")
  fi
fi

{
  echo
  "$LL" table "${results[@]}"
  echo
  echo "Leak $(git describe --always --dirty 2>/dev/null || echo '?'): smarthost delivery to a go-smtp sink, policies relaxed, fsync and dual DKIM on. The memory run's messages are $MEM_SIZE octets, $MEM_C sessions, $MEM_N messages; memory is the relay's VmRSS sampled every 100 ms (median of the second half for steady)."
  for n in "${notes[@]}"; do
    echo "$n"
  done
} | tee "$OUT"
