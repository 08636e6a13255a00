"""Users, roles, password hashing and API bearer tokens (stored hashed)."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import bindparam, select

from engine.bpmn.service_tasks import TOPIC_PATTERN
from engine.errors import AuthenticationRequired, InvalidInput, NotFound, SignInThrottled
from engine.people import throttle
from engine.people.organisation import Organisation
from engine.store.models import ApiToken, User
from engine.store.uow import UnitOfWork

ROLES = ("admin", "designer", "staff", "applicant", "worker")
SYSTEM = "system"
MAX_WORKER_TOPICS = 50  # topics (and message or signal names) one worker account may serve
_SCRYPT = {"n": 2**14, "r": 8, "p": 1}
MIN_PASSWORD_LENGTH = 8
MAX_PASSWORD_LENGTH = 256
MIN_DISTINCT_CHARACTERS = 4
# The most used passwords of Chinese and English leaks that pass the other rules.
COMMON_PASSWORDS = frozenset({
    "password", "password1", "passw0rd", "qwertyui", "qwerty123", "1q2w3e4r", "1qaz2wsx", "abc12345",
    "abcd1234", "a1234567", "admin123", "iloveyou", "woaini1314", "aa123456", "qq123456", "zxcvbnm1",
    "asdfghjk", "11111111a", "a123456789", "p@ssw0rd",
})


@dataclass(frozen=True)
class Actor:
    """Who is acting: plain data handed to every service function."""

    username: str
    role: str
    department: str | None = None
    county: str | None = None
    topics: tuple[str, ...] = ()  # a worker's topics (engine/integration/)

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    @property
    def is_worker(self) -> bool:
        return self.role == "worker"

    @classmethod
    def system(cls) -> Actor:
        return cls(username=SYSTEM, role="system")

    @classmethod
    def of(cls, user: User) -> Actor:
        return cls(username=user.username, role=user.role, department=user.department, county=user.county,
                   topics=tuple(user.topics or ()))


def hash_password(password: str) -> str:
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, **_SCRYPT)
    return f"scrypt${_SCRYPT['n']}${_SCRYPT['r']}${_SCRYPT['p']}${salt.hex()}${digest.hex()}"


def verify_password(password: str, stored: str) -> bool:
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
    except ValueError:
        return False
    if scheme != "scrypt":
        return False
    candidate = hashlib.scrypt(password.encode(), salt=bytes.fromhex(salt), n=int(n), r=int(r), p=int(p))
    return hmac.compare_digest(candidate.hex(), digest)


def password_problems(password: str, *, username: str = "") -> list[dict[str, str]]:
    """What is wrong with a new password (empty when it will do): long enough, not only digits, not a handful
    of characters repeated, not the user name, not one of the commonest passwords."""
    problems = []
    if len(password) < MIN_PASSWORD_LENGTH:
        problems.append(f"at least {MIN_PASSWORD_LENGTH} characters")
    elif len(password) > MAX_PASSWORD_LENGTH:
        problems.append(f"at most {MAX_PASSWORD_LENGTH} characters")
    if password.isdigit():
        problems.append("not only digits")
    if len(set(password)) < MIN_DISTINCT_CHARACTERS:
        problems.append(f"at least {MIN_DISTINCT_CHARACTERS} different characters")
    if username and (password.lower() == username.lower() or (len(username) >= 4 and
                                                              username.lower() in password.lower())):
        problems.append("must not contain the user name")
    if password.lower() in COMMON_PASSWORDS:
        problems.append("one of the most common passwords")
    return [{"field": "password", "message": message} for message in problems]


def set_password(username: str, password: str, *, uow: UnitOfWork, now: datetime) -> None:
    """Replace a user's password (the policy of :func:`password_problems`), and revoke the user's API tokens,
    which the old password may have leaked along with."""
    user = uow.session.scalar(select(User).where(User.username == username))
    if user is None:
        raise NotFound(f"no user {username!r}")
    problems = password_problems(password, username=username)
    if problems:
        raise InvalidInput(f"the new password of {username!r} will not do", details=problems)
    user.password_hash = hash_password(password)
    revoke_tokens(username, uow=uow, now=now)


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def topic_problems(role: str, topics: list[str] | None) -> list[dict[str, str]]:
    """A worker serves 1 to MAX_WORKER_TOPICS topics (the names service tasks give, or message and signal names);
    nobody else has any."""
    if role != "worker":
        return [{"field": "topics", "message": "only worker accounts have topics"}] if topics else []
    if not topics:
        return [{"field": "topics", "message": "a worker needs at least one topic (--topics finance.payment,...)"}]
    problems = [{"field": "topics", "message": f"{topic!r}: 1 to 120 letters, digits, '.', '_', ':' or '-'"}
                for topic in topics if not TOPIC_PATTERN.fullmatch(topic)]
    if len(topics) > MAX_WORKER_TOPICS:
        problems.append({"field": "topics", "message": f"at most {MAX_WORKER_TOPICS} topics"})
    return problems


def create_user(username: str, password: str, *, role: str, department: str | None = None,
                county: str | None = None, display_name: str = "", organisation: Organisation,
                uow: UnitOfWork, now: datetime, topics: list[str] | None = None) -> User:
    """Add a user; staff need a department, and a county when their department works per county; a worker (an
    outside system's account, API only) needs its topics."""
    problems = topic_problems(role, topics)
    if not username or len(username) > 80 or not username.replace("_", "").replace("-", "").replace(".", "").isalnum():
        problems.append({"field": "username", "message": "letters, digits, '.', '-' and '_' only, at most 80"})
    if role not in ROLES:
        problems.append({"field": "role", "message": f"one of {', '.join(ROLES)}"})
    problems += password_problems(password, username=username)
    if role == "staff":
        if department not in organisation.departments:
            problems.append({"field": "department", "message": "staff need a department code of the organisation"})
        elif organisation.is_per_county(department) and organisation.county_code(county) is None:
            problems.append({"field": "county", "message": f"{department} staff need a county code"})
    elif department is not None or county is not None:
        problems.append({"field": "department", "message": "only staff belong to a department"})
    if uow.session.scalar(select(User.id).where(User.username == username)) is not None:
        problems.append({"field": "username", "message": f"user {username!r} exists already"})
    if problems:
        raise InvalidInput(f"cannot create user {username!r}", details=problems)
    user = User(username=username, display_name=display_name or username, password_hash=hash_password(password),
                role=role, department=department if role == "staff" else None,
                county=organisation.county_code(county) if role == "staff" and county else None,
                active=True, failed_logins=0, created_at=now,
                topics=list(dict.fromkeys(topics)) if role == "worker" and topics else None)
    uow.session.add(user)
    uow.flush()
    return user


def create_token(username: str, *, name: str = "", uow: UnitOfWork, now: datetime,
                 lifetime: timedelta | None = timedelta(days=365)) -> str:
    """A new bearer token for the user; only its hash is kept."""
    user = uow.session.scalar(select(User).where(User.username == username))
    if user is None:
        raise NotFound(f"no user {username!r}")
    token = secrets.token_urlsafe(32)
    uow.session.add(ApiToken(user_id=user.id, name=name or "api", token_hash=_token_hash(token), created_at=now,
                             expires_at=now + lifetime if lifetime else None))
    uow.flush()
    return token


def revoke_tokens(username: str, *, uow: UnitOfWork, now: datetime) -> int:
    user = uow.session.scalar(select(User).where(User.username == username))
    if user is None:
        raise NotFound(f"no user {username!r}")
    tokens = uow.session.scalars(select(ApiToken).where(ApiToken.user_id == user.id,
                                                         ApiToken.revoked_at.is_(None))).all()
    for token in tokens:
        token.revoked_at = now
    return len(tokens)


# On the tables, not the mapped classes: every API request runs it, and a Core statement skips the ORM's
# per-execution work.
_users, _tokens = User.__table__.c, ApiToken.__table__.c
_TOKEN_OWNER = select(_users.username, _users.role, _users.department, _users.county, _users.active,
                      _users.topics, _tokens.revoked_at, _tokens.expires_at) \
    .join_from(User.__table__, ApiToken.__table__, _tokens.user_id == _users.id) \
    .where(_tokens.token_hash == bindparam("token_hash"))


def authenticate_token(token: str, *, uow: UnitOfWork, now: datetime) -> Actor:
    """The actor a bearer token stands for, or AuthenticationRequired."""
    row = uow.session.execute(_TOKEN_OWNER, {"token_hash": _token_hash(token)}).first()
    if row is None or row.revoked_at is not None or (row.expires_at is not None and row.expires_at <= now):
        raise AuthenticationRequired("the bearer token is unknown, revoked or expired")
    if not row.active:
        raise AuthenticationRequired("this account is disabled")
    return Actor(username=row.username, role=row.role, department=row.department, county=row.county,
                 topics=tuple(row.topics or ()))


_DUMMY_HASHES: dict[tuple[int, ...], str] = {}


def _dummy_hash() -> str:
    """A stored-hash stand-in with today's parameters: an unknown name costs the same work as a known one."""
    params = (_SCRYPT["n"], _SCRYPT["r"], _SCRYPT["p"])
    if params not in _DUMMY_HASHES:
        _DUMMY_HASHES[params] = hash_password(secrets.token_urlsafe(16))
    return _DUMMY_HASHES[params]


def authenticate_password(username: str, password: str, *, source: str, uow: UnitOfWork, now: datetime) -> Actor:
    """Check a password, throttled per (name, source address) with a doubling wait (engine/people/throttle.py).

    Unknown names, disabled accounts and wrong passwords get the same answer after the same work (one scrypt);
    a wait is the same for a name that exists and one that does not. A failure is committed before raising."""
    wait = throttle.waiting(username, source, uow=uow, now=now)
    if wait is not None:
        raise SignInThrottled("too many failed sign-ins from here: wait before trying again", wait=wait)
    user = uow.session.scalar(select(User).where(User.username == username)) if username else None
    matches = verify_password(password, user.password_hash if user is not None else _dummy_hash())
    if user is None or not user.active or not matches:
        throttle.record_failure(username, source, uow=uow, now=now)
        uow.commit()
        raise AuthenticationRequired("wrong user name or password")
    throttle.forget(username, source, uow=uow)
    if user.role == "worker":
        raise AuthenticationRequired("a worker account is an outside system's: it uses the API with a token, and "
                                     "does not sign in to the web pages")
    return Actor.of(user)
