#!/usr/bin/env python3
"""Reads a Parquet file with pyarrow, DuckDB and Polars, as a user would (no options), and
prints one JSON document: {"schema": {column: arrow type}, "pyarrow": rows, "duckdb": rows,
"polars": rows, "metadata":
{key: value}, "row_groups": n, "chunks": {column: row group 0's encodings, compression and
statistics}}. Values: decimals as strings, bytes as hex, floats as repr, structs as
{"struct": {field: value}}, maps as {"map": [[key, value], ...]} in the file's order (pyarrow
returns a map as a list of (key, value) tuples, DuckDB and Polars as a dict), lists as lists.
Used by the Swift tests of CairnExport's Parquet writer. Usage: read_parquet.py FILE"""
import datetime
import decimal
import json
import sys

import duckdb
import polars
import pyarrow as pa
import pyarrow.parquet as pq


def plain(value):
    if isinstance(value, decimal.Decimal):
        return {"decimal": str(value)}
    if isinstance(value, (bytes, bytearray, memoryview)):
        return {"hex": bytes(value).hex()}
    if isinstance(value, float):
        return {"double": repr(value)}
    if isinstance(value, datetime.datetime):
        return {"ts": value.astimezone(datetime.timezone.utc).isoformat()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    return value


def convert(value, arrow_type):
    """A reader's value of a column of `arrow_type` (the file's schema as pyarrow has it), the
    same JSON whichever reader returned it."""
    if value is None:
        return None
    if isinstance(arrow_type, pa.MapType):
        if isinstance(value, dict):
            pairs = list(value.items())
        else:
            pairs = [(e["key"], e["value"]) if isinstance(e, dict) else tuple(e) for e in value]
        return {"map": [[convert(k, arrow_type.key_type), convert(v, arrow_type.item_type)] for k, v in pairs]}
    if isinstance(arrow_type, pa.StructType):
        return {"struct": {field.name: convert(value.get(field.name), field.type) for field in arrow_type}}
    if isinstance(arrow_type, (pa.ListType, pa.LargeListType)):
        return [convert(v, arrow_type.value_type) for v in value]
    return plain(value)


def converted(rows):
    return [[convert(v, t) for v, t in zip(row, types)] for row in rows]


path = sys.argv[1]
table = pq.read_table(path)
types = [field.type for field in table.schema]
rows = converted(list(row.values()) for row in table.to_pylist())
con = duckdb.connect()
duck = converted(con.execute("select * from read_parquet(?)", [path]).fetchall())
frame = polars.read_parquet(path)
polar = converted(frame.rows())
file_metadata = pq.read_metadata(path)
metadata = {k.decode(): v.decode() for k, v in (file_metadata.metadata or {}).items()}
# Row group 0's column chunks: encodings and statistics as pyarrow reports them.
chunks = {}
group = file_metadata.row_group(0)
for j in range(group.num_columns):
    chunk = group.column(j)
    stats = chunk.statistics
    chunks[chunk.path_in_schema] = {
        "encodings": sorted(chunk.encodings),
        "compression": chunk.compression,
        "null_count": stats.null_count if stats is not None and stats.has_null_count else None,
        "min": plain(stats.min) if stats is not None and stats.has_min_max else None,
        "max": plain(stats.max) if stats is not None and stats.has_min_max else None,
    }
print(json.dumps({
    "schema": {field.name: str(field.type) for field in table.schema},
    "pyarrow": rows,
    "duckdb": duck,
    "polars": polar,
    "metadata": metadata,
    "row_groups": file_metadata.num_row_groups,
    "chunks": chunks,
}))
