#!/usr/bin/env python3
"""Checks a cairn-bench --json file from the CI smoke run: every requested engine ran every
requested workload, with the right number of operations and found-counts. Never checks a
timing. A workload only some engines have (streamlatency: Cairn's change stream; gsilag and gsilagmax:
Cairn's eventually consistent indexes; exportparquet and parquetwrite: CairnExport) is checked on those and must be absent from the others. Usage: check_smoke.py RESULTS.json ENGINES WORKLOADS"""
import json
import sys

path, engines, workloads = sys.argv[1], sys.argv[2].split(","), sys.argv[3].split(",")
doc = json.load(open(path))
params = doc["parameters"]
results = {(r["engine"], r["workload"]): r for r in doc["results"]}
# Workloads that run only on these engines (the others report them not applicable).
only_on = {"streamlatency": {"cairn"}, "gsilag": {"cairn"}, "gsilagmax": {"cairn"},
           "exportparquet": {"cairn"}, "parquetwrite": {"cairn"}, "replicatelag": {"cairn"}}
index_puts = ("putitemgsi0", "putitemgsi1", "putitemgsi3", "putitemgsi5", "putitemsgsi1", "putitemsgsi3", "putitemsgsi5", "putitemlsi1")
problems = []
checked = 0
for engine in engines:
    if not any(e["name"] == engine and e["settings"] for e in doc["engines"]):
        problems.append(f"{engine}: no settings reported")
    for workload in workloads:
        r = results.get((engine, workload))
        if workload in only_on and engine not in only_on[workload]:
            if r is not None:
                problems.append(f"{engine} {workload}: has a result, but it runs only on {','.join(sorted(only_on[workload]))}")
            continue
        checked += 1
        if r is None:
            problems.append(f"{engine} {workload}: missing")
            continue
        for field in ("opsPerSecond", "microsPerOp", "p50Micros", "p99Micros", "p999Micros", "seconds"):
            if not (r[field] > 0):
                problems.append(f"{engine} {workload}: {field} = {r[field]}")
        expected = {
            "fillseq": params["num"], "fillrandom": params["num"], "overwrite": params["num"],
            "readrandom": params["reads"], "readmissing": params["reads"], "seekrandom": params["reads"],
            "readseq": params["num"], "fillsync": params["syncNum"], "readwhilewriting": params["reads"],
            "putitem": params["num"], "getitem": params["reads"], "queryitem": max(1, params["reads"] // 10),
            "putitemsync": params["syncNum"], "batchwriteitem": params["num"],
            "transactitem": max(1, params["reads"] // 10),
            "ttlputitem": params["num"], "ttlexpire": params["num"],
            "putitemkeysonly": params["num"], "putitemnewold": params["num"], "streamlatency": params["num"],
            **{w: params["num"] for w in index_puts},
            "queryindex": max(1, params["reads"] // 10), "gsilag": params["num"], "gsilagmax": params["num"],
            "exportparquet": params["num"], "parquetwrite": params["num"], "replicatelag": params["num"],
        }[workload]
        if r["operations"] != expected:
            problems.append(f"{engine} {workload}: {r['operations']} operations, expected {expected}")
        if workload == "getitem" and r.get("found") != params["reads"]:
            problems.append(f"{engine} getitem: found {r.get('found')} of {params['reads']}")
        if workload in ("queryitem", "queryindex") and r.get("found") != 10 * expected:
            problems.append(f"{engine} {workload}: {r.get('found')} items returned, expected {10 * expected}")
        if workload in ("readrandom", "seekrandom", "readwhilewriting") and r.get("found") != params["reads"]:
            problems.append(f"{engine} {workload}: found {r.get('found')} of {params['reads']}")
        if workload == "transactitem" and not (0 < r.get("found", 0) <= expected):
            problems.append(f"{engine} transactitem: {r.get('found')} of {expected} transfers committed")
        if workload == "ttlexpire" and r.get("found") != params["num"]:
            problems.append(f"{engine} ttlexpire: deleted {r.get('found')} of {params['num']} expired items")
        if workload == "streamlatency" and r.get("found") != params["num"]:
            problems.append(f"{engine} streamlatency: the consumer received {r.get('found')} of {params['num']} records")
        if workload in ("gsilag", "gsilagmax") and r.get("found") != params["num"]:
            problems.append(f"{engine} {workload}: the checker saw {r.get('found')} of {params['num']} items in the index")
        if workload == "exportparquet" and r.get("found") != params["num"]:
            problems.append(f"{engine} exportparquet: the export wrote {r.get('found')} of {params['num']} items")
        if workload == "replicatelag" and r.get("found") != params["num"]:
            problems.append(f"{engine} replicatelag: the replicator applied {r.get('found')} of {params['num']} changes")
        if workload == "parquetwrite" and r.get("found") != params["num"]:
            problems.append(f"{engine} parquetwrite: pyarrow read {r.get('found')} of {params['num']} rows back")
        if workload == "readmissing" and r.get("found") != 0:
            problems.append(f"{engine} readmissing: found {r.get('found')} keys that do not exist")
        peak, floor = r.get("peakResidentBytes"), r.get("residentBytesAtStart")
        if not peak or floor is None or peak < floor:
            problems.append(f"{engine} {workload}: peak resident size {peak} (at start {floor})")
        if (workload in index_puts or workload in ("fillseq", "fillrandom", "overwrite", "fillsync", "putitem", "putitemsync", "batchwriteitem", "ttlputitem",
                        "putitemkeysonly", "putitemnewold", "streamlatency", "gsilag", "gsilagmax")) and r.get("writeAmplification") is None:
            problems.append(f"{engine} {workload}: no write amplification")
if problems:
    print("smoke run incomplete:\n  " + "\n  ".join(problems))
    sys.exit(1)
print(f"smoke run complete: {len(engines)} engines x {len(workloads)} workloads ({checked} results checked)")
