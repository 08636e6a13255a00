"""Bearer tokens checked in full once per process, then answered from a cache confirmed at each use.

A token's first use reads its owner (engine/people/identity.py) together with the ``auth`` revision, a counter
that moves in the same transaction as any change to a user or an API token (a revocation, a new password, a
disabled account, a new department). Later uses take the actor from the cache and confirm that the revision has
not moved — with one indexed read, or for free as a column of the request's own first read
(:func:`revision_column`, :func:`confirm_revision`) — or, for a start, which reads nothing first, of the new case's
INSERT (engine/cases/runner.py: its engine run has then happened, in the child, and nothing of it is kept if the
token is refused). A revision that moved means "check again": the token is read in
full, and a revoked one is refused. So a revocation in any process takes effect in every process at its next
request, and a token whose use is confirmed costs no read of its own.

The counter moves by a hook on every ORM session (:func:`watch`): a change to a ``User`` or an ``ApiToken``
made through the ORM, and a new ``User``, move it when the session flushes. A unit of work keeps the revision its
reads found (``uow.auth_revision``): a department's staff, read once per process for notifications, is confirmed
by it the same way (engine/notify/outbox.py). A Core ``UPDATE``/``DELETE`` of ``users`` or
``api_tokens`` must call :func:`bump_auth_revision` itself (nothing in OneStop writes them that way today).
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, bindparam, event, select
from sqlalchemy.orm import Session, sessionmaker

from engine.errors import AuthenticationRequired, Conflict
from engine.people.identity import Actor
from engine.store import prepared, revisions
from engine.store.models import ApiToken, User, table_of
from engine.store.uow import UnitOfWork

#: Bearer tokens one server process remembers (least recently used dropped first).
TOKEN_CACHE_SIZE = 10_000
AUTH = "auth"

_READ_REVISION = select(revisions.value_of(AUTH))

_users, _tokens = table_of(User).c, table_of(ApiToken).c
# The owner and the revision in one statement: one snapshot, so a revocation committed between reading the token
# and reading the revision cannot be missed (the entry would then be cached with the newer revision).
_TOKEN_OWNER = select(_users.username, _users.role, _users.department, _users.county, _users.topics, _users.active,
                      _tokens.revoked_at, _tokens.expires_at, revisions.value_of(AUTH).label("auth_revision")) \
    .join_from(table_of(User), table_of(ApiToken), _tokens.user_id == _users.id) \
    .where(_tokens.token_hash == bindparam("token_hash"))


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def revision_column() -> ColumnElement[int]:
    """The ``auth`` revision as a column (``auth_revision``) to add to a request's first read."""
    return revisions.value_of(AUTH).label("auth_revision")


def bump_auth_revision(session: Session) -> None:
    """Move the ``auth`` revision in the session's transaction: every process checks its cached tokens again (and
    this session's unit no longer trusts the revision it read: :func:`accounts_changed`)."""
    session.info[_CHANGED] = True
    revisions.bump(session, AUTH)


_CHANGED = "onestop.accounts_changed"


def accounts_changed(session: Session) -> bool:
    """Whether this session changed an account or a token (what the unit read of accounts may now be stale)."""
    return bool(session.info.get(_CHANGED))


def watch(factory: sessionmaker[Session]) -> None:
    """Move the revision whenever a session flushes a change to a user or an API token (see the module text)."""

    def before_flush(session: Session, _context: Any, _instances: Any) -> None:
        # A new account too: a department's staff, cached by the revision (engine/notify/outbox.py), gains one.
        if any(isinstance(item, User | ApiToken) for item in (*session.dirty, *session.deleted)) \
                or any(isinstance(item, User) for item in session.new):
            bump_auth_revision(session)

    event.listen(factory, "before_flush", before_flush)


class StaleCredentials(Conflict):
    """A cached token's account changed (role, department, county, topics) before the unit's first read confirmed it:
    what the request did with the old account is void. ui/api.py runs such a request again, once."""


@dataclass(frozen=True)
class _Entry:
    actor: Actor
    expires_at: datetime | None
    revision: int


class TokenCache:
    """The bearer tokens this process has checked, by hash; each entry valid only at the revision it was read at."""

    def __init__(self, size: int = TOKEN_CACHE_SIZE) -> None:
        self.size = size
        self._entries: OrderedDict[str, _Entry] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: str) -> _Entry | None:
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None:
                self._entries.move_to_end(key)
            return entry

    def put(self, key: str, entry: _Entry) -> None:
        with self._lock:
            self._entries[key] = entry
            self._entries.move_to_end(key)
            while len(self._entries) > self.size:
                self._entries.popitem(last=False)

    def drop(self, key: str) -> None:
        with self._lock:
            self._entries.pop(key, None)

    def __len__(self) -> int:
        return len(self._entries)


class AuthCheck:
    """A cached token's use in one unit of work, not yet confirmed against the current revision."""

    def __init__(self, cache: TokenCache, key: str, entry: _Entry, now: datetime) -> None:
        self.cache, self.key, self.entry, self.now = cache, key, entry, now
        self.confirmed = False

    def see(self, uow: UnitOfWork, revision: int) -> None:
        """The revision as a read of this unit found it: unmoved confirms the token, moved checks it again."""
        if self.confirmed:
            return
        self.confirmed = True  # checked now, whatever comes of it (an error raised here is the unit's answer)
        uow.auth_revision = revision
        if revision != self.entry.revision:
            self.cache.drop(self.key)
            actor = _lookup(self.cache, self.key, uow=uow, now=self.now)
            if actor != self.entry.actor:  # the account changed since: what this request did as before is void
                raise StaleCredentials("your account was changed while this request ran; send it again")

    def ensure(self, uow: UnitOfWork) -> None:
        """Confirm with a read of its own, unless a read of the unit has brought the revision already."""
        if not self.confirmed:
            self.see(uow, int(prepared.scalar(uow, _READ_REVISION)))


def _lookup(cache: TokenCache, key: str, *, uow: UnitOfWork, now: datetime) -> Actor:
    row = prepared.first(uow, _TOKEN_OWNER, {"token_hash": key})
    if row is None or row.revoked_at is not None or (row.expires_at is not None and row.expires_at <= now):
        raise AuthenticationRequired("the bearer token is unknown, revoked or expired")
    if not row.active:
        raise AuthenticationRequired("this account is disabled")
    actor = Actor(username=row.username, role=row.role, department=row.department, county=row.county,
                  topics=tuple(row.topics or ()))
    cache.put(key, _Entry(actor, row.expires_at, int(row.auth_revision)))
    uow.auth_revision = int(row.auth_revision)
    return actor


def authenticate_bearer(token: str, *, cache: TokenCache, uow: UnitOfWork, now: datetime,
                        deferred: bool = False) -> Actor:
    """The actor a bearer token stands for, or AuthenticationRequired. A token this process has checked before is
    answered from the cache, confirmed against the revision at once (one read), or with ``deferred`` left to be
    confirmed (``uow.auth_check``) by the unit's first read or a start's INSERT (:func:`confirm_revision`), else by a
    read of its own before the unit commits or answers — see ui/api.py."""
    key = token_hash(token)
    entry = cache.get(key)
    if entry is None:
        return _lookup(cache, key, uow=uow, now=now)
    if entry.expires_at is not None and entry.expires_at <= now:
        cache.drop(key)
        raise AuthenticationRequired("the bearer token is unknown, revoked or expired")
    check = AuthCheck(cache, key, entry, now)
    if not deferred:
        revision = uow.auth_revision = int(prepared.scalar(uow, _READ_REVISION))
        if revision != entry.revision:
            cache.drop(key)
            return _lookup(cache, key, uow=uow, now=now)
        return entry.actor
    uow.auth_check = check
    return entry.actor


def confirm_revision(uow: UnitOfWork, revision: int | None) -> None:
    """Hand the revision a read brought along (:func:`revision_column`) to the unit's pending check, if any."""
    check = uow.auth_check
    if check is not None and revision is not None:
        check.see(uow, int(revision))


def confirm(uow: UnitOfWork) -> None:
    """Make sure the unit's bearer token has been confirmed (a read of its own if nothing confirmed it yet)."""
    check = uow.auth_check
    if check is not None:
        check.ensure(uow)
