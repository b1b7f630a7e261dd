"""The shape of a generated city, decided once for the whole city from the
seed: how many grids each community has, which are dedicated or sea grids,
how many micro-grids each grid has. Any scope (a street, a district) takes
its part of the same plan, so a street generated alone looks exactly like
that street in the generated city.

Totals follow the Jiaxing benchmark and scale with the number of
communities elsewhere: 4,365 grids and 92,600 micro-grids for 1,202
communities; about 8% of grids are dedicated (no micro-grids)."""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from wangge.areas.models import DedicatedKind, GridKind

JIAXING_COMMUNITIES = 1202
JIAXING_GRIDS = 4365
JIAXING_MICRO_GRIDS = 92_600
DEDICATED_SHARE = 0.08
MICRO_PER_SEA_GRID = (3, 6)
MIN_MICRO_PER_GRID = 6
HOUSEHOLDS_PER_MICRO = 20.5  # ~1.9 M households in Jiaxing

# Sea grids (海上网格): fishing boats of coastal towns. district code ->
# street-name fragments of its coastal streets.
SEA_STREETS = {
    "330482": ("乍浦", "独山港", "全塘"),  # 平湖市
    "330424": ("澉浦", "秦山", "西塘桥", "望海"),  # 海盐县
}

_DEDICATED_URBAN = [
    (DedicatedKind.SCHOOL, 26),
    (DedicatedKind.HOSPITAL, 10),
    (DedicatedKind.OFFICE_TOWER, 20),
    (DedicatedKind.MARKET, 14),
    (DedicatedKind.AGENCY, 14),
    (DedicatedKind.ENTERPRISE, 16),
]
_DEDICATED_RURAL = [
    (DedicatedKind.ENTERPRISE, 55),
    (DedicatedKind.SCHOOL, 15),
    (DedicatedKind.MARKET, 10),
    (DedicatedKind.AGENCY, 10),
    (DedicatedKind.HOSPITAL, 10),
]


@dataclass
class GridPlan:
    code: str  # 15 digits
    index: int  # 1-based within the community
    kind: str  # GridKind
    dedicated_kind: str = ""
    micro_grids: int = 0


@dataclass
class CommunityPlan:
    code: str
    grids: list[GridPlan] = field(default_factory=list)


@dataclass(frozen=True)
class CommunityInfo:
    """What the plan needs to know of a community."""

    code: str
    rural: bool
    district_code: str
    street_name: str


def apportion(total: int, weights: list[float], minimum: int = 0) -> list[int]:
    """Integers summing to `total`, each >= minimum, proportional to weights
    (largest remainders; ties by position, so deterministic)."""
    n = len(weights)
    if n == 0:
        return []
    spare = total - minimum * n
    if spare < 0:
        raise ValueError("total too small for the minimum")
    s = sum(weights)
    exact = [spare * w / s for w in weights]
    out = [int(x) for x in exact]
    rest = spare - sum(out)
    order = sorted(range(n), key=lambda i: (-(exact[i] - out[i]), i))
    for i in order[:rest]:
        out[i] += 1
    return [minimum + x for x in out]


def city_plan(communities: list[CommunityInfo], seed: int) -> dict[str, CommunityPlan]:
    """code -> plan, for every community of the city (ordered by code)."""
    communities = sorted(communities, key=lambda c: c.code)
    n = len(communities)
    rng = random.Random(f"{seed}:plan")
    total_grids = round(n * JIAXING_GRIDS / JIAXING_COMMUNITIES)
    total_micro = round(total_grids * JIAXING_MICRO_GRIDS / JIAXING_GRIDS)

    # Grids per community: at least one, more for bigger (random) ones.
    weights = [rng.lognormvariate(0, 0.45) * (0.9 if c.rural else 1.15) for c in communities]
    counts = apportion(total_grids, weights, minimum=1)

    plans = {c.code: CommunityPlan(c.code) for c in communities}
    slots: list[GridPlan] = []  # every grid but each community's first: may be dedicated
    for c, k in zip(communities, counts, strict=True):
        for i in range(1, k + 1):
            g = GridPlan(code=f"{c.code}{i:03d}", index=i, kind=GridKind.BASIC)
            plans[c.code].grids.append(g)
            if i > 1:
                slots.append(g)

    # Dedicated grids: an exact share, spread at random.
    info = {c.code: c for c in communities}
    n_dedicated = min(len(slots), round(total_grids * DEDICATED_SHARE))
    for g in sorted(rng.sample(slots, n_dedicated), key=lambda g: g.code):
        g.kind = GridKind.DEDICATED
        table = _DEDICATED_RURAL if info[g.code[:12]].rural else _DEDICATED_URBAN
        g.dedicated_kind = rng.choices([k for k, _ in table], weights=[w for _, w in table])[0]

    # Sea grids: the last basic grid of one community per coastal street.
    seen_streets: set[str] = set()
    for c in communities:
        fragments = SEA_STREETS.get(c.district_code[:6], ())
        if c.code[:9] in seen_streets or not any(f in c.street_name for f in fragments):
            continue
        basics = [g for g in plans[c.code].grids if g.kind == GridKind.BASIC]
        if len(basics) >= 2:
            basics[-1].kind = GridKind.SEA
            seen_streets.add(c.code[:9])

    # Micro-grids: sea grids get a few boat groups, basic grids share the rest.
    grids = [g for c in communities for g in plans[c.code].grids]
    for g in grids:
        if g.kind == GridKind.SEA:
            g.micro_grids = rng.randint(*MICRO_PER_SEA_GRID)
    basic = [g for g in grids if g.kind == GridKind.BASIC]
    remaining = total_micro - sum(g.micro_grids for g in grids)
    minimum = min(MIN_MICRO_PER_GRID, max(1, remaining // max(1, len(basic))))
    micro_weights = [rng.uniform(0.55, 1.45) for _ in basic]
    for g, k in zip(basic, apportion(remaining, micro_weights, minimum=minimum), strict=True):
        g.micro_grids = k
    return plans
