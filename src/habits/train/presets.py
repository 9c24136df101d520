"""Named GRPO variants: the settings that define DAPO, Dr. GRPO and GSPO, as TRL fields.

``preset: dapo`` in an RL recipe starts from these values; any field the recipe sets itself wins.
A preset holds only what defines the algorithm (loss aggregation, clipping, advantage scaling,
importance-sampling level, KL); batch sizes and lengths stay the recipe's, because the papers'
(512 prompts, 20k tokens) do not fit every machine. The values follow the papers as TRL's paper
index reproduces them:

* **DAPO** (arXiv 2503.14476): token-level loss (``loss_type: dapo``), clip-higher (epsilon 0.2 /
  epsilon_high 0.28), overlong filtering (``mask_truncated_completions``), no KL term, and dynamic
  sampling -- which TRL lacks and habits adds (``dynamic_sampling``, :mod:`habits.train.sampling`).
  The paper's soft overlong punishment is a reward (``trl.rewards.get_soft_overlong_punishment``),
  not a preset field: add it with ``extra_rewards`` if you want it.
* **Dr. GRPO** (arXiv 2503.20783): loss normalised by a constant (``loss_type: dr_grpo``), no
  division of advantages by the group's standard deviation (``scale_rewards: none``), no KL term.
* **GSPO** (arXiv 2507.18071): sequence-level importance ratios with the GRPO loss, the paper's
  tight clipping (3e-4 / 4e-4), no KL term, and each rollout batch split into 4 mini-batches
  (``steps_per_generation: 4``), without which the ratio is always 1 and GSPO equals GRPO.
"""

from __future__ import annotations

import difflib
from typing import Any

from habits.configs import ConfigError

PRESETS: dict[str, dict[str, Any]] = {
    "dapo": {"loss_type": "dapo", "epsilon": 0.2, "epsilon_high": 0.28, "mask_truncated_completions": True,
             "beta": 0.0},
    "dr_grpo": {"loss_type": "dr_grpo", "scale_rewards": "none", "beta": 0.0},
    "gspo": {"importance_sampling_level": "sequence", "loss_type": "grpo", "epsilon": 3e-4, "epsilon_high": 4e-4,
             "beta": 0.0, "steps_per_generation": 4},
}
# Presets whose algorithm includes habits' dynamic sampling (DAPO's group filter).
DYNAMIC_SAMPLING = frozenset({"dapo"})


def check_preset(name: str | None) -> None:
    if name is not None and name not in PRESETS:
        close = difflib.get_close_matches(str(name), sorted(PRESETS), n=1)
        raise ConfigError(f"unknown preset {name!r}; choose one of: {', '.join(sorted(PRESETS))}"
                          + (f" (did you mean {close[0]!r}?)" if close else ""), "preset")


def preset_settings(name: str | None) -> dict[str, Any]:
    """The TRL fields of preset ``name`` (empty for none)."""
    check_preset(name)
    return dict(PRESETS[name]) if name is not None else {}


def dynamic_sampling_default(name: str | None) -> bool:
    return name in DYNAMIC_SAMPLING
