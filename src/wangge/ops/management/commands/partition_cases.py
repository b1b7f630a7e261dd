"""`wangge partition-cases`: the earlier name of `wangge partition`, for
cases and case events by default (same options)."""

from __future__ import annotations

from .partition import Command as Partition


class Command(Partition):
    help = "工单与工单事件按区县分区（即 wangge partition --tables cases）"
    default_groups = ["cases"]
