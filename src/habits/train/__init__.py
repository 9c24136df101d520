"""Training stages on TRL: SFT priming (:mod:`.sft`) and outcome-reward RL with GRPO (:mod:`.rl`).

Each stage is ``main(config)`` with its config dataclass from :mod:`.config`; the CLI
(``habits train sft|rl``) calls the same functions. Rewards, rollouts (single attempt or
verify-and-revise), callbacks (metrics.jsonl, stop-on-Ctrl-C, periodic ID/OOD eval) and run
directories live in their own modules. Heavy libraries are imported inside ``main``.
"""

from habits.train.config import RLConfig, SFTConfig, load_config

__all__ = ["RLConfig", "SFTConfig", "load_config"]
