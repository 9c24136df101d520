"""habits: check reasoning habits, instil them with SFT priming, reinforce with RL, measure ID/OOD."""

__version__ = "0.1.0"
