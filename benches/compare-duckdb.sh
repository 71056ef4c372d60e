#!/usr/bin/env bash
# sgpair infer against DuckDB on the same flow logs, two data sets.
#
#   bash benches/compare-duckdb.sh            # 10 M lines and 1/10 of it, both data sets
#   RECORDS=2000000 RUNS=1 bash benches/compare-duckdb.sh   # quicker
#   THREADS=1 bash benches/compare-duckdb.sh   # both tools on one thread (default: all cores)
#   SETS=mesh bash benches/compare-duckdb.sh   # one data set (gen, mesh)
#   PARQUET=0 bash benches/compare-duckdb.sh   # text only: a build without polars (minutes, not 15)
#
# The data sets, each plain, gzip (gzip -6) and Parquet, RECORDS lines and 1/10 of that:
#   gen    `sgpair generate` (ENIS interfaces, default 50, in 7 roles; the
#          records of one connection written together; 0.8% REJECT, 0.3% NODATA;
#          no header line), plus "shuffled": its lines in random order
#          (coreutils shuf, fixed seed), the worst case for both tools' hash tables.
#   mesh   benches/mesh-flows.py, written apart from sgpair: 1,200 interfaces in
#          48 services (load balancers, APIs, gRPC, databases, caches, queues,
#          DNS, metrics), the internet reaching the load balancers from 20,000
#          addresses, Linux and Windows ephemeral ports, pooled connections,
#          both directions at both interfaces but grouped by interface within
#          each minute, 5% REJECT, NODATA, and a header line (see the script).
# "parquet" is each plain file as S3 delivery writes Parquet: AWS's column
# names (interface_id, log_status) and types (INT_32 ports and protocol,
# INT_64 counters and times, STRING for the rest; NODATA's '-' as NULL),
# ZSTD, DuckDB's row groups (122,880 rows); written by DuckDB from the plain
# file. DuckDB runs the same GROUP BY over it with read_parquet. sgpair's
# tfvars and report on it must equal those of the plain file: the script
# fails otherwise.
# What is compared, on one file at a time, page cache warm:
#   sgpair   `sgpair infer --logs FILE --inventory INV` (release build without the
#            AWS feature, with the Parquet one unless PARQUET=0: the text path
#            is the same), the whole run: parse, reduce, aggregate,
#            orientation, resolve, rules, report.
#   DuckDB   the same aggregation in SQL (duckdb in a virtual environment), run in
#            its own Python process with THREADS threads (default: all cores):
#            read the space-separated v2 lines (NODATA '-' as NULL; the header
#            line skipped where there is one), keep ACCEPT/OK records, orient
#            each by the port-class rule sgpair uses when no TCP flags are
#            logged (well-known < registered < ephemeral, a tie: the higher port
#            is the client's), then group by (client, server, service port,
#            protocol) with record count, bytes, first start, last end and the
#            exact count of distinct client ports. sgpair does more (both-ENI
#            copies counted once, fan-in orientation, owners per interface and
#            time, rejections, rules, report), so the comparison favours DuckDB.
# Each tool runs RUNS times (default 3); the fastest wall time, the CPU time
# (user + system) of that run, and the largest peak RSS (/usr/bin/time -v,
# "Maximum resident set size") are reported. CPU / wall says how many cores a
# tool kept busy: the script fails when sgpair's, on gen's large plain file,
# is below 0.75 x min(cores, threads, 2), i.e. when a "parallel" run used one
# core (on mesh the analysis after the reading, on one thread, is a large
# part of the run: its ratio is shown, not checked). On each large file, one
# more run of sgpair says per thread how long it was on a CPU, waiting for one
# (other programs' load) and blocked (a worker waiting for another: the
# stream lock, or the end); the script fails when a worker was blocked more
# than a quarter of its time on a CPU, whatever the load. It then says,
# per data set, whether sgpair met issue 14's
# targets on the large files: 3x DuckDB's throughput plain, 2x gzip, under
# 100 MB peak; Parquet: DuckDB's throughput (1x), under 150 MB peak (it does
# not fail on them: a shared machine moves wall times).
# DuckDB comes from a virtual environment the script creates under
# $SGPAIR_TOOLS (the system Python is left alone); mesh-flows.py runs on it too.
# Throughput ratio = DuckDB time / sgpair time (above 1: sgpair is faster).
set -euo pipefail
cd "$(dirname "$0")/.."

RECORDS="${RECORDS:-10000000}"
RUNS="${RUNS:-3}"
ENIS="${ENIS:-50}"
SETS="${SETS:-gen mesh}"
PARQUET="${PARQUET:-1}"
WORK="${BENCH_DIR:-${TMPDIR:-/tmp}/sgpair-bench}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/sgpair-target}"
SMALL=$((RECORDS / 10))
THREADS="${THREADS:-$(nproc)}"
SGPAIR_TOOLS="${SGPAIR_TOOLS:-${XDG_CACHE_HOME:-$HOME/.cache}/sgpair-tools}"

echo "== machine"
echo "cores: $(nproc)  memory: $(free -g | awk '/^Mem:/ {print $2}') GB  $(uname -sr)"
grep -m1 'model name' /proc/cpuinfo || true
echo "load: $(cut -d' ' -f1-3 /proc/loadavg) (1, 5, 15 min)"

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
path, threads, header = sys.argv[1], int(sys.argv[2]), sys.argv[3] == "header"
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
    src = "read_csv(?, delim=' ', header=%s, nullstr='-', columns=%s)" % (
        "true" if header else "false",
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
src, dst, header = sys.argv[1], sys.argv[2], sys.argv[3] == "header"
cols = {
    "version": "INTEGER", "account_id": "VARCHAR", "interface_id": "VARCHAR",
    "srcaddr": "VARCHAR", "dstaddr": "VARCHAR", "srcport": "INTEGER", "dstport": "INTEGER",
    "protocol": "INTEGER", "packets": "BIGINT", "bytes": "BIGINT", "start": "BIGINT",
    "end": "BIGINT", "action": "VARCHAR", "log_status": "VARCHAR",
}
spec = "{" + ", ".join("'%s': '%s'" % kv for kv in cols.items()) + "}"
duckdb.connect().execute(
    f"COPY (SELECT * FROM read_csv(?, delim=' ', header={str(header).lower()}, nullstr='-', columns={spec})) "
    f"TO '{dst}' (FORMAT parquet, COMPRESSION zstd)", [src])
PY

# Runs a command and says, per thread, how long it was on a CPU, waiting for
# one (the run queue: other programs' load) and blocked (on a lock, on I/O),
# from /proc/PID/task/TID/schedstat: on a shared machine wall time mixes all
# three, and "blocked" is what a worker lost waiting for another. The bytes
# the run read from storage (/proc/PID/io) tell the two causes of blocking
# apart: a host that reclaims cold page cache (this one runs DAMON) can
# drop a file between its warm-up and the run, and then one worker waits
# on the disk and the other on the stream it holds. Such a run is COLD,
# not BLOCKED.
cat > "$WORK/threads.py" <<'PY'
import os, subprocess, sys, time
p = subprocess.Popen(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
start, seen, storage = time.time(), {}, 0
while p.poll() is None:
    now = time.time()
    try:
        with open(f"/proc/{p.pid}/io") as f:
            storage = next(int(l.split()[1]) for l in f if l.startswith("read_bytes:"))
    except (OSError, StopIteration, ValueError):
        pass
    try:
        tids = os.listdir(f"/proc/{p.pid}/task")
    except OSError:
        tids = []
    for tid in tids:
        try:
            with open(f"/proc/{p.pid}/task/{tid}/schedstat") as f:
                on_cpu, run_queue = (int(v) / 1e9 for v in f.read().split()[:2])
        except (OSError, ValueError):
            continue
        seen[tid] = (seen.get(tid, (now,))[0], now, on_cpu, run_queue)
    time.sleep(0.02)
if p.returncode:
    sys.exit(f"{sys.argv[1]} failed")
threads = [v for _, v in sorted(seen.items(), key=lambda t: int(t[0]))]
print(f"wall {time.time() - start:.2f} s, {storage / 2**20:.0f} MB read from storage;", "; ".join(
    f"thread {i}: on CPU {c:.2f} s, waiting for a CPU {q:.2f} s, blocked {max(0, last - first - c - q):.2f} s"
    for i, (first, last, c, q) in enumerate(threads)))
# The workers (every thread but the first) should not wait for each other.
worst = max((max(0, last - first - c - q) / c for first, last, c, q in threads[1:] if c > 0), default=0)
verdict = "" if worst <= 0.25 else " COLD" if storage > 64 * 2**20 else " BLOCKED"
print(f"  workers blocked at most {100 * worst:.0f}% of their time on a CPU" + verdict)
PY

# fresh NAME KEY: whether WORK/NAME was made with KEY (else it is made again)
fresh() { [ -s "$WORK/$1" ] && [ "$(cat "$WORK/$1.made" 2>/dev/null)" = "$2" ]; }
made() { echo "$2" > "$WORK/$1.made"; }

# gen_data SIZE LINES: sgpair generate's file, its gzip and its shuffled lines
gen_data() {
  local size="$1" lines="$2" key="$2 $ENIS 7"
  if ! fresh "gen-$size.log" "$key"; then
    "$BIN" generate --out "$WORK/gen-$size.log" --records "$lines" --enis "$ENIS" --seed 7 \
      --inventory-out "$WORK/gen-inventory.json"
    made "gen-$size.log" "$key"
  fi
  if ! fresh "gen-$size.log.gz" "$key"; then
    gzip -6 -c "$WORK/gen-$size.log" > "$WORK/gen-$size.log.gz"
    made "gen-$size.log.gz" "$key"
  fi
  if [ "$PARQUET" = 1 ] && ! fresh "gen-$size.parquet" "$key"; then
    "$PY" "$WORK/to_parquet.py" "$WORK/gen-$size.log" "$WORK/gen-$size.parquet" none
    made "gen-$size.parquet" "$key"
  fi
  if ! fresh "gen-$size-shuffled.log" "$key"; then
    shuf --random-source=<(yes) "$WORK/gen-$size.log" > "$WORK/gen-$size-shuffled.log"
    made "gen-$size-shuffled.log" "$key"
  fi
}

# mesh_data SIZE LINES: benches/mesh-flows.py's file and its gzip
mesh_data() {
  local size="$1" lines="$2" key="$2 $(cksum < benches/mesh-flows.py)"
  if ! fresh "mesh-$size.log" "$key"; then
    "$PY" benches/mesh-flows.py --lines "$lines" --out "$WORK/mesh-$size.log" \
      --inventory-out "$WORK/mesh-inventory.json"
    made "mesh-$size.log" "$key"
  fi
  if ! fresh "mesh-$size.log.gz" "$key"; then
    gzip -6 -c "$WORK/mesh-$size.log" > "$WORK/mesh-$size.log.gz"
    made "mesh-$size.log.gz" "$key"
  fi
  if [ "$PARQUET" = 1 ] && ! fresh "mesh-$size.parquet" "$key"; then
    "$PY" "$WORK/to_parquet.py" "$WORK/mesh-$size.log" "$WORK/mesh-$size.parquet" header
    made "mesh-$size.parquet" "$key"
  fi
}

echo "== data in $WORK"
for set in $SETS; do
  case "$set" in
    gen) gen_data big "$RECORDS"; gen_data small "$SMALL" ;;
    mesh) mesh_data big "$RECORDS"; mesh_data small "$SMALL" ;;
    *) echo "unknown data set $set (gen, mesh)" >&2; exit 2 ;;
  esac
  ls -l "$WORK/$set"-*.log* "$WORK/$set"-*.parquet 2>/dev/null || true
done

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
# (with its heading) left out, the section "Since the last run" too (it
# compares with the tfvars a run before left: the first run in a fresh
# BENCH_DIR has none, the next one has it), and trailing blank lines.
report_of() {
  sed "s|$1|FILE|g" "$WORK/report.md" | grep -v -e 'the default v2 format was assumed' -e '^Notes:$' |
    awk '/^## / { skip = ($0 == "## Since the last run") } !skip' |
    awk '/^$/ { blank++; next } { while (blank) { print ""; blank-- } print }'
}

echo "threads: $THREADS (sgpair --threads, DuckDB SET threads)"
printf '\n%-5s %-6s %-8s %11s | %8s %10s | %8s %10s %6s | %9s %9s | %11s %11s\n' \
  set size kind lines "sgpair s" "sgpair cpu" "duckdb s" "duckdb cpu" ratio "sgpair MB" "duckdb MB" "sgpair ns/r" "duckdb ns/r"
want=$(awk -v n="$(nproc)" -v t="$THREADS" 'BEGIN { m = n < t ? n : t; m = m < 2 ? m : 2; printf "%.2f", 0.75 * m }')
results=()
threads=()
checks=()
targets=()
failed=0
for set in $SETS; do
  inventory="$WORK/$set-inventory.json"
  header=$([ "$set" = mesh ] && echo header || echo none)
  kinds=$([ "$set" = gen ] && echo "plain gzip shuffled" || echo "plain gzip")
  if [ "$PARQUET" = 1 ]; then kinds="$kinds parquet"; fi
  for size in big small; do
    lines=$([ "$size" = big ] && echo "$RECORDS" || echo "$SMALL")
    for kind in $kinds; do
      case "$kind" in
        plain) f="$WORK/$set-$size.log" ;;
        gzip) f="$WORK/$set-$size.log.gz" ;;
        shuffled) f="$WORK/$set-$size-shuffled.log" ;;
        parquet) f="$WORK/$set-$size.parquet" ;;
      esac
      cat "$f" > /dev/null
      read -r st sc sm < <(measure "$BIN" infer --threads "$THREADS" --logs "$f" --inventory "$inventory" \
        --since 2026-11-24T00:00:00Z --until 2026-11-25T00:00:00Z \
        --out "$WORK/rules.auto.tfvars" --report "$WORK/report.md")
      sg_summary=$(grep -E '^Connections observed' "$WORK/stderr.txt" || true)
      # The same rules and report from the same records, whatever the format
      # (the file's name aside, and the note that a plain file without a
      # header line was read in the default v2 layout).
      if [ "$kind" = plain ]; then
        cp "$WORK/rules.auto.tfvars" "$WORK/plain.tfvars"
        report_of "$f" > "$WORK/plain.md"
      elif [ "$kind" = parquet ]; then
        cmp "$WORK/rules.auto.tfvars" "$WORK/plain.tfvars" || {
          echo "FAIL: $set $size: the Parquet file's tfvars differ from the plain file's" >&2; exit 1; }
        report_of "$f" | cmp - "$WORK/plain.md" || {
          echo "FAIL: $set $size: the Parquet file's report differs from the plain file's" >&2; exit 1; }
      fi
      read -r dt dc dm < <(measure "$PY" "$WORK/duckdb_agg.py" "$f" "$THREADS" "$header")
      dd_summary=$(cat "$WORK/stderr.txt")
      awk -v set="$set" -v size="$size" -v kind="$kind" -v n="$lines" -v st="$st" -v sc="$sc" -v dt="$dt" -v dc="$dc" -v sm="$sm" -v dm="$dm" 'BEGIN {
        printf "%-5s %-6s %-8s %11d | %8.2f %10.2f | %8.2f %10.2f %5.2fx | %9.0f %9.0f | %11.0f %11.0f\n",
          set, size, kind, n, st, sc, dt, dc, dt / st, sm / 1024, dm / 1024, st * 1e9 / n, dt * 1e9 / n }'
      results+=("$set $size $kind: sgpair: $sg_summary; duckdb: $dd_summary")
      if [ "$size" = big ] && [ "$kind" = plain ]; then
        used=$(awk -v c="$sc" -v t="$st" 'BEGIN { printf "%.2f", c / t }')
        if [ "$set" = gen ]; then
          checks+=("$set: sgpair on the large plain file kept $used cores busy (CPU / wall; at least $want wanted)")
          if awk -v u="$used" -v w="$want" 'BEGIN { exit !(u < w) }'; then failed=1; fi
        else
          # Many keys: the analysis after the reading (one thread) weighs in
          # the whole run; the workers' own check is the blocked time below.
          checks+=("$set: sgpair on the large plain file kept $used cores busy (CPU / wall, reading and the analysis after it on one thread)")
        fi
      fi
      if [ "$size" = big ] && [ "$kind" != shuffled ]; then
        # Warmed again (DuckDB's runs came between); a run that still read
        # the file from storage is run once more, then reported as it is.
        for _ in 1 2; do
          cat "$f" > /dev/null
          per_thread=$("$PY" "$WORK/threads.py" "$BIN" infer \
            --threads "$THREADS" --logs "$f" --inventory "$inventory" --since 2026-11-24T00:00:00Z \
            --until 2026-11-25T00:00:00Z --out "$WORK/rules.auto.tfvars" --report "$WORK/report.md")
          case "$per_thread" in *COLD*) ;; *) break ;; esac
        done
        threads+=("$set $kind: sgpair (main thread, then workers): $per_thread")
        case "$per_thread" in
          *BLOCKED*) failed=1 ;;
          *COLD*) checks+=("WARNING: $set $kind: the page cache lost the file twice during the per-thread run; its blocked time is the disk's") ;;
        esac
        case "$kind" in plain) goal=3 mb=100 ;; gzip) goal=2 mb=100 ;; parquet) goal=1 mb=150 ;; esac
        targets+=("$(awk -v set="$set" -v kind="$kind" -v g="$goal" -v mb="$mb" -v r="$(awk -v a="$dt" -v b="$st" 'BEGIN { print a / b }')" -v m="$((sm / 1024))" 'BEGIN {
          printf "%s %s: throughput %.3fx DuckDB (target %dx): %s; peak %d MB (target under %d): %s",
            set, kind, r, g, (r >= g ? "met" : "MISSED"), m, mb, (m < mb ? "met" : "MISSED") }')")
      fi
    done
  done
done
echo
printf '%s\n' "${results[@]}"
echo
printf '%s\n' "${threads[@]}"
echo
printf '%s\n' "${targets[@]}"
printf '%s\n' "${checks[@]}"
# A parallel engine whose CPU time equals its wall time ran on one core.
if [ "$failed" = 1 ]; then
  echo "FAIL: sgpair used fewer cores than it has threads for" >&2
  exit 1
fi
