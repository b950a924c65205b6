#!/usr/bin/env bash
# Metacat database benchmarks (issue 13). Needs the local PostgreSQL ($HASHSTORE_TEST_PG,
# default 127.0.0.1:5432 as postgres); makes its databases (hsbench_mc_*) and inputs in
# $TMPDIR and prints:
#
#   reading and building every pid's sysmeta, with side tables, 200,000 and 1,000,000 pids:
#     pids/s of the metacat source against Metacat's per-pid queries (one query per table per
#     pid, measured in the same process right after; target: >= 20x and >= 20,000 pids/s), and
#     the source's peak RSS (target <= 128 MiB)
#   end to end, 20,000 small objects: convert --metacat against convert --manifest of the same
#     objects (sysmeta files), objects/s (target: the database >= 90% of the manifest)
#   a sweep after 1% of the pids changed (new, modified with and without date_modified,
#     deleted; --delete-gone): its time against the full pass's (target <= 10%), and the swept
#     store compared with a fresh full conversion of the changed database (must be equal)
#
# Rates are medians of $RUNS runs (default 3), from the processes' wall time, fsync off.
# Usage: bash bench/metacat.sh [quick]   ("quick": 1 run, 50,000 and 100,000 pids, 5,000 objects)
set -euo pipefail
cd "$(dirname "$0")/.."

RUNS=${RUNS:-3}
READ_SIZES=${READ_SIZES:-"200000 1000000"}
SMALL=${SMALL:-20000}
NAIVE=${NAIVE:-5000}
if [ "${1:-}" = quick ]; then
  RUNS=1 READ_SIZES="50000 100000" SMALL=5000 NAIVE=1000
fi
root=${TMPDIR:-/tmp}/hashstore-metacat-bench
mkdir -p "$root"
go build -o "$root/hashstore" ./cmd/hashstore
go build -o "$root/mcbench" ./bench/metacat
hs=$root/hashstore
mc=$root/mcbench
server=${HASHSTORE_TEST_PG:-"host=127.0.0.1 port=5432 user=postgres dbname=postgres sslmode=disable"}
dsn() { echo "$server dbname=$1"; }
sql() { psql -X -q -At "$server" -c "$1"; }

median() { sort -g | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }

# timed LOG CMD...: runs CMD under /usr/bin/time -v; prints "seconds maxrss_kib exit".
timed() {
  local log=$1 code=0
  shift
  /usr/bin/time -v "$@" >"$log.out" 2>"$log.err" || code=$?
  local wall rss
  wall=$(grep 'Elapsed (wall clock)' "$log.err" | awk '{print $NF}' | awk -F: '{ if (NF==3) print $1*3600+$2*60+$3; else print $1*60+$2 }')
  rss=$(grep 'Maximum resident set size' "$log.err" | awk '{print $NF}')
  echo "$wall $rss $code"
}

# fresh_store DIR: a new store at DIR (an old one is moved aside, deleted at the end).
fresh_store() {
  if [ -e "$1" ]; then mv "$1" "$root/trash.$(date +%s%N)"; fi
  "$hs" --store "$1" -q init >/dev/null
}

declare -A read_rate naive_rate ratio read_rss
for n in $READ_SIZES; do
  db=hsbench_mc_$n
  echo "== $n pids: generating $db"
  "$mc" gen -db "$db" -n "$n"
  rates=() naives=() rss=()
  for i in $(seq "$RUNS"); do
    naive=$NAIVE
    [ "$n" -gt 200000 ] && naive=0 # the per-pid rate does not depend on the table's size
    read -r wall maxrss code < <(timed "$root/read-$n-$i" "$mc" read -db "$db" -naive "$naive")
    [ "$code" -eq 0 ] || { cat "$root/read-$n-$i.err" >&2; exit 1; }
    read -r _ pids secs hwm _ < <(grep '^source' "$root/read-$n-$i.out")
    rates+=("$(awk -v n="$pids" -v s="$secs" 'BEGIN {printf "%.0f", n / s}')")
    rss+=("$((hwm / 1024))")
    if [ "$naive" -gt 0 ]; then
      read -r _ np ns < <(grep '^perpid' "$root/read-$n-$i.out")
      naives+=("$(awk -v n="$np" -v s="$ns" 'BEGIN {printf "%.0f", n / s}')")
    fi
    echo "  run $i: source $pids pids in ${secs}s (${rates[-1]}/s, peak RSS ${rss[-1]} MiB)${naives:+, per-pid queries ${naives[-1]}/s}" >&2
  done
  read_rate[$n]=$(printf '%s\n' "${rates[@]}" | median)
  read_rss[$n]=$(printf '%s\n' "${rss[@]}" | sort -g | tail -n 1)
  if [ "${#naives[@]}" -gt 0 ]; then
    naive_rate[$n]=$(printf '%s\n' "${naives[@]}" | median)
    ratio[$n]=$(awk -v a="${read_rate[$n]}" -v b="${naive_rate[$n]}" 'BEGIN {printf "%.1f", a / b}')
  fi
  sql "DROP DATABASE IF EXISTS $db WITH (FORCE)"
done

echo "== end to end: $SMALL objects, generating hsbench_mc_e2e and its files"
files=$root/files-$SMALL
rm -rf "$files"
"$mc" gen -db hsbench_mc_e2e -n "$SMALL" -files "$files"
sync
e2e_args=(--no-sync -q convert --workers 2)
db_rates=() man_rates=() shares=()
for i in $(seq "$RUNS"); do
  fresh_store "$root/store"
  rm -f "$files"/manifest.csv.journal* "$root"/m.journal*
  read -r wall _ code < <(timed "$root/man-$i" "$hs" --store "$root/store" "${e2e_args[@]}" --manifest "$files/manifest.csv")
  [ "$code" -eq 0 ] || { cat "$root/man-$i.err" >&2; exit 1; }
  man_rates+=("$(awk -v n="$SMALL" -v w="$wall" 'BEGIN {printf "%.0f", n / w}')")
  fresh_store "$root/store"
  read -r wall _ code < <(timed "$root/db-$i" "$hs" --store "$root/store" "${e2e_args[@]}" --metacat "$(dsn hsbench_mc_e2e)" \
    --metacat-dir "$files" --metacat-timezone UTC --journal "$root/m.journal")
  [ "$code" -eq 0 ] || { cat "$root/db-$i.err" >&2; exit 1; }
  db_rates+=("$(awk -v n="$SMALL" -v w="$wall" 'BEGIN {printf "%.0f", n / w}')")
  shares+=("$(awk -v a="${db_rates[-1]}" -v b="${man_rates[-1]}" 'BEGIN {printf "%.0f", 100 * a / b}')")
  echo "  run $i: manifest ${man_rates[-1]} objects/s, database ${db_rates[-1]} objects/s (${shares[-1]}%)" >&2
done
man_rate=$(printf '%s\n' "${man_rates[@]}" | median)
db_rate=$(printf '%s\n' "${db_rates[@]}" | median)
share=$(printf '%s\n' "${shares[@]}" | median)

echo "== sweep after 1% changed ($SMALL objects)"
sql "DROP DATABASE IF EXISTS hsbench_mc_tmpl WITH (FORCE)"
sql "CREATE DATABASE hsbench_mc_tmpl TEMPLATE hsbench_mc_e2e"
sql "DROP DATABASE IF EXISTS hsbench_mc_e2e WITH (FORCE)"
sweep_shares=() same=yes
for i in $(seq "$RUNS"); do
  sql "DROP DATABASE IF EXISTS hsbench_mc_sweep WITH (FORCE)"
  sql "CREATE DATABASE hsbench_mc_sweep TEMPLATE hsbench_mc_tmpl"
  fresh_store "$root/store"
  rm -f "$root"/s.journal*
  args=(--store "$root/store" --no-sync -q convert --workers 2 --metacat "$(dsn hsbench_mc_sweep)" --metacat-dir "$files"
    --metacat-timezone UTC --journal "$root/s.journal" --report-dir "$root/reports")
  read -r full _ code < <(timed "$root/full-$i" "$hs" "${args[@]}")
  [ "$code" -eq 0 ] || { cat "$root/full-$i.err" >&2; exit 1; }
  "$mc" mutate -db hsbench_mc_sweep -files "$files" -n "$SMALL" >/dev/null
  read -r swept _ code < <(timed "$root/sweep-$i" "$hs" "${args[@]}" --sweep --delete-gone)
  [ "$code" -eq 0 ] || { cat "$root/sweep-$i.err" >&2; exit 1; }
  sweep_shares+=("$(awk -v s="$swept" -v f="$full" 'BEGIN {printf "%.1f", 100 * s / f}')")
  echo "  run $i: full pass ${full}s, sweep ${swept}s (${sweep_shares[-1]}%)" >&2
  fresh_store "$root/fresh"
  rm -f "$root"/f.journal*
  "$hs" --store "$root/fresh" --no-sync -q convert --workers 2 --metacat "$(dsn hsbench_mc_sweep)" --metacat-dir "$files" \
    --metacat-timezone UTC --journal "$root/f.journal" --report-dir "$root/reports" >/dev/null
  "$mc" compare "$root/store" "$root/fresh" >&2 || same=no
done
sweep_share=$(printf '%s\n' "${sweep_shares[@]}" | median)
sql "DROP DATABASE IF EXISTS hsbench_mc_sweep WITH (FORCE)"
sql "DROP DATABASE IF EXISTS hsbench_mc_tmpl WITH (FORCE)"

echo
echo "== results (medians of $RUNS runs; load average $(cut -d' ' -f1-3 /proc/loadavg))"
for n in $READ_SIZES; do
  printf '%-62s %12s   %s\n' "read + build sysmeta, $n pids (metacat source)" "${read_rate[$n]}/s" "target >= 20000 pids/s"
  if [ -n "${ratio[$n]:-}" ]; then
    printf '%-62s %12s   %s\n' "  Metacat's per-pid queries ($NAIVE pids, same process)" "${naive_rate[$n]}/s" "source ${ratio[$n]}x, target >= 20x"
  fi
  printf '%-62s %12s   %s\n' "  peak RSS" "${read_rss[$n]} MiB" "target <= 128 MiB"
done
printf '%-62s %12s\n' "convert --manifest $SMALL objects + sysmeta files, 2 workers" "$man_rate/s"
printf '%-62s %12s   %s\n' "convert --metacat, the same objects from the database" "$db_rate/s" "$share% of the manifest's, target >= 90%"
printf '%-62s %12s   %s\n' "sweep after 1% changed, share of the full pass's time" "$sweep_share%" "target <= 10%"
printf '%-62s %12s\n' "swept store equals a fresh full conversion" "$same"
rm -rf "$root"/trash.*
[ "$same" = yes ]
