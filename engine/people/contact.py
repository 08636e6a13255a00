"""A person's contact details for notifications: an email address and a mainland mobile number, checked and kept
in one form (no spaces, no +86)."""

from __future__ import annotations

import re

from sqlalchemy import select

from engine.errors import InvalidInput, NotFound, PermissionDenied
from engine.store.models import User
from engine.store.uow import UnitOfWork

_EMAIL = re.compile(r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
                    r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$")
_MOBILE = re.compile(r"^1[3-9]\d{9}$")
MAX_EMAIL_CHARS = 254


def clean_email(value: str | None) -> str | None:
    """The address as kept, None for none; InvalidInput when it is not an address."""
    email = (value or "").strip()
    if not email:
        return None
    if len(email) > MAX_EMAIL_CHARS or not _EMAIL.match(email):
        raise InvalidInput(f"{email[:60]!r} is not an email address", details=[
            {"field": "email", "message": "an address such as wang@example.org", "message_zh": "请填写有效的电子邮箱"}])
    return email


def clean_mobile(value: str | None) -> str | None:
    """A mainland mobile number as 11 digits (spaces, dashes and +86 dropped), None for none."""
    mobile = re.sub(r"[\s-]", "", value or "")
    if mobile.startswith("+86"):
        mobile = mobile[3:]
    elif mobile.startswith("0086"):
        mobile = mobile[4:]
    if not mobile:
        return None
    if not _MOBILE.match(mobile):
        raise InvalidInput("not a mainland mobile number", details=[
            {"field": "mobile", "message": "11 digits starting with 13-19", "message_zh": "请填写11位手机号码"}])
    return mobile


def set_contact(user: User, *, email: str | None, mobile: str | None) -> None:
    """Set whichever of the two is given (an empty text clears it)."""
    problems = []
    for field, value, clean in (("email", email, clean_email), ("mobile", mobile, clean_mobile)):
        if value is None:
            continue
        try:
            setattr(user, field, clean(value))
        except InvalidInput as error:
            problems += error.details
    if problems:
        raise InvalidInput("the contact details will not do", details=problems)


def change_contact(username: str, *, email: str | None, mobile: str | None, actor_is_admin: bool,
                   uow: UnitOfWork) -> dict[str, str | None]:
    """An administrator sets a user's email and mobile (None: leave as is; empty: clear)."""
    if not actor_is_admin:
        raise PermissionDenied("only administrators change users' contact details")
    user = uow.session.scalar(select(User).where(User.username == username))
    if user is None:
        raise NotFound(f"no user {username!r}")
    set_contact(user, email=email, mobile=mobile)
    uow.flush()
    return {"username": user.username, "email": user.email, "mobile": user.mobile}
