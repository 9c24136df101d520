"""Card images for visual GeneralPoints (GP-VL): deterministic, drawn with Pillow, no font files.

Every glyph is drawn from shapes defined in habits -- ranks from a 5x7 pixel font
(:mod:`habits.tasks.glyphs`), suits from polygons and ellipses -- so an image depends only on the
problem and Pillow's drawing primitives, never on fonts installed on the machine: the same problem gives the same pixels everywhere. Each card is placed on
a green table (the released code's ``#35654d``) with a small shift and rotation drawn from the
problem's own hash (the "item seed"), and rotated with nearest-neighbour sampling so that no
floating-point filter enters the pixels.

Spades and clubs are black, hearts and diamonds red: the paper's visual split trains on black
hands and tests OOD on red ones (see :mod:`habits.tasks.general_points`, ``ood="visual"``).
Pillow is an optional dependency (``pip install 'habits[vision]'``); it is imported on first use.
"""

from __future__ import annotations

import hashlib
import io
import random
from collections.abc import Mapping, Sequence
from typing import Any

TABLE = (0x35, 0x65, 0x4D)
BLACK, RED = (20, 20, 20), (200, 16, 32)
SUIT_COLOUR = {"spades": BLACK, "clubs": BLACK, "hearts": RED, "diamonds": RED}
BLACK_SUITS, RED_SUITS = ("spades", "clubs"), ("hearts", "diamonds")
CARD_SIZE = (120, 168)

_RANK_NAMES = {"1": "A", "ACE": "A", "T": "10", "JACK": "J", "QUEEN": "Q", "KING": "K"}


def normalise_rank(value: Any) -> str:
    """A card as a model may write it (``'K'``, ``"k"``, ``1``, ``"ace"``, ``"10"``) -> a rank name."""
    text = str(value).strip().strip("'\"").strip().upper()
    return _RANK_NAMES.get(text, text)


def _pil() -> Any:
    try:
        from PIL import Image, ImageDraw
    except ImportError:
        raise ImportError("visual GeneralPoints draws its cards with Pillow: pip install 'habits[vision]' "
                          "(or pip install pillow)") from None
    return Image, ImageDraw


def _draw_text(draw: Any, text: str, x: int, y: int, scale: int, colour: tuple[int, int, int]) -> None:
    from habits.tasks.glyphs import draw_text

    draw_text(draw, text, x, y, scale, colour)


def _draw_suit(draw: Any, suit: str, cx: int, cy: int, r: int, colour: tuple[int, int, int]) -> None:
    if suit == "diamonds":
        draw.polygon([(cx, cy - r), (cx + int(r * 0.75), cy), (cx, cy + r), (cx - int(r * 0.75), cy)], fill=colour)
    elif suit == "hearts":
        h = r // 2
        draw.ellipse((cx - r, cy - r, cx, cy - r + r), fill=colour)
        draw.ellipse((cx, cy - r, cx + r, cy), fill=colour)
        draw.polygon([(cx - r, cy - h + 2), (cx + r, cy - h + 2), (cx, cy + r)], fill=colour)
    elif suit == "spades":
        h = r // 2
        draw.polygon([(cx, cy - r), (cx + r, cy + h - 2), (cx - r, cy + h - 2)], fill=colour)
        draw.ellipse((cx - r, cy, cx, cy + r), fill=colour)
        draw.ellipse((cx, cy, cx + r, cy + r), fill=colour)
        draw.polygon([(cx, cy + h), (cx + h, cy + r + h), (cx - h, cy + r + h)], fill=colour)
    else:  # clubs
        s = int(r * 0.55)
        for dx, dy in ((0, -s), (-s, int(s * 0.6)), (s, int(s * 0.6))):
            draw.ellipse((cx + dx - s, cy + dy - s, cx + dx + s, cy + dy + s), fill=colour)
        draw.polygon([(cx, cy), (cx + s, cy + r + s), (cx - s, cy + r + s)], fill=colour)


def render_card(rank: str, suit: str) -> Any:
    """One card (RGBA): rank in two corners, a small suit under each, a large suit in the middle."""
    Image, ImageDraw = _pil()
    width, height = CARD_SIZE
    card = Image.new("RGBA", CARD_SIZE, (0, 0, 0, 0))
    draw = ImageDraw.Draw(card)
    draw.rounded_rectangle((0, 0, width - 1, height - 1), radius=10, fill=(250, 250, 246), outline=(60, 60, 60),
                           width=2)
    colour = SUIT_COLOUR[suit]
    _draw_text(draw, rank, 8, 8, 3, colour)
    _draw_suit(draw, suit, 18, 44, 9, colour)
    corner = Image.new("RGBA", (40, 60), (0, 0, 0, 0))
    corner_draw = ImageDraw.Draw(corner)
    _draw_text(corner_draw, rank, 0, 0, 3, colour)
    _draw_suit(corner_draw, suit, 10, 36, 9, colour)
    flipped = corner.rotate(180)
    card.alpha_composite(flipped, (width - 8 - 40, height - 8 - 60))
    _draw_suit(draw, suit, width // 2, height // 2 - 16, 28, colour)
    if rank in "JQK":  # face cards also carry their letter large, so J, Q and K never look alike
        _draw_text(draw, rank, width // 2 - 7, height // 2 + 40, 3, colour)
    return card


def render_hand(cards: Sequence[str], suits: Sequence[str], key: str) -> Any:
    """The cards side by side on a green table (RGB), jittered by ``key``'s hash."""
    Image, _ = _pil()
    rng = random.Random(hashlib.blake2b(key.encode(), digest_size=8).digest())
    width, height = CARD_SIZE
    gap = 24
    canvas = Image.new("RGB", (gap + len(cards) * (width + gap), height + 2 * gap + 16), TABLE)
    for index, (rank, suit) in enumerate(zip(cards, suits, strict=True)):
        card = render_card(rank, suit).rotate(rng.uniform(-6.0, 6.0), resample=Image.Resampling.NEAREST, expand=True)
        x = gap + index * (width + gap) + (width - card.width) // 2 + rng.randint(-6, 6)
        y = gap + 8 + (height - card.height) // 2 + rng.randint(-6, 6)
        canvas.paste(card, (x, y), card)
    return canvas


def hand_image(problem: Mapping[str, Any]) -> Any:
    """The image of a GeneralPoints problem (needs its ``suits``)."""
    key = f"{problem['cards']}|{problem['suits']}|{problem.get('target')}|{problem.get('rule')}"
    return render_hand(problem["cards"], problem["suits"], key)


def png_bytes(image: Any) -> bytes:
    """PNG encoding of ``image`` (compare pixels, not these bytes, across zlib builds)."""
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def decode_image(data: bytes | str, where: str) -> Any:
    """Open an image from bytes or a path; an undecodable one raises ValueError naming ``where``."""
    Image, _ = _pil()
    try:
        image = Image.open(io.BytesIO(data) if isinstance(data, bytes) else data)
        image.load()
    except (OSError, ValueError) as exc:
        raise ValueError(f"{where}: the image cannot be decoded ({exc}); regenerate it or point to a PNG/JPEG "
                         "file") from None
    return image.convert("RGB")
