"""Reads of the grid-worker records, through the scope rule.

A worker is a staff user holding an active grid-team role (1+1+1+N: grid
leader, full-time and part-time workers, instructor, micro-grid leader,
assistant). Staff whose areas cover one of the worker's team areas see the
worker and their records (a street cadre: the street's workers only); a
worker sees their own. Residents see none of it."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Count, Q, QuerySet, Sum
from django.utils import timezone

from wangge.accounts.models import User
from wangge.areas.models import Area
from wangge.areas.paths import subtree_q
from wangge.core.errors import DomainError
from wangge.teams.models import RoleAssignment
from wangge.teams.roles import TEAM_CORE, TEAM_MEMBERS, Role
from wangge.teams.scope import scope_for

from .models import Certificate, Recruitment, Training

WORKER_ROLES = tuple(r.value for r in (*TEAM_CORE, *TEAM_MEMBERS))
EXPIRING_DAYS = 60
MAX_LIST = 500


def not_found() -> DomainError:
    return DomainError("not_found", "未找到，或不在您的管辖范围内", status=404)


def staff_only(actor) -> None:
    if not scope_for(actor).is_staff_scope:
        raise DomainError("forbidden", "仅工作人员可用", status=403)


@dataclass(frozen=True)
class Post:
    """One grid-team role a worker holds."""

    role: str
    role_label: str
    area_id: int
    area_name: str
    area_path: str


@dataclass
class Worker:
    user: User
    posts: list[Post]

    @property
    def id(self) -> int:
        return self.user.pk

    @property
    def name(self) -> str:
        return self.user.name or self.user.username

    @property
    def area_path(self) -> str:
        return self.posts[0].area_path

    @property
    def area_id(self) -> int:
        return self.posts[0].area_id

    @property
    def area_name(self) -> str:
        return self.posts[0].area_name

    @property
    def roles(self) -> str:
        return "、".join(dict.fromkeys(p.role_label for p in self.posts))


@dataclass
class WorkerRow:
    worker: Worker
    recruited_on: dt.date | None = None
    contract_end: dt.date | None = None
    training_hours: Decimal = Decimal("0")  # this year
    certificates: int = 0
    expiring: int = 0


@dataclass
class WorkerRecord:
    worker: Worker
    recruitment: Recruitment | None
    trainings: list[Training]
    certificates: list[Certificate]
    hours_year: Decimal
    hours_total: Decimal
    today: dt.date
    expiring_ids: set[int] = field(default_factory=set)
    expired_ids: set[int] = field(default_factory=set)


def _assignments(actor, area: Area | None = None) -> QuerySet[RoleAssignment]:
    scope = scope_for(actor)
    qs = RoleAssignment.objects.filter(
        role__in=WORKER_ROLES, is_active=True, user__is_active=True, area__is_active=True
    )
    if not scope.is_staff_scope:
        return qs.none()
    qs = qs.filter(scope.q("area_path"))
    if area is not None:
        qs = qs.filter(subtree_q(area.path, "area_path"))
    return qs


def _workers(assignments) -> list[Worker]:
    by_user: dict[int, Worker] = {}
    for a in assignments.select_related("user", "area").order_by("area_path", "role", "pk"):
        w = by_user.setdefault(a.user_id, Worker(user=a.user, posts=[]))
        w.posts.append(Post(a.role, str(Role(a.role).label), a.area_id, a.area.name, a.area_path))
    return list(by_user.values())


def worker_list(
    *, actor, area: Area | None = None, role: str = "", q: str = "", expiring: bool = False
) -> list[WorkerRow]:
    """The grid workers under `area` (default: all the actor's areas), with
    this year's training hours, certificates and those expiring within 60
    days. Filters: role, name contains `q`, only those with an
    expiring certificate."""
    staff_only(actor)
    qs = _assignments(actor, area)
    if role:
        qs = qs.filter(role=role)
    if q:
        qs = qs.filter(user__name__contains=q)
    ids = list(qs.values_list("user_id", flat=True).distinct().order_by("user_id")[:MAX_LIST])
    workers = _workers(_assignments(actor).filter(user_id__in=ids))
    today = timezone.localdate()
    soon = today + dt.timedelta(days=EXPIRING_DAYS)
    rec = {
        r["worker_id"]: r
        for r in Recruitment.objects.filter(worker_id__in=ids).values(
            "worker_id", "recruited_on", "contract_end"
        )
    }
    hours = dict(
        Training.objects.filter(worker_id__in=ids, held_on__year=today.year)
        .values("worker_id")
        .annotate(h=Sum("hours"))
        .values_list("worker_id", "h")
    )
    certs = {
        r["worker_id"]: r
        for r in Certificate.objects.filter(worker_id__in=ids)
        .values("worker_id")
        .annotate(
            n=Count("pk"),
            soon=Count("pk", filter=Q(expires_on__gte=today, expires_on__lte=soon)),
        )
    }
    rows = []
    for w in workers:
        r = rec.get(w.id, {})
        c = certs.get(w.id, {})
        row = WorkerRow(
            worker=w,
            recruited_on=r.get("recruited_on"),
            contract_end=r.get("contract_end"),
            training_hours=hours.get(w.id) or Decimal("0"),
            certificates=c.get("n", 0),
            expiring=c.get("soon", 0),
        )
        if expiring and not row.expiring:
            continue
        rows.append(row)
    rows.sort(key=lambda r: (r.worker.area_path, r.worker.name, r.worker.id))
    return rows


def access_worker(*, actor, worker_id: int) -> Worker:
    """A grid worker the actor may see: staff covering one of the worker's
    team areas, or the worker themselves."""
    scope = scope_for(actor)
    if not scope.is_staff_scope:
        raise not_found()
    own = getattr(actor, "pk", None) == worker_id
    qs = RoleAssignment.objects.filter(
        user_id=worker_id,
        role__in=WORKER_ROLES,
        is_active=True,
        user__is_active=True,
        area__is_active=True,
    )
    if not own:
        qs = qs.filter(scope.q("area_path"))
    workers = _workers(qs)
    if not workers:
        raise not_found()
    return workers[0]


def worker_record(*, worker: Worker, today: dt.date | None = None) -> WorkerRecord:
    today = today or timezone.localdate()
    soon = today + dt.timedelta(days=EXPIRING_DAYS)
    trainings = list(Training.objects.filter(worker=worker.user).order_by("-held_on", "-pk"))
    certs = list(Certificate.objects.filter(worker=worker.user).order_by("expires_on", "pk"))
    return WorkerRecord(
        worker=worker,
        recruitment=Recruitment.objects.filter(worker=worker.user).first(),
        trainings=trainings,
        certificates=certs,
        hours_year=sum((t.hours for t in trainings if t.held_on.year == today.year), Decimal("0")),
        hours_total=sum((t.hours for t in trainings), Decimal("0")),
        today=today,
        expiring_ids={c.pk for c in certs if c.expires_on and today <= c.expires_on <= soon},
        expired_ids={c.pk for c in certs if c.expires_on and c.expires_on < today},
    )


def expiring_certificates(
    *, actor, area: Area | None = None, days: int = EXPIRING_DAYS
) -> list[tuple[Certificate, Worker]]:
    """Certificates of the visible workers that expire within `days` days
    (today included), soonest first."""
    staff_only(actor)
    workers = {w.id: w for w in _workers(_assignments(actor, area))}
    today = timezone.localdate()
    certs = Certificate.objects.filter(
        worker_id__in=list(workers),
        expires_on__gte=today,
        expires_on__lte=today + dt.timedelta(days=days),
    ).order_by("expires_on", "pk")[:MAX_LIST]
    return [(c, workers[c.worker_id]) for c in certs]


def street_options(*, actor) -> list[Area]:
    """Streets (and above: the actor's own areas) to filter the list by."""
    from wangge.areas.models import Level

    scope = scope_for(actor)
    qs = Area.objects.filter(level=Level.STREET, is_active=True)
    if not scope.unrestricted:
        qs = qs.filter(scope.q("path"))
    return list(qs.order_by("path")[:200])


def hours_by_worker(worker_ids, start: dt.date, end: dt.date) -> dict[int, Decimal]:
    """Training hours per worker with start ≤ date < end (for evaluations)."""
    out: dict[int, Decimal] = defaultdict(Decimal)
    for wid, h in (
        Training.objects.filter(worker_id__in=list(worker_ids), held_on__gte=start, held_on__lt=end)
        .values("worker_id")
        .annotate(h=Sum("hours"))
        .values_list("worker_id", "h")
    ):
        out[wid] = h
    return dict(out)
