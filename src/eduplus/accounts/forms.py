from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from eduplus.core.roles import Role


class LoginForm(forms.Form):
    username = forms.CharField(label=_("账号"), max_length=150)
    password = forms.CharField(label=_("密码"), widget=forms.PasswordInput, max_length=256)


class PasswordChangeForm(forms.Form):
    old_password = forms.CharField(label=_("原密码"), widget=forms.PasswordInput)
    new_password = forms.CharField(label=_("新密码"), widget=forms.PasswordInput)
    new_password2 = forms.CharField(label=_("确认新密码"), widget=forms.PasswordInput)

    def clean(self) -> dict:  # type: ignore[type-arg]
        data = super().clean() or {}
        if data.get("new_password") != data.get("new_password2"):
            self.add_error("new_password2", _("两次输入的新密码不一致"))
        return data


class AccountCreateForm(forms.Form):
    username = forms.RegexField(
        label=_("账号"),
        regex=r"^[A-Za-z0-9_.@-]{3,150}$",
        error_messages={"invalid": _("账号只能包含字母、数字和 _ . @ -，至少3位")},
    )
    display_name = forms.CharField(label=_("姓名"), max_length=64)
    password = forms.CharField(label=_("初始密码"), widget=forms.PasswordInput)
    role = forms.ChoiceField(label=_("角色"), choices=Role.choices)
    region = forms.CharField(
        label=_("管辖区域代码"),
        required=False,
        max_length=6,
        help_text=_("教育管理者填写省/市/县区划代码"),
    )
    school = forms.CharField(
        label=_("学校标识码"),
        required=False,
        max_length=10,
        help_text=_("学校管理员、教师、学生填写"),
    )
