"""Checks made before any heavy work: can this model directory be loaded, is this checkpoint intact?

Loading a model or resuming a checkpoint takes seconds to minutes of imports and I/O, and the
libraries that do it fail with tracebacks that do not say which file is wrong. These checks read
only a few bytes of each file (a JSON config, a safetensors header, a zip directory), so they run
first and say what is wrong and what to do.
"""

from __future__ import annotations

import json
import struct
import zipfile
from pathlib import Path

WEIGHT_FILES = ("model.safetensors", "model.safetensors.index.json", "pytorch_model.bin",
                "pytorch_model.bin.index.json", "adapter_model.safetensors", "adapter_model.bin")


def safetensors_problem(path: str | Path) -> str | None:
    """Why a ``.safetensors`` file cannot be read (truncated, garbage header), or None if it looks whole."""
    path = Path(path)
    try:
        size = path.stat().st_size
        with path.open("rb") as handle:
            head = handle.read(8)
            if len(head) < 8:
                return f"{path.name} is truncated ({size} bytes)"
            (length,) = struct.unpack("<Q", head)
            if length > min(size - 8, 100 * 2**20):
                return f"{path.name} has a damaged header"
            header = json.loads(handle.read(length))
    except (OSError, ValueError, UnicodeDecodeError):
        return f"{path.name} has a damaged header"
    if not isinstance(header, dict):
        return f"{path.name} has a damaged header"
    ends = [entry["data_offsets"][1] for name, entry in header.items()
            if name != "__metadata__" and isinstance(entry, dict) and "data_offsets" in entry]
    needed = 8 + length + max(ends, default=0)
    if size < needed:
        return f"{path.name} is truncated ({size:,} of {needed:,} bytes)"
    return None


def _zip_problem(path: Path) -> str | None:
    """torch.save writes zip archives; a cut one has no central directory at its end."""
    try:
        with zipfile.ZipFile(path) as archive:
            archive.namelist()
    except (OSError, zipfile.BadZipFile):
        return f"{path.name} is truncated or damaged"
    return None


def model_dir_problem(path: str | Path) -> str | None:
    """Why ``path`` is not a loadable Hugging Face model directory, or None."""
    path = Path(path)
    config = path / "config.json"
    if not path.is_dir():
        return "does not exist" if not path.exists() else "is a file, not a model directory"
    if not config.is_file():
        return "has no config.json (point at a directory written by save_pretrained)"
    try:
        data = json.loads(config.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError) as exc:
        return f"has a config.json that is not valid JSON ({exc})"
    if not isinstance(data, dict) or "model_type" not in data:
        return "has a config.json without model_type (not a transformers model config)"
    weights = [path / name for name in WEIGHT_FILES if (path / name).is_file()]
    if not weights:
        return "has no weights (model.safetensors or pytorch_model.bin)"
    for file in weights:
        if file.name.endswith(".index.json"):
            try:
                shards = set(json.loads(file.read_text(encoding="utf-8"))["weight_map"].values())
            except (ValueError, KeyError, TypeError, UnicodeDecodeError):
                return f"has a damaged {file.name}"
            missing = sorted(name for name in shards if not (path / name).is_file())
            if missing:
                return f"is missing weight shards: {', '.join(missing)}"
            weights += [path / name for name in shards if name.endswith(".safetensors")]
    for file in weights:
        if file.suffix == ".safetensors":
            problem = safetensors_problem(file)
            if problem:
                return f"has a damaged weights file ({problem})"
    return None


def check_model_dir(path: str | Path, what: str = "model") -> None:
    """Raise ValueError naming the directory and the problem if transformers could not load it."""
    problem = model_dir_problem(path)
    if problem:
        raise ValueError(f"{what} {path} {problem}; point it at a complete model directory (save_pretrained "
                         "output, e.g. <run>/model)")


def checkpoint_problem(path: str | Path) -> tuple[str, str] | None:
    """``(kind, why)`` if a training checkpoint cannot be resumed as saved, else None.

    ``kind`` is ``"damaged"`` (a file is cut or unreadable: an earlier checkpoint can be used instead)
    or ``"incomplete"`` (saved without its optimizer state: resuming would silently restart the
    optimizer, so it is refused rather than skipped).
    """
    path = Path(path)
    state = path / "trainer_state.json"
    try:
        json.loads(state.read_text(encoding="utf-8"))
    except (OSError, ValueError, UnicodeDecodeError):
        return "damaged", "trainer_state.json is missing or damaged"
    weights = [path / name for name in WEIGHT_FILES if (path / name).is_file()]
    if not weights:
        return "damaged", "it has no model weights"
    for file in weights:
        problem = safetensors_problem(file) if file.suffix == ".safetensors" else None
        if problem:
            return "damaged", problem
    if any(child.name.startswith("global_step") for child in path.iterdir()):
        return None  # DeepSpeed keeps optimizer state in its own folder
    for name in ("optimizer.pt", "scheduler.pt"):
        file = path / name
        if not file.is_file():
            return "incomplete", f"it has no {name} (saved with save_only_model?)"
        problem = _zip_problem(file)
        if problem:
            return "damaged", problem
    return None
