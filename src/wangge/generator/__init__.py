"""Deterministic generation of a plausible city below the real divisions:
grids, micro-grids, base data and grid teams (`wangge generate`)."""
