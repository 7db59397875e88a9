"""Gallery pictures for demo projects, drawn at load time so no binary file is committed.

Each picture is a soft four-corner gradient with a few translucent circles and the
project's title. Colours come from a ``random.Random`` seeded with the demo seed and the
title, so the same project always gets the same picture.
"""

from __future__ import annotations

import io
import random

from PIL import Image, ImageDraw, ImageFilter, ImageFont

WIDTH, HEIGHT = 1200, 800

# Pairs of (dark, light) colours that keep white text readable on the dark half.
PALETTES: tuple[tuple[tuple[int, int, int], tuple[int, int, int]], ...] = (
    ((32, 56, 100), (115, 178, 196)),  # harbour blue
    ((94, 38, 82), (236, 146, 120)),  # plum and peach
    ((24, 84, 74), (168, 214, 160)),  # pine and sage
    ((120, 48, 34), (240, 190, 110)),  # terracotta and sand
    ((48, 40, 110), (150, 140, 230)),  # indigo and lavender
    ((30, 70, 52), (224, 206, 120)),  # forest and mustard
    ((70, 36, 40), (220, 120, 130)),  # wine and rose
    ((20, 60, 90), (110, 200, 170)),  # deep sea and mint
)


def _mix(a: tuple[int, int, int], b: tuple[int, int, int], t: float) -> tuple[int, int, int]:
    return (
        round(a[0] + (b[0] - a[0]) * t),
        round(a[1] + (b[1] - a[1]) * t),
        round(a[2] + (b[2] - a[2]) * t),
    )


def _wrap(
    text: str, font: ImageFont.FreeTypeFont | ImageFont.ImageFont, max_width: int
) -> list[str]:
    lines: list[str] = []
    current = ""
    for word in text.split():
        candidate = f"{current} {word}".strip()
        if current and font.getlength(candidate) > max_width:
            lines.append(current)
            current = word
        else:
            current = candidate
    if current:
        lines.append(current)
    return lines


def gallery_picture(*, title: str, caption: str, seed: int, variant: int = 0) -> bytes:
    """A 1200x800 JPEG: gradient, circles, ``caption`` small at the top, ``title`` large."""
    rng = random.Random(f"{seed}:{title}:{variant}")
    dark, light = rng.choice(PALETTES)
    # A 2x2 image scaled up with bicubic filtering is a smooth four-corner gradient.
    corners = Image.new("RGB", (2, 2))
    # Light at the top right, dark at the bottom left where the title sits.
    corners.putdata([_mix(dark, light, 0.45), light, dark, _mix(dark, light, 0.3)])
    image = corners.resize((WIDTH, HEIGHT), Image.Resampling.BICUBIC)

    overlay = Image.new("RGBA", (WIDTH, HEIGHT), (0, 0, 0, 0))
    draw = ImageDraw.Draw(overlay)
    for _ in range(5):
        radius = rng.randint(120, 340)
        x, y = rng.randint(WIDTH // 3, WIDTH), rng.randint(-100, HEIGHT)
        colour = (*_mix(light, (255, 255, 255), rng.random() * 0.6), rng.randint(28, 70))
        draw.ellipse((x - radius, y - radius, x + radius, y + radius), fill=colour)
    overlay = overlay.filter(ImageFilter.GaussianBlur(6))
    image = Image.alpha_composite(image.convert("RGBA"), overlay)
    # A soft dark band along the bottom keeps white text well above 4.5:1 contrast.
    band = Image.linear_gradient("L").resize((WIDTH, HEIGHT)).point(lambda v: v * 150 // 255)
    shade = Image.new("RGBA", (WIDTH, HEIGHT), (*dark, 0))
    shade.putalpha(band)
    image = Image.alpha_composite(image, shade)

    draw = ImageDraw.Draw(image)
    margin = 72
    small = ImageFont.load_default(size=30)
    draw.text((margin, margin), caption.upper(), font=small, fill=(255, 255, 255, 215))
    size = 68
    font = ImageFont.load_default(size=size)
    lines = _wrap(title, font, WIDTH - 2 * margin)
    while len(lines) > 4 and size > 40:
        size -= 6
        font = ImageFont.load_default(size=size)
        lines = _wrap(title, font, WIDTH - 2 * margin)
    line_height = round(size * 1.2)
    y = HEIGHT - margin - line_height * len(lines)
    for line in lines:
        # A faint offset shadow keeps the title legible over the lighter corner.
        draw.text((margin + 2, y + 3), line, font=font, fill=(0, 0, 0, 90))
        draw.text((margin, y), line, font=font, fill=(255, 255, 255, 255))
        y += line_height

    out = io.BytesIO()
    image.convert("RGB").save(out, format="JPEG", quality=88)
    return out.getvalue()
