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
#
# When PostgreSQL is reachable (libpq's PG* variables, by default 127.0.0.1:5432 as postgres),
# it then loads the same repository into a Metacat-shaped database (scripts/sample-db.sh) and
# converts it from there with convert --metacat into a second store: the system metadata built
# from the rows, the broken rows and the documents Metacat would still convert reported in their
# classes; then sweeps it (nothing changed: only the failures are tried again) and drops the
# database.
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

export PGHOST=${PGHOST:-127.0.0.1} PGPORT=${PGPORT:-5432} PGUSER=${PGUSER:-postgres}
if ! command -v psql >/dev/null 2>&1 || ! psql -X -q -At -d postgres -c 'SELECT 1' >/dev/null 2>&1; then
  echo
  echo "== no PostgreSQL at $PGHOST:$PGPORT as $PGUSER: the database run is left out"
  exit 0
fi
db=hashstore_sample_$$
trap 'psql -X -q -d postgres -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null 2>&1 || true' EXIT
echo
echo "== the same repository in a Metacat database ($db)"
bash scripts/sample-db.sh "$db" | tail -n 6
dsn="host=$PGHOST port=$PGPORT user=$PGUSER dbname=$db"
export HASHSTORE_STORE=$work/dbstore
$hs init >/dev/null

echo
echo "== convert --metacat: the system metadata built from the rows, the files from testdata/metacat"
args=(convert --metacat "$dsn" --metacat-dir testdata/metacat --metacat-timezone UTC
  --journal "$work/metacat.journal" --report-dir "$work/dbreports" --checksums-out "$work/dbchecksums.csv")
status=0
$hs "${args[@]}" >"$work/dbsummary.txt" || status=$?
cat "$work/dbsummary.txt"

echo
echo "== the database's own cases"
for f in "$work"/dbreports/{noIdentifierRow,noSystemMetadata,sysmetaOnly,invalidSysmeta}_*.txt; do
  echo "-- $(basename "$f")"
  cut -c1-200 "$f"
done

echo
echo "== jtao.1700.1's system metadata as the store holds it (built from its rows)"
$hs metadata get --pid jtao.1700.1 | head -n 8
echo "..."

echo
echo "== convert --metacat --sweep: nothing changed, the 23 stored are skipped, the 10 failures tried again"
$hs -q "${args[@]}" --sweep 2>/dev/null | grep 'this run' | tee "$work/dbsweep.txt" || true

# 33 entries: the 30 systemmetadata rows, 2 documents without identifier row, 1 identifier row
# without system metadata; 23 stored (22 objects and 1 sysmeta without identifier row).
expected="33 objects, 23 succeeded, 10 failed, 56742 bytes"
ok=1
[ "$status" -eq 1 ] || { echo "unexpected exit status $status (want 1)" >&2; ok=0; }
grep -q "$expected" "$work/dbsummary.txt" || { echo "unexpected summary (want: $expected)" >&2; ok=0; }
grep -q "10 processed, 23 skipped" "$work/dbsweep.txt" || { echo "unexpected sweep (want: 10 processed, 23 skipped)" >&2; ok=0; }
for class in nonMatchingChecksum:1 noSuchAlgorithm:1 noChecksumInSysmeta:1 sizeMismatch:1 fileNotFound:1 \
  invalidSysmeta:1 invalidPid:1 noIdentifierRow:2 noSystemMetadata:1 sysmetaOnly:1; do
  n=$(cat "$work"/dbreports/"${class%:*}"_*.txt 2>/dev/null | wc -l)
  [ "$n" -eq "${class#*:}" ] || { echo "report ${class%:*}: $n lines, want ${class#*:}" >&2; ok=0; }
done
echo
if [ "$ok" -eq 1 ]; then
  echo "== as expected: 22 objects and 1 sysmeta converted from the database, 10 entries reported (store: $HASHSTORE_STORE)"
else
  echo "== UNEXPECTED OUTCOME of the database run (see above)" >&2
  exit 1
fi
