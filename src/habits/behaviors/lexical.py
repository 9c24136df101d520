"""Fast offline behavior counter: compiled regular expressions over clauses, no model, no network.

``count_behaviors(text)`` counts instances of the four habits (see :mod:`habits.behaviors.taxonomy`)
in free-form reasoning text: terse base-model output, chatty markdown, "hmm... wait" rambling,
numbered steps, JSON answers, math prose, code, long meandering traces; ``behavior_spans(text)``
says where each counted instance is (character offsets of its clause in ``text``). It is the
default classifier because it is fast enough to label a web-scale corpus (``benchmarks/
bench_lexical.py``, ``habits curate``) and deterministic; the LLM judge
(:mod:`habits.behaviors.judge`) is the slower, paper-faithful alternative.

How it works. The text is normalised once (:mod:`habits.behaviors.text`: ASCII, lower case, one
clause per line -- lines, sentences, comma-separated calculations). The cues of
:mod:`habits.behaviors.cues` whose words occur in the text then run over the *whole* text in C,
and matches are mapped to clause indices with ``bisect``. One clause contributes at most one
instance per behavior; the instances are sets of clauses, so counts and spans agree by
construction. Guards encode the taxonomy's look-alikes: nothing is a check or a switch before the
first calculation or stated attempt (a check that names its own number -- "36 works" -- needs
none); a "need 24" that names the target restates the task; a "wait" that continues from the
previous result is not a backtrack; a failed attempt followed by a fresh calculation is an
(implicit) backtrack, also within one clause ("= 24, not 60, so 4^3 - 4 = 60"); a split of the
target ("24 = 4 * 6") is a plan, not an attempt a switch could leave; a switch announced and then
made is one switch. The target is read from the text ("target: 24", "make 24 using 4, 5, 10, 10",
"not 24", "35 is 5 times 7", ...) unless the caller passes it; one "= 26" is not enough evidence.

Text beyond :data:`MAX_CHARS` characters is ignored, so the time per call is bounded.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from itertools import accumulate
from collections import Counter
from collections.abc import Iterator, Sequence

from habits.behaviors import cues as C
from habits.behaviors.taxonomy import empty_counts
from habits.behaviors.text import MAX_CHARS, prepare, prepare_mapped, words

__all__ = ["MAX_CHARS", "behavior_spans", "count_behaviors", "infer_target"]

# A calculation or a stated result: checks and switches need an attempt before them.
_ATTEMPT = re.compile(
    r"\d\s*[-+*/]\s*\(?\s*\d|\d\s*=\s*-?\(?\d|\)\s*[-+*/=]\s*\(?\d"
    r"|(?:add|subtract|multiply|divide|times|plus|minus)\b[^\n]{0,20}?\d"
    r"|(?:gives|gave|got|makes|made|equals|yields)\s+(?:us\s+)?-?\d"
    r"|\b[a-z]\s*=\s*[-+(]?\s*\d"  # math prose states results about variables: "x = 4"
    # ... and announces attempts in words: "I tried L'Hopital's rule", "my first guess was"
    r"|\b(?:i|we)\s+(?:first\s+|initially\s+)?(?:tried|attempted|guessed|assumed)\b"
    r"|\bmy\s+(?:first\s+|initial\s+)?(?:guess|attempt|try)\b|\blet\s+(?:me|us)\s+(?:try|attempt)\b"
)
_ARITH = re.compile(
    r"\d\s*[-+*/]\s*\(?\s*\d|\d\s*=\s*-?\(?\d|\)\s*[-+*/=]\s*\(?\d"
    r"|(?:add|subtract|multiply|divide|times|plus|minus)\b[^\n]{0,20}?\d"
)
_NUMBER = re.compile(r"(?<![\d.])\d+(?:\.\d+)?")
# "24 = 4 * 6": a number (not a result) written as one operation -- a plan when it is the target
# ("13 = 7 * 2 - 1" is a whole expression, an attempt).
_SPLIT = re.compile(r"(?<![\d.)+*/-])(?<![\d.)+*/-] )(\d+) *= *\d+ *[-+*/] *\d+(?!\d|\.\d| *[-+*/(])")
_ANSWERISH = re.compile(r"<answer>|\"(?:formula|answer|number)\"\s*:|^\s*\{")
# Settling on an answer after the attempts ("I'll settle on 3 * 8 + 1, the nearest I got"), not trying.
_SETTLING = re.compile(r"\b(?:settle\s+on|go\s+with|came\s+closest|closest\s+was|nearest\s+i\s+got)\b")
_SETTLING_WORDS = ("settle", "go with", "closest", "nearest")
_FRESH = re.compile(r"(?<![\d.])(\d+(?:\.\d+)?)(?:\^\d+)?\s*[-+*/]\s*\(?\d")  # an expression's first number
_LEADING_NUMBER = re.compile(r"^\D{0,30}?(\d+(?:\.\d+)?)")
_LAST_RESULT = re.compile(r"=\s*(\d+(?:\.\d+)?)(?!.*=)")
_RULE_RESTATEMENT = re.compile(
    r"\b(?:each|every|all\s+(?:the|four|three))\s+(?:numbers?|cards?)\b|\bexactly\s+once\b"
    r"|\buse\s+(?:all|each|every)\b"
)
_INTERMEDIATE = re.compile(r"\bfirst\b|intermediate|milestone|stepping|sub-?goal|sub-?target")
_NOT_RESTATEMENT = re.compile(r"close\s+to|near|around|first|sub-?goal|plan|strategy|need\s+\d+\s+from|intermediate|"
                              r"milestone|stepping|immediate|suffices|enough\s+to|reduce")


def _number(group: str | None) -> int | None:
    try:
        return int(float(group)) if group else None
    except (ValueError, OverflowError):
        return None


class _Doc:
    """A prepared text: its clauses (lines), its words, and its cues' matches, found on demand."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.words = words(text)
        self.active = C.activate(text, self.words)  # per cue set, the cues whose words occur here
        self._accepted: dict[tuple, list[tuple[int, re.Match, re.Match | None]]] = {}  # by Cue.memo
        self.lines = text.split("\n")  # in C; clause i starts at starts[i]
        self.starts = [0, *accumulate(len(line) + 1 for line in self.lines[:-1])]
        self.n = len(self.lines)
        self._splits: dict[int, re.Match | None] = {}

    def __len__(self) -> int:
        return self.n

    def of(self, position: int) -> int:
        return bisect_right(self.starts, position) - 1

    def line(self, index: int) -> str:
        return self.lines[index]

    def continues(self, index: int) -> bool:
        """Clause ``index`` starts from the result the previous clause computed ("= 91, too big. 91 - 19")."""
        if index == 0:
            return False
        head = _LEADING_NUMBER.search(self.line(index))
        tail = _LAST_RESULT.search(self.line(index - 1))
        return bool(head and tail and head.group(1) == tail.group(1))

    def matches(self, cue: C.Cue) -> list[tuple[int, re.Match, re.Match | None]]:
        """The accepted matches of ``cue``: ``(position, match, match of cue.before)``; found once per
        text (a decomposition both votes for the target and is backward chaining)."""
        accepted = self._accepted.get(cue.memo)
        if accepted is None:
            accepted = self._accepted[cue.memo] = _accept(self.text, cue)
        return accepted

    def scan(self, cues: Sequence[C.Cue]) -> list[tuple[int, C.Cue, re.Match, re.Match | None]]:
        """Every accepted match of ``cues``: ``(position, cue, match, match of cue.before)``."""
        text, out = self.text, []
        for cue in cues:
            if cue.simple and not cue.shared:  # most cues: straight from the regex engine, nothing to keep
                out.extend([(match.start(), cue, match, None) for match in cue.pattern.finditer(text)])
            else:
                out.extend([(start, cue, match, context) for start, match, context in self.matches(cue)])
        return out

    def lines_of(self, cues: Sequence[C.Cue]) -> list[tuple[int, int]]:
        """``(line, position)`` of every accepted match of ``cues``."""
        text, starts, out = self.text, self.starts, []
        for cue in cues:
            if cue.simple and not cue.shared:
                out.extend([(bisect_right(starts, start) - 1, start)
                            for start in (match.start() for match in cue.pattern.finditer(text))])
            else:
                out.extend([(bisect_right(starts, start) - 1, start) for start, _, _ in self.matches(cue)])
        return out


def _accept(text: str, cue: C.Cue) -> list[tuple[int, re.Match, re.Match | None]]:
    """The matches that start a word (when the cue must) and have the required context before them."""
    if cue.before is None and cue.not_before is None and cue.key:  # most cues: nothing to check in Python
        if cue.bounded or not cue.word or not cue.key[0].isalpha():
            return [(match.start(), match, None) for match in cue.pattern.finditer(text)]
    out = []
    check_word = cue.word and not cue.bounded
    for match in cue.pattern.finditer(text):
        start = match.start()
        if text[start] == "\n":
            start += 1  # a clause-start cue belongs to the clause after the newline
        if check_word and start and text[start].isalpha() and text[start - 1].isalnum():
            continue  # inside a word: "another" is not "other"
        context = None
        if cue.before is not None or cue.not_before is not None:
            window = text[max(0, start - cue.window) : start]
            if cue.not_before is not None and cue.not_before.search(window):
                continue
            if cue.before is not None:
                context = cue.before.search(window)
                if context is None:
                    continue
        out.append((start, match, context))
    return out


def _value(match: re.Match, context: re.Match | None) -> int | None:
    """The number a cue captured (in its own pattern or in its ``before`` context)."""
    for found in (match, context):
        if found is not None:
            for group in found.groups():
                if group:
                    return _number(group)
    return None


def infer_target(text: str) -> int | None:
    """The number the reasoning in ``text`` aims at, by weighted votes ("target: 24" counts most)."""
    return _infer_target(_Doc(prepare(text)))


def _infer_target(doc: _Doc) -> int | None:
    prepared = doc.text
    first = _ARITH.search(prepared)
    first_arith = first.start() if first else len(prepared)
    votes: Counter[int] = Counter()
    for cue in doc.active["target_votes"]:
        if cue.early:
            for start, match, context in doc.matches(cue):
                value = _value(match, context)
                if start < first_arith and value is not None:
                    votes[value] += cue.weight
            continue
        if cue.before is None:  # findall runs in C; these cues match often ("= 12")
            for found, hits in Counter(cue.pattern.findall(prepared)).items():
                value = _number(found)
                if value is not None:
                    votes[value] += cue.weight * hits
            continue
        for _, match, context in doc.matches(cue):
            value = _value(match, context)
            if value is not None:
                votes[value] += cue.weight
    if first is not None:  # reasoning that opens by splitting a number ("63 = 60 + 3") starts from the target
        line_start = prepared.rfind("\n", 0, first.start()) + 1
        for split in _SPLIT.finditer(prepared, line_start, prepared.find("\n", first.start())):
            if split.start() <= first.start() < split.end():
                value = _number(split.group(1))
                if value is not None:
                    votes[value] += 3
                break
    if not votes:
        return None
    weight = max(votes.values())
    if weight < 2:
        return None  # one "= 26" says nothing about what the reasoning aims at
    tied = [value for value, votes_for in votes.items() if votes_for == weight]
    if len(tied) > 1:  # the number the text names first: the target is stated or split before sub-results
        tied.sort(key=lambda value: _first_mention(prepared, value))
    return tied[0]


def _first_mention(prepared: str, value: int) -> int:
    found = re.search(rf"(?<![\d.]){value}(?![\d])", prepared)
    return found.start() if found else len(prepared)


def count_behaviors(text: str, *, target: int | None = None) -> dict[str, int]:
    """Count instances of each behavior in ``text``; never raises on any string.

    Returns ``{"verification": n, "backtracking": n, "subgoal_setting": n, "backward_chaining": n}``.
    ``target`` (the problem's target number), when known, sharpens the restatement guard; by default
    it is inferred from the text. ``None`` counts as empty text.

    >>> count_behaviors("72 - 31 = 41, not 22. Let me try another way: 31 + 63 - 72 = 22. Correct!")
    {'verification': 2, 'backtracking': 1, 'subgoal_setting': 0, 'backward_chaining': 0}
    """
    if text is None:
        return empty_counts()
    if not isinstance(text, str):
        raise TypeError(f"count_behaviors expects a string, got {type(text).__name__}")
    prepared = prepare(text)
    if not prepared.strip():
        return empty_counts()
    return {name: len(lines) for name, lines in _instances(_Doc(prepared), target).items()}


def behavior_spans(text: str, *, target: int | None = None) -> dict[str, list[tuple[int, int]]]:
    """Where each instance is: per behavior, the ``(start, end)`` character offsets in ``text`` of the
    clause that holds it, in order. ``len(spans[name]) == count_behaviors(text)[name]``.

    >>> text = "72 - 31 = 41, not 22. Let me try another way: 31 + 63 - 72 = 22. Correct!"
    >>> [text[a:b] for a, b in behavior_spans(text)["backtracking"]]
    ['Let me try another way: 31 + 63 - 72 = 22.']
    """
    spans: dict[str, list[tuple[int, int]]] = {name: [] for name in empty_counts()}
    if text is None:
        return spans
    if not isinstance(text, str):
        raise TypeError(f"behavior_spans expects a string, got {type(text).__name__}")
    prepared, origin = prepare_mapped(text)
    if not prepared.strip():
        return spans
    doc = _Doc(prepared)
    for name, lines in _instances(doc, target).items():
        for line in sorted(lines):
            first = doc.starts[line]
            last = doc.starts[line + 1] - 2 if line + 1 < len(doc.starts) else len(prepared) - 1
            start, end = origin[first], origin[max(first, last)] + 1
            while start < end and text[start].isspace():
                start += 1
            while end > start and text[end - 1].isspace():
                end -= 1
            spans[name].append((start, end))
    return spans


def _instances(doc: _Doc, target: int | None) -> dict[str, set[int]]:
    """The clauses (line indices of ``doc``) holding an instance of each behavior."""
    prepared = doc.text
    known: list[int | None] = [] if target is None else [target]

    def get_target() -> int | None:  # inferred only when a cue needs it: most texts never do
        if not known:
            known.append(_infer_target(doc))
        return known[0]

    first = _next_attempt(prepared, 0)
    first_arith = first.start() if first else len(prepared)
    first_line = doc.of(first_arith)

    # Verification: any check at or after the first calculation (a check needs something to check).
    verify_lines: set[int] = set()
    last_fail: dict[int, int] = {}
    starts = doc.starts
    for start, cue, match, _ in doc.scan(doc.active["verify"]):
        line = bisect_right(starts, start) - 1
        if line < first_line and not cue.anchored:
            continue
        verify_lines.add(line)
        if cue.fail is True or (cue.fail is not False and cue.fail.search(match.group())):
            if start > last_fail.get(line, -1):
                last_fail[line] = start
    # A judged attempt ("that overshoots") is an attempt too: a switch may follow it. The target
    # split into a plan ("24 = 4 * 6") is not: "24 = 4 * 6. Try 11 - 5 = 6" switches nothing.
    first_attempt = min([_first_attempt(prepared, first, get_target), *last_fail.values()])
    switches = _backtracking(doc, first_attempt, last_fail, get_target)
    needed, goals = _subgoals(doc, first_arith, get_target)
    return {"verification": verify_lines, "backtracking": switches, "subgoal_setting": goals,
            "backward_chaining": _backward(doc, needed, get_target)}


def _next_attempt(prepared: str, position: int) -> re.Match | None:
    """The next calculation or stated result from ``position`` ("what gives 24?" asks, it states nothing)."""
    found = _ATTEMPT.search(prepared, position)
    while found is not None and prepared.endswith("what ", 0, found.start()):
        found = _ATTEMPT.search(prepared, found.end())
    return found


def _first_attempt(prepared: str, first: re.Match | None, get_target) -> int:
    """Where the first calculation that is not a split of the target starts (end of text if none)."""
    while first is not None:
        split = _target_split(prepared, first, get_target)
        if split is None:
            return first.start()
        first = _next_attempt(prepared, split.end())
    return len(prepared)


def _target_split(prepared: str, found: re.Match, get_target) -> re.Match | None:
    """The split of the target ("24 = 4 * 6") the calculation ``found`` belongs to, if it is one."""
    at = found.start()
    line_start = prepared.rfind("\n", 0, at) + 1
    if "=" not in prepared[max(line_start, at - 12) : found.end()]:
        return None  # a split writes "=" right after the target: within the match or just before it
    line_end = prepared.find("\n", at)
    for split in _SPLIT.finditer(prepared, line_start, line_end):
        if split.start() <= at < split.end():
            return split if _number(split.group(1)) == get_target() else None
    return None


def _backtracking(doc: _Doc, first_arith: int, last_fail: dict[int, int], get_target) -> set[int]:
    """Clauses that switch approach: explicit switches, weak ones that do not continue the previous
    result, and a fresh calculation right after a clause that judged an attempt a failure. A switch
    announced and then made ("Let me try another approach. Try 3 + 4 = 7") is one switch."""
    prepared, clauses = doc.text, doc
    switches: dict[int, int] = {}
    for line, start in doc.lines_of(doc.active["switch"]):
        if start > first_arith and start > switches.get(line, -1):
            switches[line] = start
    for line, start in doc.lines_of(doc.active["weak_switch"]):
        if start > first_arith and line not in switches and not clauses.continues(line):
            switches[line] = start
    lines = set(switches)
    for line, fail_at in last_fail.items():
        if line not in lines and _switches_within(clauses.lines[line], fail_at - clauses.starts[line]):
            lines.add(line)
        following = line + 1
        while following < clauses.n - 1 and following - line <= 2 and _fragment(clauses.lines[following]):
            following += 1  # "9 * 5 = 45, no. Hmm. 5 * 3 = 15": the switch is after the fragment
        if following >= clauses.n or following in lines:
            continue
        if line in switches and switches[line] > fail_at:
            continue  # "that fails, let me try ..." was counted in this clause already
        text = clauses.lines[following]
        if (_ARITH.search(text) and not _ANSWERISH.search(text) and not clauses.continues(following)
                and not (any(word in text for word in _SETTLING_WORDS) and _SETTLING.search(text))):
            lines.add(following)
    kept: set[int] = set()
    previous = None
    for line in sorted(lines):
        # something was tried since the last switch (a plan of the target is not a try); an announced
        # switch is made within a clause or two, so farther switches are separate without looking
        if previous is None or line - previous > 3 or _tried(prepared, clauses, previous, line, get_target):
            kept.add(line)
        previous = line
    return kept


def _switches_within(line: str, fail_at: int) -> bool:
    """After a failed check, the same clause starts a fresh calculation that does not continue from the
    last result ("= 24, not 60, so I went up: 4^3 - 4 = 60"; not "= 56, not 54, so 56 - 2 = 54")."""
    found = _FRESH.search(line, fail_at)  # "multiply by 3" after "8 is too small" works on the 8: not fresh
    if found is None:
        return False
    result = _LAST_RESULT.search(line[:fail_at])
    return bool(result and found.group(1) != result.group(1))


def _fragment(line: str) -> bool:
    """A clause too short to be a step of its own: "hmm.", "2.", "5 / ...", "ok so"."""
    return len(line) <= 12 and not _ARITH.search(line)


def _tried(prepared: str, clauses: _Doc, first: int, last: int, get_target) -> bool:
    """Clauses ``first`` to ``last - 1`` calculate something other than a split of the target."""
    end = clauses.starts[last]
    found = _ARITH.search(prepared, clauses.starts[first], end)  # one pass in C over the whole span
    while found is not None:
        split = _target_split(prepared, found, get_target)
        if split is None:
            return True
        found = _ARITH.search(prepared, split.end(), end)
    return False


def _subgoals(doc: _Doc, first_arith: int, get_target) -> tuple[set[int], set[int]]:
    """Goal language that does not restate the target, and needed numbers other than the target."""
    clauses = doc
    needed: set[int] = set()
    lines = set()
    for line, start in doc.lines_of(doc.active["subgoal"]):
        if line in lines:
            continue
        if not _restates_target(clauses.lines[line], get_target()):
            lines.add(line)
            goal = _NUMBER.search(doc.text, start, doc.starts[line + 1] if line + 1 < doc.n else len(doc.text))
            if goal is not None and _number(goal.group()) != get_target():
                needed.add(_number(goal.group()))  # "the stepping stone is 56": 56 is needed (then 56 = 7 * 8)
    for start, _, match, context in doc.scan(doc.active["need_number"]):
        value = _value(match, context)
        target = get_target()
        if value is None or (value == target and not _INTERMEDIATE.search(clauses.lines[clauses.of(start)])):
            continue  # "I need 24" restates the task; "get to 30 first" does not, whatever the target
        if start < first_arith and target is None:
            continue  # before any calculation and with no known target, "need N" is most likely the task
        line = clauses.of(start)
        if _RULE_RESTATEMENT.search(clauses.lines[line]):
            continue
        lines.add(line)
        needed.add(value)
    return needed, lines


def _backward(doc: _Doc, needed: set[int], get_target) -> set[int]:
    """Explicit backward language, or the target (or a value still needed) written as an operation
    to undo; numbers on a backward clause become needed in turn ("24 = 3 * 8", then "8 = 11 - 3")."""
    prepared, clauses = doc.text, doc
    lines = {line for line, _ in doc.lines_of(doc.active["backward"])}
    from_target = list(doc.scan(doc.active["from_target"]))
    decomposing = list(doc.scan(doc.active["decompose"]))
    if not from_target and not decomposing:
        return lines
    if get_target() is not None:
        needed.add(get_target())
    for start, _, match, context in from_target:
        if _value(match, context) in needed:
            lines.add(clauses.of(start))
    for line in lines:
        needed.update(_numbers(clauses.lines[line]))
    decompositions = []
    for start, _, match, context in decomposing:
        line = clauses.of(start)
        value_at = start - len(context.string) + context.start(1) if context else start
        if not _ends_expression(prepared, clauses.starts[line], value_at):
            decompositions.append((line, _value(match, context)))
    for _ in range(3):  # needed values propagate a few steps
        grew = False
        for line, value in decompositions:
            if value in needed and line not in lines and not _ANSWERISH.search(clauses.lines[line]):
                lines.add(line)
                needed.update(_numbers(clauses.lines[line]))
                grew = True
        if not grew:
            break
    return lines


def _numbers(line: str) -> Iterator[int]:
    for found in _NUMBER.findall(line):
        value = _number(found)
        if value is not None:
            yield value


def _ends_expression(prepared: str, line_start: int, position: int) -> bool:
    """The number at ``position`` ends an expression ("14 + 11 = 25"), rather than starting a clause or bullet."""
    before = prepared[line_start:position].rstrip()
    if not before or before[-1] not in "+-*/":
        return False
    return bool(before.strip("-*• "))  # "- 36 = 44 - 8" is a bullet, not "x - 36"


def _restates_target(line: str, target: int | None) -> bool:
    """A goal sentence that names the target (and is not "close to" it) restates the task."""
    if target is None or _NOT_RESTATEMENT.search(line):
        return False
    return target in set(_numbers(line))
