"""Pages: one's own space, favourites, teacher pages, groups, usage rates, LRS clients."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from eduplus.resources.tests.factories import public_resource, resource_objects
from eduplus.spaces import services, xapi
from eduplus.spaces.models import Favourite, GroupMembership, GroupPost, LrsClient, Statement
from eduplus.spaces.tests.factories import teaching_group
from eduplus.testing import factories as f


@pytest.mark.django_db
def test_a_student_favourites_a_resource_and_finds_it_in_their_space(world, login, client):
    resource = public_resource()
    login(world.a.users["student"])
    empty = client.get("/spaces/").content.decode()
    assert "还没有收藏" in empty and "去找资源" in empty
    response = client.post(f"/spaces/favourites/{resource.pk}/toggle/", {"next": "/spaces/"})
    assert response.status_code == 302 and response["Location"] == "/spaces/"
    assert Favourite.objects.filter(user=world.a.users["student"], resource=resource).exists()
    assert Statement.objects.filter(
        user=world.a.users["student"], verb_id=xapi.VERB_IDS["favorited"], resource=resource
    ).exists()
    page = client.get("/spaces/").content.decode()
    assert resource.title in page and "收藏了" in page
    # htmx: the partial comes back, now "已收藏"; a second toggle removes the favourite.
    partial = client.post(
        f"/spaces/favourites/{resource.pk}/toggle/", HTTP_HX_REQUEST="true"
    ).content.decode()
    assert "☆" in partial and "<html" not in partial
    assert not Favourite.objects.filter(user=world.a.users["student"]).exists()
    # An offsite "next" is ignored.
    response = client.post(
        f"/spaces/favourites/{resource.pk}/toggle/", {"next": "https://evil.example/"}
    )
    assert response["Location"] == f"/resources/{resource.pk}/"


@pytest.mark.django_db
def test_the_favourite_button_partial_renders_for_the_resource(world, login, client):
    from django.template.loader import render_to_string
    from django.test import RequestFactory

    resource = public_resource()
    request = RequestFactory().get(f"/resources/{resource.pk}/")
    request.user = world.a.users["student"]
    html = render_to_string(
        "spaces/_favourite_button.html",
        {"resource": resource, "user_actions": request.user.allowed_actions()},
        request=request,
    )
    assert f"/spaces/favourites/{resource.pk}/toggle/" in html and "收藏" in html
    officer = world.a.users["county_officer"]
    request.user = officer
    assert (
        render_to_string(
            "spaces/_favourite_button.html",
            {"resource": resource, "user_actions": officer.allowed_actions()},
            request=request,
        ).strip()
        == ""
    )


@pytest.mark.django_db
def test_a_resource_under_review_cannot_be_favourited_by_a_student(world, login, client):
    submitted = resource_objects(world.a)["submitted"]
    login(world.a.users["student"])
    assert client.post(f"/spaces/favourites/{submitted.pk}/toggle/").status_code == 404
    assert not Favourite.objects.exists()


@pytest.mark.django_db
def test_a_teacher_page_shows_only_published_resources(world, login, client):
    from eduplus.resources.tests.factories import published

    draft = resource_objects(world.a)["submitted"]
    done = published(world.a, "分数的初步认识 教学设计")
    login(world.a.users["school_admin"])
    page = client.get(f"/spaces/teachers/{world.a.teacher.pk}/").content.decode()
    assert done.title in page and draft.title not in page
    client.logout()
    login(world.b.users["teacher"])
    assert client.get(f"/spaces/teachers/{world.a.teacher.pk}/").status_code == 404


@pytest.mark.django_db
def test_space_shows_classes_and_the_activity_record_is_paginated(world, login, client):
    teacher = world.a.users["teacher"]
    start = timezone.now() - dt.timedelta(days=30)
    for i in range(25):
        services.statement_record(
            user=teacher, verb="viewed", object_id=f"https://x.cn/{i}", object_name=f"第{i}课",
            timestamp=start + dt.timedelta(hours=i),
        )  # fmt: skip
    login(teacher)
    home = client.get("/spaces/").content.decode()
    assert "三年级（1）班" in home and "四年级（2）班" not in home
    first = client.get("/spaces/activity/").content.decode()
    assert "第24课" in first and "第0课" not in first
    second = client.get("/spaces/activity/?page=2").content.decode()
    assert "第0课" in second


@pytest.mark.django_db
def test_groups_create_invite_join_post_share(world, login, client):
    a = world.a
    colleague_person = f.TeacherFactory(school=a.school, person=f.PersonFactory(name="甲同事"))
    colleague = f.user_with_role(
        "teacher", school=a.school, person=colleague_person.person, username="a-colleague"
    )
    login(a.users["teacher"])
    response = client.post("/spaces/groups/", {"name": "语文教研组", "reach": "school"})
    assert response.status_code == 302
    group_url = response["Location"]
    pk = int(group_url.rstrip("/").rsplit("/", 1)[1])
    # Invitations only within reach; a missing account and an out-of-reach one look alike.
    client.post(f"/spaces/groups/{pk}/invite/", {"username": world.b.users["teacher"].username})
    client.post(f"/spaces/groups/{pk}/invite/", {"username": "nobody"})
    assert GroupMembership.objects.filter(group_id=pk).count() == 1
    client.post(f"/spaces/groups/{pk}/invite/", {"username": colleague.username})
    assert GroupMembership.objects.filter(group_id=pk, user=colleague, status="invited").exists()
    # Posts are escaped and length-limited.
    client.post(f"/spaces/groups/{pk}/posts/", {"body": "<script>alert(1)</script>研讨"})
    page = client.get(group_url).content.decode()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;研讨" in page and "<script>alert" not in page
    client.post(f"/spaces/groups/{pk}/posts/", {"body": "长" * 2001})
    assert GroupPost.objects.filter(group_id=pk).count() == 1
    # Sharing: only published resources.
    resource = public_resource()
    services.favourite_add(user=a.users["teacher"], resource=resource)
    client.post(f"/spaces/groups/{pk}/share/", {"resource": resource.pk})
    assert resource.title in client.get(group_url).content.decode()
    draft = resource_objects(a)["submitted"]
    client.post(f"/spaces/groups/{pk}/share/", {"resource": draft.pk})
    assert draft.title not in client.get(group_url).content.decode()
    # The colleague accepts; a teacher of county B never sees the group.
    client.logout()
    login(colleague)
    assert "语文教研组" in client.get("/spaces/").content.decode()
    client.post(f"/spaces/groups/{pk}/join/")
    assert GroupMembership.objects.get(group_id=pk, user=colleague).status == "active"
    assert "研讨" in client.get(group_url).content.decode()
    client.logout()
    login(world.b.users["teacher"])
    assert client.get(group_url).status_code == 404
    assert client.post(f"/spaces/groups/{pk}/join/").status_code == 404
    client.logout()
    login(a.users["student"])
    assert client.get(group_url).status_code == 403


@pytest.mark.django_db
def test_a_non_member_sees_only_the_join_form(world, login, client):
    group = teaching_group(world.a)
    services.group_post_create(group=group, user=world.a.users["teacher"], body="内部研讨内容")
    other = f.TeacherFactory(school=world.a.school, person=f.PersonFactory(name="甲新教师"))
    newcomer = f.user_with_role("teacher", school=world.a.school, person=other.person)
    login(newcomer)
    page = client.get(f"/spaces/groups/{group.pk}/").content.decode()
    assert "内部研讨内容" not in page and "加入教研组" in page
    client.post(f"/spaces/groups/{group.pk}/join/")
    assert "内部研讨内容" in client.get(f"/spaces/groups/{group.pk}/").content.decode()


@pytest.mark.django_db
def test_usage_page_for_county_officer_and_school_admin(world, login, client):
    services.statement_record(user=world.a.users["teacher"], verb="viewed",
                              object_id="https://x.cn/a")  # fmt: skip
    login(world.a.users["county_officer"])
    page = client.get("/spaces/usage/").content.decode()
    assert "甲哨兵实验小学" in page and "1 / 1" in page and "100.0%" in page
    assert "乙哨兵" not in page
    assert client.get("/spaces/usage/?region=410202").status_code == 404
    csv_text = client.get("/spaces/usage/export.csv").content.decode("utf-8-sig")
    assert "甲哨兵实验小学" in csv_text and "100.0" in csv_text
    client.logout()
    login(world.province_officer)
    page = client.get("/spaces/usage/").content.decode()
    assert "郑州市" in page and "开封市" in page
    page = client.get("/spaces/usage/?region=4101").content.decode()
    assert "中原区" in page
    client.logout()
    login(world.a.users["school_admin"])
    page = client.get("/spaces/usage/").content.decode()
    assert "甲哨兵实验小学" in page and "乙哨兵" not in page
    client.logout()
    login(world.a.users["teacher"])
    assert client.get("/spaces/usage/").status_code == 403


@pytest.mark.django_db
def test_lrs_client_page_shows_the_secret_once(world, login, client):
    login(world.a.users["county_officer"])
    page = client.post("/spaces/lrs-clients/", {"name": "区作业平台", "region": "410102"})
    text = page.content.decode()
    created = LrsClient.objects.get(name="区作业平台")
    assert created.key in text and "密钥只显示这一次" in text
    assert created.region_id == "410102"
    assert "区作业平台" in client.get("/spaces/lrs-clients/").content.decode()
    assert "密钥只显示这一次" not in client.get("/spaces/lrs-clients/").content.decode()
    # Only regions of one's own scope.
    client.post("/spaces/lrs-clients/", {"name": "越权", "region": "410202"})
    assert not LrsClient.objects.filter(name="越权").exists()
    client.post(f"/spaces/lrs-clients/{created.pk}/revoke/")
    created.refresh_from_db()
    assert not created.active


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("role", "path"),
    [
        ("teacher", "/spaces/"),
        ("student", "/spaces/"),
        ("teacher", "/spaces/activity/"),
        ("teacher", "/spaces/favourites/"),
        ("teacher", "/spaces/groups/"),
        ("county_officer", "/spaces/usage/"),
        ("county_officer", "/spaces/lrs-clients/"),
    ],
)
def test_list_pages_run_a_bounded_number_of_queries(
    world, login, client, django_assert_max_num_queries, role, path
):
    user = world.a.users[role]
    resource = public_resource()
    if role in ("teacher", "student"):
        services.favourite_add(user=user, resource=resource)
        for i in range(15):
            services.statement_record(user=user, verb="viewed", object_id=f"https://x.cn/{i}",
                                      resource=resource)  # fmt: skip
    if role == "teacher":
        for i in range(4):
            services.group_create(user=user, name=f"教研组{i}")
    login(user)
    client.get(path)  # warm the per-process caches (sessions, scope)
    with django_assert_max_num_queries(22):
        response = client.get(path)
    assert response.status_code == 200
