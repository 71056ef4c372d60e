#!/usr/bin/env bash
# Listing a central log-archive bucket: sequential against concurrent.
#
#   bash benches/s3-listing.sh                       # 50 accounts x 7 days, 4 objects a day
#   ACCOUNTS=10 OBJECTS_PER_DAY=2 RUNS=1 bash benches/s3-listing.sh   # quicker
#   LATENCY_MS=50 bash benches/s3-listing.sh         # a longer round trip to emulate
#
# What is measured: moto server (the AWS emulator the tests use, from
# scripts/test-tools.sh) holds one bucket in the plain layout,
# AWSLogs/{account}/vpcflowlogs/us-east-1/{yyyy}/{mm}/{dd}/, ACCOUNTS accounts
# x the last 7 days x OBJECTS_PER_DAY small gzip objects (a header and one
# record each). `sgpair infer --s3 s3://BUCKET --since 7d` runs with
# --concurrency 1 (one ListObjectsV2 at a time) and with the default (8),
# and once with --account for SCOPED of the accounts. sgpair says what the
# listing took itself (RUST_LOG=sgpair=info: the "listed S3 location" line:
# objects, ListObjectsV2 requests, seconds); the script reports the fastest
# of RUNS runs, objects listed per second, and the whole run's wall and CPU
# time (user + system, /usr/bin/time; the run also reads every object).
# Each configuration runs twice: straight against moto, which answers on the
# same machine in a few milliseconds of its own (Python) CPU per request, so
# one request at a time is about as fast as many; and through a small proxy
# that holds every request LATENCY_MS (default 25) before passing it on, a
# round trip to S3 in the region, where requests wait rather than work and
# concurrency pays. On a shared machine, read the load average the script
# prints beside the figures.
set -euo pipefail
cd "$(dirname "$0")/.."

ACCOUNTS="${ACCOUNTS:-50}"
DAYS=7
OBJECTS_PER_DAY="${OBJECTS_PER_DAY:-4}"
SCOPED="${SCOPED:-5}"
RUNS="${RUNS:-3}"
LATENCY_MS="${LATENCY_MS:-25}"
PROFILE="${PROFILE:-debug}"
WORK="${BENCH_DIR:-${TMPDIR:-/tmp}/sgpair-bench-s3}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/sgpair-target}"

# shellcheck source=scripts/test-tools.sh
source scripts/test-tools.sh
tools_moto
PY="$SGPAIR_TOOLS/venv/bin/python"   # moto's environment has boto3
if [ ! -x /usr/bin/time ]; then
  apt-get install -y time >/dev/null || { apt-get update >/dev/null && apt-get install -y time >/dev/null; }
fi

echo "== machine"
echo "cores: $(nproc)  $(uname -sr)"
echo "load before: $(uptime)"

echo "== sgpair ($PROFILE build)"
if [ "$PROFILE" = release ]; then
  cargo build --release --locked --quiet
  BIN="$CARGO_TARGET_DIR/release/sgpair"
else
  cargo build --locked --quiet
  BIN="$CARGO_TARGET_DIR/debug/sgpair"
fi
"$BIN" --version

mkdir -p "$WORK"
PORT=$("$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
moto_server -H 127.0.0.1 -p "$PORT" > "$WORK/moto.log" 2>&1 &
MOTO=$!
PROXY=""
trap 'kill "$MOTO" ${PROXY:+"$PROXY"} 2>/dev/null || true' EXIT
export AWS_ENDPOINT_URL="http://127.0.0.1:$PORT" AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing \
  AWS_REGION=us-east-1 AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null NO_COLOR=1
for _ in $(seq 100); do
  "$PY" -c "import socket; socket.create_connection(('127.0.0.1', $PORT), 1)" 2>/dev/null && break
  sleep 0.2
done

UNTIL=$(date -u +%Y-%m-%dT%H:%M:%SZ)
echo "== data: $ACCOUNTS accounts x $DAYS days x $OBJECTS_PER_DAY objects in s3://archive (moto on port $PORT)"
"$PY" - "$ACCOUNTS" "$DAYS" "$OBJECTS_PER_DAY" "$UNTIL" <<'PY'
import datetime, gzip, sys
from concurrent.futures import ThreadPoolExecutor
import boto3
accounts, days, per_day = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
until = datetime.datetime.strptime(sys.argv[4], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=datetime.timezone.utc)
s3 = boto3.client("s3", config=boto3.session.Config(s3={"addressing_style": "path"}, max_pool_connections=16))
s3.create_bucket(Bucket="archive")
header = "version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status"
def put(job):
    a, d, i = job
    account = "%012d" % (100000000000 + a)
    t = until - datetime.timedelta(days=d, minutes=10 + i)
    start = int(t.timestamp())
    line = f"2 {account} eni-{a:05d}{d}{i} 10.0.{a % 250}.10 10.1.0.20 {40000 + i} 443 6 5 900 {start} {start + 60} ACCEPT OK"
    key = f"AWSLogs/{account}/vpcflowlogs/us-east-1/{t:%Y/%m/%d}/{account}_vpcflowlogs_us-east-1_fl-1_{t:%Y%m%dT%H%M}Z_{i:04d}.log.gz"
    s3.put_object(Bucket="archive", Key=key, Body=gzip.compress((header + "\n" + line + "\n").encode()))
jobs = [(a, d, i) for a in range(accounts) for d in range(days) for i in range(per_day)]
with ThreadPoolExecutor(16) as pool:
    list(pool.map(put, jobs))
print(f"{len(jobs)} objects")
PY

"$BIN" inventory --out "$WORK/inventory.json" 2>/dev/null

# The round trip: every request held LATENCY_MS, then passed on to moto.
rm -f "$WORK/proxy.port"
"$PY" -u - "$PORT" "$LATENCY_MS" > "$WORK/proxy.port" <<'PY' &
import http.client, http.server, socketserver, sys, time
upstream, delay = int(sys.argv[1]), float(sys.argv[2]) / 1000
class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Headers and body go out as two writes: without this, Nagle's algorithm
    # and the client's delayed ACK add some 40 ms to every answer.
    disable_nagle_algorithm = True
    def do_GET(self): self.forward()
    def do_HEAD(self): self.forward()
    def do_POST(self): self.forward()
    def do_PUT(self): self.forward()
    def forward(self):
        time.sleep(delay)
        n = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(n) if n else None
        up = http.client.HTTPConnection("127.0.0.1", upstream)
        up.request(self.command, self.path, body=body,
                   headers={k: v for k, v in self.headers.items() if k.lower() != "connection"})
        answer = up.getresponse()
        data = answer.read()
        self.send_response(answer.status)
        for k, v in answer.getheaders():
            if k.lower() not in ("connection", "content-length", "transfer-encoding", "date", "server"):
                self.send_header(k, v)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)
        up.close()
    def log_message(self, *args): pass
class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
server = Server(("127.0.0.1", 0), Handler)
print(server.server_address[1])
server.serve_forever()
PY
PROXY=$!
for _ in $(seq 100); do [ -s "$WORK/proxy.port" ] && break; sleep 0.1; done
PROXY_ENDPOINT="http://127.0.0.1:$(cat "$WORK/proxy.port")"

# run LABEL ARGS...: the fastest of RUNS runs of sgpair infer over the bucket;
# prints its listing line's fields and the whole run's wall and CPU seconds.
run() {
  local label="$1" endpoint="$2"; shift 2
  local best="" line="" wall="" cpu="" l t c s
  for _ in $(seq "$RUNS"); do
    AWS_ENDPOINT_URL="$endpoint" RUST_LOG=sgpair=info /usr/bin/time -f '%e %U %S' -o "$WORK/time.txt" \
      "$BIN" infer --s3 s3://archive --inventory "$WORK/inventory.json" --since 7d --until "$UNTIL" \
      --out "$WORK/rules.auto.tfvars" --report "$WORK/report.md" --quiet "$@" 2> "$WORK/stderr.txt" || {
        cat "$WORK/stderr.txt" >&2; exit 1; }
    l=$(sed 's/\x1b\[[0-9;]*m//g' "$WORK/stderr.txt" | grep 'listed S3 location' | tail -n 1)
    [ -n "$l" ] || { echo "no 'listed S3 location' line from sgpair:" >&2; cat "$WORK/stderr.txt" >&2; exit 1; }
    s=$(sed -n 's/.* seconds=\([0-9.]*\).*/\1/p' <<< "$l")
    read -r t c < <(awk '{ print $1, $2 + $3 }' "$WORK/time.txt")
    if [ -z "$best" ] || awk -v a="$s" -v b="$best" 'BEGIN { exit !(a < b) }'; then
      best="$s"; line="$l"; wall="$t"; cpu="$c"
    fi
  done
  local objects requests days
  objects=$(sed -n 's/.* objects=\([0-9]*\).*/\1/p' <<< "$line")
  requests=$(sed -n 's/.* requests=\([0-9]*\).*/\1/p' <<< "$line")
  days=$(sed -n 's/.* day_prefixes=\([0-9]*\).*/\1/p' <<< "$line")
  awk -v label="$label" -v o="$objects" -v r="$requests" -v d="$days" -v s="$best" -v w="$wall" -v c="$cpu" 'BEGIN {
    printf "%-40s %8d %8d %9d %10.3f %10.0f | %8.2f %8.2f\n", label, o, d, r, s, (s > 0 ? o / s : 0), w, c }'
}

echo "== listing (fastest of $RUNS runs; run s and run cpu: that run's whole infer, reading included)"
printf '%-40s %8s %8s %9s %10s %10s | %8s %8s\n' run objects "day pfx" requests "listing s" "objects/s" "run s" "run cpu"
scope=()
for a in $(seq 0 $((SCOPED - 1))); do scope+=(--account "$(printf '%012d' $((100000000000 + a)))"); done
for way in direct latency; do
  if [ "$way" = direct ]; then endpoint="$AWS_ENDPOINT_URL"; how="moto"; else endpoint="$PROXY_ENDPOINT"; how="moto + ${LATENCY_MS} ms"; fi
  run "$how, sequential (--concurrency 1)" "$endpoint" --concurrency 1
  run "$how, concurrent (default 8)" "$endpoint"
  run "$how, $SCOPED accounts, concurrent" "$endpoint" "${scope[@]}"
done
echo "load after: $(uptime)"
