"""The sample table of the HTML report and the viewer, with its filter controls.

Model output is untrusted (DESIGN.md invariant 5): every text and attribute value written here
goes through `html.escape(..., quote=True)`; the filter script only reads `data-*` attributes.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from html import escape

from tightrope.datasets.taxonomy import category_sort_key
from tightrope.report.samples import SampleRow

PREVIEW_CHARS = 220
VERDICTS = ("refusal", "partial", "compliance", "unsafe", "safe", "error")
OUTCOMES = ("unsafe", "safe", "refused", "answered", "error")


def _e(text: object) -> str:
    return escape(str(text), quote=True)


def _select(name: str, label: str, options: Iterable[tuple[str, str]]) -> str:
    opts = "".join(f'<option value="{_e(v)}">{_e(t)}</option>' for v, t in options)
    return (
        f'<label>{_e(label)}<select name="{_e(name)}" data-filter="{_e(name)}">'
        f'<option value="">all</option>{opts}</select></label>'
    )


def _text_cell(text: str | None, cls: str = "text") -> str:
    if text is None:
        return f'<td class="{cls}"></td>'
    if len(text) <= PREVIEW_CHARS:
        return f'<td class="{cls}">{_e(text)}</td>'
    return (
        f'<td class="{cls}"><details><summary>{_e(text[:PREVIEW_CHARS])}'
        f'<span class="more"> … show all ({len(text)} chars)</span></summary>'
        f"{_e(text[PREVIEW_CHARS:])}</details></td>"
    )


def _turns_cell(turns: Sequence[tuple[str, str]]) -> str:
    """The conversation sent, turn by turn; the last user turn is the one answered."""
    blocks = "".join(
        f'<div class="turn turn-{_e(role)}"><span class="role">{_e(role)}</span>{_e(text)}</div>'
        for role, text in turns
    )
    n = sum(1 for role, _ in turns if role == "user")
    return (
        f'<td class="text"><details class="conversation"><summary>conversation · {n} user '
        f'turns<span class="more"> … show the turns</span></summary>{blocks}</details>'
        f'<div class="turn turn-user last"><span class="role">last turn</span>'
        f"{_e(turns[-1][1] if turns else '')}</div></td>"
    )


def _response_cell(r: SampleRow) -> str:
    if r.error is not None and r.response is None:
        return f'<td class="text"><span class="err-text">error: {_e(r.error)}</span></td>'
    if r.translation is None:
        return _text_cell(r.response)
    return (
        f'<td class="text">{_e(r.response or "")}'
        f'<div class="turn back"><span class="role">translated back · what the judges read'
        f"</span>{_e(r.translation)}</div></td>"
    )


def filters_html(rows: Sequence[SampleRow]) -> str:
    """Return the filter form: run, target and attack (when several), side, category, verdict,
    outcome, judge disagreement and a text search.
    """
    runs = sorted({r.run_id for r in rows})
    targets = sorted({r.target for r in rows})
    attacks = sorted({r.attack for r in rows})
    cats = sorted(
        {(r.category, r.category_name) for r in rows}, key=lambda c: category_sort_key(c[0])
    )
    verdicts = [v for v in VERDICTS if any(r.verdict == v for r in rows)]
    parts = ['<form id="sample-filters" class="filters" autocomplete="off">']
    if len(runs) > 1:
        parts.append(_select("run", "run", [(r, r) for r in runs]))
    if len(targets) > 1:
        parts.append(_select("target", "target", [(t, t) for t in targets]))
    if len(attacks) > 1:
        parts.append(_select("attack", "attack", [(a, a) for a in attacks]))
    parts += [
        _select("side", "side", [("harmful", "harmful"), ("benign", "benign")]),
        _select("category", "category", [(c, f"{c} {n}") for c, n in cats]),
        _select("verdict", "verdict (driving judge)", [(v, v) for v in verdicts]),
        _select("outcome", "outcome", [(o, o) for o in OUTCOMES]),
        '<label class="check"><input type="checkbox" name="disagree" data-filter="disagree"> '
        "judges disagree</label>",
        '<label>search<input type="search" name="q" placeholder="prompt, response, id"></label>',
        f'<span class="count" id="sample-count">{len(rows)} samples</span>',
        "</form>",
    ]
    return "".join(parts)


def _row(r: SampleRow) -> str:
    attrs = {
        "run": r.run_id,
        "target": r.target,
        "attack": r.attack,
        "side": r.side,
        "category": r.category,
        "verdict": r.verdict,
        "outcome": r.outcome,
        "disagree": "1" if r.disagree else "0",
    }
    data = " ".join(f'data-{k}="{_e(v)}"' for k, v in attrs.items())
    verdicts = " · ".join(f"{name}: {label}" for name, label in r.verdicts.items())
    pills = f'<span class="pill {_e(r.outcome)}">{_e(r.outcome)}</span>'
    if r.disagree:
        pills += ' <span class="pill disagree">judges disagree</span>'
    response = _response_cell(r)
    prompt = _turns_cell(r.turns) if r.turns else _text_cell(r.prompt)
    return (
        f"<tr {data}>"
        f'<td><span class="mono">{_e(r.behavior_id)}</span><br>'
        f'<span class="side-{_e(r.side)}">{_e(r.side)}</span> · {_e(r.category)}'
        f'<br><span class="verdicts">{_e(r.attack)} · {_e(r.target)}</span></td>'
        f"{prompt}{response}"
        f'<td>{pills}<br><span class="verdicts">{_e(verdicts or "no verdict")}</span>'
        + (
            f'<br><span class="err-text">{_e(r.error)}</span>'
            if r.error is not None and r.response is not None
            else ""
        )
        + "</td></tr>"
    )


def samples_html(rows: Sequence[SampleRow]) -> str:
    """Return the filter form and the sample table (every cell escaped)."""
    body = "".join(_row(r) for r in rows)
    return (
        filters_html(rows) + '<div class="samples-wrap"><table id="samples" class="data samples">'
        "<thead><tr><th>behavior</th><th>prompt sent</th><th>model output</th>"
        "<th>outcome · verdicts</th></tr></thead>"
        f"<tbody>{body}</tbody></table></div>"
    )
