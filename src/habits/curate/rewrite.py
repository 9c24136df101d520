"""``habits rewrite``: documents rewritten into question / thoughts / answer form by an LLM.

The first paper's two arms: the thoughts either *show* the four behaviors (checks, abandoned
attempts, stated subgoals, working backward) or are plain, direct steps (the control). The LLM is
reached the way the judge reaches it (:class:`habits.behaviors.JudgeConfig`: an OpenAI-compatible
endpoint with bounded concurrency and retries, or a local model directory), and answers go to an
on-disk cache as soon as they arrive -- a ``rewrites`` table in the judge's SQLite file, keyed like
the judge's answers (:meth:`habits.behaviors.judge.JudgeCache.key`); only answers that parse, so an
unreadable one is asked again next time -- so an interrupted run resumes without repeating a call. Each rewritten row keeps every input field, moves the original text to
``original_<field>``, puts the rewrite in ``<field>`` and adds ``question``, ``thoughts``, ``answer``,
``rewrite_style`` and the offline classifier's counts of the thoughts (``rewrite_behaviors``), so
one can check that the arms differ as intended.
"""

from __future__ import annotations

import os
import re
import sqlite3
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from habits.behaviors.taxonomy import BEHAVIORS, TAXONOMY

STYLES = ("behaviors", "plain")
_PART = {name: re.compile(rf"<{name}>\s*(.*?)\s*</{name}>", re.DOTALL | re.IGNORECASE)
         for name in ("question", "thoughts", "answer")}
_SYSTEM = "You rewrite mathematical documents into worked problems, faithfully and concisely."


@dataclass
class RewriteConfig:
    """Rewrite the rows of a JSONL file with an LLM."""

    input: str = ""
    output: str = ""
    style: str = "behaviors"  # behaviors or plain
    text_field: str = "text"
    judge: dict[str, Any] = field(default_factory=dict)  # JudgeConfig fields (endpoint, model, cache, ...)
    max_chars: int = 12_000  # documents are cut to this many characters in the prompt

    def __post_init__(self) -> None:
        if self.style not in STYLES:
            raise ValueError(f"rewrite: --style must be one of {', '.join(STYLES)}, got {self.style!r}")
        if not self.input or not self.output:
            raise ValueError("rewrite: --input and --output are required")
        self.judge_config()

    def judge_config(self) -> Any:
        from habits.behaviors import JudgeConfig

        values = {"max_tokens": 2048, **self.judge}
        return JudgeConfig(**values)


def rewrite_messages(text: str, style: str, max_chars: int = 12_000) -> list[dict[str, str]]:
    """The chat messages asking for one rewrite in ``style``."""
    document = text if len(text) <= max_chars else text[:max_chars] + "\n[... cut ...]"
    if style == "behaviors":
        how = ("In the thoughts, reason the way a careful solver does, and show these habits where they fit:\n"
               + "\n".join(f"- {spec.title.lower()}: {spec.definition}" for spec in TAXONOMY.values())
               + "\nLet at least one attempt fail and be abandoned for another, and check the final result.")
    else:
        how = ("In the thoughts, write the solution as plain, direct steps in order, each following from the "
               "last: do not check or re-compute results, do not try and abandon approaches, do not state plans "
               "or intermediate goals, do not work backward from the answer.")
    user = (f"Rewrite the document below as a worked problem with three parts: a self-contained question, the "
            f"thoughts of someone solving it, and the final answer. Keep the mathematics of the document and "
            f"keep it correct.\n{how}\n\nReply with exactly:\n<question>...</question>\n<thoughts>...</thoughts>\n"
            f"<answer>...</answer>\n\n<document>\n{document}\n</document>")
    return [{"role": "system", "content": _SYSTEM}, {"role": "user", "content": user}]


def parse_rewrite(answer: str | None) -> dict[str, str] | None:
    """``{"question", "thoughts", "answer"}`` from an LLM's reply, or None when a part is missing or empty."""
    if not answer:
        return None
    parts = {}
    for name, pattern in _PART.items():
        found = pattern.findall(answer)
        if not found or not found[-1].strip():
            return None
        parts[name] = found[-1].strip()
    return parts


def format_document(parts: dict[str, str]) -> str:
    """The rewrite as one pretraining document."""
    return f"Question: {parts['question']}\n<think>\n{parts['thoughts']}\n</think>\n<answer>{parts['answer']}</answer>"


def main(config: RewriteConfig) -> dict[str, Any]:
    """Rewrite every row of ``config.input``; returns counts (rows, written, unreadable, requests, cache hits)."""
    from habits.behaviors import count_behaviors
    from habits.behaviors.judge import JudgeCache
    from habits.io import InputError, read_jsonl, write_jsonl

    judge = config.judge_config()
    rows = [row for _, row in read_jsonl(config.input, required=(config.text_field,))]
    if not rows:
        raise InputError(f"{config.input}: no rows")
    model = judge.model if judge.backend == "endpoint" else str(Path(judge.model).resolve())
    requests = [rewrite_messages(str(row[config.text_field]), config.style, config.max_chars) for row in rows]
    source = judge.endpoint if judge.backend == "endpoint" else "local"
    keys = [JudgeCache.key(model, messages, judge.temperature, judge.max_tokens, source) for messages in requests]
    cache = RewriteCache(judge.cache)
    try:
        answers: dict[int, str | None] = {i: cache.get(key) for i, key in enumerate(keys)}
        hits = sum(1 for answer in answers.values() if parse_rewrite(answer) is not None)
        todo = [i for i, answer in answers.items() if parse_rewrite(answer) is None]

        def store(position: int, answer: str) -> None:  # as soon as it arrives: a killed run loses nothing
            index = todo[position]
            answers[index] = answer
            if parse_rewrite(answer) is not None:
                cache.put(keys[index], model, answer)

        _ask_all(judge, [requests[i] for i in todo], store)
    finally:
        cache.close()
    out, unreadable = [], 0
    for index, row in enumerate(rows):
        parts = parse_rewrite(answers.get(index))
        if parts is None:
            unreadable += 1
            continue
        new = dict(row)
        new[f"original_{config.text_field}"] = row[config.text_field]
        new[config.text_field] = format_document(parts)
        new.update(parts, rewrite_style=config.style, rewrite_behaviors=count_behaviors(parts["thoughts"]))
        out.append(new)
    write_jsonl(config.output, out)
    shown = {name: sum(1 for row in out if row["rewrite_behaviors"][name]) / len(out) if out else 0.0
             for name in BEHAVIORS}
    return {"rows": len(rows), "written": len(out), "unreadable": unreadable, "requests": len(todo),
            "cache_hits": hits, "share_showing": shown}


class RewriteCache:
    """Rewrites by request key in SQLite (the judge's file, its own table), one committed write per answer."""

    def __init__(self, path: str | Path | None) -> None:
        self._db = None
        self._lock = threading.Lock()
        if path is not None:
            path = Path(path).expanduser()
            path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(path, check_same_thread=False)
            self._db.execute("CREATE TABLE IF NOT EXISTS rewrites (key TEXT PRIMARY KEY, model TEXT, answer TEXT, "
                             "created REAL)")
            self._db.commit()

    def get(self, key: str) -> str | None:
        if self._db is None:
            return None
        with self._lock:
            row = self._db.execute("SELECT answer FROM rewrites WHERE key = ?", (key,)).fetchone()
        return None if row is None else row[0]

    def put(self, key: str, model: str, answer: str) -> None:
        if self._db is None:
            return
        with self._lock:
            self._db.execute("INSERT OR REPLACE INTO rewrites VALUES (?, ?, ?, ?)", (key, model, answer, time.time()))
            self._db.commit()

    def close(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None


def _ask_all(judge: Any, requests: list[list[dict[str, str]]], store: Any) -> None:
    """Ask every request, ``judge.concurrency`` at a time, and ``store(position, answer)`` each answer."""
    if not requests:
        return
    if judge.backend == "local":
        from habits.sample import SamplingConfig, generate, load_model

        sampling = SamplingConfig(temperature=judge.temperature, max_new_tokens=judge.max_tokens, n=1,
                                  batch_size=judge.batch_size)
        for position, samples in enumerate(generate(load_model(judge.model), requests, sampling)):
            store(position, samples[0].text)
        return
    from habits.behaviors import JudgeError

    try:
        import openai
    except ImportError:
        raise JudgeError("habits rewrite through an endpoint needs the openai client, an optional extra: "
                         "pip install 'habits[judge]' (or --judge-backend local)") from None

    client = openai.OpenAI(base_url=judge.endpoint, api_key=os.environ.get(judge.api_key_env) or "EMPTY",
                           timeout=judge.timeout_s, max_retries=judge.max_retries)

    def ask(position: int) -> None:
        messages = requests[position]
        try:
            response = client.chat.completions.create(model=judge.model, messages=messages,
                                                      temperature=judge.temperature, max_tokens=judge.max_tokens)
        except openai.APIStatusError as exc:
            raise JudgeError(f"rewrite endpoint {judge.endpoint} refused the request for model {judge.model!r}: "
                             f"HTTP {exc.status_code}") from None
        except openai.APIError as exc:
            raise JudgeError(f"rewrite endpoint {judge.endpoint} unreachable or failing after "
                             f"{judge.max_retries + 1} tries ({type(exc).__name__}); check --base-url") from None
        choices = getattr(response, "choices", None) or []
        store(position, (choices[0].message.content or "") if choices else "")

    with ThreadPoolExecutor(max_workers=judge.concurrency) as pool:
        for _ in pool.map(ask, range(len(requests))):  # re-raises the first error
            pass
