"""The embedded default model: a tokenizer and a tiny Qwen2- or Llama-style causal LM built locally.

No model hub is reachable where this project is developed and tested, so the default model is
made here -- but as a *real* Hugging Face model (config, tokenizer with a chat template,
safetensors weights), so SFT, GRPO, sampling and evaluation run the same code path a GPU user
runs on Qwen2.5-3B. Tests call :func:`build_tiny_model` to get a randomly initialised model in a
temporary directory in about a second.

The tokenizer is byte-level BPE trained with ``tokenizers`` on task text, with digits split one
per token (so arithmetic is learnable by a small model) and ChatML special tokens.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

# ChatML, as Qwen uses; `add_generation_prompt` opens the assistant turn.
CHAT_TEMPLATE = (
    "{% for message in messages %}"
    "{{ '<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>' + '\n' }}"
    "{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}"
)
EOS, PAD, IM_START, IM_END = "<|endoftext|>", "<|pad|>", "<|im_start|>", "<|im_end|>"
SPECIAL_TOKENS = [EOS, PAD, IM_START, IM_END]
# Reasoning tags are whole tokens (ordinary text, not special): byte-level BPE otherwise merges
# punctuation across them ("<think></think>" -> "<", "think", "></", ...), so a prompt ending in
# "<think>" would tokenize differently from the same text inside a training document.
TAG_TOKENS = ["<think>", "</think>", "<answer>", "</answer>"]


@dataclass
class TinyModelConfig:
    """Size of the embedded model. Defaults: ~1.5M parameters, trains in minutes on 2 CPU cores."""

    arch: str = "qwen2"  # "qwen2" or "llama"
    vocab_size: int = 1024  # BPE vocabulary trained on task text (special tokens included)
    hidden_size: int = 128
    num_layers: int = 4
    num_heads: int = 4
    num_kv_heads: int = 2  # grouped-query attention, as in Qwen2.5 / Llama 3
    intermediate_size: int = 384
    max_positions: int = 1024

    def __post_init__(self) -> None:
        if self.arch not in ("qwen2", "llama"):
            raise ValueError(f"tiny model: arch must be 'qwen2' or 'llama', got {self.arch!r}")
        if self.hidden_size % self.num_heads:
            raise ValueError(f"tiny model: hidden_size {self.hidden_size} must be divisible by num_heads {self.num_heads}")
        if self.num_heads % self.num_kv_heads:
            raise ValueError(f"tiny model: num_heads {self.num_heads} must be divisible by num_kv_heads {self.num_kv_heads}")
        if self.vocab_size < 300:
            raise ValueError("tiny model: vocab_size must be at least 300 (256 bytes + special tokens + merges)")


def default_corpus(n_per_task: int = 100, seed: int = 0) -> list[str]:
    """Prompts and reference answers of every task: enough text to train the tokenizer."""
    from habits.tasks import get_task, task_names

    texts: list[str] = []
    for name in task_names(procedural=True):
        for style in ("base", "chat"):
            task = get_task(name, prompt_style=style, template="mixed")
            for problem in task.generate(n_per_task, split="train", seed=seed):
                prompt = task.prompt(problem)
                texts.append(prompt if isinstance(prompt, str) else "\n".join(m["content"] for m in prompt))
                found = task.solve(problem)
                texts.append(task.format_answer(problem, found[0]))
    return texts


def train_tokenizer(texts: Iterable[str], vocab_size: int = 1024):
    """Byte-level BPE with one token per digit and ChatML special tokens, as a transformers tokenizer."""
    from tokenizers import AddedToken, Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    core = Tokenizer(models.BPE())
    core.pre_tokenizer = pre_tokenizers.Sequence([
        pre_tokenizers.Digits(individual_digits=True),
        pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True),
    ])
    core.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=vocab_size, special_tokens=SPECIAL_TOKENS,
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), show_progress=False)
    core.train_from_iterator(texts, trainer=trainer)
    core.add_tokens([AddedToken(tag, normalized=False, special=False) for tag in TAG_TOKENS])
    tokenizer = PreTrainedTokenizerFast(tokenizer_object=core, eos_token=EOS, pad_token=PAD,
                                        additional_special_tokens=[IM_START, IM_END])
    tokenizer.chat_template = CHAT_TEMPLATE
    return tokenizer


def model_config(config: TinyModelConfig, tokenizer: Any):
    """The transformers config for ``config`` with ``tokenizer``'s special token ids."""
    from transformers import LlamaConfig, Qwen2Config

    common: dict[str, Any] = dict(
        vocab_size=len(tokenizer), hidden_size=config.hidden_size, num_hidden_layers=config.num_layers,
        num_attention_heads=config.num_heads, num_key_value_heads=config.num_kv_heads,
        intermediate_size=config.intermediate_size, max_position_embeddings=config.max_positions,
        tie_word_embeddings=True, bos_token_id=tokenizer.eos_token_id, eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id, rms_norm_eps=1e-6,
    )
    return Qwen2Config(**common) if config.arch == "qwen2" else LlamaConfig(**common)


def build_tiny_model(out_dir: str | Path, config: TinyModelConfig | None = None,
                     texts: Iterable[str] | None = None, seed: int = 0) -> Path:
    """Train a tokenizer, initialise a tiny model randomly, save both to ``out_dir``; return it.

    The directory loads with ``AutoTokenizer`` / ``AutoModelForCausalLM.from_pretrained``.
    """
    import torch
    from transformers import AutoModelForCausalLM

    config = config or TinyModelConfig()
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    tokenizer = train_tokenizer(texts if texts is not None else default_corpus(seed=seed), config.vocab_size)
    torch.manual_seed(seed)
    model = AutoModelForCausalLM.from_config(model_config(config, tokenizer))
    model.generation_config.eos_token_id = [tokenizer.eos_token_id, tokenizer.convert_tokens_to_ids(IM_END)]
    model.generation_config.pad_token_id = tokenizer.pad_token_id
    model.save_pretrained(out, safe_serialization=True)
    tokenizer.save_pretrained(out)
    (out / "habits_tiny.json").write_text(__import__("json").dumps(asdict(config), indent=2) + "\n")
    return out
