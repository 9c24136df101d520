"""Navigation: the V-IRL-style route-following task of "SFT Memorizes, RL Generalizes".

A problem is a route (plain JSON): its instructions in the paper's style and its decision points,
each with the observation there and the one correct action in both action spaces. An episode on a
route is its decisions in order (:meth:`Navigation.steps`); at each, the model sees the
instructions, the observations and actions so far and the current observation, and answers with
one action in JSON (``"action": "turn_direction(east)"``). Route success = every decision correct.

Variants (the paper's rule split): ``actions="absolute"`` (8 compass headings) trains and tests ID;
the ``ood`` split asks the other action space (``relative``: left, right, slightly left, slightly
right, turn around) on held-out routes. ``forward()`` and ``stop()`` exist in both.

Rewards (``paper``, as the paper and the released code): +1 correct action, -1 wrong action (or an
action outside the action space, or none), -1.5 when the action is wrong *and* the answer's
``"current observation"`` wrongly claims or omits an intersection (landmark names are not checked,
as in the released code). Routes come from synthetic cities (:mod:`.city`) or from the released
V-IRL ``route_infos.json`` (:mod:`.routes`, config ``routes``).

``modality="image"`` (V-IRL-VL) shows the current observation as four views with the released
environment's text ("You observe an image of 4 views; You observe an intersection"); earlier
observations stay text. Synthetic cities are rendered (:mod:`.views`); imported routes take their
views from V-IRL's street-view cache (config ``street_view_dir``, :mod:`.street_views`).
``ood="visual"`` (synthetic cities) keeps the action space and renders the ood split's city in
another style (night palette, other signs).
"""

from __future__ import annotations

import json
import random
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

from habits.tasks import TASKS
from habits.tasks.base import BadProblem, Task, Verdict, as_problem, held_out, stable_choice, whole_number
from habits.tasks.navigation.city import HEADINGS, RELATIVE_ACTIONS, build_city, sample_route

ACTION_SPACES = {"absolute": HEADINGS, "relative": RELATIVE_ACTIONS}
REASONS = ("correct", "wrong_action", "illegal_action", "wrong_observation", "no_answer")

# -- prompt templates ------------------------------------------------------------------------
_OUTPUT = ('{{\n  "current observation": "what you observe now (is it an intersection? which landmarks?)",\n'
           '  "current instruction": "the instruction sentence to execute now",\n'
           '  "action": "one action from the action space"\n}}')
TEMPLATES = (
    "[Task Description]\nYou are an expert in navigation. You will receive a sequence of instructions to "
    "follow while observing your surroundings. Take one action at each decision point.\n\n[Action space]\n"
    '"forward()": move forward one step\n"turn_direction(x)": turn to face x, where x is one of {space}\n'
    '"stop()": the navigation is finished\n\n[Instructions]\n{instruction}\n\n[Observations and actions so far]\n'
    "{history}\n\n[Output]\nYour response should be a valid JSON object:\n" + _OUTPUT,
    "Follow the route below one decision at a time.\nRoute:\n{instruction}\n\nWhat happened so far, then what "
    "you observe now:\n{history}\n\nActions: forward(), stop(), or turn_direction(x) with x in {space}.\n"
    "Answer with JSON:\n" + _OUTPUT,
)

_VALUE = r"""\s*:\s*(?:"((?:[^"\\\n]|\\.){0,600})"|'((?:[^'\\\n]|\\.){0,600})')"""
_FIELDS = {key: re.compile(f"[\"']{key}[\"']" + _VALUE) for key in ("action", "current observation")}
_TURN = re.compile(r"turn_direction\(\s*([a-z ]+?)\s*\)")
_NEGATED = re.compile(r"\b(?:no|not at an?|not an?|isn't an?|without an?)\s+intersection")


@dataclass
class NavigationConfig:
    """Navigation settings (defaults: absolute actions ID, synthetic 6x6 cities)."""

    actions: str = "absolute"  # "absolute" (8 headings) or "relative" (left, right, slightly left/right, turn around)
    modality: str = "text"  # "text" (oracle text observations) or "image" (rendered views, synthetic cities)
    ood: str = "actions"  # what the ood split varies: "actions" (the other space) or "visual" (night style)
    cities: int = 40  # synthetic cities to draw routes from
    city_size: int = 6  # intersections per side
    min_turns: int = 2
    max_turns: int = 3
    max_forward: int = 2  # most forward() points between two intersections (some are dropped)
    routes: str | None = None  # a V-IRL route_infos.json to take routes from instead of synthetic cities
    street_view_dir: str | None = None  # V-IRL's street_views/ cache: views of imported routes (modality image)
    test_fraction: float = 0.2  # share of routes held out from train (test and ood draw from them)
    template: int | str = 0  # template index, or "mixed"
    prompt_style: str = "base"  # "base": plain prompt text; "chat": a user message
    reward: str = "paper"  # "paper" (+1 / -1 / -1.5) or "binary"

    def __post_init__(self) -> None:
        if self.actions not in ACTION_SPACES:
            raise ValueError(f"navigation: actions must be 'absolute' or 'relative', got {self.actions!r}")
        if self.modality not in ("text", "image"):
            raise ValueError(f"navigation: modality must be 'text' or 'image', got {self.modality!r}")
        if self.ood not in ("actions", "visual") or (self.ood == "visual" and self.modality != "image"):
            raise ValueError(f"navigation: ood must be 'actions' or (with modality image) 'visual', got {self.ood!r}")
        if self.modality == "image" and self.routes is not None and self.street_view_dir is None:
            raise ValueError("navigation: imported routes with modality image need street_view_dir (V-IRL's "
                             "street_views/ cache, with gps_pano_mapping.pkl beside it); or use modality text")
        if self.street_view_dir is not None and (self.routes is None or self.modality != "image"):
            raise ValueError("navigation: street_view_dir gives the views of imported routes; set routes and "
                             "modality image with it, or leave it out")
        if self.routes is not None and self.ood == "visual":
            raise ValueError("navigation: ood visual renders synthetic cities in another style; for imported "
                             "routes, the paper's visual OOD is another route set (evaluate on its routes and "
                             "street views) -- use ood actions here")
        if self.cities < 1 or not 3 <= self.city_size <= 20:
            raise ValueError("navigation: need cities >= 1 and city_size in 3..20")
        if not 1 <= self.min_turns <= self.max_turns <= 6 or not 0 <= self.max_forward <= 5:
            raise ValueError("navigation: need 1 <= min_turns <= max_turns <= 6 and 0 <= max_forward <= 5")
        if not 0.0 < self.test_fraction < 1.0:
            raise ValueError(f"navigation: test_fraction must be between 0 and 1, got {self.test_fraction}")
        if self.prompt_style not in ("base", "chat"):
            raise ValueError(f"navigation: prompt_style must be 'base' or 'chat', got {self.prompt_style!r}")
        if self.template != "mixed" and not (isinstance(self.template, int) and 0 <= self.template < len(TEMPLATES)):
            raise ValueError(f"navigation: template must be 0..{len(TEMPLATES) - 1} or 'mixed'")


@TASKS.register("navigation")
class Navigation(Task):
    name = "navigation"
    config_class = NavigationConfig
    reward_schemes: ClassVar[tuple[str, ...]] = ("paper", "binary")
    reasons = REASONS
    reward_tables: ClassVar[dict[str, dict[str, float]]] = {
        "paper": {"correct": 1.0, "wrong_action": -1.0, "illegal_action": -1.0, "wrong_observation": -1.5,
                  "no_answer": -1.0},
        "binary": {reason: float(reason == "correct") for reason in REASONS},
    }
    description = "a navigation task: follow route instructions through a city, one action per decision point"
    variants = "actions absolute (ID) / relative (OOD); modality text or image; ood split: actions, or visual"
    paper_generation_factor = 5.1  # the SFT-vs-RL paper's lambda for V-IRL

    def __init__(self, config: NavigationConfig) -> None:
        super().__init__(config)
        self._cities: dict[int, dict[str, Any]] = {}
        self._imported: list[dict[str, Any]] | None = None
        if config.routes is not None:
            from habits.tasks.navigation.routes import load_routes

            self._imported = load_routes(config.routes)
        self._streets: Any = None
        if config.street_view_dir is not None:
            from habits.tasks.navigation.street_views import StreetViews

            self._streets = StreetViews(config.street_view_dir)
            self._streets.check(self._imported or [])

    def _space(self, split: str) -> str:
        if split != "ood" or self.config.ood == "visual":
            return self.config.actions
        return "relative" if self.config.actions == "absolute" else "absolute"

    def sample(self, rng: random.Random, split: str) -> dict[str, Any] | None:
        c = self.config
        if self._imported is not None:
            route = dict(rng.choice(self._imported))
        else:
            index = rng.randrange(c.cities)
            if index not in self._cities:
                self._cities[index] = build_city(index, c.city_size)
            found = sample_route(self._cities[index], rng, c.min_turns, c.max_turns, c.max_forward)
            if found is None:
                return None
            route = {"route": f"city{index}:" + ";".join(f"{x},{y}" for x, y in found["path"]), **found}
            del route["path"]
        if held_out(route["route"], c.test_fraction) != (split != "train"):
            return None
        route = {**route, "actions": self._space(split)}
        if c.modality == "image":
            route["style"] = ("street" if self._imported is not None
                              else "night" if split == "ood" and c.ood == "visual" else "day")
        return route

    def key(self, problem: Mapping[str, Any]) -> str:
        return f"{problem['route']}|{problem.get('actions', self.config.actions)}|{problem.get('style', '')}"

    # -- one decision at a time --------------------------------------------------------------
    def steps(self, problem: Mapping[str, Any]) -> list[dict[str, Any]]:
        if "steps" not in problem:
            return [dict(problem)]  # already a decision
        space = problem.get("actions", self.config.actions)
        points = problem["steps"]
        history: list[list[str]] = []
        out = []
        for index, point in enumerate(points):
            action = point[space]
            out.append({"route": problem["route"], "step": index, "of": len(points), "actions": space,
                        "instruction": list(problem["instruction"]), "history": [list(h) for h in history],
                        "observation": point["observation"], "intersection": bool(point["intersection"]),
                        "action": action})
            if problem.get("style") == "street":  # where the street views are taken
                out[-1].update(geo=point["geo"], heading=point["heading"], style="street")
            elif "style" in problem:  # what the rendered views need
                out[-1].update(city=problem["city"], at=point["at"], facing=point["facing"], style=problem["style"])
            history.append([point["observation"], action])  # on rail: earlier decisions as taken correctly
        return out

    def prompt(self, problem: Mapping[str, Any]) -> str | list[dict[str, str]]:
        step = self.steps(problem)[0] if "steps" in problem else problem
        c = self.config
        template = (stable_choice(TEMPLATES, f"{step['route']}|{step['step']}") if c.template == "mixed"
                    else TEMPLATES[c.template])
        lines = []
        for number, (seen, done) in enumerate(step["history"], start=1):
            lines += [f"O_{number}: {seen}", f"A_{number}: {done}"]
        now = len(step["history"]) + 1
        seen = step["observation"]
        if "style" in step:  # as the released VL environment: the image, plus whether this is an intersection
            seen = "You observe an image of 4 views" + ("; You observe an intersection" if step["intersection"] else "")
        lines += [f"O_{now}: {seen}", f"A_{now}:"]
        instruction = "\n".join(f"{i}. {sentence}" for i, sentence in enumerate(step["instruction"], start=1))
        space = "[" + ", ".join(f"'{name}'" for name in ACTION_SPACES[step["actions"]]) + "]"
        text = template.format(space=space, instruction=instruction, history="\n".join(lines))
        if "style" in step:
            return [{"role": "user", "content": [{"type": "image"}, {"type": "text", "text": text}]}]
        return text if c.prompt_style == "base" else [{"role": "user", "content": text}]

    @property
    def shows_images(self) -> bool:
        return self.config.modality == "image"

    def images(self, problem: Mapping[str, Any]) -> list[Any]:
        step = self.steps(problem)[0] if "steps" in problem else problem
        if "style" not in step:
            return []
        if step["style"] == "street":
            if self._streets is None:
                raise ValueError(f"{step['route']}: this decision shows street views; build the task with "
                                 "street_view_dir (V-IRL's street_views/ cache) and routes")
            return [self._streets.render(step["geo"], step["heading"], f"{step['route']} step {step['step']}")]
        from habits.tasks.navigation.views import render_views

        index = int(step["city"])
        if index not in self._cities:
            self._cities[index] = build_city(index, self.config.city_size)
        return [render_views(self._cities[index], step["at"], step["facing"], step["style"])]

    def normalize_problem(self, problem: dict[str, Any]) -> dict[str, Any]:
        """A route (``steps``) or one decision (``action``), its whole numbers and coordinates exact."""
        problem = as_problem(problem)  # null fields dropped, as datasets fill missing columns
        _texts(self.field(problem, "instruction"), "instruction")
        if "steps" in problem:
            points = self.field(problem, "steps")
            if hasattr(points, "tolist"):
                points = points.tolist()
            if not isinstance(points, (list, tuple)) or not points:
                raise BadProblem(f"steps must be a non-empty list of decision points, got {points!r}")
            out = {**problem, "steps": [_point(point, f"steps[{i}]") for i, point in enumerate(points)]}
            if "city" in out:
                out["city"] = whole_number(out["city"], "city")
            return out
        out = _point(problem, "problem", decision=True)
        for name in ("step", "of", "city"):
            if name in out:
                out[name] = whole_number(out[name], name)
        history = self.field(out, "history")
        if hasattr(history, "tolist"):
            history = history.tolist()
        if not isinstance(history, (list, tuple)):
            raise BadProblem(f"history must be a list of [observation, action] pairs, got {history!r}")
        out["history"] = [_texts(pair, f"history[{i}]") for i, pair in enumerate(history)]
        return out

    def verify(self, problem: Mapping[str, Any], completion: str) -> Verdict:
        problem = self.check_problem(problem)
        step = self.steps(problem)[0] if "steps" in problem else problem
        found = last_field(completion, "action")
        if found is None:
            return Verdict(False, "no_answer", 'no "action" field found')
        said = " ".join(found.lower().split())
        turn = _TURN.fullmatch(said)
        if said not in ("forward()", "stop()") and not (turn and turn.group(1) in ACTION_SPACES[step["actions"]]):
            return Verdict(False, "illegal_action", f"{found} is not in the action space", found)
        if turn:
            said = f"turn_direction({turn.group(1)})"
        if said == step["action"]:
            return Verdict(True, "correct", "", found)
        claimed = last_field(completion, "current observation") or ""
        claims = "intersection" in claimed.lower() and not _NEGATED.search(claimed.lower())
        if claims != step["intersection"]:
            where = "you are at an intersection" if step["intersection"] else "you are not at any intersection"
            return Verdict(False, "wrong_observation", where, found)
        return Verdict(False, "wrong_action", "you make incorrect action", found)

    def solve(self, problem: Mapping[str, Any]) -> list[str]:
        problem = self.check_problem(problem)
        return [step["action"] for step in self.steps(problem)[:1]]

    def format_answer(self, problem: Mapping[str, Any], expression: str) -> str:
        step = self.steps(problem)[0] if "steps" in problem else problem
        from habits.tasks.navigation.priming import sentences_now

        sentence = sentences_now(step)[0]
        return ('{\n  "current observation": ' + json.dumps(step["observation"]) + ',\n  "current instruction": '
                + json.dumps(sentence) + ',\n  "action": ' + json.dumps(expression) + '\n}')

    # -- priming (SFT) rows: one per decision, written from the rail ------------------------------
    def check_traceable(self, planned: bool = False, answer: str = "correct") -> None:
        if answer != "correct":
            raise ValueError("navigation traces read the correct action from the route, so there is no slip to "
                             "believe a wrong answer; use a condition with correct answers")

    def write_trace(self, problem: Mapping[str, Any], behaviors: frozenset[str], rng: random.Random,
                    register: str = "natural") -> tuple[str, dict[str, int], str]:
        from habits.tasks.navigation.priming import write_trace

        step = self.steps(problem)[0] if "steps" in problem else problem
        return write_trace(step, "verification" in behaviors, rng, register)

    def describe(self, problem: Mapping[str, Any]) -> str:
        return f"The route was: {' '.join(problem['instruction'])}"

    def feedback(self, verdict: Verdict) -> str:
        if verdict.reason in ("wrong_action", "wrong_observation"):
            return verdict.detail + ". Please avoid this action and try again in the same format"
        return super().feedback(verdict)

    def perturbations(self, problem: Mapping[str, Any], answer: str) -> list[tuple[str, str]]:
        step = self.steps(problem)[0] if "steps" in problem else problem
        legal = ["forward()", "stop()", *(f"turn_direction({x})" for x in ACTION_SPACES[step["actions"]])]
        wrong = next(a for a in legal if a != answer)
        flipped = {**step, "observation": "No landmarks nearby." if step["intersection"]
                   else "You observe an intersection.", "intersection": not step["intersection"]}
        return [
            ("wrong_action", self.format_answer(step, wrong)),
            ("illegal_action", self.format_answer(step, "turn_direction(upwards)")),
            ("illegal_action", self.format_answer(step, "jump()")),
            ("no_answer", f"I would {answer} here."),
            ("wrong_observation", self.format_answer(flipped, wrong)),
        ]


def _texts(value: Any, field: str) -> list[str]:
    """A list of strings (a string or a scalar is refused, not iterated)."""
    if hasattr(value, "tolist"):
        value = value.tolist()
    if not isinstance(value, (list, tuple)) or not all(isinstance(item, str) for item in value):
        raise BadProblem(f"{field} must be a list of strings, got {value!r}")
    return list(value)


def _point(point: Any, field: str, decision: bool = False) -> dict[str, Any]:
    """One decision point: its observation and actions as text, ``intersection`` a bool, ``at`` numbers."""
    if not isinstance(point, Mapping):
        raise BadProblem(f"{field} must be a decision point (a mapping), got {point!r}")
    point = dict(point)
    actions = ("action",) if decision else ("absolute", "relative")
    for name in ("observation", *actions):
        if not isinstance(point.get(name), str):
            raise BadProblem(f"{field}.{name} must be text, got {point.get(name)!r}")
    if type(point.get("intersection")) is not bool:
        raise BadProblem(f"{field}.intersection must be true or false, got {point.get('intersection')!r}")
    if "at" in point:
        at = point["at"].tolist() if hasattr(point["at"], "tolist") else point["at"]
        if not isinstance(at, (list, tuple)) or len(at) != 2:
            raise BadProblem(f"{field}.at must be two coordinates, got {point['at']!r}")
        point["at"] = [_coordinate(value, f"{field}.at[{i}]") for i, value in enumerate(at)]
    if "geo" in point:
        geo = point["geo"].tolist() if hasattr(point["geo"], "tolist") else point["geo"]
        if not isinstance(geo, (list, tuple)) or len(geo) != 2:
            raise BadProblem(f"{field}.geo must be [latitude, longitude], got {point['geo']!r}")
        point["geo"] = [float(_coordinate(value, f"{field}.geo[{i}]")) for i, value in enumerate(geo)]
    if "heading" in point:
        point["heading"] = float(_coordinate(point["heading"], f"{field}.heading"))
    return point


def _coordinate(value: Any, field: str) -> int | float:
    if type(value) in (int, float):
        return value
    try:
        return whole_number(value, field)
    except BadProblem:
        pass
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            pass
    raise BadProblem(f"{field} must be a number, got {value!r}")


def last_field(text: str, key: str) -> str | None:
    """The value of the last JSON-style ``"key": "value"`` in ``text`` (habits reads the last answer; the
    released code reads the first), or None."""
    pattern, anchor = _FIELDS[key], len(text)
    while (anchor := text.rfind(key, 0, anchor)) > 0:
        match = pattern.match(text, anchor - 1)
        if match:
            return (match.group(1) if match.group(1) is not None else match.group(2)).strip()
    return None

