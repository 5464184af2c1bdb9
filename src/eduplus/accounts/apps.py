from django.apps import AppConfig


class AccountsConfig(AppConfig):
    """Accounts (账号, 一人一号), roles with region scope, login policy, lockout.

    Imports ``core``, ``regions``, ``schools`` and ``people``.
    """

    name = "eduplus.accounts"
    label = "accounts"
    verbose_name = "账号 Accounts"
