"""``described``: a dataclass field that carries its help text (shown by ``--help-config``)."""

from __future__ import annotations

import dataclasses
from typing import Any


def described(text: str, default: Any = dataclasses.MISSING, factory: Any = dataclasses.MISSING) -> Any:
    """A dataclass field with ``metadata["help"] = text``; give ``default`` or ``factory``."""
    if factory is not dataclasses.MISSING:
        return dataclasses.field(default_factory=factory, metadata={"help": text})
    return dataclasses.field(default=default, metadata={"help": text})
