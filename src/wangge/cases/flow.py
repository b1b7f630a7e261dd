"""The transition table: every move a case can make, the statuses it may be
made from, the status it leads to (None: the status stays, a side move), and
who may make it. `services.case_move` is the only code that changes a case's
status, and it reads this table first.

Who is worked out per case and actor (`who_is`):
- DISPATCHER: a command-centre dispatcher, street or community cadre or city
  administrator whose area covers the case (superusers too).
- GRID_LEADER: the grid leader of the case's grid (or an area above it).
- GRID_TEAM: any grid team role covering the case (leader, full- or part-time
  worker, micro-grid leader, assistant): they may escalate.
- VERIFIER: a dispatcher, grid leader or full-time grid worker covering the case.
- HANDLER: whoever the case is dispatched to: the grid team (leader, full- and
  part-time workers) for the grid, or staff of the lead or assisting
  department; and the named assignee.
- WHISTLED: staff of a department whistled in that has not yet responded.
- REPORTER: a user who reported the case (or whose duplicate was merged into it).
- SYSTEM: the deadline sweep (actor None).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from .models import Status


class Move(StrEnum):
    ACCEPT = "accept"
    VOID = "void"
    MERGE = "merge"
    REGISTER = "register"
    DISPATCH = "dispatch"
    HANDLE = "handle"
    REPORT_BACK = "report_back"
    VERIFY_PASS = "verify_pass"
    VERIFY_FAIL = "verify_fail"
    CLOSE = "close"
    RATE = "rate"
    ARCHIVE = "archive"
    EXTENSION_REQUEST = "extension_request"
    EXTENSION_APPROVE = "extension_approve"
    EXTENSION_REJECT = "extension_reject"
    PARK = "park"
    UNPARK = "unpark"
    SUPERVISE = "supervise"
    WHISTLE = "whistle"
    WHISTLE_RESPOND = "whistle_respond"
    JOINT = "joint"
    ESCALATE = "escalate"


class Who(StrEnum):
    DISPATCHER = "dispatcher"
    GRID_LEADER = "grid_leader"
    GRID_TEAM = "grid_team"
    VERIFIER = "verifier"
    HANDLER = "handler"
    WHISTLED = "whistled"
    REPORTER = "reporter"
    SYSTEM = "system"


MOVE_LABELS = {
    Move.ACCEPT: "受理",
    Move.VOID: "作废",
    Move.MERGE: "合并",
    Move.REGISTER: "立案",
    Move.DISPATCH: "派遣",
    Move.HANDLE: "开始处置",
    Move.REPORT_BACK: "处置反馈",
    Move.VERIFY_PASS: "核查通过",
    Move.VERIFY_FAIL: "核查不通过（返工）",
    Move.CLOSE: "结案",
    Move.RATE: "评价",
    Move.ARCHIVE: "归档",
    Move.EXTENSION_REQUEST: "申请延期",
    Move.EXTENSION_APPROVE: "批准延期",
    Move.EXTENSION_REJECT: "驳回延期",
    Move.PARK: "挂账",
    Move.UNPARK: "解除挂账",
    Move.SUPERVISE: "督办",
    Move.WHISTLE: "吹哨",
    Move.WHISTLE_RESPOND: "部门报到",
    Move.JOINT: "联办",
    Move.ESCALATE: "上报上级",
}


@dataclass(frozen=True)
class Edge:
    sources: tuple[Status, ...]
    target: Status | None
    who: frozenset[Who]


S = Status
D, GL, GT, V, H, W, R, SYS = (
    Who.DISPATCHER,
    Who.GRID_LEADER,
    Who.GRID_TEAM,
    Who.VERIFIER,
    Who.HANDLER,
    Who.WHISTLED,
    Who.REPORTER,
    Who.SYSTEM,
)
_ACTIVE = (S.REGISTERED, S.DISPATCHED, S.HANDLING)

TABLE: dict[Move, Edge] = {
    Move.ACCEPT: Edge((S.REPORTED,), S.ACCEPTED, frozenset({D, GL})),
    Move.VOID: Edge((S.REPORTED, S.ACCEPTED), S.VOIDED, frozenset({D, GL})),
    Move.MERGE: Edge((S.REPORTED, S.ACCEPTED), S.MERGED, frozenset({D})),
    Move.REGISTER: Edge((S.ACCEPTED,), S.REGISTERED, frozenset({D, GL})),
    Move.DISPATCH: Edge((S.REGISTERED, S.DISPATCHED), S.DISPATCHED, frozenset({D, GL})),
    Move.HANDLE: Edge((S.DISPATCHED,), S.HANDLING, frozenset({H})),
    Move.REPORT_BACK: Edge((S.HANDLING,), S.HANDLED, frozenset({H})),
    Move.VERIFY_PASS: Edge((S.HANDLED,), S.VERIFIED, frozenset({V})),
    Move.VERIFY_FAIL: Edge((S.HANDLED,), S.HANDLING, frozenset({V})),
    Move.CLOSE: Edge((S.VERIFIED,), S.CLOSED, frozenset({D, GL})),
    Move.RATE: Edge((S.CLOSED,), S.RATED, frozenset({R})),
    Move.ARCHIVE: Edge((S.CLOSED, S.RATED), S.ARCHIVED, frozenset({D, SYS})),
    Move.EXTENSION_REQUEST: Edge((S.DISPATCHED, S.HANDLING), None, frozenset({H})),
    Move.EXTENSION_APPROVE: Edge((S.DISPATCHED, S.HANDLING), None, frozenset({D})),
    Move.EXTENSION_REJECT: Edge((S.DISPATCHED, S.HANDLING), None, frozenset({D})),
    Move.PARK: Edge((S.DISPATCHED, S.HANDLING), S.PARKED, frozenset({D})),
    Move.UNPARK: Edge((S.PARKED,), S.HANDLING, frozenset({D})),
    Move.SUPERVISE: Edge(
        (S.ACCEPTED, S.REGISTERED, S.DISPATCHED, S.HANDLING, S.HANDLED, S.PARKED),
        None,
        frozenset({D}),
    ),
    Move.WHISTLE: Edge(_ACTIVE, None, frozenset({D, GL})),
    Move.WHISTLE_RESPOND: Edge((*_ACTIVE, S.HANDLED, S.PARKED), None, frozenset({W})),
    Move.JOINT: Edge(_ACTIVE, None, frozenset({D})),
    Move.ESCALATE: Edge(
        (S.ACCEPTED, S.REGISTERED, S.DISPATCHED, S.HANDLING, S.PARKED),
        None,
        frozenset({D, GT, SYS}),
    ),
}

# Moves the reporter hears about (the public steps).
PUBLIC_MOVES = frozenset(
    {
        Move.ACCEPT,
        Move.VOID,
        Move.MERGE,
        Move.DISPATCH,
        Move.HANDLE,
        Move.REPORT_BACK,
        Move.CLOSE,
        Move.PARK,
        Move.UNPARK,
    }
)


def allowed(move: Move, status: str, who: set[Who] | frozenset[Who]) -> tuple[bool, bool]:
    """(status allows the move, actor may make it)."""
    edge = TABLE[move]
    return status in edge.sources, bool(edge.who & set(who))
