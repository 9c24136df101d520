"""GeneralPoints: the 24-card game of "SFT Memorizes, RL Generalizes", with its rule variants.

Four cards, named by rank (``"A"``, ``"2"`` … ``"10"``, ``"J"``, ``"Q"``, ``"K"``); write a formula
equal to the target (24) using each card's value exactly once. Rule ``id`` counts J, Q and K as
10; rule ``ood`` counts them as 11, 12 and 13. Problems carry their rule, so a problem verifies the
same way whichever task object checks it. The answer is the paper's JSON (``"formula": "…"``, a
trailing ``=24`` allowed) or an ``<answer>`` block, whichever comes last.

Splits: ``train`` and ``test`` use the configured rule on disjoint hands; ``ood`` uses the other
rule, on held-out hands that contain at least one face card (where the rules differ). Rule
``varied`` makes training data that can only be solved by reading the rule: each train problem
draws its own J, Q, K values (``"faces"``, 1-13, never the id or ood values) and its prompt states
them; its test and ood splits are the id and ood rules.

``modality="image"`` (GP-VL) shows the cards as a picture (:mod:`habits.tasks.cards`) in the
transformers / TRL multimodal message format and asks the model to state the cards it sees: a
wrong ``"cards"`` list is the verdict ``wrong_cards`` (the paper's -1.5). Train and test hands are
black (spades, clubs); with ``ood="visual"`` the ood split keeps the rule and deals red hands
(hearts, diamonds), the paper's visual OOD split. Reward schemes: ``paper`` (the paper's table),
``binary``, and ``released`` (the released code's reward, :mod:`habits.tasks.general_points_released`).
"""

from __future__ import annotations

import random
import re
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

from habits.arith import evaluate, split_equation
from habits.tasks import TASKS
from habits.tasks.base import (REASONS, REWARD_SCHEMES, BadProblem, Verdict, as_problem, has_closing_tag, held_out,
                               last_tagged_answer, stable_choice, whole_number)
from habits.tasks.numbers import NumberTask
from habits.tasks.solver import can_make, solutions

RANKS = ("A", "2", "3", "4", "5", "6", "7", "8", "9", "10", "J", "Q", "K")
SUITS = ("spades", "clubs", "hearts", "diamonds")
FACE_VALUES = {"id": {"J": 10, "Q": 10, "K": 10}, "ood": {"J": 11, "Q": 12, "K": 13}}
RULE_TEXT = {"id": "'J', 'Q', and 'K' all count as '10'", "ood": "'J', 'Q', and 'K' count as '11', '12', and '13'"}
# rule "varied": each train problem carries its own face values ("faces": [J, Q, K], drawn from 1-13),
# stated in its prompt -- data that can only be solved by reading the rule. Never the id or ood values.
VARIED = "varied"
_FIXED_FACES = {tuple(FACE_VALUES[rule][rank] for rank in "JQK") for rule in FACE_VALUES}

# -- prompt templates ------------------------------------------------------------------------
_OUTPUT_JSON = "{answer_format}"  # the JSON the answer must take, with one placeholder per card (answer_format())
TEMPLATES = (
    "[Task Description]\nYou are an expert 24 points card game player. You are given four cards. "
    "Note that {rule}, 'A' counts as '1', and each card must be used once. Your goal is to output a formula "
    "that evaluates to {target} using numbers from the cards and operators such as '+', '-', '*', '/', '(', "
    "')', and '='.\n\n[Input]\nCards: {cards}\n\n[Output]\nYour response should be a valid JSON object:\n"
    + _OUTPUT_JSON,
    "You play the card game '{target} points'. Cards: {cards}. Rules: {rule}; 'A' is '1'; use every card "
    "exactly once with + - * / and parentheses so that the result is {target}.\nReply with JSON of this form:\n"
    + _OUTPUT_JSON,
    "[Cards]\n{cards}\n[Rules]\n{rule}; an ace is 1. Use each card's value once and only +, -, *, / and "
    "parentheses to reach {target}.\n[Answer format]\n" + _OUTPUT_JSON,
    "Here are four playing cards: {cards}. In this game {rule} and 'A' counts as '1'. Write a formula "
    "using each card exactly once that equals {target}. Think first if you like, then give the formula as "
    "JSON:\n" + _OUTPUT_JSON,
    # Compact, with each face card's value written out: for small models (a short prompt, and a rule
    # read by looking a card up rather than by matching positions in a sentence).
    "Cards: {cards}\nValues: {values}\nUse each card once with + - * / and parentheses to make {target}. "
    "Answer as JSON:\n" + _OUTPUT_JSON,
)


def answer_format(num_cards: int, target: int) -> str:
    """The JSON answer shape the prompts show: one placeholder per card (the paper's four: x, y, z, w)."""
    cards = ", ".join("xyzwv"[i] for i in range(num_cards))
    numbers = ", ".join("abcde"[i] for i in range(num_cards))
    return ('{\n  "cards": [' + cards + '],\n  "number": [' + numbers + '],\n'
            f'  "formula": "an equation that equals {target}"\n}}')


def value_table(problem: Mapping[str, Any], rule: str) -> str:
    """``A=1 J=10 Q=10 K=10`` for ``problem`` (the compact template's rule)."""
    table = face_table(problem, rule)
    return " ".join(f"{rank}={table[rank]}" for rank in ("A", "J", "Q", "K"))


def rule_text(problem: Mapping[str, Any], rule: str) -> str:
    """The prompt's sentence for the face-card values of ``problem``."""
    if "faces" not in problem:
        return RULE_TEXT[rule]
    j, q, k = problem["faces"]
    return f"'J', 'Q', and 'K' count as '{j}', '{q}', and '{k}'"


def face_table(problem: Mapping[str, Any], rule: str) -> dict[str, int]:
    """Every rank's value in ``problem``: its own ``faces`` when it has them, else its rule's."""
    faces = problem.get("faces")
    if faces is None:
        return _VALUES[rule]
    return {**_VALUES["id"], "J": faces[0], "Q": faces[1], "K": faces[2]}

VL_TEMPLATE = (
    "[Task Description]\nYou are an expert 24 points card game player. You are observing the four cards in the "
    "image. Note that {rule}, 'A' counts as '1', and each card must be used once. Your goal is to output a formula "
    "that evaluates to {target} using numbers from the cards and operators such as '+', '-', '*', '/', '(', "
    "')', and '='.\n\n[Output]\nYour response should be a valid JSON object, with \"cards\" the cards you see:\n"
    + _OUTPUT_JSON)

_FORMULA = re.compile(r"""["']formula["']\s*:\s*(?:"((?:[^"\\\n]|\\.){0,400})"|'((?:[^'\\\n]|\\.){0,400})')""")
# The same match when the value is double-quoted without escapes (nearly always): ~10x faster.
_PLAIN_FORMULA = re.compile(r"""["']formula["']\s*:\s*"([^"\\\n]{0,400})""" + '"')
_CARD_LETTER = re.compile(r"\b([AJQK])\b")


@dataclass
class GeneralPointsConfig:
    """GeneralPoints settings (defaults follow the paper: 4 cards from a deck, target 24, rule id)."""

    rule: str = "id"  # "id": J, Q, K = 10; "ood": 11, 12, 13; "varied": train problems state their own values
    target: int = 24
    num_cards: int = 4
    draw: str = "deck"  # "deck": without replacement from 52 cards; "independent": ranks drawn independently
    suits: bool = False  # add a "suits" field to each problem (needed by the visual variant)
    test_fraction: float = 0.2  # share of hands held out from train (test and ood draw from them)
    template: int | str = 0  # template index, or "mixed"
    prompt_style: str = "base"  # "base": plain prompt text; "chat": a user message
    reward: str = "paper"  # "paper" (+5 / -1 / -2 / -3, -1.5 misread cards), "binary", or "released" (the code's)
    modality: str = "text"  # "text": cards named in the prompt; "image": cards shown in a picture (GP-VL)
    ood: str = "rule"  # what the ood split varies: "rule" (face-card values) or "visual" (red suits; image only)
    unary_minus: bool = True  # accept a minus sign in front of a number ("-1 + 5*5"); False: strict rule

    def __post_init__(self) -> None:
        if self.rule not in (*FACE_VALUES, VARIED):
            raise ValueError(f"general_points: unknown rule {self.rule!r}; choose 'id' (J, Q, K = 10), "
                             "'ood' (J, Q, K = 11, 12, 13) or 'varied' (train problems state their own values)")
        if self.draw not in ("deck", "independent"):
            raise ValueError(f"general_points: draw must be 'deck' or 'independent', got {self.draw!r}")
        if not 2 <= self.num_cards <= 5:
            raise ValueError(f"general_points: num_cards must be 2..5, got {self.num_cards}")
        if not 0.0 < self.test_fraction < 1.0:
            raise ValueError(f"general_points: test_fraction must be between 0 and 1, got {self.test_fraction}")
        if self.prompt_style not in ("base", "chat"):
            raise ValueError(f"general_points: prompt_style must be 'base' or 'chat', got {self.prompt_style!r}")
        if self.template != "mixed" and not (isinstance(self.template, int) and 0 <= self.template < len(TEMPLATES)):
            raise ValueError(f"general_points: template must be 0..{len(TEMPLATES) - 1} or 'mixed'")
        if self.modality not in ("text", "image"):
            raise ValueError(f"general_points: modality must be 'text' or 'image', got {self.modality!r}")
        if self.ood not in ("rule", "visual") or (self.ood == "visual" and self.modality != "image"):
            raise ValueError(f"general_points: ood must be 'rule' or (with modality image) 'visual', got {self.ood!r}")


def card_value(rank: str, rule: str) -> int:
    """Numeric value of a card rank under ``rule``."""
    if rank == "A":
        return 1
    return FACE_VALUES[rule].get(rank) or int(rank)


_VALUES = {rule: {rank: card_value(rank, rule) for rank in RANKS} for rule in FACE_VALUES}


@TASKS.register("general_points")
class GeneralPoints(NumberTask):
    name = "general_points"
    config_class = GeneralPointsConfig
    reward_schemes: ClassVar[tuple[str, ...]] = ("paper", "binary", "released")
    reasons = (*REASONS, "wrong_cards")
    reward_tables: ClassVar[dict[str, dict[str, float]]] = {
        "paper": {**REWARD_SCHEMES["paper"], "wrong_cards": -1.5},
        "binary": {**REWARD_SCHEMES["binary"], "wrong_cards": 0.0},
        # single-fault values; the released scheme adds faults together and gives partial credit (reward())
        "released": {**REWARD_SCHEMES["paper"], "wrong_cards": -1.5},
    }
    description = "the 24-points card game: combine the four card values with + - * / (each card once) to make the target"
    variants = "modality text or image; rule id/ood; ood split: rule, or visual (red suits, image)"
    paper_generation_factor = 6.0  # the SFT-vs-RL paper's lambda for GeneralPoints

    def __init__(self, config: GeneralPointsConfig) -> None:
        super().__init__(config)
        # Fail at construction, not hours into data generation: some hand must make the target.
        probe = random.Random(0)
        if all(self.sample(probe, "train") is None for _ in range(2000)):
            raise ValueError(f"general_points: no hand of {config.num_cards} cards makes {config.target} "
                             "in 2,000 draws; change target or num_cards")

    def _rule(self, split: str) -> str:
        if self.config.rule == VARIED:  # varied values are for training data; evaluation uses the fixed rules
            return VARIED if split == "train" else "ood" if split == "ood" else "id"
        if split != "ood" or self.config.ood == "visual":
            return self.config.rule
        return "ood" if self.config.rule == "id" else "id"

    def sample(self, rng: random.Random, split: str) -> dict[str, Any] | None:
        c = self.config
        image = c.modality == "image"
        suits = (SUITS if not image else ("hearts", "diamonds") if split == "ood" and c.ood == "visual"
                 else ("spades", "clubs"))
        if c.draw == "deck":
            deck = [(rank, suit) for suit in suits for rank in RANKS]
            drawn = rng.sample(deck, c.num_cards)
        else:
            drawn = [(rng.choice(RANKS), rng.choice(suits)) for _ in range(c.num_cards)]
        cards = [rank for rank, _ in drawn]
        rule = self._rule(split)
        if split == "ood" and c.ood == "rule" and not any(rank in "JQK" for rank in cards):
            return None
        key = ",".join(sorted(cards)) + f"|{c.target}"
        if held_out(key, c.test_fraction) != (split != "train"):
            return None
        problem: dict[str, Any] = {"cards": cards, "target": c.target, "rule": rule}
        if rule == VARIED:
            faces = tuple(rng.randint(1, 13) for _ in "JQK")
            while faces in _FIXED_FACES:
                faces = tuple(rng.randint(1, 13) for _ in "JQK")
            problem["faces"] = list(faces)
        if not can_make(self.values(problem), c.target):
            return None
        if c.suits or image:
            problem["suits"] = [suit for _, suit in drawn]
        return problem

    def key(self, problem: Mapping[str, Any]) -> str:
        red = self.config.modality == "image" and any(s in ("hearts", "diamonds") for s in problem.get("suits", ()))
        faces = f"|{','.join(map(str, problem['faces']))}" if "faces" in problem else ""
        return (",".join(sorted(problem["cards"])) + f"|{problem['target']}|{problem.get('rule', 'id')}" + faces
                + "|red" * red)

    def prompt(self, problem: Mapping[str, Any]) -> str | list[dict[str, str]]:
        c = self.config
        if c.modality == "image":  # always messages: the processor's chat template places the image tokens
            text = VL_TEMPLATE.format(target=problem["target"], rule=rule_text(problem, problem.get("rule", c.rule)),
                                      answer_format=answer_format(len(problem["cards"]), problem["target"]))
            return [{"role": "user", "content": [{"type": "image"}, {"type": "text", "text": text}]}]
        template = (stable_choice(TEMPLATES, f"{problem['cards']}|{problem['target']}")
                    if c.template == "mixed" else TEMPLATES[c.template])
        rule = problem.get("rule", c.rule)
        text = template.format(cards=list(problem["cards"]), target=problem["target"], rule=rule_text(problem, rule),
                               values=value_table(problem, rule),
                               answer_format=answer_format(len(problem["cards"]), problem["target"]))
        return text if c.prompt_style == "base" else [{"role": "user", "content": text}]

    def values(self, problem: Mapping[str, Any]) -> list[int]:
        """The card values of ``problem`` under its rule."""
        table = face_table(problem, problem.get("rule", self.config.rule))
        return [table[rank] for rank in problem["cards"]]

    def normalize_problem(self, problem: dict[str, Any]) -> dict[str, Any]:
        cards, target, rule = problem.get("cards"), problem.get("target"), problem.get("rule", self.config.rule)
        if (type(target) is int and type(cards) is list and rule in FACE_VALUES and "faces" not in problem
                and not [c for c in cards if type(c) is not str or c not in _RANK_SET]):
            return problem  # the common case, kept cheap: verify runs this on every reward
        problem = as_problem(problem)  # null fields dropped (a null rule means the configured one)
        rule = problem.get("rule", self.config.rule)
        cards = self.field(problem, "cards")
        if hasattr(cards, "tolist"):
            cards = cards.tolist()
        if not isinstance(cards, (list, tuple)) or not cards:
            raise BadProblem(f"cards must be a non-empty list of ranks ({', '.join(RANKS)}), got {cards!r}")
        ranks = [_rank(card, index) for index, card in enumerate(cards)]
        out = {**problem, "cards": ranks, "target": whole_number(self.field(problem, "target"), "target")}
        if rule == VARIED or "faces" in problem:
            faces = problem.get("faces")
            if (not isinstance(faces, (list, tuple)) or len(faces) != 3
                    or not all(type(v) is int and 1 <= v <= 13 for v in faces)):
                raise BadProblem(f"faces must be the values of J, Q and K (three whole numbers 1-13), got {faces!r}")
            out["faces"] = list(faces)
        elif rule not in FACE_VALUES:
            raise BadProblem(f"rule must be 'id', 'ood' or 'varied' (with faces), got {rule!r}")
        return out

    def verify(self, problem: Mapping[str, Any], completion: str) -> Verdict:
        problem = self.check_problem(problem)
        if self.config.modality == "image":
            from habits.tasks.cards import normalise_rank

            seen = _last_cards(completion)
            if seen is None or sorted(map(normalise_rank, seen)) != sorted(problem["cards"]):
                return Verdict(False, "wrong_cards", "you recognized wrong cards", _extract(completion))
        answer = _extract(completion)
        if answer is None:
            return Verdict(False, "no_answer", 'no "formula" field or <answer> block found')
        rule = problem.get("rule", self.config.rule)
        target = problem["target"]
        # A formula may name cards by letter ("K*2"); read them with the problem's rule.
        expression = split_equation(answer, int(target))
        table = face_table(problem, rule)
        if "A" in expression or "J" in expression or "Q" in expression or "K" in expression:
            expression = _CARD_LETTER.sub(lambda m: str(table[m.group(1)]), expression)
        result = evaluate(expression, unary_minus=self.config.unary_minus)
        if result.error is not None:
            return Verdict(False, result.error, result.detail, answer)
        values = sorted(map(table.__getitem__, problem["cards"]))
        used = sorted(result.numbers)
        if used != values:  # multisets, not sets
            return Verdict(False, "wrong_numbers", lambda: _numbers_detail(values, used), answer)
        if not result.equals(target):
            return Verdict(False, "wrong_value", lambda: f"the formula equals {result.value}, not {target}", answer)
        return Verdict(True, "correct", "", answer)

    def format_answer(self, problem: Mapping[str, Any], expression: str) -> str:
        problem = self.check_problem(problem)
        cards = ", ".join(f'"{card}"' for card in problem["cards"])
        numbers = ", ".join(map(str, self.values(problem)))
        return ('{\n  "cards": [' + cards + '],\n  "number": [' + numbers + '],\n  "formula": "'
                + f'{expression} = {problem["target"]}' + '"\n}')

    def solve(self, problem: Mapping[str, Any]) -> list[str]:
        problem = self.check_problem(problem)
        return solutions(self.values(problem), problem["target"])

    def trace_numbers(self, problem: Mapping[str, Any]) -> tuple[list[int], list[str] | None]:
        return self.values(problem), list(problem["cards"])

    def fewest_numbers(self) -> int:
        return self.config.num_cards

    def more_numbers_hint(self) -> str:
        return "set num_cards=3 or more"

    def describe(self, problem: Mapping[str, Any]) -> str:
        return f"The cards were {list(problem['cards'])} and the target was {problem.get('target', 24)}."

    @property
    def shows_images(self) -> bool:
        return self.config.modality == "image"

    def images(self, problem: Mapping[str, Any]) -> list[Any]:
        if self.config.modality != "image":
            return []
        from habits.tasks.cards import hand_image

        return [hand_image(problem)]

    def score(self, problem: Mapping[str, Any] | None, completion: str, verdict: Verdict) -> float:
        if self.config.reward == "released" and problem is not None:
            # The released code's scheme reads the first answer and adds penalties: not a function
            # of habits' verdict alone.
            from habits.tasks.general_points_released import reward_for

            return reward_for(self, self.check_problem(problem), completion)
        return super().score(problem, completion, verdict)

    def feedback(self, verdict: Verdict) -> str:
        return verdict.detail.rstrip(".") if verdict.reason == "wrong_cards" else super().feedback(verdict)

    def perturbations(self, problem: Mapping[str, Any], answer: str) -> list[tuple[str, str]]:
        out = super().perturbations(problem, answer)
        if self.config.modality == "image":
            right = self.format_answer(problem, answer)
            misread = "Q" if problem["cards"][0] != "Q" else "K"
            out = [(r, t) for r, t in out if r != "no_answer"]  # without a card list, the reading is wrong first
            out.append(("wrong_cards", right.replace(f'"{problem["cards"][0]}"', f'"{misread}"', 1)))
        return out


_CARDS = re.compile(r"""["']cards["']\s*:\s*\[([^\]\n]{0,200})\]""")


def _last_cards(text: str) -> list[str] | None:
    """The last ``"cards": [...]`` list in ``text`` (items as written), or None."""
    anchor = len(text)
    while (anchor := text.rfind("cards", 0, anchor)) > 0:
        match = _CARDS.match(text, anchor - 1)
        if match:
            return [item for item in match.group(1).split(",") if item.strip()]
    return None


def _numbers_detail(values: list[int], used: list[int]) -> str:
    extra, missing = Counter(used) - Counter(values), Counter(values) - Counter(used)
    return "; ".join(filter(None, [
        extra and "used numbers not among the cards: " + ", ".join(map(str, sorted(extra.elements()))),
        missing and "did not use: " + ", ".join(map(str, sorted(missing.elements())))]))


_RANK_SET = frozenset(RANKS)


def _rank(card: Any, index: int) -> str:
    """A card rank: one of RANKS, or a number card given as 2..10 (int, 7.0 or "07")."""
    if isinstance(card, str) and card.strip().upper() in _RANK_SET:
        return card.strip().upper()
    try:
        value = whole_number(card, f"cards[{index}]")
    except BadProblem:
        value = None
    if value is not None and 2 <= value <= 10:
        return str(value)
    raise BadProblem(f"cards[{index}] must be a rank ({', '.join(RANKS)}), got {card!r}")


def _extract(text: str) -> str | None:
    """The last answer in ``text``: a JSON ``"formula"`` value or an ``<answer>`` block."""
    formula = None
    # Scan only from the last mention of "formula": the JSON answer is normally at the very end.
    anchor = text.rfind("formula")
    while anchor > 0 and formula is None:
        formula = _PLAIN_FORMULA.match(text, anchor - 1) or _FORMULA.match(text, anchor - 1)
        anchor = text.rfind("formula", 0, anchor)
    if formula is not None and not has_closing_tag(text, formula.start()):
        tagged = None  # no <answer> block can start after the formula (the common case: skip the full scan)
    else:
        tagged = last_tagged_answer(text)
    if formula is None and tagged is None:
        return None
    if tagged is not None and (formula is None or tagged[0] > formula.start()):
        return tagged[1]
    assert formula is not None
    return (formula.group(1) if formula.group(1) is not None else formula.group(2)).strip()
