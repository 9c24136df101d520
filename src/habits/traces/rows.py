"""Priming rows: problem -> search -> narration -> completion in the task's format, verified by the task.

A row is what SFT reads and what the behavior tools compare against::

    prompt       task.prompt(problem) (a string, or chat messages with --format chat)
    completion   think block + answer in the task's format (continues "<think>" if the prompt opened it)
    messages     the chat form (user prompt + assistant completion) for TRL's SFTTrainer
    images       image tasks only, added by :func:`with_images` when rows are written: the images the
                 prompt's ``{"type": "image"}`` parts show (TRL's column; stored by habits.io.write_rows)
    problem      the task's problem dict
    behaviors    exact counts from the events written: verification, backtracking, subgoal_setting,
                 backward_chaining
    correct      task.verify(problem, completion).correct -- never computed here
    condition, task, id, answer (the final expression), thought_tokens (tokens of the thoughts
                 written, or for length_matched of the thoughts replaced)

Feed SFTTrainer one form only (``messages``, or ``prompt`` + ``completion``): select those columns.
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from habits.tasks.base import Task
from habits.traces.conditions import Condition, get_condition
from habits.traces.narrate import BEHAVIORS, Narration, narrate
from habits.traces.search import search
from habits.traces.tokens import TokenCounter, count_regex_tokens

FORMATS = ("completion", "chat")
THINK_OPEN, THINK_CLOSE = "<think>", "</think>"


def check_supported(task: Task, condition: Condition | None = None) -> None:
    """Raise ValueError (before any work) if this task configuration cannot give this condition's traces."""
    planned = condition is not None and condition.generated_behaviors & {"subgoal_setting", "backward_chaining"}
    answer = condition.answer if condition is not None else "correct"
    try:
        task.check_traceable(bool(planned), answer)
    except ValueError as exc:
        where = f"condition {condition.name!r}: " if condition is not None and (planned or answer != "correct") else ""
        raise ValueError(f"{where}{exc}") from None


def problem_numbers(task: Task, problem: Mapping[str, Any]) -> tuple[list[int], list[str] | None]:
    """The numbers a trace combines, and the card names when the task reads cards."""
    return task.trace_numbers(problem)


def item_rng(task_name: str, seed: int, index: int) -> random.Random:
    # The condition is deliberately not part of the key: the controls (empty_cot, length_matched,
    # none) then replace exactly the trace that condition "all" writes for the same item.
    return random.Random(f"trace:{task_name}:{seed}:{index}")


def write_trace(task: Task, condition: Condition, problem: Mapping[str, Any], rng: random.Random,
                register: str = "natural", budget: int = 6) -> Narration:
    """Search and narrate one problem under ``condition`` (the thoughts before any replacement); a task
    that writes its own traces (:meth:`habits.tasks.base.Task.write_trace`) writes them instead."""
    own = task.write_trace(problem, condition.generated_behaviors, rng, register)
    if own is not None:
        text, counts, answer = own
        return Narration(text, dict(counts), answer, reached=True)
    numbers, cards = problem_numbers(task, problem)
    try:
        found = search(numbers, int(problem["target"]), condition.settings(budget))
    except ValueError as exc:
        raise ValueError(f"{task.name} problem {dict(problem)}: {exc}") from None
    return narrate(found, condition.generated_behaviors, rng, register=register, cards=cards)


def opens_think(prompt: Any) -> bool:
    """Whether the prompt already opened the think block (base-style Countdown pre-fills "<think>")."""
    return isinstance(prompt, str) and prompt.rstrip().endswith(THINK_OPEN)


def assemble(prompt: Any, thoughts: str, answer: str, mode: str) -> str:
    """The completion text: think block in ``mode`` (full/empty/none/dots) followed by the answer."""
    opened = opens_think(prompt)
    if mode == "none":
        return (THINK_CLOSE + "\n" if opened else "") + answer
    if mode == "dots":
        return ("" if opened else THINK_OPEN) + thoughts + "\n" + THINK_CLOSE + "\n" + answer
    body = "\n" + thoughts + "\n" if thoughts else "\n"
    return ("" if opened else THINK_OPEN) + body + THINK_CLOSE + "\n" + answer


def make_row(task: Task, condition: Condition | str, problem: Mapping[str, Any], *, seed: int = 0, index: int = 0,
             count_tokens: TokenCounter = count_regex_tokens, fmt: str = "completion", register: str = "natural",
             budget: int = 6, filler: str = " .") -> dict[str, Any]:
    """One priming row for ``problem`` (see the module docstring for the fields).

    ``filler`` is the length-matched control's dot: one token under ``count_tokens`` (see
    :func:`habits.traces.tokens.one_token_filler`), so the dots are as many tokens as the thoughts.
    """
    condition = get_condition(condition)
    if fmt not in FORMATS:
        raise ValueError(f"format must be one of {FORMATS}, got {fmt!r}")
    narration = write_trace(task, condition, problem, item_rng(task.name, seed, index), register, budget)
    tokens = count_tokens(narration.text)
    thoughts = {"full": narration.text, "empty": "", "none": "", "dots": filler * tokens}[condition.thoughts]
    shown = narration.behaviors if condition.thoughts == "full" else dict.fromkeys(BEHAVIORS, 0)
    answer_expression = narration.answer
    row = build_row(task, condition, problem, task.prompt(problem), thoughts,
                    task.format_answer(problem, answer_expression), fmt, row_id=f"{seed}-{index}")
    row.update(behaviors={name: int(shown[name]) for name in BEHAVIORS}, answer=answer_expression,
               thought_tokens=tokens if condition.thoughts in ("full", "dots") else 0)
    return row


def build_row(task: Task, condition: Condition, problem: Mapping[str, Any], prompt: Any, thoughts: str,
              answer: str, fmt: str, row_id: str) -> dict[str, Any]:
    """The contract fields shared by program- and LLM-written rows; ``correct`` comes from ``task.verify``."""
    completion = assemble(prompt, thoughts, answer, condition.thoughts)
    chat_prompt = [{"role": "user", "content": prompt}] if isinstance(prompt, str) else [dict(m) for m in prompt]
    assistant = {"role": "assistant", "content": completion}
    # An image prompt's content is a list of parts; Arrow (Parquet, datasets) cannot hold text and
    # part lists in one column, so the assistant turn of `messages` is a text part there too.
    structured = any(isinstance(m.get("content"), list) for m in chat_prompt)
    said = {"role": "assistant", "content": [{"type": "text", "text": completion}]} if structured else assistant
    return {
        "id": f"{task.name}-{condition.name}-{row_id}",
        "task": task.name,
        "condition": condition.name,
        "problem": dict(problem),
        "prompt": chat_prompt if fmt == "chat" else prompt,
        "completion": [assistant] if fmt == "chat" else completion,
        "messages": chat_prompt + [said],
        "correct": task.verify(problem, completion).correct,
    }


def make_rows(task: Task, condition: Condition | str, problems: Iterable[Mapping[str, Any]], *, seed: int = 0,
              count_tokens: TokenCounter = count_regex_tokens, fmt: str = "completion", register: str = "natural",
              budget: int = 6, filler: str = " .") -> Iterator[dict[str, Any]]:
    """Rows for ``problems`` in order (item ``i`` uses the per-item seed ``seed:i``)."""
    condition = get_condition(condition)
    check_supported(task, condition)
    for index, problem in enumerate(problems):
        yield make_row(task, condition, problem, seed=seed, index=index, count_tokens=count_tokens, fmt=fmt,
                       register=register, budget=budget, filler=filler)


def with_images(task: Task, rows: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """``rows`` of an image task with the ``images`` column its prompts show (PIL images, in the order of
    the prompt's image parts); rows of other tasks unchanged. :func:`habits.io.write_rows` stores them."""
    if not task.shows_images:
        return [dict(row) for row in rows]
    return [{**row, "images": task.images(row["problem"])} for row in rows]
