"""Drift from the start checkpoint during SFT or RL: mean token KL on a fixed probe set of texts.

:class:`DriftCallback` logs ``drift/kl_to_start`` every N steps: the mean over the probe texts'
tokens of ``KL(π_now(·|prefix) ‖ π_start(·|prefix))``, the divergence the RL literature calls "KL
to the reference" (TRL's ``beta`` penalises the same direction). Forgetting shows here before it
shows in accuracy, and it is measured the same way for SFT and RL arms, so the two can be compared.

How the start is kept, and why: the start model's next-token distribution at every probe position
is cached once, as its ``top_k`` most likely tokens' log-probabilities plus one bucket for the rest
of the vocabulary. Both alternatives scale badly:

* a frozen copy of the start model doubles the model memory (22 GB more for an 11B model in bf16,
  and its own sharding under DeepSpeed/FSDP) and a second forward pass per measurement;
* full cached logits cost probe tokens × vocabulary floats (256 probes × 128 tokens × 128k
  vocabulary = 17 GB in fp32).

The top-k cache costs probe tokens × k × 8 bytes (17 MB for 256 × 128 tokens and k = 64, kept on
the CPU) and one forward pass of the current model per measurement. The KL is computed exactly on the coarser
partition {each cached token, everything else}; by the data-processing inequality it is a lower
bound of the full-vocabulary KL, equal to it when ``top_k`` covers the vocabulary, and close to it
when the start model puts little mass outside its top-k (the logged ``drift/start_tail_mass`` says
how much it did).

A resumed run has the resumed weights at ``on_train_begin``, not the start's: give ``cache_path``
(the cache is saved there on a fresh run and read back on resume) or ``start_model`` (a model
directory to rebuild the cache from).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from transformers import TrainerCallback

from habits.train.callbacks import evaluation_due


class DriftCallback(TrainerCallback):
    """``drift/kl_to_start`` every ``every`` steps on ``probe_texts`` (a fixed list: same texts, same order).

    ``tokenizer``: default the trainer's processing class. ``max_length``: probe texts are cut to
    this many tokens. Put the callback before the one that writes ``metrics.jsonl`` (it adds to the
    logs that callback writes).
    """

    def __init__(self, probe_texts: Sequence[str], every: int, tokenizer: Any = None, top_k: int = 64,
                 max_length: int = 256, batch_size: int = 8, cache_path: str | Path | None = None,
                 start_model: str | Path | None = None, steps: Sequence[int] = ()) -> None:
        if not probe_texts:
            raise ValueError("DriftCallback: give at least one probe text")
        if (every < 1 and not steps) or top_k < 1 or max_length < 2 or batch_size < 1:
            raise ValueError("DriftCallback: every, top_k and batch_size must be >= 1 and max_length >= 2")
        self.probe_texts = list(probe_texts)
        self.every = every
        self.steps = frozenset(steps)  # evaluation steps at equal compute (then every is not used)
        self.tokenizer = tokenizer
        self.top_k = top_k
        self.max_length = max_length
        self.batch_size = batch_size
        self.cache_path = Path(cache_path) if cache_path is not None else None
        self.start_model = start_model
        self.reference: dict[str, Any] | None = None
        self.pending: dict[str, float] = {}

    # -- the trainer's events -------------------------------------------------------------------
    def on_train_begin(self, args, state, control, model=None, processing_class=None, **kwargs):
        self.tokenizer = _text_tokenizer(processing_class if self.tokenizer is None else self.tokenizer)
        if self.tokenizer is None:
            raise ValueError("DriftCallback: no tokenizer (give tokenizer=, or use it inside a Trainer)")
        if self.reference is not None:
            return
        if state.global_step == 0:  # a fresh run: this model is the start (a cache left by an old run is not)
            self.reference = start_reference(model, self.tokenizer, self.probe_texts, self.top_k,
                                             self.max_length, self.batch_size)
            self._save(state)
        elif self.cache_path is not None and self.cache_path.is_file():
            import torch

            self.reference = torch.load(self.cache_path, map_location="cpu", weights_only=True)
        elif self.start_model is not None:
            self.reference = _reference_from_dir(self.start_model, self.tokenizer, self)
            self._save(state)
        else:
            raise ValueError(f"DriftCallback: resuming at step {state.global_step} without the start model's "
                             "reference; give cache_path (kept from the fresh run) or start_model (its "
                             "directory)")

    def on_step_end(self, args, state, control, model=None, **kwargs):
        if self.reference is None or not evaluation_due(state.global_step, self.every, self.steps):
            return control
        self.pending = kl_to_reference(model, self.reference, self.batch_size)
        control.should_log = True  # written with this step's own line
        return control

    def on_log(self, args, state, control, logs=None, **kwargs):
        if not self.pending or logs is None or "train_loss" in logs:
            return  # the end-of-training totals, not a step
        logs.update(self.pending)
        if state.log_history and state.log_history[-1].get("step") == state.global_step:
            state.log_history[-1].update(self.pending)
        self.pending = {}

    def _save(self, state: Any) -> None:
        if self.cache_path is None or not getattr(state, "is_world_process_zero", True):
            return
        import torch

        from habits.io import atomic_write

        with atomic_write(self.cache_path, "wb") as handle:
            torch.save(self.reference, handle)


def _text_tokenizer(processing_class: Any) -> Any:
    """The text tokenizer of a tokenizer or of a multimodal processor."""
    return getattr(processing_class, "tokenizer", None) or processing_class


def _reference_from_dir(model_dir: str | Path, tokenizer: Any, callback: DriftCallback) -> dict[str, Any]:
    from transformers import AutoModelForCausalLM

    model = AutoModelForCausalLM.from_pretrained(model_dir)
    try:
        return start_reference(model, tokenizer, callback.probe_texts, callback.top_k, callback.max_length,
                               callback.batch_size)
    finally:
        del model


# -- the measurement ------------------------------------------------------------------------------
def _batches(reference: dict[str, Any], batch_size: int):
    ids, mask = reference["input_ids"], reference["attention_mask"]
    for start in range(0, ids.shape[0], batch_size):
        yield start, ids[start:start + batch_size], mask[start:start + batch_size]


def _log_probs(model: Any, ids: Any, mask: Any) -> Any:
    """Next-token log-probabilities at each position but the last (float32), in eval mode, no grad."""
    import torch

    device = next(model.parameters()).device
    was_training = model.training
    model.eval()  # dropout off: the same text must give the same distribution
    try:
        with torch.no_grad():
            logits = model(input_ids=ids.to(device), attention_mask=mask.to(device)).logits[:, :-1]
            return torch.log_softmax(logits.float(), dim=-1).cpu()
    finally:
        model.train(was_training)


def start_reference(model: Any, tokenizer: Any, texts: Sequence[str], top_k: int = 64, max_length: int = 256,
                    batch_size: int = 8) -> dict[str, Any]:
    """The start model's cache: probe token ids and, per position, its top-k tokens and log-probabilities."""
    import torch

    # padded here (right, id 0, masked) so a tokenizer without a pad token works too
    encoded = [tokenizer(text, add_special_tokens=False, truncation=True, max_length=max_length)["input_ids"]
               for text in texts]
    width = max(len(ids) for ids in encoded)
    reference: dict[str, Any] = {
        "input_ids": torch.tensor([ids + [0] * (width - len(ids)) for ids in encoded], dtype=torch.long),
        "attention_mask": torch.tensor([[1] * len(ids) + [0] * (width - len(ids)) for ids in encoded],
                                       dtype=torch.long)}
    values, indices = [], []
    for _, ids, mask in _batches(reference, batch_size):
        log_probs = _log_probs(model, ids, mask)
        top = torch.topk(log_probs, min(top_k, log_probs.shape[-1]), dim=-1)
        values.append(top.values)
        indices.append(top.indices.to(torch.int32))
    reference["top_log_probs"] = torch.cat(values)
    reference["top_indices"] = torch.cat(indices)
    return reference


def _tail(log_probs_in_top: Any) -> Any:
    """log of the mass outside the top-k tokens, ``log(1 - Σ p)``, clamped away from log 0."""
    import torch

    inside = torch.logsumexp(log_probs_in_top, dim=-1).clamp(max=0.0)
    return torch.log((-torch.expm1(inside)).clamp(min=0.0) + 1e-12)


def kl_to_reference(model: Any, reference: dict[str, Any], batch_size: int = 8) -> dict[str, float]:
    """Mean token ``KL(model ‖ start)`` on the reference's probe positions, on the top-k + rest partition.

    Returns ``{"drift/kl_to_start": …, "drift/start_tail_mass": …}`` (the start model's mean mass
    outside its cached top-k: near 0 means the KL is near the full-vocabulary one).
    """
    import torch

    total, tail_mass, count = 0.0, 0.0, 0
    for start, ids, mask in _batches(reference, batch_size):
        now = _log_probs(model, ids, mask)
        indices = reference["top_indices"][start:start + ids.shape[0]].long()
        start_top = reference["top_log_probs"][start:start + ids.shape[0]]
        now_top = torch.gather(now, -1, indices)
        # the partition's log-masses: the k cached tokens, then the rest of the vocabulary
        start_bins = torch.cat([start_top, _tail(start_top).unsqueeze(-1)], dim=-1)
        now_bins = torch.cat([now_top, _tail(now_top).unsqueeze(-1)], dim=-1)
        if indices.shape[-1] == now.shape[-1]:  # the cache covers the vocabulary: no rest bucket
            start_bins, now_bins = start_bins[..., :-1], now_bins[..., :-1]
        kl = (now_bins.exp() * (now_bins - start_bins)).sum(-1)
        # position t predicts token t+1: it counts when both tokens are real (not padding)
        valid = (mask[:, :-1] * mask[:, 1:]).bool()
        total += float(kl[valid].sum())
        tail_mass += float(_tail(start_top).exp()[valid].sum())
        count += int(valid.sum())
    if not count:
        raise ValueError("DriftCallback: the probe texts have no token pairs to measure (give longer texts)")
    return {"drift/kl_to_start": max(0.0, total / count), "drift/start_tail_mass": tail_mass / count}
