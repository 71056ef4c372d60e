#!/usr/bin/env bash
# sgpair infer against DuckDB on the same generated flow logs.
#
#   bash benches/compare-duckdb.sh            # 1 GB (10 M lines) and 1/10 of it, plain, gzip, Parquet
#   RECORDS=2000000 RUNS=1 bash benches/compare-duckdb.sh   # quicker
#   THREADS=1 bash benches/compare-duckdb.sh   # both tools on one thread (default: all cores)
#   PARQUET=0 bash benches/compare-duckdb.sh   # text only: a build without polars (minutes, not 15)
#
# What is compared, on one file at a time, page cache warm:
#   sgpair   `sgpair infer --logs FILE --inventory INV` (release build without the
#            AWS feature, with the Parquet one unless PARQUET=0: the text path
#            is the same), the whole run: parse, reduce, aggregate,
#            orientation, resolve, rules, report.
#   DuckDB   the same aggregation in SQL (duckdb in a virtual environment), run in
#            its own Python process with THREADS threads (default: all cores):
#            read the space-separated v2 lines (NODATA '-' as NULL), keep
#            ACCEPT/OK records, orient each by the port-class rule sgpair uses
#            when no TCP flags are logged (well-known < registered < ephemeral,
#            a tie: the higher port is the client's), then group by (client,
#            server, service port, protocol) with record count, bytes,
#            first start, last end and the exact count of distinct client ports.
#            sgpair does more (both-ENI copies counted once, fan-in and known-
#            service orientation, rejections, rules), so the comparison favours
#            DuckDB.
# "parquet" is the plain file as S3 delivery writes Parquet: AWS's column
# names (interface_id, log_status) and types (INT_32 ports and protocol,
# INT_64 counters and times, STRING for the rest; NODATA's '-' as NULL),
# ZSTD, DuckDB's row groups (122,880 rows); written by DuckDB from the plain
# file. DuckDB runs the same GROUP BY over it with read_parquet. sgpair's
# tfvars and report on it must equal those of the plain file: the script
# fails otherwise.
# "shuffled" is the plain file with its lines in random order (coreutils shuf,
# fixed seed): no locality at all between the records of one connection, the
# worst case for both tools' hash tables (real files keep a connection's
# records near each other, as the generator writes them).
# Each tool runs RUNS times (default 3); the fastest wall time, the CPU time
# (user + system) of that run, and the largest peak RSS (/usr/bin/time -v,
# "Maximum resident set size") are reported. CPU / wall says how many cores a
# tool kept busy: the script fails when sgpair's, on the large plain file,
# is below 0.75 x min(cores, threads, 2), i.e. when a "parallel" run used one
# core. DuckDB comes from a virtual environment the script creates under
# $SGPAIR_TOOLS (the system Python is left alone).
# Throughput ratio = DuckDB time / sgpair time (above 1: sgpair is faster).
set -euo pipefail
cd "$(dirname "$0")/.."

RECORDS="${RECORDS:-10000000}"
RUNS="${RUNS:-3}"
ENIS="${ENIS:-50}"
WORK="${BENCH_DIR:-${TMPDIR:-/tmp}/sgpair-bench}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/sgpair-target}"
SMALL=$((RECORDS / 10))
THREADS="${THREADS:-$(nproc)}"
SGPAIR_TOOLS="${SGPAIR_TOOLS:-${XDG_CACHE_HOME:-$HOME/.cache}/sgpair-tools}"

echo "== machine"
echo "cores: $(nproc)  memory: $(free -g | awk '/^Mem:/ {print $2}') GB  $(uname -sr)"
grep -m1 'model name' /proc/cpuinfo || true

echo "== tools"
if [ ! -x /usr/bin/time ]; then
  apt-get install -y time >/dev/null || { apt-get update >/dev/null && apt-get install -y time >/dev/null; }
fi
VENV="$SGPAIR_TOOLS/venv-bench"
if ! "$VENV/bin/python" -c 'import duckdb' 2>/dev/null; then
  echo "duckdb: installing into $VENV (python3 -m venv, then pip)"
  python3 -m venv "$VENV"
  "$VENV/bin/python" -m pip install --quiet duckdb
fi
PY="$VENV/bin/python"
"$PY" -c 'import duckdb; print("duckdb", duckdb.__version__)'
PARQUET="${PARQUET:-1}"
if [ "$PARQUET" = 1 ]; then
  cargo build --release --locked --no-default-features --features parquet --quiet
else
  cargo build --release --locked --no-default-features --quiet
fi
BIN="$CARGO_TARGET_DIR/release/sgpair"
"$BIN" --version

mkdir -p "$WORK"
cat > "$WORK/duckdb_agg.py" <<'PY'
import sys, duckdb
path, threads = sys.argv[1], int(sys.argv[2])
con = duckdb.connect()
con.execute(f"SET threads = {threads}")
cols = {
    "version": "VARCHAR", "account_id": "VARCHAR", "interface_id": "VARCHAR",
    "srcaddr": "VARCHAR", "dstaddr": "VARCHAR", "srcport": "INTEGER", "dstport": "INTEGER",
    "protocol": "INTEGER", "packets": "BIGINT", "bytes": "BIGINT", "start": "BIGINT",
    "end": "BIGINT", "action": "VARCHAR", "log_status": "VARCHAR",
}
if path.endswith(".parquet"):
    src = "read_parquet(?)"
else:
    src = "read_csv(?, delim=' ', header=false, nullstr='-', columns=%s)" % (
        "{" + ", ".join("'%s': '%s'" % kv for kv in cols.items()) + "}")
sql = f"""
WITH r AS (
  SELECT *,
    (CASE WHEN srcport < 1024 THEN 0 WHEN srcport < 32768 THEN 1 ELSE 2 END) AS cs,
    (CASE WHEN dstport < 1024 THEN 0 WHEN dstport < 32768 THEN 1 ELSE 2 END) AS cd
  FROM {src}
  WHERE action = 'ACCEPT' AND log_status = 'OK'
), o AS (
  SELECT *, (cs > cd OR (cs = cd AND srcport >= dstport)) AS src_is_client FROM r
)
SELECT
  CASE WHEN src_is_client THEN srcaddr ELSE dstaddr END AS client,
  CASE WHEN src_is_client THEN dstaddr ELSE srcaddr END AS server,
  CASE WHEN src_is_client THEN dstport ELSE srcport END AS port,
  protocol,
  count(*) AS records, sum(bytes) AS bytes, min(start) AS first, max("end") AS last,
  count(DISTINCT CASE WHEN src_is_client THEN srcport ELSE dstport END) AS client_ports
FROM o
GROUP BY ALL
"""
rows = con.execute(sql, [path]).fetchall()
print(f"{len(rows)} groups, {sum(r[4] for r in rows)} records", file=sys.stderr)
PY

# The plain file as S3 delivery's Parquet: AWS's names and types, ZSTD.
cat > "$WORK/to_parquet.py" <<'PY'
import sys, duckdb
src, dst = sys.argv[1], sys.argv[2]
cols = {
    "version": "INTEGER", "account_id": "VARCHAR", "interface_id": "VARCHAR",
    "srcaddr": "VARCHAR", "dstaddr": "VARCHAR", "srcport": "INTEGER", "dstport": "INTEGER",
    "protocol": "INTEGER", "packets": "BIGINT", "bytes": "BIGINT", "start": "BIGINT",
    "end": "BIGINT", "action": "VARCHAR", "log_status": "VARCHAR",
}
spec = "{" + ", ".join("'%s': '%s'" % kv for kv in cols.items()) + "}"
duckdb.connect().execute(
    f"COPY (SELECT * FROM read_csv(?, delim=' ', header=false, nullstr='-', columns={spec})) "
    f"TO '{dst}' (FORMAT parquet, COMPRESSION zstd)", [src])
PY

# generate NAME LINES [--gzip]
generate() {
  local name="$1" lines="$2"; shift 2
  if [ ! -s "$WORK/$name" ] || [ "$(cat "$WORK/$name.lines" 2>/dev/null)" != "$lines $ENIS" ]; then
    "$BIN" generate --out "$WORK/$name" --records "$lines" --enis "$ENIS" --seed 7 \
      --inventory-out "$WORK/inventory.json" "$@"
    echo "$lines $ENIS" > "$WORK/$name.lines"
  fi
}

echo "== data in $WORK"
generate big.log "$RECORDS"
generate big.log.gz "$RECORDS" --gzip
generate small.log "$SMALL"
generate small.log.gz "$SMALL" --gzip
kinds="plain gzip shuffled"
for size in big small; do
  if [ ! -s "$WORK/$size-shuffled.log" ] || [ "$WORK/$size.log" -nt "$WORK/$size-shuffled.log" ]; then
    shuf --random-source=<(yes) "$WORK/$size.log" > "$WORK/$size-shuffled.log"
  fi
  if [ "$PARQUET" = 1 ] && { [ ! -s "$WORK/$size.parquet" ] || [ "$WORK/$size.log" -nt "$WORK/$size.parquet" ]; }; then
    "$PY" "$WORK/to_parquet.py" "$WORK/$size.log" "$WORK/$size.parquet"
  fi
done
if [ "$PARQUET" = 1 ]; then kinds="$kinds parquet"; fi
ls -l "$WORK"/big*.log* "$WORK"/small*.log* "$WORK"/*.parquet 2>/dev/null || true

# measure COMMAND...: prints "seconds cpu-seconds kilobytes": the fastest run's
# wall and CPU (user + system) time, and the largest RSS
measure() {
  local best="" cpu="" peak=0 t c
  for _ in $(seq "$RUNS"); do
    /usr/bin/time -v -o "$WORK/time.txt" "$@" > /dev/null 2> "$WORK/stderr.txt" || {
      cat "$WORK/stderr.txt" >&2; exit 1; }
    t=$(awk -F': ' '/Elapsed \(wall clock\)/ { n = split($2, p, ":"); s = 0;
          for (i = 1; i <= n; i++) s = s * 60 + p[i]; print s }' "$WORK/time.txt")
    c=$(awk -F': ' '/User time|System time/ { s += $2 } END { print s }' "$WORK/time.txt")
    rss=$(awk -F': ' '/Maximum resident set size/ { print $2 }' "$WORK/time.txt")
    if [ -z "$best" ] || awk -v a="$t" -v b="$best" 'BEGIN { exit !(a < b) }'; then best="$t"; cpu="$c"; fi
    [ "$rss" -gt "$peak" ] && peak="$rss"
  done
  echo "$best $cpu $peak"
}

# report_of FILE: the last report, FILE's name and the default-layout note
# (with its heading) left out, trailing blank lines too.
report_of() {
  sed "s|$1|FILE|g" "$WORK/report.md" | grep -v -e 'the default v2 format was assumed' -e '^Notes:$' |
    awk '/^$/ { blank++; next } { while (blank) { print ""; blank-- } print }'
}

echo "threads: $THREADS (sgpair --threads, DuckDB SET threads)"
printf '\n%-6s %-8s %11s | %9s %9s | %9s %9s %6s | %10s %10s | %12s %12s\n' \
  size kind lines "sgpair s" "sgpair cpu" "duckdb s" "duckdb cpu" ratio "sgpair MB" "duckdb MB" "sgpair ns/r" "duckdb ns/r"
cores_used=""
results=()
for size in big small; do
  lines=$([ "$size" = big ] && echo "$RECORDS" || echo "$SMALL")
  for kind in $kinds; do
    case "$kind" in
      plain) f="$WORK/$size.log" ;;
      gzip) f="$WORK/$size.log.gz" ;;
      shuffled) f="$WORK/$size-shuffled.log" ;;
      parquet) f="$WORK/$size.parquet" ;;
    esac
    cat "$f" > /dev/null
    read -r st sc sm < <(measure "$BIN" infer --threads "$THREADS" --logs "$f" --inventory "$WORK/inventory.json" \
      --since 2026-11-24T00:00:00Z --until 2026-11-25T00:00:00Z \
      --out "$WORK/rules.auto.tfvars" --report "$WORK/report.md")
    sg_summary=$(grep -E '^Connections observed' "$WORK/stderr.txt" || true)
    # The same rules and report from the same records, whatever the format
    # (the file's name aside, and the note that the plain file, without a
    # header line, was read in the default v2 layout).
    if [ "$kind" = plain ]; then
      cp "$WORK/rules.auto.tfvars" "$WORK/plain.tfvars"
      report_of "$f" > "$WORK/plain.md"
    elif [ "$kind" = parquet ]; then
      cmp "$WORK/rules.auto.tfvars" "$WORK/plain.tfvars" || {
        echo "FAIL: the Parquet file's tfvars differ from the plain file's" >&2; exit 1; }
      report_of "$f" | cmp - "$WORK/plain.md" || {
        echo "FAIL: the Parquet file's report differs from the plain file's" >&2; exit 1; }
    fi
    read -r dt dc dm < <(measure "$PY" "$WORK/duckdb_agg.py" "$f" "$THREADS")
    dd_summary=$(cat "$WORK/stderr.txt")
    awk -v size="$size" -v kind="$kind" -v n="$lines" -v st="$st" -v sc="$sc" -v dt="$dt" -v dc="$dc" -v sm="$sm" -v dm="$dm" 'BEGIN {
      printf "%-6s %-8s %11d | %9.2f %10.2f | %9.2f %10.2f %5.2fx | %10.0f %10.0f | %12.0f %12.0f\n",
        size, kind, n, st, sc, dt, dc, dt / st, sm / 1024, dm / 1024, st * 1e9 / n, dt * 1e9 / n }'
    if [ "$size $kind" = "big plain" ]; then cores_used=$(awk -v c="$sc" -v t="$st" 'BEGIN { printf "%.2f", c / t }'); fi
    results+=("$size $kind: sgpair: $sg_summary; duckdb: $dd_summary")
  done
done
echo
printf '%s\n' "${results[@]}"

# A parallel engine whose CPU time equals its wall time ran on one core.
want=$(awk -v n="$(nproc)" -v t="$THREADS" 'BEGIN { m = n < t ? n : t; m = m < 2 ? m : 2; printf "%.2f", 0.75 * m }')
echo "sgpair on the large plain file kept $cores_used cores busy (CPU / wall; at least $want wanted)"
if awk -v u="$cores_used" -v w="$want" 'BEGIN { exit !(u < w) }'; then
  echo "FAIL: sgpair used fewer cores than it has threads for" >&2
  exit 1
fi
