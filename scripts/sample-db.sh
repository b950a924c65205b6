#!/usr/bin/env bash
# Creates a PostgreSQL database shaped like Metacat's and holding the sample repository of
# testdata/metacat (testdata/metacat/db: schema.sql, then sample.sql, then with --pre-3.1 also
# pre-3.1.sql), shows what it holds and prints its DSN for `hashstore convert --metacat`.
#
#   scripts/sample-db.sh [--pre-3.1] [--replace] [NAME]     (NAME defaults to hashstore_sample)
#
# The server comes from libpq's PG* variables, by default 127.0.0.1:5432 as postgres. An
# existing database NAME is left alone unless --replace is given, which drops it first.
set -euo pipefail
cd "$(dirname "$0")/.."

pre=0
replace=0
while [ $# -gt 0 ]; do
  case $1 in
  --pre-3.1) pre=1 ;;
  --replace) replace=1 ;;
  -*) echo "usage: $0 [--pre-3.1] [--replace] [NAME]" >&2; exit 2 ;;
  *) break ;;
  esac
  shift
done
name=${1:-hashstore_sample}
if ! [[ $name =~ ^[a-z_][a-z0-9_]*$ ]]; then
  echo "database name must be lower-case letters, digits and _: $name" >&2
  exit 2
fi
export PGHOST=${PGHOST:-127.0.0.1} PGPORT=${PGPORT:-5432} PGUSER=${PGUSER:-postgres}
run() { psql -X -q -v ON_ERROR_STOP=1 "$@"; }

exists=$(psql -X -At -d postgres -c "SELECT 1 FROM pg_database WHERE datname = '$name'")
if [ -n "$exists" ]; then
  if [ "$replace" -eq 0 ]; then
    echo "database $name exists; use --replace to drop and recreate it" >&2
    exit 1
  fi
  run -d postgres -c "DROP DATABASE $name WITH (FORCE)"
fi
run -d postgres -c "CREATE DATABASE $name TEMPLATE template0"

files=(-f testdata/metacat/db/schema.sql -f testdata/metacat/db/sample.sql)
if [ "$pre" -eq 1 ]; then
  files+=(-f testdata/metacat/db/pre-3.1.sql)
fi
run -d "$name" "${files[@]}"

psql -X -d "$name" -c "
  SELECT (SELECT count(*) FROM systemmetadata) AS systemmetadata,
         (SELECT count(*) FROM identifier) AS identifier,
         (SELECT count(*) FROM xml_documents) AS xml_documents,
         (SELECT count(*) FROM xml_revisions) AS xml_revisions,
         to_regclass('checksums') IS NOT NULL AS has_checksums"
echo "DSN: host=$PGHOST port=$PGPORT user=$PGUSER dbname=$name sslmode=disable"
echo "files: --documents-dir testdata/metacat/documents --data-dir testdata/metacat/data"
