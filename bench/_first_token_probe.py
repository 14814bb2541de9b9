"""Run the `tightrope` command line with a probe that notes when the first token is generated.

    .venv/bin/python bench/_first_token_probe.py STAMP_FILE [--exit-at-first-token] -- ARGS...

Used by `bench/cli_walltime.py`; not a benchmark by itself. It changes no tightrope code: before
calling `tightrope.cli.app.main` with ARGS, it wraps the transformers `generate` of the target's
model, once loaded, to pass a streamer. transformers hands a streamer the prompt ids first, then
each new token as soon as it is chosen; at the second hand-over (the first generated token, i.e.
after the prefill of the whole first batch) the probe writes `time.monotonic()` to STAMP_FILE.
On Linux that clock is system-wide, so the parent can subtract its own reading taken just before
it started this process. With --exit-at-first-token the process exits there and then.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from tightrope.records import GenerationConfig, Message, Response
from tightrope.targets.hf import TransformersTarget


class FirstToken:
    """A transformers streamer (duck-typed: `put` and `end`) that stamps the first new token."""

    def __init__(self, stamp: Path, exit_now: bool) -> None:
        self.stamp = stamp
        self.exit_now = exit_now
        self.puts = 0

    def put(self, value: Any) -> None:
        self.puts += 1
        if self.puts == 2 and not self.stamp.exists():
            self.stamp.write_text(f"{time.monotonic()}\n", encoding="utf-8")
            if self.exit_now:
                os._exit(0)

    def end(self) -> None:
        pass


def install(stamp: Path, exit_now: bool) -> None:
    """Wrap TransformersTarget.generate_sync so every model.generate call gets a FirstToken."""
    original = TransformersTarget.generate_sync

    def generate_sync(
        self: TransformersTarget, batch: Sequence[Sequence[Message]], config: GenerationConfig
    ) -> list[Response]:
        _, model = self.load()
        if not getattr(model, "_first_token_probe", False):
            generate = model.generate

            def probed(*args: Any, **kwargs: Any) -> Any:
                kwargs.setdefault("streamer", FirstToken(stamp, exit_now))
                return generate(*args, **kwargs)

            model.generate = probed
            model._first_token_probe = True
        return original(self, batch, config)

    TransformersTarget.generate_sync = generate_sync  # type: ignore[method-assign]


def main() -> None:
    args = sys.argv[1:]
    split = args.index("--")
    own, cli_args = args[:split], args[split + 1 :]
    install(Path(own[0]), "--exit-at-first-token" in own)
    from tightrope.cli.app import main as cli_main

    sys.argv = ["tightrope", *cli_args]
    cli_main()


if __name__ == "__main__":
    main()
