"""Small helpers shared by CLI modules: ``--set key=value`` overrides."""

from __future__ import annotations

from typing import Any

import yaml

from habits.fieldcheck import load_yaml


def parse_overrides(items: list[str] | None) -> dict[str, Any]:
    """Turn ``["max_numbers=3", "number_range=[1, 10]"]`` into a dict; values are read as YAML."""
    out: dict[str, Any] = {}
    for item in items or []:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise ValueError(f"--set expects key=value, got {item!r}")
        try:
            out[key.strip()] = load_yaml(value)
        except yaml.YAMLError as exc:
            raise ValueError(f"--set {item!r}: value is not valid YAML ({exc.__class__.__name__})") from None
    return out
