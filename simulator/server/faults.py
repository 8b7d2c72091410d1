"""Seeded fault injection for the simulator: the failures a GitHub client must survive.

`FaultSpec.parse("5xx=0.05,403=0.05,429=0.05,reset=0.05,slow=0.05,primary=0.05,seed=1")` gives
each fault kind a probability per API request (`primary` spends the whole primary rate budget, so
that request and every other one until the window resets get GitHub's primary-limit 403;
`graphql` answers a GraphQL query with partial data and an error, and leaves REST alone). One
seeded generator draws one number per request, so the same spec and the same serial request
sequence give the same faults. `slow_seconds=` sets the delay of a slow response (the waits a
fault asks for are short so tests stay fast).
"""

from __future__ import annotations

import random
import threading
from dataclasses import dataclass, field

# Order matters: the draw walks these cumulatively, so a spec maps to a stable partition of [0, 1).
FAULT_KINDS = ("5xx", "403", "429", "reset", "slow", "primary", "graphql")
SERVER_ERRORS = (500, 502, 503)


class FaultSpecError(ValueError):
    """A --faults spec that does not parse; the message names the bad part."""


@dataclass
class FaultSpec:
    probabilities: dict[str, float] = field(default_factory=dict)
    seed: int = 0
    slow_seconds: float = 0.2
    _rng: random.Random = field(init=False, repr=False)
    _lock: threading.Lock = field(init=False, repr=False, default_factory=threading.Lock)

    def __post_init__(self) -> None:
        self._rng = random.Random(self.seed)

    @classmethod
    def parse(cls, spec: str) -> FaultSpec:
        """Parse `kind=probability,...,seed=N[,slow_seconds=S]`; kinds are FAULT_KINDS."""
        probabilities: dict[str, float] = {}
        seed, slow_seconds = 0, 0.2
        for part in filter(None, (p.strip() for p in spec.split(","))):
            key, sep, value = part.partition("=")
            key = key.strip()
            if not sep:
                raise FaultSpecError(f"fault '{part}' needs a value, e.g. {part}=0.05")
            try:
                if key == "seed":
                    seed = int(value)
                elif key == "slow_seconds":
                    slow_seconds = float(value)
                elif key in FAULT_KINDS:
                    probabilities[key] = float(value)
                else:
                    raise FaultSpecError(
                        f"unknown fault '{key}' (known: {', '.join(FAULT_KINDS)}, seed, slow_seconds)"
                    )
            except ValueError as exc:
                if isinstance(exc, FaultSpecError):
                    raise
                raise FaultSpecError(f"fault '{key}' has a bad value '{value}'") from None
            if key in FAULT_KINDS and not 0.0 <= probabilities[key] <= 1.0:
                raise FaultSpecError(f"fault '{key}' probability must be between 0 and 1")
        if sum(probabilities.values()) > 1.0 + 1e-9:
            raise FaultSpecError("fault probabilities add up to more than 1")
        return cls(probabilities=probabilities, seed=seed, slow_seconds=slow_seconds)

    def draw(self) -> tuple[str, int] | None:
        """The fault for the next request, as (kind, status), or None; thread-safe and seeded."""
        with self._lock:
            x = self._rng.random()
            pick = self._rng.randrange(len(SERVER_ERRORS))
        edge = 0.0
        for kind in FAULT_KINDS:
            edge += self.probabilities.get(kind, 0.0)
            if x < edge:
                status = {"5xx": SERVER_ERRORS[pick], "403": 403, "429": 429}.get(kind, 0)
                return kind, status
        return None
