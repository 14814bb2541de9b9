"""Reports of runs, one module per format, all read from the store alone.

terminal (the table), progress (the run's progress bars), html (+ html_sections, html_samples,
plots, palette, series), markdown, json_report, compare (+ paired, compare_render), policy and
gate, exports (JSONL, Parquet), inspect_log (Inspect AI), jbb (JailbreakBench artifact); loader
and samples are shared by all of them. Only the terminal helpers are imported here, so the
formats' dependencies load when a format is asked for.
"""

from tightrope.report.terminal import (
    format_ci,
    format_rate,
    format_value,
    metrics_renderable,
    print_tables,
)

__all__ = ["format_ci", "format_rate", "format_value", "metrics_renderable", "print_tables"]
