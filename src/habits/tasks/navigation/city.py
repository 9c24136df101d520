"""Synthetic cities and routes for the V-IRL-style navigation task, in plain JSON.

A city is a grid of intersections joined by streets (plus a few diagonal avenues, so that the eight
compass headings and the 45-degree "slightly" turns all occur), with named landmarks on the corners
of some intersections. A route is a walk through the city that turns or stops only at
intersections with a landmark, so that its instructions can always say where to turn.

A route is written as the list of its decision points, on rail as in the released code: at each
point the agent observes (is this an intersection, which landmarks are where) and the one correct
action is known in both action spaces -- absolute (``turn_direction(northeast)``) and relative
(``turn_direction(slightly left)``) -- together with the instructions in the paper's style
("First, turn slightly left to face northeast. ...").
"""

from __future__ import annotations

import random
from typing import Any

HEADINGS = ("north", "northeast", "east", "southeast", "south", "southwest", "west", "northwest")
# Grid steps per heading index (x grows east, y grows north).
STEPS = ((0, 1), (1, 1), (1, 0), (1, -1), (0, -1), (-1, -1), (-1, 0), (-1, 1))
# Relative turns by heading change in eighths of a circle (45 degrees); +-3 (135) never occurs.
RELATIVE = {1: "slightly right", 2: "right", -1: "slightly left", -2: "left", 4: "turn around"}
RELATIVE_ACTIONS = ("left", "right", "slightly left", "slightly right", "turn around")
CORNERS = ("northeast", "southeast", "southwest", "northwest")
SIDES = ("front", "front right", "right", "back right", "back", "back left", "left", "front left")  # by bearing, in eighths
NO_LANDMARKS = "No landmarks nearby."
INTERSECTION = "You observe an intersection."

_FIRST = ("Blue", "Golden", "Old", "Corner", "Little", "Grand", "Green", "Silver", "Red", "Royal", "Sunny",
          "Happy", "Union", "Harbor", "Maple", "Cedar")
_KIND = ("Bakery", "Pharmacy", "Bookshop", "Cafe", "Bank", "Library", "Museum", "Pizza", "Florist", "Gym",
         "Hotel", "Cinema", "Deli", "Laundromat", "Post Office", "Hardware", "Noodle Bar", "Barber")


def relative_turn(old: int, new: int) -> str | None:
    """The relative name of turning from heading index ``old`` to ``new`` (None: no turn or 135 degrees)."""
    change = (new - old) % 8
    return RELATIVE.get(change if change <= 4 else change - 8)


def build_city(index: int, size: int = 6, landmark_share: float = 0.5) -> dict[str, Any]:
    """City ``index``: the same city on every machine. ``edges``: intersection -> neighbour headings."""
    rng = random.Random(f"navigation:city:{index}:{size}")
    nodes = [(x, y) for x in range(size) for y in range(size)]
    edges: dict[tuple[int, int], set[int]] = {node: set() for node in nodes}

    def link(node: tuple[int, int], heading: int) -> None:
        dx, dy = STEPS[heading]
        other = (node[0] + dx, node[1] + dy)
        if other in edges:
            edges[node].add(heading)
            edges[other].add((heading + 4) % 8)

    for node in nodes:  # the grid, with a few streets missing
        for heading in (0, 2):
            if rng.random() > 0.08:
                link(node, heading)
    for _ in range(2):  # two diagonal avenues across the grid
        heading = rng.choice((1, 3))
        x, y = rng.randrange(size), 0 if heading == 1 else size - 1
        node = (x, y)
        while node in edges:
            link(node, heading)
            node = (node[0] + STEPS[heading][0], node[1] + STEPS[heading][1])
    names = [f"{a} {b}" for a in _FIRST for b in _KIND]
    rng.shuffle(names)
    landmarks: dict[tuple[int, int], list[list[str]]] = {}
    for node in nodes:
        if rng.random() < landmark_share:
            corners = rng.sample(CORNERS, rng.choice((1, 1, 2)))
            landmarks[node] = [[names.pop(), corner] for corner in corners]
    return {"index": index, "size": size, "edges": edges, "landmarks": landmarks}


def observe(city: dict[str, Any], node: tuple[int, int], heading: int) -> str:
    """What the agent sees at an intersection facing ``heading`` (oracle text, as V-IRL-L)."""
    seen = city["landmarks"].get(node, [])
    if not seen:
        return f"{INTERSECTION} {NO_LANDMARKS}"
    parts = [f"{name} is on your {SIDES[(HEADINGS.index(corner) - heading) % 8]}" for name, corner in seen]
    return f"{INTERSECTION} " + "; ".join(parts) + "."


def sample_route(city: dict[str, Any], rng: random.Random, min_turns: int = 2, max_turns: int = 3,
                 max_forward: int = 2) -> dict[str, Any] | None:
    """A random route in ``city`` (decision points with both action spaces), or None to draw again."""
    edges, landmarks = city["edges"], city["landmarks"]
    marked = sorted(landmarks)
    if not marked:
        return None
    start = rng.choice(marked)
    path, headings = [start], []
    turns = rng.randint(min_turns, max_turns)
    node, heading = start, None
    # Segments: walk straight from one landmark intersection to another, then turn (never 135 or 180).
    for segment in range(turns + 1):
        options = sorted(h for h in edges[node] if heading is None
                         or relative_turn(heading, h) in ("slightly right", "right", "slightly left", "left"))
        rng.shuffle(options)
        for new in options:
            walk, here = [], node
            while new in edges[here]:
                here = (here[0] + STEPS[new][0], here[1] + STEPS[new][1])
                if here in path or here in walk:
                    break
                walk.append(here)
                if here in landmarks and rng.random() < 0.6:
                    break
            while walk and walk[-1] not in landmarks:  # segments end where a landmark says so
                walk.pop()
            if walk:
                break
        else:
            return None
        path += walk
        headings += [new] * len(walk)
        node, heading = walk[-1], new
    return _decisions(city, path, headings, rng, max_forward)


def _decisions(city: dict[str, Any], path: list[tuple[int, int]], headings: list[int], rng: random.Random,
               max_forward: int) -> dict[str, Any] | None:
    start_heading = (headings[0] + rng.choice((-2, -1, 1, 2, 4))) % 8
    steps: list[dict[str, Any]] = []
    instruction: list[str] = []
    facing = start_heading
    for i, node in enumerate(path):
        leaving = headings[i] if i < len(headings) else None
        at_start = i == 0
        observation = observe(city, node, facing)
        if leaving is None:
            absolute = relative = "stop()"
        elif leaving == facing:
            absolute = relative = "forward()"
        else:
            turn = relative_turn(facing, leaving)
            if turn is None:
                return None
            absolute, relative = f"turn_direction({HEADINGS[leaving]})", f"turn_direction({turn})"
            where = "First, turn" if at_start else "Turn"
            instruction.append(f"{where} {turn} to face {HEADINGS[leaving]}.")
        if leaving is not None and (leaving != facing or at_start):
            goal = _next_stop(city, path, headings, i)
            instruction.append(goal)
        steps.append({"observation": observation, "intersection": True, "absolute": absolute,
                      "relative": relative, "at": list(node), "facing": HEADINGS[facing]})
        if leaving is not None:
            # Up to max_forward points between intersections (some dropped), as the released rail.
            count = rng.randint(0, max_forward)
            dx, dy = STEPS[leaving]
            for k in range(count):
                share = round((k + 1) / (count + 1), 3)
                steps.append({"observation": NO_LANDMARKS, "intersection": False, "absolute": "forward()",
                              "relative": "forward()", "at": [node[0] + dx * share, node[1] + dy * share],
                              "facing": HEADINGS[leaving]})
            facing = leaving
    instruction[-1] = instruction[-1].replace("until you reach the intersection", "until you reach your "
                                              "destination, the intersection")
    instruction.append("Then stop.")
    return {"city": city["index"], "path": [list(node) for node in path], "start_heading": HEADINGS[start_heading],
            "instruction": instruction, "steps": steps}


def _next_stop(city: dict[str, Any], path: list[tuple[int, int]], headings: list[int], i: int) -> str:
    # The intersection where this straight segment ends: the next turn or the destination.
    j = i + 1
    while j < len(headings) and headings[j] == headings[i]:
        j += 1
    passed = j - i - 1
    name, corner = city["landmarks"][path[j]][0]
    side = SIDES[(HEADINGS.index(corner) - headings[i]) % 8]
    past = f"past {passed} intersection{'s' if passed > 1 else ''} " if passed else ""
    return f"Walk forward {past}until you reach the intersection where {name} is on your {side}."
