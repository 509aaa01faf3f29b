"""Name data for the demo city: weighted surnames, given-name characters per sex, places, phone prefixes.

Surname weights follow the published frequency order of Chinese surnames (the top ones each cover several
per cent of the population); given-name characters are the ones common in names of children born
2008–2020 and of their parents' generation. Everything generated from this is fictional.
"""

import bisect
import itertools
import random

# (surname, weight ≈ per mille of the population)
SURNAMES = [
    ("王", 71), ("李", 70), ("张", 67), ("刘", 54), ("陈", 45), ("杨", 31), ("黄", 22), ("赵", 20),
    ("吴", 19), ("周", 19), ("徐", 13), ("孙", 12), ("马", 12), ("朱", 11), ("胡", 10), ("郭", 10),
    ("何", 9), ("林", 9), ("高", 9), ("罗", 9), ("郑", 8), ("梁", 8), ("谢", 7), ("宋", 6), ("唐", 6),
    ("许", 6), ("韩", 6), ("邓", 5), ("冯", 5), ("曹", 5), ("彭", 5), ("曾", 5), ("肖", 5), ("田", 5),
    ("董", 5), ("潘", 4), ("袁", 4), ("蔡", 4), ("蒋", 4), ("余", 4), ("于", 4), ("杜", 4), ("叶", 4),
    ("程", 4), ("魏", 4), ("苏", 4), ("吕", 4), ("丁", 4), ("任", 3), ("卢", 3), ("姚", 3), ("沈", 3),
    ("钟", 3), ("姜", 3), ("崔", 3), ("谭", 3), ("陆", 3), ("范", 3), ("汪", 3), ("廖", 3), ("石", 3),
    ("金", 3), ("韦", 2), ("贾", 2), ("夏", 2), ("付", 2), ("方", 2), ("邹", 2), ("熊", 2), ("白", 2),
    ("孟", 2), ("秦", 2), ("邱", 2), ("侯", 2), ("江", 2), ("尹", 2), ("薛", 2), ("闫", 2), ("段", 2),
    ("雷", 2), ("龙", 2), ("黎", 2), ("史", 2), ("陶", 2), ("贺", 2), ("毛", 2), ("郝", 2), ("顾", 2),
    ("龚", 2), ("邵", 2), ("万", 1), ("覃", 1), ("武", 1), ("钱", 1), ("戴", 1), ("严", 1), ("莫", 1),
    ("孔", 1), ("向", 1), ("常", 1), ("汤", 1), ("康", 1), ("易", 1), ("乔", 1), ("赖", 1), ("文", 1),
    ("施", 1), ("洪", 1), ("欧阳", 1), ("诸葛", 0.05), ("司马", 0.05), ("上官", 0.05),
]

CHILD_GIVEN = {
    "M": "浩宇轩子涵博文俊杰豪鑫泽一晨辰睿航昊天然瑞阳明伟鹏磊凯嘉铭思远梓哲逸乐宸佑彦楷锐峻诚皓翔健毅志强硕安宏骏"
         "奕煜霖晟恒旭家兴亦书承栋",
    "F": "欣怡梓涵诗雨婷子萱琪佳悦思可馨一彤语嫣雅静晨梦瑶婉月琳妍慧心若依雪丽蕊紫菲芷颖洁甜沐桐念笑文艺芸宁舒珂",
}
ADULT_GIVEN = {
    "M": "建国军伟强勇磊涛斌明华平刚杰峰波辉鹏超海东林亮飞志新春永德",
    "F": "红丽芳娟敏静霞燕玲英华萍梅琴艳娜秀兰洁莉雪莹丹颖慧",
}

# Districts of the fictional 润州市: urban districts first, then counties (where left-behind children are
# more common).
URBAN_DISTRICTS = ["润城区", "江滨区", "北固区", "金沙区", "新港区", "南湖区", "东岳区", "西津区"]
COUNTY_DISTRICTS = ["丹溪县", "茅阳县", "云岭县", "白鹭县", "青石县", "柳湾县", "松涛县", "龙泉县", "桐乡县",
                    "梅岭县", "石桥县", "长塘县"]

_PLACE_FIRST = "东西南北新大小高长白青石金柳杨桃梅兰竹松龙凤花湖河双三马牛黄陈张李王"
_PLACE_SECOND = {"urban": ["路", "街", "巷", "门", "园", "苑", "里", "坊"],
                 "county": ["桥镇", "塘镇", "庄镇", "港镇", "湾镇", "岗镇", "岭镇", "集镇", "溪镇", "口镇"]}
_URBAN_ROADS = ["人民", "解放", "中山", "建设", "和平", "东风", "文昌", "育才", "青年", "长江", "黄河", "滨江",
                "胜利", "红旗", "光明", "朝阳", "新华", "五一", "民主", "团结", "健康", "幸福", "学府", "书院"]

PHONE_PREFIXES = ["130", "131", "132", "133", "135", "136", "137", "138", "139", "150", "151", "152", "155",
                  "157", "158", "159", "166", "176", "177", "178", "180", "181", "182", "183", "185", "186",
                  "187", "188", "189", "191", "198", "199"]


class Weighted:
    """Fast weighted choice with a fixed table (bisect on cumulative weights)."""

    def __init__(self, pairs):
        self.values = [value for value, _ in pairs]
        self.cumulative = list(itertools.accumulate(weight for _, weight in pairs))
        self.total = self.cumulative[-1]

    def pick(self, rng: random.Random):
        return self.values[bisect.bisect_right(self.cumulative, rng.random() * self.total)]


SURNAME_TABLE = Weighted(SURNAMES)


def surname(rng: random.Random) -> str:
    return SURNAME_TABLE.pick(rng)


def given_name(rng: random.Random, sex: str, *, adult: bool = False) -> str:
    pool = (ADULT_GIVEN if adult else CHILD_GIVEN)[sex]
    length = 1 if rng.random() < (0.35 if adult else 0.15) else 2
    return "".join(rng.choice(pool) for _ in range(length))


def person_name(rng: random.Random, sex: str, *, family: str | None = None, adult: bool = False) -> str:
    return (family or surname(rng)) + given_name(rng, sex, adult=adult)


def phone(rng: random.Random) -> str:
    return rng.choice(PHONE_PREFIXES) + f"{rng.randrange(100_000_000):08d}"


def place_names(rng: random.Random, kind: str):
    """An endless stream of distinct place names for one district (roads in town, townships in a county)."""
    seen: set[str] = set()
    candidates = (
        [road + "路" for road in _URBAN_ROADS] if kind == "urban" else []
    ) + [a + b for a in _PLACE_FIRST for b in _PLACE_SECOND[kind]]
    rng.shuffle(candidates)
    for name in candidates:
        if name not in seen:
            seen.add(name)
            yield name
    for number in itertools.count(1):
        yield f"第{number}片区"
