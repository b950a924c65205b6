#!/usr/bin/env bash
# Builds the hashstore command and converts the sample Metacat repository in testdata/metacat
# into a fresh store (in a new directory under bin/, or $1; it must be on the filesystem of
# the repository, since the files are hard-linked, not copied): every file of data/ and documents/ is
# hard-linked into the store with its system metadata from sysmeta/, as manifest.csv lists
# them. Eight entries of the manifest are broken on purpose (a wrong checksum, a wrong size, a
# missing file, an unknown algorithm, a sysmeta without checksum, a pid with a space, a
# duplicate pid, a malformed line), so the conversion exits with status 1 and writes one report
# per kind of failure. This script shows the summary and the reports, and exits 0 when the
# outcome is exactly the expected one.
set -euo pipefail
cd "$(dirname "$0")/.."

mkdir -p bin
go build -o bin/hashstore ./cmd/hashstore
hs=bin/hashstore
work=${1:-$(mktemp -d "$PWD/bin/sample.XXXXXX")}
store=$work/hashstore
export HASHSTORE_STORE=$store

echo "== init $store"
$hs init

echo
echo "== convert --manifest testdata/metacat/manifest.csv"
status=0
$hs convert --manifest testdata/metacat/manifest.csv --journal "$work/convert.journal" \
  --report-dir "$work/reports" --checksums-out "$work/checksums.csv" --summary "$work/summary.json" \
  >"$work/summary.txt" || status=$?
cat "$work/summary.txt"

echo
echo "== the reports (pid<TAB>message)"
for f in "$work"/reports/*.txt; do
  echo "-- $(basename "$f")"
  cut -c1-200 "$f"
done

echo
echo "== checksums.csv (ready for COPY checksums(guid, checksum_algorithm, checksum) FROM ... CSV HEADER)"
head -n 6 "$work/checksums.csv"
echo "..."

echo
echo "== find jtao.1700.1: the object is the repository's file, hard-linked"
$hs find --pid jtao.1700.1
ls -li testdata/metacat/documents/jtao.1700.1 "$($hs find --pid jtao.1700.1 --json | sed 's/.*"object_path":"\([^"]*\)".*/\1/')"

echo
echo "== convert again: what is done is skipped"
$hs -q convert --manifest testdata/metacat/manifest.csv --journal "$work/convert.journal" \
  --report-dir "$work/reports" --checksums-out "$work/checksums.csv" | tail -n 1 || true

# The expected outcome: exit status 1, 30 objects, 22 converted, 8 failures, one of each class.
expected="30 objects, 22 succeeded, 8 failed, 56742 bytes"
ok=1
[ "$status" -eq 1 ] || { echo "unexpected exit status $status (want 1)" >&2; ok=0; }
grep -q "$expected" "$work/summary.txt" || { echo "unexpected summary (want: $expected)" >&2; ok=0; }
for class in nonMatchingChecksum noSuchAlgorithm noChecksumInSysmeta sizeMismatch fileNotFound \
  invalidPid duplicatePid malformedLine; do
  n=$(cat "$work"/reports/"${class}"_*.txt 2>/dev/null | wc -l)
  [ "$n" -eq 1 ] || { echo "report $class: $n lines, want 1" >&2; ok=0; }
done
echo
if [ "$ok" -eq 1 ]; then
  echo "== as expected: 22 objects converted, the 8 broken entries reported (store: $store)"
else
  echo "== UNEXPECTED OUTCOME (see above)" >&2
  exit 1
fi
