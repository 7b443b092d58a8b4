"""Latency distributions for network links.

Each distribution is a small frozen value with ``sample(rng)`` (the delay of
one message, in virtual milliseconds) and ``to_dict()`` / ``from_dict`` so a
fault plan can carry it through JSON. ``mean`` and ``quantile(q)`` give the
analytic figures a notebook puts beside the measured ones.

* ``Constant(d)``: every message takes ``d``.
* ``Uniform(low, high)``.
* ``Exponential(mean, base=0)``: ``base`` plus an exponential tail.
* ``LogNormal(median, sigma, base=0)``: long-tailed, the usual shape of
  measured request latencies (most requests fast, a few very slow).
* ``Pareto(scale, alpha)``: heavier still; with ``alpha <= 2`` its variance is
  infinite, so the tail dominates.
"""

from __future__ import annotations

import math
import random
from dataclasses import asdict, dataclass

from .validate import check_number


class Latency:
    """Base class; subclasses are frozen dataclasses."""

    kind = "latency"

    def sample(self, rng: random.Random) -> float:  # pragma: no cover - abstract
        raise NotImplementedError

    @property
    def mean(self) -> float:  # pragma: no cover - abstract
        raise NotImplementedError

    def quantile(self, q: float) -> float:  # pragma: no cover - abstract
        raise NotImplementedError

    def sampler(self, rng: random.Random):
        """A zero-argument function drawing samples from ``rng`` (the hot path)."""
        return lambda: self.sample(rng)

    def to_dict(self) -> dict:
        return {"kind": self.kind, **asdict(self)}

    def to_code(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in asdict(self).items())
        return f"{type(self).__name__}({args})"

    @staticmethod
    def from_dict(data: dict) -> "Latency":
        if not isinstance(data, dict) or "kind" not in data:
            raise ValueError(f"latency must be a dict with a 'kind' key, got {data!r}")
        kinds = {cls.kind: cls for cls in (Constant, Uniform, Exponential, LogNormal, Pareto)}
        kind = data["kind"]
        if kind not in kinds:
            raise ValueError(f"latency kind must be one of {sorted(kinds)}, got {kind!r}")
        fields = {k: v for k, v in data.items() if k != "kind"}
        try:
            return kinds[kind](**fields)
        except TypeError as exc:
            raise ValueError(f"bad fields for latency kind {kind!r}: {exc}") from None

    def _check_q(self, q: float) -> float:
        return check_number("q", q, minimum=0.0, maximum=1.0)


@dataclass(frozen=True)
class Constant(Latency):
    delay: float = 1.0
    kind = "constant"

    def __post_init__(self):
        check_number("delay", self.delay, minimum=0.0)

    def sample(self, rng):
        return self.delay

    def sampler(self, rng):
        delay = self.delay
        return lambda: delay

    @property
    def mean(self):
        return self.delay

    def quantile(self, q):
        self._check_q(q)
        return self.delay


@dataclass(frozen=True)
class Uniform(Latency):
    low: float = 1.0
    high: float = 10.0
    kind = "uniform"

    def __post_init__(self):
        check_number("low", self.low, minimum=0.0)
        check_number("high", self.high, minimum=0.0)
        if self.high < self.low:
            raise ValueError(f"high must be at least low, got low={self.low}, high={self.high}")

    def sample(self, rng):
        return self.low + (self.high - self.low) * rng.random()

    def sampler(self, rng):
        low, span, draw = self.low, self.high - self.low, rng.random
        return lambda: low + span * draw()

    @property
    def mean(self):
        return (self.low + self.high) / 2

    def quantile(self, q):
        return self.low + (self.high - self.low) * self._check_q(q)


@dataclass(frozen=True)
class Exponential(Latency):
    mean_extra: float = 5.0
    base: float = 0.0
    kind = "exponential"

    def __post_init__(self):
        check_number("mean_extra", self.mean_extra, minimum=0.0, strict_min=True)
        check_number("base", self.base, minimum=0.0)

    def sample(self, rng):
        return self.base + rng.expovariate(1.0 / self.mean_extra)

    @property
    def mean(self):
        return self.base + self.mean_extra

    def quantile(self, q):
        q = self._check_q(q)
        if q >= 1.0:
            return math.inf
        return self.base - self.mean_extra * math.log(1.0 - q)


@dataclass(frozen=True)
class LogNormal(Latency):
    median: float = 10.0
    sigma: float = 1.0
    base: float = 0.0
    kind = "lognormal"

    def __post_init__(self):
        check_number("median", self.median, minimum=0.0, strict_min=True)
        check_number("sigma", self.sigma, minimum=0.0)
        check_number("base", self.base, minimum=0.0)

    def sample(self, rng):
        return self.base + self.median * math.exp(self.sigma * rng.gauss(0.0, 1.0))

    @property
    def mean(self):
        return self.base + self.median * math.exp(self.sigma ** 2 / 2)

    def quantile(self, q):
        q = self._check_q(q)
        if q <= 0.0:
            return self.base
        if q >= 1.0:
            return math.inf
        from statistics import NormalDist
        return self.base + self.median * math.exp(self.sigma * NormalDist().inv_cdf(q))


@dataclass(frozen=True)
class Pareto(Latency):
    scale: float = 5.0
    alpha: float = 1.5
    kind = "pareto"

    def __post_init__(self):
        check_number("scale", self.scale, minimum=0.0, strict_min=True)
        check_number("alpha", self.alpha, minimum=0.0, strict_min=True)

    def sample(self, rng):
        # Inverse transform: scale / U^(1/alpha) with U in (0, 1].
        return self.scale / (1.0 - rng.random()) ** (1.0 / self.alpha)

    @property
    def mean(self):
        return math.inf if self.alpha <= 1 else self.alpha * self.scale / (self.alpha - 1)

    def quantile(self, q):
        q = self._check_q(q)
        if q >= 1.0:
            return math.inf
        return self.scale / (1.0 - q) ** (1.0 / self.alpha)


def as_latency(name: str, value) -> Latency:
    """Accept a ``Latency`` or a plain number (a constant delay)."""
    if isinstance(value, Latency):
        return value
    if isinstance(value, bool):
        raise TypeError(f"{name} must be a Latency or a number, got {value!r}")
    if isinstance(value, (int, float)):
        return Constant(float(value))
    raise TypeError(f"{name} must be a Latency (Constant, Uniform, Exponential, "
                    f"LogNormal, Pareto) or a number, got {value!r} of type "
                    f"{type(value).__name__}")
