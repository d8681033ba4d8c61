#!/usr/bin/env bash
# Copies the reference test vectors from the read-only steering folder (../shared/vectors) into
# tooling/vectors, or with --check only reports whether the copy is stale. The copy is what tests
# read, so that a fresh clone needs nothing outside the repository.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
src=${PEERWIRE_SHARED:-$here/../../shared}/vectors
if [ ! -d "$src" ]; then
  echo "no steering vectors at $src (set PEERWIRE_SHARED); nothing to do" >&2
  exit 0
fi
if [ "${1:-}" = "--check" ]; then
  diff -r "$src" "$here/vectors" --exclude=README.md && echo "vectors are up to date"
  exit $?
fi
rsync -a --exclude=README.md "$src/" "$here/vectors/" 2>/dev/null || cp -r "$src/." "$here/vectors/"
echo "copied $src into $here/vectors"
