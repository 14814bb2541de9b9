"""The openai-compatible target against a scripted local server, through both transports: the
real `openai` SDK and the lean client (every test that makes a request runs with each)."""

import asyncio
from pathlib import Path

import pytest

from fake_targets import answer_for
from openai_server import OK, Action, ScriptedServer, prompt_hash
from tightrope.errors import InputError
from tightrope.records import GenerationConfig, Message
from tightrope.targets import get_target

FAST = {"base_delay": 0.01, "max_delay": 0.05}


@pytest.fixture(params=["sdk", "lean"])
def transport(request: pytest.FixtureRequest) -> str:
    """Each transport of the openai targets in turn."""
    return str(request.param)


def _convs(n: int) -> list[tuple[Message, ...]]:
    return [(Message(role="user", content=f"prompt number {i}"),) for i in range(n)]


async def _generate_all(
    t: object, convs: list[tuple[Message, ...]], config: GenerationConfig
) -> list:
    results = await asyncio.gather(*(t.generate([c], config) for c in convs))  # type: ignore[attr-defined]
    return [r[0] for r in results]


def test_round_trip_sends_parameters_and_reads_usage(transport: str) -> None:
    with ScriptedServer() as srv:
        t = get_target(f"openai-compatible:{srv.base_url}#tiny-model", transport=transport, **FAST)
        config = GenerationConfig(max_tokens=33, temperature=0.0, seed=7, system_prompt="Be brief.")
        [r] = asyncio.run(t.generate(_convs(1), config))
    assert r.ok and r.text == answer_for("prompt number 0")
    assert r.finish_reason == "stop" and r.usage.completion_tokens > 0
    body = srv.requests[0]
    assert body["model"] == "tiny-model" and body["max_tokens"] == 33 and body["seed"] == 7
    assert body["messages"][0] == {"role": "system", "content": "Be brief."}
    assert body["messages"][1] == {"role": "user", "content": "prompt number 0"}


@pytest.mark.parametrize(
    ("fault", "expect_error"),
    [
        (Action(kind="status", status=429, headers={"Retry-After": "0.05"}), "HTTP 429"),
        (Action(kind="status", status=500), "HTTP 500"),
        (Action(kind="status", status=503), "HTTP 503"),
        (Action(delay=1.5), "timed out"),
        (Action(kind="drop"), "connection failed"),
        (Action(kind="malformed"), "malformed"),
        (Action(kind="empty"), "no choices"),
    ],
)
def test_each_fault_is_retried_then_recovers_or_becomes_an_error(
    fault: Action, expect_error: str, transport: str
) -> None:
    # Fails twice, then answers: three attempts suffice, two do not.
    plan = lambda prompt, n: fault if n < 2 else OK  # noqa: E731
    with ScriptedServer(plan) as srv:
        t = get_target(
            f"openai-compatible:{srv.base_url}#m",
            transport=transport,
            timeout=0.5,
            retries=3,
            **FAST,
        )
        [ok] = asyncio.run(t.generate(_convs(1), GenerationConfig()))
        assert ok.ok and ok.text == answer_for("prompt number 0")
    with ScriptedServer(plan) as srv:
        t = get_target(
            f"openai-compatible:{srv.base_url}#m",
            transport=transport,
            timeout=0.5,
            retries=2,
            **FAST,
        )
        [bad] = asyncio.run(t.generate(_convs(1), GenerationConfig()))
    assert not bad.ok and bad.text is None
    assert expect_error in (bad.error or "") and "after 2 attempts" in (bad.error or "")


def test_client_errors_are_not_retried(transport: str) -> None:
    with ScriptedServer(lambda p, n: Action(kind="status", status=400)) as srv:
        t = get_target(
            f"openai-compatible:{srv.base_url}#m", transport=transport, retries=5, **FAST
        )
        [r] = asyncio.run(t.generate(_convs(1), GenerationConfig()))
        assert r.error and "HTTP 400" in r.error and "after 1 attempt" in r.error
        assert len(srv.requests) == 1


def test_concurrency_never_exceeds_the_limit(transport: str) -> None:
    with ScriptedServer(latency=0.05) as srv:
        t = get_target(
            f"openai-compatible:{srv.base_url}#m", transport=transport, concurrency=5, **FAST
        )
        out = asyncio.run(_generate_all(t, _convs(40), GenerationConfig()))
        assert all(r.ok for r in out)
        assert srv.peak_in_flight <= 5
        assert srv.peak_in_flight >= 3, "requests actually ran concurrently"


def test_limit_shrinks_under_429_and_recovers(transport: str) -> None:
    # Every prompt is rate limited once, then answered.
    plan = lambda prompt, n: (  # noqa: E731
        Action(kind="status", status=429, headers={"Retry-After": "0.02"}) if n == 0 else OK
    )
    with ScriptedServer(plan, latency=0.01) as srv:
        t = get_target(
            f"openai-compatible:{srv.base_url}#m", transport=transport, concurrency=8, **FAST
        )
        out = asyncio.run(_generate_all(t, _convs(24), GenerationConfig()))
        assert all(r.ok for r in out)
        limiter = t.limiter  # type: ignore[attr-defined]
        assert min(limiter.history) < 8, "the limit shrank under 429s"
        assert srv.peak_in_flight <= 8
    with ScriptedServer(latency=0.005) as srv:
        t.__init__(  # type: ignore[misc]
            spec=t.spec, model="m", base_url=srv.base_url, concurrency=8, **FAST
        )
        t.limiter.limit = 1  # type: ignore[attr-defined]
        out = asyncio.run(_generate_all(t, _convs(60), GenerationConfig()))
        assert all(r.ok for r in out)
        assert t.limiter.limit > 1, "the limit grows back while healthy"  # type: ignore[attr-defined]


def test_api_key_is_sent_but_redacted_from_errors(
    monkeypatch: pytest.MonkeyPatch, transport: str
) -> None:
    secret = "sk-test-THIS-IS-A-SECRET-123456"
    monkeypatch.setenv("OPENAI_API_KEY", secret)
    plan = lambda prompt, n: Action(kind="status", status=401)  # noqa: E731
    with ScriptedServer(plan) as srv:
        t = get_target(f"openai-compatible:{srv.base_url}#m", transport=transport, **FAST)
        [r] = asyncio.run(t.generate(_convs(1), GenerationConfig()))
    headers = {k.lower(): v for k, v in srv.headers[0].items()}
    assert headers["authorization"] == f"Bearer {secret}"
    assert r.error and secret not in r.error


def test_bad_specs_are_input_errors() -> None:
    with pytest.raises(InputError, match=r"HOST:PORT"):
        get_target("openai-compatible:no-model-here")
    with pytest.raises(InputError, match="must start with http"):
        get_target("openai-compatible:ftp://x#m")
    with pytest.raises(InputError, match="unknown target setting 'bogus'"):
        get_target("openai-compatible:http://127.0.0.1:1/v1#m", bogus=1)


def test_prompt_hash_is_stable() -> None:
    assert prompt_hash("a") == prompt_hash("a")


def test_runner_closes_the_sdk_client(tmp_path: object, transport: str) -> None:
    from pathlib import Path

    from tightrope.run import RunConfig, run_async

    with ScriptedServer() as srv:
        t = get_target(f"openai-compatible:{srv.base_url}#m", transport=transport, **FAST)

        async def use_then_close() -> tuple[bool, bool]:
            await t.generate(_convs(1), GenerationConfig())
            client = t._client  # type: ignore[attr-defined]
            before = client.is_closed()
            await t.aclose()
            return before, client.is_closed()

        assert asyncio.run(use_then_close()) == (False, True)
        config = RunConfig(
            judges=("refusal",),
            targets=(f"openai-compatible:{srv.base_url}#m",),
            limit=2,
            target_settings={"transport": transport},
        )
        res = asyncio.run(run_async(config, out=Path(str(tmp_path))))
        assert res.errors == 0


def test_a_run_the_cache_answers_never_imports_the_sdk(tmp_path: Path, transport: str) -> None:
    import subprocess
    import sys

    from tightrope.run import evaluate

    settings = {"transport": transport}
    with ScriptedServer() as srv:
        spec = f"openai-compatible:{srv.base_url}#m"
        evaluate(judges=("refusal",), target=spec, limit=4, out=tmp_path, target_settings=settings)
        code = (
            "import sys; from tightrope.run import evaluate; "
            f"r = evaluate(judges=('refusal',), target={spec!r}, limit=4, out={str(tmp_path)!r}, "
            f"target_settings={settings!r}); "
            "print(r.model_calls, r.cache_hits, 'openai' in sys.modules, 'aiohttp' in sys.modules)"
        )
        proc = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, timeout=120
        )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == ["0", "4", "False", "False"]
