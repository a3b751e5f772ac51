"""The peers of `cargo bench --bench backtest`, timed on the same files.

duckdb SQL PARQUET JSONL: DuckDB (2 threads) runs SOPflow's exported query
  over the Parquet file, then over the JSON lines file (read_json); prints
  the median seconds of three runs of each.
zen IR CASES N: GoRules' zen-engine evaluates the table of IR (a SOPflow
  JSON export with one table) as a JDM decision table (hit policy first) on
  the first N cases of CASES (JSON lines), with `evaluate_batch` and with
  one decision's `evaluate` case by case; prints the seconds of each and
  how many results agree with SOPflow's (`eval` outcomes given as an
  `outcome` key in each case).
"""

import json
import statistics
import sys
import time


def duckdb_times(sql_path, parquet, jsonl):
    import duckdb
    sql = open(sql_path).read()
    con = duckdb.connect()
    con.execute("SET threads = 2")
    out = []
    for source in (f"read_parquet('{parquet}')", f"read_json('{jsonl}', format = 'newline_delimited')"):
        # JSON keys are the inputs' names; the query's columns have `_` for `.`.
        names = [r[0] for r in con.execute(f"DESCRIBE SELECT * FROM {source}").fetchall()]
        columns = ", ".join('"{}" AS "{}"'.format(n, n.replace(".", "_")) for n in names)
        con.execute(f"CREATE OR REPLACE VIEW cases AS SELECT {columns} FROM {source}")
        # Every row's result is computed and counted, as the back-test does.
        query = f"SELECT result, outcome, team, count(*) FROM ({sql}) GROUP BY ALL"
        times = []
        for _ in range(3):
            t = time.perf_counter()
            con.execute(query).fetchall()
            times.append(time.perf_counter() - t)
        out.append(statistics.median(times))
    print(json.dumps({"parquet_s": out[0], "jsonl_s": out[1]}))


def zen_expr(c):
    op = c["op"]
    if op in ("and", "or"):
        return "(" + f" {op} ".join(zen_expr(a) for a in c["args"]) + ")"
    if op == "not":
        return f"not ({zen_expr(c['arg'])})"
    if op == "const":
        return "true" if c["value"] else "false"
    field = c["input"]
    if op == "compare":
        return f"{field} {c['cmp']} {zen_value(c['value'])}"
    if op == "in":
        items = ", ".join(zen_value(v) for v in c["values"])
        test = f"{field} in [{items}]"
        return f"not ({test})" if c.get("negated") else test
    if op == "is":
        return f"{field} == {'true' if c['value'] else 'false'}"
    raise SystemExit(f"unsupported condition {c}")


def zen_value(v):
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return str(v)
    seconds = duration(v)
    return str(seconds) if seconds is not None else json.dumps(v)


def duration(v):
    units = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
    if isinstance(v, str) and len(v) > 1 and v[:-1].isdigit() and v[-1] in units:
        return int(v[:-1]) * units[v[-1]]
    return None


def unary(c):
    """A test of one input as a unary cell (`$` is the column's value)."""
    if c["op"] == "compare":
        return f"$ {c['cmp']} {zen_value(c['value'])}"
    items = ", ".join(zen_value(v) for v in c["values"])
    return f"not ($ in [{items}])" if c.get("negated") else f"$ in [{items}]"


def jdm(table):
    """A JDM decision table as one would write it: a column per input that a
    rule tests on its own (the rule's conjuncts on that input, as one unary
    cell), and one expression column (no field) for what is left (the
    disjunctions); one output column."""
    fields, rules = [], []
    for i, b in enumerate(table["branches"]):
        end = b["target"]["end"]
        name = end.get("outcome") or end.get("team")
        row = {"_id": f"r{i}", "o": json.dumps(name)}
        if b["kind"] == "when":
            c = b["condition"]
            parts = c["args"] if c["op"] == "and" else [c]
            per_input, rest = {}, []
            for p in parts:
                if p["op"] in ("compare", "in"):
                    per_input.setdefault(p["input"], []).append(unary(p))
                else:
                    rest.append(zen_expr(p))
            for field, tests in per_input.items():
                if field not in fields:
                    fields.append(field)
                row[f"i{fields.index(field)}"] = " and ".join(tests)
            row["c"] = " and ".join(rest)
        rules.append(row)
    content = {
        "nodes": [
            {"id": "in", "type": "inputNode", "name": "request", "position": {"x": 0, "y": 0}},
            {"id": "t", "type": "decisionTableNode", "name": table["name"], "position": {"x": 200, "y": 0},
             "content": {"hitPolicy": "first",
                         "inputs": [{"id": f"i{k}", "name": f, "field": f} for k, f in enumerate(fields)] + [{"id": "c", "name": "condition"}],
                         "outputs": [{"id": "o", "field": "outcome", "name": "outcome"}], "rules": rules}},
            {"id": "out", "type": "outputNode", "name": "response", "position": {"x": 400, "y": 0}},
        ],
        "edges": [{"id": "e1", "sourceId": "in", "targetId": "t", "type": "edge"},
                  {"id": "e2", "sourceId": "t", "targetId": "out", "type": "edge"}],
    }
    return content


def nest(flat):
    out = {}
    for key, value in flat.items():
        parts = key.split(".")
        d = out
        for p in parts[:-1]:
            d = d.setdefault(p, {})
        seconds = duration(value)
        d[parts[-1]] = seconds if seconds is not None else value
    return out


def zen_time(ir_path, cases_path, n):
    import zen
    table = json.load(open(ir_path))["tables"][0]
    content = json.dumps(jdm(table))
    engine = zen.ZenEngine({"loader": lambda key: content})
    expected, requests = [], []
    with open(cases_path) as f:
        for line in f:
            if len(requests) == n:
                break
            case = json.loads(line)
            expected.append(case.pop("outcome"))
            requests.append({"key": "table", "context": nest(case)})
    t = time.perf_counter()
    results = engine.evaluate_batch(requests)
    batch = time.perf_counter() - t
    agree = sum(1 for r, e in zip(results, expected) if r.get("success") and r["data"]["result"].get("outcome") == e)
    # One decision, evaluated case by case: the faster of the two here.
    decision = engine.create_decision(content)
    t = time.perf_counter()
    for r in requests:
        decision.evaluate(r["context"])
    loop = time.perf_counter() - t
    print(json.dumps({"seconds": min(batch, loop), "batch_s": batch, "loop_s": loop, "cases": len(requests), "agree": agree}))


if __name__ == "__main__":
    if sys.argv[1] == "duckdb":
        duckdb_times(*sys.argv[2:5])
    else:
        zen_time(sys.argv[2], sys.argv[3], int(sys.argv[4]))
