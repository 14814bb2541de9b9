from pathlib import Path

import pytest

from tightrope.errors import InputError
from tightrope.records import Response, Usage
from tightrope.run.pricing import load_prices, model_name, usage_by_spec


def _r(p: int, c: int) -> Response:
    return Response(text="x", usage=Usage(prompt_tokens=p, completion_tokens=c))


def test_usage_and_cost_per_spec(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    table = tmp_path / "prices.yaml"
    table.write_text("my-model: {input: 1.0, output: 2.0}\n")
    monkeypatch.setenv("TIGHTROPE_PRICES", str(table))
    prices = load_prices()
    assert prices["my-model"] == (1.0, 2.0) and "gpt-4o-mini" in prices
    rows = usage_by_spec(
        "target",
        [
            ("openai-compatible:http://h/v1#my-model", _r(1_000_000, 500_000)),
            ("openai-compatible:http://h/v1#my-model", _r(0, 500_000)),
            ("openai:unpriced", _r(10, 10)),
            ("embedded:smollm2", _r(5, 7)),
        ],
        prices,
    )
    by = {u.spec: u for u in rows}
    mine = by["openai-compatible:http://h/v1#my-model"]
    assert (mine.calls, mine.prompt_tokens, mine.completion_tokens) == (2, 1_000_000, 1_000_000)
    assert mine.cost_usd == pytest.approx(3.0)
    assert by["openai:unpriced"].cost_usd is None
    assert by["embedded:smollm2"].cost_usd == 0.0


def test_model_names_and_bad_tables(tmp_path: Path) -> None:
    assert model_name("anthropic:claude-x") == "claude-x"
    assert model_name("python:a:b") is None
    bad = tmp_path / "p.yaml"
    bad.write_text("m: {input: cheap}\n")
    with pytest.raises(InputError, match="needs numeric 'input' and 'output'"):
        load_prices(bad)
