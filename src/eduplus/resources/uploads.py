"""What may be uploaded, and reading an uploaded file: type, size, signature, hash.

Each resource type accepts a few formats with a size limit. A file is accepted only if
its first bytes match the format its name claims (a renamed executable is refused),
and it is hashed (SHA-256) while it is read, so that the same content uploaded twice is
recognised as one resource. Videos in MP4 report their duration from the ``mvhd`` box.
"""

from __future__ import annotations

import hashlib
import struct
from collections.abc import Iterable
from dataclasses import dataclass
from typing import IO

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from eduplus.resources.models import ResourceType

MB = 1024 * 1024


@dataclass(frozen=True)
class Format:
    extension: str
    mime_type: str
    # Byte strings one of which the file must start with (at ``offset``).
    signatures: tuple[bytes, ...]
    offset: int = 0


_ZIP = (b"PK\x03\x04",)
_OLE = (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1",)  # legacy Office (.doc, .ppt)
FORMATS: dict[str, Format] = {
    f.extension: f
    for f in [
        Format("pdf", "application/pdf", (b"%PDF-",)),
        Format(
            "pptx",
            "application/vnd.openxmlformats-officedocument.presentationml.presentation",
            _ZIP,
        ),
        Format("ppt", "application/vnd.ms-powerpoint", _OLE),
        Format(
            "docx",
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            _ZIP,
        ),
        Format("doc", "application/msword", _OLE),
        Format("mp4", "video/mp4", (b"ftyp",), offset=4),
        Format("webm", "video/webm", (b"\x1a\x45\xdf\xa3",)),
        Format("png", "image/png", (b"\x89PNG\r\n\x1a\n",)),
        Format("jpg", "image/jpeg", (b"\xff\xd8\xff",)),
        Format("jpeg", "image/jpeg", (b"\xff\xd8\xff",)),
        Format("epub", "application/epub+zip", _ZIP),
        Format("zip", "application/zip", _ZIP),
    ]
}

# Resource type → (accepted extensions, default size limit in bytes).
TYPE_RULES: dict[str, tuple[tuple[str, ...], int]] = {
    ResourceType.COURSEWARE: (("pptx", "ppt", "pdf"), 100 * MB),
    ResourceType.MICRO_VIDEO: (("mp4", "webm"), 500 * MB),
    ResourceType.LESSON_PLAN: (("docx", "doc", "pdf"), 20 * MB),
    ResourceType.EXERCISE: (("docx", "doc", "pdf", "png", "jpg", "jpeg"), 20 * MB),
    ResourceType.DIGITAL_TEXTBOOK: (("pdf", "epub"), 300 * MB),
    # An HTML5 simulation is uploaded as a zip package.
    ResourceType.SIMULATION: (("zip",), 300 * MB),
}

# Formats the browser shows in the page; the others are downloaded.
PREVIEW_KINDS = {
    "pdf": "pdf",
    "png": "image",
    "jpg": "image",
    "jpeg": "image",
    "mp4": "video",
    "webm": "video",
}


def preview_kind(extension: str) -> str:
    return PREVIEW_KINDS.get(extension, "")


def max_size(resource_type: str) -> int:
    """The size limit of a type; ``RESOURCES_MAX_UPLOAD_BYTES`` lowers every limit."""
    limit = TYPE_RULES[resource_type][1]
    ceiling = getattr(settings, "RESOURCES_MAX_UPLOAD_BYTES", None)
    return min(limit, int(ceiling)) if ceiling else limit


def human_size(size: int) -> str:
    if size >= MB:
        return f"{size / MB:.1f} MB"
    if size >= 1024:
        return f"{size / 1024:.0f} KB"
    return f"{size} B"


def extension_of(name: str) -> str:
    return name.rsplit(".", 1)[-1].lower() if "." in name else ""


@dataclass(frozen=True)
class CheckedFile:
    sha256: str
    size: int
    extension: str
    mime_type: str
    duration_seconds: int | None


def check_upload(
    *, name: str, size: int, chunks: Iterable[bytes], resource_type: str
) -> CheckedFile:
    """Validate one uploaded file and hash it. Raises ValidationError (Chinese messages)
    keyed by ``file``; nothing is written anywhere."""
    if resource_type not in TYPE_RULES:
        raise ValidationError({"resource_type": _("请选择资源类型")})
    allowed, _limit = TYPE_RULES[resource_type]
    type_label = ResourceType(resource_type).label
    extension = extension_of(name)
    if extension not in allowed:
        raise ValidationError(
            {
                "file": _("“%(type)s”只接受以下格式：%(formats)s；该文件的格式为“%(ext)s”")
                % {
                    "type": type_label,
                    "formats": "、".join(allowed),
                    "ext": extension or _("无扩展名"),
                }
            }
        )
    if size <= 0:
        raise ValidationError({"file": _("文件为空（0 字节），请重新选择文件")})
    limit = max_size(resource_type)
    if size > limit:
        raise ValidationError(
            {
                "file": _("文件过大：%(size)s，“%(type)s”最大 %(limit)s")
                % {"size": human_size(size), "type": type_label, "limit": human_size(limit)}
            }
        )
    fmt = FORMATS[extension]
    digest = hashlib.sha256()
    head = b""
    read = 0
    for chunk in chunks:
        if len(head) < 64:
            head += chunk[: 64 - len(head)]
        digest.update(chunk)
        read += len(chunk)
    if read == 0:
        raise ValidationError({"file": _("文件为空（0 字节），请重新选择文件")})
    if not any(head[fmt.offset :].startswith(sig) for sig in fmt.signatures):
        raise ValidationError(
            {
                "file": _("文件内容与扩展名“%(ext)s”不符，可能已损坏或被改名，请上传原始文件")
                % {"ext": extension}
            }
        )
    return CheckedFile(
        sha256=digest.hexdigest(),
        size=read,
        extension=extension,
        mime_type=fmt.mime_type,
        duration_seconds=None,
    )


def mp4_duration_seconds(stream: IO[bytes]) -> int | None:
    """The duration in the ``moov/mvhd`` box of an MP4 file, or None.

    Walks the top-level boxes (skipping ``mdat`` without reading it), then the boxes of
    ``moov``. Never reads more than the headers.
    """
    try:
        stream.seek(0)
        end = _box_end(stream, None)
        moov = _find_box(stream, b"moov", end)
        if moov is None:
            return None
        mvhd = _find_box(stream, b"mvhd", moov)
        if mvhd is None:
            return None
        version = stream.read(4)[0]
        if version == 1:
            stream.read(16)  # creation and modification times (64-bit)
            timescale, duration = struct.unpack(">IQ", stream.read(12))
        else:
            stream.read(8)
            timescale, duration = struct.unpack(">II", stream.read(8))
    except (OSError, struct.error, IndexError):
        return None
    if timescale <= 0:
        return None
    return round(duration / timescale)


def _box_end(stream: IO[bytes], limit: int | None) -> int:
    if limit is not None:
        return limit
    here = stream.tell()
    stream.seek(0, 2)
    end = stream.tell()
    stream.seek(here)
    return end


def _find_box(stream: IO[bytes], wanted: bytes, end: int) -> int | None:
    """Position the stream after the header of the first ``wanted`` box before ``end``;
    return that box's end offset."""
    while stream.tell() + 8 <= end:
        start = stream.tell()
        size, kind = struct.unpack(">I4s", stream.read(8))
        header = 8
        if size == 1:
            size = struct.unpack(">Q", stream.read(8))[0]
            header = 16
        elif size == 0:
            size = end - start
        if size < header:
            return None
        if kind == wanted:
            return start + size
        stream.seek(start + size)
    return None
