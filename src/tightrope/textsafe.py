"""The one place where text from users and models is made safe for a terminal.

Suite names, behavior ids, file paths, target specs and model output reach the terminal in
tables, progress bars and error lines. Printed as they are, a `[/x]` is read as rich markup (a
`MarkupError` that crashed a run), `[red]` disappears, `:-1:` becomes an emoji, and an escape
sequence (`ESC [ 31m`, a cursor move, a bidi override) reaches the terminal raw. The consoles
of `tightrope.cli.common` print every string through `printable` with markup and emoji off;
code that builds rich `Text` itself, or a line with deliberate markup, uses `printable` or
`markup_safe` on what it did not write.
"""

from __future__ import annotations

import re

from rich.markup import escape

# C0 controls but tab and newline, DEL, C1 controls, and the Unicode bidi overrides/isolates
# that reorder what a terminal shows.
_UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def _visible(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def printable(text: str) -> str:
    """Return `text` with control characters shown as `\\xNN` / `\\uNNNN` escapes.

    Tab and newline are kept; everything else that would steer a terminal (ESC, CR, BEL,
    backspace, C1 codes, bidi overrides) becomes visible text.
    """
    return _UNSAFE.sub(_visible, text)


def one_line(message: str) -> str:
    """Return `message` on one line: its line breaks become spaces (an error line stays one)."""
    return (
        " ".join(message.split("\n")).replace("\r", " ")
        if "\n" in message or "\r" in message
        else message
    )


def markup_safe(text: object) -> str:
    """Return `text` (any object, via str) printable and escaped for a line with rich markup."""
    return escape(printable(str(text)))
