"""The category classifier: suggests the category (事项类别) of a free-text
report. jieba words + character n-grams, TF-IDF, logistic regression
(scikit-learn), trained on a labelled set kept in the repository
(`data/training.csv`, generated deterministically from the catalogue by
`generate_dataset`; the demo city's case texts come from the same
generator). The model is trained on first use and kept under VAR_DIR keyed by
the data's hash (`wangge manage assessment_classifier train` does it ahead).

`rank(text)` gives (code, probability) best first; the case engine's
`category_suggest` combines it with its keyword match."""

from __future__ import annotations

import csv
import hashlib
import random
import threading
from functools import cache
from pathlib import Path

DATA = Path(__file__).resolve().parent / "data" / "training.csv"
HELD_OUT = 0.2
SEED = 1
_lock = threading.Lock()
_model = None

PLACES = [
    "阳光花园",
    "南湖新村",
    "梅湾街",
    "中山路",
    "紫阳小区",
    "秀洲大道",
    "文昌路",
    "月河街区",
    "东栅老街",
    "城南花园",
    "学院路",
    "新塍镇",
    "七星村",
    "建设街",
    "解放路",
    "禾兴路",
    "长水路",
    "勤俭路",
    "香樟苑",
    "凤凰家园",
]
SPOTS = [
    "东门口",
    "3幢楼下",
    "菜场旁边",
    "公交站附近",
    "河边",
    "十字路口",
    "北面停车场",
    "小学门口",
    "12号楼后面",
    "健身广场",
    "地下车库入口",
    "沿街商铺前",
    "桥下",
    "村口",
    "人行道上",
    "2单元楼道",
    "围墙边",
    "绿化带里",
]
TIMES = [
    "今天早上",
    "最近一周",
    "每天晚上",
    "昨天下午",
    "连续好几天",
    "这两天",
    "刚才",
    "上周开始",
    "一到周末",
    "半夜",
    "",
]
ASKS = [
    "请尽快处理",
    "希望有关部门管一管",
    "麻烦派人来看看",
    "居民意见很大",
    "存在安全隐患",
    "影响大家出行",
    "已经反映过好几次了",
    "请网格员帮忙协调",
    "谢谢",
    "盼复",
]
OPENERS = ["", "你好，", "您好，", "我要反映一下，", "我是附近居民，", "网格员你好，"]
PATTERNS = [
    "{open}{place}{spot}{time}{kw1}，{ask}。",
    "{open}{time}{place}{spot}有{kw1}的问题，{kw2}，{ask}。",
    "{place}{spot}{kw1}{kw2}，{ask}",
    "{open}反映{place}{spot}{name}问题：{kw1}，{ask}。",
    "{time}发现{place}{spot}{kw1}，{ask}。",
    "{place}{spot}{kw1}，{time}一直这样，{ask}！",
]
# A few categories in residents' own words (beyond the catalogue keywords).
EXTRA = {
    "0101": ["垃圾桶满了溢出来", "垃圾扔得到处都是", "一堆生活垃圾没人收"],
    "0102": ["装修垃圾堆了好几天", "建筑渣土堆在路边"],
    "0107": ["饭店排烟熏得窗户都不能开", "烧烤店油烟很大"],
    "0108": ["广场舞音响太响", "楼上装修电钻声吵得睡不着", "酒吧音乐很吵"],
    "0201": ["电线杆上贴满了办证广告", "墙上被喷了小广告"],
    "0304": ["顶楼在偷偷加盖房子", "院子里搭了违章棚子"],
    "0401": ["流动摊贩把路都堵了", "早上卖菜的摆到马路上"],
    "0403": ["汽车停在消防通道上", "僵尸车停了好几个月"],
    "0404": ["共享单车堆满了人行道", "电瓶车乱停挡住出口"],
    "0502": ["路上水管爆了一直冒水", "小区停水了水管在漏"],
    "0503": ["楼道里有很重的煤气味", "闻到燃气味道"],
    "0505": ["下雨后路上积水很深", "一下大雨就淹水车过不去"],
    "0601": ["井盖不见了很危险", "窨井盖松动踩上去会翻"],
    "0602": ["路灯坏了晚上一片漆黑", "这一排路灯都不亮"],
    "0604": ["下水道堵了污水冒出来", "雨水口堵塞排不出去"],
    "0701": ["路面坑坑洼洼", "人行道砖松了容易绊倒"],
    "0802": ["大风把树吹倒了", "树枝断了挂在电线上"],
    "0903": ["楼道里堆满了纸箱杂物", "有人在楼梯间放旧家具"],
    "0905": ["电梯又坏了老人下不了楼", "电梯困人了"],
    "1001": ["邻居家漏水到我家", "楼上楼下因为噪音吵起来"],
    "1004": ["老板拖欠工资三个月", "工地不发工钱"],
    "1101": ["电动车在楼道里充电", "消防通道被锁了", "灭火器过期了"],
    "1204": ["接到冒充客服的诈骗电话", "老人被拉去买保健品"],
    "1502": ["独居老人好几天没出门", "老人想申请助餐服务"],
    "1501": ["家里困难想申请低保", "生病花了很多钱生活困难"],
}


def _minors() -> list[tuple[str, str, list[str]]]:
    from wangge.cases.catalogue import MINORS

    return [(code, name, kw.split()) for code, name, *_rest, kw in MINORS]


def generate_dataset(*, per_category: int = 60, seed: int = SEED) -> list[tuple[str, str]]:
    """Labelled report texts, the same for the same seed."""
    rng = random.Random(seed)
    out = []
    for code, name, kws in _minors():
        phrases = kws + EXTRA.get(code, []) + ([name] if name else [])
        if code == "9901":
            phrases = ["有个情况想反映", "不知道归哪里管", "想问一下这个事情", "情况比较复杂"]
        for _ in range(per_category):
            kw1 = rng.choice(phrases)
            kw2 = rng.choice(phrases + ["很不方便", "很久了", "大家都很着急"])
            text = rng.choice(PATTERNS).format(
                open=rng.choice(OPENERS),
                place=rng.choice(PLACES),
                spot=rng.choice(SPOTS),
                time=rng.choice(TIMES),
                kw1=kw1,
                kw2=kw2 if kw2 != kw1 else "很不方便",
                ask=rng.choice(ASKS),
                name=name if rng.random() < 0.5 else rng.choice(phrases),
            )
            out.append((text, code))
    return out


def write_dataset(path: Path = DATA) -> int:
    rows = generate_dataset()
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(["text", "code"])
        w.writerows(rows)
    return len(rows)


def load_dataset(path: Path = DATA) -> list[tuple[str, str]]:
    with path.open(encoding="utf-8", newline="") as f:
        r = csv.reader(f)
        next(r)
        return [(t, c) for t, c in r]


def append_rows(rows: list[tuple[str, str]], path: Path = DATA) -> int:
    """Add new labelled rows (dispatchers' corrections) to the set: rows
    already in it, empty texts and codes that are not a minor category of the
    catalogue are skipped. The model is keyed by the set's hash, so the next
    use trains again with them. Returns how many were added."""
    from wangge.cases.catalogue import MINORS

    codes = {m[0] for m in MINORS}
    have = set(load_dataset(path))
    new = []
    for text, code in rows:
        text = " ".join((text or "").split())
        if text and code in codes and (text, code) not in have:
            have.add((text, code))
            new.append((text, code))
    if new:
        with path.open("a", encoding="utf-8", newline="") as f:
            csv.writer(f).writerows(new)
    return len(new)


def split(rows: list[tuple[str, str]], held_out: float = HELD_OUT, seed: int = SEED):
    """Deterministic stratified split: every category keeps `held_out` of its rows apart."""
    rng = random.Random(seed)
    by: dict[str, list] = {}
    for t, c in rows:
        by.setdefault(c, []).append((t, c))
    train, test = [], []
    for c in sorted(by):
        items = by[c][:]
        rng.shuffle(items)
        k = max(1, int(len(items) * held_out))
        test += items[:k]
        train += items[k:]
    return train, test


@cache
def _jieba():
    import logging

    import jieba

    jieba.setLogLevel(logging.WARNING)
    jieba.initialize()
    return jieba


def words(text: str) -> list[str]:
    return [w for w in _jieba().lcut(text) if w.strip() and w not in "，。！？、：；,.!?"]


def build(rows: list[tuple[str, str]]):
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import FeatureUnion, Pipeline

    model = Pipeline(
        [
            (
                "features",
                FeatureUnion(
                    [
                        (
                            "words",
                            TfidfVectorizer(
                                tokenizer=words,
                                token_pattern=None,
                                lowercase=False,
                                sublinear_tf=True,
                            ),
                        ),
                        (
                            "chars",
                            TfidfVectorizer(
                                analyzer="char_wb", ngram_range=(1, 3), sublinear_tf=True, min_df=2
                            ),
                        ),
                    ]
                ),
            ),
            ("clf", LogisticRegression(C=20, max_iter=2000)),
        ]
    )
    model.fit([t for t, _ in rows], [c for _, c in rows])
    return model


def evaluate(rows: list[tuple[str, str]] | None = None) -> dict:
    """Train on 80 %, report accuracy (top-1, top-3) on the held-out 20 %."""
    rows = rows or load_dataset()
    train, test = split(rows)
    model = build(train)
    probs = model.predict_proba([t for t, _ in test])
    classes = list(model.classes_)
    top1 = top3 = 0
    for p, (_, code) in zip(probs, test, strict=True):
        order = sorted(range(len(classes)), key=lambda i: -p[i])
        top1 += classes[order[0]] == code
        top3 += code in [classes[i] for i in order[:3]]
    return {
        "train": len(train),
        "held_out": len(test),
        "categories": len(classes),
        "accuracy": round(top1 / len(test), 4),
        "top3_accuracy": round(top3 / len(test), 4),
    }


def _path() -> Path:
    from django.conf import settings

    digest = hashlib.sha256(DATA.read_bytes()).hexdigest()[:12]
    return Path(settings.VAR_DIR) / "classifier" / f"categories-{digest}.joblib"


def model():
    """The trained model (from disk, or trained now and saved)."""
    global _model
    if _model is not None:
        return _model
    with _lock:
        if _model is None:
            import joblib

            path = _path()
            if path.exists():
                try:
                    _model = joblib.load(path)
                except Exception:  # noqa: BLE001 - a broken file: train again
                    _model = None
            if _model is None:
                m = build(load_dataset())
                path.parent.mkdir(parents=True, exist_ok=True)
                tmp = path.with_suffix(".tmp")
                joblib.dump(m, tmp)
                tmp.replace(path)
                _model = m
    return _model


def rank(text: str, limit: int = 3) -> list[tuple[str, float]]:
    m = model()
    p = m.predict_proba([text])[0]
    order = sorted(range(len(p)), key=lambda i: -p[i])[:limit]
    return [(str(m.classes_[i]), float(p[i])) for i in order]


KEYWORD_WEIGHT = 0.5
MIN_PROBABILITY = 0.15


def combine(text: str, keyword_scores: dict[str, float], limit: int = 3) -> list[str]:
    """Category codes for `text`, best first: the classifier's probability
    plus KEYWORD_WEIGHT × the keyword score relative to the best keyword
    match. Codes the classifier is unsure of (< MIN_PROBABILITY) and no
    keyword matched are left out; if the classifier cannot run, the keyword
    order stands."""
    try:
        probs = dict(rank(text, limit=10))
    except Exception:  # noqa: BLE001 - suggestions must never break intake
        probs = {}
    top = max(keyword_scores.values(), default=0) or 1
    codes = set(keyword_scores) | {c for c, p in probs.items() if p >= MIN_PROBABILITY}
    score = {c: probs.get(c, 0.0) + KEYWORD_WEIGHT * keyword_scores.get(c, 0) / top for c in codes}
    return sorted(codes, key=lambda c: (-score[c], c))[:limit]
