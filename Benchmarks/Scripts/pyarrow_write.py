#!/usr/bin/env python3
"""pyarrow's side of cairn-bench's parquetwrite workload (issue 17), and a check of Cairn's file.

Writes the same --num rows as cairn-bench's ParquetFileWriter side with pyarrow and prints one
JSON object with the seconds on standard output:

  pk      string, REQUIRED   "user" + 12 digits of i // 10 (BenchItem's partition key, 16 chars)
  sk      int64,  REQUIRED   i % 10
  amount  decimal(38,2), REQUIRED, unscaled (i * 7919) % 10_000_000 - 5_000_000
  name    string, OPTIONAL   "name-<i % 1000>-xxxxxxxxxxx", null when i % 10 == 0
  seq     int64,  REQUIRED   1_000_000 + i
  op      string, REQUIRED   INSERT / MODIFY / REMOVE by i % 3

What is timed (time.perf_counter):
  build:  pa.array(...) of each column from Python lists (the lists themselves are made before,
          untimed: a Python loop would measure the interpreter, not pyarrow), and pa.table.
  write:  pq.write_table(table, path, compression='zstd', compression_level=1) (level 1 is
          Arrow's default for ZSTD and Cairn's ParquetWriterOptions default; every other
          option is pyarrow's default) and then an fsync of the file, because Cairn's
          ParquetFileWriter.finish() syncs its file; fsync_seconds gives the sync alone.
  total:  build + write.

With --verify PATH it then (untimed) reads PATH (Cairn's file) with pyarrow and reports its
row count, schema and whether every column equals the table written above.

Usage: pyarrow_write.py --num N --out PATH [--verify PATH]
Exit status 3 when pyarrow cannot be imported.
"""
import argparse
import json
import os
import sys
import time
from decimal import Decimal

try:
    import pyarrow as pa
    import pyarrow.parquet as pq
except ImportError as error:
    print(f"pyarrow_write.py: cannot import pyarrow ({error}); install it with: python3 -m pip install pyarrow",
          file=sys.stderr)
    sys.exit(3)

OPS = ("INSERT", "MODIFY", "REMOVE")


def python_lists(n):
    """The rows' values as Python lists, one per column (untimed)."""
    return {
        "pk": [f"user{i // 10:012d}" for i in range(n)],
        "sk": [i % 10 for i in range(n)],
        "amount": [Decimal((i * 7919) % 10_000_000 - 5_000_000).scaleb(-2) for i in range(n)],
        "name": [None if i % 10 == 0 else f"name-{i % 1000}-xxxxxxxxxxx" for i in range(n)],
        "seq": [1_000_000 + i for i in range(n)],
        "op": [OPS[i % 3] for i in range(n)],
    }


SCHEMA = pa.schema([
    pa.field("pk", pa.string(), nullable=False),
    pa.field("sk", pa.int64(), nullable=False),
    pa.field("amount", pa.decimal128(38, 2), nullable=False),
    pa.field("name", pa.string(), nullable=True),
    pa.field("seq", pa.int64(), nullable=False),
    pa.field("op", pa.string(), nullable=False),
])


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--num", type=int, required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--verify")
    args = parser.parse_args()
    n = args.num

    lists = python_lists(n)
    column_seconds = {}
    t0 = time.perf_counter()
    arrays = []
    for field in SCHEMA:
        c0 = time.perf_counter()
        arrays.append(pa.array(lists[field.name], type=field.type))
        column_seconds[field.name] = time.perf_counter() - c0
    table = pa.Table.from_arrays(arrays, schema=SCHEMA)
    t1 = time.perf_counter()
    pq.write_table(table, args.out, compression="zstd", compression_level=1)
    t2 = time.perf_counter()
    fd = os.open(args.out, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
    t3 = time.perf_counter()
    del lists

    result = {
        "pyarrow": pa.__version__,
        "rows": table.num_rows,
        "build_seconds": t1 - t0,
        "column_build_seconds": column_seconds,
        "write_seconds": t3 - t1,
        "fsync_seconds": t3 - t2,
        "total_seconds": t3 - t0,
        "bytes": os.path.getsize(args.out),
        "row_groups": pq.ParquetFile(args.out).metadata.num_row_groups,
    }
    if args.verify:
        theirs = pq.read_table(args.verify)
        metadata = pq.ParquetFile(args.verify).metadata
        check = {
            "rows": theirs.num_rows,
            "metadata_rows": metadata.num_rows,
            "row_groups": metadata.num_row_groups,
            "schema_equal": theirs.schema.equals(SCHEMA, check_metadata=False),
            "schema": str(theirs.schema),
        }
        differing = []
        if theirs.num_rows == table.num_rows:
            for field in SCHEMA:
                if field.name not in theirs.column_names or not theirs.column(field.name).equals(table.column(field.name)):
                    differing.append(field.name)
        check["columns_differing"] = differing
        check["values_equal"] = theirs.num_rows == table.num_rows and not differing
        result["verify"] = check
    json.dump(result, sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
