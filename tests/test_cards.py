"""Visual GeneralPoints: card images (deterministic, black ID / red OOD), card reading, message format."""

import hashlib

import pytest

from habits.tasks import get_task

PROBLEM = {"cards": ["A", "3", "K", "6"], "target": 24, "rule": "id", "suits": ["spades", "clubs", "spades", "clubs"]}


def _answer(cards):
    return '{"cards": [' + cards + '], "number": [1, 3, 10, 6], "formula": "10*3-6*1 = 24"}'


def test_a_wrong_card_reading_fails_first_with_the_papers_penalty():
    task = get_task("general_points", modality="image")
    assert task.verify(PROBLEM, _answer('"A", "3", "K", "6"')).correct
    assert task.verify(PROBLEM, _answer("1, 3, 'king', 6")).correct  # ranks as a model may write them
    misread = task.verify(PROBLEM, _answer('"A", "3", "Q", "6"'))
    assert misread.reason == "wrong_cards" and task.reward(PROBLEM, _answer('"A", "3", "Q", "6"')) == -1.5
    assert "recognized wrong cards" in task.feedback(misread)
    assert task.verify(PROBLEM, '{"formula": "10*3-6*1"}').reason == "wrong_cards"  # no reading at all
    assert get_task("general_points").verify(PROBLEM, '{"formula": "10*3-6*1"}').correct  # text: no reading asked


def test_image_prompts_use_the_multimodal_message_format_and_do_not_name_the_cards():
    task = get_task("general_points", modality="image")
    [message] = task.prompt(PROBLEM)
    kinds = [part["type"] for part in message["content"]]
    assert message["role"] == "user" and kinds == ["image", "text"]
    assert "'K'" in message["content"][1]["text"]  # the rule names face cards...
    assert "Cards:" not in message["content"][1]["text"]  # ...but the hand is only in the image


def test_visual_ood_deals_red_hands_and_keeps_the_rule():
    task = get_task("general_points", modality="image", ood="visual")
    for split, colours in (("train", {"spades", "clubs"}), ("test", {"spades", "clubs"}),
                           ("ood", {"hearts", "diamonds"})):
        problems = task.generate(20, split, seed=0)
        assert {suit for p in problems for suit in p["suits"]} <= colours
        assert {p["rule"] for p in problems} == {"id"}
    assert {p["rule"] for p in get_task("general_points", modality="image").generate(5, "ood")} == {"ood"}


def test_visual_ood_needs_the_image_modality():
    with pytest.raises(ValueError, match="modality image"):
        get_task("general_points", ood="visual")


# -- the pictures (Pillow) -------------------------------------------------------------------------
def _red_pixels(image):
    data = image.convert("RGB").tobytes()
    return sum(1 for i in range(0, len(data), 3) if data[i] > 150 and data[i + 1] < 80 and data[i + 2] < 80)


def test_ood_images_show_red_suits_and_id_images_none():
    pytest.importorskip("PIL")
    task = get_task("general_points", modality="image", ood="visual")
    for problem in task.generate(5, "test", seed=1):
        assert _red_pixels(task.images(problem)[0]) == 0
    for problem in task.generate(5, "ood", seed=1):
        assert _red_pixels(task.images(problem)[0]) > 500


def test_the_same_problem_gives_the_same_pixels_on_every_machine():
    pytest.importorskip("PIL")
    from habits.tasks.cards import hand_image

    pixels = hand_image(PROBLEM).tobytes()
    assert pixels == hand_image(dict(PROBLEM)).tobytes()
    # Pinned: images depend only on shapes defined in habits and Pillow's drawing primitives, no fonts.
    assert hashlib.sha256(pixels).hexdigest() == GOLDEN
    other = hand_image({**PROBLEM, "cards": ["A", "3", "K", "7"]})
    assert other.tobytes() != pixels


def test_jacks_queens_and_kings_look_different():
    pytest.importorskip("PIL")
    from habits.tasks.cards import render_card

    faces = [render_card(rank, "spades").tobytes() for rank in ("J", "Q", "K", "10")]
    assert len(set(faces)) == 4


def test_an_image_that_cannot_be_decoded_names_the_file(tmp_path):
    pytest.importorskip("PIL")
    from habits.tasks.cards import decode_image

    broken = tmp_path / "hand.png"
    broken.write_bytes(b"\x89PNG not really")
    with pytest.raises(ValueError, match="hand.png: the image cannot be decoded"):
        decode_image(str(broken), str(broken))


GOLDEN = "99892d25e2dfb5026961abc82b358fbae63282ab6d5f37ca5dc39c7bd26d3602"  # Pillow 13.0
