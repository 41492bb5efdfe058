"""Search-space helpers for sweeps: plain objects that serialise to the JSON the REST API takes.

>>> from jupyter_mlservice.sweep import choice, loguniform, randint
>>> space = {"alpha": loguniform(1e-4, 1), "kernel": choice("rbf", "linear"), "n": randint(1, 10)}
>>> space["n"].to_dict()
{'type': 'randint', 'low': 1, 'high': 10}

The server checks every parameter (an empty choice, low >= high, a log range with a bound <= 0
are refused with the parameter's name), so these only build the request.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

__all__ = ["Parameter", "choice", "loguniform", "normal", "randint", "uniform"]


@dataclass(frozen=True)
class Parameter:
    """One dimension of a search space; ``to_dict()`` is its REST form."""

    type: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class _Choice(Parameter):
    values: tuple = ()

    def to_dict(self) -> dict[str, Any]:
        return {"type": self.type, "values": list(self.values)}


@dataclass(frozen=True)
class _Range(Parameter):
    low: float = 0
    high: float = 1


@dataclass(frozen=True)
class _Normal(Parameter):
    mu: float = 0
    sigma: float = 1


def choice(*values: Any) -> Parameter:
    """One of the given values (strings, numbers, booleans). ``choice("rbf", "linear")``;
    a single list works too: ``choice([16, 32, 64])``."""
    if len(values) == 1 and isinstance(values[0], (list, tuple)):
        values = tuple(values[0])
    return _Choice("choice", tuple(values))


def uniform(low: float, high: float) -> Parameter:
    """A float drawn evenly from [low, high]. ``uniform(0.0, 0.5)``"""
    return _Range("uniform", low, high)


def loguniform(low: float, high: float) -> Parameter:
    """A float whose logarithm is uniform in [log low, log high] (low > 0). ``loguniform(1e-4, 1)``"""
    return _Range("loguniform", low, high)


def randint(low: int, high: int) -> Parameter:
    """An integer from low to high, both included. ``randint(1, 10)``"""
    return _Range("randint", low, high)


def normal(mu: float, sigma: float) -> Parameter:
    """A float from a normal distribution (sigma > 0). ``normal(0.0, 1.0)``"""
    return _Normal("normal", mu, sigma)


def to_json(space: dict[str, Any]) -> dict[str, Any]:
    """A search space of Parameter objects (or already-plain dicts) as the REST API's JSON."""
    out = {}
    for name, value in (space or {}).items():
        if isinstance(value, Parameter):
            out[name] = value.to_dict()
        elif isinstance(value, dict):
            out[name] = dict(value)
        elif isinstance(value, (list, tuple)):  # a bare list reads as a choice
            out[name] = {"type": "choice", "values": list(value)}
        else:
            raise TypeError(f"search_space[{name!r}] must be choice(...), uniform(...), loguniform(...), randint(...) or normal(...)")
    return out
