"""Monitoring pages (being built)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from eduplus.core.permissions import require_action
from eduplus.core.roles import Action


@require_action(Action.MONITORING_VIEW)
def home(request: HttpRequest) -> HttpResponse:
    return render(request, "monitoring/home.html", {})
