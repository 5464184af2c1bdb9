"""``seed --reset`` outside any transaction, as the command runs it: on SQLite the deletes
run with foreign-key enforcement off (SQLite's truncate path) and every foreign key is
checked before the commit. Transactional test, so the shared database is made flushable
(audit triggers off) and restored afterwards (regions, triggers), as for the browser
tests."""

import io

import pytest
from django.db import connection

from eduplus.accounts.models import User
from eduplus.core.models import AuditEntry
from eduplus.demo.scales import SCALES
from eduplus.demo.services import seed_province, seed_reset
from eduplus.people.models import Person, Student
from eduplus.schools.models import School
from eduplus.testing import factories as f
from eduplus.testing.database import (  # noqa: F401 - autouse fixtures
    flushable_database,
    shared_database_restored,
)

pytestmark = pytest.mark.django_db(transaction=True)


def test_reset_outside_a_transaction_empties_the_demo_and_keeps_the_rest():
    admin_person = f.PersonFactory(name="运维管理员")
    own_admin = f.user_with_role("security_admin", username="ops-sec", person=admin_person)
    seed_province(scale=SCALES["tiny"], seed=5, province="41", stdout=io.StringIO())
    assert Student.objects.exists()
    audit_before = AuditEntry.objects.count()
    assert not connection.in_atomic_block

    deleted = seed_reset(stdout=io.StringIO())

    assert deleted["students"] > 1000 and deleted["schools"] > 0
    assert not School.objects.exists() and not Student.objects.exists()
    # The kept administrator and their person remain; the audit log grew by one entry.
    assert list(User.objects.values_list("username", flat=True)) == [own_admin.username]
    assert list(Person.objects.values_list("pk", flat=True)) == [admin_person.pk]
    assert AuditEntry.objects.count() == audit_before + 1
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA foreign_keys")
            assert cursor.fetchone()[0] == 1  # enforcement is back on
    # And the province can be seeded again on top.
    seed_province(scale=SCALES["tiny"], seed=5, province="41", stdout=io.StringIO())
    assert User.objects.filter(username="teacher").exists()
