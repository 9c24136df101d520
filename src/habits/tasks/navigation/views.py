"""Rendered street views for the visual navigation variant (V-IRL-VL), drawn with Pillow.

The observation image is the released environment's layout: four views in a 2x2 grid, [front,
right / back, left], each looking along the street from where the agent stands. A view shows a road
running away from the viewer when a street leaves the agent's position in that direction (and,
at an intersection, a road veering left or right for the diagonal streets next to it), and a sign
for each landmark on that side of the intersection, lettered with the landmark's name. Everything
is drawn from shapes and the pixel font of :mod:`habits.tasks.glyphs`, so the same decision gives
the same pixels everywhere.

Two styles: ``day`` (training and ID) and ``night`` (another palette and sign shape), the visual
OOD split's "city rendered in another style".
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from habits.tasks.navigation.city import HEADINGS

VIEW = (200, 150)
STYLES = {
    "day": {"sky": (150, 200, 240), "ground": (120, 160, 90), "road": (90, 90, 95), "sign": (250, 250, 240),
            "ink": (30, 30, 30), "frame": (255, 255, 255), "round": False},
    "night": {"sky": (25, 25, 60), "ground": (45, 45, 50), "road": (140, 120, 60), "sign": (240, 200, 40),
              "ink": (60, 10, 70), "frame": (0, 0, 0), "round": True},
}
# View order of the 2x2 grid and each view's offset from the agent's heading, in eighths.
LAYOUT = (("front", 0), ("right", 2), ("back", 4), ("left", 6))


def _streets(city: Mapping[str, Any], at: list[float]) -> set[int]:
    """Headings of streets leaving position ``at`` (an intersection, or a point along one street)."""
    node = (int(at[0]), int(at[1]))
    if [float(v) for v in at] == [float(node[0]), float(node[1])] and node in city["edges"]:
        return set(city["edges"][node])
    return set()  # between intersections: only the street itself (added by the caller)


def _view(draw: Any, box: tuple[int, int], style: dict[str, Any], road: bool, veer: tuple[bool, bool],
          signs: list[tuple[str, str]]) -> None:
    x0, y0 = box
    w, h = VIEW
    horizon = y0 + h * 2 // 5
    draw.rectangle((x0, y0, x0 + w - 1, horizon), fill=style["sky"])
    draw.rectangle((x0, horizon, x0 + w - 1, y0 + h - 1), fill=style["ground"])
    cx = x0 + w // 2
    if road:
        draw.polygon([(cx - 70, y0 + h - 1), (cx + 70, y0 + h - 1), (cx + 8, horizon), (cx - 8, horizon)],
                     fill=style["road"])
    if veer[0]:  # a diagonal street to the left
        draw.polygon([(cx - 30, y0 + h - 1), (cx + 10, y0 + h - 1), (x0 + 6, horizon + 6), (x0 + 2, horizon + 14)],
                     fill=style["road"])
    if veer[1]:
        draw.polygon([(cx - 10, y0 + h - 1), (cx + 30, y0 + h - 1), (x0 + w - 2, horizon + 14),
                      (x0 + w - 6, horizon + 6)], fill=style["road"])
    from habits.tasks.glyphs import draw_text

    for name, side in signs:
        left = x0 + 6 if side == "left" else x0 + w - 6 - 90
        top = y0 + 12
        shape = draw.rounded_rectangle if style["round"] else draw.rectangle
        kwargs = {"radius": 8} if style["round"] else {}
        shape((left, top, left + 90, top + 40), fill=style["sign"], outline=style["ink"], **kwargs)
        for line, word in enumerate(name.split()[:2]):
            draw_text(draw, word[:7], left + 4, top + 5 + line * 17, 2, style["ink"])
    draw.rectangle((x0, y0, x0 + w - 1, y0 + h - 1), outline=style["frame"], width=2)


def render_views(city: Mapping[str, Any], at: list[float], facing: str, style: str = "day") -> Any:
    """The 2x2 grid of views [front, right / back, left] at ``at`` facing ``facing``."""
    from PIL import Image, ImageDraw

    colours = STYLES[style]
    heading = HEADINGS.index(facing)
    streets = _streets(city, at)
    if not streets:  # mid-block: the street runs ahead and behind
        streets = {heading, (heading + 4) % 8}
    node = (int(at[0]), int(at[1]))
    landmarks = city["landmarks"].get(node, []) if not (set(map(float, at)) - {float(node[0]), float(node[1])}) else []
    canvas = Image.new("RGB", (2 * VIEW[0], 2 * VIEW[1]), colours["frame"])
    draw = ImageDraw.Draw(canvas)
    for index, (_, offset) in enumerate(LAYOUT):
        direction = (heading + offset) % 8
        signs = []
        for name, corner in landmarks:
            bearing = (HEADINGS.index(corner) - direction) % 8
            if bearing in (1, 7):  # the corner is 45 degrees off this view's axis: visible in it
                signs.append((name, "right" if bearing == 1 else "left"))
        box = ((index % 2) * VIEW[0], (index // 2) * VIEW[1])
        _view(draw, box, colours, direction in streets,
              ((direction - 1) % 8 in streets, (direction + 1) % 8 in streets), signs)
    return canvas

