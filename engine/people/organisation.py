"""The organisation file of a city package: the city, its departments (lanes) and counties, loaded at start-up."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import yaml

from engine.errors import InvalidInput

COUNTY_WINDOW = "county_window"
_QUOTES = str.maketrans({"“": '"', "”": '"', "「": '"', "」": '"', "＂": '"'})


def _key(name: str) -> str:
    """A department name as lanes may write it: ASCII or Chinese quotation marks alike, no outer spaces."""
    return name.strip().translate(_QUOTES)


@dataclass(frozen=True)
class Department:
    code: str
    name: str
    short_name: str
    duties: str
    per_county: bool
    webhook: str = ""  # the department's group robot (WeCom / DingTalk style), for notifications


@dataclass(frozen=True)
class County:
    code: str
    name: str
    window: str


@dataclass(frozen=True)
class City:
    """The city a package serves, as the UI header, footer and printed documents name it."""

    code: str = ""
    name: str = ""
    name_en: str = ""
    platform: str = "人才“一站式”服务平台"
    platform_en: str = "Talent One-Stop Service Platform"
    sponsor: str = ""
    sponsor_en: str = ""
    policy: str = ""  # the seed text the package implements (a file name under the shared seeds)


def _webhook(value: object, path: Path, code: str) -> str:
    """A department's ``webhook:``: the http(s) address of its group robot, or nothing."""
    url = str(value or "").strip()
    if url and urlsplit(url).scheme not in ("http", "https"):
        raise InvalidInput(f"{path}: the webhook of {code} must be an http:// or https:// address")
    return url


class Organisation:
    def __init__(self, departments: list[Department], counties: list[County], city: City | None = None) -> None:
        self.departments: dict[str, Department] = {d.code: d for d in departments}
        self.counties: dict[str, County] = {c.code: c for c in counties}
        self.city: City = city or City()
        self._by_name: dict[str, str] = {}
        for d in departments:
            self._by_name[d.code] = d.code
            self._by_name[_key(d.name)] = d.code
            if d.short_name:
                self._by_name[_key(d.short_name)] = d.code
        self._county_by_name = {c.name: c.code for c in counties} | {c.code: c.code for c in counties}

    def department_for_lane(self, lane: str | None) -> str | None:
        """The department code a lane names (by code, full or short Chinese name), or None."""
        if lane is None:
            return None
        return self._by_name.get(_key(lane))

    def department_name(self, code: str | None) -> str:
        """The one name every screen, export and document shows for a department: its full Chinese name."""
        department = self.departments.get(code or "")
        return department.name if department is not None else (code or "")

    def county_code(self, value: str | None) -> str | None:
        if value is None:
            return None
        return self._county_by_name.get(str(value).strip())

    def is_per_county(self, department: str | None) -> bool:
        return department is not None and department in self.departments and \
            self.departments[department].per_county

    @classmethod
    def load(cls, path: Path) -> Organisation:
        try:
            raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        except (OSError, yaml.YAMLError) as error:
            raise InvalidInput(f"{path}: cannot read the organisation file: {error}") from error
        if not isinstance(raw, dict):
            raise InvalidInput(f"{path}: the organisation file must be a mapping with departments and counties")
        try:
            departments = [
                Department(code=str(d["code"]), name=str(d["name"]), short_name=str(d.get("short_name", "") or ""),
                           duties=str(d.get("duties", "") or ""), per_county=bool(d.get("per_county", False)),
                           webhook=_webhook(d.get("webhook"), path, str(d["code"])))
                for d in raw.get("departments") or []
            ]
            counties = [County(code=str(c["code"]), name=str(c["name"]), window=str(c.get("window", "") or ""))
                        for c in raw.get("counties") or []]
            city_raw = raw.get("city") or {}
            city = City(**{key: str(value) for key, value in city_raw.items()
                           if key in City.__dataclass_fields__ and value is not None})
        except (KeyError, TypeError, AttributeError) as error:
            raise InvalidInput(f"{path}: each department and county needs a code and a name ({error})") \
                from error
        if not departments:
            raise InvalidInput(f"{path}: lists no departments")
        codes = [d.code for d in departments]
        duplicated = sorted({code for code in codes if codes.count(code) > 1})
        if duplicated:
            raise InvalidInput(f"{path}: department codes listed twice: {', '.join(duplicated)}")
        return cls(departments, counties, city)
