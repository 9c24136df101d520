"""Views of imported V-IRL routes from a street-view cache written in the test (tiny panoramas)."""

import json
import pickle

import pytest

pytest.importorskip("PIL")

from PIL import Image  # noqa: E402

from habits.io import InputError  # noqa: E402
from habits.tasks import get_task  # noqa: E402
from habits.tasks.navigation.routes import load_routes  # noqa: E402
from habits.tasks.navigation.street_views import VIEW_PX, crop_view  # noqa: E402

# Compass quadrant -> colour painted on the panoramas: what a view facing that way must show.
COLOURS = {"north": (220, 30, 30), "east": (30, 200, 30), "south": (30, 30, 220), "west": (230, 220, 20)}
ROTATION = 30.0  # where north sits in the panorama; the crop must undo it
MILESTONES = ('{"landmarks": "Joe\'s Pizza is on your left", "to_next_intersection_heading": "91 (east)"}\n'
              '{"landmarks": "", "to_next_intersection_heading": "2 (north)"}')
ROUTE = {"milestone_info": MILESTONES, "init_heading": 0,
         "start_place": {"relocated_geocode": [40.7, -74.0]},
         "route_results": {"geocode_list": [[40.7, -73.999], [40.701, -73.999]]}}


def _quadrant(heading):
    return ("north", "east", "south", "west")[int(((heading + 45) % 360) // 90)]


def _panorama(width=72, height=36):
    image = Image.new("RGB", (width, height))
    for x in range(width):
        colour = COLOURS[_quadrant(360 * (x + 0.5) / width - ROTATION)]
        for y in range(height):
            image.putpixel((x, y), colour)
    return image


def _cache(tmp_path, routes=(ROUTE,)):
    """route_infos.json, street_views/ (one panorama per place) and gps_pano_mapping.pkl beside them."""
    path = tmp_path / "route_infos.json"
    path.write_text(json.dumps([list(routes), len(routes)]))
    folder = tmp_path / "street_views"
    folder.mkdir()
    mapping = {}
    for route in load_routes(path):
        for point in route["steps"]:
            if "geo" in point:
                pano = f"p{len(mapping)}"
                mapping[tuple(point["geo"])] = pano
                _panorama().save(folder / f"{pano}.png")
                (folder / f"{pano}.metadata.json").write_text(json.dumps({"rotation": ROTATION}))
    (tmp_path / "gps_pano_mapping.pkl").write_bytes(pickle.dumps(mapping))
    return path, folder


def _colour_at(grid, column, row):
    """The colour in the middle of view (column, row) of the 2x2 grid."""
    return grid.getpixel((column * VIEW_PX + VIEW_PX // 2, row * VIEW_PX + VIEW_PX // 2))


def test_imported_route_views_come_from_the_cache_in_front_right_back_left_layout(tmp_path):
    routes, folder = _cache(tmp_path)
    task = get_task("navigation", routes=str(routes), modality="image", street_view_dir=str(folder))
    route = task.generate(1, "train", seed=0)[0]  # the file's one route falls in the train split
    steps = task.steps(route)
    start, stop = steps[0], steps[-1]
    assert start["style"] == "street" and start["heading"] == 0.0 and stop["action"] == "stop()"
    grid = task.images(start)[0]
    assert grid.size == (2 * VIEW_PX, 2 * VIEW_PX)
    # Facing north at the start: front north, right east, back south, left west.
    assert [_colour_at(grid, c, r) for r, c in ((0, 0), (0, 1), (1, 0), (1, 1))] == [
        COLOURS["north"], COLOURS["east"], COLOURS["south"], COLOURS["west"]]
    turn = next(s for s in steps[1:] if s["action"].startswith("turn_direction"))  # at the first intersection
    assert turn["heading"] == 91.0 and _colour_at(task.images(turn)[0], 0, 0) == COLOURS["east"]
    prompt = task.prompt(start)
    assert prompt[0]["content"][0] == {"type": "image"} and "image of 4 views" in prompt[0]["content"][1]["text"]
    verdict = task.verify(start, task.format_answer(start, start["action"]))
    assert verdict.correct


def test_a_missing_street_view_fails_when_the_task_is_built_naming_the_file(tmp_path):
    routes, folder = _cache(tmp_path)
    (folder / "p1.png").unlink()
    with pytest.raises(InputError, match=r"p1\.jpg not found.*SFTvsRL"):
        get_task("navigation", routes=str(routes), modality="image", street_view_dir=str(folder))


def test_a_route_without_geocodes_cannot_show_street_views(tmp_path):
    routes, folder = _cache(tmp_path)
    bare = {"milestone_info": MILESTONES}
    routes.write_text(json.dumps([[ROUTE, bare], 2]))
    with pytest.raises(InputError, match="route_infos.json:1: no geocodes"):
        get_task("navigation", routes=str(routes), modality="image", street_view_dir=str(folder))


def test_a_mapping_pickle_that_names_a_class_is_refused_not_run(tmp_path):
    import collections

    routes, folder = _cache(tmp_path)
    (tmp_path / "gps_pano_mapping.pkl").write_bytes(pickle.dumps(collections.OrderedDict({(40.7, -74.0): "p0"})))
    with pytest.raises(InputError, match="not allowed"):
        get_task("navigation", routes=str(routes), modality="image", street_view_dir=str(folder))


def test_a_crop_undoes_the_panoramas_north_rotation():
    import numpy as np

    pixels = np.asarray(_panorama(), dtype=np.float32)
    for heading, name in ((0, "north"), (90, "east"), (180, "south"), (270, "west"), (350, "north")):
        view = crop_view(pixels, ROTATION, heading, size=16)
        assert view.getpixel((8, 8)) == COLOURS[name]
