"""The designers' 政策条款对照表: each article of the served city's policy with the deployed elements that implement
it, the scenario tests that exercise it, and why an article is not implemented; as a page and as CSV."""

from __future__ import annotations

from typing import Any

from flask import render_template

from engine.services import policy
from engine.services.supervision import to_csv

from ..admin_api import csv_download
from .designer import designer
from .work import transaction


@designer.get("/policy")
def policy_page() -> Any:
    with transaction(write=False) as uow:
        table = policy.policy_table(uow=uow)
    return render_template("designer/policy.html", table=table)


@designer.get("/policy.csv")
def policy_csv() -> Any:
    with transaction(write=False) as uow:
        table = policy.policy_table(uow=uow)
    code = uow.platform.organisation.city.code or uow.platform.settings.city
    return csv_download(to_csv(policy.csv_rows(table), policy.CSV_COLUMNS), f"policy-{code}.csv")
