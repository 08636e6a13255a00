"""Settings read from the environment (the names are fixed by the contract)."""

from __future__ import annotations

import os
import re
import secrets
from dataclasses import dataclass, field
from datetime import time
from pathlib import Path
from time import sleep
from zoneinfo import ZoneInfo

DEFAULT_DATABASE_URL = "sqlite:///instance/onestop.db"


PROJECT_PROCESSES = Path(__file__).resolve().parent.parent / "processes"
DEFAULT_CITY = "liaocheng"
_CITY_CODE = re.compile(r"^[a-z][a-z0-9_]{0,39}$")


def city_code(configured: str | None) -> str:
    """ONESTOP_CITY: the package under processes/ that this deployment serves (default liaocheng)."""
    city = (configured or DEFAULT_CITY).strip().lower()
    if not _CITY_CODE.match(city):
        raise ValueError(f"ONESTOP_CITY={configured!r} is not a city package name such as liaocheng or lianyungang")
    return city


def _processes_dir(configured: str | None, city: str) -> Path:
    """ONESTOP_PROCESSES_DIR, else ./processes/<city>, else the project's own package (commands run elsewhere)."""
    if configured:
        return Path(configured)
    here = Path("processes") / city
    return here if here.is_dir() or not (PROJECT_PROCESSES / city).is_dir() else PROJECT_PROCESSES / city


@dataclass(frozen=True)
class Settings:
    database_url: str = DEFAULT_DATABASE_URL
    timezone: str = "Asia/Shanghai"
    processes_dir: Path = PROJECT_PROCESSES / DEFAULT_CITY
    city: str = DEFAULT_CITY
    workday_end: time = time(18, 0)
    instance_dir: Path = Path("instance")
    secret_key: str = field(default="", repr=False)

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> Settings:
        env = os.environ if environ is None else environ
        instance_dir = Path(env.get("ONESTOP_INSTANCE_DIR", "instance"))
        hours, _, minutes = env.get("ONESTOP_WORKDAY_END", "18:00").partition(":")
        city = city_code(env.get("ONESTOP_CITY"))
        settings = cls(
            database_url=env.get("ONESTOP_DATABASE_URL", DEFAULT_DATABASE_URL),
            timezone=env.get("ONESTOP_TIMEZONE", "Asia/Shanghai"),
            processes_dir=_processes_dir(env.get("ONESTOP_PROCESSES_DIR"), city),
            city=city,
            workday_end=time(int(hours), int(minutes or 0)),
            instance_dir=instance_dir,
            secret_key=env.get("ONESTOP_SECRET_KEY", ""),
        )
        ZoneInfo(settings.timezone)  # fail early on a misspelt zone
        return settings

    def ensure_secret_key(self) -> str:
        """The configured key, or one generated once into ``instance/secret_key``."""
        if self.secret_key:
            return self.secret_key
        path = self.instance_dir / "secret_key"
        self.instance_dir.mkdir(parents=True, exist_ok=True)
        try:
            # Created exclusively: of several processes starting at once, one writes and all read the same key.
            descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            for _attempt in range(50):
                key = path.read_text().strip()
                if key:
                    return key
                sleep(0.02)  # the writer has created the file but not yet written it
            raise RuntimeError(f"{path} is empty: delete it or set ONESTOP_SECRET_KEY") from None
        key = secrets.token_urlsafe(48)
        with os.fdopen(descriptor, "w") as out:
            out.write(key)
        return key
