import pytest

from eduplus.core import idnumber
from eduplus.core.models import AuditEntry


@pytest.mark.django_db
def test_lists_mask_id_numbers_and_every_read_is_audited(world, login):
    client = login(world.a.users["county_officer"])
    full = world.a.student.person.id_number
    page = client.get("/people/students/").content.decode()
    assert "甲哨兵学生" in page
    assert full not in page
    assert idnumber.mask(full) in page
    entry = AuditEntry.objects.filter(action="person.list").latest("id")
    assert entry.actor_username == world.a.users["county_officer"].username
    assert world.a.student.pk in entry.details["ids"]
    detail = client.get(f"/people/students/{world.a.student.pk}/").content.decode()
    assert full not in detail
    assert AuditEntry.objects.filter(
        action="person.view", target_id=str(world.a.student.pk)
    ).exists()


@pytest.mark.django_db
def test_officer_cannot_reveal_full_id_number(world, login):
    client = login(world.a.users["county_officer"])
    response = client.post(f"/people/students/{world.a.student.pk}/id-number/")
    assert response.status_code == 403
    assert AuditEntry.objects.filter(action="permission.denied", result="denied").exists()


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["school_admin", "parent", "student"])
def test_roles_that_need_it_reveal_the_number_and_it_is_audited(world, login, role):
    client = login(world.a.users[role])
    response = client.post(f"/people/students/{world.a.student.pk}/id-number/")
    assert response.status_code == 200
    assert world.a.student.person.id_number in response.content.decode()
    assert AuditEntry.objects.filter(
        action="person.reveal_id_number", target_id=str(world.a.student.person_id)
    ).exists()


@pytest.mark.django_db
def test_reveal_is_post_only(world, login):
    client = login(world.a.users["school_admin"])
    assert client.get(f"/people/students/{world.a.student.pk}/id-number/").status_code == 405


@pytest.mark.django_db
def test_api_never_returns_full_id_numbers(world, login):
    client = login(world.a.users["school_admin"])
    body = client.get("/api/people/students").json()
    assert body["count"] == 2
    masked = [item["id_number_masked"] for item in body["items"] if item["id_number_masked"]]
    assert masked and all("*" in m for m in masked)
    assert world.a.student.person.id_number not in str(body)
