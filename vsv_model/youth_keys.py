"""Per-youth keys: personal fields in append-only tables, made irreversibly pseudonymous by destroying one key.

The audit log and the decisions may never be changed or deleted (database triggers refuse it), yet a youth's
retention term ends. So every personal field there is kept under a key of that youth alone (crypto-shredding):

- `youth_keys` holds, per youth id, a random 32-byte key and the youth's pseudonym. It is an ordinary table: a
  key is created the first time something is written about the youth, and retention deletes it.
- A row keeps the pseudonym, HMAC-SHA256(key, youth_id), where it used to keep the youth id: the youth's rows are
  found through it while the key exists, and cannot be found by youth id once it is gone.
- The free text and the youth id itself are sealed with AES-GCM under the key (`seal`, `unseal`), bound to the
  table and the pseudonym (associated data), so a sealed value cannot be moved to another youth's row.

Destroying the key leaves every row in place, with its counts and aggregates (dates, model, probability, route),
but nothing in it leads back to the person: the key was random and exists nowhere else. Placed in `vsv_model`
because the service (audit log, decisions) and the work queue (retention) both use it.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import json
import os
from dataclasses import dataclass

import sqlalchemy as sa
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy.engine import Connection

KEY_BYTES, NONCE_BYTES = 32, 12
IN_CHUNK = 500  # ids per IN (...) list: well under every driver's parameter limit
REMOVED_NL = "verwijderd (bewaartermijn verlopen)"  # what a reader shows where a destroyed key's field was
ENCODE = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode

keys_metadata = sa.MetaData()
youth_keys_table = sa.Table(
    "youth_keys", keys_metadata,
    sa.Column("youth_id", sa.String(64), primary_key=True),
    sa.Column("pseudonym", sa.String(64), nullable=False, unique=True),
    sa.Column("key", sa.LargeBinary, nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
)


@dataclass(frozen=True)
class YouthKey:
    youth_id: str
    pseudonym: str
    key: bytes


def pseudonym_of(key: bytes, youth_id: str) -> str:
    """HMAC-SHA256 of the youth id under the youth's own key, as 64 hex characters."""
    return hmac.new(key, youth_id.encode("utf-8"), hashlib.sha256).hexdigest()


def new_key(youth_id: str) -> YouthKey:
    key = os.urandom(KEY_BYTES)
    return YouthKey(youth_id, pseudonym_of(key, youth_id), key)


def chunks(values: list, size: int = IN_CHUNK):
    for begin in range(0, len(values), size):
        yield values[begin:begin + size]


def create_keys_table(connection: Connection) -> None:
    keys_metadata.create_all(connection)


def find_keys(connection: Connection, youth_ids) -> dict[str, YouthKey]:
    """The keys that exist for these youths, by youth id (none is created)."""
    wanted = sorted(set(youth_ids))
    found = {}
    for part in chunks(wanted):
        query = sa.select(youth_keys_table.c.youth_id, youth_keys_table.c.pseudonym, youth_keys_table.c.key).where(
            youth_keys_table.c.youth_id.in_(part))
        found |= {row.youth_id: YouthKey(row.youth_id, row.pseudonym, bytes(row.key)) for row in connection.execute(query)}
    return found


def ensure_keys(connection: Connection, youth_ids) -> dict[str, YouthKey]:
    """The keys of these youths, created for those that have none, in the caller's transaction. Two writers that
    create the same youth's key at once keep one: the second's insert does nothing and it reads the first's."""
    found = find_keys(connection, youth_ids)
    missing = [new_key(y) for y in sorted(set(youth_ids) - set(found))]
    if not missing:
        return found
    now = dt.datetime.now(dt.UTC)
    rows = [{"youth_id": k.youth_id, "pseudonym": k.pseudonym, "key": k.key, "created_at": now} for k in missing]
    connection.execute(insert_ignoring_duplicates(connection), rows)
    return found | find_keys(connection, [k.youth_id for k in missing])


def insert_ignoring_duplicates(connection: Connection):
    if connection.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    elif connection.dialect.name == "sqlite":
        from sqlalchemy.dialects.sqlite import insert
    else:
        raise NotImplementedError(f"youth keys on {connection.dialect.name}: SQLite and PostgreSQL only")
    return insert(youth_keys_table).on_conflict_do_nothing(index_elements=["youth_id"])


def keys_by_pseudonym(connection: Connection, pseudonyms) -> dict[str, bytes]:
    """The keys behind these pseudonyms (a destroyed one is simply absent)."""
    found = {}
    for part in chunks(sorted({p for p in pseudonyms if p})):
        query = sa.select(youth_keys_table.c.pseudonym, youth_keys_table.c.key).where(youth_keys_table.c.pseudonym.in_(part))
        found |= {row.pseudonym: bytes(row.key) for row in connection.execute(query)}
    return found


def destroy_keys(connection: Connection, youth_ids) -> int:
    """Delete these youths' keys: every field sealed under them is unreadable from the commit on. Returns how many."""
    destroyed = 0
    for part in chunks(sorted(set(youth_ids))):
        destroyed += connection.execute(sa.delete(youth_keys_table).where(youth_keys_table.c.youth_id.in_(part))).rowcount
    return destroyed


def associated(table: str, pseudonym: str) -> bytes:
    return f"{table}:{pseudonym}".encode()


def seal(key: YouthKey, table: str, fields: dict) -> str:
    """The fields as one AES-GCM ciphertext (base64 of nonce and ciphertext), bound to `table` and the pseudonym."""
    nonce = os.urandom(NONCE_BYTES)
    plain = ENCODE(fields).encode("utf-8")
    return base64.b64encode(nonce + AESGCM(key.key).encrypt(nonce, plain, associated(table, key.pseudonym))).decode("ascii")


def unseal(key: bytes | None, table: str, pseudonym: str, sealed: str) -> dict | None:
    """The sealed fields, or None when the key was destroyed. A ciphertext that does not open under its own key
    (changed, or moved from another row) raises ValueError: that is tampering, not retention."""
    if key is None:
        return None
    raw = base64.b64decode(sealed)
    try:
        plain = AESGCM(key).decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:], associated(table, pseudonym))
    except InvalidTag as exc:
        raise ValueError(f"a sealed {table} record does not open under its youth's key: it was changed") from exc
    return json.loads(plain)
