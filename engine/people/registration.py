"""Applicants register themselves with a mobile number proven by a code sent through the SMS channel (the outbox:
the worker sends it, never the request).

    a code         CODE_DIGITS digits, valid CODE_LIFETIME, MAX_CODE_ATTEMPTS wrong guesses, kept hashed
    per number     one code per RESEND_INTERVAL, at most MAX_CODES_PER_NUMBER per CODE_WINDOW
    per source     at most MAX_CODES_PER_SOURCE per CODE_WINDOW (one address asking for many numbers)
    wrong codes    counted per (number, source) by the sign-in throttle (engine/people/throttle.py): after its free
                   failures each further one doubles the wait
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, insert, select

from engine.errors import InvalidInput, SignInThrottled
from engine.notify.outbox import To, notify
from engine.people import throttle
from engine.people.contact import clean_mobile
from engine.people.identity import create_user
from engine.people.organisation import Organisation
from engine.store.models import MobileVerification, User, table_of
from engine.store.uow import UnitOfWork

CODE_DIGITS = 6
CODE_LIFETIME = timedelta(minutes=10)
MAX_CODE_ATTEMPTS = 5
RESEND_INTERVAL = timedelta(seconds=60)
CODE_WINDOW = timedelta(hours=1)
MAX_CODES_PER_NUMBER = 5
MAX_CODES_PER_SOURCE = 20
PURPOSE = "register"

_CODES = table_of(MobileVerification)


@dataclass(frozen=True)
class CodeSent:
    mobile: str
    expires_at: datetime
    resend_after: datetime


def _hash(code: str, salt: str | None = None) -> str:
    salt = salt or secrets.token_hex(8)
    return f"{salt}${hashlib.sha256(f'{salt}:{code}'.encode()).hexdigest()}"


def _matches(code: str, stored: str) -> bool:
    salt, _dollar, _digest = stored.partition("$")
    return hmac.compare_digest(_hash(code, salt), stored)


def _mobile(value: str | None) -> str:
    mobile = clean_mobile(value)
    if mobile is None:
        raise InvalidInput("give a mobile number", details=[{"field": "mobile", "message": "required",
                                                             "message_zh": "请填写手机号码"}])
    return mobile


def _registered(mobile: str, uow: UnitOfWork) -> bool:
    return uow.session.scalar(select(User.id).where(User.mobile == mobile, User.role == "applicant").limit(1)) \
        is not None


def request_code(mobile_text: str, *, source: str, uow: UnitOfWork, now: datetime) -> CodeSent:
    """Queue an SMS with a new code for the number (the worker sends it), within the per-number and per-source
    limits (SignInThrottled, HTTP 429, saying how long to wait)."""
    mobile = _mobile(mobile_text)
    source = source[:64] or "unknown"
    if _registered(mobile, uow):
        raise InvalidInput("this number has an account already: sign in", details=[
            {"field": "mobile", "message": "registered already", "message_zh": "该手机号已注册，请直接登录"}])
    since = now - CODE_WINDOW
    last, count = uow.session.execute(select(func.max(_CODES.c.created_at), func.count()).where(
        _CODES.c.mobile == mobile, _CODES.c.created_at > since)).one()
    if last is not None and last + RESEND_INTERVAL > now:
        raise SignInThrottled("a code was sent to this number a moment ago: wait before asking again",
                              wait=last + RESEND_INTERVAL - now)
    if count >= MAX_CODES_PER_NUMBER:
        first = uow.session.scalar(select(func.min(_CODES.c.created_at)).where(
            _CODES.c.mobile == mobile, _CODES.c.created_at > since))
        raise SignInThrottled("too many codes for this number: wait before asking again",
                              wait=(first or now) + CODE_WINDOW - now)
    from_source = uow.session.scalar(select(func.count()).select_from(_CODES).where(
        _CODES.c.source == source, _CODES.c.created_at > since)) or 0
    if from_source >= MAX_CODES_PER_SOURCE:
        raise SignInThrottled("too many codes asked for from here: wait before asking again", wait=CODE_WINDOW)
    code = f"{secrets.randbelow(10 ** CODE_DIGITS):0{CODE_DIGITS}d}"
    uow.begin_write()
    uow.session.execute(insert(_CODES), {"mobile": mobile, "source": source, "purpose": PURPOSE,
                                         "code_hash": _hash(code), "created_at": now,
                                         "expires_at": now + CODE_LIFETIME, "attempts": 0, "used_at": None})
    notify(uow, "verification_code", [To.number(mobile)],
           {"code": code, "minutes": int(CODE_LIFETIME.total_seconds() // 60)}, now=now)
    return CodeSent(mobile, now + CODE_LIFETIME, now + RESEND_INTERVAL)


def check_code(mobile_text: str, code: str, *, source: str, uow: UnitOfWork, now: datetime) -> str | None:
    """None when ``code`` is the number's latest live code; else what is wrong — the wrong guess already counted
    in ``uow`` (commit it), so guessing is limited. SignInThrottled while this source must wait."""
    mobile = _mobile(mobile_text)
    key = f"sms:{mobile}"
    wait = throttle.waiting(key, source, uow=uow, now=now)
    if wait is not None:
        raise SignInThrottled("too many wrong codes from here: wait before trying again", wait=wait)
    row = uow.session.execute(select(_CODES).where(_CODES.c.mobile == mobile, _CODES.c.purpose == PURPOSE,
                                                   _CODES.c.used_at.is_(None))
                              .order_by(_CODES.c.created_at.desc(), _CODES.c.id.desc()).limit(1)).first()
    if row is None or row.expires_at <= now or row.attempts >= MAX_CODE_ATTEMPTS:
        return "expired"
    if not (code or "").strip().isdigit() or not _matches(code.strip(), row.code_hash):
        uow.begin_write()
        uow.session.execute(_CODES.update().where(_CODES.c.id == row.id).values(attempts=row.attempts + 1))
        throttle.record_failure(key, source, uow=uow, now=now)
        return "wrong"
    uow.begin_write()
    uow.session.execute(_CODES.update().where(_CODES.c.id == row.id, _CODES.c.used_at.is_(None)).values(used_at=now))
    throttle.forget(key, source, uow=uow)
    return None


def register_applicant(mobile_text: str, *, username: str, password: str, display_name: str,
                       organisation: Organisation, uow: UnitOfWork, now: datetime) -> User:
    """The applicant's account, with the number proven by :func:`check_code` in the same unit of work."""
    mobile = _mobile(mobile_text)
    if _registered(mobile, uow):
        raise InvalidInput("this number has an account already: sign in", details=[
            {"field": "mobile", "message": "registered already", "message_zh": "该手机号已注册，请直接登录"}])
    if not display_name.strip() or len(display_name) > 120:
        raise InvalidInput("give your name", details=[{"field": "display_name", "message": "1 to 120 characters",
                                                       "message_zh": "请填写姓名"}])
    user = create_user(username, password, role="applicant", display_name=display_name.strip(),
                       organisation=organisation, uow=uow, now=now)
    user.mobile = mobile
    uow.flush()
    return user
