#!/usr/bin/env bash
# Compares two builds of the project side by side, runs interleaved: the working tree (head)
# and a git revision (base, e.g. the commit before a change). This machine's speed drifts by
# tens of percent within minutes (memory reclaim, other tenants, what earlier runs deleted), so
# figures taken in two separate runs of bench/run.sh cannot show that a change made nothing
# slower; here every figure is measured for both builds in the same minute, base and head
# alternating (and swapping which goes first), and the medians are printed with their ratio.
#
# The figures: the digest engine on 256 MiB in memory; 2000 x 4 KiB objects + sysmeta stored
# serially and with 2 goroutines, on $TMPDIR (ext4 here) and on tmpfs; retrieving them; the
# hard-link conversion of 2000 small files; an audit of a 20,000-object store (built once, by
# head); and bulk convert and import of 5000 small objects (--no-sync, so that both builds do
# the same work whatever their durability).
#
#   bash bench/ab.sh BASE_REV [RUNS]     (RUNS default 5; about 1 minute per run on 2 cores)
set -euo pipefail
cd "$(dirname "$0")/.."
base_rev=${1:?usage: bash bench/ab.sh BASE_REV [RUNS]}
RUNS=${2:-5}
work=$(mktemp -d "${TMPDIR:-/tmp}/hsab.XXXXXX")
shm=""
if [ -d /dev/shm ] && [ -w /dev/shm ]; then shm=$(mktemp -d /dev/shm/hsab.XXXXXX); fi
trap 'git worktree remove --force "$work/base-src" >/dev/null 2>&1 || true; rm -rf "$work" ${shm:+"$shm"}' EXIT

git worktree add -q --detach "$work/base-src" "$base_rev"
for b in base head; do
  src=$PWD
  [ $b = base ] && src=$work/base-src
  (cd "$src" && go build -o "$work/$b/hsbench" ./bench/hsbench && go build -o "$work/$b/hashstore" ./cmd/hashstore \
    && go build -o "$work/$b/bulkgen" ./bench/bulk && go build -o "$work/$b/hsaudit" ./bench/audit)
done
"$work/head/bulkgen" gen -dir "$work/src" -n 5000 -size 4096 >/dev/null
"$work/head/hsaudit" -store "$work/audit-store" -n 20000 >/dev/null 2>&1 # built once, audited by both

median() { sort -g | awk '{a[NR]=$1} END {if (NR == 0) print "n/a"; else if (NR % 2) print a[(NR+1)/2]; else printf "%.1f\n", (a[NR/2]+a[NR/2+1])/2}'; }

# one BUILD: every figure once for BUILD, as "name value" lines.
one() {
  local b=$1 d
  "$work/$b/hsbench" digests -size 268435456 | awk '$1 == "digests_engine" {print "engine_MBps", $2}'
  for w in 1 2; do
    d=$(mktemp -d "$work/small.XXXX")
    "$work/$b/hsbench" small -n 2000 -workers $w -dir "$d/s" | awk -v w=$w '{print "small_w" w "_ext4", $2}'
    if [ -n "$shm" ]; then
      d=$(mktemp -d "$shm/small.XXXX")
      "$work/$b/hsbench" small -n 2000 -workers $w -dir "$d/s" | awk -v w=$w '{print "small_w" w "_tmpfs", $2}'
      rm -rf "$d"
    fi
  done
  d=$(mktemp -d "$work/retrieve.XXXX")
  "$work/$b/hsbench" retrieve -n 2000 -dir "$d/d" | awk '$1 ~ /^retrieve_small/ {print "retrieve_small", $2}'
  d=$(mktemp -d "$work/convs.XXXX")
  "$work/$b/hsbench" convert-small -n 2000 -dir "$d/d" | awk '{print "convert_small", $2}'
  "$work/$b/hsaudit" -store "$work/audit-store" -n 20000 2>&1 | awk '/^audit/ {gsub(/[(]/, "", $(NF-1)); print "audit_files_per_s", $(NF-1)}'
  for mode in convert import; do
    d=$(mktemp -d "$work/bulk.XXXX")
    "$work/$b/hashstore" --store "$d/store" -q init >/dev/null
    rm -f "$work"/src/manifest.csv.journal*
    local t0 t1
    t0=$(date +%s.%N)
    "$work/$b/hashstore" --store "$d/store" --no-sync -q "$mode" --manifest "$work/src/manifest.csv" --workers 2 >/dev/null
    t1=$(date +%s.%N)
    echo "bulk_${mode}_nosync $(echo "5000 / ($t1 - $t0)" | bc -l | xargs printf %.0f)"
  done
}

: >"$work/figures"
for i in $(seq "$RUNS"); do
  order="base head"
  [ $((i % 2)) = 0 ] && order="head base"
  for b in $order; do
    one "$b" | sed "s/^/$b /" >>"$work/figures"
  done
  echo "run $i of $RUNS done" >&2
done

echo "A/B: base $(git rev-parse --short "$base_rev") against head $(git rev-parse --short HEAD)$(git diff --quiet || echo ' + working tree'), $RUNS interleaved runs, $(nproc) cores, temp dir $work"
printf '%-22s %12s %12s %8s   %s\n' figure base head head/base "every run: base | head"
for f in engine_MBps small_w1_ext4 small_w2_ext4 small_w1_tmpfs small_w2_tmpfs retrieve_small convert_small audit_files_per_s bulk_convert_nosync bulk_import_nosync; do
  a=$(awk -v b=base -v f="$f" '$1 == b && $2 == f {print $3}' "$work/figures" | median)
  h=$(awk -v b=head -v f="$f" '$1 == b && $2 == f {print $3}' "$work/figures" | median)
  r=$(awk -v a="$a" -v h="$h" 'BEGIN {if (a > 0) printf "%.2f", h / a; else print "n/a"}')
  all() { awk -v b="$1" -v f="$f" '$1 == b && $2 == f {printf "%s ", $3}' "$work/figures"; }
  printf '%-22s %12s %12s %8s   %s| %s\n' "$f" "$a" "$h" "$r" "$(all base)" "$(all head)"
done
