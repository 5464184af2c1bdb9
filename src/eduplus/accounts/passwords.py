"""Password policy validators (等保 level 3 defaults, configurable in settings)."""

from __future__ import annotations

import string
from typing import Any

from django.conf import settings
from django.contrib.auth.hashers import check_password
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _


def _classes(password: str) -> int:
    return sum(
        [
            any(c in string.ascii_lowercase for c in password),
            any(c in string.ascii_uppercase for c in password),
            any(c in string.digits for c in password),
            any(not c.isalnum() for c in password),
        ]
    )


class LengthAndClassesValidator:
    def validate(self, password: str, user: Any = None) -> None:
        min_length = settings.EDUPLUS_PASSWORD_MIN_LENGTH
        min_classes = settings.EDUPLUS_PASSWORD_MIN_CLASSES
        problems = []
        if len(password) < min_length:
            problems.append(
                ValidationError(
                    _("密码至少需要 %(n)d 个字符") % {"n": min_length}, code="password_too_short"
                )
            )
        if _classes(password) < min_classes:
            problems.append(
                ValidationError(
                    _("密码须包含大写字母、小写字母、数字、符号中的至少 %(n)d 类")
                    % {"n": min_classes},
                    code="password_too_simple",
                )
            )
        if problems:
            raise ValidationError(problems)

    def get_help_text(self) -> str:
        return _("至少 %(len)d 个字符，包含大写字母、小写字母、数字、符号中的至少 %(cls)d 类") % {
            "len": settings.EDUPLUS_PASSWORD_MIN_LENGTH,
            "cls": settings.EDUPLUS_PASSWORD_MIN_CLASSES,
        }


class HistoryValidator:
    """Refuse the current password and the last N (EDUPLUS_PASSWORD_HISTORY)."""

    def validate(self, password: str, user: Any = None) -> None:
        if user is None or not getattr(user, "pk", None):
            return
        keep = settings.EDUPLUS_PASSWORD_HISTORY
        hashes = [user.password] if user.password else []
        hashes += list(user.password_history.values_list("password", flat=True)[:keep])
        if any(h and check_password(password, h) for h in hashes):
            raise ValidationError(
                _("不能使用最近 %(n)d 次用过的密码") % {"n": keep}, code="password_reused"
            )

    def get_help_text(self) -> str:
        return _("不能与最近 %(n)d 次的密码相同") % {"n": settings.EDUPLUS_PASSWORD_HISTORY}
