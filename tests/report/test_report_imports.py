"""The report commands load their heavy or optional libraries only when they run."""

from __future__ import annotations

import subprocess
import sys


def test_help_of_report_commands_imports_no_optional_library() -> None:
    code = (
        "import sys; from typer.testing import CliRunner; from tightrope.cli.app import app; "
        "r = CliRunner(); "
        "codes = [r.invoke(app, [c, '--help']).exit_code "
        "for c in ('report', 'compare', 'gate', 'view', 'export')]; "
        "assert codes == [0] * 5, codes; "
        "heavy = [m for m in ('inspect_ai', 'pyarrow', 'playwright', 'http.server', "
        "'tightrope.report.html', 'tightrope.viewer') if m in sys.modules]; "
        "print('HEAVY', heavy)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert "HEAVY []" in out.stdout
