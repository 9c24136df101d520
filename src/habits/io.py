"""Reading and writing rows (JSONL, Parquet) with errors that name the file and line, atomically.

Every output file is written to a temporary file beside it and renamed into place, so an
interrupted command never leaves a half-written file behind; the file gets the permissions the
user's umask gives new files (results are meant to be shared). Commands check their outputs
with :func:`check_output` before any work, and a result that took long to compute is written
with :func:`write_or_rescue`, which saves it elsewhere (and says where) if the write still fails.
"""

from __future__ import annotations

import json
import os
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

MAX_LINE_BYTES = 16 * 1024 * 1024  # a single row larger than this is almost certainly not a row
ROW_SUFFIXES = (".jsonl", ".parquet")
_PARQUET_MAGIC = b"PAR1"


class InputError(ValueError):
    """A problem with a user's input file; the message names the file (and line) and what to do."""


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON (write null or a number)")


def read_jsonl(path: str | Path, required: tuple[str, ...] = ()) -> Iterator[tuple[int, dict[str, Any]]]:
    """Yield ``(line_number, row)`` for each non-blank line of a JSONL file.

    Raises :class:`InputError` naming ``path:line`` for lines that are not UTF-8, not JSON objects
    (NaN and Infinity are not JSON), nested too deeply, too large, or missing a ``required`` field.
    """
    path = Path(path)
    if not path.is_file():
        raise InputError(f"{path}: {'is a directory, not a file' if path.is_dir() else 'no such file'}")
    with path.open("rb") as handle:
        for number, raw in enumerate(handle, start=1):
            if number == 1 and raw.startswith(_PARQUET_MAGIC):
                raise InputError(f"{path}: this is a Parquet file; give it the .parquet suffix")
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
                row = json.loads(text, parse_constant=_no_constant)
            except json.JSONDecodeError as exc:
                raise InputError(f"{path}:{number}: not valid JSON ({exc.msg}, column {exc.colno})") from None
            except ValueError as exc:  # NaN / Infinity
                raise InputError(f"{path}:{number}: not valid JSON ({exc})") from None
            except RecursionError:
                raise InputError(f"{path}:{number}: JSON nested too deeply to be a row") from None
            if not isinstance(row, dict):
                raise InputError(f"{path}:{number}: expected a JSON object, got {type(row).__name__}")
            missing = [name for name in required if name not in row]
            if missing:
                raise InputError(f"{path}:{number}: row has no {', '.join(repr(m) for m in missing)} field "
                                 f"(fields present: {', '.join(sorted(row)) or 'none'})")
            yield number, row


def read_rows(path: str | Path, required: tuple[str, ...] = (),
              what: str = "rows") -> list[tuple[int, dict[str, Any]]]:
    """``(line_or_row_number, row)`` pairs of a JSONL or Parquet input; an input without rows is an error.

    An empty input is refused because a command that reads nothing would write an empty result
    over an earlier one.
    """
    path = Path(path)
    if path.suffix == ".parquet":
        rows = list(enumerate(load_rows(path, required), start=1))
    else:
        rows = list(read_jsonl(path, required))
    if not rows:
        raise InputError(f"{path}: no rows; expected {what}, one JSON object per line")
    return rows


def load_rows(path: str | Path, required: tuple[str, ...] = ()) -> list[dict[str, Any]]:
    """All rows of a JSONL or Parquet file."""
    path = Path(path)
    if path.suffix == ".parquet":
        import pyarrow as pa
        import pyarrow.parquet as pq

        if not path.is_file():
            raise InputError(f"{path}: no such file")
        try:
            rows = pq.read_table(path).to_pylist()
        except pa.ArrowException as exc:
            raise InputError(f"{path}: not a readable Parquet file ({exc})") from None
        for index, row in enumerate(rows, start=1):
            missing = [name for name in required if name not in row]
            if missing:
                raise InputError(f"{path}: row {index} has no {', '.join(missing)} field")
        return rows
    return [row for _, row in read_jsonl(path, required)]


# -- outputs ----------------------------------------------------------------------------------
def check_output(path: str | Path, suffixes: tuple[str, ...] | None = None, what: str = "output") -> Path:
    """Refuse, before any work, an output file that could not be written.

    Checks the suffix (when ``suffixes`` is given), that ``path`` is not a directory, that no
    part of its parent path is a file, and that the nearest existing directory accepts a new file
    (read-only file systems and permissions included). Creates nothing.
    """
    path = Path(path).expanduser()
    if path.is_dir():
        raise InputError(f"{what} {path}: is a directory; give a file path"
                         + (f" ending in {' or '.join(suffixes)}" if suffixes else ""))
    if suffixes is not None and path.suffix not in suffixes:
        raise InputError(f"{what} {path}: unknown format {path.suffix or '(no suffix)'!r}; "
                         f"use a name ending in {' or '.join(suffixes)}")
    _check_writable_dir(path.parent, what, path)
    return path


def check_output_dir(path: str | Path, what: str = "output directory") -> Path:
    """Refuse, before any work, a directory that could not be created or written into. Creates nothing."""
    path = Path(path).expanduser()
    if path.exists() and not path.is_dir():
        raise InputError(f"{what} {path}: is a file, not a directory; give a directory path")
    _check_writable_dir(path, what, path)
    return path


def _check_writable_dir(directory: Path, what: str, target: Path) -> None:
    existing = directory
    while not existing.exists():
        if existing.parent == existing:
            break
        existing = existing.parent
    if existing.exists() and not existing.is_dir():
        raise InputError(f"{what} {target}: {existing} is a file, not a directory; fix the path")
    try:  # os.access misses read-only mounts for root and ACLs: try for real
        fd, probe = tempfile.mkstemp(dir=existing, prefix=".habits-write-check-")
        os.close(fd)
        os.unlink(probe)
    except OSError as exc:
        raise OSError(exc.errno, exc.strerror, f"{what} {target}") from None


def _umask() -> int:
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    mask = os.umask(0o022)  # the only portable way to read it is to set it
    os.umask(mask)
    return mask


@contextmanager
def atomic_write(path: str | Path, mode: str = "w") -> Iterator[IO[Any]]:
    """Open a temporary file next to ``path``; rename it over ``path`` only if the block succeeds.

    The file ends up with the mode a plain ``open`` would give it (0666 minus the umask), not the
    0600 of a temporary file.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        os.fchmod(fd, 0o666 & ~_umask())
        with os.fdopen(fd, mode, **({} if "b" in mode else {"encoding": "utf-8"})) as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException as exc:
        Path(tmp).unlink(missing_ok=True)
        if isinstance(exc, OSError) and exc.filename in (tmp, None):
            exc.filename = str(path)  # the user knows the output, not our temporary name
        raise


@contextmanager
def exclusive(lock: str | Path, what: str) -> Iterator[None]:
    """Hold ``lock`` (a lock file) for the block; refuse at once if another process holds it.

    An advisory ``flock``: the operating system drops it when the holder exits or is killed, so a
    crashed run never leaves a stale lock. Where there is no ``fcntl`` (Windows) nothing is locked.
    """
    try:
        import fcntl
    except ImportError:
        yield
        return
    lock = Path(lock)
    lock.parent.mkdir(parents=True, exist_ok=True)
    with open(lock, "a+", encoding="utf-8") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "another process"
            raise ValueError(f"{what} is in use by {holder}; wait for that run to finish (or stop it), then run "
                             "the same command again to resume") from None
        handle.seek(0)
        handle.truncate()
        handle.write(f"habits PID {os.getpid()}")
        handle.flush()
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def write_or_rescue(path: str | Path, write: Callable[[Path], Any]) -> Path:
    """``write(path)``; if that fails on the file system, ``write`` to a rescue path and raise saying where.

    For results that took long to compute (sampling a model): a full disk or a vanished mount at
    the very end must not throw them away.
    """
    path = Path(path)
    try:
        write(path)
        return path
    except OSError as exc:
        from habits.errors import WriteFailed, describe_os_error

        stamp = time.strftime("%Y%m%d-%H%M%S")
        for folder in (Path(tempfile.gettempdir()), Path.home(), Path.cwd()):
            rescue = folder / f"habits-rescued-{stamp}-{os.getpid()}-{path.name}"
            try:
                write(rescue)
            except OSError:
                continue
            raise WriteFailed(exc.errno, f"{describe_os_error(exc)}; the results were saved to {rescue} "
                              "instead") from None
        raise


def save_results(*outputs: tuple[str | Path | None, Callable[[Path], Any]]) -> None:
    """:func:`write_or_rescue` each ``(path, write)`` that has a path; all are tried before one error is raised."""
    from habits.errors import WriteFailed

    failed = []
    for path, write in outputs:
        if path:
            try:
                write_or_rescue(path, write)
            except OSError as exc:
                failed.append(exc)
    if failed:
        raise WriteFailed(failed[0].errno, "; ".join(str(exc) for exc in failed))


def write_jsonl(path: str | Path, rows: Iterable[Mapping[str, Any]]) -> int:
    """Write rows as JSONL atomically; returns the number of rows."""
    count = 0
    with atomic_write(path) as handle:
        for row in rows:
            handle.write(json.dumps(row, ensure_ascii=False) + "\n")
            count += 1
    return count


def write_rows(path: str | Path, rows: list[Mapping[str, Any]]) -> int:
    """Write rows to ``.jsonl`` or ``.parquet`` (chosen by suffix), atomically.

    An ``images`` column (PIL images, PNG bytes or paths) is stored as the format allows: PNG bytes
    inside Parquet, PNG files beside JSONL (:mod:`habits.row_images`).
    """
    path = Path(path)
    rows = list(rows)
    if path.suffix in (".parquet", ".jsonl", ".json"):
        from habits.row_images import encode_rows, has_images

        if has_images(rows):
            rows = encode_rows(path, rows)
    if path.suffix == ".parquet":
        import pyarrow.parquet as pq

        from habits.row_images import arrow_table

        table = arrow_table(rows)
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


def read_json(path: str | Path) -> Any:
    """One JSON document; a damaged file is an error that names it."""
    path = Path(path)
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: damaged JSON ({exc}); delete it to have it rebuilt, or restore it") from None
