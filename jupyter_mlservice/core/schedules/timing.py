"""When a schedule fires: cron or recurrence, in its time zone, between start_at and end_at.

All instants outside this module are naive UTC (as the store keeps them).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, time, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from ..errors import InvalidRequest

UNIT = {"minutes": timedelta(minutes=1), "hours": timedelta(hours=1), "days": timedelta(days=1), "weeks": timedelta(weeks=1)}
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidRequest(f"time_zone {name!r} is not an IANA time zone (e.g. UTC, Europe/Paris, America/New_York)") from None


# Instants a schedule may name. Past the upper bound, time-zone conversion and "the slot after"
# overflow Python's datetime (year 9999) instead of answering.
EARLIEST, LATEST = datetime(1970, 1, 1), datetime(3000, 1, 1)


def check_cron(expr: str) -> None:
    from croniter import CroniterBadDateError, croniter

    if len(expr.split()) != 5 or not croniter.is_valid(expr):
        raise InvalidRequest(f"cron {expr!r} is not a five-field cron expression (minute hour day month weekday), e.g. '0 2 * * *'")
    try:  # '0 0 31 2 *' is well formed and never fires
        croniter(expr, datetime(2000, 1, 1)).get_next(datetime)
    except (CroniterBadDateError, OverflowError, ValueError):
        raise InvalidRequest(f"cron {expr!r} never fires (no date matches it, e.g. February 31); check the day and month fields") from None


def check_instant(label: str, value: datetime | None) -> None:
    """start_at/end_at (naive UTC) within what the scheduler can compute with."""
    if value is not None and not EARLIEST <= value < LATEST:
        raise InvalidRequest(f"{label} must be between {EARLIEST:%Y-%m-%d} and {LATEST:%Y-%m-%d} (UTC)")


def _aware(naive_utc: datetime) -> datetime:
    return naive_utc.replace(tzinfo=timezone.utc)


def _naive(aware: datetime) -> datetime:
    return aware.astimezone(timezone.utc).replace(tzinfo=None)


class Timing:
    """The slots of one schedule."""

    def __init__(self, cron: str | None, recurrence: dict[str, Any] | None, time_zone: str,
                 start_at: datetime | None, end_at: datetime | None, anchor: datetime):
        if bool(cron) == bool(recurrence):
            raise InvalidRequest("give either cron (e.g. '0 2 * * *') or recurrence (e.g. {'every': 1, 'unit': 'days', 'at': ['02:00']})")
        if cron:
            check_cron(cron)
        check_instant("start_at", start_at)
        check_instant("end_at", end_at)
        self.cron = cron
        self.rec = recurrence
        self.tz = zone(time_zone)
        self.start_at, self.end_at = start_at, end_at
        if start_at and end_at and end_at <= start_at:
            raise InvalidRequest("end_at must be after start_at")
        # Recurrences count from here: the start, else when the schedule was created.
        self.anchor = (start_at or anchor).replace(second=0, microsecond=0)

    @classmethod
    def of(cls, row: Any, now: datetime) -> "Timing":
        """The timing of a schedule row (or a dict of its columns); ``now`` stands in for a
        created_at not set yet."""
        get = row.get if isinstance(row, dict) else lambda k, d=None: getattr(row, k, d)
        return cls(get("cron"), get("recurrence"), get("time_zone") or "UTC", get("start_at"), get("end_at"), get("created_at") or now)

    def next_after(self, after: datetime) -> datetime | None:
        """The first slot strictly after `after` (naive UTC), or None once past end_at."""
        if self.start_at and after < self.start_at - timedelta(microseconds=1):
            after = self.start_at - timedelta(microseconds=1)
        slot = self._next_cron(after) if self.cron else self._next_rec(after)
        if slot is None or (self.end_at and slot > self.end_at):
            return None
        return slot

    def slots(self, after: datetime, until: datetime) -> Iterator[datetime]:
        """Slots in (after, until]."""
        t = after
        while (t := self.next_after(t)) is not None and t <= until:
            yield t

    def upcoming(self, now: datetime, n: int) -> list[datetime]:
        out: list[datetime] = []
        t = now
        while len(out) < n and (t := self.next_after(t)) is not None:
            out.append(t)
        return out

    def _next_cron(self, after: datetime) -> datetime | None:
        from croniter import CroniterBadDateError, croniter

        local = _aware(after).astimezone(self.tz)
        try:
            return _naive(croniter(self.cron, local).get_next(datetime))
        except (CroniterBadDateError, OverflowError):  # no slot left before datetime's end
            return None

    def _next_rec(self, after: datetime) -> datetime | None:
        unit, every = self.rec["unit"], int(self.rec.get("every") or 1)
        if unit in ("minutes", "hours"):
            step = UNIT[unit] * every
            if after < self.anchor:
                return self.anchor
            k = (after - self.anchor) // step + 1
            return self.anchor + k * step
        times = [time(int(t[:2]), int(t[3:])) for t in (self.rec.get("at") or ["00:00"])]
        anchor_day = _aware(self.anchor).astimezone(self.tz).date()
        if unit == "days":
            ok = lambda d: (d - anchor_day).days % every == 0  # noqa: E731
        else:
            days = {WEEKDAYS.index(w) for w in (self.rec.get("weekdays") or [WEEKDAYS[anchor_day.weekday()]])}
            week0 = anchor_day - timedelta(days=anchor_day.weekday())
            ok = lambda d: d.weekday() in days and ((d - timedelta(days=d.weekday())) - week0).days // 7 % every == 0  # noqa: E731
        day = _aware(after).astimezone(self.tz).date() - timedelta(days=1)
        for _ in range(7 * every + 8):
            if day >= anchor_day and ok(day):
                for t in times:
                    slot = _naive(datetime.combine(day, t, tzinfo=self.tz))
                    if slot > after and slot >= self.anchor:
                        return slot
            day += timedelta(days=1)
        return None  # pragma: no cover - a qualifying day always comes within the window

