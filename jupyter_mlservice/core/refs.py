"""Typed references users write for inputs, lineage and lookups: one grammar, parsed here.

    data:iris          the latest version of data asset `iris`
    data:iris@2        version 2
    data:iris@prod     the version alias `prod` points at
    model:iris         the latest version of registered model `iris`
    model:iris:3       version 3
    model:iris@champion

Where the kind is known from context (``ml.data.get("iris@2")``), the prefix may be left out.
An alias starts with a letter, so ``@2`` is always a version and ``@prod`` always an alias.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .errors import InvalidRequest

NAME = r"[A-Za-z0-9][A-Za-z0-9_.-]{0,127}"
ALIAS = r"[A-Za-z][A-Za-z0-9_-]{0,63}"
NAME_RE = re.compile(rf"^{NAME}$")
ALIAS_RE = re.compile(rf"^{ALIAS}$")
_DATA = re.compile(rf"^(?P<name>{NAME})(?:@(?:(?P<version>[0-9]+)|(?P<alias>{ALIAS})))?$")
_MODEL = re.compile(rf"^(?P<name>{NAME})(?::(?P<version>[0-9]+)|@(?P<alias>{ALIAS}))?$")


@dataclass(frozen=True)
class _Ref:
    name: str
    version: int | None = None
    alias: str | None = None

    prefix = ""
    version_sep = ""  # what separates a name from a version number

    def __str__(self) -> str:
        return self.prefix + self.short

    @property
    def short(self) -> str:
        if self.version is not None:
            return f"{self.name}{self.version_sep}{self.version}"
        return f"{self.name}@{self.alias}" if self.alias else self.name


@dataclass(frozen=True)
class DataRef(_Ref):
    """A data asset version: ``iris@2`` / ``iris@prod`` / ``iris`` (the latest), ``data:`` + that."""

    prefix = "data:"
    version_sep = "@"


@dataclass(frozen=True)
class ModelRef(_Ref):
    """A registered model version: ``iris:3`` / ``iris@champion`` / ``iris``, ``model:`` + that
    (the short form is the one the model registry takes)."""

    prefix = "model:"
    version_sep = ":"


Ref = DataRef | ModelRef


def is_ref(text: str) -> bool:
    """True for text that claims to be a typed reference (``data:...``, ``model:...``)."""
    return text.strip().startswith(("data:", "model:"))


def parse(text: str) -> Ref:
    """``data:iris@2`` -> DataRef, ``model:iris:3`` -> ModelRef; anything else is an error."""
    text = text.strip()
    if text.startswith("data:"):
        return parse_data(text)
    if text.startswith("model:"):
        return parse_model(text)
    raise InvalidRequest(f"{text!r} is not a reference; write data:NAME[@VERSION|@ALIAS] or model:NAME[:VERSION|@ALIAS]")


def parse_data(text: str) -> DataRef:
    """``iris``, ``iris@2``, ``iris@prod``, with or without the ``data:`` prefix."""
    body = text.strip().removeprefix("data:")
    m = _DATA.match(body)
    if not m:
        raise InvalidRequest(
            f"{text!r} is not a data reference; write data:NAME, data:NAME@VERSION (a number) or data:NAME@ALIAS "
            "(NAME: letters, digits, '_', '-', '.'; an alias starts with a letter)"
        )
    version = m.group("version")
    return DataRef(m.group("name"), int(version) if version else None, m.group("alias"))


def parse_model(text: str) -> ModelRef:
    """``iris``, ``iris:3``, ``iris@champion``, with or without the ``model:`` prefix."""
    body = text.strip().removeprefix("model:")
    m = _MODEL.match(body)
    if not m:
        raise InvalidRequest(
            f"{text!r} is not a model reference; write model:NAME, model:NAME:VERSION (a number) or model:NAME@ALIAS"
        )
    version = m.group("version")
    return ModelRef(m.group("name"), int(version) if version else None, m.group("alias"))


def check_name(name: str, what: str = "name") -> str:
    """A data asset or model name; the error says what a valid one looks like."""
    if not NAME_RE.match(name or ""):
        raise InvalidRequest(
            f"{what} {name!r} is not valid: start with a letter or digit, then letters, digits, '_', '-' or '.' "
            "(at most 128 characters; no '@' or ':', which references use)"
        )
    return name


def check_alias(alias: str) -> str:
    if not ALIAS_RE.match(alias or "") or alias.lower() == "latest":
        raise InvalidRequest(
            f"alias {alias!r} is not valid: start with a letter, then letters, digits, '_' or '-' (not 'latest', "
            "which always means the newest version)"
        )
    return alias
