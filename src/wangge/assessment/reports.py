"""The monthly report of an area (月度考核报告): indices with their formulas
and raw counts, the ranking of the level below, departments, notable cases
and proactive findings — as one dict, rendered to Excel (openpyxl) and PDF
(WeasyPrint, from an HTML template)."""

from __future__ import annotations

import io

from django.db.models import Q
from django.template.loader import render_to_string

from wangge.areas.models import Area
from wangge.areas.paths import STEP, subtree_q
from wangge.cases.models import OPEN_STATUSES, Alert, Case
from wangge.cases.workdays import TZ
from wangge.core.watermark import Watermark, apply_xlsx, pdf_css, pdf_html

from . import selectors
from .indices import Period
from .models import ProactiveTask
from .workers import worker_ranking

WORKER_SHEET_DEPTH = 3  # street

NOTABLE = 20


def notable_cases(*, actor, area: Area, period: Period) -> list[dict]:
    """Cases of the period worth a leader's eye: supervised, escalated,
    overdue and still open, rated 1–2 — most serious first."""
    from wangge.teams.scope import scoped

    qs = scoped(
        Case.objects.filter(
            subtree_q(area.path, "area_path"),
            created_at__date__gte=period.start,
            created_at__date__lte=period.end,
        ).filter(
            Q(supervised=True)
            | Q(escalations__gt=0)
            | Q(status__in=OPEN_STATUSES, alert=Alert.RED)
            | Q(rating__lte=2)
        ),
        actor,
    ).select_related("category")
    out = []
    for c in qs.order_by("-escalations", "-supervised", "created_at")[:NOTABLE]:
        why = []
        if c.supervised:
            why.append("督办")
        if c.escalations:
            why.append(f"上报{c.escalations}次")
        if c.status in OPEN_STATUSES and c.alert == Alert.RED:
            why.append("超期未结")
        if c.rating is not None and c.rating <= 2:
            why.append(f"评价{c.rating}分")
        out.append(
            {
                "number": c.number,
                "category": c.category.name,
                "status": c.get_status_display(),
                "created_at": f"{c.created_at.astimezone(TZ):%Y-%m-%d %H:%M}",
                "address": c.address,
                "why": "、".join(why),
            }
        )
    return out


def monthly_report(*, actor, area: Area, period: Period) -> dict:
    indices = selectors.area_indices(actor=actor, area_id=area.pk, period=period)
    below = selectors.level_below(area)
    ranking = selectors.ranking(actor=actor, area_id=area.pk, period=period) if below else None
    depts = selectors.department_ranking(actor=actor, period=period)
    findings = list(
        ProactiveTask.objects.filter(
            subtree_q(area.path, "area_path"),
            created_at__date__gte=period.start,
            created_at__date__lte=period.end,
        ).order_by("-created_at")[:50]
    )
    return {
        "area": area,
        "period": period,
        "indices": indices,
        "ranking": ranking,
        "departments": depts,
        "notable": notable_cases(actor=actor, area=area, period=period),
        "findings": [
            {
                "rule": f.get_rule_display(),
                "title": f.title,
                "reason": f.reason,
                "state": f.get_state_display(),
                "at": f"{f.created_at.astimezone(TZ):%Y-%m-%d}",
            }
            for f in findings
        ],
        "names": _index_names(),
        # 网格员考核 for a street and below (a city has ~11,600 workers:
        # their ranking is the API's, not a report sheet).
        "workers": (
            worker_ranking(actor=actor, area_id=area.pk, period=period)
            if len(area.path) // STEP >= WORKER_SHEET_DEPTH
            else None
        ),
    }


def _index_names() -> dict[str, str]:
    from .indices import REGISTRY

    return {"composite": "综合得分", **{c: d.name for c, d in REGISTRY.items()}}


def _fmt(v) -> str:
    return "—" if v is None else f"{v:g}"


def to_excel(data: dict, watermark: Watermark | None = None) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    bold = Font(bold=True)
    wb = Workbook()
    ws = wb.active
    ws.title = "指数"
    ws.append([f"{data['area'].name} {data['period'].label} 考核报告"])
    ws["A1"].font = Font(bold=True, size=14)
    ws.append(["指数", "本期", "上期", "变化", "公式", "原始数据"])
    for c in ws[2]:
        c.font = bold
    for i in data["indices"]["indices"]:
        raw = i["raw"]
        raw_text = "，".join(f"{k}={v}" for k, v in raw.items()) if isinstance(raw, dict) else ""
        ws.append(
            [
                i["name"],
                i["value"],
                i["trend"]["previous"],
                i["trend"]["change"],
                i["formula"],
                raw_text,
            ]
        )
    ws.column_dimensions["A"].width = 14
    ws.column_dimensions["E"].width = 60
    ws.column_dimensions["F"].width = 60
    names = data["names"]
    if data["ranking"]:
        r = data["ranking"]
        ws2 = wb.create_sheet(f"{r['level_label']}排名")
        codes = list(r["rows"][0]["values"]) if r["rows"] else []
        ws2.append(["名次", "名称", "编码", "工单数", *[names.get(c, c) for c in codes]])
        for c in ws2[1]:
            c.font = bold
        for row in r["rows"]:
            ws2.append(
                [
                    row["rank"],
                    row["name"],
                    row["code"],
                    row["total"],
                    *[row["values"][c] for c in codes],
                ]
            )
    ws3 = wb.create_sheet("部门")
    ws3.append(["部门", "工单数", "综合得分", "按期结案率", "结案率", "满意率", "返工率"])
    for c in ws3[1]:
        c.font = bold
    for d in data["departments"]:
        v = d["values"]
        ws3.append(
            [
                d["name"],
                d["total"],
                v.get("composite"),
                v.get("on_time"),
                v.get("closure"),
                v.get("satisfaction"),
                v.get("rework"),
            ]
        )
    if data.get("workers"):
        wk = wb.create_sheet("网格员")
        wk.append(
            [
                "名次",
                "姓名",
                "网格",
                "综合得分",
                "按期办结率",
                "满意率",
                "在线率",
                "走访户数",
                "走访次数",
                "办结",
                "上报",
            ]
        )
        for c in wk[1]:
            c.font = bold
        for row in data["workers"]["rows"]:
            v = row["values"]
            wk.append(
                [
                    row["rank"],
                    row["name"],
                    "、".join(row["areas"]),
                    v["composite"],
                    v["on_time"],
                    v["satisfaction"],
                    v["online"],
                    v["households_visited"],
                    v["visits"],
                    v["handled"],
                    v["reported"],
                ]
            )
        for f in data["workers"]["formulas"].values():
            wk.append([f])
    ws4 = wb.create_sheet("重点工单")
    ws4.append(["编号", "类别", "状态", "上报时间", "地址", "关注原因"])
    for n in data["notable"]:
        ws4.append(
            [n["number"], n["category"], n["status"], n["created_at"], n["address"], n["why"]]
        )
    ws5 = wb.create_sheet("未诉先办")
    ws5.append(["规则", "标题", "为什么提示", "状态", "发现日期"])
    for f in data["findings"]:
        ws5.append([f["rule"], f["title"], f["reason"], f["state"], f["at"]])
    if watermark is not None:
        apply_xlsx(wb, watermark)  # who exported, when (core.watermark)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _pdf(template: str, context: dict, watermark: Watermark | None) -> bytes:
    from weasyprint import CSS, HTML

    html = render_to_string(template, context)
    if watermark is None:
        return HTML(string=html).write_pdf()
    # who exported, when: a footer on every page and a diagonal mark
    html = html.replace("<body>", "<body>" + pdf_html(watermark), 1)
    return HTML(string=html).write_pdf(stylesheets=[CSS(string=pdf_css(watermark))])


def to_pdf(data: dict, watermark: Watermark | None = None) -> bytes:
    return _pdf("assessment/report.html", {**data, "fmt": _fmt}, watermark)


def feedback_excel(data: dict, watermark: Watermark | None = None) -> bytes:
    """反馈单: the department's indices over the campaign's period and every
    rating it received — for the unit's own assessment."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    c, d = data["campaign"], data["department"]
    wb = Workbook()
    ws = wb.active
    ws.title = "反馈单"
    ws.append([f"{d.name} · {c.name}（{c.start:%Y-%m-%d} 至 {c.end:%Y-%m-%d}）考核反馈单"])
    ws["A1"].font = Font(bold=True, size=14)
    ws.append(["指数", "数值", "公式"])
    for i in data["report"]["indices"]:
        ws.append([i["name"], i["value"], i["formula"]])
    ws.append([])
    ws.append(["评价单位", "评分", "意见"])
    for e in data["ratings"]:
        ws.append([e.rater_area.name if e.rater_area_id else "", e.score, e.comment])
    ws.column_dimensions["A"].width = 20
    ws.column_dimensions["C"].width = 60
    if watermark is not None:
        apply_xlsx(wb, watermark)  # who exported, when (core.watermark)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def feedback_pdf(data: dict, watermark: Watermark | None = None) -> bytes:
    """The same 反馈单 as `feedback_excel`, as a PDF to print and file."""
    return _pdf("assessment/feedback.html", data, watermark)
