#!/usr/bin/env bash
# Two builds of sgpair on the same files, run in turn, so that a change is
# measured against the build before it under the same load (a shared
# machine's speed drifts over minutes; alternating spreads the drift over
# both). The data are compare-duckdb.sh's (run it once first).
#
#   bash benches/compare-builds.sh OLD_BINARY NEW_BINARY [FILE ...]
#   THREADS=1 ROUNDS=5 bash benches/compare-builds.sh old/sgpair new/sgpair mesh-big.log
#
# FILE: names in $BENCH_DIR (default: gen-big.log mesh-big.log); each is read
# with the inventory of its set (gen-inventory.json, mesh-inventory.json).
# Prints per run the wall time, CPU time (user + system) and peak RSS, then
# per file and build the fastest wall time and the least CPU time; fails when
# the two builds write different rules.
set -euo pipefail
cd "$(dirname "$0")/.."

[ $# -ge 2 ] || { sed -n '2,13p' "$0" >&2; exit 2; }
OLD=$(realpath "$1")
NEW=$(realpath "$2")
shift 2
FILES=("$@")
[ ${#FILES[@]} -gt 0 ] || FILES=(gen-big.log mesh-big.log)
WORK="${BENCH_DIR:-${TMPDIR:-/tmp}/sgpair-bench}"
THREADS="${THREADS:-$(nproc)}"
ROUNDS="${ROUNDS:-3}"
OUT=$(mktemp -d)
trap 'rm -rf "$OUT"' EXIT

echo "cores: $(nproc)  load: $(cut -d' ' -f1-3 /proc/loadavg)  threads: $THREADS  rounds: $ROUNDS"
printf '%-20s %-4s %8s %8s %8s\n' file build wall_s cpu_s peak_MB
for f in "${FILES[@]}"; do
  path="$WORK/$f"
  inventory="$WORK/${f%%-*}-inventory.json"
  [ -f "$path" ] && [ -f "$inventory" ] || {
    echo "FAIL: $path or $inventory is missing: run benches/compare-duckdb.sh first" >&2; exit 1; }
  cat "$path" > /dev/null
  for round in $(seq "$ROUNDS"); do
    for build in old new; do
      bin=$OLD; [ "$build" = new ] && bin=$NEW
      /usr/bin/time -f '%e %U %S %M' -o "$OUT/time" "$bin" infer --threads "$THREADS" \
        --logs "$path" --inventory "$inventory" \
        --since 2026-11-24T00:00:00Z --until 2026-11-25T00:00:00Z \
        --out "$OUT/$build.tfvars" --report "$OUT/$build.md" 2> "$OUT/stderr" || {
          cat "$OUT/stderr" >&2; exit 1; }
      read -r wall user sys peak < "$OUT/time"
      cpu=$(awk -v u="$user" -v s="$sys" 'BEGIN { printf "%.2f", u + s }')
      printf '%-20s %-4s %8.2f %8.2f %8.0f\n' "$f" "$build" "$wall" "$cpu" "$((peak / 1024))"
      echo "$f $build $wall $cpu" >> "$OUT/all"
    done
    cmp -s "$OUT/old.tfvars" "$OUT/new.tfvars" || {
      echo "FAIL: $f: the two builds write different rules" >&2; exit 1; }
  done
done
echo "fastest wall / least CPU per file and build:"
awk '{ k = $1 " " $2; if (!(k in w) || $3 < w[k]) w[k] = $3; if (!(k in c) || $4 < c[k]) c[k] = $4 }
  END { for (k in w) printf "  %-26s %6.2f s / %6.2f s\n", k, w[k], c[k] }' "$OUT/all" | sort
