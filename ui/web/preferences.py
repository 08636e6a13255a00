"""What a person chooses for how pages look: large text (大字), kept in a cookie so it holds on every page and
before sign-in — the 适老化 rules ask for it to be one click away."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, redirect, request, url_for

from .auth import _safe_next as safe_next  # the sign-in's own check of where to go back to

preferences = Blueprint("preferences", __name__)
TEXT_SIZE_COOKIE = "onestop_text"
TEXT_SIZES = ("standard", "large")
COOKIE_SECONDS = 365 * 24 * 3600


def text_size() -> str:
    """The text size this browser chose: "large" or "standard"."""
    return "large" if request.cookies.get(TEXT_SIZE_COOKIE) == "large" else "standard"


@preferences.post("/text-size")
def set_text_size() -> Any:
    choice = request.form.get("size", "")
    response = redirect(safe_next(request.form.get("next")) or url_for("auth.home"))
    if choice in TEXT_SIZES:
        response.set_cookie(TEXT_SIZE_COOKIE, choice, max_age=COOKIE_SECONDS, httponly=True, samesite="Lax",
                            secure=request.is_secure)
    return response
