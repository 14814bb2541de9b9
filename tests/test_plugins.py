"""Plug-ins: third-party packages add targets, judges, attacks and suites through entry points.

The end-to-end tests build real distributions in a temporary folder, install them with pip
(offline, no build isolation) into a `--target` folder, and drive the real `tightrope` command
with that folder on PYTHONPATH. The unit tests feed a fresh `Registry` fake entry points.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

import tightrope
from clihelp import cli_env
from tightrope import registry as registry_module
from tightrope.errors import PluginError, UnknownNameError
from tightrope.registry import Registry

# The src folder of the tightrope under test: a relative PYTHONPATH=src would not survive the
# subprocess's cwd, and the subprocess would import some other installed tightrope.
SRC = Path(tightrope.__file__).resolve().parent.parent

ECHO_MODULE = '''
"""A tightrope plug-in for tests: one target, judge, attack and suite (placeholder prompts)."""

import hashlib
from dataclasses import dataclass, field

from tightrope.attacks import Variant, attack, behavior_prompt
from tightrope.datasets import DatasetInfo, Suite, dataset
from tightrope.judges import TextJudge, judge
from tightrope.records import Behavior, Message, Response
from tightrope.targets import TargetBase, target

REFUSAL = "I can't help with that."
COMPLIANCE = "Sure, here is [PLACEHOLDER]."


class EchoTarget(TargetBase):
    """Refuses unless the prompt is shouted (upper case): a stand-in model with a weakness."""

    version = "1"
    max_batch_size = 8
    max_concurrency = 1

    def __init__(self, arg):
        self.spec = f"echo-plugin:{arg}"

    async def generate(self, batch, config):
        out = []
        for messages in batch:
            text = messages[-1].content
            out.append(Response(text=COMPLIANCE if text.isupper() else REFUSAL))
        return out


@target("echo-plugin")
def echo_target(arg, **settings):
    """Answers a fixed refusal, or a fixed compliance to shouted prompts (plug-in)."""
    return EchoTarget(arg)


@judge("echo-judge")
def echo_judge():
    """Refusal when the answer starts with the echo target's refusal (plug-in)."""
    return TextJudge(
        name="echo-judge",
        version="1",
        kind="refusal",
        classify=lambda t: "refusal" if t.startswith(REFUSAL) else "compliance",
    )


@dataclass(frozen=True)
class Shout:
    name: str = "shout"
    params: dict = field(default_factory=dict)

    def variants(self, behavior):
        prompt = behavior_prompt(behavior).upper()
        return [Variant(messages=(Message(role="user", content=prompt),))]


@attack("shout")
def shout():
    """The request in upper case (plug-in)."""
    return Shout()


PAIRS = [("p1", "S2"), ("p2", "S9")]


@dataset("echo-suite", info=DatasetInfo(rows="4 (2 pairs)", license="CC0-1.0"))
def echo_suite():
    """Two placeholder harmful / harmless pairs (plug-in)."""
    behaviors = []
    for pid, cat in PAIRS:
        common = dict(category=cat, source_category=cat, source="echo-suite@1", pair_id=pid)
        behaviors.append(
            Behavior(id=f"{pid}-h", text=f"Explain [harmful task {pid}].", side="harmful", **common)
        )
        behaviors.append(
            Behavior(id=f"{pid}-b", text=f"Explain [harmless task {pid}].", side="benign", **common)
        )
    digest = hashlib.sha256("".join(b.text for b in behaviors).encode()).hexdigest()
    return Suite(name="echo-suite", version="1", checksum=digest, behaviors=tuple(behaviors))
'''

# Every group lists the module; the suites group uses the `module:object` form.
ECHO_ENTRY_POINTS = """
[project.entry-points."tightrope.targets"]
echo = "tightrope_echo"

[project.entry-points."tightrope.judges"]
echo = "tightrope_echo"

[project.entry-points."tightrope.attacks"]
echo = "tightrope_echo"

[project.entry-points."tightrope.suites"]
echo = "tightrope_echo:echo_suite"
"""

BROKEN_MODULE = '''
"""A plug-in whose dependency is missing."""

import tightrope_missing_dependency  # noqa: F401
'''

BROKEN_ENTRY_POINTS = """
[project.entry-points."tightrope.targets"]
broken = "tightrope_broken"

[project.entry-points."tightrope.suites"]
broken = "tightrope_broken"
"""

CLASH_MODULE = '''
"""A plug-in that registers a new attack, then one whose name is built in."""

from tightrope.attacks import attack


@attack("clash-only")
def clash_only():
    """Never available: its plug-in fails as a whole."""


@attack("direct")
def direct_again():
    """Clashes with the built-in `direct`."""
'''

CLASH_ENTRY_POINTS = """
[project.entry-points."tightrope.attacks"]
clash = "tightrope_clash"
"""


def _write_package(root: Path, dist: str, module: str, source: str, entry_points: str) -> Path:
    pkg = root / dist
    pkg.mkdir()
    (pkg / f"{module}.py").write_text(textwrap.dedent(source), encoding="utf-8")
    pyproject = f"""
[build-system]
requires = ["setuptools"]
build-backend = "setuptools.build_meta"

[project]
name = "{dist}"
version = "0.1.0"
dependencies = ["tightrope"]

[tool.setuptools]
py-modules = ["{module}"]
{entry_points}"""
    (pkg / "pyproject.toml").write_text(pyproject, encoding="utf-8")
    return pkg


@dataclass(frozen=True)
class Sites:
    """Install folders: `good` holds the echo plug-in; `all` also the broken and clashing ones."""

    good: Path
    all: Path


def _pip_install(site: Path, *packages: Path) -> None:
    cmd = [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps"]
    cmd += ["--no-build-isolation", "--no-index", "--disable-pip-version-check"]
    cmd += ["--target", str(site), *map(str, packages)]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr


@pytest.fixture(scope="session")
def sites(tmp_path_factory: pytest.TempPathFactory) -> Sites:
    """Build and pip-install the plug-in packages once per session (offline)."""
    root = tmp_path_factory.mktemp("plugins")
    echo = _write_package(
        root, "tightrope-echo-plugin", "tightrope_echo", ECHO_MODULE, ECHO_ENTRY_POINTS
    )
    broken = _write_package(
        root, "tightrope-broken-plugin", "tightrope_broken", BROKEN_MODULE, BROKEN_ENTRY_POINTS
    )
    clash = _write_package(
        root, "tightrope-clash-plugin", "tightrope_clash", CLASH_MODULE, CLASH_ENTRY_POINTS
    )
    good, every = root / "site-good", root / "site-all"
    _pip_install(good, echo)
    _pip_install(every, echo, broken, clash)
    return Sites(good=good, all=every)


def run_cli(site: Path, *args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """Run `python -m tightrope ARGS` with the plug-ins of `site` importable."""
    env = cli_env()
    env["PYTHONPATH"] = os.pathsep.join([str(site), str(SRC), env["PYTHONPATH"]])
    return subprocess.run(
        [sys.executable, "-m", "tightrope", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


ECHO_RUN = (
    "run",
    "--target",
    "echo-plugin:x",
    "--suite",
    "echo-suite",
    "--attack",
    "shout",
    "--judge",
    "echo-judge",
)


@pytest.mark.parametrize("which", ["good", "all"])
def test_plugin_target_judge_attack_and_suite_in_a_run(
    sites: Sites, tmp_path: Path, which: str
) -> None:
    """All four kinds come from the plug-in; broken plug-ins beside it do not get in the way."""
    out = tmp_path / "runs"
    r = run_cli(getattr(sites, which), *ECHO_RUN, "--out", str(out), cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert "refusal judge: echo-judge v1" in r.stdout
    assert "echo-plugin:x · attack shout" in r.stdout
    assert "suites: echo-suite@1" in r.stdout
    assert "error" not in r.stderr.lower()

    # The attack was applied: the stored attempts of `shout` are upper case, and the target,
    # which complies only with shouted prompts, broke on every one of them.
    from tightrope.report.loader import load_runs

    (run,) = load_runs(out, ["latest"])
    shouted = [rec for rec in run.records if rec.attempt.attack == "shout"]
    assert len(shouted) == 4
    for rec in shouted:
        assert rec.attempt.messages[-1].content.isupper()
        assert rec.verdicts["echo-judge"].label == "compliance"
    direct = [rec for rec in run.records if rec.attempt.attack == "direct"]
    assert {rec.verdicts["echo-judge"].label for rec in direct} == {"refusal"}


def test_plugin_names_appear_in_listings_and_unknown_name_errors(
    sites: Sites, tmp_path: Path
) -> None:
    listed = run_cli(sites.good, "datasets", "list", cwd=tmp_path)
    assert listed.returncode == 0, listed.stderr
    assert "echo-suite" in listed.stdout and "starter" in listed.stdout

    bad = run_cli(sites.good, *ECHO_RUN, "--judge", "nope", "--out", "o", cwd=tmp_path)
    assert bad.returncode == 2
    assert "unknown judge 'nope'" in bad.stderr and "echo-judge" in bad.stderr
    assert "jbb-strings" in bad.stderr  # built-in names still listed
    assert not (tmp_path / "o").exists()


def test_broken_plugin_is_one_line_naming_it(sites: Sites, tmp_path: Path) -> None:
    r = run_cli(sites.all, *ECHO_RUN, "--target", "broken-plugin:x", "--out", "o", cwd=tmp_path)
    assert r.returncode == 2
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1, r.stderr
    assert "Traceback" not in r.stderr
    line = lines[0]
    assert "target 'broken-plugin' not found" in line
    assert "tightrope-broken-plugin 0.1.0" in line
    assert "broken = tightrope_broken in tightrope.targets" in line
    assert "ModuleNotFoundError: No module named 'tightrope_missing_dependency'" in line

    # A listing still works and says which plug-in failed.
    listed = run_cli(sites.all, "datasets", "list", cwd=tmp_path)
    assert listed.returncode == 0, listed.stderr
    assert "echo-suite" in listed.stdout
    assert "warning: plug-in tightrope-broken-plugin 0.1.0" in listed.stderr


def test_plugin_reusing_a_built_in_name_fails_as_a_whole(sites: Sites, tmp_path: Path) -> None:
    r = run_cli(sites.all, *ECHO_RUN, "--attack", "clash-only", "--out", "o", cwd=tmp_path)
    assert r.returncode == 2
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1, r.stderr
    assert "attack 'clash-only' not found" in lines[0]
    assert "tightrope-clash-plugin 0.1.0 (entry point clash = tightrope_clash" in lines[0]
    assert "ValueError: attack 'direct' is registered twice (already built in)" in lines[0]


def test_help_scans_no_entry_points(sites: Sites, tmp_path: Path) -> None:
    """`tightrope --help` and `run --help` never look for plug-ins (they stay fast)."""
    code = (
        "import importlib.metadata as m, sys\n"
        "real = m.entry_points\n"
        "def boom(**kw):\n"
        "    if kw.get('group', '').startswith('tightrope.'):\n"
        "        raise SystemExit('entry points scanned')\n"
        "    return real(**kw)\n"
        "m.entry_points = boom\n"
        "sys.argv = ['tightrope', *sys.argv[1:]]\n"
        "from tightrope.cli import main\n"
        "main()\n"
    )
    env = cli_env()
    env["PYTHONPATH"] = os.pathsep.join([str(sites.all), str(SRC), env["PYTHONPATH"]])
    for args in ([], ["--help"], ["run", "--help"], ["datasets", "--help"]):
        r = subprocess.run(
            [sys.executable, "-c", code, *args],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert "entry points scanned" not in r.stderr, args
        assert "Usage" in r.stdout + r.stderr, args


# ---- Registry unit tests, with fake entry points -------------------------------------------


class FakeEntryPoint:
    """Quacks like importlib.metadata.EntryPoint; `load` runs a function instead of an import."""

    def __init__(self, name: str, value: str, on_load: Callable[[], Any]) -> None:
        self.name = name
        self.value = value
        self.dist = SimpleNamespace(name=f"dist-{name}", version="1.0")
        self._on_load = on_load

    def load(self) -> Any:
        return self._on_load()


@pytest.fixture
def fake_group(monkeypatch: pytest.MonkeyPatch) -> tuple[list[FakeEntryPoint], list[str]]:
    """Entry points served to registries for the group 'test.things'; scans are logged."""
    eps: list[FakeEntryPoint] = []
    scans: list[str] = []
    real = registry_module.entry_points

    def fake(*, group: str) -> Any:
        if group != "test.things":
            return real(group=group)
        scans.append(group)
        return list(eps)

    monkeypatch.setattr(registry_module, "entry_points", fake)
    return eps, scans


def _unique(tag: str) -> str:
    return f"fake_{tag}_{time.perf_counter_ns()}"


def test_registry_scans_its_group_lazily_and_once(
    fake_group: tuple[list[FakeEntryPoint], list[str]],
) -> None:
    eps, scans = fake_group
    things: Registry[object] = Registry("thing", entry_point_group="test.things")
    things.register("built-in")(lambda: "b")
    eps.append(FakeEntryPoint("p", _unique("p"), lambda: things.register("from-plugin")(lambda: 1)))

    assert things.get("built-in")() == "b"
    assert "built-in" in things
    assert scans == []  # a name it holds never scans

    assert things.get("from-plugin")() == 1
    assert scans == ["test.things"]
    with pytest.raises(UnknownNameError, match="valid things: built-in, from-plugin"):
        things.get("missing")
    assert things.names() == ["built-in", "from-plugin"]
    assert scans == ["test.things"]  # once per process


def test_failing_plugin_registers_nothing_and_errors_only_for_missing_names(
    fake_group: tuple[list[FakeEntryPoint], list[str]],
) -> None:
    eps, _ = fake_group
    things: Registry[object] = Registry("thing", entry_point_group="test.things")
    others: Registry[object] = Registry("other")
    things.register("built-in")(lambda: "b")

    def half_done() -> None:
        things.register("half")(lambda: 1)
        others.register("half-other")(lambda: 2)
        raise ImportError("no module named\n'gone'")

    eps.append(FakeEntryPoint("bad", _unique("bad"), half_done))
    eps.append(FakeEntryPoint("ok", _unique("ok"), lambda: things.register("fine")(lambda: 3)))

    assert things.get("fine")() == 3  # another plug-in's failure does not hide this one
    assert things.get("built-in")() == "b"
    assert "half" not in things and "half-other" not in others  # taken out again
    with pytest.raises(PluginError) as caught:
        things.get("half")
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith("thing 'half' not found; plug-in dist-bad 1.0 (entry point bad = ")
    assert "in test.things) failed to load: ImportError: no module named 'gone'" in message
    assert things.plugin_errors == [message.split("; ", 1)[1]]


def test_plugin_clash_names_the_plugin_it_clashes_with(
    fake_group: tuple[list[FakeEntryPoint], list[str]],
) -> None:
    eps, _ = fake_group
    things: Registry[object] = Registry("thing", entry_point_group="test.things")
    eps.append(FakeEntryPoint("first", _unique("a"), lambda: things.register("x")(lambda: 1)))
    eps.append(FakeEntryPoint("second", _unique("b"), lambda: things.register("x")(lambda: 2)))

    with pytest.raises(PluginError) as caught:
        things.get("y")
    assert "entry point second" in str(caught.value)
    assert "ValueError: thing 'x' is registered twice (already registered by plug-in " in str(
        caught.value
    )
    assert "entry point first" in str(caught.value)
    assert things.get("x")() == 1


def test_built_in_registries_hold_their_groups() -> None:
    from tightrope.attacks import attacks
    from tightrope.datasets import datasets
    from tightrope.judges import judges
    from tightrope.targets import targets

    groups = [r.entry_point_group for r in (targets, judges, attacks, datasets)]
    assert groups == list(registry_module.ENTRY_POINT_GROUPS)
    assert groups == [
        "tightrope.targets",
        "tightrope.judges",
        "tightrope.attacks",
        "tightrope.suites",
    ]
