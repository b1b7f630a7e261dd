"""The default catalogue (事项清单) every city starts from, loaded by a data
migration and edited per city in the admin afterwards.

Majors 01–09 follow the national digital city management classification
(事件: 市容环境, 宣传广告, 施工管理, 街面秩序, 突发事件; 部件: 公用设施, 道路交通,
园林绿化, 房屋建筑); 10–19 are social governance, including the Pingyi
modules (作风监督, 扫黑除恶, 线索举报, 群防共治, 见义勇为, 问题上报, 专项任务),
livelihood requests and epidemic tasks.

Each minor row: code, name, handling class, deadline in working days, whistle
response time in working hours, responsible departments (names, in order of
preference: the first that exists nearest the case leads), whether the grid
may handle it itself, whether anonymous reports are allowed, keywords for
suggesting a category from free text.
"""

from __future__ import annotations

I, T, S, U, P = "immediate", "time_limited", "special", "undertaken", "proxy"  # noqa: E741

# Department names used below (a city creates Department rows with these names
# at street, district or city level; routing takes the nearest one).
ZF = "综合行政执法局"  # 城管 / comprehensive law enforcement
ZFP = "综合执法平台"  # street platform (Putuo's four platforms)
ZZP = "综治工作平台"
SJP = "市场监管平台"
BMP = "便民服务平台"
ZJ = "住房和城乡建设局"
SJ = "市场监督管理局"
GA = "公安分局"
HB = "生态环境分局"
YJ = "应急管理局"
JT = "交通运输局"
ZR = "自然资源和规划局"
SL = "水利局"
WJ = "卫生健康局"
MZ = "民政局"
RS = "人力资源和社会保障局"
SF = "司法局"
XF = "信访局"
JW = "纪委监委"
ZFW = "政法委"
XFJY = "消防救援大队"
GD = "供电公司"
GS = "自来水公司"
RQ = "燃气公司"
TX = "通信运营商"
JY = "教育局"
WL = "文化广电旅游局"
LY = "园林绿化管理处"

MAJORS: list[tuple[str, str]] = [
    ("01", "市容环境"),
    ("02", "宣传广告"),
    ("03", "施工管理"),
    ("04", "街面秩序"),
    ("05", "突发事件"),
    ("06", "公用设施"),
    ("07", "道路交通设施"),
    ("08", "园林绿化"),
    ("09", "房屋建筑"),
    ("10", "矛盾纠纷"),
    ("11", "安全隐患"),
    ("12", "治安防控"),
    ("13", "线索举报"),
    ("14", "群防共治"),
    ("15", "民生服务"),
    ("16", "疫情防控"),
    ("17", "专项任务"),
    ("99", "其他问题上报"),
]

# code, name, class, days, response_hours, departments, grid_may_self_handle, anonymous, keywords
MINORS: list[tuple[str, str, str, int, int, list[str], bool, bool, str]] = [
    # 01 市容环境
    ("0101", "暴露垃圾", I, 0, 4, [ZFP, ZF], True, False, "垃圾 乱扔 堆放 脏乱"),
    ("0102", "积存垃圾渣土", T, 2, 8, [ZFP, ZF], True, False, "渣土 建筑垃圾 积存"),
    ("0103", "道路不洁", I, 0, 4, [ZFP, ZF], True, False, "路面 脏 油污 不洁"),
    ("0104", "水域不洁", T, 3, 8, [SL, HB], False, False, "河道 漂浮物 水面 河"),
    ("0105", "焚烧垃圾树叶", I, 0, 2, [ZFP, ZF, HB], True, False, "焚烧 烧 烟"),
    ("0106", "违规饲养家禽家畜", T, 3, 8, [ZFP, ZF], True, False, "养鸡 养鸭 饲养 家禽"),
    ("0107", "油烟扰民", T, 5, 8, [ZF, HB], False, False, "油烟 餐馆 排烟"),
    ("0108", "噪声扰民", T, 3, 4, [ZF, GA, HB], False, False, "噪音 噪声 吵 施工噪声 广场舞"),
    # 02 宣传广告
    ("0201", "非法小广告", I, 0, 4, [ZFP, ZF], True, False, "小广告 牛皮癣 张贴 涂写"),
    ("0202", "违章户外广告", T, 5, 8, [ZF], False, False, "广告牌 户外广告 招牌"),
    ("0203", "占道散发宣传品", I, 0, 4, [ZFP, ZF], True, False, "传单 散发"),
    ("0204", "破损招牌标识", T, 3, 8, [ZF], True, False, "招牌 破损 标识 脱落"),
    # 03 施工管理
    ("0301", "施工扰民", T, 2, 4, [ZJ, ZF], False, False, "夜间施工 施工 扰民"),
    ("0302", "工地扬尘", T, 2, 4, [ZJ, HB], False, False, "扬尘 灰尘 工地"),
    ("0303", "道路遗撒", I, 0, 4, [ZF], True, False, "遗撒 渣土车 抛洒"),
    ("0304", "违法建设", S, 0, 8, [ZF, ZR], False, False, "违建 违章建筑 搭建 加盖"),
    ("0305", "无证掘路", T, 2, 4, [ZJ, JT], False, False, "掘路 挖路 开挖"),
    # 04 街面秩序
    ("0401", "占道经营", I, 0, 4, [ZFP, ZF], True, False, "占道 摆摊 流动摊贩 小贩"),
    ("0402", "店外经营", I, 0, 4, [ZFP, ZF], True, False, "店外 出店经营"),
    ("0403", "乱停放车辆", I, 0, 4, [GA, ZF], True, False, "停车 乱停 占用车位 僵尸车"),
    ("0404", "非机动车乱停放", I, 0, 4, [ZFP, ZF], True, False, "电动车 自行车 共享单车"),
    ("0405", "违规露天烧烤", I, 0, 2, [ZFP, ZF], True, False, "烧烤 露天"),
    ("0406", "乞讨卖艺", T, 2, 8, [MZ, GA], False, False, "乞讨 流浪"),
    # 05 突发事件
    ("0501", "路面塌陷", S, 0, 1, [ZJ, JT, YJ], False, False, "塌陷 坍塌 路面下沉"),
    ("0502", "自来水管破裂", S, 0, 1, [GS, ZJ], False, False, "水管 爆管 漏水 停水"),
    ("0503", "燃气泄漏", S, 0, 1, [RQ, XFJY, YJ], False, False, "燃气 煤气 泄漏 气味"),
    ("0504", "火灾", S, 0, 1, [XFJY, YJ], False, False, "着火 火灾 失火 冒烟"),
    ("0505", "道路积水", S, 0, 2, [ZJ, SL], False, False, "积水 内涝 淹水"),
    ("0506", "群体性事件", S, 0, 1, [ZFW, GA, XF], False, False, "聚集 群体 上访"),
    # 06 公用设施
    ("0601", "井盖缺失破损", T, 1, 2, [ZJ, GS, TX], False, False, "井盖 窨井 下水道盖"),
    ("0602", "路灯不亮", T, 3, 8, [ZJ, GD], False, False, "路灯 灯不亮 照明"),
    ("0603", "供水设施损坏", T, 2, 4, [GS], False, False, "消火栓 水表 供水"),
    ("0604", "排水设施堵塞", T, 2, 4, [ZJ], False, False, "下水道 堵塞 排水 污水外溢"),
    ("0605", "电力通信线缆", T, 3, 8, [GD, TX], False, False, "电线 飞线 线缆 电线杆"),
    ("0606", "公共厕所", T, 2, 8, [ZF, ZJ], False, False, "公厕 厕所"),
    ("0607", "垃圾箱损坏", T, 3, 8, [ZFP, ZF], True, False, "垃圾桶 垃圾箱 果壳箱"),
    # 07 道路交通设施
    ("0701", "道路破损", T, 5, 8, [ZJ, JT], False, False, "坑洼 路面破损 坑 人行道"),
    ("0702", "交通标志标线", T, 5, 8, [GA, JT], False, False, "标志 标线 红绿灯 信号灯"),
    ("0703", "护栏隔离设施", T, 3, 8, [JT, ZJ], False, False, "护栏 隔离栏"),
    ("0704", "公交站亭", T, 5, 8, [JT], False, False, "公交站 站牌 候车亭"),
    ("0705", "桥梁隐患", S, 0, 2, [ZJ, JT], False, False, "桥 桥梁 栏杆"),
    # 08 园林绿化
    ("0801", "绿地脏乱", I, 0, 4, [LY, ZFP], True, False, "绿地 草坪 花坛"),
    ("0802", "树木倒伏断枝", T, 1, 2, [LY], False, False, "树 倒伏 断枝 树枝"),
    ("0803", "毁绿占绿", T, 5, 8, [LY, ZF], False, False, "毁绿 占绿 种菜"),
    ("0804", "行道树缺株", T, 10, 8, [LY], False, False, "行道树 缺株"),
    # 09 房屋建筑
    ("0901", "危房隐患", S, 0, 2, [ZJ, YJ], False, False, "危房 裂缝 倾斜"),
    ("0902", "外墙脱落", T, 2, 4, [ZJ], False, False, "外墙 瓷砖 脱落 坠落"),
    ("0903", "楼道堆物", I, 0, 4, [ZFP, XFJY], True, False, "楼道 堆物 杂物"),
    ("0904", "物业服务", U, 5, 8, [ZJ, BMP], False, False, "物业 电梯 小区管理"),
    ("0905", "电梯故障", T, 1, 2, [SJ, ZJ], False, False, "电梯 困人 停运"),
    # 10 矛盾纠纷
    ("1001", "邻里纠纷", T, 5, 8, [ZZP, SF], True, False, "邻居 邻里 吵架 纠纷"),
    ("1002", "婚姻家庭纠纷", T, 5, 8, [ZZP, SF], True, False, "家庭 婚姻 夫妻 赡养"),
    ("1003", "物业纠纷", T, 7, 8, [ZZP, ZJ], False, False, "物业费 业委会"),
    ("1004", "劳资纠纷", U, 10, 8, [RS], False, False, "欠薪 工资 拖欠 劳务"),
    ("1005", "土地山林纠纷", U, 15, 8, [ZR, SF], False, False, "土地 宅基地 山林 承包"),
    ("1006", "消费纠纷", U, 7, 8, [SJ, SJP], False, False, "消费 退款 商家"),
    ("1007", "其他矛盾纠纷", T, 7, 8, [ZZP, SF], True, False, "矛盾 调解"),
    # 11 安全隐患
    (
        "1101",
        "消防安全隐患",
        T,
        2,
        4,
        [XFJY, YJ],
        False,
        False,
        "消防通道 灭火器 飞线充电 电动车充电",
    ),
    ("1102", "安全生产隐患", T, 3, 4, [YJ], False, False, "安全生产 工厂 危险品"),
    ("1103", "食品安全", T, 3, 4, [SJ, SJP], False, False, "食品 过期 变质 无证餐饮"),
    ("1104", "特种设备隐患", T, 2, 4, [SJ], False, False, "锅炉 压力容器 特种设备"),
    ("1105", "防汛防台隐患", S, 0, 2, [SL, YJ], False, False, "防汛 台风 堤坝"),
    ("1106", "自建房安全", T, 5, 8, [ZJ], True, False, "自建房 出租房"),
    # 12 治安防控
    ("1201", "治安隐患", T, 2, 4, [GA, ZZP], False, False, "治安 可疑 盗窃"),
    ("1202", "矫正人员动态", P, 3, 8, [SF], True, False, "社区矫正 矫正"),
    ("1203", "重点人员异常", T, 1, 2, [GA, ZFW], False, False, "重点人员 精神障碍 肇事肇祸"),
    ("1204", "电信诈骗风险", I, 0, 2, [GA], True, False, "诈骗 电信诈骗 反诈"),
    # 13 线索举报 (anonymous allowed)
    ("1301", "作风监督", U, 15, 24, [JW], False, True, "作风 吃拿卡要 不作为 乱作为"),
    ("1302", "扫黑除恶线索", U, 15, 24, [ZFW, GA], False, True, "黑恶 涉黑 涉恶 强买强卖 放贷"),
    ("1303", "违法犯罪线索", U, 10, 24, [GA], False, True, "违法 犯罪 赌博 吸毒 线索"),
    ("1304", "涉黄涉赌线索", U, 10, 24, [GA], False, True, "涉黄 涉赌 赌场"),
    ("1305", "非法集资线索", U, 15, 24, [SJ, GA], False, True, "集资 理财 传销"),
    # 14 群防共治
    ("1401", "群防群治信息", T, 5, 8, [ZZP], True, True, "巡防 群防群治 平安"),
    ("1402", "见义勇为", U, 20, 24, [ZFW], False, False, "见义勇为 救人 好人好事"),
    ("1403", "平安志愿服务", T, 5, 8, [ZZP], True, False, "志愿者 志愿服务"),
    # 15 民生服务
    ("1501", "社会救助申请", P, 10, 8, [MZ, BMP], True, False, "低保 救助 困难 补助"),
    ("1502", "养老服务需求", P, 5, 8, [MZ, BMP], True, False, "老人 养老 独居 助餐"),
    ("1503", "残疾人帮扶", P, 5, 8, [MZ, BMP], True, False, "残疾 残障 轮椅"),
    ("1504", "就业创业服务", U, 10, 8, [RS, BMP], False, False, "就业 工作 招聘 创业"),
    ("1505", "社保医保咨询", P, 5, 8, [RS, BMP], True, False, "社保 医保 养老保险"),
    ("1506", "证照代办", P, 5, 8, [BMP], True, False, "代办 办证 证明"),
    ("1507", "教育入学", U, 10, 8, [JY], False, False, "入学 学校 学位"),
    ("1508", "文体设施", T, 10, 8, [WL, BMP], False, False, "健身器材 文化 活动室"),
    # 16 疫情防控
    ("1601", "疫情风险人员", I, 0, 2, [WJ, ZZP], True, False, "发热 密接 风险人员 隔离"),
    ("1602", "防疫物资需求", P, 1, 4, [WJ, BMP], True, False, "口罩 防疫 物资"),
    ("1603", "居家人员服务", P, 1, 4, [BMP], True, False, "居家 健康监测 送药"),
    # 17 专项任务
    ("1701", "专项排查整治", S, 0, 8, [ZZP], True, False, "排查 整治 专项"),
    ("1702", "上级交办任务", S, 0, 8, [ZZP], True, False, "交办 督查"),
    ("1703", "信息采集核实", T, 5, 8, [ZZP], True, False, "采集 核实 登记"),
    # 99 其他
    ("9901", "其他问题", T, 5, 8, [ZZP, BMP], True, False, ""),
    ("9902", "意见建议", T, 10, 8, [BMP], True, False, "建议 意见"),
]


def rows() -> list[dict]:
    """Every category as dicts, majors first (for the data migration and tests)."""
    out = []
    for i, (code, name) in enumerate(MAJORS):
        out.append({"code": code, "name": name, "parent": None, "sort": i})
    for i, (code, name, cls, days, resp, depts, self_ok, anon, kw) in enumerate(MINORS):
        out.append(
            {
                "code": code,
                "name": name,
                "parent": code[:2],
                "sort": i,
                "handling": cls,
                "deadline_days": days,
                "response_hours": resp,
                "departments": depts,
                "grid_may_self_handle": self_ok,
                "anonymous_allowed": anon,
                "keywords": kw,
            }
        )
    return out
