"""The SQL export against `sopflow eval`, row by row.

For every flow and table of each project: the query of `sopflow export
--format sql` runs in DuckDB and in Spark (local mode) over generated cases in
a Parquet file, `sopflow eval --cases` runs over the same cases as JSON lines,
and every row's result, outcome, team, path, tables, escalations and actions
must agree. The Trino, BigQuery and PostgreSQL queries are parsed by sqlglot
in their dialects. Prints the rows compared and the differences (which must
be zero); exits 1 on any difference.

usage: python3 tools/sql/equivalence.py SOPFLOW ROWS PROJECT...
(gen-cases must be built: target/debug/gen-cases or target/release/gen-cases)
"""

import json
import os
import subprocess
import sys
import tempfile
import time

FIELDS = ["result", "outcome", "team", "path", "tables", "escalations", "actions"]


def run(*args, **kw):
    return subprocess.run(args, check=True, capture_output=True, text=True, **kw).stdout


def targets(sopflow, project):
    ir = json.loads(run(sopflow, "export", project, "--format", "json"))
    return [("flow", f["name"]) for f in ir["flows"]] + [("table", t["name"]) for t in ir["tables"]]


def sql(sopflow, project, kind, name, dialect):
    p = subprocess.run([sopflow, "export", project, "--format", "sql", "--dialect", dialect, f"--{kind}", name, "--keep", "id"],
                       capture_output=True, text=True)
    if p.returncode != 0:
        return None, p.stderr.strip()
    return p.stdout, None


def reads(query):
    line = next(l for l in query.splitlines() if l.startswith("-- Reads:"))
    cols = line[len("-- Reads:"):].strip().rstrip(".")
    return [] if cols == "no column" else [c.strip() for c in cols.split(",")]


def expected(sopflow, project, kind, name, cases, columns, workdir):
    """`sopflow eval` over the cases, each with only the inputs the query reads."""
    path = os.path.join(workdir, "eval.jsonl")
    with open(path, "w") as f:
        for case in cases:
            f.write(json.dumps({k: v for k, v in case.items() if k.replace(".", "_") in columns}) + "\n")
    out = subprocess.run([sopflow, "eval", project, f"--{kind}", name, "--cases", path], capture_output=True, text=True)
    results = {}
    for line in out.stdout.splitlines():
        r = json.loads(line)
        results[f"c{r['line']}"] = tuple(normal(r.get(k)) for k in FIELDS)
    return results


def normal(v):
    if isinstance(v, list):
        return tuple(v)
    return v


def compare(engine, got, want, label, shown):
    bad = 0
    for key, row in got.items():
        if want.get(key) != row:
            bad += 1
            if shown[0] < 5:
                shown[0] += 1
                print(f"  {engine} {label} case {key}:\n    sql:  {row}\n    eval: {want.get(key)}")
    missing = len(set(want) - set(got))
    if missing:
        print(f"  {engine} {label}: {missing} cases missing from the query's result")
    return bad + missing


def main():
    sopflow, rows, projects = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    gen = next(p for p in (os.path.join(root, "target", d, "gen-cases") for d in ("debug", "release")) if os.path.exists(p))
    import duckdb
    import sqlglot
    from pyspark.sql import SparkSession

    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    spark = (SparkSession.builder.master("local[2]").appName("sopflow-sql")
             .config("spark.driver.host", "127.0.0.1").config("spark.ui.showConsoleProgress", "false")
             # A layer per step of the longest route (docs/sql.md): deep generated flows need more than the default 100.
             .config("spark.sql.analyzer.maxIterations", "1000")
             .config("spark.ui.enabled", "false").config("spark.sql.shuffle.partitions", "2")
             .config("spark.driver.bindAddress", "127.0.0.1").getOrCreate())
    spark.sparkContext.setLogLevel("ERROR")
    totals = {"DuckDB": [0, 0], "Spark": [0, 0]}
    parsed = 0
    skipped = []
    shown = [0]
    kinds = {}
    clock = time.time()
    for project in projects:
        with tempfile.TemporaryDirectory() as workdir:
            jsonl, parquet = os.path.join(workdir, "cases.jsonl"), os.path.join(workdir, "cases.parquet")
            run(gen, project, "--rows", str(rows), "--id", "--out", jsonl, "--out", parquet)
            with open(jsonl) as f:
                cases = [json.loads(l) for l in f]
            for case in cases:
                case.pop("id")
            con = duckdb.connect()
            con.execute("SET threads = 2")
            con.execute(f"CREATE VIEW cases AS SELECT * FROM read_parquet('{parquet}')")
            spark.read.parquet(parquet).createOrReplaceTempView("cases")
            for kind, name in targets(sopflow, project):
                label = f"{project}: {kind} {name}"
                query, error = sql(sopflow, project, kind, name, "duckdb")
                if query is None:
                    skipped.append(f"{label}: {error}")
                    continue
                columns = set(reads(query))
                want = expected(sopflow, project, kind, name, cases, columns, workdir)
                for row in want.values():
                    kinds[row[0]] = kinds.get(row[0], 0) + 1
                cur = con.execute(query)
                names = [d[0] for d in cur.description]
                got = {r[names.index("id")]: tuple(normal(r[names.index(k)]) for k in FIELDS) for r in cur.fetchall()}
                totals["DuckDB"][0] += len(got)
                totals["DuckDB"][1] += compare("DuckDB", got, want, label, shown)
                query, _ = sql(sopflow, project, kind, name, "spark")
                got = {r["id"]: tuple(normal(r[k]) for k in FIELDS) for r in spark.sql(query).collect()}
                totals["Spark"][0] += len(got)
                totals["Spark"][1] += compare("Spark", got, want, label, shown)
                for dialect, read in (("trino", "trino"), ("bigquery", "bigquery"), ("postgres", "postgres")):
                    query, _ = sql(sopflow, project, kind, name, dialect)
                    sqlglot.parse_one(query, read=read)
                    parsed += 1
            con.close()
    spark.stop()
    for s in skipped:
        print(f"  not exported: {s}")
    print("results compared: " + ", ".join(f"{k} {n}" for k, n in sorted(kinds.items())))
    for engine, (n, bad) in totals.items():
        print(f"{engine}: {n} rows compared with `sopflow eval`, {bad} differences")
    print(f"sqlglot: {parsed} Trino, BigQuery and PostgreSQL queries parsed ({time.time() - clock:.0f} s in all)")
    sys.exit(1 if any(bad for _, bad in totals.values()) or not all(n for n, _ in totals.values()) else 0)


if __name__ == "__main__":
    main()
