import pytest

from eduplus.regions.models import Region


@pytest.mark.django_db
def test_migrate_loads_every_gbt2260_division():
    assert Region.objects.filter(level=1).count() == 31
    assert Region.objects.filter(level=2).count() == 342
    assert Region.objects.filter(level=3).count() == 2978
    zhongyuan = Region.objects.get(code="410102")
    assert zhongyuan.name == "中原区"
    assert zhongyuan.parent.code == "4101"
    assert zhongyuan.parent.parent.name == "河南省"


@pytest.mark.django_db
def test_every_code_nests_under_its_parent():
    for code, parent in Region.objects.exclude(parent=None).values_list("code", "parent_id"):
        assert code.startswith(parent)


@pytest.mark.django_db
def test_placeholder_cities_read_with_their_province():
    assert Region.objects.get(code="1101").display_name == "北京市市辖区"
    assert Region.objects.get(code="4190").display_name == "省直辖县级行政区划"
