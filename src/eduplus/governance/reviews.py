"""A steward's decision on an uncertain match (合并 / 拆分); applied on every later run."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from eduplus.core.audit import audit_record
from eduplus.governance.models import MatchReview, RecordLink, ReviewStatus

if TYPE_CHECKING:
    from django.http import HttpRequest


def review_decide(
    *,
    review: MatchReview,
    decision: str,
    actor: Any,
    note: str = "",
    request: HttpRequest | None = None,
) -> MatchReview:
    """Record the decision and send both records back to resolution.

    ``merged``: the two records are one person, always; ``split``: never directly linked.
    Both records lose their current link so that the next (incremental) run places
    them again with the decision in force.
    """
    if decision not in (ReviewStatus.MERGED, ReviewStatus.SPLIT):
        raise ValidationError({"decision": _("请选择“确认同一人”或“确认不同人”")})
    note = (note or "").strip()
    if len(note) > 255:
        raise ValidationError({"note": _("说明不能超过 255 个字")})
    before = review.status
    with transaction.atomic():
        review.status = decision
        review.decided_by = actor
        review.decided_at = timezone.now()
        review.note = note
        review.full_clean()
        review.save()
        RecordLink.objects.filter(record_id__in=[review.left_id, review.right_id]).delete()
        audit_record(
            actor=actor,
            action="governance.review_decide",
            target_type="governance.matchreview",
            target_id=str(review.pk),
            target_repr=f"{review.left_id}~{review.right_id}",
            request=request,
            details={"before": before, "after": decision, "note": note},
        )
    from eduplus.governance.resolve_tasks import resolve_later

    resolve_later(actor=actor)
    return review
