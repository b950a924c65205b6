#!/usr/bin/env bash
# Builds the hashstore command and runs it on the sample data in testdata/: creates a store in
# a fresh temporary directory (or $1), stores every vector with its pid, checksum, size and
# system metadata, and shows what the store holds.
set -euo pipefail
cd "$(dirname "$0")/.."

mkdir -p bin
go build -o bin/hashstore ./cmd/hashstore
hs=bin/hashstore
store=${1:-$(mktemp -d)/hashstore}
export HASHSTORE_STORE=$store

echo "== init $store"
$hs init

echo "== store the sample objects and their system metadata (testdata/vectors/manifest.tsv)"
tail -n +2 testdata/vectors/manifest.tsv | while IFS=$'\t' read -r file sysmeta pid size sha256; do
  $hs store --pid "$pid" --checksum "$sha256" --checksum-algorithm SHA-256 --size "$size" "testdata/vectors/$file"
  $hs metadata put --pid "$pid" "testdata/vectors/$sysmeta" >/dev/null
done

echo "== find jtao.1700.1"
$hs find --pid jtao.1700.1
echo "== digest --algorithm SHA3-256"
$hs digest --pid jtao.1700.1 --algorithm SHA3-256
echo "== first 64 bytes, verified"
$hs get --pid jtao.1700.1 --range 0-63 --verify; echo
echo "== the store"
(cd "$store" && find . -type f ! -path './locks/*' | sort)
