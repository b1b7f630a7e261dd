"""Fast, plausible zh-CN names: people (surname frequencies, given-name
characters by sex and generation), roads, natural villages, organizations.
Faker's zh_CN provider is about 30x slower per name and knows nothing of
Jiaxing; these lists are small and deterministic for a `random.Random`."""

from __future__ import annotations

import bisect
import itertools
import random

# Surnames with rough shares (per mille). LOCAL leans on names common in
# Jiaxing and northern Zhejiang (沈, 陆, 钱, 顾, 朱, 徐, 姚, 褚 …); NATIONAL
# is for people from elsewhere.
_LOCAL = """
陈60 张48 王46 沈34 李32 周30 吴30 朱26 徐26 陆20 金16 杨15 钱13 顾13 孙13 姚13
蒋10 俞9 胡9 许9 戴8 曹8 范8 冯8 何8 倪7 施7 黄7 刘7 马6 盛6 潘6 屠6 费6 邹5 褚5
郑5 钟5 卜4 凌4 蔡4 叶4 严4 邱4 汤4 袁4 程4 董4 唐4 宋4 韩4 方4 高4 赵4 谢4 孔3
邵3 毛3 步3 计3 陶3 魏3 余3 夏3 郁3 吕3 丁3 祝3 贾3 任3 薛2 龚2 章2 汪2 罗2 林2
庄2 宣2 闻2 殷2 翁2 归2 濮2 杭2 干1 劳1 诸1 虞1 郭1 梁1 欧阳1
"""
_NATIONAL = """
王71 李70 张67 刘54 陈48 杨31 黄26 赵23 吴21 周20 徐17 孙15 马14 朱13 胡12 郭11
何11 林10 高10 罗9 郑9 梁8 谢7 宋6 唐6 许6 邓6 韩5 冯5 曹5 彭5 曾5 肖5 田4 董4
潘4 袁4 蔡4 蒋4 余4 于4 杜3 叶3 程3 魏3 苏3 吕3 丁3 任3 卢3 姚3 沈3 钟3 姜3 崔3
谭3 陆3 范2 汪2 廖2 石2 金2 韦2 贾2 夏2 付2 方2 邹2 熊2 白2 孟2 秦2 邱2 侯2 江2
尹2 薛2 闫2 段2 雷2 龙1 黎1 史1 陶1 贺1 毛1 郝1 顾1 龚1 邵1 万1 覃1 武1 钱1 戴1
严1 莫1 孔1 向1 常1 欧阳1 司马1 诸葛1
"""


def _parse(text: str) -> tuple[list[str], list[int]]:
    names, cum, total = [], [], 0
    for token in text.split():
        i = next(i for i, ch in enumerate(token) if ch.isdigit())
        names.append(token[:i])
        total += int(token[i:])
        cum.append(total)
    return names, cum


LOCAL_SURNAMES = _parse(_LOCAL)
NATIONAL_SURNAMES = _parse(_NATIONAL)

# Given-name characters by sex and generation (born before 1965, 1965–1994,
# from 1995): names carry their decade.
_GIVEN = {
    (
        "M",
        0,
    ): "国 建 华 明 德 忠 林 根 荣 福 宝 金 法 宝 海 兴 才 荣 庆 祥 富 昌 永 生 明 发 伟 仁 义 文 水 元 良 志 春 龙 其 炳 洪 松 树 林 泉 民 康 正",
    (
        "M",
        1,
    ): "伟 强 军 勇 峰 斌 杰 涛 磊 超 刚 华 明 波 辉 鹏 亮 健 俊 飞 剑 敏 浩 晨 斌 彬 卫 东 平 锋 凯 骏 晓 新 宇 志 振 海 龙 清 江 坤 毅 忠 雷",
    (
        "M",
        2,
    ): "子 宇 轩 浩 睿 泽 一 梓 俊 博 宸 航 逸 昊 然 铭 哲 晨 辰 宁 诺 嘉 皓 煜 阳 朗 祺 瑞 霖 奕 熙 恒 泓 钧 彦 锦 翔 杭 涵 楷 赫 旭 澄 言",
    (
        "F",
        0,
    ): "秀 英 兰 珍 凤 芳 玉 桂 琴 娟 梅 珠 妹 花 宝 美 金 月 华 云 菊 莲 翠 荣 仙 香 彩 娥 萍 林 芬 雪 爱 素 根 妙 杏 惠 瑞 巧 亚 新 红",
    (
        "F",
        1,
    ): "丽 娟 艳 敏 静 燕 霞 芳 红 萍 玲 婷 慧 倩 颖 琳 洁 晶 佳 雯 莉 蕾 璐 莹 琼 丹 蓉 岚 娜 霞 瑶 薇 华 亚 君 燕 雪 文 露 佩 晓 春 芸 虹",
    (
        "F",
        2,
    ): "涵 萱 怡 欣 诗 语 梓 雨 可 馨 悦 琪 妍 婷 佳 依 思 淑 若 彤 溪 宁 晴 一 苒 沐 瑾 芮 汐 安 然 熙 颖 菲 岚 冉 钰 瑶 甜 曦 乐 诺 玥 雅",
}
GIVEN = {k: v.split() for k, v in _GIVEN.items()}


def generation(birth_year: int) -> int:
    return 0 if birth_year < 1965 else (1 if birth_year < 1995 else 2)


class NameMaker:
    """name(rng, sex, birth_year, local=True) -> '沈建华'."""

    def __init__(self) -> None:
        self._local = LOCAL_SURNAMES
        self._national = NATIONAL_SURNAMES

    def surname(self, rng: random.Random, *, local: bool = True) -> str:
        names, cum = self._local if local else self._national
        return names[bisect.bisect_right(cum, rng.random() * cum[-1])]

    def given(self, rng: random.Random, sex: str, birth_year: int) -> str:
        chars = GIVEN[(sex, generation(birth_year))]
        if rng.random() < 0.22:
            return chars[int(rng.random() * len(chars))]
        a = chars[int(rng.random() * len(chars))]
        b = chars[int(rng.random() * len(chars))]
        if a == b and rng.random() < 0.7:  # doubled characters (婷婷) are rarer
            b = chars[(chars.index(b) + 1) % len(chars)]
        return a + b

    def name(self, rng: random.Random, sex: str, birth_year: int, *, local: bool = True) -> str:
        return self.surname(rng, local=local) + self.given(rng, sex, birth_year)


names = NameMaker()

# -- places ---------------------------------------------------------------------

ROAD_WORDS = [
    "中山",
    "解放",
    "禾兴",
    "建国",
    "勤俭",
    "少年",
    "秀洲",
    "南湖",
    "环城",
    "越秀",
    "东升",
    "新华",
    "紫阳",
    "纺工",
    "烟雨",
    "梅湾",
    "月河",
    "文昌",
    "双溪",
    "槜李",
    "长水",
    "由拳",
    "城南",
    "凌公塘",
    "昌盛",
    "广益",
    "清河",
    "洪兴",
    "亚太",
    "常秀",
    "秀园",
    "庆丰",
    "富强",
    "永兴",
    "育才",
    "人民",
    "光明",
    "和平",
    "友谊",
    "复兴",
    "朝阳",
    "迎宾",
    "滨湖",
    "春晓",
    "翠柏",
    "丹枫",
    "海盐塘",
    "嘉杭",
    "嘉善",
    "平湖塘",
    "濮院",
    "石佛",
    "三环",
    "百花",
    "枫桥",
    "凤凰",
    "花园",
    "金穗",
    "锦绣",
    "静安",
    "康和",
    "兰溪",
    "茶香",
    "柳堤",
    "龙凤",
    "绿洲",
    "明珠",
    "南溪",
    "虹桥",
    "清风",
    "瑞景",
    "桑园",
    "书院",
    "天星",
    "桐乡",
    "万寿",
    "文华",
    "西湖",
    "新兴",
    "杏林",
    "阳光",
]
ROAD_SUFFIXES = ["路", "路", "路", "街", "大道", "弄", "巷"]

VILLAGE_PREFIXES = [
    "东",
    "西",
    "南",
    "北",
    "前",
    "后",
    "上",
    "下",
    "大",
    "小",
    "新",
    "老",
    "长",
    "高",
    "杨",
    "柳",
    "桑",
    "竹",
    "荷",
    "梅",
    "塘",
    "河",
    "湾",
    "石",
    "花",
    "王",
    "沈",
    "陆",
    "徐",
    "张",
    "李",
    "吴",
    "周",
    "朱",
    "金",
    "顾",
    "钱",
    "姚",
    "俞",
    "许",
    "褚",
    "屠",
    "倪",
    "施",
    "盛",
]
VILLAGE_SUFFIXES = [
    "家浜",
    "家埭",
    "家桥",
    "家港",
    "家兜",
    "家湾",
    "家圩",
    "浜",
    "埭",
    "港",
    "兜",
    "湾",
    "圩",
    "桥",
    "坝",
    "庙",
    "泾",
    "汇",
    "荡",
    "漾",
]

BUILDING_TOWERS = ["大厦", "国际中心", "广场", "中心", "商务楼", "科创大厦", "金融大厦", "大楼"]
BRAND_WORDS = [
    "嘉禾",
    "南湖",
    "禾城",
    "秀水",
    "长三角",
    "江南",
    "烟雨",
    "月河",
    "天和",
    "恒信",
    "华润",
    "东方",
    "海韵",
    "新禾",
    "正泰",
    "鸿运",
    "嘉欣",
    "禾兴",
    "永盛",
    "瑞丰",
    "金穗",
    "汇丰",
    "德胜",
    "凯达",
    "联创",
    "星河",
    "博远",
    "锦程",
    "万通",
    "鼎盛",
    "宏达",
    "中盛",
    "新纪元",
    "华腾",
    "蓝海",
    "明宇",
    "旭日",
    "三友",
    "天成",
    "中和",
    "信达",
    "泰隆",
    "卓越",
    "致远",
    "同创",
    "启明",
    "立信",
]
INDUSTRIES = [
    "纺织",
    "服饰",
    "毛衫",
    "皮革",
    "化纤",
    "五金",
    "机械",
    "电子",
    "光伏",
    "新材料",
    "化工",
    "食品",
    "家居",
    "塑业",
    "建材",
    "汽配",
    "智能科技",
    "生物科技",
    "包装",
    "印染",
    "电器",
    "精密机械",
    "医疗器械",
    "物流",
    "网络科技",
]
SHOP_KINDS = [
    "便利店",
    "超市",
    "面馆",
    "小吃店",
    "水果店",
    "理发店",
    "五金店",
    "药店",
    "烟酒店",
    "早餐店",
    "粽子店",
    "裁缝店",
    "快递驿站",
    "洗衣店",
    "手机维修店",
    "茶馆",
    "棋牌室",
    "花店",
    "眼镜店",
    "烘焙坊",
    "杂货店",
    "农资店",
    "维修部",
]
STALL_GOODS = [
    "蔬菜",
    "水产",
    "猪肉",
    "禽蛋",
    "豆制品",
    "水果",
    "熟食",
    "粮油",
    "调料",
    "干货",
    "南北货",
]


def road_names(rng: random.Random, k: int) -> list[str]:
    words = rng.sample(ROAD_WORDS, k)
    return [w + rng.choice(ROAD_SUFFIXES) for w in words]


def village_names(rng: random.Random, k: int) -> list[str]:
    """k distinct natural-village names (沈家浜, 前埭, 杨家湾 …)."""
    pool = [p + s for p, s in itertools.product(VILLAGE_PREFIXES, VILLAGE_SUFFIXES)]
    out = rng.sample(pool, min(k, len(pool)))
    for i in range(k - len(out)):  # more than the pool: number the repeats
        out.append(f"{pool[i % len(pool)]}{i // len(pool) + 2}")
    return out


def brand(rng: random.Random) -> str:
    return rng.choice(BRAND_WORDS)
