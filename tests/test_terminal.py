from rich.console import Console

from tightrope.metrics.rates import metrics_table
from tightrope.report.terminal import print_tables


def test_a_table_with_no_records_still_prints() -> None:
    # An attack with no attempts for a target (e.g. a transfer attack on another suite).
    table = metrics_table([], target="t:x", attack="jbb-artifact:PAIR/m", refusal_judge="refusal")
    assert [r.category for r in table.rows] == ["all"]
    console = Console(width=120, record=True)
    print_tables(console, [table], {"suites": [], "judges": []})
    text = console.export_text()
    assert "jbb-artifact:PAIR/m" in text and "—" in text
