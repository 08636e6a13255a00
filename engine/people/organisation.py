"""The organisation file: departments (lanes) and counties, loaded at start-up."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml

from engine.errors import InvalidInput

COUNTY_WINDOW = "county_window"


@dataclass(frozen=True)
class Department:
    code: str
    name: str
    short_name: str
    duties: str
    per_county: bool


@dataclass(frozen=True)
class County:
    code: str
    name: str
    window: str


class Organisation:
    def __init__(self, departments: list[Department], counties: list[County]) -> None:
        self.departments = {d.code: d for d in departments}
        self.counties = {c.code: c for c in counties}
        self._by_name: dict[str, str] = {}
        for d in departments:
            self._by_name[d.code] = d.code
            self._by_name[d.name] = d.code
            if d.short_name:
                self._by_name[d.short_name] = d.code
        self._county_by_name = {c.name: c.code for c in counties} | {c.code: c.code for c in counties}

    def department_for_lane(self, lane: str | None) -> str | None:
        """The department code a lane names (by code, full or short Chinese name), or None."""
        if lane is None:
            return None
        return self._by_name.get(lane.strip())

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
        try:
            departments = [
                Department(code=str(d["code"]), name=str(d["name"]), short_name=str(d.get("short_name", "")),
                           duties=str(d.get("duties", "")), per_county=bool(d.get("per_county", False)))
                for d in raw.get("departments", [])
            ]
            counties = [County(code=str(c["code"]), name=str(c["name"]), window=str(c.get("window", "")))
                        for c in raw.get("counties", [])]
        except (KeyError, TypeError) as error:
            raise InvalidInput(f"{path}: each department and county needs a code and a name ({error})") \
                from error
        if not departments:
            raise InvalidInput(f"{path}: lists no departments")
        return cls(departments, counties)
