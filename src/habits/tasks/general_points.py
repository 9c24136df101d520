"""GeneralPoints: the 24-card game of "SFT Memorizes, RL Generalizes", with its rule variants.

Four cards, named by rank (``"A"``, ``"2"`` … ``"10"``, ``"J"``, ``"Q"``, ``"K"``); write a formula
equal to the target (24) using each card's value exactly once. Rule ``id`` counts J, Q and K as
10; rule ``ood`` counts them as 11, 12 and 13. Problems carry their rule, so a problem verifies the
same way whichever task object checks it. The answer is the paper's JSON (``"formula": "…"``, a
trailing ``=24`` allowed) or an ``<answer>`` block, whichever comes last.

Splits: ``train`` and ``test`` use the configured rule on disjoint hands; ``ood`` uses the other
rule, on held-out hands that contain at least one face card (where the rules differ).
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
from habits.tasks.base import (BadProblem, Task, Verdict, as_problem, held_out, last_tagged_answer, stable_choice,
                               whole_number)
from habits.tasks.solver import can_make, solutions

RANKS = ("A", "2", "3", "4", "5", "6", "7", "8", "9", "10", "J", "Q", "K")
SUITS = ("spades", "clubs", "hearts", "diamonds")
FACE_VALUES = {"id": {"J": 10, "Q": 10, "K": 10}, "ood": {"J": 11, "Q": 12, "K": 13}}
RULE_TEXT = {"id": "'J', 'Q', and 'K' all count as '10'", "ood": "'J', 'Q', and 'K' count as '11', '12', and '13'"}

# -- prompt templates ------------------------------------------------------------------------
_OUTPUT_JSON = ('{{\n  "cards": [x, y, z, w],\n  "number": [a, b, c, d],\n'
                '  "formula": "an equation that equals {target}"\n}}')
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
)

_FORMULA = re.compile(r"""["']formula["']\s*:\s*(?:"((?:[^"\\\n]|\\.){0,400})"|'((?:[^'\\\n]|\\.){0,400})')""")
_CARD_LETTER = re.compile(r"\b([AJQK])\b")


@dataclass
class GeneralPointsConfig:
    """GeneralPoints settings (defaults follow the paper: 4 cards from a deck, target 24, rule id)."""

    rule: str = "id"  # "id": J, Q, K = 10; "ood": J, Q, K = 11, 12, 13
    target: int = 24
    num_cards: int = 4
    draw: str = "deck"  # "deck": without replacement from 52 cards; "independent": ranks drawn independently
    suits: bool = False  # add a "suits" field to each problem (needed by the visual variant)
    test_fraction: float = 0.2  # share of hands held out from train (test and ood draw from them)
    template: int | str = 0  # template index, or "mixed"
    prompt_style: str = "base"  # "base": plain prompt text; "chat": a user message
    reward: str = "paper"  # "paper" (+5 / -1 / -2 / -3) or "binary"

    def __post_init__(self) -> None:
        if self.rule not in FACE_VALUES:
            raise ValueError(f"general_points: unknown rule {self.rule!r}; choose 'id' (J, Q, K = 10) "
                             "or 'ood' (J, Q, K = 11, 12, 13)")
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


def card_value(rank: str, rule: str) -> int:
    """Numeric value of a card rank under ``rule``."""
    if rank == "A":
        return 1
    return FACE_VALUES[rule].get(rank) or int(rank)


_VALUES = {rule: {rank: card_value(rank, rule) for rank in RANKS} for rule in FACE_VALUES}


@TASKS.register("general_points")
class GeneralPoints(Task):
    name = "general_points"
    config_class = GeneralPointsConfig
    reward_schemes: ClassVar[tuple[str, ...]] = ("paper", "binary")

    def __init__(self, config: GeneralPointsConfig) -> None:
        super().__init__(config)
        # Fail at construction, not hours into data generation: some hand must make the target.
        probe = random.Random(0)
        if all(self.sample(probe, "train") is None for _ in range(2000)):
            raise ValueError(f"general_points: no hand of {config.num_cards} cards makes {config.target} "
                             "in 2,000 draws; change target or num_cards")

    def _rule(self, split: str) -> str:
        if split != "ood":
            return self.config.rule
        return "ood" if self.config.rule == "id" else "id"

    def sample(self, rng: random.Random, split: str) -> dict[str, Any] | None:
        c = self.config
        if c.draw == "deck":
            deck = [(rank, suit) for suit in SUITS for rank in RANKS]
            drawn = rng.sample(deck, c.num_cards)
        else:
            drawn = [(rng.choice(RANKS), rng.choice(SUITS)) for _ in range(c.num_cards)]
        cards = [rank for rank, _ in drawn]
        rule = self._rule(split)
        if split == "ood" and not any(rank in "JQK" for rank in cards):
            return None
        key = ",".join(sorted(cards)) + f"|{c.target}"
        if held_out(key, c.test_fraction) != (split != "train"):
            return None
        if not can_make([card_value(rank, rule) for rank in cards], c.target):
            return None
        problem: dict[str, Any] = {"cards": cards, "target": c.target, "rule": rule}
        if c.suits:
            problem["suits"] = [suit for _, suit in drawn]
        return problem

    def key(self, problem: Mapping[str, Any]) -> str:
        return ",".join(sorted(problem["cards"])) + f"|{problem['target']}|{problem.get('rule', 'id')}"

    def prompt(self, problem: Mapping[str, Any]) -> str | list[dict[str, str]]:
        c = self.config
        template = (stable_choice(TEMPLATES, f"{problem['cards']}|{problem['target']}")
                    if c.template == "mixed" else TEMPLATES[c.template])
        text = template.format(cards=list(problem["cards"]), target=problem["target"],
                               rule=RULE_TEXT[problem.get("rule", c.rule)])
        return text if c.prompt_style == "base" else [{"role": "user", "content": text}]

    def values(self, problem: Mapping[str, Any]) -> list[int]:
        """The card values of ``problem`` under its rule."""
        table = _VALUES[problem.get("rule", self.config.rule)]
        return [table[rank] for rank in problem["cards"]]

    def normalize_problem(self, problem: dict[str, Any]) -> dict[str, Any]:
        cards, target, rule = problem.get("cards"), problem.get("target"), problem.get("rule", self.config.rule)
        if (type(target) is int and type(cards) is list and rule in FACE_VALUES
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
        if rule not in FACE_VALUES:
            raise BadProblem(f"rule must be 'id' or 'ood', got {rule!r}")
        return {**problem, "cards": ranks, "target": whole_number(self.field(problem, "target"), "target")}

    def verify(self, problem: Mapping[str, Any], completion: str) -> Verdict:
        problem = self.check_problem(problem)
        answer = _extract(completion)
        if answer is None:
            return Verdict(False, "no_answer", 'no "formula" field or <answer> block found')
        rule = problem.get("rule", self.config.rule)
        # A formula may name cards by letter ("K*2"); read them with the problem's rule.
        expression = split_equation(answer, int(problem["target"]))
        if any(letter in expression for letter in "AJQK"):
            expression = _CARD_LETTER.sub(lambda m: str(card_value(m.group(1), rule)), expression)
        result = evaluate(expression)
        if result.error is not None:
            return Verdict(False, result.error, result.detail, answer)
        values = self.values(problem)
        if sorted(result.numbers) != sorted(values):  # multisets, not sets
            given, used = Counter(values), Counter(result.numbers)
            extra, missing = used - given, given - used
            detail = "; ".join(filter(None, [
                extra and "used numbers not among the cards: " + ", ".join(map(str, sorted(extra.elements()))),
                missing and "did not use: " + ", ".join(map(str, sorted(missing.elements())))]))
            return Verdict(False, "wrong_numbers", detail, answer)
        if not result.equals(problem["target"]):
            return Verdict(False, "wrong_value", f"the formula equals {result.value}, not {problem['target']}", answer)
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
        formula = _FORMULA.match(text, anchor - 1)
        anchor = text.rfind("formula", 0, anchor)
    tagged = last_tagged_answer(text)
    if formula is None and tagged is None:
        return None
    if tagged is not None and (formula is None or tagged[0] > formula.start()):
        return tagged[1]
    assert formula is not None
    return (formula.group(1) if formula.group(1) is not None else formula.group(2)).strip()
