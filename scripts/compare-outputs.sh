#!/usr/bin/env bash
# A refactor changes no output: runs sgpair at REV (default: the commit a
# refactor starts from, given by the caller) and at the working tree on the
# bundled sample (infer with every output, module v1, audit with --fail-on)
# and on a generated file, then compares every output byte for byte.
#
#   scripts/compare-outputs.sh 3e97b11
#
# Prints the differences and exits 1 if there is one. Builds REV in a
# temporary worktree with the same target folder, so only sgpair's own crate
# is built again.
set -euo pipefail
cd "$(dirname "$0")/.."
rev="${1:?usage: scripts/compare-outputs.sh REV}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/sgpair-target}"
work="$(mktemp -d)"
trap 'git worktree remove --force "$work/tree" >/dev/null 2>&1 || true; rm -rf "$work"' EXIT

# One command's stdout and stderr into NAME.out and NAME.err, and its exit
# code at the end of NAME.err.
run_to() { # $1 name, then the command
  local name="$1" rc=0
  shift
  "$@" >"$name.out" 2>"$name.err" || rc=$?
  echo "exit $rc" >>"$name.err"
}

# Every output of one binary into a folder; paths of the folder read OUT.
outputs() { # $1 binary, $2 folder
  local bin="$1" out="$2" sample="$PWD/sample-logs"
  mkdir -p "$out"
  local common=(--logs "$sample/flow-logs" --inventory "$sample/inventory.json" --since 7d --until 2026-11-25T00:00:00Z)
  run_to "$out/infer" "$bin" infer "${common[@]}" -q --out "$out/rules.auto.tfvars" \
    --report "$out/report.md" --html "$out/report.html" --sarif "$out/report.sarif" --json
  run_to "$out/v1" "$bin" infer "${common[@]}" --out "$out/v1.tfvars" --module-version 1 --report "$out/v1.md"
  run_to "$out/audit" "$bin" audit "${common[@]}" -q --report "$out/audit.md" --html "$out/audit.html" \
    --sarif "$out/audit.sarif" --json --fail-on low
  run_to "$work/generate" "$bin" generate --records 200000 --enis 40 --seed 3 --out "$work/gen.log" \
    --inventory-out "$work/gen-inv.json"
  run_to "$out/gen" "$bin" infer --logs "$work/gen.log" --inventory "$work/gen-inv.json" --since 7d \
    --until 2026-11-26T00:00:00Z --out "$out/gen.tfvars" --report "$out/gen.md"
  sed -i "s#$out#OUT#g; s#$work#WORK#g" "$out"/*
}

echo "== building $rev"
git worktree add --detach "$work/tree" "$rev" >/dev/null
# Both trees share the target folder, and cargo keeps sgpair's artifacts
# under one name for both (its fingerprint checks the sources' times, not
# their place): touch the crate's roots so that each build compiles its own
# tree and links its own target/debug/sgpair.
(cd "$work/tree" && touch src/lib.rs src/main.rs && cargo build --locked --quiet)
cp "$CARGO_TARGET_DIR/debug/sgpair" "$work/sgpair-before"
echo "== building the working tree"
touch src/lib.rs src/main.rs
cargo build --locked --quiet
outputs "$work/sgpair-before" "$work/before"
outputs "$CARGO_TARGET_DIR/debug/sgpair" "$work/after"
if diff -r "$work/before" "$work/after"; then
  echo "same outputs: $(ls "$work/after" | wc -l) files byte-identical at $rev and in the working tree"
else
  exit 1
fi
