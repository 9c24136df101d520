"""What software made a run: ``versions.json`` in every run directory, and in summaries and reports.

A result is only reproducible with the stack that produced it: Python, habits (version and git
commit when run from a checkout), torch (and its CUDA), and the training libraries whose
behaviour changes between releases (TRL above all). Missing optional packages are ``null``.
"""

from __future__ import annotations

import platform
import subprocess
from functools import lru_cache
from importlib import metadata
from pathlib import Path
from typing import Any

PACKAGES = ("torch", "transformers", "trl", "accelerate", "peft", "datasets", "tokenizers", "vllm")


def _version(name: str) -> str | None:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None


def _git_commit() -> str | None:
    """The checkout's commit (with ``+dirty`` for uncommitted changes), or None outside a checkout."""
    here = Path(__file__).resolve().parent
    try:
        top = subprocess.run(["git", "rev-parse", "--show-toplevel"], cwd=here, capture_output=True, text=True,
                             timeout=5)
        # only habits' own checkout, not a user's repository that happens to hold an installed copy
        if top.returncode != 0 or not (Path(top.stdout.strip()) / "src" / "habits" / "versions.py").is_file():
            return None
        commit = subprocess.run(["git", "rev-parse", "HEAD"], cwd=here, capture_output=True, text=True, timeout=5)
        if commit.returncode != 0:
            return None
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=here,
                               capture_output=True, text=True, timeout=5).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None
    return commit.stdout.strip() + ("+dirty" if dirty else "")


@lru_cache(maxsize=1)
def versions() -> dict[str, Any]:
    """The stack, as a JSON-ready dict (computed once per process)."""
    found: dict[str, Any] = {"python": platform.python_version(), "platform": platform.platform(),
                             "habits": _version("habits"), "habits_commit": _git_commit()}
    found.update({name: _version(name) for name in PACKAGES})
    try:
        import torch

        found["cuda"] = torch.version.cuda
    except ImportError:  # pragma: no cover - torch is a dependency
        found["cuda"] = None
    return found


def write_versions(directory: str | Path) -> Path:
    """Write ``<directory>/versions.json`` (atomically) and return its path."""
    from habits.io import write_json

    path = Path(directory) / "versions.json"
    write_json(path, versions())
    return path
