"""Turn search events into reasoning text that shows exactly the allowed behaviors, and count them.

Only the behaviors a condition allows are written: failed lines (and their dead ends) appear only
when backtracking is allowed; ``check`` events only with verification; ``subgoal`` events only with
subgoal setting; ``work_back`` events only with backward chaining. Counts come from the events
written, so they are exact by construction. Every arithmetic statement is written as
``a op b = c`` with exact values, so :mod:`habits.traces.check` can re-check each one.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass

from habits.traces import phrases
from habits.traces.search import Event, Line, Node, Trace, Value, value_text

BEHAVIORS = ("verification", "backtracking", "subgoal_setting", "backward_chaining")

# Which event kind shows which behavior (the count of a behavior = events of that kind written).
EVENT_BEHAVIOR = {"check": "verification", "abandon": "backtracking", "subgoal": "subgoal_setting",
                  "work_back": "backward_chaining"}


@dataclass(frozen=True)
class Narration:
    """The thoughts text, the exact behavior counts it shows, and the answer expression it ends with."""

    text: str
    behaviors: dict[str, int]
    answer: Node
    reached: bool


def join_values(values: Sequence[Value | str]) -> str:
    """``25, 7, 6 and 3``."""
    texts = [v if isinstance(v, str) else value_text(v) for v in values]
    return texts[0] if len(texts) == 1 else ", ".join(texts[:-1]) + " and " + texts[-1]


def statement(node: Node) -> str:
    """``a op b = c`` for one operation on values (fractions parenthesised as operands)."""
    assert node.left is not None and node.right is not None
    return (f"{value_text(node.left.value, True)} {node.op} {value_text(node.right.value, True)} "
            f"= {value_text(node.value)}")


def _needs(needs: Sequence[tuple[Value, Sequence[Value]]]) -> str:
    return ", and ".join(f"{value_text(value)} from {join_values(list(source))}" for value, source in needs)


def _finish(event: Event) -> str:
    op, given, side = event["op"], event["given"], event["side"]
    if given is None:
        return {"+": "add them", "-": "subtract the second from the first",
                "*": "multiply them", "/": "divide the first by the second"}[op]
    k = value_text(given)
    if side == 1 and op == "-":
        return f"subtract it from {k}"
    if side == 1 and op == "/":
        return f"divide {k} by it"
    return {"+": f"add {k}", "-": f"subtract {k}", "*": f"multiply by {k}", "/": f"divide by {k}"}[op]


def _check_statement(node: Node) -> str:
    """``(25 - 7) + 6 = 18 + 6 = 24``: the whole expression, then (for nested ones) its last step."""
    assert node.left is not None and node.right is not None
    if node.left.is_leaf and node.right.is_leaf:
        return f"{node.text()} = {value_text(node.value)}"
    return f"{node.text()} = {statement(node)}"


class _Writer:
    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.sentences: list[str] = []
        self.counts = dict.fromkeys(BEHAVIORS, 0)
        self.used: dict[int, set[int]] = {}

    def say(self, table: Sequence[str], behavior: str | None = None, **fields: str) -> None:
        # No phrasing twice in one trace while the table has unused ones: repetition reads as a template.
        used = self.used.setdefault(id(table), set())
        fresh = [index for index in range(len(table)) if index not in used] or list(range(len(table)))
        index = self.rng.choice(fresh)
        used.add(index)
        self.sentences.append(_capitalise(table[index].format(**fields)))
        if behavior is not None:
            self.counts[behavior] += 1

    def paragraph(self) -> str:
        text, self.sentences = " ".join(self.sentences), []
        return text


def _capitalise(text: str) -> str:
    return text[:1].upper() + text[1:]


def narrate(trace: Trace, allowed: frozenset[str], rng: random.Random,
            cards: Sequence[str] | None = None) -> Narration:
    """Write ``trace`` as reasoning text showing only the ``allowed`` behaviors.

    ``cards`` (GeneralPoints) adds a sentence reading the cards as their values.
    """
    unknown = set(allowed) - set(BEHAVIORS)
    if unknown:
        raise ValueError(f"unknown behavior(s) {sorted(unknown)}; known: {', '.join(BEHAVIORS)}")
    writer = _Writer(rng)
    paragraphs = []
    nums = join_values(list(trace.values))
    if cards is not None and list(cards) != [value_text(v) for v in trace.values]:
        writer.say(phrases.CARDS, cards=join_values(list(cards)), nums=nums)
    writer.say(phrases.START, nums=nums, t=str(trace.target))
    paragraphs.append(writer.paragraph())
    lines = _lines_to_write(trace, allowed)
    for line in lines:
        _write_line(writer, line, allowed, trace.target)
        paragraphs.append(writer.paragraph())
    if not trace.reached:
        writer.say(phrases.GIVE_UP, expr=trace.answer.text())
        paragraphs.append(writer.paragraph())
    return Narration("\n".join(p for p in paragraphs if p), writer.counts, trace.answer, trace.reached)


def _lines_to_write(trace: Trace, allowed: frozenset[str]) -> list[Line]:
    if "backtracking" in allowed:
        return trace.lines
    # Without backtracking only one line can be shown: the solution, or the line that gave the answer.
    keep = [line for line in trace.lines if line.success] or [
        line for line in trace.lines if line.final is trace.answer]
    return keep[-1:]


def _write_line(writer: _Writer, line: Line, allowed: frozenset[str], target: int) -> None:
    plan_written = False
    tries = 0
    for position, event in enumerate(line.events):
        kind = event.kind
        if kind == "try":
            node = event["node"]
            assert node.left is not None and node.right is not None
            table = phrases.TRY if tries == 0 else phrases.TRY_NEXT
            writer.say(table, stmt=statement(node), x=value_text(node.left.value), y=value_text(node.right.value))
            tries += 1
            state = event["state"]
            following = line.events[position + 1].kind if position + 1 < len(line.events) else ""
            if line.kind == "forward" and following == "try" and len(state) >= 2 and writer.rng.random() < 0.3:
                writer.say(phrases.STATE, state=join_values(list(state)))
        elif kind == "work_back" and "backward_chaining" in allowed:
            table = phrases.WORK_BACK if event["target"] == target else phrases.WORK_BACK_MORE
            writer.say(table, "backward_chaining", t=value_text(event["target"]), v=value_text(event["target"]),
                       eq=f"{value_text(event['target'])} = {event['node'].text()}")
            plan_written = True
        elif kind == "subgoal" and "subgoal_setting" in allowed and event["needs"]:
            writer.say(phrases.SUBGOAL, "subgoal_setting", needs=_needs(event["needs"]), finish=_finish(event))
            plan_written = True
        elif kind == "check" and "verification" in allowed:
            node = event["node"]
            table = phrases.CHECK_OK if event["ok"] else phrases.CHECK_FAIL
            writer.say(table, "verification", stmt=_check_statement(node), t=str(target),
                       v=value_text(node.value), diff=value_text(abs(node.value - target)))
        elif kind == "dead_end" and "backtracking" in allowed:
            _write_dead_end(writer, event, line, allowed, plan_written)
        elif kind == "abandon" and "backtracking" in allowed:
            writer.say(phrases.ABANDON, "backtracking")
        elif kind == "goal":
            writer.say(phrases.GOAL, expr=event["node"].text())


def _write_dead_end(writer: _Writer, event: Event, line: Line, allowed: frozenset[str], plan_written: bool) -> None:
    """Say the line is stuck (part of the backtracking instance that follows; no value is judged)."""
    if "need" in event.data and plan_written:
        writer.say(phrases.DEAD_END_NEED, need=value_text(event["need"]), source=join_values(list(event["source"])))
    elif "state" in event.data and line.kind == "forward":
        writer.say(phrases.DEAD_END_STATE, state=join_values(list(event["state"])))
    else:
        writer.say(phrases.DEAD_END)
