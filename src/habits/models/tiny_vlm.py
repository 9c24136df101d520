"""A tiny vision-language model built from configs (no download): LLaVA with a 1-layer CLIP tower.

For tests and CPU smoke runs of the image tasks: the same transformers classes a GPU user loads
(``AutoModelForImageTextToText`` + ``AutoProcessor``), at a size that runs in seconds. The tokenizer
is habits' tiny byte-level BPE plus an ``<image>`` token and a chat template that renders image
parts of TRL's multimodal messages; images are resized to ``image_size`` pixels square.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

IMAGE_TOKEN = "<image>"
CHAT_TEMPLATE = (
    "{% for m in messages %}<|im_start|>{{ m['role'] }}\n"
    "{% if m['content'] is string %}{{ m['content'] }}{% else %}{% for part in m['content'] %}"
    "{% if part['type'] == 'image' %}<image>\n{% elif part['type'] == 'text' %}{{ part['text'] }}{% endif %}"
    "{% endfor %}{% endif %}<|im_end|>\n{% endfor %}{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)


def build_tiny_vlm(out_dir: str | Path, texts: Iterable[str], image_size: int = 56, hidden_size: int = 32,
                   vocab_size: int = 400) -> Path:
    """Save a tiny LLaVA (model + processor) trained-tokenizer on ``texts`` to ``out_dir``; return the path."""
    from transformers import (CLIPImageProcessor, CLIPVisionConfig, LlavaConfig, LlavaForConditionalGeneration,
                              LlavaProcessor, Qwen2Config)

    from habits.models.tiny import IM_END, IM_START, train_tokenizer

    tokenizer = train_tokenizer(list(texts), vocab_size=vocab_size)
    tokenizer.add_special_tokens({"additional_special_tokens": [IM_START, IM_END, IMAGE_TOKEN]})
    tokenizer.chat_template = CHAT_TEMPLATE
    patch = 14
    processor = LlavaProcessor(
        image_processor=CLIPImageProcessor(size={"shortest_edge": image_size},
                                           crop_size={"height": image_size, "width": image_size}),
        tokenizer=tokenizer, patch_size=patch, vision_feature_select_strategy="full", chat_template=CHAT_TEMPLATE,
        image_token=IMAGE_TOKEN, num_additional_image_tokens=1)  # the CLS feature is kept ("full")
    config = LlavaConfig(
        vision_config=CLIPVisionConfig(hidden_size=hidden_size, intermediate_size=2 * hidden_size, num_hidden_layers=1,
                                       num_attention_heads=2, image_size=image_size, patch_size=patch,
                                       projection_dim=hidden_size),
        text_config=Qwen2Config(vocab_size=len(tokenizer), hidden_size=hidden_size, intermediate_size=2 * hidden_size,
                                num_hidden_layers=1, num_attention_heads=2, num_key_value_heads=1,
                                max_position_embeddings=2048, tie_word_embeddings=True),
        image_token_index=tokenizer.convert_tokens_to_ids(IMAGE_TOKEN), vision_feature_select_strategy="full",
        vision_feature_layer=-1)
    model = LlavaForConditionalGeneration(config)
    end = [tokenizer.eos_token_id, tokenizer.convert_tokens_to_ids(IM_END)]
    model.generation_config.eos_token_id = end
    model.generation_config.pad_token_id = tokenizer.pad_token_id
    out = Path(out_dir)
    model.save_pretrained(out)
    processor.save_pretrained(out)
    return out


def tiny_vlm_texts(task: Any, n: int = 20) -> list[str]:
    """Prompt texts of ``task`` to train the tiny tokenizer on."""
    texts = []
    for problem in task.generate(n, "train", seed=0):
        prompt = task.prompt(problem)
        for message in prompt if not isinstance(prompt, str) else [{"content": prompt}]:
            content = message["content"]
            texts += [content] if isinstance(content, str) else [p["text"] for p in content if p.get("type") == "text"]
    return texts
