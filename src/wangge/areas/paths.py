"""The materialized path: each level adds a fixed-width step of digits, so a
subtree is the half-open range [path, next(path)) and uses the plain b-tree
index on SQLite and PostgreSQL alike, under any collation (digits only)."""

from __future__ import annotations

from django.db.models import Q

STEP = 5  # up to 99,999 children under one parent
MAX_CHILDREN = 10**STEP - 1


def child_path(parent_path: str, index: int) -> str:
    """index counts from 1."""
    if not 1 <= index <= MAX_CHILDREN:
        raise ValueError(f"child index {index} out of range")
    return f"{parent_path}{index:0{STEP}d}"


def path_upper_bound(path: str) -> str | None:
    """The smallest path of the same length that is not under `path`, or
    None when `path` is all nines (no upper bound needed)."""
    stripped = path.rstrip("9")
    if not stripped:
        return None
    return stripped[:-1] + str(int(stripped[-1]) + 1) + "0" * (len(path) - len(stripped))


def subtree_q(path: str, field: str = "path") -> Q:
    """Q for the node at `path` and everything below it."""
    q = Q(**{f"{field}__gte": path})
    upper = path_upper_bound(path)
    if upper is not None:
        q &= Q(**{f"{field}__lt": upper})
    return q


def ancestor_paths(path: str) -> list[str]:
    """Paths of every ancestor (root first), not including `path` itself."""
    return [path[:i] for i in range(STEP, len(path), STEP)]


def depth_of(path: str) -> int:
    return len(path) // STEP
