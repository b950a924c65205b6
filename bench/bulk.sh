#!/usr/bin/env bash
# Bulk conversion benchmarks (issues 6 and 16). Generates its inputs in $TMPDIR (default /tmp),
# runs the hashstore command on them and prints:
#
#   convert --manifest, 20,000 x 4 KiB objects + sysmeta, 2 workers: objects/s with the default
#     durability (group commit) and with --no-sync, side by side, runs interleaved (issue 16:
#     default >= 90% of --no-sync; issue 6: --no-sync >= 4,000)
#   import  --manifest, the same (issue 6: --no-sync >= 2,600)
#   the Python reference's serial store rate of the same objects on the same filesystem, when
#     HASHSTORE_PY_SRC names the src/ directory of a checkout of github.com/DataONEorg/hashstore
#     (tag 1.1.0; it is not part of this repository): the default rates against 3x it
#   import of 2 objects of LARGE_SIZE (1 GiB): default against --no-sync (target within 5%)
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

# bulk_once MODE DIR N [FLAGS...]: objects/s of one MODE (convert|import) run over
# DIR/manifest.csv on a fresh store, with FLAGS (--no-sync, or none: the default durability).
bulk_once() {
  local mode=$1 dir=$2 n=$3 tag
  shift 3
  tag="$mode${1:-}-$RANDOM"
  fresh_store "$root/store"
  rm -f "$dir"/manifest.csv.journal*
  read -r wall rss < <(timed "$root/$tag" "$hs" --store "$root/store" "$@" -q "$mode" \
    --manifest "$dir/manifest.csv" --workers 2 --summary "$root/$tag.json")
  grep -q "\"failed\": 0," "$root/$tag.json" || { echo "$mode run had failures" >&2; cat "$root/$tag.out" "$root/$tag.err" >&2; exit 1; }
  echo "  $mode ${*:-(durable)}: $n objects in ${wall}s, peak RSS $((rss / 1024)) MiB" >&2
  awk -v n="$n" -v w="$wall" 'BEGIN {printf "%.4g\n", n / w}'
  if [ "${1:-}" = --no-sync ]; then
    # The floor of a durable run: what the kernel then takes to write this run's files out
    # (one syncfs of the store's filesystem), added to the run's own time.
    local t0 t1
    t0=$(date +%s.%N)
    sync -f "$root/store/hashstore.yaml"
    t1=$(date +%s.%N)
    echo "  then syncfs: $(awk -v a="$t0" -v b="$t1" 'BEGIN {printf "%.2f", b - a}')s" >&2
    awk -v n="$n" -v w="$wall" -v a="$t0" -v b="$t1" 'BEGIN {printf "%.4g\n", n / (w + b - a)}' >"$root/floor.last"
  fi
}

# durable_and_nosync MODE DIR N: $RUNS interleaved pairs of runs, the default durability and
# --no-sync, so that the filesystem's drift counts alike for both; prints the two medians.
durable_and_nosync() {
  local durable=() nosync=() floor=() i
  for i in $(seq "$RUNS"); do
    durable+=("$(bulk_once "$@")")
    nosync+=("$(bulk_once "$@" --no-sync)")
    floor+=("$(cat "$root/floor.last")")
  done
  echo "$(printf '%s\n' "${durable[@]}" | median) $(printf '%s\n' "${nosync[@]}" | median) $(printf '%s\n' "${floor[@]}" | median)"
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
sync # the inputs on disk, so that no run's flush writes them

echo "== convert --manifest: $SMALL x 4 KiB + sysmeta, 2 workers, durable (group commit) and --no-sync"
read -r convert_durable convert convert_floor < <(durable_and_nosync convert "$root/small" "$SMALL")
echo "== import --manifest: the same"
read -r import_durable import import_floor < <(durable_and_nosync import "$root/small" "$SMALL")
pyref=""
if [ -n "${HASHSTORE_PY_SRC:-}" ]; then
  echo "== the Python reference (HASHSTORE_PY_SRC=$HASHSTORE_PY_SRC): $SMALL x 4 KiB + sysmeta, serially"
  pyrates=()
  for i in $(seq "$RUNS"); do
    d=$(mktemp -d "$root/pyref.XXXX")
    pyrates+=("$(PYTHONPATH="$HASHSTORE_PY_SRC" python3 bench/pyref/store_small.py "$d/store" "$SMALL" | awk '{print $2}')")
    echo "  python run $i: ${pyrates[-1]} objects/s" >&2
  done
  pyref=$(printf '%s\n' "${pyrates[@]}" | median)
fi
echo "== import of 2 x $LARGE_SIZE, durable and --no-sync"
if [ ! -f "$root/large/manifest.csv" ] || [ "$(cat "$root/large/.large-size" 2>/dev/null)" != "$LARGE_SIZE" ]; then
  rm -rf "$root/large"
  "$gen" gen -dir "$root/large" -n 0 -large 2 -large-size "$(numfmt --from=iec-i "${LARGE_SIZE/B/}")"
  echo "$LARGE_SIZE" >"$root/large/.large-size"
fi
read -r large_durable large_nosync _ < <(durable_and_nosync import "$root/large" 2)

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
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.1f%%", 100 * a / b}'; }
printf '%-58s %10s   %s\n' "convert --manifest $SMALL x 4 KiB, 2 workers, --no-sync" "$convert/s" "target >= 4000 objects/s"
printf '%-58s %10s   %s\n' "  the same, durable (group commit, the default)" "$convert_durable/s" "$(ratio "$convert_durable" "$convert") of --no-sync, target >= 90%"
printf '%-58s %10s   %s\n' "  floor: the --no-sync run, then one syncfs" "$convert_floor/s" "$(ratio "$convert_floor" "$convert") of --no-sync; durable is $(ratio "$convert_durable" "$convert_floor") of it"
printf '%-58s %10s   %s\n' "import --manifest $SMALL x 4 KiB, 2 workers, --no-sync" "$import/s" "target >= 2600 objects/s"
printf '%-58s %10s   %s\n' "  the same, durable (group commit, the default)" "$import_durable/s" "$(ratio "$import_durable" "$import") of --no-sync, target >= 90%"
printf '%-58s %10s   %s\n' "  floor: the --no-sync run, then one syncfs" "$import_floor/s" "$(ratio "$import_floor" "$import") of --no-sync; durable is $(ratio "$import_durable" "$import_floor") of it"
if [ -n "$pyref" ]; then
  printf '%-58s %10s   %s\n' "Python reference 1.1.0, serial store_object + store_metadata" "$pyref/s" \
    "durable convert $(awk -v a="$convert_durable" -v b="$pyref" 'BEGIN {printf "%.1fx", a / b}'), import $(awk -v a="$import_durable" -v b="$pyref" 'BEGIN {printf "%.1fx", a / b}'); target >= 3x"
fi
printf '%-58s %10s   %s\n' "import 2 x $LARGE_SIZE, durable / --no-sync" "$large_durable/s" \
  "$(ratio "$large_durable" "$large_nosync") of --no-sync's $large_nosync/s, target >= 95%"
printf '%-58s %10s   %s\n' "digest engine (5 digests, multihash, page cache)" "$engine MB/s" "measured before each mix run"
printf '%-58s %10s   %s\n' "mix 2 x $LARGE_SIZE + 5,000 x 4 KiB" "$mix MB/s" \
  "median share of the engine $share%, target >= 85%"
printf '%-58s %10s   %s\n' "$LINES-line manifest, peak RSS (first run, ${wall1}s)" "$((rss1 / 1024)) MiB" "target <= 128 MiB"
printf '%-58s %10s   %s\n' "$LINES-line manifest, peak RSS (resumed, ${wall2}s)" "$((rss2 / 1024)) MiB" "target <= 128 MiB"
printf '%-58s %10s   %s\n' "$LINES-line manifest, peak RSS ($LINES done in the journal, ${wall3}s)" "$((rss3 / 1024)) MiB" "target <= 128 MiB"
if [ "${KEEP:-}" != 1 ]; then rm -rf "$root"/trash.*; fi
