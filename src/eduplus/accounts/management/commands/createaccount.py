"""Create an account with one role: the way a new deployment gets its three
administrators (三员) before anyone can log in."""

from __future__ import annotations

import getpass
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from eduplus.accounts.services import account_create, role_assign
from eduplus.core.roles import Role
from eduplus.regions.models import Region
from eduplus.schools.models import School


class Command(BaseCommand):
    help = "Create an account with a role (e.g. the system, security and audit administrators)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument("--name", required=True, help="display name (姓名)")
        parser.add_argument("--role", required=True, choices=Role.values)
        parser.add_argument("--region", help="region code for officers (41, 4101, 410102)")
        parser.add_argument("--school", help="学校标识码 for school roles")
        parser.add_argument("--password", help="initial password (prompted when omitted)")

    def handle(self, *args: Any, **opts: Any) -> None:
        region = school = None
        if opts["region"]:
            region = Region.objects.filter(code=opts["region"]).first()
            if region is None:
                raise CommandError(f"unknown region code {opts['region']}")
        if opts["school"]:
            school = School.objects.filter(code=opts["school"]).first()
            if school is None:
                raise CommandError(f"unknown school code {opts['school']}")
        password = opts["password"] or getpass.getpass("password: ")
        try:
            with transaction.atomic():
                user = account_create(
                    username=opts["username"],
                    display_name=opts["name"],
                    password=password,
                    must_change_password=True,
                )
                role_assign(user=user, role=opts["role"], region=region, school=school)
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages)) from exc
        self.stdout.write(f"created {user.username} ({Role(opts['role']).label})")
