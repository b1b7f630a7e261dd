"""The dispatcher's checklist: field definitions as data, validated once when
emergency mode starts, and answers validated against them. Pure functions;
errors are DomainError 422 with a zh-Hans message naming the field.

A field: {"key": "needs_help", "label": "需要帮助", "type": "bool",
          "required": true, "alert": true}
- key: lower-case letters, digits, underscores (starts with a letter), ≤ 30
- label: 1–40 characters
- type: bool | int | choice | text
- required: answer must be given (default false)
- int: optional "min" / "max" (whole numbers, min ≤ max)
- choice: "options", 2–20 distinct texts of ≤ 20 characters
- alert (bool: the value that raises a case, true or false; choice: a list
  of options that do): an answer hitting it marks the household for help
  and raises a top-priority case.
"""

from __future__ import annotations

import re

from wangge.core.errors import DomainError

TYPES = {"bool": "是/否", "int": "数字", "choice": "单选", "text": "文字"}
KEY_RE = re.compile(r"^[a-z][a-z0-9_]{0,29}$")
ALLOWED = {"key", "label", "type", "required", "alert", "min", "max", "options"}
MAX_FIELDS = 30
MAX_TEXT = 200
TRUE = {True, "true", "1", "yes", "on", "是"}
FALSE = {False, "false", "0", "no", "off", "否"}

DEFAULT_FIELDS = [
    {"key": "all_safe", "label": "全户人员平安", "type": "bool", "required": True, "alert": False},
    {"key": "needs_help", "label": "需要帮助", "type": "bool", "required": True, "alert": True},
    {"key": "tested", "label": "已检测人数", "type": "int", "min": 0, "max": 30},
    {"key": "note", "label": "情况说明", "type": "text"},
]


def _bad(code: str, message: str, field: str | None = None) -> DomainError:
    details = {"field": field} if field else None
    return DomainError(code, message, status=422, details=details)


def _whole(value, what: str, key: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise _bad("bad_field", f"字段“{key}”的{what}必须是整数", key)
    return value


def validate_fields(defs) -> list[dict]:
    """Check and normalise the field definitions (raises 422)."""
    if not isinstance(defs, list) or not defs:
        raise _bad("fields_required", "请至少定义一个清单字段")
    if len(defs) > MAX_FIELDS:
        raise _bad("too_many_fields", f"清单字段最多 {MAX_FIELDS} 个")
    out, seen = [], set()
    for i, d in enumerate(defs, 1):
        if not isinstance(d, dict):
            raise _bad("bad_field", f"第 {i} 个字段格式不正确")
        extra = set(d) - ALLOWED
        if extra:
            raise _bad("bad_field", f"第 {i} 个字段含未知属性：{'、'.join(sorted(extra))}")
        key = d.get("key")
        if not isinstance(key, str) or not KEY_RE.match(key):
            raise _bad(
                "bad_field_key", f"第 {i} 个字段的编码须为小写字母开头的字母、数字、下划线（≤30）"
            )
        if key in seen:
            raise _bad("duplicate_field_key", f"字段编码“{key}”重复", key)
        seen.add(key)
        label = d.get("label")
        if not isinstance(label, str) or not label.strip() or len(label.strip()) > 40:
            raise _bad("bad_field_label", f"字段“{key}”须有 1–40 字的名称", key)
        kind = d.get("type")
        if kind not in TYPES:
            raise _bad("bad_field_type", f"字段“{key}”的类型须为 bool、int、choice 或 text", key)
        required = d.get("required", False)
        if not isinstance(required, bool):
            raise _bad("bad_field", f"字段“{key}”的 required 须为 true 或 false", key)
        f = {"key": key, "label": label.strip(), "type": kind, "required": required}
        if kind == "int":
            lo, hi = d.get("min"), d.get("max")
            if lo is not None:
                f["min"] = _whole(lo, "最小值", key)
            if hi is not None:
                f["max"] = _whole(hi, "最大值", key)
            if lo is not None and hi is not None and lo > hi:
                raise _bad("bad_field", f"字段“{key}”的最小值大于最大值", key)
        elif "min" in d or "max" in d:
            raise _bad("bad_field", f"只有数字字段可以设置最小值、最大值（“{key}”）", key)
        if kind == "choice":
            options = d.get("options")
            if (
                not isinstance(options, list)
                or not 2 <= len(options) <= 20
                or not all(isinstance(o, str) and 0 < len(o.strip()) <= 20 for o in options)
                or len({o.strip() for o in options}) != len(options)
            ):
                raise _bad("bad_field_options", f"单选字段“{key}”须有 2–20 个不重复的选项", key)
            f["options"] = [o.strip() for o in options]
        elif "options" in d:
            raise _bad("bad_field", f"只有单选字段可以设置选项（“{key}”）", key)
        if "alert" in d:
            alert = d["alert"]
            if kind == "bool" and isinstance(alert, bool):
                f["alert"] = alert
            elif (
                kind == "choice"
                and isinstance(alert, list)
                and all(a in f["options"] for a in alert)
            ):
                f["alert"] = list(alert)
            else:
                raise _bad(
                    "bad_field_alert",
                    f"字段“{key}”的预警条件无效（是/否字段填 true 或 false，单选字段填选项列表）",
                    key,
                )
        out.append(f)
    return out


def _bool(value, f) -> bool:
    v = value.strip().lower() if isinstance(value, str) else value
    if v in TRUE:
        return True
    if v in FALSE:
        return False
    raise _bad("bad_answer", f"“{f['label']}”请选择是或否", f["key"])


def _int(value, f) -> int:
    if isinstance(value, bool):
        raise _bad("bad_answer", f"“{f['label']}”须填整数", f["key"])
    try:
        n = int(value.strip()) if isinstance(value, str) else int(value)
        if not isinstance(value, (int, str)):
            raise ValueError
    except (TypeError, ValueError):
        raise _bad("bad_answer", f"“{f['label']}”须填整数", f["key"]) from None
    if "min" in f and n < f["min"] or "max" in f and n > f["max"]:
        lo, hi = f.get("min", "不限"), f.get("max", "不限")
        raise _bad("answer_out_of_range", f"“{f['label']}”应在 {lo}–{hi} 之间", f["key"])
    return n


def validate_answers(defs: list[dict], answers) -> tuple[dict, list[str]]:
    """The cleaned answers and the labels of the fields that raise an alert.
    Empty values count as not given; unknown keys are refused."""
    if not isinstance(answers, dict):
        raise _bad("bad_answers", "排查结果格式不正确")
    known = {f["key"]: f for f in defs}
    unknown = sorted(set(answers) - set(known))
    if unknown:
        raise _bad("unknown_answer", f"清单中没有这些项目：{'、'.join(unknown)}")
    clean, alerts = {}, []
    for f in defs:
        raw = answers.get(f["key"])
        if raw is None or (isinstance(raw, str) and not raw.strip()):
            if f.get("required"):
                raise _bad("answer_required", f"请填写“{f['label']}”", f["key"])
            continue
        match f["type"]:
            case "bool":
                v = _bool(raw, f)
            case "int":
                v = _int(raw, f)
            case "choice":
                v = raw.strip() if isinstance(raw, str) else raw
                if v not in f["options"]:
                    raise _bad("bad_answer", f"“{f['label']}”的选项无效", f["key"])
            case _:
                if not isinstance(raw, str):
                    raise _bad("bad_answer", f"“{f['label']}”须填文字", f["key"])
                v = raw.strip()
                if len(v) > MAX_TEXT:
                    raise _bad("answer_too_long", f"“{f['label']}”不能超过 {MAX_TEXT} 字", f["key"])
        clean[f["key"]] = v
        alert = f.get("alert")
        if alert is not None and (v is alert if f["type"] == "bool" else v in alert):
            alerts.append(f"{f['label']}：{'是' if v is True else '否' if v is False else v}")
    return clean, alerts


def describe(defs: list[dict], answers: dict) -> str:
    """One line for a case description or a list row."""
    parts = []
    for f in defs:
        if f["key"] not in answers:
            continue
        v = answers[f["key"]]
        parts.append(f"{f['label']}：{'是' if v is True else '否' if v is False else v}")
    return "；".join(parts)
