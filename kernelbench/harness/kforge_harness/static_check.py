"""PLACEHOLDER (owned by the anti-cheat engineer, issue 3): static check of candidate source."""
from __future__ import annotations


def check_source(source: str, backend: str) -> list[str]:
    return []
