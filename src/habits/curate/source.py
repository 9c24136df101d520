"""Reading a corpus as shards: consecutive blocks of documents, numbered from 0.

Three kinds of input: a JSONL file (lines are passed on as bytes: the scoring processes decode and
parse them, so a badly encoded line is counted there, not fatal here), a Parquet file (row batches),
and anything ``datasets`` can stream (a hub name, or a local directory of data files). A line longer
than the largest document allowed is never held in memory whole: it is read in chunks and passed on
as its length only.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from habits.io import InputError

_CHUNK = 1 << 20


@dataclass
class Shard:
    """Documents ``first`` .. ``first + len(items) - 1`` of the corpus."""

    index: int
    first: int
    items: list[Any]  # bytes (a JSONL line), int (the length of a line too long to read) or dict (a row)
    size: int  # bytes read for it (JSONL) or rows (otherwise): the progress bar's unit


@dataclass
class Source:
    """An opened corpus: its shards, and the total the progress bar counts towards (None: unknown)."""

    kind: str  # "jsonl", "parquet" or "datasets"
    total: int | None
    unit: str  # "bytes" or "documents"
    shards: Iterator[Shard]


def open_source(path_or_name: str, shard_size: int, max_bytes: int, split: str = "train",
                subset: str | None = None) -> Source:
    """The corpus at ``path_or_name`` cut into shards of ``shard_size`` documents."""
    path = Path(path_or_name)
    if path.is_file():
        if path.suffix == ".parquet":
            import pyarrow.parquet as pq

            try:
                rows = pq.ParquetFile(path).metadata.num_rows
            except Exception as exc:  # noqa: BLE001 -- pyarrow raises several types for a bad file
                raise InputError(f"{path}: not a readable Parquet file ({exc})") from None
            return Source("parquet", rows, "documents", _parquet_shards(path, shard_size))
        if path.suffix in (".jsonl", ".json", ".ndjson"):
            return Source("jsonl", path.stat().st_size, "bytes", _jsonl_shards(path, shard_size, max_bytes))
        raise InputError(f"{path}: unknown input format {path.suffix!r}; use .jsonl, .parquet, a data directory "
                         "or a datasets name")
    if path.suffix in (".jsonl", ".json", ".parquet") and not path.exists():
        raise InputError(f"{path}: no such file")
    return Source("datasets", None, "documents", _dataset_shards(path_or_name, shard_size, split, subset))


def _jsonl_shards(path: Path, shard_size: int, max_bytes: int) -> Iterator[Shard]:
    items: list[Any] = []
    size = index = first = 0
    with path.open("rb") as handle:
        while True:
            line = handle.readline(max_bytes + 2)
            if not line:
                break
            read = len(line)
            if len(line) > max_bytes + 1 and not line.endswith(b"\n"):
                while line and not line.endswith(b"\n"):  # too long: skip to the end of the line
                    line = handle.readline(_CHUNK)
                    read += len(line)
                items.append(read)
            elif line.strip():
                items.append(line)
            size += read
            if len(items) == shard_size:
                yield Shard(index, first, items, size)
                index, first, items, size = index + 1, first + len(items), [], 0
    if items or size:
        yield Shard(index, first, items, size)


def _parquet_shards(path: Path, shard_size: int) -> Iterator[Shard]:
    import pyarrow.parquet as pq

    items: list[Any] = []
    index = first = 0
    for batch in pq.ParquetFile(path).iter_batches(batch_size=min(shard_size, 4096)):
        for row in batch.to_pylist():
            items.append(row)
            if len(items) == shard_size:
                yield Shard(index, first, items, len(items))
                index, first, items = index + 1, first + len(items), []
    if items:
        yield Shard(index, first, items, len(items))


def _dataset_shards(name: str, shard_size: int, split: str, subset: str | None) -> Iterator[Shard]:
    import datasets

    try:
        stream = datasets.load_dataset(name, subset, split=split, streaming=True)
    except Exception as exc:  # noqa: BLE001 -- hub, network and format errors all end the run the same way
        raise InputError(f"{name}: not a file here, and `datasets` could not stream it "
                         f"({type(exc).__name__}: {exc}); pass a .jsonl/.parquet path, a data directory or a "
                         "hub name you can reach (--split, --subset)") from None
    items: list[Any] = []
    index = first = 0
    for row in stream:
        items.append(dict(row))
        if len(items) == shard_size:
            yield Shard(index, first, items, len(items))
            index, first, items = index + 1, first + len(items), []
    if items:
        yield Shard(index, first, items, len(items))
