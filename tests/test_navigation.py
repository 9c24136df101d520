"""Navigation (V-IRL style): routes, action spaces, verdicts, rewards, route-file import."""

import json

import pytest

from habits.io import InputError
from habits.tasks import get_task
from habits.tasks.navigation.city import HEADINGS, relative_turn
from habits.tasks.navigation.routes import load_routes


def _answer(task, step, action, observation=None):
    return task.format_answer({**step, "observation": observation or step["observation"]}, action)


def test_ood_split_asks_the_other_action_space():
    absolute, relative = get_task("navigation"), get_task("navigation", actions="relative")
    assert {p["actions"] for p in absolute.generate(10, "test", seed=0)} == {"absolute"}
    assert {p["actions"] for p in absolute.generate(10, "ood", seed=0)} == {"relative"}
    assert {p["actions"] for p in relative.generate(10, "ood", seed=0)} == {"absolute"}


def test_relative_turn_names_follow_the_heading_change():
    assert relative_turn(HEADINGS.index("north"), HEADINGS.index("east")) == "right"
    assert relative_turn(HEADINGS.index("north"), HEADINGS.index("northwest")) == "slightly left"
    assert relative_turn(HEADINGS.index("west"), HEADINGS.index("north")) == "right"
    assert relative_turn(HEADINGS.index("south"), HEADINGS.index("north")) == "turn around"
    assert relative_turn(HEADINGS.index("north"), HEADINGS.index("southeast")) is None  # 135: never on a route


def test_relative_actions_agree_with_the_absolute_headings_along_every_route():
    task = get_task("navigation")
    for route in task.generate(30, "train", seed=4):
        facing = HEADINGS.index(route["start_heading"])
        for point in route["steps"]:
            if point["absolute"].startswith("turn_direction("):
                new = HEADINGS.index(point["absolute"][len("turn_direction("):-1])
                assert point["relative"] == f"turn_direction({relative_turn(facing, new)})"
                facing = new
            else:
                assert point["relative"] == point["absolute"]
        assert route["steps"][-1]["absolute"] == "stop()"
        assert route["instruction"][0].startswith("First, turn ")


def test_instructions_give_both_forms_of_every_turn():
    route = get_task("navigation").generate(1, "train", seed=0)[0]
    turns = [s for s in route["instruction"] if s.split(",")[-1].strip().startswith("turn") or s.startswith("Turn")]
    assert turns and all(" to face " in sentence for sentence in turns)


def test_each_decision_sees_the_earlier_actions_and_the_current_observation():
    task = get_task("navigation", prompt_style="chat")
    route = task.generate(1, "train", seed=1)[0]
    steps = task.steps(route)
    assert len(steps) == len(route["steps"])
    last = task.prompt(steps[-1])[-1]["content"]
    assert all(step["action"] in last for step in steps[:-1])
    assert steps[-1]["observation"] in last
    assert [s["step"] for s in steps] == list(range(len(steps)))


def test_rewards_follow_the_paper():
    task = get_task("navigation")
    route = task.generate(1, "train", seed=2)[0]
    steps = task.steps(route)
    crossing = next(s for s in steps if s["intersection"] and s["action"] != "stop()")
    assert task.reward(crossing, _answer(task, crossing, crossing["action"])) == 1.0
    assert task.reward(crossing, _answer(task, crossing, "stop()")) == -1.0
    # wrong action and a wrong claim: "no intersection here" at an intersection
    assert task.reward(crossing, _answer(task, crossing, "stop()", "No landmarks nearby.")) == -1.5
    verdict = task.verify(crossing, _answer(task, crossing, "stop()", "No landmarks nearby."))
    assert verdict.reason == "wrong_observation" and "intersection" in task.feedback(verdict)
    # a right action is right whatever the observation says (as the released code)
    assert task.verify(crossing, _answer(task, crossing, crossing["action"], "nothing")).correct


def test_an_absolute_action_is_illegal_in_the_relative_space():
    task = get_task("navigation", actions="relative")
    step = next(s for s in task.steps(task.generate(1, "train", seed=3)[0]) if "turn" in s["action"])
    assert task.verify(step, _answer(task, step, "turn_direction(north)")).reason == "illegal_action"
    spaced = _answer(task, step, step["action"].replace("(", "( ").upper().replace("TURN_DIRECTION", "turn_direction"))
    assert task.verify(step, spaced).correct


@pytest.mark.parametrize("text", ["", "{", '"action": ', '"action": "' + "x" * 10_000 + '"', '"action": 5',
                                  '{"action": "turn_direction()"}', "action" * 1000, '"current observation": "a'])
def test_every_string_gets_a_verdict(text):
    task = get_task("navigation")
    step = task.steps(task.generate(1, "train", seed=0)[0])[0]
    verdict = task.verify(step, text)
    assert not verdict.correct and verdict.reason in task.reasons


def _released(tmp_path, routes):
    path = tmp_path / "route_infos.json"
    path.write_text(json.dumps([routes, len(routes)]))
    return path


MILESTONES = ('{\n "intersection": "A St & B St",\n "landmarks": "Joe\'s Pizza is on your left",\n'
              ' "to_next_intersection_heading": "91 (east)"\n}\n{\n "landmarks": "",\n'
              ' "to_next_intersection_heading": "2 (north)"\n}')


def test_released_route_files_load_as_routes_in_both_action_spaces(tmp_path):
    path = _released(tmp_path, [{"milestone_info": MILESTONES, "init_heading": 180} for _ in range(40)])
    routes = load_routes(path)
    assert len(routes) == 40
    actions = [p["absolute"] for p in routes[0]["steps"] if p["absolute"] != "forward()"]
    assert actions == ["turn_direction(east)", "turn_direction(north)", "stop()"]
    relative = [p["relative"] for p in routes[0]["steps"] if p["relative"] != "forward()"]
    assert relative == ["turn_direction(left)", "turn_direction(left)", "stop()"]
    assert "Joe's Pizza" in " ".join(routes[0]["instruction"])
    task = get_task("navigation", routes=str(path))
    for split in ("train", "test", "ood"):
        for route in task.generate(3, split, seed=0):
            for step in task.steps(route):
                assert task.verify(step, task.format_answer(step, task.solve(step)[0])).correct


@pytest.mark.parametrize("content, says", [
    ("not json", "not a JSON file"),
    ("[[], 0]", "list of routes"),
    ('[[{"route_results": {}}], 1]', "route 0: needs a 'milestone_info'"),
    ('[[{"milestone_info": "{\\"to_next_intersection_heading\\": \\"east\\"}"}], 1]', "milestone 0"),
    ('[[{"milestone_info": "{\\"to_next_intersection_heading\\": \\"9 (east)\\"}", "init_heading": "x"}], 1]',
     "init_heading"),
])
def test_malformed_route_files_name_the_file_and_what_to_fix(tmp_path, content, says):
    path = tmp_path / "route_infos.json"
    path.write_text(content)
    with pytest.raises(InputError, match=says) as caught:
        get_task("navigation", routes=str(path))
    assert str(path) in str(caught.value)


def test_a_missing_route_file_is_reported_before_any_work(tmp_path):
    with pytest.raises(InputError, match="not found"):
        get_task("navigation", routes=str(tmp_path / "nope.json"))


# -- the visual variant (rendered views) ------------------------------------------------------------
def _count(image, colour):
    data = image.convert("RGB").tobytes()
    return sum(1 for i in range(0, len(data), 3) if tuple(data[i:i + 3]) == colour)


def test_image_decisions_show_four_rendered_views_and_signs_where_landmarks_are():
    pytest.importorskip("PIL")
    from habits.tasks.navigation.views import STYLES, VIEW

    task = get_task("navigation", modality="image")
    steps = task.steps(task.generate(1, "train", seed=0)[0])
    marked = next(s for s in steps if "is on your" in s["observation"])
    between = next(s for s in steps if not s["intersection"])
    [message] = task.prompt(marked)
    assert [part["type"] for part in message["content"]] == ["image", "text"]
    assert "You observe an image of 4 views" in message["content"][1]["text"]
    [image] = task.images(marked)
    assert image.size == (2 * VIEW[0], 2 * VIEW[1])
    assert _count(image, STYLES["day"]["sign"]) > 0 and _count(task.images(between)[0], STYLES["day"]["sign"]) == 0
    assert task.images(marked)[0].tobytes() == image.tobytes()  # same decision, same pixels


def test_visual_ood_renders_the_city_in_another_style_and_keeps_the_action_space():
    pytest.importorskip("PIL")
    from habits.tasks.navigation.views import STYLES

    task = get_task("navigation", modality="image", ood="visual")
    test, ood = task.generate(3, "test", seed=0), task.generate(3, "ood", seed=0)
    assert {r["style"] for r in test} == {"day"} and {r["style"] for r in ood} == {"night"}
    assert {r["actions"] for r in test + ood} == {"absolute"}
    night = task.images(task.steps(ood[0])[0])[0]
    assert _count(night, STYLES["night"]["sky"]) > 1000 and _count(night, STYLES["day"]["sky"]) == 0


def test_imported_routes_with_images_need_the_street_view_cache():
    with pytest.raises(ValueError, match="street_view_dir"):
        get_task("navigation", modality="image", routes="route_infos.json")
