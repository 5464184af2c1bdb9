"""Governance API (session auth, scoped): each area adds its operations to ``router``.

The data-sharing API for token holders is separate: ``eduplus.governance.share_api``.
"""

from __future__ import annotations

from ninja import Router

router = Router(tags=["governance"])

# Areas register their operations on ``router`` when imported.
from eduplus.governance import api_areas  # noqa: E402, F401
