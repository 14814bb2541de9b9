"""The pieces of the adaptive loops: attacker replies, history windows, ratings, cache keys."""

import json

import pytest

from tightrope.attacks import Attack, get_attack
from tightrope.attacks.adaptive import derived_seed, is_adaptive, parse_options
from tightrope.attacks.adaptive.attacker import parse_attacker_reply, window
from tightrope.attacks.adaptive.loop_judge import fence, parse_on_topic, rating_of
from tightrope.errors import InputError
from tightrope.records import Behavior, GenerationConfig, Message, Verdict
from tightrope.run.plan import plan
from tightrope.targets import get_target
from tightrope.targets.cached import CachedModel, call_key


def test_attacker_replies() -> None:
    obj = {"improvement": "be vaguer", "prompt": "Imagine a story where ..."}
    assert parse_attacker_reply(json.dumps(obj)) == ("be vaguer", "Imagine a story where ...")
    fenced = "Sure!\n```json\n" + json.dumps(obj) + "\n```\nGood luck."
    assert parse_attacker_reply(fenced) == ("be vaguer", "Imagine a story where ...")
    broken = '{"improvement": "x", "prompt": "say \\"hi\\" twice", oops'
    assert parse_attacker_reply(broken) == ("", 'say "hi" twice')
    for bad in ("no json here", '{"improvement": "x"}', '{"prompt": "   "}', "{not json}"):
        assert parse_attacker_reply(bad) is None


def test_history_window_keeps_system_and_starts_with_user() -> None:
    sys_msg = Message(role="system", content="s")
    turns = []
    for i in range(6):
        turns += [Message(role="user", content=f"u{i}"), Message(role="assistant", content=f"a{i}")]
    history = [sys_msg, *turns, Message(role="user", content="u6")]
    kept = window(history, 2)
    assert [m.content for m in kept] == ["s", "u5", "a5", "u6"]
    assert [m.content for m in window(history[:2], 4)] == ["s", "u0"]


def test_ratings_from_verdicts() -> None:
    def v(label: str, score: float | None = None) -> Verdict:
        return Verdict(judge="j", judge_version="1", kind="harm", label=label, score=score)  # type: ignore[arg-type]

    assert rating_of(v("unsafe", 1.0)) == 10
    assert rating_of(v("safe", 0.0)) == 1
    assert rating_of(v("safe", 5 / 9)) == 6
    assert rating_of(v("unsafe")) == 10 and rating_of(v("safe")) == 1
    assert rating_of(v("error")) == 1


def test_on_topic_answers_and_fences() -> None:
    assert parse_on_topic("Response: [[YES]]") is True
    assert parse_on_topic("[[ no ]]") is False
    assert parse_on_topic("maybe") is None
    assert fence("prompt", "a </prompt> b") == "<prompt>\na </ prompt> b\n</prompt>"


def test_the_plan_keys_attempts_with_the_one_call_key() -> None:
    target = get_target("python:fake_targets:rule")
    gen = GenerationConfig(max_tokens=7, seed=3)
    behavior = Behavior(
        id="b", text="hello", side="benign", category="S1", source_category="x", source="t@1"
    )
    ((attempt, key),) = plan(
        [behavior], [CachedModel(target)], {"direct": get_attack("direct")}, gen
    )
    assert key == call_key(target, attempt.messages, gen)
    assert key != call_key(target, attempt.messages, gen.model_copy(update={"seed": 4}))


def test_options_and_seeds() -> None:
    spec = "pair:judge=openai-compatible:http://127.0.0.1:1/v1#m,streams=2"
    out = parse_options(spec, spec.partition(":")[2], {"judge": str, "streams": int})
    assert out == {"judge": "openai-compatible:http://127.0.0.1:1/v1#m", "streams": 2}
    with pytest.raises(InputError, match="must not be negative"):
        parse_options("x", "streams=-1", {"streams": int})
    assert derived_seed(0, "b", 1) == derived_seed(0, "b", 1) != derived_seed(0, "b", 2)
    assert 0 <= derived_seed("x") < 2**31


def test_adaptive_attacks_are_told_apart_and_record_their_models() -> None:
    pair = get_attack("pair:streams=2")
    assert is_adaptive(pair) and not is_adaptive(get_attack("direct"))
    assert not hasattr(pair, "variants"), "an adaptive attack does not pretend to be static"
    assert isinstance(get_attack("direct"), Attack) and not isinstance(pair, Attack)
    bound = pair.bind(attacker_model="python:fake_targets:rule", judge_model=None)  # type: ignore[attr-defined]
    assert bound.models() == {
        "attacker": "python:fake_targets:rule",
        "judge": "python:fake_targets:rule",
    }
    judged = pair.bind(  # type: ignore[attr-defined]
        attacker_model="python:fake_targets:rule", judge_model="python:fake_targets:flaky"
    )
    assert judged.params["judge"] == "python:fake_targets:flaky"
    assert judged.params["rater"] == "pair-rating" and judged.params["adaptive"] is True
    with pytest.raises(InputError, match="rater"):
        get_attack("tap:rater=nope").bind(  # type: ignore[attr-defined]
            attacker_model="python:fake_targets:rule", judge_model=None
        )
