#!/usr/bin/env bash
# Leak against Postfix + OpenDKIM doing the same job, on this machine's
# loopback interface: both shapes of load, both builds of leakd, medians
# of RUNS runs, in one run of this script (issue 13's harness).
#
#   cmd/leak-load/compare.sh
#
# Relays (each delivers to one Postfix smtp-sink, the next hop):
#   Leak default  go build (the shipped build, cgo on): DKIM's RSA
#                 signatures by OpenSSL's libcrypto.so.3, opened at run time.
#   Leak purego   go build -tags purego: RSA by Go's crypto/rsa, as a build
#                 without cgo (CGO_ENABLED=0) signs.
#   Leak default, text passed
#                 with NOCONTENT=1 only: the default build with
#                 anonymity.pass_types [text/plain], so that the text part
#                 skips the content stage (its cost on the 2 KiB text path).
#   Postfix       Postfix with its defaults (queue fsync on), relayhost to
#                 the sink, two OpenDKIM milters in a row, RSA-2048 and
#                 Ed25519 with Leak's own keys, as Leak signs twice.
# leakd runs in smarthost mode with the shipped defaults (fsync, dual DKIM
# signing, the anonymizer) and every rate and connection limit on, set
# to 10^9 so that no run reaches them; inbound_auth stays off (its
# default; it needs DNS). A fresh leakd serves each run.
#
# Shapes (the same message in both: SIZE octets on the wire, a realistic
# text/plain message with a Received trail and the usual header fields):
#   1 conn/msg    Postfix's smtp-source: a new connection per message, no
#                 pipelining, SESSIONS sessions in parallel, what an MX sees
#                 from independent senders.
#   reuse         leak-load: REUSE_C sessions kept open, MAIL/RCPT/DATA
#                 pipelined (RFC 2920), what a busy submitter does.
#
# Per relay and shape: RUNS runs of N messages at full speed (end-to-end
# msgs/s: from the first connection to the sink counting the last
# message), then RUNS runs paced by leak-load at half the median
# end-to-end rate, PACED_SECONDS long, in the same shape (a new
# connection per message, or reused sessions), for the latency from the
# end of DATA to the 250. Memory: the peak VmRSS of leakd sampled every
# 100 ms and its VmHWM; for Postfix the sum of the PSS of master,
# its children and the two milters. Runs interleave the relays, so that
# a noisy neighbour touches them all alike; before each run the script
# waits (30 s at most) for the machine to be quiet, and the 1-minute load
# average before each run is in the table. Last, RUNS runs of the load
# tools alone (smtp-source straight to the sink) tell how much of the
# machine they take, which no relay between them can have, and
# "leak-load disk" how long the disk under the work directory takes to
# commit one message to a spool, which every 250 waits for at least once when
# few senders each wait for the reply before sending on. And what one
# RSA-2048 signature costs OpenSSL, before the runs and after them.
#
# Settings (environment) and defaults:
#   N=5000 RUNS=3 SESSIONS=10 REUSE_C=50 SIZE=2048 PACED_SECONDS=8
#   BUILDS="default purego"    which leakd builds to run
#   SKIP_POSTFIX=1             Leak only
#   NOCONTENT=1                also the first build with the text passed
#   BASELINE=DIR               also "Leak baseline": the default build of the
#                              source tree DIR (git worktree add DIR OLDCOMMIT),
#                              to measure a change against what it changes
#   WORKERS=N                  delivery.workers (default: leakd's)
#   PPROF=1                    http.pprof on (profiles under /debug/pprof/)
#   RUN_LIMIT=600              seconds a run may take
#   OUT=FILE                   also write the summary there
#   KEEP=1                     keep the work directory (every run's JSON)
# Needs root (postfix start, smtp-sink -u), Postfix's smtp-source and
# smtp-sink in /usr/sbin, OpenDKIM (apt-get install opendkim
# opendkim-tools; installed if missing) and Linux's /proc.
set -euo pipefail
cd "$(dirname "$0")/../.."

N=${N:-5000}
RUNS=${RUNS:-3}
SESSIONS=${SESSIONS:-10}
REUSE_C=${REUSE_C:-50}
SIZE=${SIZE:-2048}
PACED_SECONDS=${PACED_SECONDS:-8}
BUILDS=${BUILDS:-default purego}
RUN_LIMIT=${RUN_LIMIT:-600}
OUT=${OUT:-/dev/null}
PATH=$PATH:/usr/sbin

work=$(mktemp -d /tmp/leak-compare.XXXXXX)
chmod 755 "$work" # Postfix's and OpenDKIM's users must reach their files
bin=$work/bin
children=()
pf_conf=""
leakd_pid=""

log() { printf '== %s\n' "$*" >&2; }

cleanup() {
  set +e
  if [ -n "$pf_conf" ] && [ -f "$work/postfix/queue/pid/master.pid" ]; then
    postfix -c "$pf_conf" stop >/dev/null 2>&1
  fi
  for p in "${children[@]}"; do kill "$p" 2>/dev/null; done
  for p in "${children[@]}"; do wait "$p" 2>/dev/null; done
  if [ "${KEEP:-}" = 1 ]; then log "work directory kept: $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# wait_port PORT: until something listens on 127.0.0.1:PORT (30 s at most).
wait_port() {
  for _ in $(seq 300); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; then return 0; fi
    sleep 0.1
  done
  echo "nothing listens on 127.0.0.1:$1" >&2
  return 1
}

for tool in smtp-source smtp-sink postfix; do
  command -v "$tool" >/dev/null || { echo "$tool is missing: apt-get install postfix" >&2; exit 1; }
done
if [ "${SKIP_POSTFIX:-}" != 1 ] && ! command -v opendkim >/dev/null; then
  log "installing opendkim"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends opendkim opendkim-tools >/dev/null
fi

log "building leakd ($BUILDS) and leak-load"
mkdir -p "$bin"
builds=()
for b in $BUILDS; do
  case $b in
    default) go build -o "$bin/leakd-default" ./cmd/leakd ;;
    purego) go build -tags purego -o "$bin/leakd-purego" ./cmd/leakd ;;
    *) echo "BUILDS: unknown build $b (default, purego)" >&2; exit 2 ;;
  esac
  builds+=("$b")
done
if [ -n "${BASELINE:-}" ]; then
  (cd "$BASELINE" && go build -o "$bin/leakd-baseline" ./cmd/leakd)
  builds+=(baseline)
fi
go build -o "$bin/leak-load" ./cmd/leak-load
LL=$bin/leak-load

# One set of DKIM keys for every relay: Leak's, which OpenDKIM uses too.
mkdir -p "$work/dkim"
printf 'domain: leak.example\ndata_dir: %s/keys\ndkim:\n  key_dir: %s/dkim\n' "$work" "$work" >"$work/keys.yaml"
"$bin/leakd-${builds[0]}" dkim keygen --config "$work/keys.yaml" >/dev/null

FROM=alice@sender.example
RCPT=to+bob=example.com@leak.example

# The message: what a mail client and the sender's own MTA write, then
# text to SIZE octets on the wire (lines end in CRLF there, LF here).
msg=$work/message.txt
{
  cat <<EOF
Received: from mail.sender.example (mail.sender.example [192.0.2.25])
	by mx.sender-isp.example (Postfix) with ESMTPS id 4Y2Qk71mTz9sRq
	for <$RCPT>; Tue, 03 Dec 2024 10:15:43 +0100 (CET)
Received: from [198.51.100.7] (dsl-198-51-100-7.access.example [198.51.100.7])
	(Authenticated sender: alice)
	by mail.sender.example (Postfix) with ESMTPSA id 4Y2Qk60XhFz2xYk
	for <$RCPT>; Tue, 03 Dec 2024 10:15:42 +0100 (CET)
Message-ID: <3f1c2a9e-5b7d-4e8a-9c61-2d4e8f7a1b03@sender.example>
Date: Tue, 3 Dec 2024 10:15:41 +0100
MIME-Version: 1.0
User-Agent: Mozilla Thunderbird
Content-Language: en-GB
From: Alice Example <$FROM>
To: Bob <$RCPT>
Subject: Re: the minutes of Thursday's meeting
Content-Type: text/plain; charset=UTF-8; format=flowed
Content-Transfer-Encoding: 7bit

Hello Bob,

EOF
} >"$msg"
wire() { echo $(($(wc -c <"$msg") + $(wc -l <"$msg"))); }
line="thanks for the notes. I went through them again this morning, and I"
while [ "$(wire)" -lt $((SIZE - 80)) ]; do echo "$line" >>"$msg"; done
pad=$((SIZE - $(wire) - 2))
if [ "$pad" -gt 0 ]; then printf '%*s\n' "$pad" "" | tr ' ' '-' >>"$msg"; fi
log "message: $(wire) octets on the wire"

# The next hop of every relay: one smtp-sink, whose counter leak-load
# follows (-c writes "sess=S quit=Q mesg=M\r" on every change).
read -r sink < <("$LL" ports 1)
smtp-sink -u nobody -c "127.0.0.1:$sink" 1024 >"$work/sink.out" 2>"$work/sink.err" &
children+=("$!")
wait_port "$sink"

# start_leakd BUILD [pass]: a fresh leakd in smarthost mode to the sink;
# with pass, text/plain skips the content stage.
start_leakd() {
  local dir=$work/leakd-$1-$RANDOM smtp http
  read -r smtp http < <("$LL" ports 2)
  mkdir -p "$dir"
  cat >"$dir/leak.yaml" <<EOF
domain: leak.example
hostname: mx.leak.example
data_dir: $dir/data
log_level: info
smtp:
  listen: 127.0.0.1:$smtp
http:
  listen: 127.0.0.1:$http
${PPROF:+  pprof: true}
policy:
  conn_per_ip: 1000000000
  conn_total: 1000000000
  rate_ip: {rate: 1000000000, burst: 1000000000, period: 1m}
  rate_net: {rate: 1000000000, burst: 1000000000, period: 1m}
  rate_sender: {rate: 1000000000, burst: 1000000000, period: 1m}
  rate_sender_domain: {rate: 1000000000, burst: 1000000000, period: 1m}
  rate_auth_domain: {rate: 1000000000, burst: 1000000000, period: 1m}
  rate_recipient: {rate: 1000000000, burst: 1000000000, period: 1m}
  rate_global: {rate: 1000000000, burst: 1000000000, period: 1m}
dkim:
  key_dir: $work/dkim
delivery:
  mode: smarthost
  smarthost: 127.0.0.1:$sink
  smarthost_tls: none
${WORKERS:+  workers: $WORKERS}
${2:+anonymity:}
${2:+  pass_types: [text/plain]}
EOF
  "$bin/leakd-$1" serve --config "$dir/leak.yaml" >"$dir/leakd.log" 2>&1 &
  leakd_pid=$!
  children+=("$leakd_pid")
  relay_addr=127.0.0.1:$smtp
  relay_pids=$leakd_pid
  wait_port "$smtp"
  # Which RSA signer and code this leakd took (its start line), once.
  if [ -z "${rsa_detail[$1]:-}" ]; then
    for _ in $(seq 50); do grep -q 'leakd started' "$dir/leakd.log" && break; sleep 0.1; done
    rsa_detail[$1]=$(sed -n 's/.*rsa_detail="\([^"]*\)".*/\1/p' "$dir/leakd.log" | head -1)
    log "leakd-$1 signs: ${rsa_detail[$1]}"
  fi
}

stop_leakd() {
  kill -TERM "$leakd_pid" 2>/dev/null || true
  wait "$leakd_pid" 2>/dev/null || true
}

# rsa_speed: what one RSA-2048 signature costs OpenSSL on this machine now
# (openssl speed, 2 s), the largest part of what Leak spends per message;
# measured before and after the runs, since a shared machine's speed moves.
# With OPENSSL_ia32cap=:~0x80000 as well: its AVX2 code, which leakd picks
# where that is faster (relay/sign/probe.go).
rsa_speed() {
  if ! command -v openssl >/dev/null; then echo "?"; return; fi
  local own avx2
  own=$(openssl speed -seconds 2 rsa2048 2>/dev/null | awk '/^rsa 2048 bits/ { printf "%.2f ms", $4 * 1000 }')
  avx2=$(OPENSSL_ia32cap=:~0x80000 openssl speed -seconds 2 rsa2048 2>/dev/null | awk '/^rsa 2048 bits/ { printf "%.2f ms", $4 * 1000 }')
  echo "$own (OpenSSL's own choice of code), $avx2 (its AVX2 code)"
}
declare -A rsa_detail
rsa_before=$(rsa_speed)
log "RSA-2048 signature, OpenSSL: $rsa_before"

# The Postfix + OpenDKIM peer: start_opendkim, start_postfix.
. cmd/leak-load/postfix.sh # the working directory is the repository root

relays=()
for b in "${builds[@]}"; do relays+=("leak-$b"); done
if [ "${NOCONTENT:-}" = 1 ]; then relays+=("leak-${builds[0]}-pass"); fi
if [ "${SKIP_POSTFIX:-}" != 1 ]; then
  start_postfix
  relays+=(postfix)
fi

label() {
  case $1 in
    leak-*-pass) local b=${1#leak-}; echo "Leak ${b%-pass}, text passed" ;;
    leak-*) echo "Leak ${1#leak-}" ;;
    postfix) echo "$pf_label" ;;
  esac
}
SHAPE1="1 conn/msg, $SESSIONS sessions (smtp-source)"
SHAPE2="reuse, $REUSE_C sessions, pipelined (leak-load)"

# settle: waits (30 s at most) until the machine has been quiet for a
# second, under 10% of its CPU busy, so that one run does not pay for the
# tail of the one before (Postfix's queue manager and delivery agents
# finishing their backlog, a leakd still draining). Prints the busy
# percentage it saw last.
busy_pct() {
  local a b
  read -r -a a < <(head -1 /proc/stat)
  sleep 1
  read -r -a b < <(head -1 /proc/stat)
  # user nice system idle iowait irq softirq steal: idle and iowait are not busy
  local total=0 idle=$((b[4] + b[5] - a[4] - a[5])) i
  for i in 1 2 3 4 5 6 7 8; do total=$((total + b[i] - a[i])); done
  echo $(((total - idle) * 100 / (total > 0 ? total : 1)))
}
settle() {
  local p
  for _ in $(seq 30); do
    p=$(busy_pct)
    [ "$p" -lt 10 ] && break
  done
  echo "$p"
}

# one RELAY SHAPE TAG [leak-load send flags]: one run of RELAY under SHAPE
# (1 or 2); with send flags (a rate) leak-load sends in that shape.
one() {
  local relay=$1 shape=$2 tag=$3
  shift 3
  local addr pids lbl shname
  if [ "${relay#leak-}" != "$relay" ]; then
    local build=${relay#leak-}
    if [ "${build%-pass}" != "$build" ]; then start_leakd "${build%-pass}" pass; else start_leakd "$build"; fi
    addr=$relay_addr pids=$relay_pids
  else
    addr=$pf_addr pids=$pf_pids
  fi
  lbl=$(label "$relay")
  local common=(--counter "$work/sink.out" --pid "$pids" --label "$lbl" --timeout "${RUN_LIMIT}s"
    --duration "${RUN_LIMIT}s" --from "$FROM" --rcpt "$RCPT" --file "$msg" --json "$work/$tag.json")
  log "$lbl, $tag (load $(cut -d' ' -f1 /proc/loadavg), CPU busy before: $(settle)%)"
  if [ "$shape" = 1 ]; then
    if [ $# -eq 0 ]; then
      "$LL" run "${common[@]}" --shape "$SHAPE1" --n "$N" --c "$SESSIONS" -- \
        smtp-source -s "$SESSIONS" -m "$N" -F "$msg" -f "$FROM" -t "$RCPT" -M load.example "$addr" >"$work/$tag.txt"
    else
      "$LL" run "${common[@]}" --shape "$SHAPE1" --c "$SESSIONS" --per-conn 1 --addr "$addr" "$@" >"$work/$tag.txt"
    fi
  else
    "$LL" run "${common[@]}" --shape "$SHAPE2" --n "$N" --c "$REUSE_C" --addr "$addr" "$@" >"$work/$tag.txt"
  fi
  [ "${relay#leak-}" != "$relay" ] && stop_leakd
  return 0
}

for r in $(seq "$RUNS"); do
  for shape in 1 2; do
    for relay in "${relays[@]}"; do
      one "$relay" "$shape" "peak-$relay-$shape-$r"
    done
  done
done

# Half the median end-to-end rate of each relay and shape, for latency.
for shape in 1 2; do
  for relay in "${relays[@]}"; do
    case $relay in *-pass) continue ;; esac # its throughput is what it is for
    half=$(jq -s 'map(.sink.delivered_per_second) | sort | .[length/2|floor] / 2 | floor' \
      "$work"/peak-"$relay"-"$shape"-*.json)
    [ "$half" -ge 1 ] || half=1
    for r in $(seq "$RUNS"); do
      one "$relay" "$shape" "paced-$relay-$shape-$r" --rate "$half" --n $((half * PACED_SECONDS))
    done
  done
done

# The load tools alone: smtp-source straight to the sink, 1 conn/msg, no
# relay between. On a machine the relay shares with them, what they take
# is CPU no relay can have: at R msgs/s on C cores, a relay has at most
# C/R seconds of CPU per message less what smtp-source takes (the same
# with or without a relay; the sink costs a relay's reused sessions less
# than smtp-source's connections, so its share here is an upper bound).
ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; } # utime + stime, clock ticks
secs() { sed 's/^\([0-9]*\)m\([0-9.]*\)s$/\1 \2/' | awk '{print $1 * 60 + $2}'; }
tools=()
for r in $(seq "$RUNS"); do
  log "load tools alone, run $r (load $(cut -d' ' -f1 /proc/loadavg), CPU busy before: $(settle)%)"
  s0=$(ticks "${children[0]}")
  t0=$(date +%s%N)
  read -r u sy < <({
    smtp-source -s "$SESSIONS" -m "$N" -F "$msg" -f "$FROM" -t bob@example.com -M load.example "127.0.0.1:$sink" >/dev/null
    times
  } | tail -1)
  t1=$(date +%s%N)
  s1=$(ticks "${children[0]}")
  tools+=("$(awk -v n="$N" -v ns=$((t1 - t0)) \
    -v srcs="$(echo "$u" | secs) $(echo "$sy" | secs)" -v sink=$((s1 - s0)) -v hz="$(getconf CLK_TCK)" \
    'BEGIN { split(srcs, a, " "); s = a[1] + a[2]; k = sink / hz
      printf "%.0f %.3f %.3f\n", n / (ns / 1e9), s / n * 1000, k / n * 1000 }')")
done
tools_line=$(printf '%s\n' "${tools[@]}" | sort -n | awk -v runs="$RUNS" '{ l[NR] = $0 } END { print l[int((runs + 1) / 2)] }')

# The disk: messages committed to a spool one at a time.
log "disk (CPU busy before: $(settle)%)"
disk_line=$("$LL" disk --dir "$work")
rsa_after=$(rsa_speed)
ifma=no
if grep -qw avx512ifma /proc/cpuinfo; then ifma=yes; fi

{
  echo
  "$LL" summary --peer Postfix "$work"/peak-*.json "$work"/paced-*.json
  echo
  echo "Leak $(git describe --always --dirty 2>/dev/null || echo '?'), $(nproc) cores ($(sed -n 's/^model name[^:]*: //p' /proc/cpuinfo | head -1)); sender, relay and sink share them."
  read -r rate src snk <<<"$tools_line"
  echo "Load tools alone (smtp-source straight to smtp-sink, 1 conn/msg, $SESSIONS sessions, median run by rate): $rate msgs/s; CPU per message: smtp-source $src ms, smtp-sink $snk ms."
  echo "The disk, quiet (${disk_line#disk: })."
  echo "One RSA-2048 signature in OpenSSL (openssl speed rsa2048): $rsa_before before the runs; $rsa_after after; AVX-512 IFMA: $ifma."
  for b in "${!rsa_detail[@]}"; do echo "leakd-$b signed RSA with: ${rsa_detail[$b]}."; done
  echo "Medians of $RUNS runs of $N messages of $(wire) octets; latency runs: $PACED_SECONDS s at half the median end-to-end rate. Settings: N=$N RUNS=$RUNS SESSIONS=$SESSIONS REUSE_C=$REUSE_C SIZE=$SIZE PACED_SECONDS=$PACED_SECONDS${WORKERS:+ WORKERS=$WORKERS}."
} | tee "$OUT"
