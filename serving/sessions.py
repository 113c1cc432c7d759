"""The page's sessions, kept by the server, and the login attempts that failed.

Logging in opens a session: the browser gets a random token in an HttpOnly, SameSite=Strict cookie; the database
keeps only the token's SHA-256, the key's owner and role, the key's fingerprint (its hash's first 16 characters)
and when the session ends by itself (8 hours). A session lives while it has not expired, has not been ended
(logging out writes an end), and its very key is still in the keys file with the same name and role: replacing or
revoking a key (`vsv keys add --replace`, deleting its line) ends its sessions at once. A cookie replayed after
logout, or after its key was replaced, opens nothing.

Every form on the page carries a token derived from the session's (`form_token`): a site that cannot read the
cookie cannot make it. Before logging in, a browser gets a random form cookie of its own for the login form.

The tables only ever receive inserts (a session's end is a row of its own), so the service needs no UPDATE or
DELETE right on them, like on the audit tables. They are not append-only by trigger: a clean-up of old
sessions may delete them.

Login failures are counted per client address: after `LOGIN_FAILURES` failures within `LOGIN_WINDOW_SECONDS`,
that address is refused (429) until the oldest falls out of the window.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
import time
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from serving.auth import KeyRing, Principal, key_fingerprint
from vsv_model.database import driver_message, writing

log = logging.getLogger("vsv.sessions")

SESSION_SECONDS = 8 * 3600
LOGIN_FAILURES = 10  # failed logins per client address and window before that address is refused
LOGIN_WINDOW_SECONDS = 15 * 60
TOKEN_BYTES = 32

sessions_metadata = sa.MetaData()
sessions_table = sa.Table(
    "page_sessions", sessions_metadata,
    sa.Column("id", sa.String(64), primary_key=True),  # SHA-256 of the cookie's token: the database holds no usable cookie
    sa.Column("opened_at", sa.BigInteger, nullable=False),  # Unix seconds
    sa.Column("expires_at", sa.BigInteger, nullable=False),
    sa.Column("key_name", sa.String(64), nullable=False),
    sa.Column("role", sa.String(16), nullable=False),
    sa.Column("key_fingerprint", sa.String(16), nullable=False),
    sa.Column("client", sa.String(64), nullable=True),
)
session_ends_table = sa.Table(
    "page_session_ends", sessions_metadata,
    sa.Column("session_id", sa.String(64), primary_key=True),
    sa.Column("ended_at", sa.BigInteger, nullable=False),
    sa.Column("reason", sa.String(16), nullable=False),  # logout
)
login_failures_table = sa.Table(
    "login_failures", sessions_metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("failed_at", sa.BigInteger, nullable=False, index=True),
    sa.Column("client", sa.String(64), nullable=False, index=True),
)


def create_tables(engine: Engine, attempts: int = 3) -> None:
    """The tables, when missing. The workers of a first start race to create them ("already exists": try again); a
    database that cannot take them (read-only) is logged, and every page login then fails loudly (503), while the
    API's keys keep working."""
    for attempt in range(1, attempts + 1):
        try:
            sessions_metadata.create_all(engine)
            return
        except sa.exc.SQLAlchemyError as exc:
            if attempt == attempts:
                log.error("database %s: the session tables are not created (%s)",
                          engine.url.render_as_string(hide_password=True), driver_message(exc))


def token_id(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def form_token(token: str) -> str:
    """The token every form of a session (or of a browser before login) carries: derived from the cookie's token,
    which no other site can read, and never the token itself (a page's source does not give away the session)."""
    return hashlib.sha256(b"form:" + token.encode("utf-8")).hexdigest()


def new_token() -> str:
    return secrets.token_urlsafe(TOKEN_BYTES)


def plausible_token(value: str | None) -> bool:
    """A cookie value of the form `new_token` makes (43 URL-safe characters), before any lookup."""
    return bool(value) and len(value) == 43 and all(c.isalnum() or c in "-_" for c in value)


@dataclass(frozen=True)
class Session:
    principal: Principal
    token: str

    @property
    def form_token(self) -> str:
        return form_token(self.token)


class SessionStore:
    """Sessions and login failures in the service's database (tables created when missing)."""

    def __init__(self, engine: Engine):
        self.engine = engine
        create_tables(engine)

    def open(self, principal: Principal, key: str, client: str | None, now: float | None = None) -> str:
        """A new session for the owner of `key`; returns the cookie's token (shown to nobody else)."""
        token, now = new_token(), int(now if now is not None else time.time())
        with writing(self.engine) as connection:
            connection.execute(sessions_table.insert().values(
                id=token_id(token), opened_at=now, expires_at=now + SESSION_SECONDS, key_name=principal.name,
                role=principal.role, key_fingerprint=key_fingerprint(key), client=client))
        return token

    def find(self, token: str | None, keys: KeyRing, now: float | None = None) -> Session | None:
        """The live session of a cookie's token: not expired, not ended, its key still in the keys file as it was."""
        if not plausible_token(token):
            return None
        ended = sa.select(session_ends_table.c.session_id).where(session_ends_table.c.session_id == sessions_table.c.id)
        query = sa.select(sessions_table).where(sessions_table.c.id == token_id(token),
                                                sessions_table.c.expires_at > int(now if now is not None else time.time()),
                                                ~ended.exists())
        with self.engine.connect() as connection:
            row = connection.execute(query).mappings().first()
        if row is None:
            return None
        current = keys.by_fingerprint(row["key_fingerprint"])
        return Session(current, token) if current == Principal(row["key_name"], row["role"]) else None

    def end(self, token: str | None, reason: str = "logout", now: float | None = None) -> None:
        """End a session for good (logging out); a token that opened none is ignored."""
        if not plausible_token(token):
            return
        with writing(self.engine) as connection:
            known = connection.execute(sa.select(sessions_table.c.id).where(sessions_table.c.id == token_id(token))).first()
            ended = connection.execute(sa.select(session_ends_table.c.session_id)
                                       .where(session_ends_table.c.session_id == token_id(token))).first()
            if known is not None and ended is None:
                connection.execute(session_ends_table.insert().values(
                    session_id=token_id(token), ended_at=int(now if now is not None else time.time()), reason=reason))

    def note_failure(self, client: str, now: float | None = None) -> None:
        with writing(self.engine) as connection:
            connection.execute(login_failures_table.insert().values(
                failed_at=int(now if now is not None else time.time()), client=client[:64]))

    def seconds_refused(self, client: str, now: float | None = None) -> int:
        """0 when `client` may try to log in; else how many seconds until its oldest recent failure leaves the window."""
        now = int(now if now is not None else time.time())
        query = (sa.select(login_failures_table.c.failed_at)
                 .where(login_failures_table.c.client == client[:64],
                        login_failures_table.c.failed_at > now - LOGIN_WINDOW_SECONDS)
                 .order_by(login_failures_table.c.failed_at.desc()).limit(LOGIN_FAILURES))
        with self.engine.connect() as connection:
            recent = connection.execute(query).scalars().all()
        if len(recent) < LOGIN_FAILURES:
            return 0
        return max(1, recent[-1] + LOGIN_WINDOW_SECONDS - now)
