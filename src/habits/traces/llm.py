"""Optional LLM-written priming traces: the first paper's method, through any OpenAI-compatible endpoint.

The paper asked a strong LLM for reasoning under system prompts that allow or forbid behaviors.
Here the same priming conditions become system prompts; the replies are parsed into think block and
answer, re-assembled exactly like program-written rows (so SFT sees one format), checked by the
task's own verifier, and annotated afterwards by a behavior classifier passed in (by default the
offline lexical classifier, :func:`habits.behaviors.lexical.count_behaviors`). Unlike program
traces, the annotations are a classifier's estimate, not exact.

Policies: ``answer="wrong"`` keeps only replies the verifier rejects (up to ``attempts`` tries per
problem, as the paper selected wrong-answer traces); other conditions keep every reply, correct or
not, as the paper did. Replaced-thought conditions (empty, none, dots) ask for the source
behaviors, then replace the thoughts.

Image tasks (``modality=image``) send the user turn as OpenAI-compatible content parts: the prompt's
text parts as ``text`` and each ``{"type": "image"}`` part as an ``image_url`` part holding the
task's image as a PNG data URL, in the prompt's order; the endpoint must serve a vision model. The
rows carry their images like program-written ones.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from habits.tasks.base import Task
from habits.traces.conditions import Condition, get_condition
from habits.traces.narrate import BEHAVIORS
from habits.traces.rows import FORMATS, THINK_CLOSE, THINK_OPEN, assemble, build_row, check_supported, with_images
from habits.traces.tokens import TokenCounter, count_regex_tokens

Classifier = Callable[[str], Mapping[str, int]]

_DESCRIBE = {
    "verification": "verification: check intermediate and final results against the target and say so "
                    "(e.g. 'check: (25 - 7) + 6 = 24, which matches')",
    "backtracking": "backtracking: when an approach fails, say so explicitly and switch to a different one",
    "subgoal_setting": "subgoal setting: state intermediate targets before reaching them "
                       "(e.g. 'first make 12 from 3 and 4, then double it')",
    "backward_chaining": "backward chaining: reason from the target back toward the numbers "
                         "(e.g. '24 = 6 * 4, so the rest must give 6')",
}


@dataclass
class LLMConfig:
    """Where and how to ask an OpenAI-compatible endpoint for traces."""

    base_url: str  # e.g. http://localhost:8000/v1 (vLLM, llama.cpp server, OpenAI, ...)
    model: str  # model name the endpoint serves
    api_key_env: str = "OPENAI_API_KEY"  # environment variable holding the key (local servers accept any)
    temperature: float = 0.7
    max_tokens: int = 1024
    timeout_s: float = 120.0
    attempts: int = 3  # tries per problem when a reply does not fit the answer policy

    def __post_init__(self) -> None:
        if not self.base_url.startswith(("http://", "https://")):
            raise ValueError(f"base_url must start with http:// or https://, got {self.base_url!r}")
        if not self.model:
            raise ValueError("model must name the model the endpoint serves")
        if self.attempts < 1 or self.max_tokens < 1 or self.timeout_s <= 0:
            raise ValueError("attempts and max_tokens must be >= 1 and timeout_s > 0")


def system_prompt(condition: Condition, task: Task | None = None) -> str:
    """The condition as instructions: which behaviors to show, which never to show (``task``: what is solved,
    in the task's own words; arithmetic puzzles when not given)."""
    wanted = condition.generated_behaviors
    what = task.description if task is not None else "arithmetic puzzles"
    lines = [(f"You solve {what}. Think step by step inside <think> </think>, then give the final "
              "answer exactly in the format the user asks for. Every calculation you write must be exactly "
              "right and written like '25 - 7 = 18'.")]
    if wanted:
        lines.append("In your thinking, show these behaviors:")
        lines += [f"- {_DESCRIBE[name]}" for name in BEHAVIORS if name in wanted]
    avoided = [name for name in BEHAVIORS if name not in wanted]
    if avoided:
        lines.append("Never show these behaviors:")
        lines += [f"- {_DESCRIBE[name]}" for name in avoided]
    return "\n".join(lines)


def default_classifier() -> Classifier:
    """The offline lexical classifier, imported only when needed."""
    from habits.behaviors.lexical import count_behaviors

    return count_behaviors


def split_reply(reply: str) -> tuple[str, str]:
    """``(thoughts, answer part)`` of a reply: the think block's content, and what follows it."""
    end = reply.rfind(THINK_CLOSE)
    if end == -1:
        return "", reply.strip()
    start = reply.rfind(THINK_OPEN, 0, end)
    thoughts = reply[start + len(THINK_OPEN) if start != -1 else 0:end]
    return thoughts.strip(), reply[end + len(THINK_CLOSE):].strip()


def user_content(task: Task, problem: Mapping[str, Any], prompt: Any) -> str | list[dict[str, Any]]:
    """The user turn sent to the endpoint: the prompt's text, or -- when it shows images -- content parts
    with each image as an ``image_url`` data URL where the prompt places it."""
    if isinstance(prompt, str):
        return prompt
    messages = [m for m in prompt if m.get("role") != "system"]
    if not any(isinstance(m.get("content"), list) for m in messages):
        return "\n\n".join(str(m["content"]) for m in messages)
    from habits.row_images import data_url

    images = list(task.images(problem))
    parts: list[dict[str, Any]] = []
    for message in messages:
        content = message["content"]
        if isinstance(content, str):
            parts.append({"type": "text", "text": content})
            continue
        for part in content:
            if part.get("type") == "text":
                parts.append({"type": "text", "text": part["text"]})
            elif part.get("type") == "image":
                if not images:
                    raise ValueError(f"{task.name}: the prompt shows more images than task.images gives")
                parts.append({"type": "image_url", "image_url": {"url": data_url(images.pop(0))}})
    return parts


def _counts(classifier: Classifier, text: str) -> dict[str, int]:
    counts = classifier(text)
    return {name: int(counts.get(name) or 0) for name in BEHAVIORS}


def make_client(config: LLMConfig) -> Any:
    """An ``openai.OpenAI`` client for the endpoint; the key comes from ``config.api_key_env``."""
    try:
        from openai import OpenAI
    except ImportError:
        raise ValueError("LLM-written traces need the openai client, an optional extra: "
                         "pip install 'habits[judge]'") from None
    key = os.environ.get(config.api_key_env)
    if not key:
        raise ValueError(f"environment variable {config.api_key_env} is not set; export the API key there "
                         "(any non-empty value for a local server) or choose another with --api-key-env")
    return OpenAI(base_url=config.base_url, api_key=key, timeout=config.timeout_s, max_retries=1)


def llm_rows(task: Task, condition: Condition | str, problems: Iterable[Mapping[str, Any]], config: LLMConfig, *,
             classifier: Classifier | None = None, seed: int = 0, fmt: str = "completion",
             count_tokens: TokenCounter = count_regex_tokens, client: Any = None,
             skipped: list[int] | None = None) -> Iterator[dict[str, Any]]:
    """Rows like :func:`habits.traces.rows.make_row`, written by the endpoint (``source: "llm"``).

    Problems with no reply fitting the answer policy after ``config.attempts`` tries are skipped
    (their indices are appended to ``skipped`` when given).
    """
    condition = get_condition(condition)
    check_supported(task, condition)
    if fmt not in FORMATS:
        raise ValueError(f"format must be one of {FORMATS}, got {fmt!r}")
    classify = classifier or default_classifier()
    client = client or make_client(config)
    system = system_prompt(condition, task)
    for index, problem in enumerate(problems):
        prompt = task.prompt(problem)
        found = None
        for attempt in range(config.attempts):
            response = client.chat.completions.create(
                model=config.model, temperature=config.temperature, max_tokens=config.max_tokens,
                seed=seed * 100_003 + index * 101 + attempt,
                messages=[{"role": "system", "content": system},
                          {"role": "user", "content": user_content(task, problem, prompt)}])
            thoughts, answer = split_reply(response.choices[0].message.content or "")
            full = assemble(prompt, thoughts, answer, "full")
            if condition.answer == "correct" or not task.verify(problem, full).correct:
                found = thoughts, answer
                break
        if found is None:
            if skipped is not None:
                skipped.append(index)
            continue
        yield _row(task, condition, problem, prompt, *found, classify, count_tokens, fmt, seed, index, config)


def _row(task: Task, condition: Condition, problem: Mapping[str, Any], prompt: Any, thoughts: str, answer: str,
         classify: Classifier, count_tokens: TokenCounter, fmt: str, seed: int, index: int,
         config: LLMConfig) -> dict[str, Any]:
    tokens = count_tokens(thoughts)
    written = {"full": thoughts, "empty": "", "none": "", "dots": " ." * tokens}[condition.thoughts]
    row = build_row(task, condition, problem, prompt, written, answer, fmt, row_id=f"llm-{seed}-{index}")
    row.update(behaviors=_counts(classify, thoughts or answer) if condition.thoughts == "full"
               else dict.fromkeys(BEHAVIORS, 0),
               thought_tokens=tokens if condition.thoughts in ("full", "dots") else 0, source="llm", model=config.model)
    return row


def main_llm(config: Any, llm: LLMConfig, classifier: Classifier | None = None, client: Any = None) -> dict[str, Any]:
    """Like :func:`habits.traces.data.main`, with the endpoint writing the traces."""
    from habits.io import write_rows
    from habits.progress import track
    from habits.tasks import get_task
    from habits.traces.data import summarize
    from habits.traces.tokens import token_counter

    task = get_task(config.task, **config.task_config)
    condition = get_condition(config.condition)
    check_supported(task, condition)
    count_tokens = token_counter(config.tokenizer)
    classify = classifier or default_classifier()
    client = client or make_client(llm)
    problems = track(task.iter_generate(config.n, split=config.split, seed=config.seed),
                     f"asking {llm.model}: {task.name}/{condition.name}", total=config.n)
    skipped: list[int] = []
    rows = list(llm_rows(task, condition, problems, llm, classifier=classify, seed=config.seed, fmt=config.format,
                         count_tokens=count_tokens, client=client, skipped=skipped))
    if config.out is not None:  # image tasks: PNG bytes inside Parquet, PNG files beside JSONL
        write_rows(config.out, with_images(task, rows))
    return {**summarize(rows), "task": task.name, "condition": condition.name, "skipped": len(skipped),
            "out": None if config.out is None else str(config.out)}
