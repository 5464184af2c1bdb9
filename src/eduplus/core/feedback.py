"""A service's refusal (``ValidationError``) told to the user after a POST."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest


def error_text(exc: ValidationError) -> str:
    """Every message of the refusal in one line (Chinese list separator)."""
    return "；".join(str(m) for m in exc.messages)


def flash_errors(request: HttpRequest, exc: ValidationError) -> None:
    """Every message of the refusal as its own error message on the next page."""
    for message in exc.messages:
        messages.error(request, str(message))
