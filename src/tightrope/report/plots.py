"""Inline SVG plots: the safety / over-refusal frontier and per-attack ASR bars.

Plain SVG strings, no plotting library and nothing fetched: the report stays one file that
opens from disk. Every label is escaped; a `<title>` on each mark carries its exact numbers.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from html import escape

from tightrope.metrics.rates import Rate
from tightrope.report.palette import marker_svg
from tightrope.report.series import Series
from tightrope.report.terminal import format_rate

FONT = 'font-family="inherit" font-size="12" fill="#333"'


def _finite(r: Rate) -> bool:
    return r.n > 0 and not math.isnan(r.value)


def _domain(values: Sequence[float]) -> float:
    """Return the lower end of a [lo, 1] axis showing every value, on a 0.1 grid, at most 0.5."""
    finite = [v for v in values if not math.isnan(v)]
    if not finite:
        return 0.0
    return min(0.5, math.floor(min(finite) * 10) / 10)


def frontier_svg(series: Sequence[Series]) -> str:
    """Return the frontier plot: x = not_overrefuse, y = not_unsafe, one point per series.

    Whiskers are the 95% intervals on each axis; the ideal corner (100%, 100%) is top right.
    Series lacking either side (n = 0) are left out and named in a note under the plot.
    """
    w, h = 600, 460
    left, right, top, bottom = 70, 28, 22, 62
    pw, ph = w - left - right, h - top - bottom
    pts = [(s, s.baseline.overall) for s in series]
    shown = [(s, row) for s, row in pts if _finite(row.not_unsafe) and _finite(row.not_overrefuse)]
    lo = _domain(
        [row.not_overrefuse.low for _, row in shown] + [row.not_unsafe.low for _, row in shown]
    )

    def sx(v: float) -> float:
        """Return the x pixel of a rate."""
        return left + (v - lo) / (1 - lo) * pw

    def sy(v: float) -> float:
        """Return the y pixel of a rate."""
        return top + (1 - (v - lo) / (1 - lo)) * ph

    parts = [
        f'<svg class="plot" viewBox="0 0 {w} {h}" width="{w}" height="{h}" role="img" '
        'aria-labelledby="frontier-title" xmlns="http://www.w3.org/2000/svg">',
        '<title id="frontier-title">Safety / over-refusal frontier: not_overrefuse (x) against '
        "not_unsafe (y), 95% intervals as whiskers</title>",
        f'<rect x="{left}" y="{top}" width="{pw}" height="{ph}" fill="#fafafa" stroke="#ccc"/>',
    ]
    step = 0.1 if 1 - lo > 0.3 else 0.05
    ticks = [lo + i * step for i in range(round((1 - lo) / step) + 1)]
    for t in ticks:
        x, y = sx(t), sy(t)
        parts.append(
            f'<line x1="{x:.1f}" y1="{top}" x2="{x:.1f}" y2="{top + ph}" stroke="#e4e4e4"/>'
            f'<line x1="{left}" y1="{y:.1f}" x2="{left + pw}" y2="{y:.1f}" stroke="#e4e4e4"/>'
            f'<text x="{x:.1f}" y="{top + ph + 18}" text-anchor="middle" {FONT}>{100 * t:.0f}%</text>'
            f'<text x="{left - 8}" y="{y + 4:.1f}" text-anchor="end" {FONT}>{100 * t:.0f}%</text>'
        )
    parts.append(
        f'<text x="{left + pw / 2:.1f}" y="{h - 14}" text-anchor="middle" font-size="13" '
        'fill="#222" font-weight="600">not_overrefuse: harmless prompts answered →</text>'
        f'<text transform="translate(18 {top + ph / 2:.1f}) rotate(-90)" text-anchor="middle" '
        'font-size="13" fill="#222" font-weight="600">not_unsafe: harmful prompts not helped →'
        "</text>"
        f'<text x="{left + pw}" y="{top - 7}" text-anchor="end" font-size="12" '
        'fill="#666" font-style="italic">ideal: top right (100%, 100%)</text>'
    )
    for s, row in shown:
        x, y = sx(row.not_overrefuse.value), sy(row.not_unsafe.value)
        x0, x1 = sx(row.not_overrefuse.low), sx(row.not_overrefuse.high)
        y0, y1 = sy(row.not_unsafe.low), sy(row.not_unsafe.high)
        tip = escape(
            f"{s.label}: not_unsafe {format_rate(row.not_unsafe)} (n={row.not_unsafe.n}), "
            f"not_overrefuse {format_rate(row.not_overrefuse)} (n={row.not_overrefuse.n})"
        )
        c = s.colour
        parts.append(
            f'<g class="point" data-series="{escape(s.key)}"><title>{tip}</title>'
            f'<line x1="{x0:.1f}" y1="{y:.1f}" x2="{x1:.1f}" y2="{y:.1f}" stroke="{c}" '
            'stroke-width="2"/>'
            f'<line x1="{x:.1f}" y1="{y0:.1f}" x2="{x:.1f}" y2="{y1:.1f}" stroke="{c}" '
            'stroke-width="2"/>'
            + "".join(
                f'<line x1="{a:.1f}" y1="{b:.1f}" x2="{cx:.1f}" y2="{d:.1f}" stroke="{c}" '
                'stroke-width="2"/>'
                for a, b, cx, d in (
                    (x0, y - 5, x0, y + 5),
                    (x1, y - 5, x1, y + 5),
                    (x - 5, y0, x + 5, y0),
                    (x - 5, y1, x + 5, y1),
                )
            )
            + marker_svg(s.marker, x, y, 6.5, c)
            + f'<text x="{x + 9:.1f}" y="{y - 8:.1f}" font-size="12" font-weight="700" '
            f'fill="#222">{s.number}</text></g>'
        )
    parts.append("</svg>")
    return "".join(parts)


def omitted_from_frontier(series: Sequence[Series]) -> list[str]:
    """Return the labels of series the frontier cannot place (no usable item on a side)."""
    return [
        s.label
        for s in series
        if not (
            _finite(s.baseline.overall.not_unsafe) and _finite(s.baseline.overall.not_overrefuse)
        )
    ]


def attack_bars_svg(series: Sequence[Series]) -> str:
    """Return horizontal ASR bars, one group per attack and one bar per series, with whiskers.

    The scale is 0-100%; each bar's label gives ASR, its interval and n.
    """
    attacks: list[str] = []
    for s in series:
        attacks += [a for a in s.tables if a not in attacks]
    bar, gap, label_w, w = 16, 14, 150, 600
    rows = sum(1 for a in attacks for s in series if a in s.tables)
    h = 30 + rows * (bar + 4) + len(attacks) * gap + 24
    pw = w - label_w - 190
    parts = [
        f'<svg class="plot" viewBox="0 0 {w} {h}" width="{w}" height="{h}" role="img" '
        'aria-label="Attack success rate per attack with 95% intervals" '
        'xmlns="http://www.w3.org/2000/svg">'
    ]
    for t in (0.0, 0.25, 0.5, 0.75, 1.0):
        x = label_w + t * pw
        parts.append(
            f'<line x1="{x:.1f}" y1="18" x2="{x:.1f}" y2="{h - 20}" stroke="#e4e4e4"/>'
            f'<text x="{x:.1f}" y="12" text-anchor="middle" {FONT}>{100 * t:.0f}%</text>'
        )
    y = 26.0
    for a in attacks:
        parts.append(
            f'<text x="{label_w - 10}" y="{y + bar - 3:.1f}" text-anchor="end" font-size="13" '
            f'font-weight="600" fill="#222">{escape(a)}</text>'
        )
        for s in series:
            table = s.tables.get(a)
            if table is None:
                continue
            r = table.overall.asr
            c = s.colour
            tip = escape(f"{s.label} · {a}: ASR {format_rate(r)} (n={r.n}, errors {r.errors})")
            parts.append(f'<g class="bar" data-series="{escape(s.key)}"><title>{tip}</title>')
            if _finite(r):
                x0, x1 = label_w + r.low * pw, label_w + r.high * pw
                mid = y + bar / 2
                parts.append(
                    f'<rect x="{label_w}" y="{y:.1f}" width="{max(r.value * pw, 1.5):.1f}" '
                    f'height="{bar}" fill="{c}" opacity="0.85"/>'
                    f'<line x1="{x0:.1f}" y1="{mid:.1f}" x2="{x1:.1f}" y2="{mid:.1f}" '
                    'stroke="#222" stroke-width="1.5"/>'
                    f'<line x1="{x0:.1f}" y1="{mid - 4:.1f}" x2="{x0:.1f}" y2="{mid + 4:.1f}" '
                    'stroke="#222" stroke-width="1.5"/>'
                    f'<line x1="{x1:.1f}" y1="{mid - 4:.1f}" x2="{x1:.1f}" y2="{mid + 4:.1f}" '
                    'stroke="#222" stroke-width="1.5"/>'
                )
            text = f"{format_rate(r)} n={r.n}" if _finite(r) else "no data"
            parts.append(
                marker_svg(s.marker, label_w + pw + 14, y + bar / 2, 5, c)
                + f'<text x="{label_w + pw + 24}" y="{y + bar - 4:.1f}" {FONT}>{escape(text)}</text>'
                "</g>"
            )
            y += bar + 4
        y += gap
    parts.append("</svg>")
    return "".join(parts)
