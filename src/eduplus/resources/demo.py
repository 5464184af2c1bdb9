"""Demo resources for the synthetic province (called by `eduplus seed`).

About forty resources placed in the real catalog and topics, with real files made here
(PDF lesson plans, courseware and exercise sheets drawn with reportlab, a PNG worksheet,
an HTML5 simulation package), all deterministic for a seed:

* the demo `teacher`'s own resources go through the services — upload, school review
  by `school`, county review by `county` — so their history and audit entries are real;
  three are left in review (待学校审核, 待县级审核, and one returned by the county with a
  failed 规范性审查), so that the review queues of `school` and `county` are not empty;
* the others come from other schools of the demo county and city, published, written
  set-based with their history;
* download counts are spread unevenly (the ranking has something to rank), and the
  search index is rebuilt at the end;
* engagement (互动), written set-based: ratings (评分) by a dozen synthetic, inactive
  accounts ``demo-rater-NN`` (no real person behind them), approved comments and a few
  pending ones by the demo ``student`` on the demo teacher's resources (so that the
  moderation queue of ``school`` is not empty), one open complaint (举报), 30 days of
  views and downloads (使用统计) and the demo student's viewing history (为你推荐).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import random
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile

from eduplus.accounts.models import User
from eduplus.demo.anchors import demo_anchors
from eduplus.resources import services
from eduplus.resources.catalog import ensure_catalog
from eduplus.resources.models import (
    CatalogNode,
    Comment,
    CommentStatus,
    Complaint,
    EventKind,
    Licence,
    Rating,
    Resource,
    ResourceActivity,
    ResourceEvent,
    ResourceStatus,
    ResourceType,
    ResourceUsage,
    ReviewCheck,
    Topic,
    rank_score,
)
from eduplus.resources.uploads import FORMATS
from eduplus.schools.models import School

MOMENT = dt.datetime(2026, 10, 12, 9, 0, tzinfo=dt.UTC)
AUTHORS = ["李静", "王磊", "张敏", "刘洋", "陈晓燕", "杨帆", "赵丽", "黄伟", "周婷", "吴凯"]


@dataclass(frozen=True)
class Spec:
    """One demo resource: where it sits (a catalog path or a topic code) and what it is."""

    place: str
    rtype: str
    title: str
    description: str
    ext: str = "pdf"


SPECS: list[Spec] = [
    # The demo teacher's (a primary school): through the services.
    Spec(
        "primary/chinese/tongbian/2/up/c1/s1",
        ResourceType.LESSON_PLAN,
        "《小蝌蚪找妈妈》教学设计",
        "识字写字、朗读课文、按顺序讲故事，两课时。重点：理解小蝌蚪的成长变化。",
    ),
    Spec(
        "primary/chinese/tongbian/2/up/c1/s1",
        ResourceType.COURSEWARE,
        "小蝌蚪找妈妈 课件",
        "配合统编版二年级上册第1课，含生字卡片、课文朗读与青蛙生长过程图示。",
    ),
    Spec(
        "primary/math/renjiao/1/up/c4",
        ResourceType.EXERCISE,
        "认识图形（一）分层练习",
        "长方体、正方体、圆柱和球的辨认与分类，基础题与拓展题各一组。",
        "png",
    ),
    Spec(
        "primary/math/renjiao/3/up/c8/s1",
        ResourceType.LESSON_PLAN,
        "分数的简单计算 教学设计",
        "借助分蛋糕情境理解同分母分数加减法，配套课堂活动单。",
    ),
    Spec(
        "safety",
        ResourceType.COURSEWARE,
        "防溺水安全教育主题班会",
        "“六不”防溺水安全守则、遇险自救与施救常识，适合小学中高年级班会。",
    ),
    Spec(
        "primary/chinese/tongbian/3/up/c8/s1",
        ResourceType.LESSON_PLAN,
        "《司马光》文言文教学设计",
        "统编版三年级上册第24课，第一篇小古文：借助注释读懂故事，感受司马光的机智。",
    ),
    # Left in review.
    Spec(
        "primary/chinese/tongbian/1/up/c2/s1",
        ResourceType.COURSEWARE,
        "天地人 识字课件",
        "一年级上册识字第1课，结合图画认识“天、地、人、你、我、他”。",
    ),
    Spec(
        "mental",
        ResourceType.LESSON_PLAN,
        "学会管理情绪 心理健康活动课",
        "认识喜怒哀惧四种基本情绪，学习深呼吸、转移注意等调节方法。",
    ),
    Spec(
        "primary/math/renjiao/2/up/c4/s2",
        ResourceType.EXERCISE,
        "5的乘法口诀 课堂练习",
        "口诀填空、看图列式与解决问题，共三组。",
    ),
    # Other schools: published directly.
    Spec(
        "junior/math/renjiao/8/down/c2/s1",
        ResourceType.COURSEWARE,
        "勾股定理 第一课时 课件",
        "从毕达哥拉斯的故事与赵爽弦图引入，探索直角三角形三边关系，含拼图证明动画步骤。",
    ),
    Spec(
        "junior/math/renjiao/8/down/c2/s2",
        ResourceType.LESSON_PLAN,
        "勾股定理的逆定理 教学设计",
        "由古埃及人用结绳画直角引入，探究并证明逆定理，学会判断直角三角形。",
    ),
    Spec(
        "junior/math/renjiao/8/down/c2",
        ResourceType.EXERCISE,
        "勾股定理 单元测试卷",
        "选择、填空、解答共22题，附参考答案与评分标准。",
    ),
    Spec(
        "junior/math/renjiao/9/up/c2/s1",
        ResourceType.COURSEWARE,
        "二次函数的图象和性质",
        "描点法画 y=ax² 的图象，观察开口方向、对称轴与顶点，配几何画板截图。",
    ),
    Spec(
        "junior/math/renjiao/9/up/c4/s1",
        ResourceType.LESSON_PLAN,
        "垂直于弦的直径 教学设计",
        "圆的对称性与垂径定理，赵州桥拱高计算的实际问题。",
    ),
    Spec(
        "junior/math/renjiao/7/up/c3/s2",
        ResourceType.EXERCISE,
        "解一元一次方程——合并同类项与移项 练习",
        "基础巩固、能力提升、拓展探究三层练习，共18题。",
    ),
    Spec(
        "junior/math/beishida/7/up/c1/s2",
        ResourceType.SIMULATION,
        "正方体展开图 虚拟仿真",
        "拖动展开正方体的六个面，判断十一种展开图，HTML5 交互程序包。",
        "zip",
    ),
    Spec(
        "junior/chinese/tongbian/7/up/c1/s1",
        ResourceType.COURSEWARE,
        "朱自清《春》课件",
        "品味盼春、绘春、赞春的语言，朗读指导与写景方法小结。",
    ),
    Spec(
        "junior/chinese/tongbian/7/up/c1/s2",
        ResourceType.LESSON_PLAN,
        "《济南的冬天》教学设计",
        "老舍笔下温晴的冬天：比喻、拟人的修辞与情景交融的写法。",
    ),
    Spec(
        "junior/chinese/tongbian/7/up/c2/s1",
        ResourceType.LESSON_PLAN,
        "《秋天的怀念》教学设计",
        "史铁生怀念母亲的散文，体会“好好儿活”的含义与细节描写。",
    ),
    Spec(
        "junior/chinese/tongbian/8/up/c2/s1",
        ResourceType.COURSEWARE,
        "鲁迅《藤野先生》课件",
        "回忆性散文的双重视角，藤野先生的品格与作者的爱国情怀。",
    ),
    Spec(
        "junior/chinese/tongbian/8/up/c4/s1",
        ResourceType.LESSON_PLAN,
        "朱自清《背影》教学设计",
        "聚焦“买橘子”片段的动作描写，体会深沉的父爱。",
    ),
    Spec(
        "junior/chinese/tongbian/8/up/c5/s2",
        ResourceType.EXERCISE,
        "《苏州园林》阅读练习",
        "说明对象、说明方法与说明顺序专项练习。",
    ),
    Spec(
        "junior/english/renjiao/7/up/c4",
        ResourceType.COURSEWARE,
        "Unit 1 My name's Gina. 课件",
        "人教版七年级上册第一单元：自我介绍与询问姓名、电话号码，听说课。",
    ),
    Spec(
        "junior/english/waiyan/7/up/c5",
        ResourceType.EXERCISE,
        "Module 4 Healthy food 练习",
        "食物名词、可数与不可数名词、have got 句型练习。",
    ),
    Spec(
        "primary/english/renjiao_pep/3/up/c2",
        ResourceType.COURSEWARE,
        "Unit 2 Colours 课件",
        "三年级上册颜色单词与句型 I see red. Show me green. 含儿歌与游戏。",
    ),
    Spec(
        "primary/math/renjiao/5/up/c6/s1",
        ResourceType.COURSEWARE,
        "平行四边形的面积",
        "剪拼转化为长方形，推导面积公式，配操作学具说明。",
    ),
    Spec(
        "primary/math/renjiao/5/up/c5/s2",
        ResourceType.EXERCISE,
        "解简易方程 分层作业",
        "等式的性质、解方程与列方程解决问题，分A、B两层。",
    ),
    Spec(
        "primary/math/beishida/1/up/c3/s1",
        ResourceType.LESSON_PLAN,
        "一共有多少 教学设计",
        "北师大版一年级上册加法的意义，在“合起来”的情境中认识加号。",
    ),
    Spec(
        "primary/chinese/tongbian/2/up/c6/s1",
        ResourceType.COURSEWARE,
        "大禹治水 课件",
        "二年级上册第15课，了解大禹三过家门而不入的故事。",
    ),
    Spec(
        "primary/chinese/tongbian/2/up/c8/s1",
        ResourceType.LESSON_PLAN,
        "《狐假虎威》教学设计",
        "二年级上册第21课，分角色朗读，理解成语的意思。",
    ),
    Spec(
        "primary/chinese/tongbian/3/up/c3/s1",
        ResourceType.COURSEWARE,
        "《去年的树》课件",
        "三年级上册第8课，童话中的友谊与诺言，续编故事练习。",
    ),
    Spec(
        "senior/math/renjiao_a/10/bx1/c1/s1",
        ResourceType.COURSEWARE,
        "集合的概念",
        "必修第一册第一章第一节：元素与集合的关系、常用数集及其记法。",
    ),
    Spec(
        "senior/math/renjiao_a/10/bx1/c5/s4",
        ResourceType.LESSON_PLAN,
        "三角函数的图象与性质 教学设计",
        "借助单位圆画正弦函数图象，归纳周期性、奇偶性与单调性。",
    ),
    Spec(
        "senior/chinese/tongbian/10/bx_up/c1/s1",
        ResourceType.COURSEWARE,
        "《沁园春·长沙》课件",
        "必修上册第一单元：意象分析与青年毛泽东的革命豪情。",
    ),
    Spec(
        "senior/english/renjiao/10/bx1/c2",
        ResourceType.DIGITAL_TEXTBOOK,
        "Unit 1 Teenage Life 数字教材",
        "人教版高中英语必修第一册第一单元数字教材，含课文与词汇表。",
    ),
    Spec(
        "culture",
        ResourceType.COURSEWARE,
        "中秋节的由来与习俗",
        "嫦娥奔月的传说、赏月吃月饼的习俗与咏月古诗，传统文化专题。",
    ),
    Spec(
        "ecology",
        ResourceType.LESSON_PLAN,
        "垃圾分类我先行 主题活动设计",
        "认识四类垃圾与分类投放标志，班级回收小能手评比。",
    ),
    Spec(
        "law",
        ResourceType.COURSEWARE,
        "宪法宣传周：走近宪法",
        "宪法是国家的根本法，学生的基本权利与义务，配案例讨论。",
    ),
    Spec(
        "health",
        ResourceType.EXERCISE,
        "近视防控知识问答",
        "用眼卫生、“20-20-20”护眼法则与户外活动知识问答20题。",
    ),
    Spec(
        "labour",
        ResourceType.LESSON_PLAN,
        "我是家务小能手 劳动教育课",
        "整理书包、叠衣服与简单烹饪，制定家庭劳动清单。",
    ),
]
# Which schools teach a stage (primary, 九年一贯制, junior, 完全中学, senior).
STAGE_SCHOOL_TYPES = {
    "primary": ["211", "312"],
    "junior": ["311", "312", "341"],
    "senior": ["341", "342"],
}
THROUGH_SERVICES = 6
LEFT_IN_REVIEW = 3


# -------------------------------------------------------------------------- files


def _pdf(spec: Spec, subtitle: str, author: str, school: str) -> bytes:
    from reportlab.lib.pagesizes import A4, landscape
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfgen import canvas

    if "STSong-Light" not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    size = landscape(A4) if spec.rtype == ResourceType.COURSEWARE else A4
    buffer = io.BytesIO()
    c = canvas.Canvas(buffer, pagesize=size, invariant=1)
    c.setTitle(spec.title)
    c.setAuthor(author)
    height = size[1]
    c.setFont("STSong-Light", 22)
    c.drawString(60, height - 80, spec.title)
    c.setFont("STSong-Light", 12)
    c.drawString(60, height - 108, subtitle)
    c.drawString(60, height - 126, f"{school}  {author}")
    y = height - 170
    label = str(ResourceType(spec.rtype).label)
    for heading, text in (
        (label, spec.description),
        ("教学目标", "知识与技能、过程与方法、情感态度与价值观三个维度的目标见正文。"),
        ("使用建议", "可根据学情调整，建议与配套练习一起使用。"),
    ):
        c.setFont("STSong-Light", 14)
        c.drawString(60, y, heading)
        y -= 22
        c.setFont("STSong-Light", 11)
        for start in range(0, len(text), 36):
            c.drawString(72, y, text[start : start + 36])
            y -= 18
        y -= 10
    c.showPage()
    c.save()
    return buffer.getvalue()


def _png(spec: Spec, seed: int) -> bytes:
    """A worksheet of shapes to recognise (认识图形): no text, so no font is needed."""
    from PIL import Image, ImageDraw

    rng = random.Random(f"{seed}:{spec.title}")
    image = Image.new("RGB", (800, 560), "white")
    draw = ImageDraw.Draw(image)
    colours = ["#d9534f", "#428bca", "#5cb85c", "#f0ad4e"]
    for i in range(12):
        x, y = 40 + (i % 4) * 190, 40 + (i // 4) * 170
        colour = colours[rng.randrange(4)]
        shape = rng.randrange(3)
        if shape == 0:
            draw.rectangle((x, y, x + 110, y + 110), outline=colour, width=5)
        elif shape == 1:
            draw.ellipse((x, y, x + 110, y + 110), outline=colour, width=5)
        else:
            draw.polygon([(x + 55, y), (x, y + 110), (x + 110, y + 110)], outline=colour, width=5)
        draw.rectangle((x + 130, y + 40, x + 160, y + 70), outline="black", width=2)
    out = io.BytesIO()
    image.save(out, "PNG", optimize=False)
    return out.getvalue()


def _zip(spec: Spec) -> bytes:
    """An HTML5 simulation package (a cube net to fold)."""
    html = (
        "<!doctype html><html lang='zh-CN'><meta charset='utf-8'>"
        f"<title>{spec.title}</title><h1>{spec.title}</h1><p>{spec.description}</p>"
        "<canvas id='net' width='480' height='360'></canvas><script src='net.js'></script></html>"
    )
    script = "// 正方体展开图：拖动各面折叠\nconsole.log('net');\n"
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for name, text in (("index.html", html), ("net.js", script)):
            info = zipfile.ZipInfo(name, date_time=(2026, 10, 1, 8, 0, 0))
            z.writestr(info, text.encode())
    return out.getvalue()


def demo_file(spec: Spec, *, subtitle: str, author: str, school: str, seed: int) -> bytes:
    if spec.ext == "png":
        return _png(spec, seed)
    if spec.ext == "zip":
        return _zip(spec)
    return _pdf(spec, subtitle, author, school)


# ---------------------------------------------------------------------------- seed


def _place(spec: Spec) -> tuple[CatalogNode | None, list[Topic]]:
    if "/" in spec.place:
        return CatalogNode.objects.get(path=spec.place), []
    return None, [Topic.objects.get(code=spec.place)]


def _subtitle(node: CatalogNode | None, topics: list[Topic]) -> str:
    if node is None:
        return "专题教育 · " + "、".join(t.name for t in topics)
    parts = node.path.split("/")
    names = dict(
        CatalogNode.objects.filter(
            path__in=["/".join(parts[: i + 1]) for i in range(len(parts))]
        ).values_list("path", "name")
    )
    return " · ".join(names["/".join(parts[: i + 1])] for i in range(len(parts)))


def seed_demo(*, province: str, seed: int, say: Callable[[str], None]) -> int:
    """Write this module's demo rows; return how many. Deterministic for a seed."""
    ensure_catalog()
    anchors = demo_anchors(province)
    teacher = User.objects.filter(username="teacher", is_active=True).first()
    school_admin = User.objects.filter(username="school", is_active=True).first()
    county = User.objects.filter(username="county", is_active=True).first()
    in_region = School.objects.filter(region__code__startswith=anchors.city).order_by(
        "region_id", "code"
    )
    pools = {
        stage: list(in_region.filter(school_type__in=types)[:20])
        for stage, types in STAGE_SCHOOL_TYPES.items()
    }
    schools = [s for pool in pools.values() for s in pool]
    if not schools:
        say("  resources: no schools in the demo region, no resources seeded")
        return 0
    rng = random.Random(f"eduplus-demo:{seed}:resources")
    own = teacher is not None and school_admin is not None and county is not None
    teacher_school = services.uploader_schools(teacher)[0] if own and teacher else None

    # Seeding again replaces the demo resources (recognised by their files).
    planned: list[tuple[Spec, bytes, School, str, CatalogNode | None, list[Topic]]] = []
    for i, spec in enumerate(SPECS):
        node, topics = _place(spec)
        mine = own and i < THROUGH_SERVICES + LEFT_IN_REVIEW
        pool = pools.get(spec.place.split("/", 1)[0]) or schools
        school = teacher_school if mine and teacher_school else pool[i % len(pool)]
        author = (teacher.display_name if mine and teacher else "") or AUTHORS[i % len(AUTHORS)]
        content = demo_file(
            spec, subtitle=_subtitle(node, topics), author=author, school=school.name, seed=seed
        )
        planned.append((spec, content, school, author, node, topics))
    hashes = [hashlib.sha256(content).hexdigest() for _s, content, *_rest in planned]
    Resource.objects.filter(sha256__in=hashes).delete()

    written = 0
    for i, (spec, content, school, author, node, topics) in enumerate(planned):
        meta = services.Metadata(
            title=spec.title,
            resource_type=spec.rtype,
            description=spec.description,
            node=node,
            topics=topics,
            licence=Licence.CC_BY_NC if i % 3 == 0 else Licence.PLATFORM,
        )
        name = f"{spec.title}.{spec.ext}"
        if own and i < THROUGH_SERVICES + LEFT_IN_REVIEW:
            _through_services(i, meta, name, content, teacher, school_admin, county, rng)
        else:
            _published(i, meta, name, content, school, author, rng)
        written += 1
    # Uneven use: a few popular resources, most rarely downloaded.
    for resource in Resource.objects.filter(sha256__in=hashes, status=ResourceStatus.PUBLISHED):
        resource.download_count = int(rng.paretovariate(1.2) * 8) - 8 + rng.randrange(5)
        resource.rank = rank_score(resource.quality, resource.download_count)
        resource.save(update_fields=["download_count", "rank"])
    engaged = _seed_engagement(hashes, rng, teacher=teacher)
    indexed = services.search_index_rebuild()
    events = ResourceEvent.objects.filter(resource__sha256__in=hashes).count()
    say(f"  resources: {written} resources ({indexed} published and indexed), {events} events")
    say(f"  resources: {engaged} ratings, comments, complaints and daily usage rows")
    return written + events + engaged


RATERS = 12
COMMENTS = [
    "讲解清楚，课堂上直接用了，学生反响很好。",
    "例题梯度合理，建议再补充一道拓展题。",
    "配图清晰，适合投影展示。",
    "和教材版本对应得很好，省了不少备课时间。",
    "练习量适中，答案解析很详细。",
    "视频节奏稍快，暂停着看效果更好。",
]
PENDING = ["这个资源能不能出一个配套的学案？", "第二页的图片有点模糊。"]


def _raters() -> list[User]:
    """Synthetic accounts that cannot log in (inactive), only so ratings have an owner."""
    users = []
    for i in range(1, RATERS + 1):
        user = User.objects.filter(username=f"demo-rater-{i:02d}").first()
        if user is None:
            user = User.objects.create_user(
                f"demo-rater-{i:02d}", display_name=f"体验用户{i:02d}", is_active=False
            )
        users.append(user)
    return users


def _seed_engagement(hashes: list[str], rng: random.Random, *, teacher: User | None) -> int:
    """Ratings, comments, a complaint, usage and history, set-based (bulk_create and
    grouped updates), then the counters and ranks of the resources from them."""
    published = list(
        Resource.objects.filter(sha256__in=hashes, status=ResourceStatus.PUBLISHED).order_by("pk")
    )
    if not published:
        return 0
    raters = _raters()
    student = User.objects.filter(username="student", is_active=True).first()
    now = dt.datetime.now(dt.UTC)
    today = now.date()
    ratings: list[Rating] = []
    comments: list[Comment] = []
    usage: list[ResourceUsage] = []
    for n, resource in enumerate(published):
        k = rng.choice([0, 1, 3, 5, 8, 12]) if n % 5 else 0
        for user in rng.sample(raters, k):
            score = max(1, min(5, resource.quality + rng.choice([-2, -1, 0, 0, 1])))
            moment = now - dt.timedelta(days=rng.randrange(30))
            ratings.append(
                Rating(
                    resource=resource, user=user, score=score, created_at=moment, updated_at=moment
                )
            )
        for j in range(rng.choice([0, 0, 1, 2])):
            comments.append(
                Comment(
                    resource=resource,
                    author=raters[(n + j) % RATERS],
                    author_name=raters[(n + j) % RATERS].display_name,
                    body=COMMENTS[(n + j) % len(COMMENTS)],
                    status=CommentStatus.APPROVED,
                    created_at=now - dt.timedelta(days=rng.randrange(1, 20)),
                    moderated_at=now,
                )
            )
        downloads_left = resource.download_count
        for day in range(30):
            views = int(rng.paretovariate(1.5) * 3) - 2 + (rng.randrange(4) if n % 3 else 0)
            downloads = min(downloads_left, rng.randrange(3))
            downloads_left -= downloads
            if views > 0 or downloads:
                usage.append(
                    ResourceUsage(
                        resource=resource,
                        day=today - dt.timedelta(days=day),
                        views=max(0, views),
                        downloads=downloads,
                    )
                )
    theirs = [r for r in published if teacher is not None and r.author_id == teacher.pk]
    complaints: list[Complaint] = []
    if student is not None:
        for resource, body in zip(theirs, PENDING, strict=False):
            comments.append(
                Comment(
                    resource=resource,
                    author=student,
                    author_name=student.display_name or student.username,
                    body=body,
                    status=CommentStatus.PENDING,
                    created_at=now - dt.timedelta(hours=3),
                )
            )
        if theirs:
            complaints.append(
                Complaint(
                    resource=theirs[-1],
                    user=student,
                    user_name=student.display_name or student.username,
                    category="scientific",
                    text="第2页例题的答案与解析不一致，请核实。",
                    created_at=now - dt.timedelta(hours=5),
                )
            )
        seen = [r for r in published if r.grade is not None][:3]
        ResourceActivity.objects.bulk_create(
            [ResourceActivity(user=student, resource=r, views=1, last_at=now) for r in seen]
        )
    Rating.objects.bulk_create(ratings)
    Comment.objects.bulk_create(comments)
    Complaint.objects.bulk_create(complaints)
    ResourceUsage.objects.bulk_create(usage)
    _recount(published)
    return len(ratings) + len(comments) + len(complaints) + len(usage)


def _recount(resources: list[Resource]) -> None:
    """The resources' counters from the rows (grouped queries), then their ranks."""
    from django.db.models import Count, Sum

    ids = [r.pk for r in resources]
    rated: dict[int, dict[str, Any]] = {
        row["resource_id"]: dict(row)
        for row in Rating.objects.filter(resource_id__in=ids)
        .values("resource_id")
        .annotate(n=Count("id"), total=Sum("score"))
    }
    approved = dict(
        Comment.objects.filter(resource_id__in=ids, status=CommentStatus.APPROVED)
        .values_list("resource_id")
        .annotate(n=Count("id"))
    )
    viewed = dict(
        ResourceUsage.objects.filter(resource_id__in=ids)
        .values_list("resource_id")
        .annotate(n=Sum("views"))
    )
    for resource in resources:
        row = rated.get(resource.pk, {})
        resource.rating_count = row.get("n", 0)
        resource.rating_sum = row.get("total", 0) or 0
        resource.comment_count = approved.get(resource.pk, 0)
        resource.view_count = viewed.get(resource.pk, 0) or 0
        resource.rank = resource.compute_rank()
    Resource.objects.bulk_update(
        resources, ["rating_count", "rating_sum", "comment_count", "view_count", "rank"]
    )


def _through_services(
    i: int,
    meta: services.Metadata,
    name: str,
    content: bytes,
    teacher: User | None,
    school_admin: User | None,
    county: User | None,
    rng: random.Random,
) -> None:
    upload = SimpleUploadedFile(
        name, content, content_type=FORMATS[name.rsplit(".", 1)[1]].mime_type
    )
    resource = services.resource_upload(actor=teacher, upload=upload, meta=meta)
    if i == THROUGH_SERVICES:  # left with the school
        return
    services.resource_school_review(
        actor=school_admin, resource=resource, approve=True, reason="内容完整，同意推荐"
    )
    if i == THROUGH_SERVICES + 1:  # left with the county
        return
    passed = services.CheckResult(passed=True)
    checks = {c.value: passed for c in ReviewCheck}
    if i == THROUGH_SERVICES + 2:
        checks[ReviewCheck.NORMATIVE.value] = services.CheckResult(
            passed=False, reason="第3题答案有误，题号编排不连续，请修改后重新提交"
        )
    services.resource_county_review(
        actor=county,
        resource=resource,
        checks=checks,
        quality=rng.choice([3, 4, 4, 5]),
        comment="" if i != THROUGH_SERVICES + 2 else "请核对答案",
    )


def _published(
    i: int,
    meta: services.Metadata,
    name: str,
    content: bytes,
    school: School,
    author: str,
    rng: random.Random,
) -> None:
    """A published resource of a school without demo accounts, with its history."""
    ext = name.rsplit(".", 1)[1]
    sha = hashlib.sha256(content).hexdigest()
    storage = Resource._meta.get_field("file").storage  # type: ignore[attr-defined]
    stored = services.storage_name(sha, ext)
    if not storage.exists(stored):
        stored = storage.save(stored, ContentFile(content))
    node = meta.node
    submitted = MOMENT + dt.timedelta(days=i % 20, hours=i % 7)
    quality = rng.choice([3, 3, 4, 4, 5])
    resource = Resource.objects.create(
        title=meta.title,
        description=meta.description,
        resource_type=meta.resource_type,
        node=node,
        stage=node.stage if node else "",
        subject=node.subject if node else "",
        edition=node.edition if node else "",
        grade=node.grade if node else None,
        author=None,
        author_name=author,
        school=school,
        region_id=school.region_id,
        licence=meta.licence,
        file=stored,
        sha256=sha,
        size=len(content),
        file_format=ext,
        mime_type=FORMATS[ext].mime_type,
        original_name=name,
        status=ResourceStatus.PUBLISHED,
        submitted_at=submitted,
        published_at=submitted + dt.timedelta(days=3),
        quality=quality,
        rank=rank_score(quality, 0),
    )
    resource.topics.set(meta.topics)
    passed = {c.value: {"passed": True, "reason": ""} for c in ReviewCheck}
    ResourceEvent.objects.bulk_create(
        [
            ResourceEvent(
                resource=resource, kind=EventKind.SUBMITTED, actor_name=author, created_at=submitted
            ),
            ResourceEvent(
                resource=resource,
                kind=EventKind.SCHOOL_APPROVED,
                actor_name=f"{school.name}管理员",
                created_at=submitted + dt.timedelta(days=1),
            ),
            ResourceEvent(
                resource=resource,
                kind=EventKind.PUBLISHED,
                actor_name="县级审核员",
                checks=passed,
                created_at=submitted + dt.timedelta(days=3),
            ),
        ]
    )
