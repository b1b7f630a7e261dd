"""The spreadsheet layouts a grid worker fills in: one per kind of base data,
with Chinese headers. Import, export and the template download all read
these, so a file exported from Wangge (with clear values) imports back."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from wangge.core.idnumbers import make_id_number, make_uscc

from .models import Building, Organization, Resident

KINDS = ("buildings", "households", "residents", "organizations")


@dataclass(frozen=True)
class Column:
    key: str
    header: str
    required: bool = False  # the column must be present and every cell filled
    width: int = 14
    example: str = ""
    choices: tuple[str, ...] = ()  # offered as a dropdown in the template
    note: str = ""
    # Numbers Excel would round (18-digit IDs): a numeric cell is an error.
    exact_text: bool = False
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True)
class Layout:
    kind: str
    title: str  # what the rows are, in Chinese: 楼栋 / 户 / 居民 / 单位
    columns: tuple[Column, ...]
    key_note: str = ""
    by_header: dict[str, Column] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        index: dict[str, Column] = {}
        for col in self.columns:
            index[col.header] = col
            for alias in col.aliases:
                index[alias] = col
        object.__setattr__(self, "by_header", index)

    @property
    def headers(self) -> list[str]:
        return [c.header for c in self.columns]

    @property
    def example_row(self) -> list[str]:
        return [c.example for c in self.columns]


def _labels(choices) -> tuple[str, ...]:
    return tuple(str(label) for label in choices.labels)


GRID_CODE = Column(
    "grid_code", "网格编码", required=True, width=18, example="330402001001001",
    note="15位网格编码（村社区代码+3位）",
)  # fmt: skip
MICRO_GRID_CODE = Column(
    "micro_grid_code", "微网格编码", width=20, example="330402001001001001",
    note="18位微网格编码，可不填；专属网格不设微网格", exact_text=True,
)  # fmt: skip
BUILDING_CODE = Column(
    "building_code", "楼栋编码", required=True, width=10, example="00001",
    note="网格内1-5位数字编号", aliases=("楼栋号",),
)  # fmt: skip
UNIT = Column("unit", "单元", width=8, example="1", note="没有单元可不填")
ROOM = Column("room", "室号", required=True, width=8, example="301", aliases=("房号", "门牌号"))
LNG = Column("lng", "经度", width=12, example="120.7556", note="WGS-84，可不填")
LAT = Column("lat", "纬度", width=12, example="30.7461", note="WGS-84，可不填")

EXAMPLE_ID = make_id_number("330402", dt.date(1956, 3, 18), 12, "M")
EXAMPLE_USCC = make_uscc("330402", 12345678)

BUILDINGS = Layout(
    "buildings",
    "楼栋",
    (
        GRID_CODE,
        MICRO_GRID_CODE,
        BUILDING_CODE,
        Column("name", "楼栋名称", required=True, width=16, example="芦席汇小区1幢"),
        Column("address", "地址", required=True, width=30, example="嘉兴市南湖区芦席汇路1号"),
        Column("kind", "楼栋类型", width=12, example="住宅楼", choices=_labels(Building.Kind)),
        Column("floors", "层数", width=8, example="6"),
        LNG,
        LAT,
    ),
    key_note="按“网格编码+楼栋编码”匹配：已有的楼栋更新，没有的新增。",
)

HOUSEHOLDS = Layout(
    "households",
    "户",
    (
        GRID_CODE,
        BUILDING_CODE,
        UNIT,
        ROOM,
        Column("size", "户人数", width=8, example="3", note="不填按1人"),
        Column(
            "address",
            "住址",
            width=30,
            example="嘉兴市南湖区芦席汇路1号1单元301室",
            note="不填则由楼栋地址、单元和室号组成",
        ),  # fmt: skip
    ),
    key_note="按“楼栋+单元+室号”匹配：已有的户更新，没有的新增。楼栋须先导入。",
)

RESIDENTS = Layout(
    "residents",
    "居民",
    (
        GRID_CODE,
        BUILDING_CODE,
        UNIT,
        ROOM,
        Column("name", "姓名", required=True, width=10, example="张三"),
        Column(
            "id_number",
            "身份证号",
            required=True,
            width=22,
            example=EXAMPLE_ID,
            note="18位，末位可为X；请保持文本格式，不要让Excel转成数字",
            exact_text=True,
            aliases=("身份证号码", "公民身份号码"),
        ),  # fmt: skip
        Column(
            "phone",
            "联系电话",
            width=14,
            example="13857312345",
            note="手机号或带区号的固定电话",
            aliases=("手机号", "电话", "联系方式"),
        ),  # fmt: skip
        Column(
            "relationship",
            "与户主关系",
            required=True,
            width=12,
            example="户主",
            choices=_labels(Resident.Relationship),
        ),  # fmt: skip
        Column(
            "residence",
            "居住类型",
            width=30,
            example=str(Resident.Residence.REGISTERED.label),
            choices=_labels(Resident.Residence),
            note="不填按户籍人口（人户一致）",
        ),  # fmt: skip
        Column("registered_address", "户籍地址", width=30, example="浙江省嘉兴市南湖区解放街道"),
        Column("is_party_member", "是否党员", width=10, example="否", choices=("是", "否")),
        Column(
            "care_groups",
            "重点人群",
            width=18,
            example="孤寡老人",
            note="可填多个，用顿号“、”分隔；不属于重点人群请留空",
        ),  # fmt: skip
    ),
    key_note=(
        "按身份证号匹配：已登记的居民更新，没有的新增；户（楼栋+单元+室号）不存在时自动新建。"
        "楼栋须先导入。"
    ),
)

ORGANIZATIONS = Layout(
    "organizations",
    "单位",
    (
        GRID_CODE,
        MICRO_GRID_CODE,
        Column("name", "单位名称", required=True, width=24, example="嘉兴市芦席汇商贸有限公司"),
        Column(
            "uscc",
            "统一社会信用代码",
            required=True,
            width=22,
            example=EXAMPLE_USCC,
            exact_text=True,
            aliases=("信用代码",),
        ),  # fmt: skip
        Column(
            "kind",
            "单位类型",
            required=True,
            width=12,
            example="企业",
            choices=_labels(Organization.Kind),
        ),  # fmt: skip
        Column("address", "地址", required=True, width=30, example="嘉兴市南湖区芦席汇路8号"),
        Column("contact_name", "联系人", width=10, example="李四"),
        Column("contact_phone", "联系电话", width=14, example="057382012345"),
        Column("employees", "从业人数", width=10, example="25"),
        LNG,
        LAT,
    ),
    key_note="按统一社会信用代码匹配：已有的单位更新，没有的新增。",
)

LAYOUTS: dict[str, Layout] = {
    layout.kind: layout for layout in (BUILDINGS, HOUSEHOLDS, RESIDENTS, ORGANIZATIONS)
}
