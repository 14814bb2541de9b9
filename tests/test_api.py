from pathlib import Path

import tightrope


def test_public_names_resolve_and_evaluate_runs(tmp_path: Path) -> None:
    for name in tightrope.__all__:
        assert getattr(tightrope, name) is not None
    res = tightrope.evaluate(
        judges=("refusal",), target="python:fake_targets:rule", limit=4, out=tmp_path
    )
    assert len(res.records) == 4 and res.tables[0].overall.not_overrefuse.n == 2
    assert res.store_path.is_file()


def test_unknown_attribute_is_an_attribute_error() -> None:
    try:
        tightrope.nope  # noqa: B018
    except AttributeError as exc:
        assert "nope" in str(exc)
    else:
        raise AssertionError("expected AttributeError")
