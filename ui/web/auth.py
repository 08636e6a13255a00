"""Sign-in (throttled per user name and source address, engine/people/throttle.py), sign-out and the language
switch."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext
from flask_login import LoginManager, UserMixin, current_user, login_required, login_user, logout_user
from sqlalchemy import select

from engine.errors import AuthenticationRequired, SignInThrottled
from engine.people.identity import Actor, authenticate_password
from engine.store.models import User

from .pages import add_error_pages
from .work import now, platform, transaction

auth = add_error_pages(Blueprint("auth", __name__))
login_manager = LoginManager()
login_manager.login_view = "auth.sign_in"
login_manager.login_message = lazy_gettext("请先登录。")
login_manager.login_message_category = "info"
LANGUAGES = ("zh", "en")


@dataclass(frozen=True)
class WebUser(UserMixin):  # type: ignore[misc]
    """The signed-in person as the session knows them; the session stores only the user name."""

    actor: Actor
    display_name: str

    def get_id(self) -> str:
        return self.actor.username

    @property
    def is_staff(self) -> bool:
        return self.actor.role == "staff"

    @property
    def is_applicant(self) -> bool:
        return self.actor.role == "applicant"


@login_manager.user_loader
def load_user(username: str) -> WebUser | None:
    with platform().uow(write=False) as uow:
        user = uow.session.scalar(select(User).where(User.username == username))
        if user is None or not user.active:
            return None
        return WebUser(Actor.of(user), user.display_name or user.username)


def home_for(user: WebUser) -> str:
    """Where each role starts: the console, the designer's workspace, the portal, or the task list."""
    if user.actor.is_admin:
        return url_for("console.index")
    if user.actor.role == "designer":
        return url_for("designer.index")
    return url_for("portal.home") if user.is_applicant else url_for("tasklist.index")


def _safe_next(target: str | None) -> str | None:
    """Only a path on this site: a sign-in link must not send anyone elsewhere."""
    if not target:
        return None
    if len(target) > 500 or any(ord(c) < 0x21 or ord(c) == 0x7F for c in target):  # no header splitting
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return None
    return target


def _sign_in(username: str, password: str) -> WebUser:
    with transaction(write=True) as uow:
        actor = authenticate_password(username, password, source=request.remote_addr or "unknown", uow=uow,
                                      now=now())
        display_name = uow.session.scalar(select(User.display_name).where(User.username == username))
    return WebUser(actor, display_name or username)


def _failure_message(error: AuthenticationRequired) -> str:
    """The same words whether the name exists or not (the throttle counts names as typed, from this source)."""
    if isinstance(error, SignInThrottled):
        minutes = max(math.ceil(error.wait.total_seconds() / 60), 1)
        return _("登录失败次数过多，请 %(minutes)s 分钟后再试。", minutes=minutes)
    return _("用户名或密码错误。")


@auth.get("/", endpoint="home")
def home() -> Any:
    if current_user.is_authenticated:
        return redirect(home_for(current_user))
    return redirect(url_for("auth.sign_in"))


@auth.route("/sign-in", methods=["GET", "POST"])
def sign_in() -> Any:
    if request.method == "GET":
        return render_template("auth/sign_in.html", username="", next=_safe_next(request.args.get("next")))
    username = request.form.get("username", "").strip()[:80]
    target = _safe_next(request.form.get("next"))
    try:
        user = _sign_in(username, request.form.get("password", ""))
    except AuthenticationRequired as error:
        flash(_failure_message(error), "error")
        page = render_template("auth/sign_in.html", username=username, next=target)
        if isinstance(error, SignInThrottled):
            return page, 429, {"Retry-After": str(max(math.ceil(error.wait.total_seconds()), 1))}
        return page, 401
    language = session.get("lang")
    session.clear()  # a fresh session for the signed-in person
    if language:
        session["lang"] = language
    login_user(user)
    return redirect(target or home_for(user))


@auth.post("/sign-out")
@login_required
def sign_out() -> Any:
    language = session.get("lang")
    logout_user()
    session.clear()
    if language:
        session["lang"] = language
    flash(_("您已安全退出。"), "info")
    return redirect(url_for("auth.sign_in"))


@auth.post("/language")
def language() -> Any:
    choice = request.form.get("lang", "")
    if choice in LANGUAGES:
        session["lang"] = choice
    return redirect(_safe_next(request.form.get("next")) or url_for("auth.home"))


def select_locale() -> str:
    return "en" if session.get("lang") == "en" else "zh_Hans_CN"
