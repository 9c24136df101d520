"""Recipe values checked against their dataclass field types, and YAML read the way people write it.

Config dataclasses validate ranges in ``__post_init__``; this module checks, before that, that each
value has the field's type, so ``max_steps: 2.5``, ``behaviors: "no"`` or ``report_to: 5`` fail at
once naming the field, instead of as a ``TypeError`` minutes into a run. Whole-number floats
(``8.0``) are taken as ints and number-looking strings as floats, exactly; anything else is refused.

YAML: :class:`RecipeLoader` reads ``1e-5`` as the number it looks like (PyYAML follows YAML 1.1,
where it is a string) and refuses duplicate keys (YAML keeps the last one silently).
:func:`place` turns an error about a field into ``file:line: ...`` using the recipe's own lines.
"""

from __future__ import annotations

import dataclasses
import functools
import math
import re
import types
import typing
from collections.abc import Mapping
from pathlib import Path
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


@functools.lru_cache(maxsize=32)
def _key_lines(path: str, mtime: float) -> tuple[tuple[tuple[str, ...], int], ...]:
    del mtime  # part of the cache key only
    try:
        root = yaml.compose(Path(path).read_text(encoding="utf-8"), Loader=RecipeLoader)
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        return ()
    found: list[tuple[tuple[str, ...], int]] = []

    def walk(node: Any, prefix: tuple[str, ...]) -> None:
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                name = str(key.value)
                found.append((prefix + (name,), key.start_mark.line + 1))
                walk(value, prefix + (name,))
        elif isinstance(node, yaml.SequenceNode):
            for item in node.value:
                walk(item, prefix)

    walk(root, ())
    return tuple(found)


def line_of(path: str | Path | None, keys: tuple[str, ...]) -> int | None:
    """Line of the key ``keys[-1]`` in a YAML file, under ``keys[:-1]`` as far as they match.

    ``keys`` need not be the full path: ``("backtracking", "rl", "beta")`` finds
    ``arms: {backtracking: {rl: {beta: ...}}}``; if the arm has no such key, the shorter
    ``("rl", "beta")`` is tried, then ``("beta",)``.
    """
    if not path or not keys or not Path(path).is_file():
        return None
    entries = _key_lines(str(path), Path(path).stat().st_mtime)
    for start in range(len(keys)):
        wanted = keys[start:]
        for found, line in entries:
            if found[-1] == wanted[-1] and _is_subsequence(wanted[:-1], found[:-1]):
                return line
    return None


def _is_subsequence(short: tuple[str, ...], long: tuple[str, ...]) -> bool:
    items = iter(long)
    return all(any(key == item for item in items) for key in short)


def split_where(where: str) -> tuple[str | None, tuple[str, ...]]:
    """``"recipe.yaml: arm a: rl"`` -> ``("recipe.yaml", ("a", "rl"))``: the file and the key path."""
    head, *rest = [part.strip() for part in where.split(": ")]
    if not re.search(r"\.ya?ml$", head):
        return None, ()
    keys: list[str] = []
    for part in rest:
        keys += [word for word in re.split(r"[ .]", part) if word and word not in ("arm", "arms")]
    return head, tuple(keys)


def place(message: str, where: str, field: str | None = None) -> str:
    """``message`` prefixed with ``file:line`` (the line of ``field`` under ``where``), once."""
    path, keys = split_where(where)
    if path is None:
        return message if message.startswith(where) else f"{where}: {message}"
    line = line_of(path, keys + tuple(re.sub(r"\[\d+\]", "", field).split("."))) if field else None
    if message.startswith(path):
        if line and not re.match(rf"{re.escape(path)}:\d+:", message):
            return f"{path}:{line}{message[len(path):]}"
        return message
    context = where[len(path):].lstrip(": ")
    if keys and re.match(rf"{re.escape(keys[-1])}[.:]", message):
        context = ""  # the message names its section itself (priming.n ...)
    return f"{path}{f':{line}' if line else ''}: {context + ': ' if context else ''}{message}"


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

    Raises :class:`FieldTypeError` ``"<where>[:line]: <field> must be ..., got ..."``.
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
            if prefix:
                raise
            raise FieldTypeError(place(str(exc), where, exc.field), exc.field) from None
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


def construct(cls: type, values: dict[str, Any], where: str) -> Any:
    """``cls(**values)`` after :func:`coerce_fields`; errors are placed at ``file:line`` when known."""
    values = coerce_fields(cls, values, where)
    try:
        return cls(**values)
    except TypeError as exc:  # e.g. a scalar where a mapping was expected
        raise ValueError(f"{where}: {exc}") from None
    except ValueError as exc:  # from __post_init__, or a nested config (task_args, lora) it builds
        field = exc.field if isinstance(exc, FieldTypeError) else _field_named(cls, str(exc))
        message = place(str(exc), where, field)
        try:
            placed = type(exc)(message)
        except TypeError:  # a subclass with another signature
            placed = ValueError(message)
        raise placed from None


def _field_named(cls: type, message: str) -> str | None:
    """The first of ``cls``'s field names that ``message`` mentions (``max_steps must be ...``)."""
    names = {spec.name for spec in dataclasses.fields(cls)}
    for word in re.findall(r"[A-Za-z_][A-Za-z0-9_]*", message):
        if word in names:
            return word
    return None
