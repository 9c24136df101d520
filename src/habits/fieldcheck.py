"""Recipe values checked against their dataclass field types, and YAML read the way people write it.

Config dataclasses validate ranges in ``__post_init__``; this module checks, before that, that each
value has the field's type, so ``max_steps: 2.5``, ``behaviors: "no"`` or ``report_to: 5`` fail at
once naming the field, instead of as a ``TypeError`` minutes into a run. Whole-number floats
(``8.0``) are taken as ints and number-looking strings as floats, exactly; anything else is refused.

YAML: :class:`RecipeLoader` reads ``1e-5`` as the number it looks like (PyYAML follows YAML 1.1,
where it is a string) and refuses duplicate keys (YAML keeps the last one silently).
Where a value was written (file and line) is :mod:`habits.configs`' business.
"""

from __future__ import annotations

import dataclasses
import math
import re
import types
import typing
from collections.abc import Mapping
from typing import Any

import yaml


# -- YAML -----------------------------------------------------------------------------------------
class RecipeLoader(yaml.SafeLoader):
    """SafeLoader that reads ``1e-5`` as a float and refuses a key given twice in one mapping."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: dict[Any, int] = {}
        for key_node, _ in node.value:
            try:
                key = self.construct_object(key_node, deep=True)
                first = seen.setdefault(key, key_node.start_mark.line)
            except TypeError:  # an unhashable key: the base class reports it
                continue
            if first != key_node.start_mark.line:
                raise yaml.constructor.ConstructorError(
                    None, None, f"key {key!r} given twice (first on line {first + 1}); keep one",
                    key_node.start_mark)
        return super().construct_mapping(node, deep)


RecipeLoader.add_implicit_resolver(  # 1e-5, 3E+2: floats without a dot, which YAML 1.1 reads as strings
    "tag:yaml.org,2002:float", re.compile(r"^[-+]?[0-9][0-9_]*(?:\.[0-9_]*)?[eE][-+]?[0-9]+$"),
    list("-+0123456789"))


def load_yaml(text: str) -> Any:
    """Parse recipe text with :class:`RecipeLoader` (raises ``yaml.YAMLError`` with a mark)."""
    return yaml.load(text, Loader=RecipeLoader)  # noqa: S506 -- a SafeLoader subclass


# -- value types ----------------------------------------------------------------------------------
class FieldTypeError(ValueError):
    """A recipe value of the wrong type; the message names the field and what it should be."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


def _hints(cls: type) -> dict[str, Any]:
    try:
        return typing.get_type_hints(cls)
    except Exception:  # noqa: BLE001 -- an annotation we cannot resolve is simply not checked
        return {}


def coerce_fields(cls: type, values: Mapping[str, Any], where: str, prefix: str = "") -> dict[str, Any]:
    """``values`` with each known field checked against ``cls``'s annotation (and converted exactly).

    Raises :class:`FieldTypeError` ``"<where>: <field> must be ..., got ..."`` (without ``where`` when it is
    empty: :func:`habits.configs.build` places the error at the recipe's file and line itself).
    """
    hints = _hints(cls)
    out = dict(values)
    for spec in dataclasses.fields(cls):
        if not spec.init or spec.name not in values or spec.name not in hints:
            continue
        name = f"{prefix}{spec.name}"
        try:
            out[spec.name] = _coerce(values[spec.name], hints[spec.name], name)
        except FieldTypeError as exc:
            if prefix or not where:
                raise
            raise FieldTypeError(f"{where}: {exc}", exc.field) from None
    return out


def _coerce(value: Any, kind: Any, name: str) -> Any:
    origin, args = typing.get_origin(kind), typing.get_args(kind)
    if kind is Any or kind is object:
        return value
    if origin in (typing.Union, types.UnionType):
        if value is None and type(None) in args:
            return None
        errors = []
        for option in (arg for arg in args if arg is not type(None)):
            try:
                return _coerce(value, option, name)
            except FieldTypeError as exc:
                errors.append(str(exc).split(" must be ", 1)[-1].split(", got ")[0])
        allowed = " or ".join(errors + (["null"] if type(None) in args else []))
        raise FieldTypeError(f"{name} must be {allowed}, got {value!r}", name)
    if kind is bool:
        if isinstance(value, bool):
            return value
        raise FieldTypeError(f"{name} must be true or false, got {value!r}", name)
    if kind is int:
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        if isinstance(value, float) and math.isfinite(value) and value.is_integer():
            return int(value)
        raise FieldTypeError(f"{name} must be a whole number, got {value!r}", name)
    if kind is float:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return float(value)
        if isinstance(value, str):
            try:
                return float(value.replace("_", ""))
            except ValueError:
                pass
        raise FieldTypeError(f"{name} must be a number, got {value!r}", name)
    if kind is str:
        if isinstance(value, str):
            return value
        raise FieldTypeError(f"{name} must be text, got {value!r}", name)
    if origin in (list, tuple) or kind in (list, tuple):
        if isinstance(value, str):
            return value  # the config's own __post_init__ decides whether a single string is allowed
        if not isinstance(value, (list, tuple)):
            raise FieldTypeError(f"{name} must be a list, got {value!r}", name)
        item = args[0] if args and (origin is list or (len(args) == 2 and args[1] is Ellipsis)) else None
        if item is None and args and origin is tuple and len(args) == len(value):
            items = [_coerce(v, a, f"{name}[{i}]") for i, (v, a) in enumerate(zip(value, args))]
        elif item is not None:
            items = [_coerce(v, item, f"{name}[{i}]") for i, v in enumerate(value)]
        else:
            items = list(value)
        return type(value)(items)
    if origin is dict or kind is dict:
        if not isinstance(value, Mapping):
            raise FieldTypeError(f"{name} must be a mapping (key: value), got {value!r}", name)
        return value
    if dataclasses.is_dataclass(kind):
        if isinstance(value, Mapping):
            return coerce_fields(kind, value, "", prefix=f"{name}.")
        if isinstance(value, kind):
            return value
        raise FieldTypeError(f"{name} must be a mapping of {kind.__name__} fields, got {value!r}", name)
    return value  # callables, paths and other Python-only types are not recipe values
