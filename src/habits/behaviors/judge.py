"""LLM judge: the first paper's classifier -- one question per behavior, answered with a count.

For each completion and each of the four behaviors the judge model is asked how many instances
it contains (definitions, counting rules and examples come from :mod:`habits.behaviors.taxonomy`)
and answers with ``<count>N</count>``. An answer without a readable count is recorded as missing
(``None``), never as 0.

Backends: any OpenAI-compatible endpoint through the ``openai`` client (vLLM / SGLang servers,
hosted APIs: base URL, model name, key from an environment variable; bounded concurrency; retries
with exponential backoff), or a local Hugging Face model directory generating through
:mod:`habits.sample`. Every answer is stored in an on-disk SQLite cache keyed by a hash of
(model, prompt, decoding settings) as soon as it arrives, so an interrupted run resumes without
repeating a single call.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import random
import re
import sqlite3
import threading
import time
from collections.abc import Mapping, Sequence
from concurrent.futures import FIRST_EXCEPTION, ThreadPoolExecutor, wait
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from habits.behaviors.taxonomy import BEHAVIORS, TAXONOMY

DEFAULT_CACHE = "~/.cache/habits/judge.sqlite"
_COUNT = re.compile(r"<count>\s*(\d{1,6})\s*</count>", re.IGNORECASE)


class JudgeError(ValueError):
    """The judge cannot be asked at all (endpoint down, bad key, unknown model); says which endpoint."""


@dataclass
class JudgeConfig:
    """How to ask an LLM judge for behavior counts."""

    backend: str = (
        "endpoint"  # "endpoint" (OpenAI-compatible HTTP API) or "local" (a transformers model directory)
    )
    model: str = "gpt-4o-mini"  # endpoint: the served model's name; local: the model directory
    base_url: str | None = None  # endpoint URL ending in /v1; default $OPENAI_BASE_URL, else api.openai.com
    api_key_env: str = "OPENAI_API_KEY"  # environment variable holding the key ("EMPTY" is sent if unset)
    concurrency: int = 8  # requests in flight at once (endpoint backend)
    max_retries: int = 4  # retries per request on connection errors, timeouts, 429 and 5xx
    backoff_s: float = 1.0  # first retry delay; doubles each retry (with jitter)
    timeout_s: float = 120.0  # per-request timeout
    temperature: float = 0.0  # 0 = deterministic answers (and cache hits that mean something)
    max_tokens: int = 512  # room for a short justification before <count>
    cache: str | None = DEFAULT_CACHE  # SQLite file; None disables caching
    max_chars: int = 16_000  # completions are cut to this many characters before judging
    batch_size: int = 8  # local backend: prompts per generation batch

    def __post_init__(self) -> None:
        if self.backend not in ("endpoint", "local"):
            raise ValueError(f"judge backend must be 'endpoint' or 'local', got {self.backend!r}")
        if self.concurrency < 1:
            raise ValueError(f"judge concurrency must be >= 1, got {self.concurrency}")
        if self.max_retries < 0 or self.backoff_s < 0 or self.timeout_s <= 0:
            raise ValueError("judge max_retries and backoff_s must be >= 0 and timeout_s > 0")
        if self.temperature < 0 or self.max_tokens < 1 or self.max_chars < 100:
            raise ValueError("judge temperature must be >= 0, max_tokens >= 1, max_chars >= 100")
        if self.backend == "local" and not Path(self.model).is_dir():
            raise ValueError(
                f"judge backend 'local' needs --judge-model to be a model directory; {self.model!r} is not one"
            )

    @property
    def endpoint(self) -> str:
        return (self.base_url or os.environ.get("OPENAI_BASE_URL") or "https://api.openai.com/v1").rstrip("/")


# --- prompts -------------------------------------------------------------------------------------
def _task_text(task: str | None, problem: Mapping[str, Any] | None) -> tuple[str, str]:
    """What the task is, and one sentence naming the problem -- both the task's own words."""
    from habits.tasks import task_names

    if not task or task not in task_names():
        return "an arithmetic puzzle", ""
    owner = _task_object(task)
    return owner.description, (" " + owner.describe(problem) if problem else "")


@functools.lru_cache(maxsize=8)
def _task_object(name: str) -> Any:
    from habits.tasks import get_task

    return get_task(name)


def judge_messages(
    behavior: str,
    completion: str,
    problem: Mapping[str, Any] | None = None,
    task: str | None = None,
    max_chars: int = 16_000,
) -> list[dict[str, str]]:
    """The chat messages that ask for the count of one behavior in one completion."""
    spec = TAXONOMY[behavior]
    what, problem_text = _task_text(task, problem)
    text = completion if len(completion) <= max_chars else completion[:max_chars] + "\n[... cut ...]"
    bullets = lambda items: "\n".join(f"- {item}" for item in items)
    user = (
        f"Below is a chain of reasoning that a language model wrote while solving {what}.{problem_text}\n\n"
        f"Count the instances of **{spec.title.lower()}** in it.\n{spec.definition}\n\n"
        f"Count as one instance:\n{bullets(spec.counts_as)}\n\nDo not count:\n{bullets(spec.not_counted)}\n\n"
        f"Snippets that contain it:\n{bullets(spec.positive)}\n\nSnippets that do not:\n{bullets(spec.negative)}\n\n"
        f"<reasoning>\n{text}\n</reasoning>\n\n"
        "Think briefly, then give the number of instances between tags, e.g. <count>2</count>; "
        "write <count>0</count> if there are none."
    )
    return [
        {"role": "system", "content": "You annotate reasoning traces carefully and consistently."},
        {"role": "user", "content": user},
    ]


def parse_count(answer: str | None) -> int | None:
    """The count in the judge's answer (the last ``<count>N</count>``), or None if there is none."""
    if not answer:
        return None
    found = _COUNT.findall(answer)
    return int(found[-1]) if found else None


# --- cache ---------------------------------------------------------------------------------------
class JudgeCache:
    """Answers by request hash in SQLite; written one answer at a time so interruptions lose nothing."""

    def __init__(self, path: str | Path | None) -> None:
        self.path = None if path is None else Path(path).expanduser()
        self._db = None
        if self.path is not None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(self.path, check_same_thread=False)
            self._db.execute(
                "CREATE TABLE IF NOT EXISTS answers (key TEXT PRIMARY KEY, model TEXT, answer TEXT, "
                "created REAL)"
            )
            self._db.commit()
        self._lock = threading.Lock()

    @staticmethod
    def key(model: str, messages: list[dict[str, str]], temperature: float, max_tokens: int) -> str:
        blob = json.dumps(
            {"model": model, "messages": messages, "temperature": temperature, "max_tokens": max_tokens},
            sort_keys=True,
            ensure_ascii=False,
        )
        return hashlib.sha256(blob.encode("utf-8")).hexdigest()

    def get(self, key: str) -> str | None:
        if self._db is None:
            return None
        with self._lock:
            row = self._db.execute("SELECT answer FROM answers WHERE key = ?", (key,)).fetchone()
        return None if row is None else row[0]

    def put(self, key: str, model: str, answer: str) -> None:
        if self._db is None:
            return
        with self._lock:
            self._db.execute(
                "INSERT OR REPLACE INTO answers VALUES (?, ?, ?, ?)", (key, model, answer, time.time())
            )
            self._db.commit()

    def close(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None


# --- the judge -----------------------------------------------------------------------------------
class Judge:
    """Counts behaviors with an LLM. ``requests`` / ``cache_hits`` record what the last runs cost."""

    def __init__(self, config: JudgeConfig | None = None) -> None:
        self.config = config or JudgeConfig()
        self.cache = JudgeCache(self.config.cache)
        self.requests = 0
        self.cache_hits = 0
        self._count_lock = threading.Lock()
        self._client = None
        self._local = None

    def count(
        self,
        completions: Sequence[str],
        problems: Sequence[Mapping[str, Any] | None] | None = None,
        task: str | None = None,
        progress: bool = True,
    ) -> list[dict[str, int | None]]:
        """Counts per completion: a dict over :data:`BEHAVIORS`, ``None`` where the answer had no count."""
        if problems is not None and len(problems) != len(completions):
            raise ValueError(f"judge: {len(problems)} problems for {len(completions)} completions")
        cfg = self.config
        jobs: list[tuple[int, str, str, list[dict[str, str]]]] = []
        answers: dict[tuple[int, str], str | None] = {}
        for index, completion in enumerate(completions):
            problem = problems[index] if problems is not None else None
            for behavior in BEHAVIORS:
                messages = judge_messages(behavior, completion or "", problem, task, cfg.max_chars)
                key = JudgeCache.key(cfg.model, messages, cfg.temperature, cfg.max_tokens)
                cached = self.cache.get(key)
                if cached is not None:
                    answers[index, behavior] = cached
                    self.cache_hits += 1
                else:
                    jobs.append((index, behavior, key, messages))
        if jobs:
            run = self._run_endpoint if cfg.backend == "endpoint" else self._run_local
            for (index, behavior, key, _), answer in run(jobs, progress):
                answers[index, behavior] = answer
        return [{b: parse_count(answers.get((i, b))) for b in BEHAVIORS} for i in range(len(completions))]

    # endpoint -----------------------------------------------------------------------------------
    def _client_for(self):
        if self._client is None:
            openai = _openai()
            self._client = openai.OpenAI(
                base_url=self.config.endpoint,
                api_key=os.environ.get(self.config.api_key_env) or "EMPTY",
                timeout=self.config.timeout_s,
                max_retries=0,
            )
        return self._client

    def _ask(self, messages: list[dict[str, str]]) -> str:
        openai = _openai()
        cfg, client = self.config, self._client_for()
        retryable = (
            openai.APIConnectionError,
            openai.APITimeoutError,
            openai.RateLimitError,
            openai.InternalServerError,
        )
        for attempt in range(cfg.max_retries + 1):
            try:
                with self._count_lock:
                    self.requests += 1
                response = client.chat.completions.create(
                    model=cfg.model, messages=messages, temperature=cfg.temperature, max_tokens=cfg.max_tokens
                )
                choices = getattr(response, "choices", None) or []
                return (choices[0].message.content or "") if choices else ""
            except retryable as exc:
                if attempt == cfg.max_retries:
                    kind = "unreachable" if isinstance(exc, openai.APIConnectionError) else "failing"
                    raise JudgeError(
                        f"judge endpoint {cfg.endpoint} {kind} after {attempt + 1} tries "
                        f"({type(exc).__name__}: {exc}); check --base-url and that the server is up"
                    ) from None
                time.sleep(cfg.backoff_s * 2**attempt * (1 + random.random() / 4))
            except openai.APIStatusError as exc:
                raise JudgeError(
                    f"judge endpoint {cfg.endpoint} refused the request for model {cfg.model!r}: "
                    f"HTTP {exc.status_code} {exc.message}"
                ) from None
        raise AssertionError("unreachable")

    def _run_endpoint(self, jobs, progress: bool):
        from habits.progress import progress_bar

        cfg = self.config
        with (
            ThreadPoolExecutor(max_workers=cfg.concurrency) as pool,
            progress_bar(transient=not progress) as bar,
        ):
            task = bar.add_task(f"judging with {cfg.model}", total=len(jobs))
            futures = {pool.submit(self._ask, job[3]): job for job in jobs}
            pending = set(futures)
            while pending:
                done, pending = wait(pending, return_when=FIRST_EXCEPTION)
                for future in done:
                    if future.exception() is not None:
                        for other in pending:
                            other.cancel()
                        raise future.exception()
                    job = futures[future]
                    answer = future.result()
                    self.cache.put(job[2], cfg.model, answer)  # stored at once: a rerun resumes here
                    bar.advance(task)
                    yield job, answer

    # local model ---------------------------------------------------------------------------------
    def _run_local(self, jobs, progress: bool):
        from habits.sample import SamplingConfig, generate, load_model

        cfg = self.config
        if self._local is None:
            self._local = load_model(cfg.model)
        sampling = SamplingConfig(
            temperature=cfg.temperature,
            max_new_tokens=cfg.max_tokens,
            n=1,
            batch_size=cfg.batch_size,
            progress=progress,
        )
        for start in range(0, len(jobs), cfg.batch_size * 8):
            chunk = jobs[start : start + cfg.batch_size * 8]
            outputs = generate(self._local, [job[3] for job in chunk], sampling)
            for job, samples in zip(chunk, outputs):
                answer = samples[0].text
                self.requests += 1
                self.cache.put(job[2], str(Path(cfg.model).resolve()), answer)
                yield job, answer

    def close(self) -> None:
        self.cache.close()


def judge_counts(
    completions: Sequence[str],
    config: JudgeConfig | None = None,
    problems: Sequence[Mapping[str, Any] | None] | None = None,
    task: str | None = None,
    progress: bool = True,
) -> list[dict[str, int | None]]:
    """Behavior counts for ``completions`` from an LLM judge (see :class:`JudgeConfig`)."""
    judge = Judge(config)
    try:
        return judge.count(completions, problems, task, progress)
    finally:
        judge.close()


def _openai():
    """The openai module, or a JudgeError saying how to install it (it is an optional extra)."""
    try:
        import openai
    except ImportError:
        raise JudgeError("the judge's endpoint backend needs the openai client, an optional extra: "
                         "pip install 'habits[judge]' (or use the local backend)") from None
    return openai
