import pytest
from django.core.management import CommandError, call_command

from eduplus.accounts.models import User


@pytest.mark.django_db
def test_createaccount_makes_an_officer_who_must_change_password():
    call_command(
        "createaccount",
        "zz-officer",
        name="赵六",
        role="county_officer",
        region="410102",
        password="Strong#Pass1",
    )
    user = User.objects.get(username="zz-officer")
    assert user.must_change_password
    assert user.role_codes() == {"county_officer"}


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ({"role": "county_officer", "region": "999999"}, "unknown region"),
        ({"role": "county_officer", "region": "4101"}, "级别"),
        ({"role": "system_admin", "password": "weak"}, "至少"),
        ({"role": "teacher", "school": "2141999999"}, "unknown school"),
    ],
)
def test_createaccount_refuses_bad_input_clearly(extra, message):
    opts = {"name": "测试", "password": "Strong#Pass1", **extra}
    with pytest.raises(CommandError, match=message):
        call_command("createaccount", "zz-bad", **opts)
    assert not User.objects.filter(username="zz-bad").exists()
