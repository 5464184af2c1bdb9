"""Word lists for the synthetic province: people's names, place names, school names.

Everything here is invented from common characters; no list of real people is used.
"""

from __future__ import annotations

import random

# Common surnames with rough relative frequencies (per mille), heaviest first.
SURNAMES: tuple[tuple[str, int], ...] = (
    ("王", 72), ("李", 70), ("张", 68), ("刘", 54), ("陈", 46), ("杨", 32), ("赵", 24),
    ("黄", 22), ("周", 19), ("吴", 19), ("徐", 15), ("孙", 15), ("郭", 14), ("马", 14),
    ("胡", 13), ("朱", 13), ("高", 11), ("何", 11), ("林", 10), ("罗", 9), ("郑", 9),
    ("梁", 8), ("谢", 8), ("宋", 8), ("唐", 7), ("韩", 7), ("许", 7), ("冯", 7), ("邓", 6),
    ("曹", 6), ("彭", 6), ("曾", 5), ("肖", 5), ("田", 5), ("董", 5), ("袁", 5), ("潘", 4),
    ("于", 4), ("蒋", 4), ("蔡", 4), ("余", 4), ("杜", 4), ("叶", 4), ("程", 4), ("苏", 4),
    ("魏", 4), ("吕", 4), ("丁", 3), ("任", 3), ("沈", 3), ("姚", 3), ("卢", 3), ("姜", 3),
    ("崔", 3), ("钟", 3), ("谭", 3), ("陆", 3), ("汪", 3), ("范", 3), ("金", 3), ("石", 3),
    ("廖", 2), ("贾", 2), ("夏", 2), ("付", 2), ("方", 2), ("白", 2), ("邹", 2), ("孟", 2),
    ("熊", 2), ("秦", 2), ("邱", 2), ("江", 2), ("尹", 2), ("薛", 2), ("闫", 2), ("段", 2),
    ("雷", 2), ("侯", 2), ("龙", 2), ("史", 2), ("陶", 2), ("贺", 2), ("顾", 2), ("毛", 2),
    ("郝", 2), ("龚", 1), ("邵", 1), ("万", 1), ("钱", 1), ("严", 1), ("武", 1), ("戴", 1),
    ("莫", 1), ("孔", 1), ("向", 1), ("常", 1), ("牛", 1), ("申", 1), ("楚", 1), ("岳", 1),
    ("欧阳", 1), ("司马", 1), ("上官", 1), ("诸葛", 1),
)  # fmt: skip

# Characters for given names, by generation (children / adults) and gender.
CHILD_MALE = (
    "浩宇轩子涵睿泽梓辰一诺博文铭昊然俊杰宇航明哲天佑嘉懿煜城懿轩烨磊晟睿天宇思远"
    "志强皓轩子墨锦程奕辰宸逸凯瑞鹏飞家豪承泽旭尧乐天晨阳彦哲钰涛"
)
CHILD_FEMALE = (
    "欣怡梓涵诗涵雨萱可馨语桐梦瑶思琪佳怡子萱一诺雨彤欣妍紫涵晨曦若汐芷若悦然"
    "静怡婉清梓萌嘉怡沐晴安琪诗琪语嫣雅静心怡思涵书瑶梓琳星彤亦菲可欣"
)
ADULT_MALE = "伟强磊军勇杰涛明超刚平辉鹏华飞鑫波斌宇浩凯健俊帆帅旭宁龙林欢阳建亮成国峰军红卫东海志"
ADULT_FEMALE = "芳娜敏静丽艳娟霞秀玲桂丹萍婷雪琳晶颖倩洁燕慧佳红梅英兰华霞玉凤莉芬"

# Place-name syllables for towns and villages (镇/乡, 村).
PLACE_FIRST = (
    "黄白石马李张王柳杨桃梨古新大小东西南北高龙凤金银青红双三五八沙河丰安永太平长富刘"
    "赵孙郭苗牛鹿松竹梅槐榆桑桥杏枣谷麦岗坡湾湖泉"
)
PLACE_SECOND = "庄岗集店桥寨营屯坡沟湾庙楼铺岭河口台园堡洼林坪渡寺镇庄集冲埠店湖"

ROADS = (
    "建设", "人民", "解放", "文化", "中原", "嵩山", "桐柏", "伏牛", "秦岭", "工人", "航海",
    "陇海", "大学", "华山", "淮河", "黄河", "金水", "经三", "纬五", "花园", "丰产", "农业",
    "东风", "红旗", "五一", "胜利", "和平", "团结", "光明", "育才", "幸福", "迎宾", "长江",
    "友爱", "商都", "未来", "南阳", "北环", "东明", "西站", "政通", "康平", "兴华", "民主",
    "健康", "翠竹", "青年", "互助", "书院", "学府", "启明", "朝阳", "永安", "安平", "锦江",
)  # fmt: skip

NICE_WORDS = (
    "阳光", "育英", "启明", "蓝天", "春苗", "七彩", "童心", "金色童年", "爱心", "新星",
    "明珠", "博雅", "智慧树", "小太阳", "彩虹", "星光", "向阳", "晨曦", "雏鹰", "绿洲",
)  # fmt: skip

CN_DIGITS = "零一二三四五六七八九"


def cn_number(n: int) -> str:
    """1 → 一, 10 → 十, 23 → 二十三, 100 → 一百 (enough for school ordinals)."""
    if n < 10:
        return CN_DIGITS[n]
    if n < 20:
        return "十" + (CN_DIGITS[n % 10] if n % 10 else "")
    if n < 100:
        return CN_DIGITS[n // 10] + "十" + (CN_DIGITS[n % 10] if n % 10 else "")
    hundreds, rest = divmod(n, 100)
    if rest == 0:
        return CN_DIGITS[hundreds] + "百"
    if rest < 10:
        return CN_DIGITS[hundreds] + "百零" + CN_DIGITS[rest]
    tail = cn_number(rest)
    return CN_DIGITS[hundreds] + "百" + ("一" + tail if rest < 20 else tail)


def _split(chars: str) -> list[str]:
    return list(dict.fromkeys(chars))


class NameMaker:
    """Fast name picking: pools built once from a seeded RNG, indexed by random bits."""

    POOL_BITS = 12

    def __init__(self, rng: random.Random) -> None:
        table: list[str] = []
        for surname, weight in SURNAMES:
            table.extend([surname] * weight)
        rng.shuffle(table)
        self.surnames = table
        size = 1 << self.POOL_BITS
        self.pools: dict[tuple[bool, int], list[str]] = {}
        for child in (True, False):
            for gender in (1, 2):
                if child:
                    chars = _split(CHILD_MALE if gender == 1 else CHILD_FEMALE)
                else:
                    chars = _split(ADULT_MALE if gender == 1 else ADULT_FEMALE)
                pool = []
                for _ in range(size):
                    if rng.random() < 0.3:
                        pool.append(rng.choice(chars))
                    else:
                        pool.append(rng.choice(chars) + rng.choice(chars))
                self.pools[(child, gender)] = pool

    def surname(self, rng: random.Random) -> str:
        return self.surnames[int(rng.random() * len(self.surnames))]

    def given(self, rng: random.Random, gender: int, *, child: bool) -> str:
        return self.pools[(child, gender)][rng.getrandbits(self.POOL_BITS)]


def place_name(rng: random.Random, taken: set[str]) -> str:
    """A two-syllable place name (黄庄, 石桥…), unique within ``taken``."""
    for _ in range(200):
        name = rng.choice(PLACE_FIRST) + rng.choice(PLACE_SECOND)
        if name[0] != name[1] and name not in taken:
            taken.add(name)
            return name
    name = rng.choice(PLACE_FIRST) + rng.choice(PLACE_FIRST) + rng.choice(PLACE_SECOND)
    while name in taken:
        name = rng.choice(PLACE_FIRST) + rng.choice(PLACE_FIRST) + rng.choice(PLACE_SECOND)
    taken.add(name)
    return name
