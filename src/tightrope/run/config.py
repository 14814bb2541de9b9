"""What a user chose for a run, and the defaults of every choice, defined once.

`RunConfig` is stored with the run so it can be repeated exactly. The command line and the Python
API (`evaluate`) both build one and leave unset what the user did not give; `resolve` (in
`resolution.py`) fills the defaults below, so both get the same run for the same choices.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, SerializerFunctionWrapHandler, model_serializer

from tightrope.multiple_choice import DEFAULT_CHOICE_SCORING, ChoiceScoring
from tightrope.records import GenerationConfig
from tightrope.run.defaults import (
    BASELINE_ATTACK,
    DEFAULT_ATTACKS,
    DEFAULT_COMBINE,
    DEFAULT_MAX_ERROR_RATE,
    DEFAULT_SUITES,
    DEFAULT_TARGET,
)
from tightrope.targets.cached import DEFAULT_CACHE_MODE, CacheMode


class RunConfig(BaseModel):
    """Everything a user chose for a run; stored with it so the run can be repeated exactly.

    An empty `judges` means the default judges (`default_judges()`); resolution writes the
    judges it chose back into the config before the run is fingerprinted and stored.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    targets: tuple[str, ...] = (DEFAULT_TARGET,)
    suites: tuple[str, ...] = DEFAULT_SUITES
    attacks: tuple[str, ...] = DEFAULT_ATTACKS
    judges: tuple[str, ...] = ()
    limit: int | None = Field(default=None, ge=1)
    sample: int | None = Field(default=None, ge=1)
    sample_seed: int = 0
    generation: GenerationConfig = GenerationConfig()
    max_error_rate: float = Field(default=DEFAULT_MAX_ERROR_RATE, ge=0.0, le=1.0)
    # Model that writes the prompts of adaptive attacks (pair, tap); settings as for targets.
    attacker_model: str | None = None
    # Model of the LLM judges (a target spec), and an optional judge panel (`a,b=SPEC,c`)
    # combined by `combine` (majority, any, all, mean; see judges/panel.py).
    judge_model: str | None = None
    judge_panel: tuple[str, ...] = ()
    combine: str = DEFAULT_COMBINE
    # Backend settings (concurrency, timeouts, batch size): they change speed, not outputs,
    # so they are stored with the run but left out of its fingerprint.
    target_settings: dict[str, Any] = Field(default_factory=dict)
    # How the response cache is used (targets/cached.py): read-write, read-only, off, refresh.
    # It changes where answers come from, not what was asked, so it is not fingerprinted.
    cache: CacheMode = DEFAULT_CACHE_MODE
    # Stop the run (resumable) before a call would take its cost past this many US dollars.
    max_cost: float | None = Field(default=None, gt=0)
    # The `--config` file the run was made from ({"path": ..., "text": ...}), kept with the run
    # as provenance. The options it gave are already in the fields above.
    run_file: dict[str, str] | None = None
    # How multiple-choice items are answered: `generate` (a reply, parsed) or `loglik` (local
    # models: the most likely option letter). Left out of the serialised config when it is
    # `generate`, so the stored config and fingerprint of every other run are unchanged.
    choice_scoring: ChoiceScoring = DEFAULT_CHOICE_SCORING

    @model_serializer(mode="wrap")
    def _drop_default_scoring(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        data: dict[str, Any] = handler(self)
        if data.get("choice_scoring") == DEFAULT_CHOICE_SCORING:
            data.pop("choice_scoring", None)
        return data


# Fields of RunConfig left out of a run's fingerprint: they change how a run is carried out, not
# what it measures, and leaving them out keeps the fingerprints of runs made before they existed.
NOT_FINGERPRINTED = frozenset({"cache", "max_cost", "run_file"})
# Options that belong to one session of a run, not to the run: `--resume RUN` takes them from the
# command that resumes, everything else from the stored config.
SESSION_OPTIONS = ("cache", "max_cost")
# Keys of the instrument left out of the fingerprint: `cache_versions` is compared on resume
# instead (runner.py), `cache` is what the run learned about the cache as it went.
INSTRUMENT_NOT_FINGERPRINTED = frozenset({"cache_versions", "cache"})


def default_judges(suites: Sequence[str] = ()) -> tuple[tuple[str, ...], str | None]:
    """Return the judges of a run that names none, and a notice when the default is replaced.

    When every suite of the run names its own judges (`DatasetInfo.judges`: Tensor Trust's and
    the injection suite's success checks) and they agree, those are the default. Otherwise they
    are the learned judges `refusal-clf` and `harm-clf`; where their packages are missing the
    rule judge `refusal` stands in, and the notice says so (judges/build.py).
    """
    from tightrope.datasets import dataset_info, parse_suite_spec
    from tightrope.judges.build import default_judges as judges_default

    own = {dataset_info(parse_suite_spec(s)[0]).judges for s in suites}
    if len(own) == 1 and () not in own:
        return next(iter(own)), None
    return judges_default()


def with_baseline(attacks: Sequence[str]) -> tuple[str, ...]:
    """Return the attacks with the baseline `direct` first: it runs in every run."""
    return (BASELINE_ATTACK, *[a for a in attacks if a != BASELINE_ATTACK])
