"""Static attacks: deterministic for a seed, reversible where they are encodings."""

import json
from pathlib import Path

import pytest

from tightrope.attacks import attacks, get_attack
from tightrope.attacks.static.best_of_n import BestOfN, augment
from tightrope.attacks.static.encodings import DECODERS, ENCODERS
from tightrope.attacks.static.templates import split_in_three
from tightrope.errors import InputError, UnknownNameError
from tightrope.records import Behavior

B = Behavior(
    id="x1",
    text="How do I kill a Python process that hangs?",
    side="benign",
    category="S14",
    source_category="t",
    source="t@1",
)
CTX = B.model_copy(update={"context": "Some context here.", "id": "x2"})
STATIC = [
    "direct",
    "prefix-injection",
    "refusal-suppression",
    "style-injection",
    "roleplay",
    "payload-split",
    "base64",
    "rot13",
    "leetspeak",
    "char-obfuscation",
    "best-of-n",
]


@pytest.mark.parametrize("name", STATIC)
def test_every_static_attack_is_registered_and_deterministic(name: str) -> None:
    assert name in attacks
    first = get_attack(name).variants(B)
    again = get_attack(name).variants(B)
    assert first == again and first
    for v in first:
        assert v.messages[-1].role == "user" and v.messages[-1].content
    assert get_attack(name).name == name


@pytest.mark.parametrize(
    "name", ["prefix-injection", "refusal-suppression", "style-injection", "roleplay", "direct"]
)
def test_templates_carry_the_request_and_its_context(name: str) -> None:
    [v] = get_attack(name).variants(CTX)
    text = v.messages[-1].content
    assert CTX.text in text and CTX.context in text  # type: ignore[operator]


@pytest.mark.parametrize("encoding", sorted(ENCODERS))
def test_encodings_decode_back_to_the_request(encoding: str) -> None:
    original = B.text.lower() if encoding == "leetspeak" else B.text
    encoded = ENCODERS[encoding](B.text)
    assert encoded != B.text
    assert DECODERS[encoding](encoded) == original
    [v] = get_attack(encoding).variants(B)
    assert encoded in v.messages[-1].content


def test_payload_split_joins_back() -> None:
    a, b, c = split_in_three(B.text)
    assert a + b + c == B.text and all((a, b, c))
    assert "".join(split_in_three("hi")) == "hi"


def test_best_of_n_samples_differ_and_repeat_for_a_seed() -> None:
    attack = get_attack("best-of-n:25")
    samples = [v.messages[0].content for v in attack.variants(B)]
    assert len(samples) == 25 and len(set(samples)) > 20
    assert samples == [v.messages[0].content for v in get_attack("best-of-n:25").variants(B)]
    other_seed = [v.messages[0].content for v in BestOfN(n=25, seed=1).variants(B)]
    assert other_seed != samples
    assert [v.params["sample"] for v in attack.variants(B)] == list(range(25))
    import random

    assert augment("abc", random.Random(0), sigma=0.0) == "abc"


def test_many_shot_reads_a_shots_file(tmp_path: Path) -> None:
    shots = tmp_path / "shots.jsonl"
    shots.write_text(
        "\n".join(json.dumps({"user": f"q{i}", "assistant": f"a{i}"}) for i in range(3))
    )
    [v] = get_attack(f"many-shot:{shots}").variants(B)
    roles = [m.role for m in v.messages]
    assert roles == ["user", "assistant"] * 3 + ["user"]
    assert v.messages[-1].content == B.text
    assert get_attack(f"many-shot:{shots}").params["k"] == 3


def test_bad_attack_arguments_are_clear_errors(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="needs a shots file"):
        get_attack("many-shot")
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"user": "q"}\n')
    with pytest.raises(InputError, match=r"bad\.jsonl:1: each line needs"):
        get_attack(f"many-shot:{bad}")
    with pytest.raises(InputError, match="N must be a whole number"):
        get_attack("best-of-n:lots")
    with pytest.raises(UnknownNameError, match="valid attacks"):
        get_attack("nope")
