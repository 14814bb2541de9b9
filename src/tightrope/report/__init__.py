"""Reports of a run: the terminal table and the progress display."""

from tightrope.report.terminal import (
    format_ci,
    format_rate,
    format_value,
    metrics_renderable,
    print_tables,
)

__all__ = ["format_ci", "format_rate", "format_value", "metrics_renderable", "print_tables"]
