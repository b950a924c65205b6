#!/usr/bin/env bash
# Bulk conversion benchmarks (issue 6). Generates its inputs in $TMPDIR (default /tmp), runs
# the hashstore command on them with fsync off (--no-sync) and prints:
#
#   convert --manifest, 20,000 x 4 KiB objects + sysmeta, 2 workers: objects/s (target >= 4,000)
#   import  --manifest, the same: objects/s (target >= 2,600)
#   a mix of 2 x 1 GiB and 5,000 x 4 KiB objects: MB/s, against the digest engine's MB/s on the
#     same machine measured just before each run (target >= 85%; median of the runs' shares)
#   peak RSS of a run over a 1,000,000-line manifest (target <= 128 MiB), first run and resumed
#
# Rates are medians of $RUNS runs (default 3), each on a fresh store, measured from the
# process's wall time. Usage: bash bench/bulk.sh [quick]   ("quick": 1 run, smaller inputs)
set -euo pipefail
cd "$(dirname "$0")/.."

RUNS=${RUNS:-3}
SMALL=${SMALL:-20000}
LINES=${LINES:-1000000}
LARGE_SIZE=${LARGE_SIZE:-1GiB}
if [ "${1:-}" = quick ]; then
  RUNS=1 SMALL=2000 LINES=100000 LARGE_SIZE=64MiB
fi
root=${TMPDIR:-/tmp}/hashstore-bulk-bench
mkdir -p "$root"
go build -o "$root/hashstore" ./cmd/hashstore
go build -o "$root/bulkgen" ./bench/bulk
hs=$root/hashstore
gen=$root/bulkgen

median() { sort -g | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }

# timed RUN_LOG CMD...: runs CMD under /usr/bin/time -v; prints "seconds maxrss_kib".
timed() {
  local log=$1
  shift
  /usr/bin/time -v "$@" >"$log.out" 2>"$log.err" || true
  local wall rss
  wall=$(grep 'Elapsed (wall clock)' "$log.err" | awk '{print $NF}' | awk -F: '{ if (NF==3) print $1*3600+$2*60+$3; else print $1*60+$2 }')
  rss=$(grep 'Maximum resident set size' "$log.err" | awk '{print $NF}')
  echo "$wall $rss"
}

# fresh_store DIR: a new store at DIR. An earlier one is moved aside, not deleted, until the
# end (see bench/run.sh: deleting slows this ext4's next file creations for minutes).
fresh_store() {
  if [ -e "$1" ]; then mv "$1" "$root/trash.$(date +%s%N)"; fi
  "$hs" --store "$1" -q init >/dev/null
}

# bulk_rate MODE DIR N: median objects/s of MODE (convert|import) over DIR/manifest.csv.
bulk_rate() {
  local mode=$1 dir=$2 n=$3 rates=() i
  for i in $(seq "$RUNS"); do
    fresh_store "$root/store"
    rm -f "$dir"/manifest.csv.journal*
    read -r wall rss < <(timed "$root/$mode-$i" "$hs" --store "$root/store" --no-sync -q "$mode" \
      --manifest "$dir/manifest.csv" --workers 2 --summary "$root/$mode-$i.json")
    grep -q "\"failed\": 0," "$root/$mode-$i.json" || { echo "$mode run $i had failures" >&2; cat "$root/$mode-$i.out" "$root/$mode-$i.err" >&2; exit 1; }
    rates+=("$(awk -v n="$n" -v w="$wall" 'BEGIN {printf "%.0f", n / w}')")
    echo "  $mode run $i: $n objects in ${wall}s, peak RSS $((rss / 1024)) MiB" >&2
  done
  printf '%s\n' "${rates[@]}" | median
}

echo "== inputs in $root"
if [ ! -f "$root/small/manifest.csv" ] || [ "$(($(wc -l <"$root/small/manifest.csv") - 1))" -ne "$SMALL" ]; then
  rm -rf "$root/small"
  "$gen" gen -dir "$root/small" -n "$SMALL" -size 4096
fi
if [ ! -f "$root/mix/manifest.csv" ] || [ "$(cat "$root/mix/.large-size" 2>/dev/null)" != "$LARGE_SIZE" ]; then
  rm -rf "$root/mix"
  "$gen" gen -dir "$root/mix" -n 5000 -size 4096 -large 2 -large-size "$(numfmt --from=iec-i "${LARGE_SIZE/B/}")"
  echo "$LARGE_SIZE" >"$root/mix/.large-size"
fi
"$gen" lines -out "$root/lines.csv" -n "$LINES"

echo "== convert --manifest: $SMALL x 4 KiB + sysmeta, 2 workers, fsync off"
convert=$(bulk_rate convert "$root/small" "$SMALL")
echo "== import --manifest: the same"
import=$(bulk_rate import "$root/small" "$SMALL")

echo "== mix: 2 x $LARGE_SIZE + 5,000 x 4 KiB (convert, 2 workers + the large lane)"
cat "$root"/mix/data/large.* >/dev/null # page cache, as for the engine
mix_bytes=$(($(stat -c %s "$root"/mix/data/large.0) * 2 + 5000 * 4096))
# The engine is measured right before each mix run and each run is compared with its own
# engine figure: this VM's speed drifts by 10% within minutes, which one engine figure for
# all runs would count for or against the mix.
mixes=() engines=() shares=()
for i in $(seq "$RUNS"); do
  engines+=("$("$gen" engine -file "$root/mix/data/large.0")")
  fresh_store "$root/store"
  rm -f "$root"/mix/manifest.csv.journal*
  read -r wall rss < <(timed "$root/mix-$i" "$hs" --store "$root/store" --no-sync -q convert \
    --manifest "$root/mix/manifest.csv" --workers 2)
  mixes+=("$(awk -v b="$mix_bytes" -v w="$wall" 'BEGIN {printf "%.1f", b / 1e6 / w}')")
  shares+=("$(awk -v m="${mixes[-1]}" -v e="${engines[-1]}" 'BEGIN {printf "%.1f", 100 * m / e}')")
  echo "  mix run $i: $mix_bytes bytes in ${wall}s = ${mixes[-1]} MB/s, engine just before ${engines[-1]} MB/s (${shares[-1]}%), peak RSS $((rss / 1024)) MiB" >&2
done
mix=$(printf '%s\n' "${mixes[@]}" | median)
engine=$(printf '%s\n' "${engines[@]}" | median)
share=$(printf '%s\n' "${shares[@]}" | median)

echo "== $LINES-line manifest (every line fails at once: the pipeline, journal and reports)"
fresh_store "$root/store"
rm -f "$root"/lines.csv.journal*
read -r wall1 rss1 < <(timed "$root/lines-1" "$hs" --store "$root/store" --no-sync -q convert --manifest "$root/lines.csv")
read -r wall2 rss2 < <(timed "$root/lines-2" "$hs" --store "$root/store" --no-sync -q convert --manifest "$root/lines.csv")
tail -n 3 "$root/lines-2.out" >&2 || true
# The same with a journal recording every line as a converted object (the index of a resumed
# run over $LINES converted objects).
"$gen" journal -out "$root/lines.done.journal" -store "$root/store" -manifest "$root/lines.csv" -n "$LINES"
read -r wall3 rss3 < <(timed "$root/lines-3" "$hs" --store "$root/store" --no-sync -q convert --manifest "$root/lines.csv" \
  --journal "$root/lines.done.journal")

echo
echo "== results (medians of $RUNS runs; $root is on $(df -T "$root" | awk 'NR==2 {print $2}'), load average $(cut -d' ' -f1-3 /proc/loadavg))"
printf '%-58s %10s   %s\n' "convert --manifest $SMALL x 4 KiB, 2 workers" "$convert/s" "target >= 4000 objects/s"
printf '%-58s %10s   %s\n' "import --manifest $SMALL x 4 KiB, 2 workers" "$import/s" "target >= 2600 objects/s"
printf '%-58s %10s   %s\n' "digest engine (5 digests, multihash, page cache)" "$engine MB/s" "measured before each mix run"
printf '%-58s %10s   %s\n' "mix 2 x $LARGE_SIZE + 5,000 x 4 KiB" "$mix MB/s" \
  "median share of the engine $share%, target >= 85%"
printf '%-58s %10s   %s\n' "$LINES-line manifest, peak RSS (first run, ${wall1}s)" "$((rss1 / 1024)) MiB" "target <= 128 MiB"
printf '%-58s %10s   %s\n' "$LINES-line manifest, peak RSS (resumed, ${wall2}s)" "$((rss2 / 1024)) MiB" "target <= 128 MiB"
printf '%-58s %10s   %s\n' "$LINES-line manifest, peak RSS ($LINES done in the journal, ${wall3}s)" "$((rss3 / 1024)) MiB" "target <= 128 MiB"
rm -rf "$root"/trash.*
