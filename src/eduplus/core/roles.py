"""Roles and the actions they grant, declared as data (角色与权限).

Views and API endpoints ask ``user_can(user, action)``; no view tests a role by name.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    PROVINCE_OFFICER = "province_officer", _("省级教育管理者")
    CITY_OFFICER = "city_officer", _("市级教育管理者")
    COUNTY_OFFICER = "county_officer", _("县级教育管理者")
    SCHOOL_ADMIN = "school_admin", _("学校管理员")
    TEACHER = "teacher", _("教师")
    STUDENT = "student", _("学生")
    PARENT = "parent", _("家长")
    SYSTEM_ADMIN = "system_admin", _("系统管理员")
    SECURITY_ADMIN = "security_admin", _("安全管理员")
    AUDIT_ADMIN = "audit_admin", _("审计管理员")
    # 数据管理员: the province's data steward (sources, imports, golden records, sharing).
    DATA_STEWARD = "data_steward", _("数据管理员")


OFFICER_ROLES = frozenset(
    {Role.PROVINCE_OFFICER, Role.CITY_OFFICER, Role.COUNTY_OFFICER, Role.DATA_STEWARD}
)
SCHOOL_ROLES = frozenset({Role.SCHOOL_ADMIN, Role.TEACHER, Role.STUDENT})
# 三员分立: system, security and audit administrators are three different people.
THREE_ADMIN_ROLES = frozenset({Role.SYSTEM_ADMIN, Role.SECURITY_ADMIN, Role.AUDIT_ADMIN})
# Region level (code length) each officer role is attached to.
OFFICER_REGION_LEVEL = {
    Role.PROVINCE_OFFICER: 1,
    Role.CITY_OFFICER: 2,
    Role.COUNTY_OFFICER: 3,
    Role.DATA_STEWARD: 1,
}


class Action:
    REGION_VIEW = "region.view"
    SCHOOL_VIEW = "school.view"
    SCHOOL_CHANGE = "school.change"
    SCHOOL_IMPORT = "school.import"
    SCHOOL_EXPORT = "school.export"
    PERSON_VIEW = "person.view"
    # Lists of teachers (教职工): for officers and school staff, not for families.
    STAFF_VIEW = "staff.view"
    PERSON_VIEW_ID_NUMBER = "person.view_id_number"
    ACCOUNT_MANAGE = "account.manage"
    ACCOUNT_UNLOCK = "account.unlock"
    SECURITY_POLICY_VIEW = "security.policy_view"
    AUDIT_VIEW = "audit.view"
    # Informatization monitoring (信息化监测): dashboards, school facts, indicators.
    MONITORING_VIEW = "monitoring.view"
    FACTS_EDIT = "facts.edit"
    FACTS_IMPORT = "facts.import"
    INDICATOR_MANAGE = "indicator.manage"
    # Report collection (通用信息报送).
    REPORT_DESIGN = "report.design"
    REPORT_FILL = "report.fill"
    REPORT_REVIEW = "report.review"
    # Random inspections (双随机一公开).
    INSPECTION_MANAGE = "inspection.manage"
    # Data governance (数据治理).
    DATA_VIEW = "data.view"  # quality scorecard, catalog, lineage
    DATA_IMPORT = "data.import"  # import batches, see their error reports
    DATA_STEWARD = "data.steward"  # sources, authorities, resolution, match review
    SHARE_REQUEST = "share.request"
    SHARE_REVIEW = "share.review"
    # Digital resources (数字教育资源).
    RESOURCE_VIEW = "resource.view"  # search, the catalog, published resources
    RESOURCE_UPLOAD = "resource.upload"  # teachers and school administrators
    RESOURCE_REVIEW_SCHOOL = "resource.review_school"  # 学校审核
    RESOURCE_REVIEW_COUNTY = "resource.review_county"  # 县级审核 (三审) and publication
    RESOURCE_WITHDRAW = "resource.withdraw"  # 下架
    RESOURCE_RATE = "resource.rate"  # rate, comment, favourite, complain
    RESOURCE_MODERATE = "resource.moderate"  # review comments, handle complaints
    RESOURCE_HARVEST = "resource.harvest"  # aggregation: feed sources and harvest runs
    # 一师一优课 and 精品 selection: organising activities and expert panels.
    LESSON_SUBMIT = "lesson.submit"
    LESSON_ORGANIZE = "lesson.organize"
    # Learning spaces (一人一空间): one's own space, teaching-research groups (网络教研).
    SPACE_USE = "space.use"
    TEACHING_GROUP = "space.teaching_group"


_OFFICER = {
    Action.STAFF_VIEW,
    Action.REGION_VIEW,
    Action.SCHOOL_VIEW,
    Action.SCHOOL_CHANGE,
    Action.SCHOOL_IMPORT,
    Action.SCHOOL_EXPORT,
    Action.PERSON_VIEW,
    Action.MONITORING_VIEW,
    Action.FACTS_EDIT,
    Action.FACTS_IMPORT,
    Action.REPORT_DESIGN,
    Action.REPORT_REVIEW,
    Action.INSPECTION_MANAGE,
    Action.DATA_VIEW,
    Action.SHARE_REQUEST,
    Action.RESOURCE_VIEW,
    Action.RESOURCE_WITHDRAW,
    Action.RESOURCE_MODERATE,
    Action.LESSON_ORGANIZE,
}

ROLE_ACTIONS: dict[str, frozenset[str]] = {
    # Indicator definitions and policy targets are set once for the province.
    Role.PROVINCE_OFFICER: frozenset(_OFFICER | {Action.INDICATOR_MANAGE, Action.RESOURCE_HARVEST}),
    # County review is the county's; a city officer reviews its directly run schools.
    Role.CITY_OFFICER: frozenset(_OFFICER | {Action.RESOURCE_REVIEW_COUNTY}),
    Role.COUNTY_OFFICER: frozenset(_OFFICER | {Action.RESOURCE_REVIEW_COUNTY}),
    Role.SCHOOL_ADMIN: frozenset(
        {
            Action.SCHOOL_VIEW,
            Action.SCHOOL_CHANGE,
            Action.SCHOOL_EXPORT,
            Action.PERSON_VIEW,
            Action.STAFF_VIEW,
            # 学籍 work needs the full ID number; every reveal is audited.
            Action.PERSON_VIEW_ID_NUMBER,
            # The school's own facts and dashboard; answering report tasks.
            Action.MONITORING_VIEW,
            Action.FACTS_EDIT,
            Action.REPORT_FILL,
            Action.RESOURCE_VIEW,
            Action.RESOURCE_UPLOAD,
            Action.RESOURCE_REVIEW_SCHOOL,
            Action.RESOURCE_RATE,
            Action.RESOURCE_MODERATE,
            Action.LESSON_ORGANIZE,
            Action.SPACE_USE,
        }
    ),
    Role.TEACHER: frozenset(
        {
            Action.SCHOOL_VIEW,
            Action.PERSON_VIEW,
            Action.STAFF_VIEW,
            Action.RESOURCE_VIEW,
            Action.RESOURCE_UPLOAD,
            Action.RESOURCE_RATE,
            Action.LESSON_SUBMIT,
            Action.SPACE_USE,
            Action.TEACHING_GROUP,
        }
    ),
    Role.STUDENT: frozenset(
        {
            Action.SCHOOL_VIEW,
            Action.PERSON_VIEW,
            Action.PERSON_VIEW_ID_NUMBER,
            Action.RESOURCE_VIEW,
            Action.RESOURCE_RATE,
            Action.SPACE_USE,
        }
    ),
    Role.PARENT: frozenset(
        {
            Action.SCHOOL_VIEW,
            Action.PERSON_VIEW,
            Action.PERSON_VIEW_ID_NUMBER,
            Action.RESOURCE_VIEW,
        }
    ),
    Role.SYSTEM_ADMIN: frozenset(
        {
            Action.REGION_VIEW,
            Action.SCHOOL_VIEW,
            Action.SCHOOL_IMPORT,
            Action.SCHOOL_EXPORT,
            Action.ACCOUNT_MANAGE,
        }
    ),
    Role.SECURITY_ADMIN: frozenset({Action.ACCOUNT_UNLOCK, Action.SECURITY_POLICY_VIEW}),
    Role.AUDIT_ADMIN: frozenset({Action.AUDIT_VIEW}),
    Role.DATA_STEWARD: frozenset(
        {
            Action.REGION_VIEW,
            Action.SCHOOL_VIEW,
            Action.PERSON_VIEW,
            Action.STAFF_VIEW,
            # Resolving identities needs the full ID number; every reveal is audited.
            Action.PERSON_VIEW_ID_NUMBER,
            Action.DATA_VIEW,
            Action.DATA_IMPORT,
            Action.DATA_STEWARD,
            Action.SHARE_REVIEW,
        }
    ),
}
