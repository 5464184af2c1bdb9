"""Pages of the inspections module (being built)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from eduplus.core.permissions import require_action
from eduplus.core.roles import Action


@require_action(Action.INSPECTION_MANAGE)
def home(request: HttpRequest) -> HttpResponse:
    return render(request, "inspections/home.html", {})
