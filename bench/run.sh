#!/usr/bin/env bash
# Prints, from one run on this machine, the figures issues 3 (streaming engine), 4 (audit),
# 5 (hard-link conversion), 6 (bulk conversion) and 13 (conversion from a Metacat database)
# ask for. Each figure is the median of $RUNS
# runs (default 3). Inputs go to $TMPDIR (the system temp directory, ext4 here); peak RSS comes
# from /usr/bin/time -v. Small-object figures come first, and nothing is deleted until the end:
# on this machine's ext4, creating files and directories costs 10-30x more for minutes after
# gigabytes have been deleted (measured: mkdir 30 us before, 350-960 us after), which would
# charge the large-file sections' clean-up to the small-object figures.
#
#   bash bench/run.sh                 # everything (about 15 minutes; needs ~20 GB free in $TMPDIR)
#   SECTIONS="digests small" bash bench/run.sh
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${RUNS:-3}
SECTIONS=${SECTIONS:-"digests store rss small retrieve convert bulk audit metacat"}
work=$(mktemp -d "${TMPDIR:-/tmp}/hsbench.XXXXXX")
# KEEP=1 leaves the inputs and stores in place: deleting gigabytes slows this machine's next
# file creations for many minutes, so a run meant to be compared with another one right after
# it (two builds side by side) must not delete.
if [ "${KEEP:-}" != 1 ]; then trap 'rm -rf "$work"' EXIT; fi

go build -o bin/hashstore ./cmd/hashstore
go build -o bin/hsbench ./bench/hsbench
hs=$PWD/bin/hashstore
hsb=$PWD/bin/hsbench

median() { sort -g | awk '{a[NR]=$1} END {if (NR == 0) print "n/a"; else if (NR % 2) print a[(NR+1)/2]; else printf "%.1f\n", (a[NR/2]+a[NR/2+1])/2}'; }
# figure NAME: the median of the values collected for NAME in $work/figures
figure() { awk -v n="$1" '$1 == n {print $2}' "$work/figures" | median; }
# runs N CMD...: run CMD N times, appending its "name value unit" lines to $work/figures
runs() { local n=$1; shift; for _ in $(seq "$n"); do "$@" >>"$work/figures"; done; }
# fresh_runs NAME CMD...: runs $RUNS CMD, each with "-dir D" for D in a new directory
# $work/NAME.XXXX (what an earlier run made is left in place: see the note on deleting above)
fresh_runs() { local name=$1; shift; for _ in $(seq "$RUNS"); do "$@" -dir "$(mktemp -d "$work/$name.XXXX")/d" >>"$work/figures"; done; }
# seconds CMD...: wall-clock seconds of CMD
seconds() { local t0 t1; t0=$(date +%s.%N); "$@" >/dev/null; t1=$(date +%s.%N); echo "$t1 - $t0" | bc -l; }
# peak_rss_mib CMD...: peak RSS of CMD in MiB, from /usr/bin/time -v
peak_rss_mib() { /usr/bin/time -v "$@" 2>&1 >/dev/null | awk '/Maximum resident set size/ {printf "%.1f\n", $6/1024}'; }
section() { [[ " $SECTIONS " == *" $1 "* ]]; }
row() { printf '%-58s %12s %s\n' "$1" "$2" "${3:-}"; }
: >"$work/figures"
gib=1073741824

echo "hashstore-go benchmarks: $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, $(go version | cut -d' ' -f3), $RUNS runs per figure, temp dir $work"
echo

if section digests || section store || section convert; then
  runs "$RUNS" "$hsb" digests -size $gib
  serial=$(figure digests_serial); engine=$(figure digests_engine)
fi
if section digests; then
  echo "== Issue 3: five default digests over 1 GiB in memory"
  row "serial loop (8 KiB steps, one goroutine, as the references)" "$serial" MB/s
  row "engine (internal/multihash)" "$engine" MB/s
  row "engine / serial" "$(echo "$engine / $serial" | bc -l | xargs printf %.2f)" "x (target >= 1.8)"
  echo
fi

if section small; then
  # small_runs BASE NAME: $RUNS runs of 2000 x 4 KiB objects + sysmeta, serially and with 2
  # goroutines, each in a new store under BASE; the figures are recorded as NAME_w1, NAME_w2.
  small_runs() {
    for _ in $(seq "$RUNS"); do
      for w in 1 2; do
        "$hsb" small -n 2000 -workers $w -dir "$(mktemp -d "$1/small.XXXX")/s" | sed "s/^small_store/$2/" >>"$work/figures"
      done
    done
  }
  small_runs "$work" small_store
  fresh_runs fsfloor "$hsb" fsfloor -n 2000
  echo "== Issue 3: 2000 x 4 KiB objects + sysmeta, fsync off, $work"
  row "serial" "$(figure small_store_w1)" "objects/s (target >= 2600; Python 519)"
  row "2 goroutines" "$(figure small_store_w2)" "objects/s (target >= 4000)"
  # What the filesystem itself charges, measured beside: a fresh store makes ~9 directories
  # and 4 files per object + sysmeta, so these bound the rates above whatever the code does.
  row "  this filesystem: one mkdir" "$(figure fs_mkdir_us)" "us"
  row "  this filesystem: one 4 KiB file (create, write, close, rename)" "$(figure fs_file_us)" "us"
  if [ -d /dev/shm ] && [ -w /dev/shm ]; then
    shm=$(mktemp -d /dev/shm/hsbench.XXXX)
    small_runs "$shm" shm_store
    rm -rf "$shm"
    row "  the same on tmpfs (/dev/shm): serial / 2 goroutines" "$(figure shm_store_w1) / $(figure shm_store_w2)" "objects/s (the code's own cost)"
  fi
  echo
fi

if section retrieve; then
  fresh_runs retrieve "$hsb" retrieve -n 2000
  echo "== Issue 3: RetrieveObject"
  row "small objects (4 KiB, read whole)" "$(figure retrieve_small)" "objects/s (target >= 17000; Java 16900)"
  row "large object (256 MiB, page cache)" "$(figure retrieve_large_x8)" "MB/s (target >= 5000)"
  row "  its first read after storing (written directly, so from the device)" "$(figure retrieve_large_x1)" "MB/s"
  echo
fi

if section store || section convert; then
  src=$work/one-gib.bin
  head -c $gib /dev/urandom >"$src"
  cat "$src" >/dev/null # into the page cache
  store_rate() { # store_rate FLAGS...: MB/s of `hashstore store` of $src into a fresh store
    local d; d=$(mktemp -d "$work/store.XXXX")
    "$hs" --store "$d" init >/dev/null
    local s; s=$(seconds "$hs" --store "$d" "$@" store --pid "p-$RANDOM" "$src")
    echo "$s" | awk -v b=$gib '{printf "%.1f\n", b/1e6/$1}'
  }
  for _ in $(seq "$RUNS"); do
    echo "store_nosync $(store_rate --no-sync)" >>"$work/figures"
    echo "store_sync $(store_rate)" >>"$work/figures"
  done
  nosync=$(figure store_nosync); withsync=$(figure store_sync)
fi
if section store; then
  echo "== Issue 3: hashstore store of a 1 GiB file from the page cache"
  row "without fsync (--no-sync)" "$nosync" MB/s
  row "  share of the engine's rate" "$(echo "100 * $nosync / $engine" | bc -l | xargs printf %.0f)" "% (target >= 85)"
  row "with fsync (default)" "$withsync" MB/s
  row "  cost of fsync" "$(echo "100 - 100 * $withsync / $nosync" | bc -l | xargs printf %.0f)" "% slower"
  row "reference implementations (issue 3, this machine kind)" "143-173" MB/s
  echo
fi

if section rss; then
  echo "== Issue 3: peak RSS"
  big=$work/four-gib.bin
  head -c $((4 * gib)) /dev/urandom >"$big"
  d=$work/rss-store; "$hs" --store "$d" init >/dev/null
  row "hashstore store of a 4 GiB file" "$(peak_rss_mib "$hs" --store "$d" --no-sync store --pid big "$big")" "MiB (target <= 32)"
  row "32 concurrent StoreObject streams of 64 MiB (hsbench)" "$(peak_rss_mib "$hsb" streams -streams 32 -size 67108864 -dir "$work/streams")" "MiB (target <= 256)"
  echo
fi

if section convert; then
  fresh_runs conv "$hsb" convert -file "$src"
  conv=$(figure convert_rate)
  fresh_runs convs "$hsb" convert-small -n 2000
  echo "== Issue 5: hard-link conversion"
  row "convert a 1 GiB file (fsync on)" "$conv" MB/s
  row "  share of the engine's rate" "$(echo "100 * $conv / $engine" | bc -l | xargs printf %.0f)" "% (target >= 90)"
  row "  hashstore store of the same file: without / with fsync" "$nosync / $withsync" MB/s
  row "  bytes written to the store's filesystem" "$(figure convert_write_bytes)" "KiB (target < 1024)"
  row "convert 2000 x 4 KiB files + sysmeta, fsync off, serial" "$(figure convert_small)" "objects/s (target >= 3000)"
  echo
fi

if section bulk && [ -f bench/bulk.sh ]; then
  echo "== Issue 6: bulk conversion (bench/bulk.sh)"
  RUNS=$RUNS ENGINE_MBS=$engine bash bench/bulk.sh
  echo
fi

if section audit; then
  echo "== Issue 4: audit of a 100,000-object store"
  go build -o bin/hsaudit ./bench/audit
  "$PWD/bin/hsaudit" -store "$work/audit-store" -n 100000 >"$work/audit.out" 2>&1 || true
  grep -Ei "audit|rss|time|files" "$work/audit.out" | sed 's/^/  /'
  echo
fi

if section metacat; then
  echo "== Issue 13: conversion from a Metacat database (bench/metacat.sh)"
  if psql -X -q -At "${HASHSTORE_TEST_PG:-host=127.0.0.1 port=5432 user=postgres dbname=postgres sslmode=disable}" -c 'SELECT 1' >/dev/null 2>&1; then
    RUNS=$RUNS bash bench/metacat.sh
  else
    echo "  no PostgreSQL reachable: left out"
  fi
  echo
fi
