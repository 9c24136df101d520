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
:mod:`habits.behaviors.cues` whose words occur in the text then run over the *whole* text in C
(:mod:`habits.behaviors.document`), and matches are mapped to clause indices with ``bisect``.
The regular expressions here are written so that Python's engine can skip in C to where a match
may start (a literal or one character class first) and compiled for ASCII
(:mod:`habits.behaviors.patterns`); each is equivalent to its plain form, which the tests keep
(``tests/test_behaviors_fast_paths.py``). One clause contributes at most one
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
from collections import Counter
from itertools import chain, repeat

from habits.behaviors.document import START, Doc, clauses_of
from habits.behaviors.patterns import compile_ascii
from habits.behaviors.taxonomy import empty_counts
from habits.behaviors.text import MAX_CHARS, prepare_mapped, prepare_with_words

__all__ = ["MAX_CHARS", "behavior_spans", "count_behaviors", "infer_target"]

# A calculation or a stated result: checks and switches need an attempt before them.
_ATTEMPT = compile_ascii(
    r"\d\s*[-+*/]\s*\(?\s*\d|\d\s*=\s*-?\(?\d|\)\s*[-+*/=]\s*\(?\d"
    r"|(?:add|subtract|multiply|divide|times|plus|minus)\b[^\n]{0,20}?\d"
    r"|(?:gives|gave|got|makes|made|equals|yields)\s+(?:us\s+)?-?\d"
    r"|\b[a-z]\s*=\s*[-+(]?\s*\d"  # math prose states results about variables: "x = 4"
    # ... and announces attempts in words: "I tried L'Hopital's rule", "my first guess was"
    r"|\b(?:i|we)\s+(?:first\s+|initially\s+)?(?:tried|attempted|guessed|assumed)\b"
    r"|\bmy\s+(?:first\s+|initial\s+)?(?:guess|attempt|try)\b|\blet\s+(?:me|us)\s+(?:try|attempt)\b"
)
# A calculation: "3 * 8", "= 24", ") + 1", "multiply by 4". The patterns below that open with a
# look-behind read it after their first digit instead: the regex engine then skips in C to the next
# digit rather than trying the pattern at every position (the same matches, about twice as fast).
# ... or a clause that opens with one: "Tried parts with u = x -- dead end" (looked for only in a text
# with the word: a branch of _ATTEMPT would be tried at every position of every text)
_TRIED = compile_ascii(r"\n[^\w\n]*(?:tried|attempted)\b")
_ARITH = compile_ascii(
    r"\d\s*[-+*/]\s*\(?\s*\d|\d\s*=\s*-?\(?\d|\)\s*[-+*/=]\s*\(?\d"
    r"|(?:add|subtract|multiply|divide|times|plus|minus)\b[^\n]{0,20}?\d"
)
_NUMBER = compile_ascii(r"\d(?<![\d.]\d)\d*(?:\.\d+)?")  # a whole number: no digit or point before it
# "24 = 4 * 6": a number (not a result) written as one operation -- a plan when it is the target
# ("13 = 7 * 2 - 1" is a whole expression, an attempt).
_SPLIT = compile_ascii(r"(\d(?<![\d.)+*/-]\d)(?<![\d.)+*/-] \d)\d*) *= *\d+ *[-+*/] *\d+(?!\d|\.\d| *[-+*/(])")
# An answer rather than a step: "<answer>", a JSON field, a clause that opens a JSON object.
_ANSWER_FIELD = compile_ascii(r"\"(?:formula|answer|number)\"\s*:")
_OPENS_OBJECT = compile_ascii(r"\s*\{")
# Settling on an answer after the attempts ("I'll settle on 3 * 8 + 1, the nearest I got"), not trying.
_SETTLING = compile_ascii(r"\b(?:settle\s+on|go\s+with|came\s+closest|closest\s+was|nearest\s+i\s+got)\b")
_FRESH = compile_ascii(r"(\d(?<![\d.]\d)\d*(?:\.\d+)?)(?:\^\d+)?\s*[-+*/]\s*\(?\d")  # an expression's first number
_LEADING_NUMBER = compile_ascii(r"\D{0,30}?(\d+(?:\.\d+)?)")  # at the start of a clause (match, not search)
_SPLIT_BEFORE = compile_ascii(r"(\d+)\s*=\s*\(?")  # "28 = " before an expression that splits the 28
_RESULTS = compile_ascii(r"=\s*(\d+)\b(?!\.\d)")  # the results a clause states
# where a needed number is to come from: "4 more from the 2 and the 6", "11 avec 6, 2 et 2"
_FROM_GIVEN = compile_ascii(r"\s*(?:more\s+)?[.,:]?\s*(?:from|out\s+of|with|using|avec|aus|mit|con)\s+(?:the\s+)?\d")
_LAST_RESULT = compile_ascii(r"=\s*(\d+(?:\.\d+)?)(?!.*=)")  # the result a clause ends with
_RULE_RESTATEMENT = compile_ascii(
    r"\b(?:each|every|all\s+(?:the|four|three))\s+(?:numbers?|cards?)\b|\bexactly\s+once\b"
    r"|\buse\s+(?:all|each|every)\b"
)
_INTERMEDIATE = compile_ascii(r"\bfirst\b|intermediate|milestone|stepping|sub-?goal|sub-?target")
_NOT_RESTATEMENT = compile_ascii(r"close\s+to|near|around|first|\bthen\b|sub-?goal|plan|strategy|need\s+\d+\s+from|intermediate|"
                              r"milestone|stepping|immediate|suffices|enough\s+to|reduce")


_UNSET = object()
_NUMBERS: dict[str, int | None] = {}  # int(float(s)) is slow, and a text names the same numbers again and again


def _number(group: str | None) -> int | None:
    if not group:
        return None
    value = _NUMBERS.get(group, _UNSET)
    if value is _UNSET:
        try:
            value = int(float(group))
        except (ValueError, OverflowError):
            value = None
        if len(_NUMBERS) >= 100_000:
            _NUMBERS.clear()
        _NUMBERS[group] = value
    return value


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
    return _infer_target(Doc(*prepare_with_words(text)))


def _infer_target(doc: Doc) -> int | None:
    prepared = doc.text
    first = _ARITH.search(prepared)
    first_arith = first.start() if first else len(prepared)
    votes: dict[int, int] = {}
    for cue in doc.active["target_votes"]:
        weight = cue.weight
        if cue.early:  # only what is said before the first calculation (where the task is restated)
            for start, match, context in doc.matches_before(cue, first_arith):
                if start >= first_arith:
                    break
                value = _value(match, context)
                if value is not None:
                    votes[value] = votes.get(value, 0) + weight
            continue
        if cue.before is None:  # findall runs in C; these cues match often ("= 12")
            found = cue.pattern.findall(prepared)
            if len(found) > 4:  # ("= 12" again and again: counted in C)
                found = Counter(found).items()
            else:
                found = zip(found, repeat(1))
            for number, hits in found:
                value = _number(number)
                if value is not None:
                    votes[value] = votes.get(value, 0) + weight * hits
            continue
        for _, match, context in doc.matches(cue):
            value = _value(match, context)
            if value is not None:
                votes[value] = votes.get(value, 0) + weight
    if first is not None:  # reasoning that opens by splitting a number ("63 = 60 + 3") starts from the target
        line_start = prepared.rfind("\n", 0, first.start()) + 1
        for split in _SPLIT.finditer(prepared, line_start, prepared.find("\n", first.start())):
            if split.start() <= first.start() < split.end():
                value = _number(split.group(1))
                if value is not None:
                    votes[value] = votes.get(value, 0) + 3
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
    prepared, found = prepare_with_words(text)
    if not prepared.strip():
        return empty_counts()
    return {name: len(lines) for name, lines in _instances(Doc(prepared, found), target).items()}


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
    doc = Doc(prepared)
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


def _instances(doc: Doc, target: int | None) -> dict[str, set[int]]:
    """The clauses (line indices of ``doc``) holding an instance of each behavior."""
    prepared = doc.text
    known: list[int | None] = [] if target is None else [target]

    def get_target() -> int | None:  # inferred only when a cue needs it: most texts never do
        if not known:
            known.append(_infer_target(doc))
        return known[0]

    first = _next_attempt(prepared, 0)
    if "tried" in doc.words or "attempted" in doc.words:
        tried = _TRIED.search(prepared, 0, first.start() if first else len(prepared))
        first = tried or first
    first_arith = first.start() if first else len(prepared)
    first_line = doc.of(first_arith)

    # Verification: any check at or after the first calculation (a check needs something to check).
    verify_lines: set[int] = set()
    last_fail: dict[int, int] = {}  # (in the order the clauses were first judged failures: it matters below)
    starts = doc.starts
    first_start = starts[first_line]  # a match before it is in a clause before the first calculation
    for cue in doc.active["verify"]:
        fail, anchored = cue.fail, cue.anchored
        if cue.direct and fail is False:  # most checks: only their clauses matter, found in C
            found = cue.pattern.search(prepared)  # most find nothing: one call says so
            if found is not None:
                found = chain((found.start(),), map(START, cue.pattern.finditer(prepared, found.end())))
                verify_lines.update(clauses_of(starts, found if anchored else filter(first_start.__le__, found)))
            continue
        for start, match, _ in doc.matches(cue):
            if start < first_start and not anchored:
                continue
            line = bisect_right(starts, start) - 1
            verify_lines.add(line)
            if fail is True or (fail is not False and fail.search(match.group())):
                if start > last_fail.get(line, -1):
                    last_fail[line] = start
    # A judged attempt ("that overshoots") is an attempt too: a switch may follow it. The target
    # split into a plan ("24 = 4 * 6") is not: "24 = 4 * 6. Try 11 - 5 = 6" switches nothing.
    first_attempt = min([_first_attempt(prepared, first, get_target), *last_fail.values()])
    switches = _backtracking(doc, first_attempt, last_fail, get_target)
    needed, goals, remainders = _subgoals(doc, first_arith, get_target)
    return {"verification": verify_lines, "backtracking": switches, "subgoal_setting": goals,
            "backward_chaining": _backward(doc, needed, get_target) | remainders}


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


def _backtracking(doc: Doc, first_arith: int, last_fail: dict[int, int], get_target) -> set[int]:
    """Clauses that switch approach: explicit switches, weak ones that do not continue the previous
    result, and a fresh calculation right after a clause that judged an attempt a failure. A switch
    announced and then made ("Let me try another approach. Try 3 + 4 = 7") is one switch."""
    prepared, clauses, texts, n = doc.text, doc, doc.lines, doc.n
    switches: dict[int, int] = {}  # clause -> where its (last) switch starts
    starts = doc.starts
    for cue in doc.active["switch"]:
        for start in doc.positions(cue):
            if start > first_arith:
                line = bisect_right(starts, start) - 1
                if start > switches.get(line, -1):
                    switches[line] = start
    for line, start in doc.firsts(doc.active["weak_switch"], first_arith).items():
        if line not in switches and not _continues(clauses, line):
            switches[line] = start
    lines = set(switches)
    for line, fail_at in last_fail.items():
        if line not in lines and _switches_within(texts[line], fail_at - clauses.starts[line]):
            lines.add(line)
        following = line + 1
        while following < n - 1 and following - line <= 2 and _fragment(texts[following]):
            following += 1  # "9 * 5 = 45, no. Hmm. 5 * 3 = 15": the switch is after the fragment
        if following >= n or following in lines:
            continue
        if line in switches and switches[line] > fail_at:
            continue  # "that fails, let me try ..." was counted in this clause already
        text = texts[following]
        if (_ARITH.search(text) and not _answerish(text) and not _continues(clauses, following, get_target)
                and not (("settle" in text or "go with" in text or "closest" in text or "nearest" in text)
                         and _SETTLING.search(text))):
            lines.add(following)
    kept: set[int] = set()
    previous = None
    for line in sorted(lines):
        if texts[line - 1].startswith(texts[line]):
            continue  # the previous clause again, or its start: a loop of repeated text switches nothing
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
    if not result or found.group(1) == result.group(1):
        return False
    # the gap the check named, split: "= 840, which is 28 too much, and 28 = 2 * 14" works on the 28
    split = _SPLIT_BEFORE.search(line, result.end(), found.start())
    return not (split and split.end() == found.start()
                and re.search(rf"(?<![\d.]){split.group(1)}(?![\d.])", line[result.end():split.start()]))


def _continues(doc: Doc, index: int, get_target=None) -> bool:
    """Clause ``index`` starts from the result the previous clause computed ("= 91, too big. 91 - 19");
    with ``get_target``, a clause that starts from the target reached by a failed attempt starts over
    from the target ("= 96 but 11 left. 96 - 50 = 46, so ...")."""
    if index == 0:
        return False
    head = _LEADING_NUMBER.match(doc.lines[index])
    if head is None:
        return False
    tail = _LAST_RESULT.search(doc.lines[index - 1])
    if tail is None or head.group(1) != tail.group(1):
        return False
    return get_target is None or _number(head.group(1)) != get_target()


def _answerish(line: str) -> bool:
    """The clause gives an answer ("<answer>", a JSON field or object) rather than a step."""
    return "<answer>" in line or _ANSWER_FIELD.search(line) is not None or _OPENS_OBJECT.match(line) is not None


def _fragment(line: str) -> bool:
    """A clause too short to be a step of its own: "hmm.", "2.", "5 / ...", "ok so", "j as 10 then."."""
    return len(line) <= 16 and _ARITH.search(line) is None


def _tried(prepared: str, clauses: Doc, first: int, last: int, get_target) -> bool:
    """Clauses ``first`` to ``last - 1`` calculate something other than a split of the target."""
    end = clauses.starts[last]
    found = _ARITH.search(prepared, clauses.starts[first], end)  # one pass in C over the whole span
    while found is not None:
        split = _target_split(prepared, found, get_target)
        if split is None:
            return True
        found = _ARITH.search(prepared, split.end(), end)
    return False


def _subgoals(doc: Doc, first_arith: int, get_target) -> tuple[set[int], set[int], set[int]]:
    """Goal language that does not restate the target, and needed numbers other than the target; and
    the clauses whose needed number is what a result still lacks to make the target, to be made from
    given numbers ("10 + 10 = 20, and then I need 4 more from the 2 and the 6"): the target undone by
    one operation, backward chaining as "24 / 4 = 6, so I need 6 from the rest" is."""
    remainders: set[int] = set()
    clauses = doc
    needed: set[int] = set()
    lines = set()
    for line, start in doc.firsts(doc.active["subgoal"]).items():
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
        text = clauses.lines[line]
        if ("each" in text or "every" in text or "all" in text or "exactly" in text or "use" in text) \
                and _RULE_RESTATEMENT.search(text):
            continue
        lines.add(line)
        needed.add(value)
        if target is not None and line not in remainders:
            results = _RESULTS.findall(text, 0, start - doc.starts[line])
            if results and _undoes(_number(results[-1]), value, target) and _made_next(doc, match.end(), line, value):
                remainders.add(line)
    return needed, lines, remainders


def _made_next(doc: Doc, end: int, line: int, value: int) -> bool:
    """The needed ``value`` is to come from given numbers: said so ("4 more from the 2 and the 6", also
    as the next clause: "2 are missing. From 7 and 6 ..."), or made by the next calculation of this
    clause or the next ("6 short, and 3 * 2 = 6")."""
    if _FROM_GIVEN.match(doc.text, end):
        return True
    stop = doc.starts[line + 2] if line + 2 < doc.n else len(doc.text)
    return any(_number(result) == value for result in _RESULTS.findall(doc.text, end, stop))


def _undoes(result: int | None, value: int, target: int) -> bool:
    """``value`` is what ``result`` lacks to make ``target`` by one operation."""
    return result is not None and target in (result + value, result - value, result * value,
                                              result // value if value and result % value == 0 else None)


def _backward(doc: Doc, needed: set[int], get_target) -> set[int]:
    """Explicit backward language, or the target (or a value still needed) written as an operation
    to undo; numbers on a backward clause become needed in turn ("24 = 3 * 8", then "8 = 11 - 3")."""
    prepared, clauses = doc.text, doc
    lines: set[int] = set()
    for cue in doc.active["backward"]:
        for start in doc.positions(cue):
            lines.add(bisect_right(doc.starts, start) - 1)
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
            if value in needed and line not in lines and not _answerish(clauses.lines[line]):
                lines.add(line)
                needed.update(_numbers(clauses.lines[line]))
                grew = True
        if not grew:
            break
    return lines


def _numbers(line: str) -> list[int]:
    return [value for value in map(_number, _NUMBER.findall(line)) if value is not None]


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
