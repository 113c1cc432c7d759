"""Settings: one typed object built on demand from environment variables with defaults.

Nothing happens at import; callers build `Settings.from_env()` and pass it on.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

DEFAULT_TRACKING_URI = "sqlite:///mlruns/mlflow.db"


@dataclass(frozen=True)
class Settings:
    tracking_uri: str = DEFAULT_TRACKING_URI
    model_name: str = "vsv-risk"
    experiment_name: str = "vsv-risk"
    max_age: int = 23  # exclusive upper age of the target group; a coming law change makes it 27
    database_url: str = "sqlite:///vsv.db"  # decisions (and the audit log): SQLite next to mlruns/
    scores_path: str = "data/scores/latest.parquet"  # the latest `vsv score` output, for the officers' list
    api_keys_file: str = "vsv-keys.txt"  # role:name:sha256 lines; only hashes are stored
    max_body_bytes: int = 5_000_000
    cookie_secure: bool = False  # set VSV_COOKIE_SECURE=1 behind HTTPS

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if env is None else env
        return cls(
            tracking_uri=env.get("MLFLOW_TRACKING_URI", DEFAULT_TRACKING_URI),
            model_name=env.get("VSV_MODEL_NAME", "vsv-risk"),
            experiment_name=env.get("VSV_EXPERIMENT", "vsv-risk"),
            max_age=int(env.get("VSV_MAX_AGE", "23")),
            database_url=env.get("VSV_DATABASE_URL", "sqlite:///vsv.db"),
            scores_path=env.get("VSV_SCORES", "data/scores/latest.parquet"),
            api_keys_file=env.get("VSV_API_KEYS_FILE", "vsv-keys.txt"),
            max_body_bytes=int(env.get("VSV_MAX_BODY_BYTES", "5000000")),
            cookie_secure=env.get("VSV_COOKIE_SECURE", "0") == "1",
        )

    def sqlite_path(self) -> Path | None:
        """The database file of a `sqlite:///` tracking URI (None for other stores)."""
        prefix = "sqlite:///"
        return Path(self.tracking_uri[len(prefix):]) if self.tracking_uri.startswith(prefix) else None

    def artifact_root(self) -> str | None:
        """Artifacts live next to a SQLite store (under mlruns/ by default); servers choose their own."""
        db = self.sqlite_path()
        return (db.parent.resolve() / "artifacts").as_uri() if db else None
