"""What a failure means to the person who ran the command: one sentence and an exit code.

``habits.cli.main`` is the only place that catches exceptions for the user; it asks :func:`explain`
for the sentence and the code. Errors raised on purpose already carry a sentence that names the
file, line or field and what to do (:class:`habits.io.InputError`, ``ValueError`` from config
checks); everything else is translated here by kind -- a full or read-only disk, a path that is a
file or a directory, an unreachable model hub -- so no expected failure reaches the user as a
traceback. An exception nobody expected is a bug: it gets a one-line summary and the hint to
re-run with ``--debug`` (or ``HABITS_DEBUG=1``), which shows the traceback.

Exit codes (documented in the README):

* 0 -- success;
* 1 -- an unexpected error inside habits (a bug; ``--debug`` shows the traceback);
* 2 -- the input needs fixing: a file, recipe field, option or model directory (the message says which);
* 3 -- the file system refused: disk full, read-only, no permission, a file where a directory
  should be (or the reverse);
* 4 -- an outside service failed: the judge endpoint, or the Hugging Face hub;
* 130 -- interrupted (Ctrl-C or SIGTERM); re-running the same command resumes where it can.
"""

from __future__ import annotations

import errno
import os

OK, BUG, BAD_INPUT, FILESYSTEM, SERVICE, INTERRUPTED = 0, 1, 2, 3, 4, 130
DEBUG_ENV = "HABITS_DEBUG"

# errno -> what it means for the person and what to do about it
_OS_REASONS = {
    errno.ENOSPC: "disk full (no space left on device); free some space or write somewhere else",
    errno.EDQUOT: "disk full (disk quota exceeded); free some space or write somewhere else",
    errno.EROFS: "the file system is read-only; write somewhere else",
    errno.EACCES: "permission denied; write somewhere you may write, or fix the permissions",
    errno.EPERM: "operation not permitted; write somewhere you may write, or fix the permissions",
    errno.EISDIR: "is a directory; give a file path",
    errno.ENOTDIR: "part of the path is a file, not a directory; fix the path",
    errno.EEXIST: "a file is in the way where a directory is needed; fix the path",
    errno.ENAMETOOLONG: "the file name is too long; use a shorter path",
}
# What torch's checkpoint writer says when a write fails half-way (it hides the errno)
_TORCH_WRITE_FAILURES = ("inline_container.cc", "iostream error", "file write failed", "PytorchStreamWriter")


class ServiceError(RuntimeError):
    """An outside service (judge endpoint, model hub) failed; the message names it. Exit code 4."""


class StageFailed(RuntimeError):
    """Stages run in worker processes failed; the message holds each one's sentence and log. Exit code 2."""


class WriteFailed(OSError):
    """A write failed and the message already says everything (where, why, where the data went)."""

    def __init__(self, code: int | None, sentence: str) -> None:
        super().__init__(code, sentence)
        self.sentence = sentence

    def __str__(self) -> str:
        return self.sentence


class DiskFull(OSError):
    """A write failed because the disk is full; raised where a library hides the errno."""

    def __init__(self, path: str | os.PathLike[str], detail: str = "") -> None:
        super().__init__(errno.ENOSPC, os.strerror(errno.ENOSPC), str(path))
        self.detail = detail


def debug_enabled() -> bool:
    return os.environ.get(DEBUG_ENV, "").strip().lower() not in ("", "0", "false", "no")


def explain(exc: BaseException) -> tuple[int, str]:
    """``(exit code, one sentence)`` for an exception that reached the command line."""
    from habits.io import InputError

    if isinstance(exc, KeyboardInterrupt):
        return INTERRUPTED, "interrupted; run the same command again to resume where it stopped"
    if isinstance(exc, StageFailed):
        return BAD_INPUT, _first_line(exc)
    if isinstance(exc, ServiceError) or _is_judge_error(exc):
        return SERVICE, _first_line(exc)
    if isinstance(exc, (InputError, FileNotFoundError)) and not _is_write_error(exc):
        return BAD_INPUT, _first_line(exc)
    if isinstance(exc, OSError):
        return _explain_os_error(exc)
    if isinstance(exc, ValueError):
        return BAD_INPUT, _first_line(exc)
    if is_write_failure(exc):
        return FILESYSTEM, (f"writing a file failed inside torch ({_first_line(exc)}); this is almost always "
                            "a full disk: check free space (df -h) and run the same command again")
    if type(exc).__name__ == "SafetensorError":
        return BAD_INPUT, (f"a .safetensors weights file is damaged ({_first_line(exc)}); point at a "
                           "complete model directory or checkpoint")
    return BUG, (f"unexpected {type(exc).__name__}: {_first_line(exc)} -- this is a bug in habits; "
                 f"run again with --debug (or {DEBUG_ENV}=1) to see the traceback, and report it")


def is_write_failure(exc: BaseException) -> bool:
    """Whether ``exc`` is torch's way of saying a checkpoint write failed (disk full, usually)."""
    return isinstance(exc, RuntimeError) and any(mark in str(exc) for mark in _TORCH_WRITE_FAILURES)


def describe_os_error(exc: OSError) -> str:
    """``path: what went wrong; what to do`` for an OSError."""
    if isinstance(exc, WriteFailed):
        return exc.sentence
    where = exc.filename if exc.filename is not None else None
    reason = _OS_REASONS.get(exc.errno or -1)
    if reason is None:
        reason = exc.strerror or _first_line(exc)
    if isinstance(exc, DiskFull) and exc.detail:
        reason = f"{reason} ({exc.detail})"
    return f"{where}: {reason}" if where else reason


def _explain_os_error(exc: OSError) -> tuple[int, str]:
    if exc.errno is None:
        # Hugging Face raises bare OSErrors for models it cannot find or download.
        text = _first_line(exc)
        if "huggingface.co" in str(exc) or "internet connection" in str(exc) or "offline mode" in str(exc):
            return SERVICE, (f"could not reach the Hugging Face hub ({text}); give a local model directory "
                             "(check the path: a missing local path with one '/' looks like a hub id), or "
                             "check the network")
        return BAD_INPUT, text
    return FILESYSTEM, describe_os_error(exc)


def _is_write_error(exc: BaseException) -> bool:
    return isinstance(exc, OSError) and exc.errno is not None and exc.errno != errno.ENOENT


def _is_judge_error(exc: BaseException) -> bool:
    return type(exc).__name__ == "JudgeError"


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text.splitlines()[0] if "\n" in text else text
