"""Settings: one typed object built on demand from environment variables with defaults.

This is the only place that reads the environment. Nothing happens at import; callers build
`Settings.from_env()` and pass it on (the BentoML service builds it once when its module loads, because
its class decorator needs the worker count).

| variable | setting | default |
|---|---|---|
| MLFLOW_TRACKING_URI | tracking_uri | sqlite:///mlruns/mlflow.db |
| VSV_MODEL_NAME, VSV_EXPERIMENT | model_name, experiment_name | vsv-risk |
| VSV_MAX_AGE | target_max_age: when set, the served model must be for that target group | (the model's) |
| VSV_DATABASE_URL | database_url (decisions, audit log, score archive) | sqlite:///vsv.db |
| VSV_SCORES | scores_path (the officers' list) | data/scores/latest.parquet |
| VSV_API_KEYS_FILE | api_keys_file | vsv-keys.txt |
| VSV_MAX_BODY_BYTES | max_body_bytes | 5000000 |
| VSV_COOKIE_SECURE | cookie_secure: 1 marks the page's cookies `Secure` on loopback too (a TLS proxy on the same machine); off loopback they always are | 0 |
| VSV_PUBLIC_ORIGIN | public_origins: the page's address(es) as browsers see them behind a proxy (`https://vsv.example.nl`, comma-separated); forms are accepted only from there | (the request's own host) |
| VSV_MODEL_TAG | model_tag: the BentoML model a server starts with (`vsv serve` sets it) | |
| VSV_WORKERS | workers | 2 |
| VSV_TRACING | tracing (1: BentoML's tracing spans on) | 0 |
| PROMETHEUS_MULTIPROC_DIR | prometheus_dir (BentoML's own variable: set, the workers share their metrics through it) | |
| BENTOML_HOME | bentoml_home (BentoML's own variable, read here for the served-model markers) | ~/bentoml |
| VSV_LOG_DIR | log_dir: where the CLI writes the libraries' warnings and progress noise | logs |
| VSV_TODAY | today: the day the officers' page counts from (JJJJ-MM-DD; for tests and demonstrations) | the calendar's |
| VSV_REGION_CONFIG | region_config: the region's TOML file (`[casework]`: the work queue's terms, retention) | (defaults) |
| VSV_RETENTION | retention (0: the service's daily retention run is off) | 1 |
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo

DEFAULT_TRACKING_URI = "sqlite:///mlruns/mlflow.db"


@dataclass(frozen=True)
class Settings:
    tracking_uri: str = DEFAULT_TRACKING_URI
    model_name: str = "vsv-risk"
    experiment_name: str = "vsv-risk"
    target_max_age: int | None = None  # None: the model's target group; set: refuse a model for another group
    database_url: str = "sqlite:///vsv.db"  # decisions (and the audit log): SQLite next to mlruns/
    scores_path: str = "data/scores/latest.parquet"  # the latest `vsv score` output, for the officers' list
    api_keys_file: str = "vsv-keys.txt"  # role:name:sha256 lines; only hashes are stored
    max_body_bytes: int = 5_000_000
    cookie_secure: bool = False  # 1: `Secure` cookies also on loopback (off loopback they always are)
    public_origins: tuple[str, ...] = ()  # empty: a form must come from the address the request was sent to
    model_tag: str | None = None
    workers: int = 2  # one per core on the 2-core target machine
    tracing: bool = False  # tracing spans cost a fifth of a request and go nowhere without an exporter
    bentoml_home: Path = Path("~/bentoml").expanduser()
    prometheus_dir: str | None = None
    log_dir: Path = Path("logs")
    today: dt.date | None = None  # None: the calendar's day; set: the page's "today" (freshness, who left the group)
    region_config: Path | None = None  # the region's TOML file; None: the defaults of `CaseworkRules`
    retention: bool = True  # the service's daily retention run (VSV_RETENTION=0: off)

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if env is None else env
        return cls(
            tracking_uri=env.get("MLFLOW_TRACKING_URI", DEFAULT_TRACKING_URI),
            model_name=env.get("VSV_MODEL_NAME", "vsv-risk"),
            experiment_name=env.get("VSV_EXPERIMENT", "vsv-risk"),
            target_max_age=int(env["VSV_MAX_AGE"]) if env.get("VSV_MAX_AGE") else None,
            database_url=env.get("VSV_DATABASE_URL", "sqlite:///vsv.db"),
            scores_path=env.get("VSV_SCORES", "data/scores/latest.parquet"),
            api_keys_file=env.get("VSV_API_KEYS_FILE", "vsv-keys.txt"),
            max_body_bytes=int(env.get("VSV_MAX_BODY_BYTES", "5000000")),
            cookie_secure=env.get("VSV_COOKIE_SECURE", "0") == "1",
            public_origins=tuple(o.strip().rstrip("/").lower() for o in env.get("VSV_PUBLIC_ORIGIN", "").split(",") if o.strip()),
            model_tag=env.get("VSV_MODEL_TAG") or None,
            workers=int(env.get("VSV_WORKERS", "2")),
            tracing=env.get("VSV_TRACING", "0") == "1",
            bentoml_home=Path(env.get("BENTOML_HOME", "~/bentoml")).expanduser(),
            prometheus_dir=env.get("PROMETHEUS_MULTIPROC_DIR") or None,
            log_dir=Path(env.get("VSV_LOG_DIR", "logs")),
            today=dt.date.fromisoformat(env["VSV_TODAY"]) if env.get("VSV_TODAY") else None,
            region_config=Path(env["VSV_REGION_CONFIG"]) if env.get("VSV_REGION_CONFIG") else None,
            retention=env.get("VSV_RETENTION", "1") != "0",
        )

    def current_date(self) -> dt.date:
        """The day the officers' page counts from: VSV_TODAY when set, else today's date in the Netherlands (read
        on every call, so a server running past midnight moves on)."""
        return self.today or dt.datetime.now(ZoneInfo("Europe/Amsterdam")).date()

    def sqlite_path(self) -> Path | None:
        """The database file of a `sqlite:///` tracking URI (None for other stores)."""
        prefix = "sqlite:///"
        return Path(self.tracking_uri[len(prefix):]) if self.tracking_uri.startswith(prefix) else None

    def artifact_root(self) -> str | None:
        """Artifacts live next to a SQLite store (under mlruns/ by default); servers choose their own."""
        db = self.sqlite_path()
        return (db.parent.resolve() / "artifacts").as_uri() if db else None
