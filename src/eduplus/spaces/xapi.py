"""xAPI 1.0.3 statements: validation of what a client sends, and the JSON we return.

Validation is strict and names the offending field (``actor.account.homePage``,
``statements[2].verb.id``…): a statement that fails any rule is refused with 400, and a
batch is refused as a whole, so nothing of it is stored.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import re
import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from eduplus.spaces.models import VOIDED_VERB

if TYPE_CHECKING:
    from eduplus.spaces.models import Statement

XAPI_VERSION = "1.0.3"
MAX_STATEMENT_BYTES = 64 * 1024
MAX_BATCH = 200
STATEMENT_KEYS = frozenset(
    {"id", "actor", "verb", "object", "result", "context", "timestamp", "stored", "authority",
     "version"}
)  # fmt: skip
RESULT_KEYS = frozenset({"score", "success", "completion", "response", "duration", "extensions"})
SCORE_KEYS = frozenset({"scaled", "raw", "min", "max"})
CONTEXT_KEYS = frozenset(
    {"registration", "instructor", "team", "contextActivities", "revision", "platform",
     "language", "statement", "extensions"}
)  # fmt: skip
AGENT_KEYS = frozenset({"objectType", "name", "mbox", "mbox_sha1sum", "openid", "account"})
_IRI = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*:[^\s]+$")
_LANG = re.compile(r"^[A-Za-z]{1,8}(-[A-Za-z0-9]{1,8})*$")
_DURATION = re.compile(
    r"^P(?!$)(\d+(\.\d+)?Y)?(\d+(\.\d+)?M)?(\d+(\.\d+)?W)?(\d+(\.\d+)?D)?"
    r"(T(?=\d)(\d+(\.\d+)?H)?(\d+(\.\d+)?M)?(\d+(\.\d+)?S)?)?$"
)
_SHA1 = re.compile(r"^[0-9a-f]{40}$")

# Verbs the platform records, with their labels (the display map is what clients send).
VERB_LABELS: dict[str, Any] = {
    "http://id.tincanapi.com/verb/viewed": gettext_lazy("浏览了"),
    "http://id.tincanapi.com/verb/downloaded": gettext_lazy("下载了"),
    "http://adlnet.gov/expapi/verbs/shared": gettext_lazy("分享了"),
    "http://id.tincanapi.com/verb/rated": gettext_lazy("评价了"),
    "http://adlnet.gov/expapi/verbs/commented": gettext_lazy("评论了"),
    "http://activitystrea.ms/schema/1.0/favorite": gettext_lazy("收藏了"),
    "http://id.tincanapi.com/verb/searched": gettext_lazy("搜索了"),
    "http://adlnet.gov/expapi/verbs/experienced": gettext_lazy("学习了"),
    "http://adlnet.gov/expapi/verbs/completed": gettext_lazy("完成了"),
    "http://adlnet.gov/expapi/verbs/answered": gettext_lazy("作答了"),
    "http://adlnet.gov/expapi/verbs/attempted": gettext_lazy("尝试了"),
    "http://activitystrea.ms/schema/1.0/join": gettext_lazy("加入了"),
    "http://activitystrea.ms/schema/1.0/create": gettext_lazy("创建了"),
    "http://id.tincanapi.com/verb/replied": gettext_lazy("发言于"),
    VOIDED_VERB: gettext_lazy("撤销了"),
}
VERB_IDS = {
    "viewed": "http://id.tincanapi.com/verb/viewed",
    "downloaded": "http://id.tincanapi.com/verb/downloaded",
    "shared": "http://adlnet.gov/expapi/verbs/shared",
    "rated": "http://id.tincanapi.com/verb/rated",
    "commented": "http://adlnet.gov/expapi/verbs/commented",
    "favorited": "http://activitystrea.ms/schema/1.0/favorite",
    "searched": "http://id.tincanapi.com/verb/searched",
    "experienced": "http://adlnet.gov/expapi/verbs/experienced",
    "completed": "http://adlnet.gov/expapi/verbs/completed",
    "joined": "http://activitystrea.ms/schema/1.0/join",
    "created": "http://activitystrea.ms/schema/1.0/create",
    "replied": "http://id.tincanapi.com/verb/replied",
    "voided": VOIDED_VERB,
}
VERB_ENGLISH = {v: k for k, v in VERB_IDS.items()}


def site_url() -> str:
    """The platform's public address, the ``homePage`` of its learners' accounts."""
    url = getattr(settings, "EDUPLUS_SITE_URL", "") or os.environ.get("EDUPLUS_SITE_URL", "")
    return (url or "https://eduplus.example.cn").rstrip("/")


def activity_iri(path: str) -> str:
    return f"{site_url()}/{path.lstrip('/')}"


def verb_label(verb_id: str, display: dict[str, str] | None) -> str:
    if verb_id in VERB_LABELS:
        return str(VERB_LABELS[verb_id])
    display = display or {}
    for lang in ("zh-CN", "zh", "en-US", "en"):
        if display.get(lang):
            return str(display[lang])
    return next(iter(display.values()), verb_id.rsplit("/", 1)[-1])


def verb_display(verb_id: str) -> dict[str, str]:
    english = VERB_ENGLISH.get(verb_id, verb_id.rsplit("/", 1)[-1])
    label = VERB_LABELS.get(verb_id)
    display = {"en-US": english}
    if label is not None:
        from django.utils.translation import override

        with override("zh-hans"):
            display["zh-CN"] = str(label)
    return display


class XapiError(Exception):
    """A statement breaks a rule: answered 400 with the field and the reason."""

    def __init__(self, field: str, message: str, status: int = 400) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message
        self.status = status


@dataclass
class Clean:
    """A validated statement, ready to be stored."""

    id: uuid.UUID | None
    actor: dict[str, Any]
    actor_key: str
    account_name: str | None  # the account name when the homePage is ours
    verb_id: str
    verb_display: dict[str, str]
    object: dict[str, Any]
    object_id: str
    object_type: str
    object_name: str
    result: dict[str, Any] | None
    context: dict[str, Any] | None
    timestamp: dt.datetime | None
    content_hash: str


def _obj(value: Any, field: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise XapiError(field, _("应为 JSON 对象"))
    return value


def _unknown(value: dict[str, Any], allowed: frozenset[str], field: str) -> None:
    extra = sorted(set(value) - allowed)
    if extra:
        raise XapiError(f"{field}.{extra[0]}", _("不是 xAPI 1.0 允许的属性"))


def _iri(value: Any, field: str) -> str:
    if not isinstance(value, str) or not _IRI.match(value) or len(value) > 512:
        raise XapiError(field, _("应为绝对 IRI（如 http://…），不超过512个字符"))
    return value


def _lang_map(value: Any, field: str) -> dict[str, str]:
    value = _obj(value, field)
    for lang, text in value.items():
        if not _LANG.match(str(lang)):
            raise XapiError(f"{field}.{lang}", _("不是有效的语言标签（如 zh-CN、en-US）"))
        if not isinstance(text, str):
            raise XapiError(f"{field}.{lang}", _("应为字符串"))
    return value


def _extensions(value: Any, field: str) -> None:
    for key in _obj(value, field):
        _iri(key, f"{field}.{key}")


def clean_agent(value: Any, field: str) -> tuple[dict[str, Any], str, str | None]:
    """An Agent with exactly one identifier → (agent, key, our account name or None)."""
    agent = _obj(value, field)
    object_type = agent.get("objectType", "Agent")
    if object_type != "Agent":
        raise XapiError(f"{field}.objectType", _("只支持 Agent（不支持 Group）"))
    _unknown(agent, AGENT_KEYS, field)
    ifis = [k for k in ("mbox", "mbox_sha1sum", "openid", "account") if k in agent]
    if len(ifis) != 1:
        raise XapiError(field, _("须且只须有一个标识：mbox、mbox_sha1sum、openid 或 account 之一"))
    if "name" in agent and not isinstance(agent["name"], str):
        raise XapiError(f"{field}.name", _("应为字符串"))
    ifi = ifis[0]
    ours: str | None = None
    if ifi == "mbox":
        mbox = agent["mbox"]
        if not isinstance(mbox, str) or not re.match(r"^mailto:[^@\s]+@[^@\s]+$", mbox):
            raise XapiError(f"{field}.mbox", _("应为 mailto: 加电子邮件地址"))
        key = mbox
    elif ifi == "mbox_sha1sum":
        if not isinstance(agent["mbox_sha1sum"], str) or not _SHA1.match(agent["mbox_sha1sum"]):
            raise XapiError(f"{field}.mbox_sha1sum", _("应为40位小写十六进制 SHA-1"))
        key = "sha1:" + agent["mbox_sha1sum"]
    elif ifi == "openid":
        key = _iri(agent["openid"], f"{field}.openid")
    else:
        account = _obj(agent["account"], f"{field}.account")
        _unknown(account, frozenset({"homePage", "name"}), f"{field}.account")
        home = _iri(account.get("homePage"), f"{field}.account.homePage")
        name = account.get("name")
        if not isinstance(name, str) or not name.strip() or len(name) > 128:
            raise XapiError(f"{field}.account.name", _("应为非空字符串，不超过128个字符"))
        key = f"{home}|{name}"
        if home.rstrip("/") == site_url():
            ours = name
    return agent, key[:255], ours


def _score(value: Any, field: str) -> None:
    score = _obj(value, field)
    _unknown(score, SCORE_KEYS, field)
    for k in SCORE_KEYS & set(score):
        if isinstance(score[k], bool) or not isinstance(score[k], (int, float)):
            raise XapiError(f"{field}.{k}", _("应为数字"))
    if "scaled" in score and not -1 <= score["scaled"] <= 1:
        raise XapiError(f"{field}.scaled", _("应在 -1 到 1 之间"))
    low, high = score.get("min"), score.get("max")
    if low is not None and high is not None and low >= high:
        raise XapiError(f"{field}.min", _("应小于 max"))
    raw = score.get("raw")
    if raw is not None and ((low is not None and raw < low) or (high is not None and raw > high)):
        raise XapiError(f"{field}.raw", _("应在 min 与 max 之间"))


def _result(value: Any, field: str) -> dict[str, Any]:
    result = _obj(value, field)
    _unknown(result, RESULT_KEYS, field)
    if "score" in result:
        _score(result["score"], f"{field}.score")
    for k in ("success", "completion"):
        if k in result and not isinstance(result[k], bool):
            raise XapiError(f"{field}.{k}", _("应为 true 或 false"))
    if "response" in result and not isinstance(result["response"], str):
        raise XapiError(f"{field}.response", _("应为字符串"))
    if "duration" in result and (
        not isinstance(result["duration"], str) or not _DURATION.match(result["duration"])
    ):
        raise XapiError(f"{field}.duration", _("应为 ISO 8601 时长（如 PT1H30M）"))
    if "extensions" in result:
        _extensions(result["extensions"], f"{field}.extensions")
    return result


def _context(value: Any, field: str) -> dict[str, Any]:
    context = _obj(value, field)
    _unknown(context, CONTEXT_KEYS, field)
    if "registration" in context:
        try:
            uuid.UUID(str(context["registration"]))
        except ValueError:
            raise XapiError(f"{field}.registration", _("应为 UUID")) from None
    if "instructor" in context:
        clean_agent(context["instructor"], f"{field}.instructor")
    if "contextActivities" in context:
        acts = _obj(context["contextActivities"], f"{field}.contextActivities")
        for kind, items in acts.items():
            where = f"{field}.contextActivities.{kind}"
            if kind not in ("parent", "grouping", "category", "other"):
                raise XapiError(where, _("应为 parent、grouping、category 或 other"))
            for i, item in enumerate(items if isinstance(items, list) else [items]):
                _iri(_obj(item, f"{where}[{i}]").get("id"), f"{where}[{i}].id")
    for k in ("revision", "platform", "language"):
        if k in context and not isinstance(context[k], str):
            raise XapiError(f"{field}.{k}", _("应为字符串"))
    if "extensions" in context:
        _extensions(context["extensions"], f"{field}.extensions")
    return context


def _object(value: Any, field: str) -> tuple[dict[str, Any], str, str, str]:
    obj = _obj(value, field)
    object_type = obj.get("objectType", "Activity")
    if object_type == "Activity":
        _unknown(obj, frozenset({"objectType", "id", "definition"}), field)
        object_id = _iri(obj.get("id"), f"{field}.id")
        name = ""
        if "definition" in obj:
            definition = _obj(obj["definition"], f"{field}.definition")
            if "name" in definition:
                names = _lang_map(definition["name"], f"{field}.definition.name")
                name = next(
                    (names[k] for k in ("zh-CN", "zh", "en-US", "en") if k in names),
                    next(iter(names.values()), ""),
                )
            if "description" in definition:
                _lang_map(definition["description"], f"{field}.definition.description")
            if "type" in definition:
                _iri(definition["type"], f"{field}.definition.type")
            if "extensions" in definition:
                _extensions(definition["extensions"], f"{field}.definition.extensions")
        return obj, object_id, "Activity", name[:255]
    if object_type == "StatementRef":
        _unknown(obj, frozenset({"objectType", "id"}), field)
        try:
            ref = str(uuid.UUID(str(obj.get("id"))))
        except ValueError:
            raise XapiError(f"{field}.id", _("应为被引用记录的 UUID")) from None
        return obj, ref, "StatementRef", ""
    if object_type == "Agent":
        agent, key, _ours = clean_agent(obj, field)
        return agent, key, "Agent", str(agent.get("name", ""))[:255]
    raise XapiError(
        f"{field}.objectType",
        _("只支持 Activity、Agent 或 StatementRef，收到 %(t)s") % {"t": str(object_type)[:40]},
    )


def _timestamp(value: Any, field: str) -> dt.datetime:
    parsed = parse_datetime(value) if isinstance(value, str) else None
    if parsed is None:
        raise XapiError(field, _("应为 ISO 8601 时间（如 2026-10-12T09:00:00+08:00）"))
    if timezone.is_naive(parsed):
        parsed = parsed.replace(tzinfo=dt.UTC)
    if parsed > timezone.now() + dt.timedelta(days=1):
        raise XapiError(field, _("不能晚于当前时间"))
    return parsed


def content_hash(statement: dict[str, Any]) -> str:
    body = {k: v for k, v in statement.items() if k not in ("id", "stored", "authority", "version")}
    canonical = json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def clean_statement(value: Any, field: str = "statement") -> Clean:
    data = _obj(value, field)
    if len(json.dumps(data, ensure_ascii=False).encode()) > MAX_STATEMENT_BYTES:
        raise XapiError(field, _("记录过大（上限 64 KB）"))
    _unknown(data, STATEMENT_KEYS, field)
    statement_id: uuid.UUID | None = None
    if "id" in data:
        try:
            statement_id = uuid.UUID(str(data["id"]))
        except ValueError:
            raise XapiError(f"{field}.id", _("应为 UUID")) from None
    if "version" in data and not (
        isinstance(data["version"], str) and re.match(r"^1\.0(\.\d+)?$", data["version"])
    ):
        raise XapiError(f"{field}.version", _("只支持 1.0.x"))
    for required in ("actor", "verb", "object"):
        if required not in data:
            raise XapiError(f"{field}.{required}", _("缺少必填属性"))
    actor, actor_key, ours = clean_agent(data["actor"], f"{field}.actor")
    verb = _obj(data["verb"], f"{field}.verb")
    _unknown(verb, frozenset({"id", "display"}), f"{field}.verb")
    verb_id = _iri(verb.get("id"), f"{field}.verb.id")[:255]
    display = _lang_map(verb.get("display", {}), f"{field}.verb.display")
    obj, object_id, object_type, object_name = _object(data["object"], f"{field}.object")
    if verb_id == VOIDED_VERB and object_type != "StatementRef":
        raise XapiError(
            f"{field}.object.objectType", _("撤销（voided）记录的对象须为 StatementRef")
        )
    result = _result(data["result"], f"{field}.result") if "result" in data else None
    context = _context(data["context"], f"{field}.context") if "context" in data else None
    timestamp = _timestamp(data["timestamp"], f"{field}.timestamp") if "timestamp" in data else None
    return Clean(
        id=statement_id,
        actor=actor,
        actor_key=actor_key,
        account_name=ours,
        verb_id=verb_id,
        verb_display=display,
        object=obj,
        object_id=object_id,
        object_type=object_type,
        object_name=object_name,
        result=result,
        context=context,
        timestamp=timestamp,
        content_hash=content_hash(data),
    )


def clean_batch(payload: Any) -> list[Clean]:
    """One statement or an array of them; every one valid, or XapiError."""
    if isinstance(payload, dict):
        return [clean_statement(payload)]
    if not isinstance(payload, list) or not payload:
        raise XapiError("statements", _("应为一条记录（对象）或非空记录数组"))
    if len(payload) > MAX_BATCH:
        raise XapiError("statements", _("一次最多提交 %(n)d 条") % {"n": MAX_BATCH})
    cleaned = [clean_statement(item, f"statements[{i}]") for i, item in enumerate(payload)]
    seen: set[uuid.UUID] = set()
    for i, item in enumerate(cleaned):
        if item.id is not None:
            if item.id in seen:
                raise XapiError(f"statements[{i}].id", _("同一批中的记录标识重复"))
            seen.add(item.id)
    return cleaned


def _iso(value: dt.datetime) -> str:
    return value.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")


def statement_json(st: Statement) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": str(st.id),
        "actor": st.actor,
        "verb": {"id": st.verb_id, **({"display": st.verb_display} if st.verb_display else {})},
        "object": st.object_json,
        "timestamp": _iso(st.timestamp),
        "stored": _iso(st.stored),
        "authority": st.authority,
        "version": st.version,
    }
    if st.result is not None:
        out["result"] = st.result
    if st.context is not None:
        out["context"] = st.context
    return out
