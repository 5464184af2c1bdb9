"""People and their school roles. Personal data: ID numbers and minors' records are
masked by default and every read of them is audited (see people.views)."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from eduplus.core.scoping import ScopedManager, ScopeFields
from eduplus.regions.models import Region
from eduplus.schools.models import School, SchoolClass


class Gender(models.IntegerChoices):
    """GB/T 2261.1."""

    MALE = 1, _("男")
    FEMALE = 2, _("女")


class Person(models.Model):
    """One human being (一人一号 gives each at most one account)."""

    name = models.CharField(_("姓名"), max_length=64, db_index=True)
    id_number = models.CharField(_("身份证件号"), max_length=18, null=True, blank=True)
    gender = models.PositiveSmallIntegerField(_("性别"), choices=Gender.choices, null=True)
    birth_date = models.DateField(_("出生日期"), null=True, blank=True)
    ethnicity = models.CharField(_("民族"), max_length=2, blank=True, help_text="GB/T 3304")
    phone = models.CharField(_("联系电话"), max_length=20, blank=True)
    # The golden record's stable identifier in the national student-number style:
    # G + ID number when the ID is valid, L… temporary, J… when no usable ID (数据治理).
    # Unique through the constraint below, an index a bulk write can drop and rebuild
    # (a UNIQUE column's own index cannot be dropped on SQLite).
    golden_id = models.CharField(_("人员编号"), max_length=24, null=True, blank=True)

    scope_fields = ScopeFields(person="id", personal=True)
    objects = ScopedManager()

    class Meta:
        verbose_name = _("人员")
        verbose_name_plural = _("人员")
        constraints = [
            models.UniqueConstraint(
                fields=["id_number"],
                condition=models.Q(id_number__isnull=False),
                name="person_id_number_unique",
                violation_error_message=_("该身份证件号已属于另一人"),
            ),
            models.UniqueConstraint(
                fields=["golden_id"],
                condition=models.Q(golden_id__isnull=False),
                name="person_golden_id_unique",
                violation_error_message=_("该人员编号已属于另一人"),
            ),
        ]

    def __str__(self) -> str:
        return self.name


class StudentStatus(models.TextChoices):
    ENROLLED = "enrolled", _("在读")
    TRANSFERRED = "transferred", _("转出")
    GRADUATED = "graduated", _("毕业")
    SUSPENDED = "suspended", _("休学")


class Student(models.Model):
    """A student's enrolment (学籍) at a school, in a class."""

    person = models.ForeignKey(
        Person, verbose_name=_("人员"), on_delete=models.PROTECT, related_name="enrolments"
    )
    school = models.ForeignKey(
        School,
        verbose_name=_("学校"),
        on_delete=models.PROTECT,
        related_name="students",
        db_index=False,
    )
    klass = models.ForeignKey(
        SchoolClass,
        verbose_name=_("班级"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="students",
    )
    # Denormalised from school.region so that a region's people are an index range.
    # No single-column indexes for region and school: the composite indexes below lead
    # with them (each index costs every enrolment written a B-tree insert).
    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="+", db_index=False)
    grade = models.PositiveSmallIntegerField(_("年级"))
    student_number = models.CharField(_("学籍号"), max_length=32, blank=True)
    status = models.CharField(
        _("学籍状态"), max_length=16, choices=StudentStatus.choices, default=StudentStatus.ENROLLED
    )

    scope_fields = ScopeFields(
        region="region_id", school="school_id", klass="klass_id", person="person_id", personal=True
    )
    objects = ScopedManager()

    class Meta:
        verbose_name = _("学生")
        verbose_name_plural = _("学生")
        ordering = ["school_id", "grade", "id"]
        indexes = [
            models.Index(fields=["region", "id"], name="student_region_idx"),
            models.Index(fields=["school", "grade", "id"], name="student_school_idx"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["person"],
                condition=models.Q(status="enrolled"),
                name="student_one_active_enrolment",
                violation_error_message=_("该学生已在另一所学校在读"),
            )
        ]

    def __str__(self) -> str:
        return f"{self.person.name} ({self.school.name})"


class Teacher(models.Model):
    person = models.ForeignKey(
        Person, verbose_name=_("人员"), on_delete=models.PROTECT, related_name="teaching_posts"
    )
    school = models.ForeignKey(
        School, verbose_name=_("学校"), on_delete=models.PROTECT, related_name="teachers"
    )
    # Indexed by teacher_region_idx, which leads with it.
    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="+", db_index=False)
    subject = models.CharField(_("任教学科"), max_length=32, blank=True)
    title = models.CharField(_("职称"), max_length=32, blank=True)
    active = models.BooleanField(_("在岗"), default=True)

    scope_fields = ScopeFields(
        region="region_id", school="school_id", person="person_id", personal=True
    )
    objects = ScopedManager()

    class Meta:
        verbose_name = _("教师")
        verbose_name_plural = _("教师")
        ordering = ["school_id", "id"]
        indexes = [models.Index(fields=["region", "id"], name="teacher_region_idx")]
        constraints = [
            models.UniqueConstraint(
                fields=["person", "school"],
                name="teacher_once_per_school",
                violation_error_message=_("该教师已在本校任职"),
            )
        ]

    def __str__(self) -> str:
        return f"{self.person.name} ({self.school.name})"


class TeachingAssignment(models.Model):
    """A teacher teaches a class (任课); the head teacher (班主任) is flagged."""

    teacher = models.ForeignKey(Teacher, on_delete=models.CASCADE, related_name="assignments")
    klass = models.ForeignKey(SchoolClass, on_delete=models.CASCADE, related_name="assignments")
    subject = models.CharField(_("学科"), max_length=32)
    is_head_teacher = models.BooleanField(_("班主任"), default=False)

    class Meta:
        verbose_name = _("任课")
        verbose_name_plural = _("任课")
        constraints = [
            models.UniqueConstraint(
                fields=["teacher", "klass", "subject"], name="assignment_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.subject} {self.klass_id}"


class Guardianship(models.Model):
    """A guardian (监护人) of a child; parents see only their own children."""

    guardian = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="wards")
    child = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="guardians")
    relation = models.CharField(_("关系"), max_length=16, default="父母")

    class Meta:
        verbose_name = _("监护关系")
        verbose_name_plural = _("监护关系")
        constraints = [
            models.UniqueConstraint(fields=["guardian", "child"], name="guardianship_unique"),
            models.CheckConstraint(
                condition=~models.Q(guardian=models.F("child")),
                name="guardian_not_self",
                violation_error_message=_("不能成为自己的监护人"),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.guardian_id} -> {self.child_id}"
