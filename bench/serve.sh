#!/usr/bin/env bash
# Prints, from one run on this machine, the figures issue 14 (hashstore serve) asks for, beside
# the same measurement of nginx (sendfile) on the same files, each the median of $RUNS runs
# (default 3):
#
#   - GET of a 1 GiB object from the page cache: serve --verify off against nginx; serve
#     --verify full against the SHA-256 rate of one core (measured in this run), against its
#     floor (the object's file read with pread and hashed on one core, nothing sent), and
#     against what the machine allows: on one core, hashing plus sending; on two, the larger
#     of hashing and sending plus the client's own CPU time;
#   - 4 KiB objects, 32 concurrent keep-alive clients (wrk): requests/s against nginx's, and
#     against the floor: the same response written from memory by a Go server with no HTTP
#     library (what Go's network runtime and the kernel cost before any parsing, lookup or
#     hash); net/http alone doing the same, and serve without its fast path, are printed
#     beside them. The servers take turns, run after run;
#   - PUT of a 1 GiB object (curl -T to the native route) against "hashstore store";
#   - peak RSS of serve (default --max-memory 64MiB) during 64 concurrent downloads of a
#     256 MiB object and 8 concurrent uploads of 256 MiB, with --verify full and off.
#
# The servers run on core 0 and the clients on core 1 (taskset), so that they do not take
# each other's CPU; one verifying server is also run on both cores, where it hashes on one
# while the kernel sends on the other, measured once more with a client that has the kernel
# drop the body instead of copying it (servebench get -discard: the copy takes core 1 time the
# server's sending needs); PUT is not pinned (storing hashes on both cores). nginx and wrk must be
# installed (apt-get install -y nginx-light wrk); nginx is only for this comparison. The load
# average is printed at the start and the end: other work on the machine lowers every figure.
#
#   bash bench/serve.sh                    # about 8 minutes; needs ~4 GB free in $TMPDIR
#   SECTIONS="get small" bash bench/serve.sh
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${RUNS:-3}
SECTIONS=${SECTIONS:-"get small put rss"}
section() { [[ " $SECTIONS " == *" $1 "* ]]; }
for tool in nginx wrk curl taskset; do
  command -v "$tool" >/dev/null || { echo "bench/serve.sh needs $tool (apt-get install -y nginx-light wrk curl util-linux)" >&2; exit 1; }
done
work=$(mktemp -d "${TMPDIR:-/tmp}/servebench.XXXXXX")
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

go build -o bin/hashstore ./cmd/hashstore
go build -o bin/servebench ./bench/serve
hs=$PWD/bin/hashstore
sb=$PWD/bin/servebench
store=$work/store
token=bench-token
echo "$token" >"$work/token"

median() { sort -g | awk '{a[NR]=$1} END {if (NR == 0) print "n/a"; else if (NR % 2) print a[(NR+1)/2]; else printf "%.1f\n", (a[NR/2]+a[NR/2+1])/2}'; }
row() { printf '%-62s %12s %s\n' "$1" "$2" "${3:-}"; }
ratio() { echo "$1 / $2 * 100" | bc -l | xargs printf '%.0f%%'; }
# value NAME: the value of the "NAME value unit" line read on stdin
value() { awk -v n="$1" '$1 == n {print $2}'; }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
# start_serve CPUS PORT FLAGS...: serve on the cores CPUS (0, or 0,1), in the background,
# until the script ends
start_serve() {
  local cpus=$1 port=$2; shift 2
  taskset -c "$cpus" "$hs" --store "$store" --log-level warn serve --listen "127.0.0.1:$port" \
    --write-token-file "$work/token" "$@" 2>>"$work/serve.log" &
  pids+=($!)
  for _ in $(seq 100); do curl -fs "http://127.0.0.1:$port/healthz" >/dev/null 2>&1 && return; sleep 0.1; done
  echo "serve did not start" >&2; exit 1
}
# core0_busy: the ticks core 0 has spent busy (all but idle and iowait) since boot
core0_busy() { awk '$1 == "cpu0" {print $2 + $3 + $4 + $7 + $8 + $9}' /proc/stat; }
stop_last() { kill "${pids[-1]}"; wait "${pids[-1]}" 2>/dev/null || true; unset 'pids[-1]'; }
# on_core1 CMD...: the client on core 1
on_core1() { taskset -c 1 "$@"; }

echo "hashstore serve benchmarks: $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, $(go version | cut -d' ' -f3), $RUNS runs per figure"
echo "load average at the start: $(cut -d' ' -f1-3 /proc/loadavg)"
echo

"$hs" --store "$store" init -q >/dev/null
head -c $((1 << 30)) /dev/urandom >"$work/big"
head -c $((256 << 20)) /dev/urandom >"$work/mid"
"$hs" --store "$store" store --pid big.1 "$work/big" >/dev/null
"$sb" sysmeta -pid big.1 -file "$work/big" >"$work/big.xml"
"$hs" --store "$store" metadata put --pid big.1 "$work/big.xml" >/dev/null
"$hs" --store "$store" store --pid mid.1 "$work/mid" >/dev/null
"$sb" sysmeta -pid mid.1 -file "$work/mid" >"$work/mid.xml"
"$hs" --store "$store" metadata put --pid mid.1 "$work/mid.xml" >/dev/null
big_cid=$(sha256sum "$work/big" | cut -c1-64)
big_path=/objects/${big_cid:0:2}/${big_cid:2:2}/${big_cid:4:2}/${big_cid:6}

nginx_port=$(free_port)
cat >"$work/nginx.conf" <<CONF
user root;
worker_processes 1;
worker_cpu_affinity 01;
daemon off;
pid $work/nginx.pid;
error_log $work/nginx.err;
events { worker_connections 1024; }
http {
  access_log off;
  sendfile on;
  tcp_nopush on;
  keepalive_requests 1000000;
  default_type application/octet-stream;
  server { listen 127.0.0.1:$nginx_port; root $store; location / { } }
}
CONF
taskset -c 0 nginx -c "$work/nginx.conf" -p "$work" &
pids+=($!)
for _ in $(seq 100); do curl -fs -o /dev/null "http://127.0.0.1:$nginx_port$big_path" -r 0-0 && break; sleep 0.1; done

off_port=$(free_port); start_serve 0 "$off_port" --verify off
full_port=$(free_port); start_serve 0 "$full_port" --verify full
both_port=$(free_port); start_serve 0,1 "$both_port" --verify full
both_pid=${pids[-1]}
nethttp_port=$(free_port); start_serve 0 "$nethttp_port" --verify full --fast-path=false
"$sb" seed -url "http://127.0.0.1:$full_port" -n 2000 -size 4096 -token "$token" -paths "$work/d1.paths" -files "$work/nginx.paths"
cat "$work/big" "$work/big" >/dev/null # in the page cache

if section get; then
echo "== GET of a 1 GiB object from the page cache (server on core 0, client on core 1)"
sha=$(for _ in $(seq "$RUNS"); do on_core1 "$sb" sha256 -size $((1 << 30)) | value sha256_one_core; done | median)
sha_file=$(for _ in $(seq "$RUNS"); do on_core1 "$sb" sha256 -file "$store$big_path" | value sha256_file; done | median)
# get_rate URL [-discard]: MB/s of one GET, median of RUNS
get_rate() { for _ in $(seq "$RUNS"); do on_core1 "$sb" get -url "$1" -name r ${2:-} | value r; done | median; }
nginx_get=$(get_rate "http://127.0.0.1:$nginx_port$big_path")
busy0_before=$(core0_busy)
off_get=$(get_rate "http://127.0.0.1:$off_port/mn/v2/object/big.1")
busy0=$(( $(core0_busy) - busy0_before ))
full_get=$(get_rate "http://127.0.0.1:$full_port/mn/v2/object/big.1")
# get_both URL [-discard]: "MB/s client-CPU-s-per-GiB" of one GET, each the median of RUNS
get_both() {
  local out rates="" cpus=""
  for _ in $(seq "$RUNS"); do
    out=$(on_core1 "$sb" get -url "$1" -name r ${2:-})
    rates+="$(value r <<<"$out")"$'\n'
    cpus+="$(value r_cpu <<<"$out")"$'\n'
  done
  echo "$(grep . <<<"$rates" | median) $(grep . <<<"$cpus" | median)"
}
read -r both_get both_client < <(get_both "http://127.0.0.1:$both_port/mn/v2/object/big.1")
read -r both_drop drop_client < <(get_both "http://127.0.0.1:$both_port/mn/v2/object/big.1" -discard)
row "nginx, sendfile" "$nginx_get" MB/s
row "serve --verify off (sendfile)" "$off_get" "MB/s  $(ratio "$off_get" "$nginx_get") of nginx (target >= 85%)"
# What sending alone costs the server's core, measured on the --verify off runs (core 0's
# busy time, user, system and interrupts, from /proc/stat, per GiB sent), beside what hashing
# alone costs it (1 GiB at the SHA-256 rate): a verifying server on one core pays both, less
# whatever the kernel's per-byte cost drops at a lower rate.
send_cost=$(echo "$busy0 / $(getconf CLK_TCK) / $RUNS" | bc -l | xargs printf '%.3f')
row "SHA-256, one core, Go (crypto/sha256)" "$sha" "MB/s  ($(echo "1073.741824 / $sha" | bc -l | xargs printf '%.3f') s per GiB)"
row "core 0 busy while sending with --verify off" "$send_cost" "s per GiB"
# The floor of a verified GET: every byte read from the page cache into the process and
# hashed, on one core (the server's buffer size, pread), whatever else is done in parallel.
row "pread + SHA-256 of the object's file, one core (floor)" "$sha_file" "MB/s  $(ratio "$sha_file" "$sha") of SHA-256"
# A verifying server on one core pays for the hashing and for the kernel's sending: at best
# 1 GiB per (hashing time + sending time), both measured above.
one_core_bound=$(echo "1073.741824 / (1073.741824 / $sha + $send_cost)" | bc -l | xargs printf '%.0f')
row "bound on one core: 1 GiB / (hashing + sending time)" "$one_core_bound" "MB/s  $(ratio "$one_core_bound" "$sha") of SHA-256"
row "serve --verify full (hashing while sending)" "$full_get" "MB/s  $(ratio "$full_get" "$sha") of SHA-256 (target >= 85%), $(ratio "$full_get" "$one_core_bound") of the one-core bound"
# On both cores the work splits at best as: one core reads and hashes (the floor's time per
# GiB), the other sends and runs the client (the sending cost above and the client's own CPU
# time per GiB, measured in the runs themselves): 1 GiB / the larger of the two.
two_core_bound() { # two_core_bound CLIENT_S_PER_GIB: MB/s
  echo "h = 1073.741824 / $sha_file; o = $send_cost + $1; if (h > o) 1073.741824 / h else 1073.741824 / o" | bc -l | xargs printf '%.0f'
}
both_bound=$(two_core_bound "$both_client")
drop_bound=$(two_core_bound "$drop_client")
row "serve --verify full, server on both cores (hashing ahead)" "$both_get" "MB/s  $(ratio "$both_get" "$sha") of SHA-256, $(ratio "$both_get" "$sha_file") of the floor, $(ratio "$both_get" "$both_bound") of the two-core bound"
row "  two-core bound: 1 GiB / max(floor, sending + client ($both_client s/GiB))" "$both_bound" "MB/s  $(ratio "$both_bound" "$sha") of SHA-256"
# The same with a client that has the kernel drop the body (recv MSG_TRUNC) instead of copying
# it: on two cores the copying client takes as much of core 1 as the server's sending does.
row "  the same, client dropping the body in the kernel" "$both_drop" "MB/s  $(ratio "$both_drop" "$sha") of SHA-256 (target >= 85%), $(ratio "$both_drop" "$sha_file") of the floor, $(ratio "$both_drop" "$drop_bound") of the two-core bound"
row "  two-core bound: 1 GiB / max(floor, sending + client ($drop_client s/GiB))" "$drop_bound" "MB/s  $(ratio "$drop_bound" "$sha") of SHA-256"
echo
fi

if section small; then
echo "== 4 KiB objects, 32 keep-alive clients, wrk for 10 s (server on core 0, wrk on core 1)"
cat >"$work/paths.lua" <<'LUA'
local paths = {}
init = function(args)
  for line in io.lines(args[1]) do paths[#paths + 1] = line end
end
local i = 0
request = function()
  i = i % #paths + 1
  return wrk.format("GET", paths[i])
end
LUA
rps_once() { # rps_once URL PATHS: requests/s of one 10 s run
  on_core1 wrk -t1 -c32 -d10s -s "$work/paths.lua" "$1" -- "$2" | awk '/^Requests\/sec/ {print $2}'
}
floor_port=$(free_port)
taskset -c 0 "$sb" floor -listen "127.0.0.1:$floor_port" -like "http://127.0.0.1:$full_port$(head -1 "$work/d1.paths")" -size 4096 &
pids+=($!)
raw_port=$(free_port)
taskset -c 0 "$sb" rawfloor -listen "127.0.0.1:$raw_port" -like "http://127.0.0.1:$full_port$(head -1 "$work/d1.paths")" &
pids+=($!)
for port in "$floor_port" "$raw_port"; do
  for _ in $(seq 100); do curl -fs -o /dev/null "http://127.0.0.1:$port/x" && break; sleep 0.1; done
done
# The servers take turns, run after run, so that a change in the machine's speed during the
# section (seen here: nginx from 60,000 to 120,000 req/s between runs of one day) falls on all.
declare -A small
for _ in $(seq "$RUNS"); do
  small[nginx]+="$(rps_once "http://127.0.0.1:$nginx_port" "$work/nginx.paths") "
  small[raw]+="$(rps_once "http://127.0.0.1:$raw_port" "$work/d1.paths") "
  small[floor]+="$(rps_once "http://127.0.0.1:$floor_port" "$work/d1.paths") "
  small[full]+="$(rps_once "http://127.0.0.1:$full_port" "$work/d1.paths") "
  small[nethttp]+="$(rps_once "http://127.0.0.1:$nethttp_port" "$work/d1.paths") "
  small[off]+="$(rps_once "http://127.0.0.1:$off_port" "$work/d1.paths") "
done
med() { tr ' ' '\n' <<<"${small[$1]}" | grep . | median; }
nginx_rps=$(med nginx); raw_rps=$(med raw); floor_rps=$(med floor); full_rps=$(med full); nethttp_rps=$(med nethttp); off_rps=$(med off)
row "nginx (opens the file)" "$nginx_rps" req/s
row "Go, no HTTP library: the same response from memory (floor)" "$raw_rps" "req/s  $(ratio "$raw_rps" "$nginx_rps") of nginx"
row "net/http alone: the same response from memory" "$floor_rps" "req/s  $(ratio "$floor_rps" "$nginx_rps") of nginx"
row "serve --verify full (pid -> cid, public-read check, verified)" "$full_rps" "req/s  $(ratio "$full_rps" "$nginx_rps") of nginx (target >= 50%), $(ratio "$full_rps" "$raw_rps") of the floor"
row "serve --verify full --fast-path=false (net/http)" "$nethttp_rps" "req/s  $(ratio "$nethttp_rps" "$nginx_rps") of nginx"
row "serve --verify off" "$off_rps" "req/s  $(ratio "$off_rps" "$nginx_rps") of nginx"
echo "  runs (req/s): nginx ${small[nginx]}| serve ${small[full]}"
echo
fi

if section put; then
# The server that takes the uploads is the one on both cores: storing hashes on every core
# it has, as "hashstore store" does (the one on core 0 would hash on half the machine).
echo "== PUT of a 1 GiB object (server and CLI on both cores)"
seconds() { local t0 t1; t0=$(date +%s.%N); "$@" >/dev/null; t1=$(date +%s.%N); echo "$t1 - $t0" | bc -l; }
mbps() { echo "1073.741824 / $1" | bc -l | xargs printf '%.0f'; }
# cpu_of CMD...: the user and system seconds CMD takes
cpu_of() { local TIMEFORMAT='%3U %3S'; { time "$@" >/dev/null 2>&1; } 2>&1 | awk '{print $1 + $2}'; }
# ticks PID: the CPU ticks (user and system) a process has used
ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
# The CLI and the server take turns, run after run. Each PUT's CPU time (the server's and
# curl's) is measured beside the CLI's: both are bound by hashing on the two cores, and what a
# PUT costs beyond the CLI (curl, the loopback) is what separates them.
store_runs="" put_runs="" cli_cpu="" put_cpu="" pipe_runs=""
for i in $(seq "$RUNS"); do
  pipe_runs+="$(seconds bash -c 'cat "$1" | "$2" --store "$3" store --pid "$4" -' _ "$work/big" "$hs" "$store" "put.pipe.$i")"$'\n'
  "$hs" --store "$store" delete --pid "put.pipe.$i" >/dev/null
  "$hs" --store "$store" store --pid big.1 "$work/big" >/dev/null 2>&1 || true
  store_runs+="$(seconds "$hs" --store "$store" store --pid "put.cli.$i" "$work/big")"$'\n'
  "$hs" --store "$store" delete --pid "put.cli.$i" >/dev/null
  "$hs" --store "$store" store --pid big.1 "$work/big" >/dev/null 2>&1 || true # the object again, if the delete took it
  cli_cpu+="$(cpu_of "$hs" --store "$store" store --pid "put.cpu.$i" "$work/big")"$'\n'
  "$hs" --store "$store" delete --pid "put.cpu.$i" >/dev/null
  "$hs" --store "$store" store --pid big.1 "$work/big" >/dev/null 2>&1 || true
  t0=$(ticks "$both_pid")
  c=$(cpu_of curl -fsS -o /dev/null -T "$work/big" -H "Authorization: Bearer $token" "http://127.0.0.1:$both_port/hs/v1/object/put.cpu.$i")
  put_cpu+="$(echo "($(ticks "$both_pid") - $t0) / $(getconf CLK_TCK) + $c" | bc -l)"$'\n'
  "$hs" --store "$store" delete --pid "put.cpu.$i" >/dev/null
  "$hs" --store "$store" store --pid big.1 "$work/big" >/dev/null 2>&1 || true
  put_runs+="$(seconds curl -fsS -o /dev/null -T "$work/big" -H "Authorization: Bearer $token" "http://127.0.0.1:$both_port/hs/v1/object/put.http.$i")"$'\n'
  "$hs" --store "$store" delete --pid "put.http.$i" >/dev/null
  "$hs" --store "$store" store --pid big.1 "$work/big" >/dev/null 2>&1 || true
done
store_s=$(grep . <<<"$store_runs" | median)
put_s=$(grep . <<<"$put_runs" | median)
pipe_s=$(grep . <<<"$pipe_runs" | median)
cli_cpu=$(grep . <<<"$cli_cpu" | median | xargs printf '%.2f')
put_cpu=$(grep . <<<"$put_cpu" | median | xargs printf '%.2f')
row "hashstore store" "$(mbps "$store_s")" "MB/s  (${store_s} s)"
row "curl -T to PUT /hs/v1/object/{pid}" "$(mbps "$put_s")" "MB/s  (${put_s} s)  $(ratio "$store_s" "$put_s") of hashstore store (target >= 90%)"
# The same store with its bytes handed over by another process (cat, through a pipe), as curl
# hands them to serve: what a second process moving the bytes costs on two cores.
row "cat FILE | hashstore store - (bytes from another process)" "$(mbps "$pipe_s")" "MB/s  (${pipe_s} s)  $(ratio "$store_s" "$pipe_s") of hashstore store"
row "CPU time: hashstore store, and serve + curl for a PUT" "${cli_cpu} s" "against ${put_cpu} s: $(ratio "$cli_cpu" "$put_cpu")"
echo
fi

if section rss; then
echo "== Peak RSS: 64 concurrent downloads of a 256 MiB object and 8 concurrent 256 MiB uploads (default --max-memory 64MiB, not pinned)"
for mode in full off; do
  port=$(free_port)
  "$hs" --store "$store" --log-level warn serve --listen "127.0.0.1:$port" --write-token-file "$work/token" --verify "$mode" 2>>"$work/serve.log" &
  pids+=($!)
  for _ in $(seq 100); do curl -fs "http://127.0.0.1:$port/healthz" >/dev/null 2>&1 && break; sleep 0.1; done
  out=$("$sb" storm -get "http://127.0.0.1:$port/mn/v2/object/mid.1" -readers 64 -put "http://127.0.0.1:$port/hs/v1/object" \
    -writers 8 -body "$work/mid" -token "$token")
  hwm=$(awk '/VmHWM/ {printf "%.1f", $2/1024}' "/proc/${pids[-1]}/status")
  stop_last
  row "serve --verify $mode: peak RSS" "$hwm" "MiB (target <= 64)  $(echo "$out" | value storm_seconds) s; $(echo "$out" | value storm_outcomes)"
done
echo
fi
echo "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
