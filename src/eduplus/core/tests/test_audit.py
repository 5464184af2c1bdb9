import pytest
from django.db import DatabaseError, connection, transaction

from eduplus.core.audit import audit_record
from eduplus.core.models import AuditEntry


@pytest.mark.django_db
def test_audit_log_refuses_update_and_delete_in_orm_and_sql(rf):
    request = rf.get("/", REMOTE_ADDR="10.1.2.3", HTTP_USER_AGENT="pytest")
    entry = audit_record(
        actor=None, username="nobody", action="auth.login", result="failure", request=request
    )
    assert entry.source_ip == "10.1.2.3"
    assert entry.occurred_at.tzinfo is not None
    with pytest.raises(PermissionError):
        entry.save()
    with pytest.raises(PermissionError):
        entry.delete()
    with pytest.raises(PermissionError):
        AuditEntry.objects.filter(pk=entry.pk).update(action="x")
    with pytest.raises(PermissionError):
        AuditEntry.objects.all().delete()
    for sql in (
        "UPDATE core_auditentry SET action = 'tampered'",
        "DELETE FROM core_auditentry",
    ):
        with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql)
    assert AuditEntry.objects.get(pk=entry.pk).action == "auth.login"
