"""Who may do what: API keys with roles, checked on every request but health and the login form.

Keys live in `VSV_API_KEYS_FILE`, one `role:name:sha256-of-key` per line: only
hashes are stored, and `vsv keys add` prints a new key once. Roles nest:
`officer` (score, explain, the page, decisions) < `analyst` (also model info,
large batches, audit export, and `POST /events`: DUO's link delivering reports and leavers) < `admin` (also reload). The page logs in with
the same keys and gets a server-side session (`serving.sessions`) bound to the key
it logged in with, so logging out, or replacing or revoking that key, ends it.
`/metrics` needs an analyst's key too. Keys are never logged or stored in clear.
"""

from __future__ import annotations

import hashlib
import os
import re
import secrets
from dataclasses import dataclass
from pathlib import Path

ROLES = ("officer", "analyst", "admin")
KEY_PREFIX = "vsv_"
NAME_PATTERN = re.compile(r"^[A-Za-z0-9_.@-]{1,64}$")
SESSION_COOKIE = "vsv_sessie"
FORM_COOKIE = "vsv_formulier"  # before login: the browser's own token for the login form
FINGERPRINT_CHARS = 16  # of the key's SHA-256 in a session's row: 64 bits, never the key
# Open to all: the probes, the login, and the pages' and BentoML's API documentation's own static files (no data).
OPEN_PATHS = ("/livez", "/readyz", "/healthz", "/ui/login", "/ui/static/", "/static_content/")
DOC_PATHS = ("/", "/docs", "/docs.json")
# /events is DUO's machine link: the analyst role, which already covers batch work (admin would add /reload).
ROUTE_ROLES = {"/score": "officer", "/explain": "officer", "/model": "analyst", "/audit_export": "analyst",
               "/events": "analyst", "/reload": "admin", "/ui/monitor": "analyst", "/ui/analyse": "analyst",
               "/metrics": "analyst"}
OFFICER_MAX_YOUTHS = 25  # larger /score requests are batch scoring: analysts


class KeyFileError(ValueError):
    """The keys file is malformed; the message names the line."""


@dataclass(frozen=True)
class Principal:
    name: str
    role: str

    def may(self, needed: str) -> bool:
        return ROLES.index(self.role) >= ROLES.index(needed)


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def parse_keys(text: str, source: str) -> dict[str, Principal]:
    """`role:name:sha256` lines (blank lines and # comments allowed) to principals by key hash."""
    keys: dict[str, Principal] = {}
    names: set[str] = set()
    for number, line in enumerate(text.splitlines(), start=1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        parts = line.split(":")
        if len(parts) != 3 or parts[0] not in ROLES or not NAME_PATTERN.match(parts[1]) or not re.fullmatch(r"[0-9a-f]{64}", parts[2]):
            raise KeyFileError(f"{source}, line {number}: expected role:name:sha256 with role one of {', '.join(ROLES)}")
        if parts[1] in names:
            raise KeyFileError(f"{source}, line {number}: the name {parts[1]!r} is used twice")
        names.add(parts[1])
        keys[parts[2]] = Principal(parts[1], parts[0])
    return keys


class KeyRing:
    """The keys file, re-read when it changes, so adding or revoking a key needs no restart."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self._keys: dict[str, Principal] = {}
        self._stamp: tuple | None = None

    def _current(self) -> dict[str, Principal]:
        try:
            status = self.path.stat()
        except FileNotFoundError:
            self._keys, self._stamp = {}, None
            return self._keys
        # the inode and size too: two writes within one clock tick share an mtime, and `add_key` replaces the file
        stamp = (status.st_mtime_ns, status.st_ino, status.st_size)
        if stamp != self._stamp:
            self._keys, self._stamp = parse_keys(self.path.read_text(encoding="utf-8"), str(self.path)), stamp
        return self._keys

    def authenticate(self, key: str | None) -> Principal | None:
        if not key:
            return None
        return self._current().get(hash_key(key))

    def by_fingerprint(self, fingerprint: str) -> Principal | None:
        """The principal of the key whose hash starts with `fingerprint`, while that key is in the file."""
        if len(fingerprint) != FINGERPRINT_CHARS:
            return None
        return next((p for digest, p in self._current().items() if digest.startswith(fingerprint)), None)


def add_key(path: Path, role: str, name: str, replace: bool = False) -> str:
    """Create a key, store only its hash, return the key (shown once). `replace` drops an old key of that name."""
    if role not in ROLES:
        raise KeyFileError(f"role must be one of {', '.join(ROLES)}")
    if not NAME_PATTERN.match(name):
        raise KeyFileError("name: 1 to 64 letters, digits or . _ @ -")
    path = Path(path)
    lines = path.read_text(encoding="utf-8").splitlines() if path.exists() else []
    existing = parse_keys("\n".join(lines), str(path))
    if any(p.name == name for p in existing.values()):
        if not replace:
            raise KeyFileError(f"a key named {name!r} exists already")
        lines = [line for line in lines if line.split(":")[1:2] != [name]]
    key = KEY_PREFIX + secrets.token_urlsafe(32)
    lines.append(f"{role}:{name}:{hash_key(key)}")
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(path.suffix + ".tmp")
    temporary.write_text("\n".join(lines) + "\n", encoding="utf-8")
    os.chmod(temporary, 0o600)
    temporary.replace(path)
    return key


def key_fingerprint(key: str) -> str:
    """A short prefix of the key's hash: binds a session to the key it was opened with, not to the name."""
    return hash_key(key)[:FINGERPRINT_CHARS]


def required_role(path: str) -> str | None:
    """The role a path needs; None when it is open to all."""
    if path in DOC_PATHS or any(path == p or (p.endswith("/") and path.startswith(p)) for p in OPEN_PATHS):
        return None
    if path in ROUTE_ROLES:
        return ROUTE_ROLES[path]
    return "officer"
