"""One resolution step: every name of a run turned into objects once, validated once.

`resolve(config)` is the only place where a run's names (suites, targets, attacks, judges, the
attacker and judge models) become objects and its defaults are filled. Everything that can fail
on bad input fails here, before any store is created, so bad input writes nothing. The command
line resolves once and hands the result to the runner; the Python API does the same.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from tightrope._version import __version__
from tightrope.attacks import Attack, get_attack
from tightrope.attacks.adaptive import AdaptiveAttack
from tightrope.datasets import Suite, load_suite
from tightrope.datasets.groups import expand_suites
from tightrope.errors import InputError
from tightrope.judges import Judge, get_judge
from tightrope.judges.build import build_judges
from tightrope.judges.panel import check_combine
from tightrope.metrics import NoRefusalJudge
from tightrope.metrics import primary_judges as metrics_primary_judges
from tightrope.records import CHOICE_JUDGE, stable_hash
from tightrope.run.budget import CostBudget
from tightrope.run.config import (
    INSTRUMENT_NOT_FINGERPRINTED,
    NOT_FINGERPRINTED,
    RunConfig,
    default_judges,
    with_baseline,
)
from tightrope.run.pricing import load_prices
from tightrope.targets import ScoresChoices, Target, get_target, parse_spec, targets
from tightrope.targets.cached import CachedModel, ResponseCache


@dataclass
class ResolvedRun:
    """A run's config with its defaults filled, and every object the run needs, built once."""

    config: RunConfig
    suites: list[Suite]
    # Every model of the run by spec (targets, attacker and judge models), each behind one
    # cache-first wrapper shared by every caller: a spec used twice is one backend.
    models: dict[str, CachedModel]
    static_attacks: dict[str, Attack]
    adaptive_attacks: list[AdaptiveAttack]
    judges: dict[str, Judge]
    refusal_judge: str
    harm_judge: str | None
    # Notices for the user (a default judge replaced by its fallback), printed by the CLI.
    notices: list[str] = field(default_factory=list)
    # The spending limit of --max-cost, shared by every model of the run.
    budget: CostBudget | None = None
    # Specs of the models the judges call (they stay loaded through the judge stage).
    judge_models: frozenset[str] = frozenset()

    @property
    def targets(self) -> list[CachedModel]:
        """The models under evaluation, in the order given."""
        return [self.models[spec] for spec in self.config.targets]

    def instrument(self) -> dict[str, Any]:
        """Return what names the run's instrument: versions and checksums of everything used."""
        out: dict[str, Any] = {
            "tightrope_version": __version__,
            "suites": [
                {
                    "name": s.name,
                    "version": s.version,
                    "checksum": s.checksum,
                    "n": len(s.behaviors),
                }
                for s in self.suites
            ],
            "targets": [{"spec": t.spec, "version": t.version} for t in self.targets],
            "judges": [
                {"name": n, "version": j.version, "kind": j.kind} for n, j in self.judges.items()
            ],
            "generation": self.config.generation.model_dump(),
        }
        if self.config.choice_scoring != "generate":
            # Only when set, so the instrument (and fingerprint) of every other run is unchanged.
            out["choice_scoring"] = self.config.choice_scoring
        versions = {
            spec: m.cache_version for spec, m in self.models.items() if m.cache_version is not None
        }
        if versions:
            out["cache_versions"] = versions
        if self.adaptive_attacks:
            out["adaptive_attacks"] = [
                {
                    "attack": a.name,
                    "params": a.params,
                    "models": {
                        role: {"spec": spec, "version": self.models[spec].version}
                        for role, spec in a.models().items()
                    },
                }
                for a in self.adaptive_attacks
            ]
        return out

    def fingerprint(self, instrument: Mapping[str, Any]) -> str:
        """Return the hash that identifies the run: its config and instrument.

        Options that change how a run is carried out and not what it measures (the cache mode)
        are left out, and so are the instrument's cache versions, which `can_resume` compares.
        """
        config = self.config.model_dump(mode="json", exclude=set(NOT_FINGERPRINTED))
        kept = {k: v for k, v in instrument.items() if k not in INSTRUMENT_NOT_FINGERPRINTED}
        return stable_hash({"config": config, "instrument": kept})

    def can_resume(
        self, stored_instrument: Mapping[str, Any], instrument: Mapping[str, Any]
    ) -> bool:
        """Return False when an unfinished run was made with other cache versions (a `python:`
        target's function was edited since): its answers came from another function."""
        stored = stored_instrument.get("cache_versions")
        return stored is None or stored == instrument.get("cache_versions")

    def attach(self, cache: ResponseCache) -> None:
        """Make every model of the run use `cache` as the run's cache mode says."""
        for model in self.models.values():
            model.attach(cache, self.config.cache)
            model.budget = self.budget

    def release_targets(self) -> None:
        """Free the loaded weights of every target no judge calls: after the generate and
        adaptive stages nothing asks them again, and a local judge then runs without a model
        it does not use beside it (`make run`'s peak memory, issue 14). A target asked again
        (a resumed or later run in the same process) loads again."""
        for spec in self.config.targets:
            if spec not in self.judge_models:
                self.models[spec].release()

    def calls(self) -> tuple[int, int]:
        """Return (model calls made, calls the cache answered) over every model of the run."""
        return (
            sum(m.calls for m in self.models.values()),
            sum(m.hits for m in self.models.values()),
        )

    async def aclose(self) -> None:
        """Close every model's clients while the event loop still runs.

        Left to the garbage collector, an SDK client closes after asyncio.run() has shut its loop
        ("Event loop is closed") or, in a long-lived process, in the middle of the next run.
        """
        for model in self.models.values():
            await model.aclose()


def load_suites(config: RunConfig) -> list[Suite]:
    """Load every suite of the config, applying --sample then --limit to each; ids unique overall.

    `--sample N` draws a stratified sample by category that keeps pairs together
    (datasets/sampling.py); `--limit N` then keeps the first N behaviors and their twins. A
    suite group (`helm-safety`) is expanded first, so each member is sampled and limited.
    """
    suites = [
        load_suite(name).sample(config.sample, seed=config.sample_seed).limit(config.limit)
        for name in expand_suites(config.suites)[0]
    ]
    seen: dict[str, str] = {}
    for s in suites:
        for b in s.behaviors:
            if b.id in seen:
                raise InputError(
                    f"behavior id {b.id!r} occurs in suites {seen[b.id]!r} and {s.name!r}; "
                    "give each suite once"
                )
            seen[b.id] = s.name
    return suites


def primary_judges(kinds: Mapping[str, str]) -> tuple[str, str | None]:
    """Return (refusal judge, harm judge or None) from judge name -> kind (`metrics`' rule);
    InputError, with the fix, when no refusal judge is given."""
    try:
        return metrics_primary_judges(kinds)
    except NoRefusalJudge:
        raise InputError(
            "give at least one refusal judge with --judge (e.g. --judge refusal)"
        ) from None


def check_scoring(targets: Iterable[Target]) -> None:
    """Raise InputError unless every target can score options by log-likelihood.

    `--choice-scoring loglik` is refused, not quietly replaced by generation, for a target
    without the capability (remote APIs): a run whose targets answered the same items in two
    ways would compare accuracies that do not measure the same thing.
    """
    for t in targets:
        if not isinstance(t, ScoresChoices):
            raise InputError(
                f"--choice-scoring loglik: target {t.spec} cannot score options by "
                "log-likelihood (local models only: embedded:, hf:); use --choice-scoring generate"
            )


def resolve(config: RunConfig, *, notify: Callable[[str], None] | None = None) -> ResolvedRun:
    """Return the run `config` describes with every object built; InputError on bad input.

    Fills the defaults (the default judges; `direct` first among the attacks), builds the
    judges, targets, attacks and the models adaptive attacks and LLM judges call, and loads the
    suites. Nothing is written anywhere. A notice (a default judge replaced by its fallback) is
    kept in `ResolvedRun.notices` and given to `notify` at once, so the user sees it even when
    a later name is bad.
    """
    notices: list[str] = []
    judge_names = config.judges
    if not judge_names:
        judge_names, notice = default_judges(config.suites)
        if notice:
            notices.append(notice)
            if notify is not None:
                notify(notice)
    for note in expand_suites(config.suites)[1]:
        notices.append(note)
        if notify is not None:
            notify(note)
    config = config.model_copy(
        update={"attacks": with_baseline(config.attacks), "judges": tuple(judge_names)}
    )
    settings = config.target_settings
    models: dict[str, CachedModel] = {}

    def model_for(spec: str) -> CachedModel:
        if spec not in models:
            models[spec] = CachedModel(get_target(spec, **settings))
        return models[spec]

    check_combine(config.combine)
    for spec in (config.attacker_model, config.judge_model):
        if spec is not None:
            targets.get(parse_spec(spec)[0])
    judges = build_judges(
        config.judges,
        judge_model=config.judge_model,
        panel=config.judge_panel,
        combine=config.combine,
        model_for=model_for,
    )
    judge_models = frozenset(models)  # what the judges asked for, before anything else
    refusal, harm = primary_judges({n: j.kind for n, j in judges.items()})
    for spec in config.targets:
        model_for(spec)
    if config.choice_scoring == "loglik":
        check_scoring(models[spec].inner for spec in config.targets)
    static: dict[str, Attack] = {}
    adaptive: list[AdaptiveAttack] = []
    for name in config.attacks:
        atk = get_attack(name)
        if isinstance(atk, AdaptiveAttack):
            bound = atk.bind(attacker_model=config.attacker_model, judge_model=config.judge_model)
            for spec in config.targets:
                bound.check_target(models[spec].inner)
            adaptive.append(bound)
        else:
            static[name] = atk
    for atk in adaptive:
        for spec in atk.models().values():
            model_for(spec)
    budget = None
    if config.max_cost is not None:
        budget = CostBudget(config.max_cost, load_prices(), models)
    suites = load_suites(config)
    if CHOICE_JUDGE not in judges and any(b.side == "choice" for s in suites for b in s.behaviors):
        # Multiple-choice items are judged by the parse of their answer, whatever --judge says.
        judges[CHOICE_JUDGE] = get_judge(CHOICE_JUDGE)
        config = config.model_copy(update={"judges": (*config.judges, CHOICE_JUDGE)})
    return ResolvedRun(
        budget=budget,
        config=config,
        suites=suites,
        models=models,
        static_attacks=static,
        adaptive_attacks=adaptive,
        judges=judges,
        refusal_judge=refusal,
        harm_judge=harm,
        notices=notices,
        judge_models=judge_models,
    )
