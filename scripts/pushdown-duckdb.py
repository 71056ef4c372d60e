#!/usr/bin/env python3
"""Runs sgpair's pushed-down Athena SQL offline, for tests/it/pushdown.rs.

1. Reads flow-log text files (plain or gzip; a header line sets the columns,
   files without one are the v2 default) into one DuckDB table named as
   Athena's (`flow_logs`, columns with underscores, numbers typed as AWS's
   table types them: a value that is not a number is NULL, as Athena's text
   SerDe gives it), with the `day` partition column (`yyyy/MM/dd` of each
   record's start). `--shuffle SEED` shuffles the records; `--drop COLUMN`
   leaves a column out (tcp_flags: data without flags). `--partition-columns
   ACCOUNT REGION` adds the account's and the region's partition columns
   under those names: the record's account_id, and the region its file was
   delivered in (`--file-region FILE REGION`, else us-east-1).
2. `--write-logs FILE` writes those same records back as one flow-log text
   file with a header, for the local engine to read.
3. Each `--query SQL_FILE PARAMS_JSON OUT_CSV`: parses the SQL as Athena's
   dialect with sqlglot, refuses any function outside `--functions`,
   transpiles it to DuckDB and writes the result as CSV (NULL empty).

Needs sqlglot and duckdb (scripts/test-tools.sh, tools_sql, installs them
into a virtual environment).
"""

import argparse
import csv
import os
import tempfile
import datetime
import gzip
import json
import random
import sys

import duckdb
import sqlglot
from sqlglot import exp

V2 = ("version account-id interface-id srcaddr dstaddr srcport dstport protocol "
      "packets bytes start end action log-status").split()

NUMBERS = {"version", "srcport", "dstport", "protocol", "packets", "bytes", "start",
           "end", "tcp_flags", "traffic_path"}


def read_logs(paths, regions):
    records, columns = [], []
    for path in paths:
        region = regions.get(path, "us-east-1")
        opener = gzip.open if open(path, "rb").read(2) == b"\x1f\x8b" else open
        names = [n.replace("-", "_") for n in V2]
        with opener(path, "rt", encoding="utf-8", errors="replace") as f:
            for line in f:
                words = line.split()
                if not words:
                    continue
                if not words[0][0].isdigit():
                    names = [w.replace("-", "_").lower() for w in words]
                    continue
                if len(words) != len(names):
                    continue
                rec = dict(zip(names, words))
                rec[" region"] = region
                records.append(rec)
                for n in names:
                    if n not in columns:
                        columns.append(n)
    return records, columns


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--logs", nargs="+", required=True)
    ap.add_argument("--shuffle", type=int)
    ap.add_argument("--drop", action="append", default=[])
    ap.add_argument("--write-logs")
    ap.add_argument("--functions", default="")
    ap.add_argument("--partition-columns", nargs=2, metavar=("ACCOUNT", "REGION"))
    ap.add_argument("--file-region", nargs=2, action="append", default=[],
                    metavar=("FILE", "REGION"))
    ap.add_argument("--query", nargs=3, action="append", default=[],
                    metavar=("SQL", "PARAMS", "OUT"))
    a = ap.parse_args()

    records, columns = read_logs(a.logs, dict(a.file_region))
    columns = [c for c in columns if c not in a.drop]
    if a.shuffle is not None:
        random.Random(a.shuffle).shuffle(records)

    if a.write_logs:
        with open(a.write_logs, "w") as f:
            f.write(" ".join(c.replace("_", "-") for c in columns) + "\n")
            for r in records:
                f.write(" ".join(r.get(c, "-") for c in columns) + "\n")

    # Loaded through a tab-separated file: DuckDB's CSV reader takes 15,000
    # records in milliseconds, row-by-row inserts in minutes.
    db = duckdb.connect()
    with tempfile.NamedTemporaryFile("w", suffix=".tsv", delete=False) as t:
        for r in records:
            try:
                start = int(r.get("start", ""))
                day = datetime.datetime.fromtimestamp(start, datetime.timezone.utc).strftime("%Y/%m/%d")
            except (ValueError, OverflowError, OSError):
                day = "-"
            parts = [r.get("account_id", "-"), r[" region"]] if a.partition_columns else []
            t.write("\t".join([r.get(c, "-") for c in columns] + [day] + parts) + "\n")
    names = columns + ["day"] + (list(a.partition_columns) if a.partition_columns else [])
    spec = "{" + ", ".join(f"'{c}': 'VARCHAR'" for c in names) + "}"
    typed = ", ".join(
        (f'TRY_CAST("{c}" AS BIGINT) AS "{c}"' if c in NUMBERS else f'"{c}"') for c in names)
    db.execute(f"CREATE TABLE raw_logs AS SELECT * FROM read_csv('{t.name}', delim='\t', "
               f"header=false, quote='', escape='', auto_detect=false, all_varchar=true, columns={spec}, nullstr='\x01')")
    os.unlink(t.name)
    db.execute(f"CREATE TABLE flow_logs AS SELECT {typed} FROM raw_logs")

    allowed = {f.lower() for f in a.functions.split(",") if f}
    for sql_file, params_file, out in a.query:
        sql = open(sql_file).read()
        params = json.load(open(params_file))
        tree = sqlglot.parse_one(sql, read="athena")
        used = set()
        for node in tree.walk():
            if isinstance(node, exp.Func) and not isinstance(
                    node, (exp.Cast, exp.Case, exp.If, exp.Connector, exp.Binary, exp.Unary)):
                name = node.sql_name().lower() if not isinstance(node, exp.Anonymous) else node.name.lower()
                used.add(name)
        # sqlglot's own names for the functions the allow-list spells as Trino does.
        aliases = {"bitwiseand": "bitwise_and", "bitwiseoragg": "bitwise_or_agg",
                   "bit_or": "bitwise_or_agg", "bitwise_and_agg": "bitwise_and",
                   "nullif": "nullif", "count": "count", "concat": "concat"}
        unknown = sorted(n for n in used if aliases.get(n.replace("_", ""), aliases.get(n, n)) not in allowed)
        if unknown:
            sys.exit(f"{sql_file}: functions outside the allow-list: {', '.join(unknown)}")
        duck = tree.sql(dialect="duckdb")
        values = []
        for p in params:
            values.append(p[1:-1].replace("''", "'") if p.startswith("'") else int(p))
        res = db.execute(duck, values)
        names = [d[0] for d in res.description]
        with open(out, "w", newline="") as f:
            w = csv.writer(f)
            w.writerow(names)
            for row in res.fetchall():
                w.writerow(["" if v is None else (str(v).lower() if isinstance(v, bool) else v)
                            for v in row])
        print(f"{sql_file}: functions used: {', '.join(sorted(used))}", file=sys.stderr)


if __name__ == "__main__":
    main()
