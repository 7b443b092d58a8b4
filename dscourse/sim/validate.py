"""Argument checks shared by the whole package.

Every public function of dscourse validates what it is given and raises a
``TypeError`` (wrong kind of value) or ``ValueError`` (right kind, wrong value)
whose message names the argument, the value received and what is allowed.
These helpers are the one place that wording lives.
"""

from __future__ import annotations

import math
from numbers import Real
from typing import Any, Iterable


def _describe(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def check_number(name: str, value: Any, *, minimum: float | None = None,
                 maximum: float | None = None, strict_min: bool = False,
                 allow_inf: bool = False) -> float:
    """Return ``value`` as a float after checking that it is a real number in range."""
    if isinstance(value, bool) or not isinstance(value, Real):
        raise TypeError(f"{name} must be a number, got {_describe(value)} "
                        f"of type {type(value).__name__}")
    value = float(value)
    if math.isnan(value) or (math.isinf(value) and not allow_inf):
        raise ValueError(f"{name} must be a finite number, got {value!r}")
    if minimum is not None:
        if strict_min and value <= minimum:
            raise ValueError(f"{name} must be greater than {minimum:g}, got {value:g}")
        if not strict_min and value < minimum:
            raise ValueError(f"{name} must be at least {minimum:g}, got {value:g}")
    if maximum is not None and value > maximum:
        raise ValueError(f"{name} must be at most {maximum:g}, got {value:g}")
    return value


def check_int(name: str, value: Any, *, minimum: int | None = None,
              maximum: int | None = None) -> int:
    """Return ``value`` after checking that it is an int (not a bool) in range."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name} must be an integer, got {_describe(value)} "
                        f"of type {type(value).__name__}")
    if minimum is not None and value < minimum:
        raise ValueError(f"{name} must be at least {minimum}, got {value}")
    if maximum is not None and value > maximum:
        raise ValueError(f"{name} must be at most {maximum}, got {value}")
    return value


def check_probability(name: str, value: Any) -> float:
    """A probability: a number in [0, 1]."""
    return check_number(name, value, minimum=0.0, maximum=1.0)


def check_delay(name: str, value: Any) -> float:
    """A duration in virtual time: a finite number >= 0."""
    return check_number(name, value, minimum=0.0)


def check_choice(name: str, value: Any, allowed: Iterable[Any]) -> Any:
    allowed = list(allowed)
    if value not in allowed:
        raise ValueError(f"{name} must be one of {', '.join(map(repr, allowed))}; "
                         f"got {_describe(value)}")
    return value


def check_node_id(name: str, value: Any) -> Any:
    """Node ids are strings or integers (never bools), so they sort and print cleanly."""
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise TypeError(f"{name} must be a node id (a str or an int), got "
                        f"{_describe(value)} of type {type(value).__name__}")
    if isinstance(value, str) and not value:
        raise ValueError(f"{name} must be a non-empty string")
    return value


def check_known(name: str, value: Any, known: Iterable[Any], what: str = "node") -> Any:
    """``value`` must be one of ``known`` (for example a node id of this simulator)."""
    known = list(known)
    if value not in known:
        listed = ", ".join(map(repr, sorted(known, key=str))) or "none"
        raise ValueError(f"{name}={_describe(value)} is not a known {what}; "
                         f"known: {listed}")
    return value
