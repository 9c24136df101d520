"""Batched sampling from a Hugging Face model directory: the one generation path for diagnosis,
evaluation, the local LLM judge and the pipeline.

``generate(model, prompts, SamplingConfig(...))`` returns, for each prompt, ``n`` completions
(text without the prompt, token count, finish reason). Prompts are strings (base-model style,
tokenised as they are) or chat messages (rendered with the tokenizer's chat template and
``add_generation_prompt=True``). Generation stops at EOS, at the chat end token (``<|im_end|>``,
``<|eot_id|>``, ...) or at one of ``stop`` (kept in the text). Temperature 0 is greedy decoding.

Backends: vLLM when installed and a GPU is present (``backend="auto"``), otherwise transformers
with left padding and prompts sorted by length so that batches waste little padding.
``model`` may be a directory, or a :class:`LoadedModel` wrapping an in-memory model and tokenizer
(what a trainer holds), so nothing is reloaded between calls.
"""

from __future__ import annotations

import copy
import importlib.util
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

Prompt = str | Sequence[Mapping[str, str]]
END_TOKENS = ("<|im_end|>", "<|eot_id|>", "<|end_of_text|>", "<|endoftext|>", "<end_of_turn>", "</s>")


@dataclass
class SamplingConfig:
    """How to sample completions."""

    temperature: float = 1.0  # 0 = greedy
    top_p: float = 1.0  # nucleus sampling mass (1 = off)
    max_new_tokens: int = 1024  # per completion
    n: int = 1  # completions per prompt
    seed: int = 0  # same seed, same model, same prompts -> same completions (per backend and device)
    batch_size: int = 16  # prompts per batch (transformers); each yields n sequences
    backend: str = "auto"  # auto (vllm if installed and on GPU, else transformers) | transformers | vllm
    device: str = "auto"  # auto (cuda, then mps, then cpu) | cpu | cuda | cuda:1 | mps
    dtype: str = (
        "auto"  # auto (bfloat16 on GPUs that support it, else float32) | float32 | bfloat16 | float16
    )
    stop: tuple[str, ...] = ()  # extra stop strings, kept at the end of the completion
    progress: bool = True  # progress bar over batches
    vllm_args: dict[str, Any] = field(default_factory=dict)  # extra vllm.LLM engine arguments, e.g.
    # {tensor_parallel_size: 2, gpu_memory_utilization: 0.5, max_model_len: 4096}

    def __post_init__(self) -> None:
        if self.temperature < 0:
            raise ValueError(f"temperature must be >= 0 (0 = greedy), got {self.temperature}")
        if not 0 < self.top_p <= 1:
            raise ValueError(f"top_p must be in (0, 1], got {self.top_p}")
        if self.max_new_tokens < 1 or self.n < 1 or self.batch_size < 1:
            raise ValueError("max_new_tokens, n and batch_size must all be >= 1")
        if self.backend not in ("auto", "transformers", "vllm"):
            raise ValueError(f"backend must be auto, transformers or vllm, got {self.backend!r}")
        if not re.fullmatch(r"auto|cpu|mps|cuda(:\d+)?", str(self.device)):
            raise ValueError(f"device must be auto, cpu, cuda, cuda:N or mps, got {self.device!r}")
        if self.dtype not in ("auto", "float32", "bfloat16", "float16"):
            raise ValueError(f"dtype must be auto, float32, bfloat16 or float16, got {self.dtype!r}")
        if isinstance(self.stop, str):
            self.stop = (self.stop,)
        self.stop = tuple(self.stop)
        if not isinstance(self.vllm_args, dict):
            raise ValueError(f"vllm_args must be a mapping of vllm.LLM arguments, got {type(self.vllm_args).__name__}")

    @property
    def greedy(self) -> bool:
        return self.temperature == 0


@dataclass(frozen=True)
class Completion:
    """One sampled continuation."""

    text: str  # without the prompt, without special tokens
    num_tokens: int  # generated tokens, the end token included
    finish_reason: str  # "stop" (end token or stop string) or "length" (max_new_tokens reached)


@dataclass
class LoadedModel:
    """A model ready to sample from: transformers ``model`` + ``tokenizer``, or a vLLM engine."""

    model: Any
    tokenizer: Any
    backend: str = "transformers"
    path: str | None = None


def vllm_available() -> bool:
    return importlib.util.find_spec("vllm") is not None


def resolve_device(device: str = "auto") -> str:
    import torch

    if device.startswith("cuda") and not torch.cuda.is_available():
        raise ValueError(f"device {device!r}: torch sees no CUDA GPU on this machine; use --device auto or cpu")
    if device == "mps" and not (getattr(torch.backends, "mps", None) and torch.backends.mps.is_available()):
        raise ValueError("device 'mps': this machine has no Apple GPU; use --device auto or cpu")
    if device != "auto":
        return device
    if torch.cuda.is_available():
        return "cuda"
    if getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
        return "mps"
    return "cpu"


def _torch_dtype(dtype: str, device: str):
    import torch

    if dtype == "auto":
        if device.startswith("cuda") and torch.cuda.is_bf16_supported():
            return torch.bfloat16
        return torch.float32
    return getattr(torch, dtype)


def load_model(path: str | Path, config: SamplingConfig | None = None) -> LoadedModel:
    """Load a model directory for sampling with the backend ``config`` asks for (or the best available)."""
    from habits.preflight import model_dir_problem

    config = config or SamplingConfig()
    path = Path(path)
    problem = model_dir_problem(path)  # a few bytes read now instead of a traceback from transformers later
    if problem:
        raise ValueError(f"{path}: not a loadable Hugging Face model directory: it {problem}; pass a directory "
                         "made by save_pretrained, e.g. one built with habits.models.tiny")
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(path)
    device = resolve_device(config.device)
    backend = config.backend
    if backend == "auto":
        backend = "vllm" if vllm_available() and device.startswith("cuda") else "transformers"
    if backend == "vllm":
        if not vllm_available():
            raise ValueError(
                "backend 'vllm' requested but vllm is not installed: pip install -e '.[vllm]' on a GPU "
                "machine (CPU runs use backend transformers)"
            )
        from vllm import LLM

        return LoadedModel(LLM(**vllm_engine_args(path, config)), tokenizer, "vllm", str(path))
    from transformers import AutoModelForCausalLM

    model = AutoModelForCausalLM.from_pretrained(path, dtype=_torch_dtype(config.dtype, device))
    model.to(device).eval()
    return LoadedModel(model, tokenizer, "transformers", str(path))


def render(tokenizer: Any, prompt: Prompt) -> list[int]:
    """Token ids of one prompt: chat messages through the chat template, strings as they are."""
    if isinstance(prompt, str):
        return tokenizer(prompt, add_special_tokens=True)["input_ids"]
    if not isinstance(prompt, Sequence) or not all(isinstance(m, Mapping) for m in prompt):
        raise ValueError(f"a prompt must be a string or a list of chat messages, got {type(prompt).__name__}")
    if not getattr(tokenizer, "chat_template", None):
        raise ValueError(
            "chat-message prompts need a tokenizer with a chat template; this one has none "
            "(use base-style string prompts, e.g. --set prompt_style=base)"
        )
    text = tokenizer.apply_chat_template(list(prompt), tokenize=False, add_generation_prompt=True)
    return tokenizer(text, add_special_tokens=False)["input_ids"]  # the template already has BOS if any


def end_token_ids(tokenizer: Any, model: Any = None) -> list[int]:
    """Every id that ends a completion: EOS, the generation config's EOS ids and known chat end tokens."""
    ids: set[int] = set()
    if tokenizer.eos_token_id is not None:
        ids.add(int(tokenizer.eos_token_id))
    configured = getattr(getattr(model, "generation_config", None), "eos_token_id", None)
    if configured is not None:
        ids.update(int(i) for i in (configured if isinstance(configured, (list, tuple)) else [configured]))
    vocab = tokenizer.get_vocab()
    ids.update(vocab[token] for token in END_TOKENS if token in vocab)
    return sorted(ids)


def finish(
    tokenizer: Any,
    token_ids: Sequence[int],
    end_ids: Sequence[int],
    stop: Sequence[str] = (),
    pad_id: int | None = None,
) -> Completion:
    """Cut generated ids at the first end token and the text at the first stop string."""
    ids = list(token_ids)
    reason = "length"
    ends = set(end_ids)
    for position, token in enumerate(ids):
        if token in ends:
            ids, reason = ids[: position + 1], "stop"
            break
    if reason == "length" and pad_id is not None:
        ids = [token for token in ids if token != pad_id]
    text = tokenizer.decode([token for token in ids if token not in ends], skip_special_tokens=True)
    for marker in stop:
        cut = text.find(marker)
        if cut != -1:
            text, reason = text[: cut + len(marker)], "stop"
    return Completion(text, len(ids), reason)


def generate(
    model: str | Path | LoadedModel, prompts: Sequence[Prompt], config: SamplingConfig | None = None
) -> list[list[Completion]]:
    """``config.n`` completions for each prompt, in prompt order."""
    config = config or SamplingConfig()
    loaded = model if isinstance(model, LoadedModel) else load_model(model, config)
    if not prompts:
        return []
    encoded = [render(loaded.tokenizer, prompt) for prompt in prompts]
    if loaded.backend == "vllm":
        return _generate_vllm(loaded, encoded, config)
    return _generate_transformers(loaded, encoded, config)


def sample(
    model: str | Path | LoadedModel, prompts: Sequence[Prompt], config: SamplingConfig | None = None
) -> list[list[str]]:
    """Like :func:`generate`, texts only."""
    return [[c.text for c in group] for group in generate(model, prompts, config)]


def _generate_transformers(
    loaded: LoadedModel, encoded: list[list[int]], config: SamplingConfig
) -> list[list[Completion]]:
    import torch
    from transformers import GenerationConfig

    from habits.progress import progress_bar

    model, tokenizer = loaded.model, loaded.tokenizer
    device = next(model.parameters()).device
    end_ids = end_token_ids(tokenizer, model)
    pad_id = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else end_ids[0]
    copies = 1 if config.greedy else config.n  # greedy samples are identical: compute once
    settings = {
        "max_new_tokens": config.max_new_tokens,
        "num_return_sequences": copies,
        "eos_token_id": end_ids,
        "pad_token_id": pad_id,
        "do_sample": not config.greedy,
    }
    if config.greedy:
        settings.update(temperature=None, top_p=None, top_k=None)
    else:
        settings.update(temperature=config.temperature, top_p=config.top_p, top_k=0)
    generation = GenerationConfig(**settings)
    torch.manual_seed(config.seed)
    order = sorted(range(len(encoded)), key=lambda i: -len(encoded[i]))  # similar lengths share a batch
    results: list[list[Completion] | None] = [None] * len(encoded)
    batches = [order[i : i + config.batch_size] for i in range(0, len(order), config.batch_size)]
    with progress_bar(transient=not config.progress) as bar, torch.inference_mode():
        task = bar.add_task(
            f"sampling {len(encoded)}x{config.n}", total=len(batches), visible=config.progress
        )
        for batch in batches:
            width = max(len(encoded[i]) for i in batch)
            input_ids = torch.full((len(batch), width), pad_id, dtype=torch.long)
            attention = torch.zeros((len(batch), width), dtype=torch.long)
            for row, index in enumerate(batch):  # left padding: every prompt ends where generation starts
                ids = encoded[index]
                input_ids[row, width - len(ids) :] = torch.tensor(ids, dtype=torch.long)
                attention[row, width - len(ids) :] = 1
            batch_generation = generation
            budget = _budget(model, width, config.max_new_tokens)
            if budget != config.max_new_tokens:  # a longer run would leave the model's context
                batch_generation = copy.copy(generation)
                batch_generation.max_new_tokens = budget
            output = model.generate(
                input_ids=input_ids.to(device),
                attention_mask=attention.to(device),
                generation_config=batch_generation,
            )
            new = output[:, width:].tolist()
            for row, index in enumerate(batch):
                group = [
                    finish(tokenizer, new[row * copies + k], end_ids, config.stop, pad_id)
                    for k in range(copies)
                ]
                results[index] = group * config.n if config.greedy else group
            bar.advance(task)
    return [group or [] for group in results]


def _budget(model: Any, prompt_tokens: int, wanted: int) -> int:
    """New tokens that fit in the model's context after the prompt (at least 1)."""
    limit = getattr(getattr(model, "config", None), "max_position_embeddings", None)
    if isinstance(limit, int) and limit > 0 and prompt_tokens + wanted > limit:
        return max(1, limit - prompt_tokens)
    return wanted


def vllm_engine_args(path: str | Path, config: SamplingConfig, images_per_prompt: int = 0) -> dict[str, Any]:
    """Keyword arguments of ``vllm.LLM`` for a model directory (``config.vllm_args`` override them).

    ``images_per_prompt`` > 0 (a vision-language model): vLLM's ``limit_mm_per_prompt``, the most images
    one prompt may carry (vLLM sizes its multimodal memory by it).
    """
    images = {"limit_mm_per_prompt": {"image": images_per_prompt}} if images_per_prompt > 0 else {}
    return {"model": str(path), "seed": config.seed, "dtype": config.dtype, **images, **config.vllm_args}


def vllm_sampling_args(config: SamplingConfig, end_ids: Sequence[int]) -> dict[str, Any]:
    """Keyword arguments of ``vllm.SamplingParams`` that match the transformers path.

    Greedy asks for one sequence (copies are made afterwards, as the transformers path does); stop
    strings stay in the text; every chat end token stops a completion.
    """
    return {
        "n": 1 if config.greedy else config.n,
        "temperature": 0.0 if config.greedy else config.temperature,
        "top_p": 1.0 if config.greedy else config.top_p,
        "max_tokens": config.max_new_tokens,
        "seed": config.seed,
        "stop": list(config.stop) or None,
        "include_stop_str_in_output": True,
        "stop_token_ids": list(end_ids),
        "skip_special_tokens": True,
    }


def _generate_vllm(
    loaded: LoadedModel, encoded: list[list[int]], config: SamplingConfig
) -> list[list[Completion]]:
    return vllm_completions(loaded.model, [{"prompt_token_ids": ids} for ids in encoded], config,
                            end_token_ids(loaded.tokenizer))


def vllm_completions(engine: Any, requests: list[dict[str, Any]], config: SamplingConfig,
                     end_ids: Sequence[int]) -> list[list[Completion]]:
    """``engine.generate`` (a ``vllm.LLM``) on ``requests`` (vLLM prompt dicts), as completions in order."""
    from vllm import SamplingParams

    params = SamplingParams(**vllm_sampling_args(config, end_ids))
    outputs = engine.generate(requests, params, use_tqdm=config.progress)
    groups = [
        [
            Completion(o.text, len(o.token_ids), "stop" if o.finish_reason == "stop" else "length")
            for o in out.outputs
        ]
        for out in outputs
    ]
    return [group * config.n if config.greedy else group for group in groups]
