"""Lineage (溯源图谱) as OpenLineage-shaped run events."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class LineageEvent(models.Model):
    """One OpenLineage RunEvent: a job run read input datasets and wrote output ones.

    ``payload`` holds the whole event as OpenLineage defines it (eventType, eventTime,
    run.runId, job.namespace/name, inputs[], outputs[], producer); the other columns
    repeat what the lineage graph queries by.
    """

    event_time = models.DateTimeField(_("时间"), db_index=True)
    event_type = models.CharField(_("事件"), max_length=16)  # START, COMPLETE, FAIL
    run_id = models.UUIDField(_("运行标识"), db_index=True)
    job_namespace = models.CharField(_("作业命名空间"), max_length=64, default="eduplus")
    job_name = models.CharField(_("作业"), max_length=128)
    inputs = models.JSONField(_("输入"), default=list)  # dataset codes
    outputs = models.JSONField(_("输出"), default=list)  # dataset codes
    payload = models.JSONField(_("事件内容"), default=dict)

    class Meta:
        verbose_name = _("血缘事件")
        verbose_name_plural = _("血缘事件")
        ordering = ["-event_time", "-id"]

    def __str__(self) -> str:
        return f"{self.job_name} {self.event_type}"
