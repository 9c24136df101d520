"""Vision-language models: can this model see images? Checked before any heavy work.

A task whose prompts show images (``Task.shows_images``: visual GeneralPoints) needs a model with a
vision tower; a text-only model would otherwise fail deep inside generation or training with a
shape error. The check reads only the model's ``config.json``.
"""

from __future__ import annotations

import json
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
