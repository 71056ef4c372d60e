#!/usr/bin/env bash
# README's two commands share their dependency builds: `cargo run` (the
# sample) builds the dependencies, and `scripts/test` (`cargo test`) reuses
# them, unless a dev-dependency turns on a feature of a shared crate, which
# makes cargo build that crate (and every crate above it) a second time.
# This lists each crate both builds use whose features differ, and fails if
# there is one. Fix: ask for the same features in Cargo.toml's
# [dependencies] (see `either` and `winnow` there).
set -euo pipefail
cd "$(dirname "$0")/.."

features() { # $1: the edge kinds cargo tree follows
  cargo tree --locked -e "$1" -f '{p}|{f}' --prefix none | sed 's/ (\*)//' | sort -u
}
build="$(features normal,build)"
tests="$(features normal,build,dev)"
# A crate of the build whose line (name, version, features) the test build lacks.
differ="$(comm -23 <(printf '%s\n' "$build") <(printf '%s\n' "$tests") | while IFS='|' read -r pkg feats; do
  echo "$pkg: build [$feats], tests [$(printf '%s\n' "$tests" | grep -F "$pkg|" | cut -d'|' -f2 | paste -sd' ')]"
done)"
shared=$(printf '%s\n' "$build" | wc -l)
if [ -n "$differ" ]; then
  echo "crates that cargo test would build again after cargo build (features differ):"
  printf '%s\n' "$differ"
  exit 1
fi
echo "shared build: all $shared crates of cargo build have the same features in cargo test"
