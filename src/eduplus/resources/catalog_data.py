"""The textbook catalog (教材目录) and the thematic collections (专题教育) seeded by the
data migration, as plain data.

The tree is 学段 → 学科 → 教材版本 → 年级 → 册 → 章节 (→ 课节). Editions follow the
textbooks in use in 2025: 统编版 for 语文 at every stage; 人教版, 北师大版, 苏教版 and
华东师大版 for 数学; 人教版（PEP）and 外研版 for 英语. Volumes (册) are 上册/下册 in
compulsory education and 必修/选择性必修 in senior secondary school. Chapter names are
given for a selection of volumes; the others can be completed by the catalog editors.

Everything here is addressed by a path of codes (``primary/math/renjiao/7/up/c2``),
stable across installations, so that demo data, benchmarks and harvested resources can
refer to the same nodes.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

STAGES: list[tuple[str, str, tuple[int, ...]]] = [
    ("primary", "小学", (1, 2, 3, 4, 5, 6)),
    ("junior", "初中", (7, 8, 9)),
    ("senior", "高中", (10, 11, 12)),
]
SUBJECTS: list[tuple[str, str]] = [("chinese", "语文"), ("math", "数学"), ("english", "英语")]
EDITIONS: dict[str, str] = {
    "tongbian": "统编版",
    "renjiao": "人教版",
    "renjiao_pep": "人教版（PEP）",
    "renjiao_a": "人教A版",
    "beishida": "北师大版",
    "sujiao": "苏教版",
    "huashi": "华东师大版",
    "waiyan": "外研版",
}
GRADE_NAMES: dict[int, str] = {
    1: "一年级",
    2: "二年级",
    3: "三年级",
    4: "四年级",
    5: "五年级",
    6: "六年级",
    7: "七年级",
    8: "八年级",
    9: "九年级",
    10: "高一",
    11: "高二",
    12: "高三",
}
# Which editions each stage teaches a subject with.
OFFERINGS: dict[tuple[str, str], tuple[str, ...]] = {
    ("primary", "chinese"): ("tongbian",),
    ("primary", "math"): ("renjiao", "beishida", "sujiao"),
    ("primary", "english"): ("renjiao_pep", "waiyan"),
    ("junior", "chinese"): ("tongbian",),
    ("junior", "math"): ("renjiao", "beishida", "huashi"),
    ("junior", "english"): ("renjiao", "waiyan"),
    ("senior", "chinese"): ("tongbian",),
    ("senior", "math"): ("renjiao_a", "beishida"),
    ("senior", "english"): ("renjiao", "waiyan"),
}
# Primary English starts in grade three (三年级起点).
FIRST_GRADE: dict[tuple[str, str], int] = {("primary", "english"): 3}

UP_DOWN = (("up", "上册"), ("down", "下册"))
# Senior secondary volumes by subject and grade; 高三 is the review year (高考总复习).
SENIOR_VOLUMES: dict[str, dict[int, tuple[tuple[str, str], ...]]] = {
    "chinese": {
        10: (("bx_up", "必修上册"), ("bx_down", "必修下册")),
        11: (
            ("xb_up", "选择性必修上册"),
            ("xb_mid", "选择性必修中册"),
            ("xb_down", "选择性必修下册"),
        ),
        12: (("review", "高考总复习"),),
    },
    "math": {
        10: (("bx1", "必修第一册"), ("bx2", "必修第二册")),
        11: (("xb1", "选择性必修第一册"), ("xb2", "选择性必修第二册"), ("xb3", "选择性必修第三册")),
        12: (("review", "高考总复习"),),
    },
    "english": {
        10: (("bx1", "必修第一册"), ("bx2", "必修第二册")),
        11: (("bx3", "必修第三册"), ("xb1", "选择性必修第一册"), ("xb2", "选择性必修第二册")),
        12: (("xb3", "选择性必修第三册"), ("xb4", "选择性必修第四册")),
    },
}

# Units (单元/章) and their lessons (课/节) for a selection of volumes, keyed by the
# volume's path. A unit without lessons is a list with its name only.
Chapters = list[tuple[str, list[str]]]
CHAPTERS: dict[str, Chapters] = {
    "primary/chinese/tongbian/1/up": [
        ("入学教育", ["我上学了", "我是中国人", "我是小学生", "我爱学语文"]),
        ("识字（一）", ["天地人", "金木水火土", "口耳目", "日月水火", "对韵歌"]),
        ("汉语拼音", ["a o e", "i u ü y w", "b p m f", "d t n l", "g k h", "j q x"]),
        ("第四单元", ["秋天", "小小的船", "江南", "四季"]),
        ("识字（二）", ["画", "大小多少", "小书包", "日月明", "升国旗"]),
        ("第七单元", ["影子", "比尾巴", "青蛙写诗", "雨点儿"]),
        ("第八单元", ["明天要远足", "大还是小", "项链", "雪地里的小画家", "乌鸦喝水", "小蜗牛"]),
    ],
    "primary/chinese/tongbian/2/up": [
        ("第一单元", ["小蝌蚪找妈妈", "我是什么", "植物妈妈有办法"]),
        ("第二单元 识字", ["场景歌", "树之歌", "拍手歌", "田家四季歌"]),
        ("第三单元", ["曹冲称象", "玲玲的画", "一封信", "妈妈睡了"]),
        ("第四单元", ["古诗二首（登鹳雀楼 望庐山瀑布）", "黄山奇石", "日月潭", "葡萄沟"]),
        ("第五单元", ["坐井观天", "寒号鸟", "我要的是葫芦"]),
        ("第六单元", ["大禹治水", "朱德的扁担", "难忘的泼水节"]),
        ("第七单元", ["古诗二首（夜宿山寺 敕勒歌）", "雾在哪里", "雪孩子"]),
        ("第八单元", ["狐假虎威", "狐狸分奶酪", "纸船和风筝", "风娃娃"]),
    ],
    "primary/chinese/tongbian/3/up": [
        ("第一单元", ["大青树下的小学", "花的学校", "不懂就要问"]),
        (
            "第二单元",
            [
                "古诗三首（山行 赠刘景文 夜书所见）",
                "铺满金色巴掌的水泥道",
                "秋天的雨",
                "听听，秋的声音",
            ],
        ),
        ("第三单元", ["去年的树", "那一定会很好", "在牛肚子里旅行", "一块奶酪"]),
        ("第四单元", ["总也倒不了的老屋", "胡萝卜先生的长胡子", "小狗学叫"]),
        ("第五单元", ["搭船的鸟", "金色的草地"]),
        (
            "第六单元",
            [
                "古诗三首（望天门山 饮湖上初晴后雨 望洞庭）",
                "富饶的西沙群岛",
                "海滨小城",
                "美丽的小兴安岭",
            ],
        ),
        ("第七单元", ["大自然的声音", "读不完的大书", "带刺的朋友"]),
        ("第八单元", ["司马光", "灰雀", "手术台就是阵地", "一个粗瓷大碗"]),
    ],
    "primary/math/renjiao/1/up": [
        ("准备课", ["数一数", "比多少"]),
        ("位置", ["上、下、前、后", "左、右"]),
        ("1～5的认识和加减法", ["1～5的认识", "比大小", "第几", "分与合", "加法", "减法", "0"]),
        ("认识图形（一）", []),
        ("6～10的认识和加减法", ["6和7", "8和9", "10", "连加 连减", "加减混合"]),
        ("11～20各数的认识", []),
        ("认识钟表", []),
        ("20以内的进位加法", ["9加几", "8、7、6加几", "5、4、3、2加几"]),
        ("总复习", []),
    ],
    "primary/math/renjiao/2/up": [
        ("长度单位", []),
        ("100以内的加法和减法（二）", ["加法", "减法", "连加、连减和加减混合"]),
        ("角的初步认识", []),
        (
            "表内乘法（一）",
            ["乘法的初步认识", "5的乘法口诀", "2、3、4的乘法口诀", "乘加 乘减", "6的乘法口诀"],
        ),
        ("观察物体（一）", []),
        ("表内乘法（二）", ["7的乘法口诀", "8的乘法口诀", "9的乘法口诀"]),
        ("认识时间", []),
        ("数学广角——搭配（一）", []),
        ("总复习", []),
    ],
    "primary/math/renjiao/3/up": [
        ("时、分、秒", []),
        ("万以内的加法和减法（一）", []),
        ("测量", ["毫米、分米的认识", "千米的认识", "吨的认识"]),
        ("万以内的加法和减法（二）", ["加法", "减法"]),
        ("倍的认识", []),
        ("多位数乘一位数", ["口算乘法", "笔算乘法"]),
        ("长方形和正方形", ["四边形", "周长"]),
        ("分数的初步认识", ["分数的简单计算", "分数的简单应用"]),
        ("数学广角——集合", []),
        ("总复习", []),
    ],
    "primary/math/renjiao/5/up": [
        (
            "小数乘法",
            ["小数乘整数", "小数乘小数", "积的近似数", "整数乘法运算定律推广到小数", "解决问题"],
        ),
        ("位置", []),
        (
            "小数除法",
            [
                "除数是整数的小数除法",
                "一个数除以小数",
                "商的近似数",
                "循环小数",
                "用计算器探索规律",
            ],
        ),
        ("可能性", []),
        ("简易方程", ["用字母表示数", "解简易方程", "实际问题与方程"]),
        ("多边形的面积", ["平行四边形的面积", "三角形的面积", "梯形的面积", "组合图形的面积"]),
        ("数学广角——植树问题", []),
        ("总复习", []),
    ],
    "primary/math/beishida/1/up": [
        ("生活中的数", ["快乐的家园", "玩具", "小猫钓鱼", "文具", "快乐的午餐", "动物乐园"]),
        ("比较", ["过生日", "下课啦", "跷跷板"]),
        ("加与减（一）", ["一共有多少", "还剩下多少", "可爱的小猫", "猜数游戏", "背土豆"]),
        ("分类", ["整理房间", "一起来分类"]),
        ("位置与顺序", ["前后", "上下", "左右", "教室"]),
        ("认识图形", ["认识图形", "我说你做"]),
        ("加与减（二）", ["古人计数", "搭积木", "有几瓶牛奶", "有几棵树", "做个加法表"]),
        ("认识钟表", ["小明的一天"]),
    ],
    "primary/english/renjiao_pep/3/up": [
        ("Unit 1 Hello!", []),
        ("Unit 2 Colours", []),
        ("Unit 3 Look at me!", []),
        ("Recycle 1", []),
        ("Unit 4 We love animals", []),
        ("Unit 5 Let's eat!", []),
        ("Unit 6 Happy birthday!", []),
        ("Recycle 2", []),
    ],
    "primary/english/waiyan/3/up": [
        ("Module 1 Hello!", ["Unit 1 Hello!", "Unit 2 How are you?"]),
        ("Module 2 My name's Sam.", ["Unit 1 I'm Sam.", "Unit 2 What's your name?"]),
        (
            "Module 3 Point to the door.",
            ["Unit 1 Point to the door.", "Unit 2 Point to the window."],
        ),
        ("Module 4 Colours", ["Unit 1 It's red.", "Unit 2 What colour is it?"]),
        ("Module 5 Numbers", ["Unit 1 How old are you?", "Unit 2 How many?"]),
    ],
    "junior/chinese/tongbian/7/up": [
        ("第一单元", ["春", "济南的冬天", "雨的四季", "古代诗歌四首"]),
        ("第二单元", ["秋天的怀念", "散步", "散文诗二首", "《世说新语》二则"]),
        ("第三单元", ["从百草园到三味书屋", "再塑生命的人", "《论语》十二章"]),
        ("第四单元", ["纪念白求恩", "植树的牧羊人", "走一步，再走一步", "诫子书"]),
        ("第五单元", ["猫", "动物笑谈", "狼"]),
        ("第六单元", ["皇帝的新装", "天上的街市", "女娲造人", "寓言四则"]),
    ],
    "junior/chinese/tongbian/8/up": [
        (
            "第一单元 新闻",
            ["消息二则", "首届诺贝尔奖颁发", "“飞天”凌空——跳水姑娘吕伟夺魁记", "一着惊海天"],
        ),
        ("第二单元 回忆性散文与传记", ["藤野先生", "回忆我的母亲", "列夫·托尔斯泰", "美丽的颜色"]),
        (
            "第三单元 古代山水",
            ["三峡", "短文二篇（答谢中书书 记承天寺夜游）", "与朱元思书", "唐诗五首"],
        ),
        ("第四单元 散文", ["背影", "白杨礼赞", "散文二篇", "昆明的雨"]),
        ("第五单元 说明文", ["中国石拱桥", "苏州园林", "蝉", "梦回繁华"]),
        ("第六单元", ["《孟子》三章", "愚公移山", "周亚夫军细柳", "诗词五首"]),
    ],
    "junior/math/renjiao/7/up": [
        (
            "第一章 有理数",
            ["正数和负数", "有理数", "有理数的加减法", "有理数的乘除法", "有理数的乘方"],
        ),
        ("第二章 整式的加减", ["整式", "整式的加减"]),
        (
            "第三章 一元一次方程",
            [
                "从算式到方程",
                "解一元一次方程（一）——合并同类项与移项",
                "解一元一次方程（二）——去括号与去分母",
                "实际问题与一元一次方程",
            ],
        ),
        (
            "第四章 几何图形初步",
            ["几何图形", "直线、射线、线段", "角", "课题学习 设计制作长方体形状的包装纸盒"],
        ),
    ],
    "junior/math/renjiao/8/down": [
        ("第十六章 二次根式", ["二次根式", "二次根式的乘除", "二次根式的加减"]),
        ("第十七章 勾股定理", ["勾股定理", "勾股定理的逆定理"]),
        ("第十八章 平行四边形", ["平行四边形", "特殊的平行四边形"]),
        ("第十九章 一次函数", ["函数", "一次函数", "课题学习 选择方案"]),
        (
            "第二十章 数据的分析",
            ["数据的集中趋势", "数据的波动程度", "课题学习 体质健康测试中的数据分析"],
        ),
    ],
    "junior/math/renjiao/9/up": [
        ("第二十一章 一元二次方程", ["一元二次方程", "解一元二次方程", "实际问题与一元二次方程"]),
        (
            "第二十二章 二次函数",
            ["二次函数的图象和性质", "二次函数与一元二次方程", "实际问题与二次函数"],
        ),
        ("第二十三章 旋转", ["图形的旋转", "中心对称", "课题学习 图案设计"]),
        (
            "第二十四章 圆",
            ["圆的有关性质", "点和圆、直线和圆的位置关系", "正多边形和圆", "弧长和扇形面积"],
        ),
        ("第二十五章 概率初步", ["随机事件与概率", "用列举法求概率", "用频率估计概率"]),
    ],
    "junior/math/beishida/7/up": [
        (
            "第一章 丰富的图形世界",
            ["生活中的立体图形", "展开与折叠", "截一个几何体", "从三个方向看物体的形状"],
        ),
        (
            "第二章 有理数及其运算",
            ["有理数", "数轴", "绝对值", "有理数的加法", "有理数的减法", "有理数的乘法"],
        ),
        ("第三章 整式及其加减", ["字母表示数", "代数式", "整式", "整式的加减", "探索与表达规律"]),
        (
            "第四章 基本平面图形",
            ["线段、射线、直线", "比较线段的长短", "角", "角的比较", "多边形和圆的初步认识"],
        ),
        (
            "第五章 一元一次方程",
            ["认识一元一次方程", "求解一元一次方程", "应用一元一次方程——水箱变高了"],
        ),
        ("第六章 数据的收集与整理", ["数据的收集", "普查和抽样调查", "数据的表示", "统计图的选择"]),
    ],
    "junior/english/renjiao/7/up": [
        ("Starter Unit 1 Good morning!", []),
        ("Starter Unit 2 What's this in English?", []),
        ("Starter Unit 3 What color is it?", []),
        ("Unit 1 My name's Gina.", []),
        ("Unit 2 This is my sister.", []),
        ("Unit 3 Is this your pencil?", []),
        ("Unit 4 Where's my schoolbag?", []),
        ("Unit 5 Do you have a soccer ball?", []),
        ("Unit 6 Do you like bananas?", []),
        ("Unit 7 How much are these socks?", []),
        ("Unit 8 When is your birthday?", []),
        ("Unit 9 My favorite subject is science.", []),
    ],
    "junior/english/waiyan/7/up": [
        ("Starter Module 1 My teacher and my friends", []),
        ("Module 1 My classmates", []),
        ("Module 2 My family", []),
        ("Module 3 My school", []),
        ("Module 4 Healthy food", []),
        ("Module 5 My school day", []),
        ("Module 6 A trip to the zoo", []),
        ("Module 7 Computers", []),
        ("Module 8 Choosing presents", []),
        ("Module 9 People and places", []),
        ("Module 10 Spring Festival", []),
    ],
    "senior/chinese/tongbian/10/bx_up": [
        (
            "第一单元",
            ["沁园春·长沙", "立在地球边上放号 红烛 峨日朵雪峰之侧 致云雀", "百合花 哦，香雪"],
        ),
        (
            "第二单元",
            [
                "喜看稻菽千重浪 心有一团火，温暖众人心 “探界者”钟扬",
                "以工匠精神雕琢时代品质",
                "芣苢 插秧歌",
            ],
        ),
        (
            "第三单元",
            [
                "短歌行 归园田居（其一）",
                "梦游天姥吟留别 登高 琵琶行并序",
                "念奴娇·赤壁怀古 永遇乐·京口北固亭怀古 声声慢",
            ],
        ),
        ("第四单元 家乡文化生活", []),
        ("第五单元 整本书阅读《乡土中国》", []),
        ("第六单元", ["劝学 师说", "反对党八股（节选）", "拿来主义", "读书：目的和前提 上图书馆"]),
        ("第七单元", ["故都的秋 荷塘月色", "我与地坛（节选）", "赤壁赋 登泰山记"]),
        ("第八单元 词语积累与词语解释", []),
    ],
    "senior/math/renjiao_a/10/bx1": [
        (
            "第一章 集合与常用逻辑用语",
            [
                "集合的概念",
                "集合间的基本关系",
                "集合的基本运算",
                "充分条件与必要条件",
                "全称量词与存在量词",
            ],
        ),
        (
            "第二章 一元二次函数、方程和不等式",
            ["等式性质与不等式性质", "基本不等式", "二次函数与一元二次方程、不等式"],
        ),
        (
            "第三章 函数的概念与性质",
            ["函数的概念及其表示", "函数的基本性质", "幂函数", "函数的应用（一）"],
        ),
        ("第四章 指数函数与对数函数", ["指数", "指数函数", "对数", "对数函数", "函数的应用（二）"]),
        (
            "第五章 三角函数",
            [
                "任意角和弧度制",
                "三角函数的概念",
                "诱导公式",
                "三角函数的图象与性质",
                "三角恒等变换",
                "函数y=Asin(ωx+φ)",
                "三角函数的应用",
            ],
        ),
    ],
    "senior/math/renjiao_a/10/bx2": [
        (
            "第六章 平面向量及其应用",
            ["平面向量的概念", "平面向量的运算", "平面向量基本定理及坐标表示", "平面向量的应用"],
        ),
        ("第七章 复数", ["复数的概念", "复数的四则运算", "复数的三角表示"]),
        (
            "第八章 立体几何初步",
            [
                "基本立体图形",
                "立体图形的直观图",
                "简单几何体的表面积与体积",
                "空间点、直线、平面之间的位置关系",
                "空间直线、平面的平行",
                "空间直线、平面的垂直",
            ],
        ),
        ("第九章 统计", ["随机抽样", "用样本估计总体", "统计案例 公司员工的肥胖情况调查分析"]),
        ("第十章 概率", ["随机事件与概率", "事件的相互独立性", "频率与概率"]),
    ],
    "senior/english/renjiao/10/bx1": [
        ("Welcome Unit", []),
        ("Unit 1 Teenage Life", []),
        ("Unit 2 Travelling Around", []),
        ("Unit 3 Sports and Fitness", []),
        ("Unit 4 Natural Disasters", []),
        ("Unit 5 Languages Around the World", []),
    ],
}

# 专题教育: thematic collections beside the textbooks.
TOPICS: list[tuple[str, str, str]] = [
    ("moral", "德育", "理想信念、社会主义核心价值观、文明礼仪与行为习惯养成"),
    ("safety", "安全教育", "交通、消防、防溺水、防震减灾、食品安全与校园安全"),
    ("mental", "心理健康", "情绪管理、人际交往、学习心理与青春期心理辅导"),
    ("labour", "劳动教育", "日常生活劳动、生产劳动与服务性劳动"),
    ("law", "法治教育", "宪法教育、未成年人保护与预防校园欺凌"),
    ("national_security", "国家安全教育", "总体国家安全观与全民国家安全教育日"),
    ("culture", "中华优秀传统文化", "传统节日、经典诵读、书法与非物质文化遗产"),
    ("patriotic", "爱国主义教育", "红色故事、革命传统与党史国史学习"),
    ("ecology", "生态文明教育", "节约资源、垃圾分类与绿色低碳生活"),
    ("health", "健康教育", "近视防控、营养膳食、体育锻炼与传染病预防"),
    ("family", "家庭教育", "家校共育、亲子沟通与家长课堂"),
]


@dataclass(frozen=True)
class NodeSpec:
    """One node of the tree: its path (codes joined by "/"), kind, name and order."""

    path: str
    kind: str
    name: str
    position: int

    @property
    def parent_path(self) -> str:
        return self.path.rsplit("/", 1)[0] if "/" in self.path else ""

    @property
    def code(self) -> str:
        return self.path.rsplit("/", 1)[-1]


def volumes_of(stage: str, subject: str, grade: int) -> tuple[tuple[str, str], ...]:
    if stage == "senior":
        return SENIOR_VOLUMES[subject][grade]
    if (stage, subject, grade) == ("junior", "english", 9):
        return (("full", "全一册"),)
    return UP_DOWN


def catalog_nodes() -> Iterator[NodeSpec]:
    """Every node of the seeded tree, parents before children."""
    for s_pos, (stage, stage_name, grades) in enumerate(STAGES):
        yield NodeSpec(stage, "stage", stage_name, s_pos)
        for j_pos, (subject, subject_name) in enumerate(SUBJECTS):
            p_subject = f"{stage}/{subject}"
            yield NodeSpec(p_subject, "subject", subject_name, j_pos)
            for e_pos, edition in enumerate(OFFERINGS[(stage, subject)]):
                p_edition = f"{p_subject}/{edition}"
                yield NodeSpec(p_edition, "edition", EDITIONS[edition], e_pos)
                first = FIRST_GRADE.get((stage, subject), grades[0])
                for grade in grades:
                    if grade < first:
                        continue
                    p_grade = f"{p_edition}/{grade}"
                    yield NodeSpec(p_grade, "grade", GRADE_NAMES[grade], grade)
                    for v_pos, (volume, volume_name) in enumerate(
                        volumes_of(stage, subject, grade)
                    ):
                        p_volume = f"{p_grade}/{volume}"
                        yield NodeSpec(p_volume, "volume", volume_name, v_pos)
                        for c_pos, (unit, lessons) in enumerate(CHAPTERS.get(p_volume, [])):
                            p_unit = f"{p_volume}/c{c_pos + 1}"
                            yield NodeSpec(p_unit, "chapter", unit, c_pos)
                            for l_pos, lesson in enumerate(lessons):
                                yield NodeSpec(f"{p_unit}/s{l_pos + 1}", "section", lesson, l_pos)
