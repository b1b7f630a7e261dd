"""/api/v1/people: buildings, households, residents, organizations — scoped
lists and details (masked), writes through the services, the audited unmask
call, and spreadsheet import, export and templates.

Every id in a path or body becomes an object through an `access_*`
function: an id outside the actor's areas is a 404, exactly like an id that
does not exist."""

from __future__ import annotations

import tempfile
from typing import Any, Literal, Union

from django.conf import settings
from django.http import FileResponse, HttpResponse, StreamingHttpResponse
from django.utils.encoding import escape_uri_path
from ninja import File, Form, Query, Router, Status
from ninja.files import UploadedFile

from wangge.areas.schemas import ErrorOut

from . import exporters, importers, selectors, services
from .layouts import LAYOUTS
from .schemas import (
    BuildingIn,
    BuildingOut,
    BuildingPage,
    BuildingPatch,
    CareGroupOut,
    CareGroupsIn,
    HouseholdIn,
    HouseholdOut,
    HouseholdPage,
    HouseholdPatch,
    ImportReportOut,
    Kind,
    OrganizationIn,
    OrganizationOut,
    OrganizationPage,
    OrganizationPatch,
    ResidentIn,
    ResidentOut,
    ResidentPage,
    ResidentPatch,
    UnmaskIn,
    UnmaskOut,
)

router = Router(tags=["基础数据"])

E = ErrorOut
READ = {401: E, 404: E, 422: E}
WRITE = {401: E, 403: E, 404: E, 409: E, 422: E}


def _page(page) -> dict[str, Any]:
    return {
        "count": page.count,
        "page": page.page,
        "page_size": page.page_size,
        "items": page.items,
    }


def _mg(actor, micro_grid_id: int | None):
    if micro_grid_id is None:
        return None
    return selectors.access_grid(actor, micro_grid_id, level="micro_grid")


def _changes(actor, payload, ids: dict[str, tuple[str, Any]]) -> dict[str, Any]:
    """Fields the client sent; `*_id` fields become objects via access_*."""
    data = payload.dict(exclude_unset=True)
    for id_field, (name, fetch) in ids.items():
        if id_field in data:
            value = data.pop(id_field)
            data[name] = None if value is None else fetch(actor, value)
    return data


# ------------------------------------------------------------------ buildings


@router.get("/buildings", response={200: BuildingPage, **READ})
def building_list(
    request,
    area: int | None = Query(None, description="区域ID：只看该区域（须在辖区内）"),
    q: str = Query("", max_length=50, description="名称或地址包含"),
    page: int = Query(1, ge=1),
    page_size: int = Query(50, ge=1, le=selectors.MAX_PAGE_SIZE),
):
    """辖区内的楼栋（分页）。"""
    return _page(
        selectors.building_list(
            actor=request.auth, area_id=area, q=q, page=page, page_size=page_size
        )
    )


@router.get("/buildings/{building_id}", response={200: BuildingOut, **READ})
def building_detail(request, building_id: int):
    building = selectors.access_building(request.auth, building_id)
    return selectors.building_detail(actor=request.auth, building=building)


@router.post("/buildings", response={201: BuildingOut, **WRITE})
def building_create(request, payload: BuildingIn):
    """新增楼栋（网格员、网格长、社区干部、市级管理员）。"""
    actor = request.auth
    building = services.building_create(
        actor=actor,
        grid=selectors.access_grid(actor, payload.grid_id),
        micro_grid=_mg(actor, payload.micro_grid_id),
        **payload.dict(exclude={"grid_id", "micro_grid_id"}),
    )
    return Status(201, selectors.building_detail(actor=actor, building=building))


@router.patch("/buildings/{building_id}", response={200: BuildingOut, **WRITE})
def building_update(request, building_id: int, payload: BuildingPatch):
    actor = request.auth
    building = selectors.access_building(actor, building_id)
    changes = _changes(
        actor,
        payload,
        {"grid_id": ("grid", selectors.access_grid), "micro_grid_id": ("micro_grid", _mg)},
    )
    building = services.building_update(actor=actor, building=building, changes=changes)
    return selectors.building_detail(
        actor=actor, building=selectors.access_building(actor, building.pk)
    )


@router.delete("/buildings/{building_id}", response={204: None, **WRITE})
def building_delete(request, building_id: int):
    building = selectors.access_building(request.auth, building_id)
    services.building_delete(actor=request.auth, building=building)
    return Status(204, None)


# ----------------------------------------------------------------- households


@router.get("/households", response={200: HouseholdPage, **READ})
def household_list(
    request,
    area: int | None = Query(None, description="区域ID"),
    building: int | None = Query(None, description="楼栋ID"),
    q: str = Query("", max_length=50, description="住址包含"),
    page: int = Query(1, ge=1),
    page_size: int = Query(50, ge=1, le=selectors.MAX_PAGE_SIZE),
):
    """辖区内的户（分页）；居民只看到自己一户。"""
    return _page(
        selectors.household_list(
            actor=request.auth,
            area_id=area,
            building_id=building,
            q=q,
            page=page,
            page_size=page_size,
        )  # fmt: skip
    )


@router.get("/households/{household_id}", response={200: HouseholdOut, **READ})
def household_detail(request, household_id: int):
    household = selectors.access_household(request.auth, household_id)
    return selectors.household_detail(actor=request.auth, household=household)


@router.post("/households", response={201: HouseholdOut, **WRITE})
def household_create(request, payload: HouseholdIn):
    actor = request.auth
    household = services.household_create(
        actor=actor,
        building=selectors.access_building(actor, payload.building_id),
        **payload.dict(exclude={"building_id"}),
    )
    household = selectors.access_household(actor, household.pk)
    return Status(201, selectors.household_detail(actor=actor, household=household))


@router.patch("/households/{household_id}", response={200: HouseholdOut, **WRITE})
def household_update(request, household_id: int, payload: HouseholdPatch):
    actor = request.auth
    household = selectors.access_household(actor, household_id)
    changes = _changes(actor, payload, {"building_id": ("building", selectors.access_building)})
    household = services.household_update(actor=actor, household=household, changes=changes)
    household = selectors.access_household(actor, household.pk)
    return selectors.household_detail(actor=actor, household=household)


@router.delete("/households/{household_id}", response={204: None, **WRITE})
def household_delete(request, household_id: int):
    household = selectors.access_household(request.auth, household_id)
    services.household_delete(actor=request.auth, household=household)
    return Status(204, None)


# ------------------------------------------------------------------ residents


@router.get("/residents", response={200: ResidentPage, 403: E, **READ})
def resident_list(
    request,
    area: int | None = Query(None, description="区域ID"),
    household: int | None = Query(None, description="户ID"),
    q: str = Query("", max_length=50, description="姓名包含"),
    care_group: str | None = Query(None, description="重点人群编码或名称（须有权查看重点人群）"),
    party_member: bool | None = Query(None, description="是否党员"),
    age_min: int | None = Query(None, ge=0, le=150),
    age_max: int | None = Query(None, ge=0, le=150),
    page: int = Query(1, ge=1),
    page_size: int = Query(50, ge=1, le=selectors.MAX_PAGE_SIZE),
):
    """辖区内的居民（分页，身份证号和电话脱敏）；居民只看到本户。"""
    return _page(
        selectors.resident_list(
            actor=request.auth,
            area_id=area,
            household_id=household,
            q=q,
            care_group=care_group,
            party_member=party_member,
            age_min=age_min,
            age_max=age_max,
            page=page,
            page_size=page_size,
        )  # fmt: skip
    )


@router.get("/residents/{resident_id}", response={200: ResidentOut, **READ})
def resident_detail(request, resident_id: int):
    resident = selectors.access_resident(request.auth, resident_id)
    return selectors.resident_detail(actor=request.auth, resident=resident)


def _care_groups(keys: list[str] | None):
    if keys is None:
        return None
    return [selectors.care_group_by_key(k) for k in keys]


@router.post("/residents", response={201: ResidentOut, **WRITE})
def resident_create(request, payload: ResidentIn):
    """登记居民：校验身份证号（性别、出生日期由其得出）和电话，加密保存。"""
    actor = request.auth
    resident = services.resident_create(
        actor=actor,
        household=selectors.access_household(actor, payload.household_id),
        care_groups=_care_groups(payload.care_groups),
        **payload.dict(exclude={"household_id", "care_groups"}),
    )
    resident = selectors.access_resident(actor, resident.pk)
    return Status(201, selectors.resident_detail(actor=actor, resident=resident))


@router.patch("/residents/{resident_id}", response={200: ResidentOut, **WRITE})
def resident_update(request, resident_id: int, payload: ResidentPatch):
    actor = request.auth
    resident = selectors.access_resident(actor, resident_id)
    changes = _changes(actor, payload, {"household_id": ("household", selectors.access_household)})
    resident = services.resident_update(actor=actor, resident=resident, changes=changes)
    resident = selectors.access_resident(actor, resident.pk)
    return selectors.resident_detail(actor=actor, resident=resident)


@router.delete("/residents/{resident_id}", response={204: None, **WRITE})
def resident_delete(request, resident_id: int):
    resident = selectors.access_resident(request.auth, resident_id)
    services.resident_delete(actor=request.auth, resident=resident)
    return Status(204, None)


@router.put("/residents/{resident_id}/care-groups", response={200: ResidentOut, **WRITE})
def resident_set_care_groups(request, resident_id: int, payload: CareGroupsIn):
    """设置居民所属的重点人群（替换原有）。"""
    actor = request.auth
    resident = selectors.access_resident(actor, resident_id)
    services.resident_set_care_groups(
        actor=actor, resident=resident, groups=_care_groups(payload.groups) or []
    )
    return selectors.resident_detail(actor=actor, resident=resident)


@router.post("/residents/{resident_id}/unmask", response={200: UnmaskOut, 403: E, **READ})
def resident_unmask(request, resident_id: int, payload: UnmaskIn):
    """查看身份证号/电话明文：仅限有权角色，须填写事由，每次调用都记入个人信息访问记录。"""
    actor = request.auth
    resident = selectors.access_resident(actor, resident_id)
    return selectors.resident_unmask(
        actor=actor, resident=resident, fields=payload.fields, reason=payload.reason,
        request=request,
    )  # fmt: skip


@router.get("/care-groups", response={200: list[CareGroupOut], 401: E})
def care_group_list(request):
    """重点人群类别（启用的）。"""
    return selectors.care_group_list()


# ------------------------------------------------------------- organizations


@router.get("/organizations", response={200: OrganizationPage, **READ})
def organization_list(
    request,
    area: int | None = Query(None, description="区域ID"),
    q: str = Query("", max_length=50, description="名称包含，或完整的统一社会信用代码"),
    kind: str | None = Query(None, description="单位类型编码"),
    page: int = Query(1, ge=1),
    page_size: int = Query(50, ge=1, le=selectors.MAX_PAGE_SIZE),
):
    """辖区内的单位和商户（分页）。"""
    return _page(
        selectors.organization_list(
            actor=request.auth, area_id=area, q=q, kind=kind, page=page, page_size=page_size
        )
    )


@router.get("/organizations/{organization_id}", response={200: OrganizationOut, **READ})
def organization_detail(request, organization_id: int):
    organization = selectors.access_organization(request.auth, organization_id)
    return selectors.organization_detail(actor=request.auth, organization=organization)


@router.post("/organizations", response={201: OrganizationOut, **WRITE})
def organization_create(request, payload: OrganizationIn):
    actor = request.auth
    organization = services.organization_create(
        actor=actor,
        grid=selectors.access_grid(actor, payload.grid_id),
        micro_grid=_mg(actor, payload.micro_grid_id),
        **payload.dict(exclude={"grid_id", "micro_grid_id"}),
    )
    organization = selectors.access_organization(actor, organization.pk)
    return Status(201, selectors.organization_detail(actor=actor, organization=organization))


@router.patch("/organizations/{organization_id}", response={200: OrganizationOut, **WRITE})
def organization_update(request, organization_id: int, payload: OrganizationPatch):
    actor = request.auth
    organization = selectors.access_organization(actor, organization_id)
    changes = _changes(
        actor,
        payload,
        {"grid_id": ("grid", selectors.access_grid), "micro_grid_id": ("micro_grid", _mg)},
    )
    organization = services.organization_update(
        actor=actor, organization=organization, changes=changes
    )
    organization = selectors.access_organization(actor, organization.pk)
    return selectors.organization_detail(actor=actor, organization=organization)


@router.delete("/organizations/{organization_id}", response={204: None, **WRITE})
def organization_delete(request, organization_id: int):
    organization = selectors.access_organization(request.auth, organization_id)
    services.organization_delete(actor=request.auth, organization=organization)
    return Status(204, None)


# -------------------------------------------------------- import and export

XLSX_RESPONSE = {
    "responses": {
        200: {
            "description": "Excel 文件",
            "content": {exporters.XLSX_TYPE: {"schema": {"type": "string", "format": "binary"}}},
        }
    }
}
FILE_RESPONSE = {
    "responses": {
        200: {
            "description": "Excel (.xlsx) 或 CSV 文件",
            "content": {
                exporters.XLSX_TYPE: {"schema": {"type": "string", "format": "binary"}},
                "text/csv": {"schema": {"type": "string", "format": "binary"}},
            },
        }
    }
}


def _attachment(response: HttpResponse, filename: str) -> HttpResponse:
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{escape_uri_path(filename)}"
    return response


def _import(request, kind: str, file: UploadedFile, area: int | None, dry_run: bool):
    actor = request.auth
    area_obj = selectors.access_area(actor, area) if area is not None else None
    if file.size is not None and file.size > settings.WANGGE_IMPORT_MAX_BYTES:
        # Refused before reading it: the size alone is enough.
        return importers.import_file(
            actor=actor, kind=kind, name=file.name or "", data=b"", area=area_obj,
            dry_run=True, declared_size=file.size,
        )  # fmt: skip
    return importers.import_file(
        actor=actor, kind=kind, name=file.name or "", data=file.read(), area=area_obj,
        dry_run=dry_run,
    )  # fmt: skip


IMPORT_STATUS = {"ok": 200, "invalid_rows": 422, "invalid_file": 422, "file_too_large": 413}


@router.post(
    "/import/{kind}",
    # 422: the row report, or {code, message} when the request itself is
    # malformed (no file, a bad area id): found by schemathesis.
    response={
        200: ImportReportOut, 403: E, 404: E, 413: ImportReportOut,
        422: Union[ImportReportOut, E],  # noqa: UP007 - ninja reads typing.Union
    },
)
def import_upload(
    request,
    kind: Kind,
    file: File[UploadedFile],
    area: Form[int | None] = None,
    dry_run: Form[bool] = False,
):
    """上传 .xlsx 或 .csv（UTF-8/GBK）导入。先逐行校验，全部通过才在一个事务中写入；
    有错误时返回 422 和逐行错误报告（行号按 Excel 显示）。重复导入同一文件不会改变数据。"""
    report = _import(request, kind, file, area, dry_run)
    return Status(IMPORT_STATUS[report.code], report.as_dict())


@router.post(
    "/import/{kind}/report",
    response={200: None, 403: E, 404: E},
    openapi_extra=XLSX_RESPONSE,
)
def import_error_report(
    request, kind: Kind, file: File[UploadedFile], area: Form[int | None] = None
):
    """校验上传的文件（不写入），以 Excel 返回错误报告。"""
    report = _import(request, kind, file, area, True)
    response = HttpResponse(exporters.error_report_xlsx(report), content_type=exporters.XLSX_TYPE)
    return _attachment(response, f"错误报告-{LAYOUTS[kind].title}.xlsx")


@router.get(
    "/export/{kind}", response={200: None, 403: E, 404: E, 422: E}, openapi_extra=FILE_RESPONSE
)
def export_download(
    request,
    kind: Kind,
    area: int = Query(..., description="区域ID（须在辖区内）"),
    format: Literal["xlsx", "csv"] = Query("xlsx"),
    clear: bool = Query(False, description="导出身份证号和电话明文（须有权限并填写事由）"),
    reason: str = Query("", max_length=200, description="导出明文的事由"),
):
    """按导入模板的格式导出所选区域的数据（流式）。默认脱敏；明文导出记入审计。"""
    actor = request.auth
    export = exporters.export_start(
        actor=actor, kind=kind, area=selectors.access_area(actor, area), clear=clear,
        reason=reason, request=request,
    )  # fmt: skip
    if format == "csv":
        response = StreamingHttpResponse(
            exporters.csv_chunks(export), content_type=exporters.CSV_TYPE
        )
        return _attachment(response, f"{export.file_stem}.csv")
    spool = tempfile.TemporaryFile()  # noqa: SIM115 - FileResponse closes it
    exporters.write_xlsx(export, spool)
    spool.seek(0)
    response = FileResponse(spool, content_type=exporters.XLSX_TYPE)
    return _attachment(response, f"{export.file_stem}.xlsx")


@router.get("/templates/{kind}", response={200: None, 401: E, 422: E}, openapi_extra=XLSX_RESPONSE)
def template_download(request, kind: Kind):
    """导入模板：表头、示例行、下拉选项和填写说明。"""
    response = HttpResponse(exporters.template_xlsx(kind), content_type=exporters.XLSX_TYPE)
    return _attachment(response, f"{LAYOUTS[kind].title}导入模板.xlsx")
