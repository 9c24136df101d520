"""Behavior-filtered corpora for continued pretraining: stream, score, select, rewrite.

The first paper's last experiment: OpenWebMath documents labeled for the four behaviors, a
behavior-rich subset and a behavior-minimal control, rewritten into question / thoughts / answer
form, then continued pretraining before RL. ``habits curate`` does the labeling and selection at
corpus scale (:mod:`habits.curate.run`), ``habits rewrite`` the optional rewrite through an LLM
(:mod:`habits.curate.rewrite`), and :mod:`habits.curate.synthetic` writes the miniature's corpus.
"""

from habits.curate.config import CurateConfig
from habits.curate.run import main

__all__ = ["CurateConfig", "main"]
