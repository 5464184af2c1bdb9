"""Regions (行政区划) and education agencies (教育行政部门)."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from eduplus.core.scoping import ScopedManager, ScopeFields


class RegionLevel(models.IntegerChoices):
    PROVINCE = 1, _("省级")
    CITY = 2, _("市级")
    COUNTY = 3, _("县级")


CODE_LENGTH = {RegionLevel.PROVINCE: 2, RegionLevel.CITY: 4, RegionLevel.COUNTY: 6}
LEVEL_BY_LENGTH = {2: RegionLevel.PROVINCE, 4: RegionLevel.CITY, 6: RegionLevel.COUNTY}


class Region(models.Model):
    """A GB/T 2260 division. Codes nest by prefix: 41 → 4101 → 410102."""

    code = models.CharField(_("区划代码"), max_length=6, primary_key=True)
    name = models.CharField(_("名称"), max_length=64)
    level = models.PositiveSmallIntegerField(_("级别"), choices=RegionLevel.choices)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("上级"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )

    scope_fields = ScopeFields(region="code")
    objects = ScopedManager()

    class Meta:
        verbose_name = _("行政区划")
        verbose_name_plural = _("行政区划")
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    models.Q(level=1, code__regex=r"^[0-9]{2}$")
                    | models.Q(level=2, code__regex=r"^[0-9]{4}$")
                    | models.Q(level=3, code__regex=r"^[0-9]{6}$")
                ),
                name="region_code_matches_level",
                violation_error_message=_("区划代码位数与级别不符"),
            )
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def display_name(self) -> str:
        """City-level placeholders (市辖区, 省直辖县级行政区划) read better with the parent."""
        if self.level == RegionLevel.CITY and self.name in {"市辖区", "县"}:
            parent = self.parent
            return f"{parent.name}{self.name}" if parent else self.name
        return self.name

    def path(self) -> list[Region]:
        """Province, city, county down to this region (names are public facts)."""
        chain: list[Region] = []
        node: Region | None = self
        while node is not None:
            chain.append(node)
            node = node.parent
        return list(reversed(chain))

    def ancestor_codes(self) -> list[str]:
        return [self.code[:n] for n in (2, 4, 6) if n <= len(self.code)]


class AgencyKind(models.TextChoices):
    DEPARTMENT = "department", _("教育厅")
    BUREAU = "bureau", _("教育局")


class Agency(models.Model):
    """An education administration (教育厅 / 市教育局 / 县教育局) attached to a region."""

    name = models.CharField(_("名称"), max_length=128)
    kind = models.CharField(_("类别"), max_length=16, choices=AgencyKind.choices)
    region = models.OneToOneField(
        Region, verbose_name=_("所属区划"), on_delete=models.PROTECT, related_name="agency"
    )
    address = models.CharField(_("地址"), max_length=255, blank=True)
    phone = models.CharField(_("电话"), max_length=32, blank=True)

    scope_fields = ScopeFields(region="region_id")
    objects = ScopedManager()

    class Meta:
        verbose_name = _("教育行政部门")
        verbose_name_plural = _("教育行政部门")
        ordering = ["region_id"]

    def __str__(self) -> str:
        return self.name
