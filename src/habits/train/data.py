"""Datasets for the trainers: priming rows for SFT, task problems with prompts for RL.

SFT rows come from a JSONL/Parquet file. A row is either ``prompt`` + ``completion`` (text, or a
chat prompt with a text completion) or chat ``messages`` ending with the assistant's turn; both
become TRL's prompt-completion format, so the loss falls on the completion only -- also for chat
templates without ``{% generation %}`` markers (Qwen2.5's and Llama 3's have none), where TRL's
assistant-only loss cannot work.

Rows of image tasks also carry ``images`` (PNG bytes from Parquet, paths from JSONL; see
:mod:`habits.row_images`): TRL's vision format, where the images fill the prompt's
``{"type": "image"}`` parts in order. Each image is checked to decode when the rows load, before any
model does; the dataset column is ``datasets``' ``List(Image())``, decoded as batches are built.

RL rows carry the task's ``prompt`` (text for base-style prompts, messages for chat style) and the
``problem`` as JSON text (problems of one task may have optional fields; JSON keeps the Arrow
schema simple, and the reward accepts either form).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from habits.io import InputError, load_rows, read_jsonl
from habits.row_images import IMAGES, image_features, image_placeholders
from habits.tasks import Task
from habits.tasks.base import as_problem


def _numbered_rows(path: str | Path) -> Iterable[tuple[str, dict[str, Any]]]:
    """(location, row) pairs; the location names the file and line (or row) for error messages."""
    path = Path(path)
    if path.suffix == ".parquet":
        for index, row in enumerate(load_rows(path), start=1):
            yield f"{path} row {index}", row
    else:
        for line, row in read_jsonl(path):
            yield f"{path}:{line}", row


def _is_messages(value: Any) -> bool:
    return (isinstance(value, list) and bool(value)
            and all(isinstance(m, Mapping) and "role" in m and "content" in m for m in value))


def sft_example(row: Mapping[str, Any], columns: str, where: str) -> dict[str, Any]:
    """One priming row as TRL prompt-completion (standard or conversational)."""
    mode = columns
    if mode == "auto":
        mode = "prompt_completion" if "prompt" in row and "completion" in row else "messages"
    if mode == "messages":
        messages = row.get("messages")
        if not _is_messages(messages):
            raise InputError(f"{where}: expected `prompt` + `completion` fields or a `messages` list of "
                             "{role, content} objects")
        if messages[-1]["role"] != "assistant" or len(messages) < 2:
            raise InputError(f"{where}: `messages` must end with the assistant's turn (the text to learn), "
                             f"after at least one user turn; last role is {messages[-1]['role']!r}")
        return {"prompt": [dict(m) for m in messages[:-1]], "completion": [dict(messages[-1])]}
    prompt, completion = row.get("prompt"), row.get("completion")
    if prompt is None or completion is None:
        raise InputError(f"{where}: row has no `prompt` and `completion` fields (columns: {', '.join(sorted(row))})")
    if isinstance(prompt, str) and isinstance(completion, str):
        return {"prompt": prompt, "completion": completion}
    if _is_messages(prompt) and isinstance(completion, str):
        return {"prompt": [dict(m) for m in prompt], "completion": [{"role": "assistant", "content": completion}]}
    if _is_messages(prompt) and _is_messages(completion):
        return {"prompt": [dict(m) for m in prompt], "completion": [dict(m) for m in completion]}
    raise InputError(f"{where}: `prompt` must be text or a list of chat messages and `completion` text "
                     f"(got {type(prompt).__name__} and {type(completion).__name__})")


def _with_images(example: dict[str, Any], row: Mapping[str, Any], where: str, path: str | Path) -> dict[str, Any]:
    """``example`` plus the row's images, which must match the prompt's image parts (TRL fills those in order)."""
    images = image_features(row.get(IMAGES), where, path)
    shown = image_placeholders(example["prompt"])
    if images and isinstance(example["prompt"], str):
        raise InputError(f"{where}: a row with images needs a chat prompt (a list of messages), whose chat template "
                         "places the image tokens; write the rows with habits prime-data (image tasks always "
                         "give chat prompts)")
    if shown and shown != len(images):
        raise InputError(f"{where}: the prompt has {shown} image part(s) but the row has {len(images)} image(s) in "
                         f"`{IMAGES}`; give one image per part, in order")
    return {**example, IMAGES: images} if images else example


def load_sft_rows(path: str | Path, columns: str = "auto", limit: int | None = None) -> list[dict[str, Any]]:
    """Priming rows from ``path`` in TRL prompt-completion form (+ ``images``); every row in the same form."""
    examples: list[dict[str, Any]] = []
    first_kind: tuple[bool, str] | None = None
    for where, row in _numbered_rows(path):
        example = _with_images(sft_example(row, columns, where), row, where, path)
        kind = (isinstance(example["prompt"], str), where)
        if first_kind is None:
            first_kind = kind
        elif kind[0] != first_kind[0]:
            raise InputError(f"{where}: mixes text and chat rows ({first_kind[1]} is "
                             f"{'text' if first_kind[0] else 'chat'}); use one form per file")
        examples.append(example)
        if limit is not None and len(examples) >= limit:
            break
    if not examples:
        raise InputError(f"{path}: no rows")
    return examples


def sft_dataset(path: str | Path, columns: str = "auto", limit: int | None = None):
    return as_dataset(load_sft_rows(path, columns, limit))


def as_dataset(examples: Sequence[Mapping[str, Any]]):
    """A ``datasets.Dataset`` of SFT examples; an ``images`` column becomes ``List(Image())`` (decoded lazily)."""
    import datasets

    if not any(IMAGES in example for example in examples):
        return datasets.Dataset.from_list(list(examples))
    rows = [{**example, IMAGES: example.get(IMAGES, [])} for example in examples]
    return datasets.Dataset.from_list(rows).cast_column(IMAGES, datasets.List(datasets.Image()))


# -- RL -----------------------------------------------------------------------------------------
def problems_from_file(path: str | Path, limit: int | None = None,
                       task: Task | None = None) -> list[dict[str, Any]]:
    """Problems from a file written by ``habits tasks generate`` (a ``problem`` column, or the fields inline).

    With ``task``, each problem is checked (and its numbers read exactly) by ``task.check_problem``.
    """
    problems = []
    for where, row in _numbered_rows(path):
        value = row.get("problem", row)
        try:
            problems.append(task.check_problem(value) if task is not None else as_problem(value))
        except (TypeError, ValueError) as exc:
            what = (f"bad problem for {task.name}: {exc}" if task is not None
                    else f"`problem` is not a JSON object ({exc})")
            raise InputError(f"{where}: {what}") from None
        if limit is not None and len(problems) >= limit:
            break
    if not problems:
        raise InputError(f"{path}: no problems")
    return problems


def rl_rows(task: Task, problems: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    # One row per decision: a multi-step problem (a navigation route) gives one prompt per decision point.
    rows = [{"prompt": task.prompt(step), "problem": json.dumps(step, ensure_ascii=False)}
            for p in problems for step in task.steps(p)]
    if task.shows_images:  # TRL's image column: PIL images that fill the prompt's {"type": "image"} parts
        for row in rows:
            row["images"] = task.images(json.loads(row["problem"]))
    return rows


def rl_dataset(task: Task, problems: Sequence[Mapping[str, Any]]):
    from datasets import Dataset

    return Dataset.from_list(rl_rows(task, problems))
