"""The simulated engineers: who they are, where they live, and when they work.

Author dates keep each person's UTC offset, as git records them; everything else is UTC.
Offsets are fixed per person (no daylight saving) so the data stays easy to reason about.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone

from simulator.records import Person

# login, name, UTC offset (hours), local hour the working day starts
_ROSTER: tuple[tuple[str, str, float, int], ...] = (
    ("mhoffmann", "Maria Hoffmann", 1, 8),
    ("jdupont", "Julien Dupont", 1, 9),
    ("akowalski", "Anna Kowalski", 1, 9),
    ("rpatel", "Ravi Patel", 5.5, 10),
    ("snakamura", "Sora Nakamura", 9, 9),
    ("lchen", "Li Chen", 8, 9),
    ("ejohnson", "Emily Johnson", -5, 8),
    ("dgarcia", "Diego García", -6, 9),
    ("tnguyen", "Thanh Nguyen", -8, 9),
    ("owilliams", "Olivia Williams", -8, 10),
    ("kmensah", "Kwame Mensah", 0, 9),
    ("fsilva", "Fernanda Silva", -3, 9),
    ("ipetrov", "Ivan Petrov", 3, 10),
    ("hkim", "Hana Kim", 9, 10),
    ("bmueller", "Björn Müller", 1, 7),
    ("aobi", "Adaeze Obi", 1, 9),
)

WEB_FLOW = Person(login="web-flow", name="GitHub", email="noreply@github.com", id=19864447)
GITHUB_ACTIONS = Person(
    login="github-actions[bot]",
    name="github-actions[bot]",
    email="41898282+github-actions[bot]@users.noreply.github.com",
    id=41898282,
)


@dataclass(slots=True, frozen=True)
class Engineer:
    """A person plus the habits the generator needs: time zone and working hours."""

    person: Person
    tz: timezone
    start_hour: int

    def local_day_start(self, day_utc: datetime) -> datetime:
        """UTC instant of this person's working-day start on the calendar day of `day_utc`."""
        local_midnight = datetime(day_utc.year, day_utc.month, day_utc.day, tzinfo=self.tz)
        return (local_midnight + timedelta(hours=self.start_hour)).astimezone(UTC)

    def is_working(self, t: datetime) -> bool:
        local = t.astimezone(self.tz)
        return local.weekday() < 5 and self.start_hour <= local.hour < self.start_hour + 9

    def next_working(self, t: datetime, rng: random.Random) -> datetime:
        """`t` if it falls in working hours, else a moment early in the next working day."""
        if self.is_working(t):
            return t
        local = t.astimezone(self.tz)
        day = datetime(local.year, local.month, local.day, tzinfo=self.tz)
        if local.hour >= self.start_hour:
            day += timedelta(days=1)
        while day.weekday() >= 5:
            day += timedelta(days=1)
        minutes = rng.randint(5, 90)
        start = day + timedelta(hours=self.start_hour, minutes=minutes, seconds=rng.randint(0, 59))
        return start.astimezone(UTC)


def engineers(first_id: int = 1000) -> list[Engineer]:
    """Everyone on the roster, with stable GitHub user ids."""
    team = []
    for index, (login, name, offset, start) in enumerate(_ROSTER):
        person = Person(
            login=login,
            name=name,
            email=f"{login}@acme.example",
            id=first_id + index,
        )
        team.append(Engineer(person, timezone(timedelta(hours=offset)), start))
    return team


def local_time(engineer: Engineer, t: datetime) -> datetime:
    """`t` expressed in the engineer's offset, the way git stores an author date."""
    return t.astimezone(engineer.tz)
