"""Config machinery shared by every stage: YAML recipe -> validated dataclass, ``--set``, ``--help-config``.

A config is a dataclass whose fields carry their help text (:func:`described`) and whose
``__post_init__`` raises :class:`ConfigError` (or any ``ValueError``) saying what to change.
:func:`build` turns a mapping into that dataclass: nested dataclass fields are built from nested
mappings, unknown keys are refused with the closest known name, and every error is prefixed with
the place it comes from -- ``recipe.yaml:LINE`` taken from the YAML parser's own node marks
(:func:`load_recipe`), or ``--set KEY`` for a command-line override.

A config may *forward* the fields of another dataclass (:class:`Forwarding`): the RL stage accepts
every ``trl.GRPOConfig`` field by its own name, collects them into one mapping and lets TRL validate
them, instead of re-declaring them here.
"""

from __future__ import annotations

import dataclasses
import difflib
import types
import typing
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from habits.fieldcheck import FieldTypeError, RecipeLoader, coerce_fields, load_yaml


class ConfigError(ValueError):
    """A config value is wrong; ``field`` names the offending field when one does."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field
        self.located = False  # True once the message names its file and line


def described(text: str, default: Any = dataclasses.MISSING, factory: Any = dataclasses.MISSING) -> Any:
    """A dataclass field with ``metadata["help"] = text``; give ``default`` or ``factory``."""
    if factory is not dataclasses.MISSING:
        return dataclasses.field(default_factory=factory, metadata={"help": text})
    return dataclasses.field(default=default, metadata={"help": text})


# -- where a value came from --------------------------------------------------------------------
@dataclass(frozen=True)
class Source:
    """A recipe file and the line of every key in it (key path -> 1-based line), from the YAML node marks."""

    path: str
    lines: Mapping[tuple[str, ...], int] = field(default_factory=dict)


@dataclass(frozen=True)
class Recipe:
    values: dict[str, Any]
    source: Source


@dataclass(frozen=True)
class Where:
    """Where the values being built came from, for error messages.

    ``prefixes`` are the key paths of the section inside the recipe, tried in order (an arm's own
    ``rl:`` overrides before the shared ``rl:`` section); ``overrides`` are the dotted ``--set`` keys.
    """

    label: str = "config"
    source: Source | None = None
    prefixes: tuple[tuple[str, ...], ...] = ((),)
    overrides: frozenset[str] = frozenset()

    def child(self, key: str) -> Where:
        top = not self.label or (self.source is not None and self.label == self.source.path)
        return dataclasses.replace(self, label=key if top else f"{self.label}.{key}",
                                   prefixes=tuple(p + (key,) for p in self.prefixes))

    def at(self, key: str | None = None) -> str:
        """``file:line`` of ``key`` (or of the section itself), ``--set KEY``, or the bare label."""
        if key is not None:
            for prefix in self.prefixes:
                if ".".join(prefix + (key,)) in self.overrides:
                    return f"--set {'.'.join(prefix + (key,))}"
        if self.source is not None:
            for prefix in self.prefixes:
                path = prefix + (key,) if key is not None else prefix
                line = self.source.lines.get(path)
                if line is not None:
                    return f"{self.source.path}:{line}"
            for prefix in self.prefixes:  # the key is not in the file: point at its section
                line = self.source.lines.get(prefix)
                if line is not None:
                    return f"{self.source.path}:{line}"
            return self.source.path
        return self.label

    def error(self, message: str, key: str | None = None) -> ConfigError:
        """A :class:`ConfigError` whose message starts with where ``key`` was set."""
        where = self.at(key)
        section = self.label if self.source is not None and self.label not in ("", self.source.path) else ""
        if section and message.startswith((f"{section}.", f"{section}:")):
            section = ""  # the message names its section itself (diagnose.n must be ...)
        exc = ConfigError(f"{where}: {section + ': ' if section else ''}{message}", key)
        exc.located = True
        return exc


def as_where(where: Where | str | None) -> Where:
    if isinstance(where, Where):
        return where
    return Where(label=where or "config")


# -- reading ------------------------------------------------------------------------------------
def load_recipe(path: str | Path) -> Recipe:
    """Read a YAML recipe (a mapping) with the line of every key; errors name the file and line."""
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"{path}: no such config file")
    loader = RecipeLoader(path.read_text(encoding="utf-8"))  # 1e-5 is a number; a key given twice is refused
    try:
        node = loader.get_single_node()
        if node is not None:  # key lines first: a key given twice is named with both of its lines
            lines: dict[tuple[str, ...], int] = {}
            _collect_lines(node, (), lines, str(path))
        data = loader.construct_document(node) if node is not None else {}
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{path}:{mark.line + 1}" if mark is not None else str(path)
        raise ConfigError(f"{where}: not valid YAML ({getattr(exc, 'problem', exc)})") from None
    finally:
        loader.dispose()
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: a recipe must be a mapping of field: value, got {type(data).__name__}")
    return Recipe(data, Source(str(path), lines if node is not None else {}))


def _collect_lines(node: yaml.Node, path: tuple[str, ...], lines: dict[tuple[str, ...], int], file: str) -> None:
    if not isinstance(node, yaml.MappingNode):
        return
    for key_node, value_node in node.value:
        key = str(key_node.value)
        here = path + (key,)
        if here in lines:  # PyYAML keeps the last of two equal keys silently; a recipe should not rely on that
            raise ConfigError(f"{file}:{key_node.start_mark.line + 1}: {'.'.join(here)} is set twice "
                              f"(first on line {lines[here]}); keep one")
        lines[here] = key_node.start_mark.line + 1
        _collect_lines(value_node, here, lines, file)


def read_yaml(path: str | Path) -> dict[str, Any]:
    """The values of a recipe (see :func:`load_recipe` for their lines)."""
    return load_recipe(path).values


def parse_overrides(items: list[str] | None) -> dict[str, Any]:
    """Turn ``["max_numbers=3", "number_range=[1, 10]"]`` into a dict; values are read as YAML."""
    out: dict[str, Any] = {}
    for item in items or []:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise ConfigError(f"--set expects key=value, got {item!r}")
        try:
            out[key.strip()] = load_yaml(value)  # read as a recipe value: --set learning_rate=1e-5 is a number
        except yaml.YAMLError as exc:
            raise ConfigError(f"--set {item!r}: value is not valid YAML ({exc.__class__.__name__})") from None
    return out


def apply_overrides(values: dict[str, Any], overrides: dict[str, Any]) -> dict[str, Any]:
    """Set dotted keys (``lora.r``) in a nested dict; returns a new dict."""
    out = {key: (dict(value) if isinstance(value, dict) else value) for key, value in values.items()}
    for dotted, value in overrides.items():
        parts = dotted.split(".")
        target = out
        for part in parts[:-1]:
            node = target.get(part)
            if node is None:
                node = target[part] = {}
            elif not isinstance(node, dict):
                raise ConfigError(f"--set {dotted}: {part} is not a mapping")
            else:
                node = target[part] = dict(node)
            target = node
        target[parts[-1]] = value
    return out


# -- building -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Forwarding:
    """Fields of another dataclass (``target``) accepted by their own names and collected into ``into``.

    ``reserved`` are target fields the config sets itself (name -> what to set instead); ``aliases``
    map an old spelling to a target field (kept so older recipes stay valid).
    """

    into: str
    target: type
    reserved: Mapping[str, str] = field(default_factory=dict)
    aliases: Mapping[str, str] = field(default_factory=dict)

    def names(self) -> set[str]:
        return {f.name for f in dataclasses.fields(self.target) if f.init}


def forwarding(cls: type) -> Forwarding | None:
    method = getattr(cls, "forwarding", None)
    return method() if callable(method) else None


def build(cls: type, values: Mapping[str, Any] | None, where: Where | str | None = None) -> Any:
    """``cls(**values)`` with nested dataclasses built, forwarded fields collected and errors located."""
    where = as_where(where)
    if values is None:
        values = {}
    if not isinstance(values, Mapping):
        raise where.error(f"expected a mapping of field: value, got {type(values).__name__}")
    values = dict(values)
    fields = {f.name: f for f in dataclasses.fields(cls) if f.init}
    forward = forwarding(cls)
    if forward is not None:
        values = _forward(values, fields, forward, where)
    unknown = [key for key in values if key not in fields]
    if unknown:
        raise _unknown(cls, unknown, set(fields) | (forward.names() | set(forward.aliases) if forward else set()),
                       where)
    try:
        hints = typing.get_type_hints(cls)
    except (NameError, TypeError):  # an annotation that cannot be resolved here: build nested values as given
        hints = {}
    for name, value in list(values.items()):
        kind = _dataclass_of(hints.get(name))
        if isinstance(value, Mapping) and kind is not None:
            values[name] = build(kind, value, where.child(name))
    try:  # each value has its field's type (max_steps: 2.5 is refused here, not minutes into a run)
        values = coerce_fields(cls, values, "")
    except FieldTypeError as exc:
        raise where.error(str(exc), exc.field) from None
    try:
        return cls(**values)
    except ConfigError as exc:
        if exc.located:
            raise
        raise where.error(str(exc), exc.field) from None
    except (TypeError, ValueError) as exc:  # TypeError: e.g. a scalar where a mapping was expected
        raise where.error(str(exc)) from None


def _dataclass_of(kind: Any) -> type | None:
    """The dataclass a field holds (``X`` or ``X | None``), else None."""
    options = typing.get_args(kind) if typing.get_origin(kind) in (typing.Union, types.UnionType) else (kind,)
    found = [k for k in options if isinstance(k, type) and dataclasses.is_dataclass(k)]
    return found[0] if len(found) == 1 else None


def _forward(values: dict[str, Any], fields: Mapping[str, Any], forward: Forwarding,
             where: Where) -> dict[str, Any]:
    if forward.into in values:
        raise where.error(f"write {forward.target.__name__} fields at the top level (e.g. `epsilon_high: 0.28`), "
                          f"not in a `{forward.into}:` section", forward.into)
    targets = forward.names()
    collected: dict[str, Any] = {}
    out: dict[str, Any] = {}
    for key, value in values.items():
        if key in fields:
            out[key] = value
            continue
        name = forward.aliases.get(key, key) if forward.aliases.get(key) in targets else key
        if name in forward.reserved:
            raise where.error(f"{key} is set by habits: {forward.reserved[name]}", key)
        if name not in targets:
            out[key] = value  # reported as unknown by the caller
            continue
        if name in collected:
            raise where.error(f"{key} and {name} are the same setting; give one", key)
        collected[name] = value
    try:  # TRL's fields get the same type checks as habits' own (TRL takes max_steps: 2.5 silently)
        out[forward.into] = coerce_fields(forward.target, collected, "")
    except FieldTypeError as exc:
        raise where.error(str(exc), exc.field) from None
    return out


def _unknown(cls: type, unknown: list[str], known: set[str], where: Where) -> ConfigError:
    hints = []
    for key in unknown:
        close = difflib.get_close_matches(key, sorted(known), n=1)
        hints.append(f"{key!r}" + (f" (did you mean {close[0]!r}?)" if close else ""))
    noun = "field" if len(unknown) == 1 else "fields"
    forward = forwarding(cls)
    accepted = (f"{cls.__name__} fields and every {forward.target.__module__.split('.')[0]}."
                f"{forward.target.__name__} field are accepted" if forward
                else f"known fields: {', '.join(sorted(k for k in known if not k.startswith('_')))}")
    return where.error(f"unknown {noun} {', '.join(hints)}; {accepted}", unknown[0])


# -- describing ---------------------------------------------------------------------------------
def describe(cls: type) -> list[tuple[str, str, str]]:
    """(name, default, help) for each field a recipe may set: the text of ``--help-config``."""
    forward = forwarding(cls)
    rows = []
    for f in dataclasses.fields(cls):
        if not f.init or f.name == "stage" or (forward is not None and f.name == forward.into):
            continue
        if f.default is not dataclasses.MISSING:
            default = repr(f.default)
        elif f.default_factory is not dataclasses.MISSING:
            value = f.default_factory()
            default = repr(dataclasses.asdict(value) if dataclasses.is_dataclass(value) else value)
        else:
            default = "(required)"
        rows.append((f.name, default, f.metadata.get("help", "")))
    return rows


def plain(value: Any) -> Any:
    """JSON/YAML-safe data; callables given from Python appear as ``module:name``."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        value = {f.name: getattr(value, f.name) for f in dataclasses.fields(value)}
    if isinstance(value, dict):
        return {key: plain(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(item) for item in value]
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    name = getattr(value, "__qualname__", None) or getattr(value, "__name__", None) or type(value).__qualname__
    return f"{getattr(value, '__module__', type(value).__module__)}:{name}"
