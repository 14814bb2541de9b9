"""`--max-cost USD`: a run's spending limit, checked before every model call.

Before a batch is sent, its cost is estimated (prompt characters / 4 input tokens, `max_tokens`
output tokens, priced by the price table) and reserved; the answers' real usage then replaces
the reservation. A batch that would take the spending past the limit is not sent: the run stops
with `CostLimitReached`, its rows so far stay in the store, and the same command (with a higher
limit) resumes it. Local models cost nothing; a model missing from the price table is refused
up front, since its spending could not be checked.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from tightrope.errors import InputError
from tightrope.records import GenerationConfig, Message, Response
from tightrope.run.pricing import model_name
from tightrope.targets.cached import CostLimitReached

# Characters per token of the estimates (English text; a dry run says it is an estimate).
CHARS_PER_TOKEN = 4


def prompt_tokens(messages: Sequence[Message], config: GenerationConfig) -> int:
    """Return the estimated input tokens of one call."""
    chars = sum(len(m.content) for m in messages) + len(config.system_prompt or "")
    return max(1, -(-chars // CHARS_PER_TOKEN))


def price_of(spec: str, prices: Mapping[str, tuple[float, float]]) -> tuple[float, float] | None:
    """Return (input, output) USD per 1M tokens of a model spec: zero for local backends, None
    when a remote model is not in the price table."""
    name = model_name(spec)
    if name is None:
        return (0.0, 0.0)
    return prices.get(name)


class CostBudget:
    """The spending of one session of a run against `limit` US dollars (targets/cached.Budget)."""

    def __init__(
        self, limit: float, prices: Mapping[str, tuple[float, float]], specs: Iterable[str]
    ) -> None:
        unpriced = [s for s in specs if price_of(s, prices) is None]
        if unpriced:
            raise InputError(
                f"--max-cost: no price for {unpriced[0]}; add it to TIGHTROPE_PRICES "
                "(MODEL: {input: USD_per_1M, output: USD_per_1M})"
            )
        self.limit = limit
        self.prices = dict(prices)
        self.spent = 0.0
        self.reserved = 0.0

    def _cost(self, spec: str, tokens_in: int, tokens_out: int) -> float:
        pin, pout = price_of(spec, self.prices) or (0.0, 0.0)
        return (tokens_in * pin + tokens_out * pout) / 1e6

    def reserve(
        self, spec: str, batch: Sequence[Sequence[Message]], config: GenerationConfig
    ) -> float:
        """Hold the batch's estimated cost; CostLimitReached when it would pass the limit."""
        estimate = sum(self._cost(spec, prompt_tokens(m, config), config.max_tokens) for m in batch)
        if estimate and self.spent + self.reserved + estimate > self.limit:
            raise CostLimitReached(
                f"the next call to {spec} would take the cost past --max-cost "
                f"${self.limit:g} (spent ${self.spent:.4f})"
            )
        self.reserved += estimate
        return estimate

    def settle(self, spec: str, reserved: float, responses: Sequence[Response]) -> None:
        """Replace the reservation by the answers' real usage."""
        self.reserved -= reserved
        self.spent += sum(
            self._cost(spec, r.usage.prompt_tokens, r.usage.completion_tokens) for r in responses
        )
