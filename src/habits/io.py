"""Reading and writing rows (JSONL, Parquet) with errors that name the file and line, atomically.

Every output file is written to a temporary file beside it and renamed into place, so an
interrupted command never leaves a half-written file behind.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

MAX_LINE_BYTES = 16 * 1024 * 1024  # a single row larger than this is almost certainly not a row


class InputError(ValueError):
    """A problem with a user's input file; the message names the file (and line) and what to do."""


def read_jsonl(path: str | Path, required: tuple[str, ...] = ()) -> Iterator[tuple[int, dict[str, Any]]]:
    """Yield ``(line_number, row)`` for each non-blank line of a JSONL file.

    Raises :class:`InputError` naming ``path:line`` for lines that are not UTF-8, not JSON objects,
    too large, or missing a ``required`` field.
    """
    path = Path(path)
    if not path.is_file():
        raise InputError(f"{path}: no such file")
    with path.open("rb") as handle:
        for number, raw in enumerate(handle, start=1):
            if len(raw) > MAX_LINE_BYTES:
                raise InputError(f"{path}:{number}: line is {len(raw) / 2**20:.1f} MiB, more than "
                                 f"{MAX_LINE_BYTES // 2**20} MiB allowed for one row")
            if not raw.strip():
                continue
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                raise InputError(f"{path}:{number}: not valid UTF-8 (byte {exc.start}); re-encode the file as UTF-8") from None
            try:
                row = json.loads(text)
            except json.JSONDecodeError as exc:
                raise InputError(f"{path}:{number}: not valid JSON ({exc.msg} at column {exc.colno})") from None
            if not isinstance(row, dict):
                raise InputError(f"{path}:{number}: expected a JSON object, got {type(row).__name__}")
            missing = [name for name in required if name not in row]
            if missing:
                raise InputError(f"{path}:{number}: row has no {', '.join(repr(m) for m in missing)} field "
                                 f"(fields present: {', '.join(sorted(row)) or 'none'})")
            yield number, row


def load_rows(path: str | Path, required: tuple[str, ...] = ()) -> list[dict[str, Any]]:
    """All rows of a JSONL or Parquet file."""
    path = Path(path)
    if path.suffix == ".parquet":
        import pyarrow.parquet as pq

        if not path.is_file():
            raise InputError(f"{path}: no such file")
        rows = pq.read_table(path).to_pylist()
        for index, row in enumerate(rows, start=1):
            missing = [name for name in required if name not in row]
            if missing:
                raise InputError(f"{path}: row {index} has no {', '.join(missing)} field")
        return rows
    return [row for _, row in read_jsonl(path, required)]


@contextmanager
def atomic_write(path: str | Path, mode: str = "w") -> Iterator[IO[Any]]:
    """Open a temporary file next to ``path``; rename it over ``path`` only if the block succeeds."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, mode, **({} if "b" in mode else {"encoding": "utf-8"})) as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_jsonl(path: str | Path, rows: Iterable[Mapping[str, Any]]) -> int:
    """Write rows as JSONL atomically; returns the number of rows."""
    count = 0
    with atomic_write(path) as handle:
        for row in rows:
            handle.write(json.dumps(row, ensure_ascii=False) + "\n")
            count += 1
    return count


def write_rows(path: str | Path, rows: list[Mapping[str, Any]]) -> int:
    """Write rows to ``.jsonl`` or ``.parquet`` (chosen by suffix), atomically."""
    path = Path(path)
    if path.suffix == ".parquet":
        import pyarrow as pa
        import pyarrow.parquet as pq

        table = pa.Table.from_pylist(list(rows))
        with atomic_write(path, "wb") as handle:
            pq.write_table(table, handle)
        return len(rows)
    if path.suffix not in (".jsonl", ".json"):
        raise InputError(f"{path}: unknown output format {path.suffix!r}; use .jsonl or .parquet")
    return write_jsonl(path, rows)


def write_json(path: str | Path, data: Any) -> None:
    """Write one JSON document atomically (pretty-printed)."""
    with atomic_write(path) as handle:
        json.dump(data, handle, indent=2, ensure_ascii=False)
        handle.write("\n")
