"""Scoring one shard: decode, check and classify every document, write the shard's files.

A shard is finished when its index file (``shard-NNNNN.json``) exists; it is written last and
atomically, after the shard's rows, so a run killed mid-shard redoes only that shard. Documents
that cannot be scored are counted by reason, never fatal:

=================  ===============================================================
``invalid_utf8``   the line's bytes (or the text) are not valid UTF-8
``invalid_json``   the line is not a JSON object
``no_text_field``  the row has no such field
``not_text``       the field is not a string (a number, a list, bytes, null ...)
``empty``          the text is blank
``binary``         NUL bytes, or more than one control character per 1,000
``too_large``      longer than ``max_chars`` characters (or than a line may be)
``judge_missing``  the judge gave no count for some behavior
=================  ===============================================================
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from habits.behaviors.taxonomy import BEHAVIORS
from habits.io import atomic_write

REASONS = ("invalid_utf8", "invalid_json", "no_text_field", "not_text", "empty", "binary", "too_large",
           "judge_missing")
EXAMPLES = 5  # document numbers kept per skip reason, to find them again
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffd]")
_TOKENIZERS: dict[str, Any] = {}


def shard_paths(folder: Path, index: int) -> tuple[Path, Path]:
    """(rows, index) files of shard ``index``."""
    return folder / f"shard-{index:05d}.rows.jsonl", folder / f"shard-{index:05d}.json"


def score_shard(index: int, first: int, items: list[Any], folder: str, settings: dict[str, Any]) -> dict[str, Any]:
    """Score the documents of one shard and write its rows and index; returns the index."""
    rows_path, index_path = shard_paths(Path(folder), index)
    field, max_chars = settings["text_field"], settings["max_chars"]
    skipped = dict.fromkeys(REASONS, 0)
    examples: dict[str, list[int]] = {}
    kept: list[tuple[int, str, str]] = []  # (document number, text, the row as JSON)
    for offset, item in enumerate(items):
        number = first + offset
        text, raw, reason = _document(item, field, max_chars)
        if reason:
            skipped[reason] += 1
            if len(examples.setdefault(reason, [])) < EXAMPLES:
                examples[reason].append(number)
            continue
        kept.append((number, text, raw))
    counts = _classify([text for _, text, _ in kept], settings)
    tokens = _count_tokens([text for _, text, _ in kept], settings["tokenizer"])
    scored = []
    with atomic_write(rows_path) as handle:
        for (number, text, raw), behaviors, length in zip(kept, counts, tokens):
            if any(behaviors[name] is None for name in BEHAVIORS):
                skipped["judge_missing"] += 1
                if len(examples.setdefault("judge_missing", [])) < EXAMPLES:
                    examples["judge_missing"].append(number)
                continue
            handle.write(raw + "\n")
            scored.append([number, length, len(text), *(behaviors[name] for name in BEHAVIORS)])
    summary = {"shard": index, "first": first, "documents": len(items), "scored": scored,
               "skipped": {k: v for k, v in skipped.items() if v}, "examples": examples,
               "characters": sum(row[2] for row in scored)}
    with atomic_write(index_path) as handle:
        handle.write(json.dumps(summary))  # (json.dump encodes in Python, piece by piece: 4x slower)
    return summary


def _document(item: Any, field: str, max_chars: int) -> tuple[str, str, str | None]:
    """(text, the row as one JSON line, why it is skipped or None)."""
    if isinstance(item, int):
        return "", "", "too_large"
    if isinstance(item, bytes):
        try:
            line = item.decode("utf-8").strip()
        except UnicodeDecodeError:
            return "", "", "invalid_utf8"
        try:
            row = json.loads(line)
        except ValueError:
            return "", "", "invalid_json"
        if not isinstance(row, dict):
            return "", "", "invalid_json"
        raw = line
    else:
        row, raw = item, None
    if field not in row:
        return "", "", "no_text_field"
    text = row[field]
    if not isinstance(text, str):
        return "", "", "not_text"
    if len(text) > max_chars:
        return "", "", "too_large"
    if not text.strip():
        return "", "", "empty"
    if "\x00" in text or len(_CONTROL.findall(text)) > max(4, len(text) // 1000):
        return "", "", "binary"
    try:
        text.encode("utf-8")  # lone surrogates from "\ud800" escapes
    except UnicodeEncodeError:
        return "", "", "invalid_utf8"
    if raw is None:
        raw = json.dumps(row, ensure_ascii=False, default=str)
    return text, raw, None


def _classify(texts: list[str], settings: dict[str, Any]) -> list[dict[str, int | None]]:
    if settings["classifier"] == "judge":
        from habits.behaviors import JudgeConfig, judge_counts

        return judge_counts(texts, JudgeConfig(**(settings.get("judge") or {})), progress=False) if texts else []
    from habits.behaviors import count_behaviors

    return [count_behaviors(text) for text in texts]


def _count_tokens(texts: list[str], tokenizer: str) -> list[int]:
    if tokenizer == "chars":
        return [(len(text) + 3) // 4 for text in texts]
    if tokenizer == "regex":
        from habits.traces.tokens import count_regex_tokens

        return [count_regex_tokens(text) for text in texts]
    if tokenizer not in _TOKENIZERS:  # once per process
        from transformers import AutoTokenizer

        _TOKENIZERS[tokenizer] = AutoTokenizer.from_pretrained(tokenizer, local_files_only=Path(tokenizer).is_dir())
    encoded = _TOKENIZERS[tokenizer](texts, add_special_tokens=False)["input_ids"] if texts else []
    return [len(ids) for ids in encoded]
