"""Import the released V-IRL route files (``route_infos.json``) as navigation problems.

The released file is a JSON list ``[routes, count]`` (a bare list of routes is accepted too). Each
route carries ``milestone_info``: a string of ``{ ... }`` blocks, one per intersection on the route,
each with ``to_next_intersection_heading`` (e.g. ``"177 (south)"``: the heading walked to reach that
intersection) and usually ``landmarks`` (what is there); ``init_heading`` (degrees, default 0) is
where the agent first faces. The rail follows the released environment: a turn at the start, up to
``straight_points`` ``forward()`` points between intersections (each dropped with probability one
half, drawn from the route's own seed), a turn (or ``stop()`` at the last) at each intersection.

When the route carries its geocodes (``start_place.relocated_geocode`` and one
``route_results.geocode_list`` entry per milestone: the intersection where that milestone's walk
ends), each decision point also gets ``geo`` (latitude, longitude; ``forward()`` points evenly
between two intersections) and ``heading`` (the degrees the agent faces there, before it acts):
what the visual variant needs to look the views up in V-IRL's street-view cache
(:mod:`.street_views`).

Relative turns use the released code's thresholds (beyond 45 degrees: left/right; else slightly),
with the heading change wrapped into -180..180 (the released code does not wrap, so a turn from 350
to 10 degrees there reads "left"). Every problem in the file is checked before any is used; an
error names the file, the route and what to fix.
"""

from __future__ import annotations

import json
import random
import re
from pathlib import Path
from typing import Any

from habits.io import InputError
from habits.tasks.navigation.city import HEADINGS, INTERSECTION, NO_LANDMARKS

_HEADING = re.compile(r"^\s*(-?\d+(?:\.\d+)?)\s*\(\s*([a-z]+)\s*\)\s*$")
_LINE = re.compile(r"""^\s*["']?([^"':]+?)["']?\s*:\s*(.*?)\s*,?\s*$""")


def load_routes(path: str | Path, straight_points: int = 2) -> list[dict[str, Any]]:
    """Navigation problems (without an action space) for every route in a ``route_infos.json``."""
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError(f"{path}: route file not found; pass the route_infos.json of a V-IRL route set") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(f"{path}: not a JSON file ({exc}); expected the released route_infos.json") from None
    routes = data[0] if isinstance(data, list) and data and isinstance(data[0], list) else data
    if not isinstance(routes, list) or not routes:
        raise InputError(f"{path}: expected a list of routes (or [routes, count]) as in route_infos.json")
    return [_route(path, index, route, straight_points) for index, route in enumerate(routes)]


def parse_milestones(text: str) -> list[dict[str, str]]:
    """The ``{ key: value }`` blocks of a ``milestone_info`` string (JSON or the released loose form)."""
    out = []
    for block in text.split("}"):
        block = block.strip().lstrip(",").strip().lstrip("{").strip()
        if not block:
            continue
        try:
            parsed = json.loads("{" + block + "}")
            out.append({str(k): str(v) for k, v in parsed.items()})
            continue
        except json.JSONDecodeError:
            pass
        fields = {}
        for line in block.splitlines():
            match = _LINE.match(line)
            if match:
                fields[match.group(1).strip()] = match.group(2).strip().strip("\"'")
        if fields:
            out.append(fields)
    return out


def _route(path: Path, index: int, route: Any, straight_points: int) -> dict[str, Any]:
    where = f"{path}: route {index}"
    if not isinstance(route, dict) or not isinstance(route.get("milestone_info"), str):
        raise InputError(f"{where}: needs a 'milestone_info' string (the released route_infos.json has one per "
                         "route)")
    milestones = parse_milestones(route["milestone_info"])
    if not milestones:
        raise InputError(f"{where}: 'milestone_info' holds no {{...}} blocks")
    headings = []
    for number, milestone in enumerate(milestones):
        match = _HEADING.match(milestone.get("to_next_intersection_heading", ""))
        if not match or match.group(2) not in HEADINGS:
            raise InputError(f"{where}, milestone {number}: 'to_next_intersection_heading' must look like "
                             f"'177 (south)', got {milestone.get('to_next_intersection_heading')!r}")
        headings.append((float(match.group(1)), match.group(2)))
    try:
        facing = float(route.get("init_heading", 0))
    except (TypeError, ValueError):
        raise InputError(f"{where}: 'init_heading' must be a number of degrees") from None
    rng = random.Random(f"navigation:route:{index}")
    places = _geocodes(route, len(headings))
    steps, instruction = [], []
    for number, (degrees, name) in enumerate(headings):
        turn = _relative(degrees - facing)
        first = "First, turn" if number == 0 else "Turn"
        landmark = str(milestones[number].get("landmarks") or "").strip() or NO_LANDMARKS
        goal = ("your destination" if number == len(headings) - 1 else "the next intersection")
        instruction += [f"{first} {turn} to face {name}.", f"Move forward until you reach {goal} where {landmark}"
                        .rstrip(".") + "."]
        seen = NO_LANDMARKS if number == 0 else f"{INTERSECTION} {_landmark(milestones[number - 1])}"
        steps.append({"observation": seen, "intersection": number > 0, "absolute": f"turn_direction({name})",
                      "relative": f"turn_direction({turn})", **_place(places, number, 1.0, facing)})
        kept = [k for k in range(straight_points) if rng.random() >= 0.5]
        steps += [{"observation": NO_LANDMARKS, "intersection": False, "absolute": "forward()",
                   "relative": "forward()", **_place(places, number + 1, (k + 1) / (straight_points + 1), degrees)}
                  for k in kept]
        facing = degrees
    steps.append({"observation": f"{INTERSECTION} {_landmark(milestones[-1])}", "intersection": True,
                  "absolute": "stop()", "relative": "stop()", **_place(places, len(headings), 1.0, facing)})
    instruction.append("Then stop.")
    return {"route": f"virl:{path.name}:{index}", "instruction": instruction, "steps": steps}


def _geocodes(route: dict[str, Any], milestones: int) -> list[list[float]] | None:
    """[start, intersection 1, ..., destination] as [lat, lng], or None when the route lacks them."""
    place = route.get("start_place")
    start = place.get("relocated_geocode") if isinstance(place, dict) else None
    results = route.get("route_results")
    found = results.get("geocode_list") if isinstance(results, dict) else None
    if not isinstance(found, list) or len(found) != milestones:
        return None
    places = [start, *found]
    if not all(isinstance(p, (list, tuple)) and len(p) == 2 and all(isinstance(v, (int, float)) for v in p)
               for p in places):
        return None
    return [[float(p[0]), float(p[1])] for p in places]


def _place(places: list[list[float]] | None, leg: int, share: float, facing: float) -> dict[str, Any]:
    """``geo`` a share of the way along leg ``leg`` (from place leg-1 to place leg), and ``heading``."""
    if places is None:
        return {}
    a, b = places[max(leg - 1, 0)], places[leg]
    spot = [a[i] + (b[i] - a[i]) * share for i in (0, 1)]
    return {"geo": [round(spot[0], 7), round(spot[1], 7)], "heading": facing % 360.0}


def _landmark(milestone: dict[str, str]) -> str:
    text = str(milestone.get("landmarks") or "").strip()
    return text if text else NO_LANDMARKS


def _relative(change: float) -> str:
    change = (change + 180.0) % 360.0 - 180.0
    if change < -45:
        return "left"
    if change > 45:
        return "right"
    return "slightly left" if change <= 0 else "slightly right"
