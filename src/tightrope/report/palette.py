"""Colour-blind-safe colours for reports: Okabe-Ito for series, orange-to-blue for rates.

Every series also gets its own marker shape, so no reading depends on colour alone.
"""

from __future__ import annotations

import itertools
import math

# Okabe & Ito (2008), distinguishable under the common colour-vision deficiencies.
SERIES_COLOURS = (
    "#0072B2",  # blue
    "#E69F00",  # orange
    "#009E73",  # bluish green
    "#CC79A7",  # reddish purple
    "#56B4E9",  # sky blue
    "#D55E00",  # vermillion
    "#000000",  # black
    "#F0E442",  # yellow
)
MARKERS = ("circle", "square", "triangle", "diamond", "triangle-down", "cross")

# Diverging orange -> neutral -> blue (ColorBrewer PuOr/RdBu family): low rates orange (bad for
# both metrics), high rates blue (good); safe for deuteranopia, protanopia and tritanopia.
_STOPS = (
    (0.00, (179, 88, 6)),
    (0.25, (241, 163, 64)),
    (0.50, (247, 247, 247)),
    (0.75, (103, 169, 207)),
    (1.00, (33, 102, 172)),
)


def series_colour(i: int) -> str:
    """Return the i-th series colour (cycles after eight)."""
    return SERIES_COLOURS[i % len(SERIES_COLOURS)]


def series_marker(i: int) -> str:
    """Return the i-th marker shape name (cycles)."""
    return MARKERS[i % len(MARKERS)]


def rate_rgb(value: float) -> tuple[int, int, int]:
    """Return the heatmap colour of a rate in [0, 1] as an RGB triple (grey for nan)."""
    if math.isnan(value):
        return (224, 224, 224)
    v = min(1.0, max(0.0, value))
    for (x0, c0), (x1, c1) in itertools.pairwise(_STOPS):
        if v <= x1:
            t = (v - x0) / (x1 - x0)
            r, g, b = (round(a + (b_ - a) * t) for a, b_ in zip(c0, c1, strict=True))
            return (r, g, b)
    return _STOPS[-1][1]


def rate_colour(value: float) -> str:
    """Return the heatmap colour of a rate as '#rrggbb'."""
    r, g, b = rate_rgb(value)
    return f"#{r:02x}{g:02x}{b:02x}"


def text_colour_on(value: float) -> str:
    """Return black or white, whichever reads better on `rate_colour(value)`."""
    r, g, b = rate_rgb(value)
    luminance = (0.2126 * r + 0.7152 * g + 0.0722 * b) / 255
    return "#111111" if luminance > 0.5 else "#ffffff"


def marker_svg(shape: str, x: float, y: float, size: float, colour: str) -> str:
    """Return an SVG element drawing `shape` centred on (x, y)."""
    s = size
    fill = f'fill="{colour}" stroke="#ffffff" stroke-width="1.2"'
    if shape == "square":
        return f'<rect x="{x - s:.1f}" y="{y - s:.1f}" width="{2 * s:.1f}" height="{2 * s:.1f}" {fill}/>'
    if shape in ("triangle", "triangle-down"):
        d = -1 if shape == "triangle" else 1
        pts = [(x, y + d * s * 1.2), (x - s * 1.1, y - d * s * 0.8), (x + s * 1.1, y - d * s * 0.8)]
        return f'<polygon points="{_pts(pts)}" {fill}/>'
    if shape == "diamond":
        pts = [(x, y - s * 1.3), (x + s * 1.1, y), (x, y + s * 1.3), (x - s * 1.1, y)]
        return f'<polygon points="{_pts(pts)}" {fill}/>'
    if shape == "cross":
        w = s * 0.45
        pts = [
            (x - w, y - s), (x + w, y - s), (x + w, y - w), (x + s, y - w), (x + s, y + w),
            (x + w, y + w), (x + w, y + s), (x - w, y + s), (x - w, y + w), (x - s, y + w),
            (x - s, y - w), (x - w, y - w),
        ]  # fmt: skip
        return f'<polygon points="{_pts(pts)}" {fill}/>'
    return f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{s:.1f}" {fill}/>'


def _pts(points: list[tuple[float, float]]) -> str:
    return " ".join(f"{px:.1f},{py:.1f}" for px, py in points)
