"""Best-of-N jailbreaking (Hughes et al. 2024, "Best-of-N Jailbreaking").

Each behavior is sent N times, each time with random text augmentations: character scrambling
(shuffling the middle letters of longer words), random capitalisation, and character noising
(shifting a few printable ASCII characters by one code point). A behavior counts as broken when
any of the N samples is judged unsafe, so ASR grows with N; `tightrope.metrics.attacks.asr_curve`
gives ASR at every n <= N from the same records. Samples are deterministic for the attack's seed.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any

from tightrope.attacks._base import Attack, Variant, attack, behavior_prompt
from tightrope.errors import InputError
from tightrope.records import Behavior, Message, stable_hash


def scramble_words(text: str, rng: random.Random, p: float) -> str:
    """Shuffle the inner letters of words longer than three characters with probability p."""
    out = []
    for word in text.split(" "):
        if len(word) > 3 and rng.random() < p:
            middle = list(word[1:-1])
            rng.shuffle(middle)
            word = word[0] + "".join(middle) + word[-1]
        out.append(word)
    return " ".join(out)


def random_capitalise(text: str, rng: random.Random, p: float) -> str:
    """Flip the case of each letter with probability p."""
    return "".join(c.swapcase() if c.isalpha() and rng.random() < p else c for c in text)


def noise_characters(text: str, rng: random.Random, p: float) -> str:
    """Shift printable ASCII characters by +-1 code point with probability p."""
    out = []
    for c in text:
        if 32 < ord(c) < 126 and rng.random() < p:
            c = chr(ord(c) + rng.choice((-1, 1)))
        out.append(c)
    return "".join(out)


def augment(text: str, rng: random.Random, *, sigma: float) -> str:
    """Return one augmented sample of text; sigma scales every augmentation's probability."""
    text = scramble_words(text, rng, p=min(1.0, 0.6 * sigma**0.5))
    text = random_capitalise(text, rng, p=min(1.0, 0.6 * sigma**0.5))
    return noise_characters(text, rng, p=min(1.0, 0.06 * sigma**3))


@dataclass(frozen=True)
class BestOfN:
    """N augmented samples of each request."""

    n: int = 10
    sigma: float = 0.4
    seed: int = 0
    name: str = "best-of-n"
    params: dict[str, Any] = field(default_factory=dict)

    def variants(self, behavior: Behavior) -> list[Variant]:
        """Return N variants; sample i depends only on the seed, the behavior and i."""
        prompt = behavior_prompt(behavior)
        out = []
        for i in range(self.n):
            rng = random.Random(stable_hash([self.seed, behavior.id, i]))
            text = augment(prompt, rng, sigma=self.sigma)
            out.append(
                Variant(messages=(Message(role="user", content=text),), params={"sample": i})
            )
        return out


@attack("best-of-n")
def best_of_n(n: str | None = None) -> Attack:
    """N augmented samples per request, best-of-n[:N] (default 10; Hughes et al. 2024)."""
    count = BestOfN.n
    if n is not None:
        if not n.isdigit() or not 1 <= int(n) <= 10_000:
            raise InputError(f"best-of-n:{n}: N must be a whole number from 1 to 10000")
        count = int(n)
    return BestOfN(n=count, params={"n": count, "sigma": BestOfN.sigma, "seed": BestOfN.seed})
