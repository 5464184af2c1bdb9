"""Demo data of the reporting module for the synthetic province (called by `eduplus seed`)."""

from __future__ import annotations

from collections.abc import Callable


def seed_demo(*, province: str, seed: int, say: Callable[[str], None]) -> int:
    """Write this module's demo rows; return how many. Deterministic for a seed."""
    return 0
