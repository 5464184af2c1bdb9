"""Pages of the reporting module (being built)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from eduplus.core.permissions import require_action
from eduplus.core.roles import Action


@require_action(Action.REPORT_FILL)
def home(request: HttpRequest) -> HttpResponse:
    return render(request, "reporting/home.html", {})
