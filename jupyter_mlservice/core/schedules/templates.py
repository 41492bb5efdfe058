"""Run-time values in a scheduled job spec: `{{ scheduled_time }}` and friends (Jinja, sandboxed).

Every string of the spec is rendered except Python `source` (whose braces are the user's code).
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

from ..errors import InvalidRequest

NOT_RENDERED = {"source"}
JOB_PLACEHOLDER = re.compile(r"\$\{\{.*?\}\}")


class When(datetime):
    """A datetime that prints as ISO 8601 (`2026-01-31T02:00:00+01:00`) in templates."""

    def __str__(self) -> str:
        return self.isoformat()

    @classmethod
    def of(cls, dt: datetime) -> "When":
        return cls(dt.year, dt.month, dt.day, dt.hour, dt.minute, dt.second, dt.microsecond, tzinfo=dt.tzinfo, fold=dt.fold)


def context(slot_utc: datetime, time_zone: str, schedule_name: str, trigger: str) -> dict[str, Any]:
    aware = slot_utc.replace(tzinfo=timezone.utc)
    local = aware.astimezone(ZoneInfo(time_zone))
    return {
        "scheduled_time": When.of(local),
        "scheduled_time_utc": When.of(aware),
        "scheduled_date": local.date().isoformat(),
        "schedule_name": schedule_name,
        "trigger": trigger,
        "timedelta": timedelta,
    }


_ENV = None


def _env():
    global _ENV
    if _ENV is None:
        from jinja2 import StrictUndefined
        from jinja2.sandbox import SandboxedEnvironment

        _ENV = SandboxedEnvironment(undefined=StrictUndefined, autoescape=False, keep_trailing_newline=True)
    return _ENV


def render(value: Any, ctx: dict[str, Any], path: str = "job") -> Any:
    if isinstance(value, dict):
        return {k: (v if k in NOT_RENDERED else render(v, ctx, f"{path}.{k}")) for k, v in value.items()}
    if isinstance(value, list):
        return [render(v, ctx, f"{path}[{i}]") for i, v in enumerate(value)]
    if isinstance(value, str) and ("{{" in value or "{%" in value):
        # `${{inputs.train}}` / `${{outputs.model}}` are the job's own placeholders, filled at launch
        kept = JOB_PLACEHOLDER.findall(value)
        parts = [_render_text(part, ctx, path, value) for part in JOB_PLACEHOLDER.split(value)]
        return "".join(p + k for p, k in zip(parts, [*kept, ""]))
    return value


def _render_text(text: str, ctx: dict[str, Any], path: str, whole: str) -> str:
    if "{{" not in text and "{%" not in text:
        return text
    from jinja2 import TemplateError

    try:
        return _env().from_string(text).render(ctx)
    except TemplateError as exc:
        names = ", ".join(k for k in ctx if k != "timedelta")
        raise InvalidRequest(f"{path}: template {whole!r} fails: {exc} (available: {names}, timedelta)") from None
