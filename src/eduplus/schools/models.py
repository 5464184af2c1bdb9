"""Schools (学校), teaching points (教学点) and classes (班级)."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from eduplus.core.scoping import ScopedManager, ScopeFields
from eduplus.regions.models import Region
from eduplus.schools.codes import CODE_PREFIX_TYPES, GRADE_NAMES, SchoolType, UrbanRural
from eduplus.schools.validators import validate_school_code


class School(models.Model):
    code = models.CharField(
        _("学校标识码"), max_length=10, unique=True, validators=[validate_school_code]
    )
    name = models.CharField(_("学校名称"), max_length=128, db_index=True)
    school_type = models.CharField(_("办学类型"), max_length=3, choices=SchoolType.choices)
    urban_rural = models.CharField(
        _("城乡类型"), max_length=3, choices=UrbanRural.choices, blank=True
    )
    # The finest region known: a county normally; a city or the province when a list
    # (such as the Ministry's higher-education list) names no finer one.
    region = models.ForeignKey(
        Region, verbose_name=_("所在地"), on_delete=models.PROTECT, related_name="schools"
    )
    parent_school = models.ForeignKey(
        "self",
        verbose_name=_("所属学校"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="teaching_points",
        help_text=_("教学点所属的中心校"),
    )
    authority = models.CharField(_("主管部门"), max_length=64, blank=True)
    level_label = models.CharField(_("办学层次"), max_length=32, blank=True)
    address = models.CharField(_("地址"), max_length=255, blank=True)
    remarks = models.CharField(_("备注"), max_length=255, blank=True)
    student_count = models.PositiveIntegerField(_("在校生数"), default=0)
    teacher_count = models.PositiveIntegerField(_("专任教师数"), default=0)
    class_count = models.PositiveIntegerField(_("班级数"), default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    scope_fields = ScopeFields(region="region_id", school="id")
    objects = ScopedManager()

    class Meta:
        verbose_name = _("学校")
        verbose_name_plural = _("学校")
        ordering = ["region_id", "code"]
        indexes = [
            models.Index(fields=["region", "code"], name="school_region_code_idx"),
            models.Index(fields=["school_type", "region"], name="school_type_region_idx"),
            # Covers the region rollups (counts and headcount sums by region prefix and
            # type), so dashboards aggregate from the index alone.
            models.Index(
                fields=["region", "school_type", "student_count", "teacher_count", "class_count"],
                name="school_rollup_idx",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(code__regex=r"^[0-9]{10}$"),
                name="school_code_ten_digits",
                violation_error_message=_("学校标识码应为10位数字"),
            ),
            models.CheckConstraint(
                condition=models.Q(parent_school__isnull=True) | models.Q(school_type="218"),
                name="school_only_teaching_points_have_parent",
                violation_error_message=_("只有教学点可以隶属于其他学校"),
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_teaching_point(self) -> bool:
        return self.school_type == SchoolType.TEACHING_POINT

    def clean(self) -> None:
        errors: dict[str, str] = {}
        if self.code and self.school_type:
            allowed = CODE_PREFIX_TYPES.get(self.code[:2], frozenset())
            if allowed and self.school_type not in allowed:
                errors["school_type"] = str(_("办学类型与学校标识码前两位不一致"))
        if self.code and self.region_id and self.code[2:4] != str(self.region_id)[:2]:
            errors["region"] = str(_("所在地不在学校标识码所示的省份内"))
        if self.parent_school_id and self.parent_school_id == self.pk:
            errors["parent_school"] = str(_("学校不能隶属于自己"))
        if (
            self.pk
            and self.school_type == SchoolType.TEACHING_POINT
            and School.objects.filter(parent_school_id=self.pk).exists()
        ):
            errors["school_type"] = str(_("该学校下设教学点，不能改为教学点"))
        if errors:
            raise ValidationError(errors)


class SchoolClass(models.Model):
    """A class (班级) in a school. Teachers see the people of their classes."""

    school = models.ForeignKey(
        School, verbose_name=_("学校"), on_delete=models.CASCADE, related_name="classes"
    )
    grade = models.PositiveSmallIntegerField(_("年级"))
    number = models.PositiveSmallIntegerField(_("班号"))
    entry_year = models.PositiveSmallIntegerField(_("入学年份"))
    name = models.CharField(_("班级名称"), max_length=64)

    scope_fields = ScopeFields(region="school__region_id", school="school_id", klass="id")
    objects = ScopedManager()

    class Meta:
        verbose_name = _("班级")
        verbose_name_plural = _("班级")
        ordering = ["school_id", "grade", "number"]
        constraints = [
            models.UniqueConstraint(
                fields=["school", "entry_year", "grade", "number"],
                name="class_unique_in_school",
                violation_error_message=_("该学校已有同年级同班号的班级"),
            ),
            models.CheckConstraint(
                condition=models.Q(grade__lte=16),
                name="class_grade_range",
                violation_error_message=_("年级应在0（幼儿园）到16之间"),
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @staticmethod
    def default_name(grade: int, number: int) -> str:
        return f"{GRADE_NAMES.get(grade, str(grade))}（{number}）班"
