"""Load an exported habits reward module with veRL's own code and score a batch through its reward managers.

Not a unit test: veRL (Ray, transformers<5.11) is not in habits' dev extras. Run it where veRL is installed:

    pip install verl==0.9.1 -e .        # a separate environment (CPU is enough)
    python benchmarks/check_verl_reward.py

It exports Countdown test problems (`habits export verl`), loads `habits_reward.py` through
``verl.trainer.ppo.reward.get_custom_reward_fn`` (the ``custom_reward_function.path/name`` config),
builds a ``DataProto`` of tokenised prompts and responses (the shipped tiny tokenizer), and runs veRL's
``naive`` and ``batch`` reward managers and the reward loop's ``naive`` manager on solver answers and
on wrong ones. It prints the rewards
and exits non-zero if any differs from habits' own reward.
"""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import torch
from omegaconf import OmegaConf
from transformers import AutoTokenizer

from habits.export.verl import VerlExportConfig, main
from habits.tasks import get_task

ROOT = Path(__file__).resolve().parents[1]


def batch(tokenizer, prompts, responses, rows):
    from verl import DataProto

    def pad(seqs, left):
        width = max(len(s) for s in seqs)
        ids = torch.full((len(seqs), width), tokenizer.pad_token_id or 0, dtype=torch.long)
        mask = torch.zeros((len(seqs), width), dtype=torch.long)
        for i, s in enumerate(seqs):
            span = slice(width - len(s), width) if left else slice(0, len(s))
            ids[i, span], mask[i, span] = torch.tensor(s), 1
        return ids, mask

    prompt_ids, prompt_mask = pad([tokenizer(p)["input_ids"] for p in prompts], left=True)
    response_ids, response_mask = pad([tokenizer(r)["input_ids"] for r in responses], left=False)
    return DataProto.from_dict(
        tensors={"prompts": prompt_ids, "responses": response_ids,
                 "attention_mask": torch.cat([prompt_mask, response_mask], dim=1)},
        non_tensors={"data_source": np.array([r["data_source"] for r in rows], dtype=object),
                     "reward_model": np.array([r["reward_model"] for r in rows], dtype=object),
                     "extra_info": np.array([dict(r["extra_info"]) for r in rows], dtype=object)})


def main_check() -> int:
    import verl
    from verl.experimental.reward_loop.reward_manager import get_reward_manager_cls as loop_manager
    from verl.trainer.ppo.reward import get_custom_reward_fn
    from verl.workers.reward_manager import get_reward_manager_cls

    out = Path(tempfile.mkdtemp(prefix="habits-verl-"))
    summary = main(VerlExportConfig(task="countdown", split="test", n=16, out=out, progress=False))
    rows = pq.read_table(summary["parquet"]).to_pylist()
    task = get_task("countdown")
    tokenizer = AutoTokenizer.from_pretrained(ROOT / "models" / "tiny-countdown")
    responses, expected = [], []
    for i, row in enumerate(rows):
        problem = json.loads(row["reward_model"]["ground_truth"])
        text = task.format_answer(problem, task.solve(problem)[0] if i % 2 == 0 else "1 + 1")
        responses.append(text)
        expected.append(task.reward(problem, tokenizer.decode(tokenizer(text)["input_ids"], skip_special_tokens=True)))
    data = batch(tokenizer, [r["prompt"][-1]["content"] for r in rows], responses, rows)

    def load(name):  # reward.custom_reward_function.{path,name}: veRL 0.9's config keys
        return get_custom_reward_fn(OmegaConf.create(
            {"reward": {"custom_reward_function": {"path": summary["reward_module"], "name": name,
                                                   "reward_kwargs": {}}}}))

    results = {}
    for manager, name in (("naive", "compute_score"), ("batch", "compute_score_batch")):
        reward = get_reward_manager_cls(manager)(tokenizer=tokenizer, num_examine=0, compute_score=load(name))
        result = reward(data, return_dict=True)
        results[f"{manager} manager ({name})"] = (result["reward_tensor"].sum(dim=-1).tolist(),
                                                 sorted(result["reward_extra_info"]))
    loop = loop_manager("naive")(OmegaConf.create({}), tokenizer, load("compute_score"))
    scored = [loop.loop.run_until_complete(loop.run_single(data[i:i + 1])) for i in range(len(data))]
    results["reward-loop naive manager (compute_score)"] = ([s["reward_score"] for s in scored],
                                                           sorted(scored[0]["reward_extra_info"]))
    failed = 0
    for label, (got, keys) in results.items():
        ok = np.allclose(got, expected)
        failed += not ok
        print(f"verl {verl.__version__} {label}: rewards {got} {'match' if ok else 'DIFFER FROM'} habits' {expected}; "
              f"extra info {keys}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main_check())
