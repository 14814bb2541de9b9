"""`replay:FILE`: recorded responses, so existing transcripts can be judged without any model.

A request is answered with the recorded response whose prompt equals the last user message
(whitespace at the ends ignored). Formats, by extension:

* `.jsonl`: one object per line with `prompt` (or `text`/`goal`) and `response` (or
  `completion`); optional `id`.
* `.json`: a JailbreakBench artifact (`{"parameters": ..., "jailbreaks": [...]}`); each record
  answers both its jailbreak `prompt` and its `goal`, so a suite of the plain goals replays the
  attack's transcript. A record of JailbreakBench's behaviors also answers today's wording of
  its goal, matched by JBB Index (JBB fixed typos in goals after some artifacts were recorded;
  used when JBB's behaviors are on this machine). Where the attack submitted nothing (null prompt and response), the reply
  is empty text with finish reason `no_submission`: JailbreakBench counts those as not
  jailbroken, and so does a judge that reads an empty reply as a refusal.
* `.csv`: XSTest completion files (`prompt`, `completion`) or any CSV with those columns.

A prompt with no recording is an error record, never an empty answer.
"""

from __future__ import annotations

import csv
import hashlib
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from tightrope.errors import InputError
from tightrope.records import GenerationConfig, Message, Response
from tightrope.targets._base import Target, TargetBase, target

NO_SUBMISSION = "no_submission"
PROMPT_KEYS = ("prompt", "text", "goal")
RESPONSE_KEYS = ("response", "completion")


def _key(text: str) -> str:
    return text.strip()


def _pick(row: dict[str, Any], keys: Sequence[str]) -> Any:
    for k in keys:
        if k in row:
            return row[k]
    return None


# A recording: (text, finish reason). Plain tuples, not Responses: a 100k-line replay file then
# costs a few tens of MB, and each Response is built when asked for.
Recording = tuple[str, str]


def _jbb_goals(records: list[dict[str, Any]]) -> dict[int, str]:
    """Return {record position: today's JBB goal} when the records are a JBB artifact."""
    from tightrope.datasets.jbb import artifact_goals

    return artifact_goals(records)


def load_recordings(path: Path) -> dict[str, Recording]:
    """Return prompt -> recorded (text, finish reason) from a replay file.

    Bad files raise InputError naming the file and line.
    """
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise InputError(f"{path}: cannot read the replay file ({exc.strerror})") from None
    except ValueError:  # a NUL byte in the path
        raise InputError(f"{path!r}: not a usable file name; check the replay path") from None
    suffix = path.suffix.lower()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(f"{path}: not UTF-8 at byte {exc.start}; re-save it as UTF-8") from None
    del raw
    out: dict[str, Recording] = {}
    if suffix == ".jsonl":
        # "\n" only: splitlines() would also split on U+0085/U+2028 inside JSON strings.
        for lineno, line in enumerate(text.split("\n"), 1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as exc:
                raise InputError(
                    f"{path}:{lineno}:{exc.colno}: not valid JSON ({exc.msg})"
                ) from None
            prompt, response = _pick(row, PROMPT_KEYS), _pick(row, RESPONSE_KEYS)
            if not isinstance(prompt, str) or not isinstance(response, str):
                raise InputError(f"{path}:{lineno}: needs string fields 'prompt' and 'response'")
            out[_key(prompt)] = (response, "replay")
    elif suffix == ".json":
        try:
            doc = json.loads(text)
        except json.JSONDecodeError as exc:
            raise InputError(
                f"{path}:{exc.lineno}:{exc.colno}: not valid JSON ({exc.msg})"
            ) from None
        if not isinstance(doc, dict) or not isinstance(doc.get("jailbreaks"), list):
            raise InputError(f"{path}: not a JailbreakBench artifact (no 'jailbreaks' list)")
        records = [rec for rec in doc["jailbreaks"] if isinstance(rec, dict)]
        today = _jbb_goals(records)
        for position, rec in enumerate(records):
            response = rec.get("response")
            reply = ("", NO_SUBMISSION) if response is None else (str(response), "replay")
            for k in ("prompt", "goal"):
                if isinstance(rec.get(k), str):
                    out.setdefault(_key(rec[k]), reply)
            if position in today:  # today's wording of the goal, matched by JBB Index
                out.setdefault(_key(today[position]), reply)
    elif suffix == ".csv":
        reader = csv.DictReader(text.splitlines(keepends=True))
        missing = {"prompt", "completion"} - set(reader.fieldnames or [])
        if missing and not {"prompt", "response"} <= set(reader.fieldnames or []):
            raise InputError(f"{path}:1: needs columns 'prompt' and 'completion' (or 'response')")
        for row in reader:
            out[_key(row["prompt"])] = (
                row.get("completion") or row.get("response") or "",
                "replay",
            )
    else:
        raise InputError(f"{path}: replay files are .jsonl, .json (JBB artifact) or .csv")
    if not out:
        raise InputError(f"{path}: the replay file holds no responses")
    return out


class ReplayTarget(TargetBase):
    """Answers from recordings; never calls a model."""

    max_batch_size = 256
    max_concurrency = 1

    def __init__(self, path: str) -> None:
        self.path = Path(path)
        self.spec = f"replay:{path}"
        # Read once now so a bad file stops the run before anything is written; the index is
        # then built by `load`, when the run needs it (after a large suite has been planned
        # and dropped, so the two are never in memory together).
        load_recordings(self.path)
        self._recordings: dict[str, Recording] | None = None
        self.version = "sha256=" + hashlib.sha256(self.path.read_bytes()).hexdigest()

    def load(self) -> dict[str, Recording]:
        """Return the recordings indexed by prompt, reading them on first use.

        The runner calls this before the first batch (in a thread, with a progress line).
        """
        if self._recordings is None:
            self._recordings = load_recordings(self.path)
        return self._recordings

    async def generate(
        self, batch: Sequence[Sequence[Message]], config: GenerationConfig
    ) -> list[Response]:
        """Return the recorded response for each conversation's last user message."""
        recordings = self.load()
        out = []
        for messages in batch:
            users = [m.content for m in messages if m.role == "user"]
            found = recordings.get(_key(users[-1])) if users else None
            out.append(
                Response(text=found[0], finish_reason=found[1])
                if found is not None
                else Response(error=f"replay: {self.path.name} has no response for this prompt")
            )
        return out


@target("replay")
def replay_target(path: str, **settings: Any) -> Target:
    """Recorded responses: replay:FILE (.jsonl, JailbreakBench artifact .json, XSTest .csv)."""
    return ReplayTarget(path)
