"""Vision-language models: the check that a model can see images, and sampling through a processor.

A task whose prompts show images (``Task.shows_images``: visual GeneralPoints) needs a model with a
vision tower; a text-only model would otherwise fail deep inside generation or training with a
shape error. :func:`check_vision` (a task) and :func:`check_vision_rows` (SFT rows with images) read
only the model's ``config.json`` and run before loading.

Prompts with images are TRL's multimodal messages: ``{"type": "image", "image": <PIL image>}``
parts (:func:`attach_images` fills a task's placeholders with ``task.images(problem)``).
:func:`load_vlm` and :func:`generate_images` sample from any ``AutoModelForImageTextToText``
through its ``AutoProcessor`` (LLaVA, Qwen2.5-VL, Llama-3.2-Vision, ...), with the same return
type as :func:`habits.sample.generate`; with ``backend: vllm`` (or ``auto`` on a GPU with vLLM
installed) a ``vllm.LLM`` samples instead, given each prompt as its chat-template text plus the
images as ``multi_modal_data`` (:func:`vllm_requests`), and ``limit_mm_per_prompt`` set to one image
(verify-and-revise keeps the image once, in the first user turn; ``vllm_args`` override it).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any


def model_sees_images(model: str) -> bool | None:
    """True/False for a local model directory (a vision tower in its config), None when it cannot be told
    (a hub id that is not on disk)."""
    config_path = Path(model).expanduser() / "config.json"
    if not config_path.is_file():
        return None
    try:
        config = json.loads(config_path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValueError(f"{config_path}: cannot be read as JSON ({exc}); re-save the model") from None
    return isinstance(config, dict) and any(key in config for key in ("vision_config", "vision_tower",
                                                                       "visual", "image_token_index",
                                                                       "image_token_id"))


def check_vision(model: str, task: Any) -> None:
    """Raise ValueError naming the model's config when ``task`` shows images and ``model`` cannot see them."""
    if not getattr(task, "shows_images", False) or model_sees_images(model) is not False:
        return
    raise ValueError(f"{Path(model) / 'config.json'}: this model has no vision tower, but task {task.name} shows "
                     "images (modality=image); use a vision-language model (e.g. Qwen/Qwen2.5-VL-3B-Instruct or "
                     "meta-llama/Llama-3.2-11B-Vision-Instruct) or set task_args.modality=text")


def check_vision_rows(model: str, data: str) -> None:
    """Raise ValueError naming the model's config when the rows of ``data`` show images (an ``images``
    column) and ``model`` cannot see them -- SFT's counterpart of :func:`check_vision`."""
    if model_sees_images(model) is not False:
        return
    raise ValueError(f"{Path(model) / 'config.json'}: this model has no vision tower, but the rows of {data} show "
                     "images (an `images` column); train a vision-language model (e.g. Qwen/Qwen2.5-VL-3B-Instruct "
                     "or meta-llama/Llama-3.2-11B-Vision-Instruct) or write text rows (habits prime-data without "
                     "modality=image)")


# -- prompts that carry their images ------------------------------------------------------------
def attach_images(prompt: Any, images: list[Any]) -> Any:
    """``prompt`` with its ``{"type": "image"}`` parts holding ``images`` in order (TRL's multimodal
    message format), so that revisions of the prompt keep its images in context."""
    if not images or isinstance(prompt, str):
        return prompt
    queue = list(images)
    out = []
    for message in prompt:
        content = message.get("content")
        if isinstance(content, list):
            content = [{**part, "image": queue.pop(0)} if part.get("type") == "image" and "image" not in part
                       and queue else dict(part) for part in content]
        out.append({**message, "content": content})
    return out


def prompt_images(prompt: Any) -> list[Any]:
    """The images of a prompt in order (see :func:`attach_images`)."""
    if isinstance(prompt, str):
        return []
    return [part["image"] for message in prompt if isinstance(message.get("content"), list)
            for part in message["content"] if part.get("type") == "image" and part.get("image") is not None]


def _without_images(prompt: Any) -> list[dict[str, Any]]:
    return [{**m, "content": [{k: v for k, v in part.items() if k != "image"} for part in m["content"]]}
            if isinstance(m.get("content"), list) else dict(m) for m in prompt]


# -- loading and sampling -------------------------------------------------------------------------
@dataclass
class LoadedVLM:
    """A vision-language model ready to sample from: transformers model + processor."""

    model: Any
    processor: Any
    backend: str = "transformers"
    path: str | None = None

    @property
    def tokenizer(self) -> Any:
        return self.processor.tokenizer


IMAGES_PER_PROMPT = 1  # what the image tasks show (revisions keep the first turn's image once)


def load_vlm(path: str | Path, device: str = "auto", config: Any = None) -> LoadedVLM:
    """Load a vision-language model directory (``AutoModelForImageTextToText`` + ``AutoProcessor``), or a
    ``vllm.LLM`` when ``config`` (a :class:`habits.sample.SamplingConfig`) asks for the vllm backend."""
    if model_sees_images(str(path)) is False:
        raise ValueError(f"{Path(path) / 'config.json'}: this model has no vision tower; image tasks need a "
                         "vision-language model")
    from transformers import AutoModelForImageTextToText, AutoProcessor

    from habits.sample import resolve_device, vllm_available, vllm_engine_args

    device = resolve_device(config.device if config is not None else device)
    processor = AutoProcessor.from_pretrained(path)
    processor.tokenizer.padding_side = "left"
    backend = config.backend if config is not None else "transformers"
    if backend == "auto":
        backend = "vllm" if vllm_available() and device.startswith("cuda") else "transformers"
    if backend == "vllm":
        if not vllm_available():
            raise ValueError("backend 'vllm' requested but vllm is not installed: pip install -e '.[vllm]' on a GPU "
                             "machine (CPU runs use backend transformers)")
        from vllm import LLM

        return LoadedVLM(LLM(**vllm_engine_args(path, config, images_per_prompt=IMAGES_PER_PROMPT)), processor,
                         "vllm", str(path))
    model = AutoModelForImageTextToText.from_pretrained(path)
    model.to(device).eval()
    return LoadedVLM(model, processor, "transformers", str(path))


def vllm_requests(processor: Any, prompts: list[Any]) -> list[dict[str, Any]]:
    """vLLM prompt dicts for chat prompts with images: the chat-template text (one placeholder per image,
    which vLLM expands) and the images as ``multi_modal_data``."""
    requests = []
    for prompt in prompts:
        text = processor.apply_chat_template(_without_images(prompt), tokenize=False, add_generation_prompt=True)
        images = prompt_images(prompt)
        request: dict[str, Any] = {"prompt": text}
        if images:
            request["multi_modal_data"] = {"image": images[0] if len(images) == 1 else images}
        requests.append(request)
    return requests


def generate_images(loaded: LoadedVLM, prompts: list[Any], config: Any) -> list[list[Any]]:
    """``config.n`` completions per chat prompt with images (:func:`attach_images`), in prompt order;
    the same return type as :func:`habits.sample.generate`."""
    import torch

    from habits.sample import end_token_ids, finish

    tokenizer = loaded.tokenizer
    if loaded.backend == "vllm":
        from habits.sample import vllm_completions

        return vllm_completions(loaded.model, vllm_requests(loaded.processor, prompts), config,
                                end_token_ids(tokenizer))
    end_ids = end_token_ids(tokenizer, loaded.model)
    pad_id = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else end_ids[0]
    torch.manual_seed(config.seed)
    out: list[list[Any]] = []
    for start in range(0, len(prompts), config.batch_size):
        batch = prompts[start:start + config.batch_size]
        texts = [loaded.processor.apply_chat_template(_without_images(p), tokenize=False, add_generation_prompt=True)
                 for p in batch]
        images = [prompt_images(p) for p in batch]
        inputs = loaded.processor(text=texts, images=images if any(images) else None, padding=True,
                                  return_tensors="pt").to(loaded.model.device)
        sampling = {"do_sample": True, "temperature": config.temperature, "top_p": config.top_p} \
            if config.temperature > 0 else {"do_sample": False}
        with torch.no_grad():
            ids = loaded.model.generate(**inputs, max_new_tokens=config.max_new_tokens, num_return_sequences=config.n,
                                        eos_token_id=end_ids, pad_token_id=pad_id, **sampling)
        new = ids[:, inputs["input_ids"].shape[1]:].tolist()
        for i in range(len(batch)):
            out.append([finish(tokenizer, new[i * config.n + j], end_ids, config.stop, pad_id)
                        for j in range(config.n)])
    return out
