"""Applicants register themselves (申请人注册): a mobile number proven by a code sent by SMS, then a user name,
their name and a password; they are signed in at once."""

from __future__ import annotations

import math
from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user

from engine.errors import InvalidInput, SignInThrottled
from engine.people import registration as service
from engine.people.identity import Actor
from engine.people.privacy import mask_text

from .auth import WebUser
from .pages import add_error_pages
from .work import now, platform, transaction

registration = add_error_pages(Blueprint("registration", __name__))


def _source() -> str:
    return request.remote_addr or "unknown"


def _page(values: dict[str, str], problems: list[dict[str, Any]], status: int = 200) -> Any:
    return render_template("auth/register.html", values=values, problems=problems), status


def _messages(error: InvalidInput) -> list[dict[str, Any]]:
    return error.details or [{"field": "", "message": error.message}]


def _wait(error: SignInThrottled) -> Any:
    minutes = max(math.ceil(error.wait.total_seconds() / 60), 1)
    return {"field": "mobile", "message": error.message,
            "message_zh": _("操作过于频繁，请 %(minutes)s 分钟后再试。", minutes=minutes)}


@registration.route("/register", methods=["GET", "POST"])
def register() -> Any:
    if current_user.is_authenticated:
        return redirect(url_for("auth.home"))
    values = {key: request.form.get(key, "").strip()[:120] for key in ("mobile", "code", "username", "display_name")}
    if request.method == "GET":
        return _page(values, [])
    if request.form.get("action") == "code":
        try:
            with transaction(write=True) as uow:
                sent = service.request_code(values["mobile"], source=_source(), uow=uow, now=now())
        except SignInThrottled as error:
            return _page(values, [_wait(error)], 429)
        except InvalidInput as error:
            return _page(values, _messages(error), 422)
        flash(_("验证码已发送至 %(mobile)s，%(minutes)s 分钟内有效。", mobile=mask_text(sent.mobile),
                minutes=int(service.CODE_LIFETIME.total_seconds() // 60)), "success")
        return _page(values, [])
    password = request.form.get("password", "")
    if password != request.form.get("password_again", ""):
        return _page(values, [{"field": "password_again", "message": "the two passwords differ",
                               "message_zh": _("两次输入的密码不一致。")}], 422)
    try:
        with transaction(write=True) as uow:
            wrong = service.check_code(values["mobile"], values["code"], source=_source(), uow=uow, now=now())
            user = None if wrong else service.register_applicant(
                values["mobile"], username=values["username"], password=password,
                display_name=values["display_name"], organisation=platform().organisation, uow=uow, now=now())
            if user is not None:
                web_user = WebUser(Actor.of(user), user.display_name or user.username)
    except SignInThrottled as error:
        return _page(values, [_wait(error)], 429)
    except InvalidInput as error:  # nothing kept: the code stays usable for a corrected form
        return _page(values, _messages(error), 422)
    if wrong:  # the wrong guess was counted (and committed)
        message = _("验证码不正确。") if wrong == "wrong" else _("验证码已失效，请重新获取。")
        return _page(values, [{"field": "code", "message": wrong, "message_zh": message}], 422)
    language = session.get("lang")
    session.clear()
    if language:
        session["lang"] = language
    login_user(web_user)
    flash(_("注册成功，欢迎使用。"), "success")
    return redirect(url_for("portal.home"))
