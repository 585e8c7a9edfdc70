"""What a session cost, estimated from a small table of USD prices per million tokens."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from cody_core.models import TokenUsage


@dataclass(frozen=True)
class Price:
    """USD per million tokens; `cache_write` is the 5-minute cache write rate."""

    input: float
    output: float
    cache_write: float
    cache_read: float


# Published list prices when this was written; the constructor's `prices` overrides them.
# A model id matches the longest key it contains, so dated and Bedrock ids
# ("us.anthropic.claude-sonnet-4-5-20250929-v1:0") find their family.
DEFAULT_PRICES: Mapping[str, Price] = {
    "claude-sonnet-5-5": Price(2.00, 10.00, 2.50, 0.10),
    "claude-sonnet-5": Price(2.00, 10.00, 2.50, 0.20),
    "claude-sonnet-4": Price(3.00, 15.00, 3.75, 0.30),
    "claude-opus-5-5": Price(4.00, 20.00, 5.00, 0.20),
    "claude-opus-5": Price(5.00, 25.00, 6.25, 0.50),
    "claude-opus-4-8": Price(5.00, 25.00, 6.25, 0.50),
    "claude-opus-4-7": Price(5.00, 25.00, 6.25, 0.50),
    "claude-opus-4-6": Price(5.00, 25.00, 6.25, 0.50),
    "claude-opus-4-5": Price(5.00, 25.00, 6.25, 0.50),
    "claude-opus-4": Price(15.00, 75.00, 18.75, 1.50),
    "claude-haiku-5-5": Price(0.10, 0.50, 0.125, 0.01),
    "claude-haiku-4-5": Price(1.00, 5.00, 1.25, 0.10),
}


def price_for(model: str, prices: Mapping[str, Price] = DEFAULT_PRICES) -> Price | None:
    matches = [key for key in prices if key in model]
    return prices[max(matches, key=len)] if matches else None


def estimate_cost(
    model: str, usage: TokenUsage, prices: Mapping[str, Price] = DEFAULT_PRICES
) -> float | None:
    """The cost in USD, or None for a model the table does not know."""
    price = price_for(model, prices)
    if price is None:
        return None
    dollars = (
        usage.input * price.input
        + usage.output * price.output
        + usage.cache_creation * price.cache_write
        + usage.cache_read * price.cache_read
    ) / 1_000_000
    return round(dollars, 6)
