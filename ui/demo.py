"""Demo accounts and sample cases for a fresh database (`onestop demo`, run by `make run`).

The accounts come first, in one unit of work. Then, for every deployed flow the demo knows (keys as the folders
under processes/), a few realistic cases are started and driven through the service layer — the same calls the
API makes — so the task lists show cases in different states: just arrived at a county or city window, claimed
by a member of staff, waiting in another department, overdue and escalated to the talent office, completed with
a card issued, refused, a subsidy being paid month by month, a problem closed with a satisfaction record, and a
one-window intake waiting at the city window. The timers a case would have seen are fired for that case
alone (engine.cases.scheduler.fire_instance_timers, what fire_due_timers does per case) at the moment they fell due.

Each case is built in its own unit of work at moments in the recent past (time is an argument everywhere), so a
case that fails rolls back alone, is reported, and does not stop the others. A flow that is not deployed is
skipped with a line saying so."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, select

from engine.cases.instances import cancel_instance, start_instance, suspend_instance
from engine.cases.scheduler import fire_instance_timers
from engine.people.identity import Actor, create_token, create_user
from engine.platform import Platform
from engine.store.models import ProcessInstance, ProcessModel, User
from engine.store.uow import UnitOfWork
from tasks.attachments import Upload, store_submission
from tasks.service import claim_task, complete_task, instance_task_rows

from .demo_documents import demo_pdf, demo_photo

DEMO_PASSWORD = "onestop-demo"  # noqa: S105 — printed for the demo; never used outside `onestop demo`
OPEN = ("open", "claimed")


def demo_accounts(platform: Platform) -> list[tuple[str, str, str | None, str | None, str]]:
    """(username, role, department, county, display name) for every department and county window."""
    accounts: list[tuple[str, str, str | None, str | None, str]] = [
        ("admin", "admin", None, None, "平台管理员"),
        ("designer", "designer", None, None, "流程设计员"),
        ("applicant", "applicant", None, None, "张博士"),
    ]
    for code, department in platform.organisation.departments.items():
        if department.per_county:
            for county in platform.organisation.counties.values():
                accounts.append((f"{code}_{county.code}", "staff", code, county.code, f"{county.name}窗口"))
        else:
            accounts.append((code, "staff", code, None, department.short_name or department.name))
    return accounts


# ------------------------------------------------------------------------------------------------ the driver


class DemoStepFailed(Exception):
    """A step of a sample case did not go as the scenario expects (the flow changed, or a form refused)."""


class CaseDriver:
    """Drives one case through the service layer, each step in its own unit of work at its own moment (a step
    that runs the diagram may not hold the database's write lock while it runs: engine/cases/runner.py)."""

    def __init__(self, platform: Platform, actors: dict[str, Actor], business_key: str) -> None:
        self.platform = platform
        self.actors = actors
        self.business_key = business_key
        self.id: int | None = None

    def actor(self, username: str) -> Actor:
        if username not in self.actors:
            raise DemoStepFailed(f"no demo account {username!r}")
        return self.actors[username]

    def _step(self, action: Callable[[UnitOfWork], Any], *, runs_diagram: bool = False) -> Any:
        with self.platform.uow(optimistic=runs_diagram) as uow:
            result = action(uow)
            uow.commit()
        return result

    def start(self, key: str, data: dict[str, Any], *, at: datetime, who: str = "applicant") -> None:
        result = self._step(lambda uow: start_instance(key, data, business_key=self.business_key,
                                                       actor=self.actor(who), uow=uow, now=at), runs_diagram=True)
        self.id = int(result["id"])
        self._check()

    def complete(self, who: str, name: str, data: dict[str, Any], *, at: datetime) -> None:
        """Complete a task; values that are :class:`Document` are uploaded as the case's documents (as the form's
        file fields would), so they open from the case page."""
        task = self._open_task(name)
        uploads = [Upload(key, value.filename, value.content) for key, value in data.items()
                   if isinstance(value, Document)]
        fields = {key: value for key, value in data.items() if not isinstance(value, Document)}
        if uploads:  # the documents stored first, then the task completed (tasks/attachments.py)
            fields = self._step(lambda uow: store_submission(task.id, fields, uploads, actor=self.actor(who),
                                                             uow=uow, now=at)).data
        self._step(lambda uow: complete_task(task.id, fields, actor=self.actor(who), uow=uow, now=at),
                   runs_diagram=True)
        self._check()

    def claim(self, who: str, name: str, *, at: datetime) -> None:
        task = self._open_task(name)
        self._step(lambda uow: claim_task(task.id, actor=self.actor(who), uow=uow, now=at))

    def suspend(self, reason: str, *, at: datetime) -> None:
        self._step(lambda uow: suspend_instance(self.case_id, reason=reason, actor=self.actor("admin"), uow=uow,
                                                now=at))

    def cancel(self, reason: str, *, at: datetime) -> None:
        self._step(lambda uow: cancel_instance(self.case_id, reason=reason, actor=self.actor("admin"), uow=uow,
                                               now=at))

    def fire(self, *, at: datetime) -> None:
        """Fire this case's timers that are due at ``at`` (what the scheduler would have done then)."""
        if self._step(lambda uow: fire_instance_timers(self.case_id, uow=uow, now=at), runs_diagram=True) \
                != "fired":
            raise DemoStepFailed(f"no timer of the case was due at {at.isoformat()}")
        self._check()

    def remove(self) -> None:
        """Take away what a sample case that failed half-way left (its tasks, history and documents go with it)."""
        if self.id is not None:
            self._step(lambda uow: uow.session.execute(delete(ProcessInstance).where(ProcessInstance.id == self.id)))

    @property
    def case_id(self) -> int:
        if self.id is None:
            raise DemoStepFailed("the case has not been started")
        return self.id

    def row(self) -> ProcessInstance:
        with self.platform.uow(write=False) as uow:
            row = uow.session.get(ProcessInstance, self.case_id)
            if row is not None:
                uow.session.expunge(row)  # read as it is now; the unit's rollback must not expire it
        if row is None:
            raise DemoStepFailed(f"case {self.case_id} vanished")
        return row

    def open_tasks(self) -> list[Any]:
        with self.platform.uow(write=False) as uow:
            return [t for t in instance_task_rows(self.case_id, uow=uow) if t.state in OPEN]

    def _open_task(self, name: str) -> Any:
        found = [t for t in self.open_tasks() if t.name == name]
        if len(found) != 1:
            waiting = ", ".join(sorted(t.name for t in self.open_tasks())) or "none"
            raise DemoStepFailed(f"expected one open task {name!r}; open tasks: {waiting}")
        return found[0]

    def _check(self) -> None:
        row = self.row()
        if row.status == "error":
            raise DemoStepFailed(f"the case went into error at {row.error_task}: {row.error_message}")


@dataclass(frozen=True)
class Scenario:
    key: str  # the flow, as its folder under processes/
    ref: str  # business key DEMO-<ref>
    state: str  # what the case shows, in the UI's language
    run: Callable[[CaseDriver, datetime], None]


# ----------------------------------------------------------------------------------------------- sample data


def id_number(area: str, birth: str, sequence: str) -> str:
    """A resident identity number with a correct GB 11643 check digit (area code, YYYY-MM-DD, 3 digits)."""
    body = f"{area}{birth.replace('-', '')}{sequence}"
    weights = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
    return body + "10X98765432"[sum(int(d) * w for d, w in zip(body, weights, strict=True)) % 11]


def days_ago(now: datetime, days: int, hour: int, minute: int = 0) -> datetime:
    """``days`` calendar days before ``now``, at hour:minute local time (days ≥ 1: always in the past)."""
    return (now - timedelta(days=days)).replace(hour=hour, minute=minute, second=0, microsecond=0)


def month_start(day: date, months_back: int, now: datetime) -> datetime:
    """09:00 on the first day of the month ``months_back`` months before ``day``'s month."""
    index = day.year * 12 + day.month - 1 - months_back
    return now.replace(year=index // 12, month=index % 12 + 1, day=1, hour=9, minute=0, second=0, microsecond=0)


@dataclass(frozen=True)
class Document:
    """A document a demo applicant uploads with a form (made by ui/demo_documents.py, so it opens)."""

    filename: str
    content: bytes


def materials(name: str, pinyin: str, area: str, birth: str, sequence: str, phone: str) -> dict[str, Any]:
    def paper(title: str, filename: str) -> Document:
        return Document(filename, demo_pdf(title, [f"Applicant: {pinyin}", f"Mobile: {phone[:3]}****{phone[-4:]}"]))

    return {"id_number": id_number(area, birth, sequence),
            "certification_proof": paper("Talent certification", f"rencai-rending-{pinyin}.pdf"),
            "approval_form": paper("Health-care card approval form", f"baojianzheng-shenpibiao-{pinyin}.pdf"),
            "id_card_copy": paper("Copy of the resident identity card", f"shenfenzheng-{pinyin}.pdf"),
            "photo": Document(f"{name}.png", demo_photo()), "photo_confirmed": True, "contact_phone": phone}


FORWARD = {"county_decision": "转报市平台", "county_opinion": "四项材料齐全，人才认定证明在有效期内"}
SUPERVISE = {"supervise_measure": "电话督促", "supervise_note": "请于今日内完成审核并反馈办理情况"}


# --- 高层次人才保健证 (health_card) ----------------------------------------------------------------------


def health_card_at_county_window(case: CaseDriver, now: datetime) -> None:
    case.start("health_card", {"applicant_name": "刘明远", "talent_category": "急需紧缺人才",
                               "county": "dongchangfu", "employer": "聊城市人民医院"}, at=now - timedelta(hours=3))
    case.complete("applicant", "submit_materials",
                  materials("刘明远", "liumingyuan", "371502", "1986-04-12", "031", "13863501286"),
                  at=now - timedelta(hours=2, minutes=40))


def health_card_suspended(case: CaseDriver, now: datetime) -> None:
    case.start("health_card", {"applicant_name": "高婧", "talent_category": "高端人才", "county": "linqing",
                               "employer": "临清市人民医院"}, at=days_ago(now, 6, 9, 0))
    case.complete("applicant", "submit_materials",
                  materials("高婧", "gaojing", "371581", "1983-02-17", "046", "13906351172"),
                  at=days_ago(now, 6, 9, 30))
    case.suspend("用人单位来函：申请人赴外地进修三个月，申请暂缓办理", at=days_ago(now, 5, 15, 0))


def health_card_claimed_at_city_window(case: CaseDriver, now: datetime) -> None:
    case.start("health_card", {"applicant_name": "周静怡", "talent_category": "高端人才", "county": "linqing",
                               "employer": "鲁西化工集团股份有限公司"}, at=now - timedelta(hours=6))
    case.complete("applicant", "submit_materials",
                  materials("周静怡", "zhoujingyi", "371581", "1983-11-02", "046", "13963522718"),
                  at=now - timedelta(hours=5, minutes=30))
    case.complete("county_window_linqing", "county_check", FORWARD, at=now - timedelta(hours=3))
    case.claim("city_window", "city_review", at=now - timedelta(hours=1))


def health_card_escalated(case: CaseDriver, now: datetime) -> None:
    case.start("health_card", {"applicant_name": "马骏", "talent_category": "顶尖人才", "county": "yanggu",
                               "employer": "阳谷祥光铜业有限公司"}, at=days_ago(now, 30, 9, 30))
    case.complete("applicant", "submit_materials",
                  materials("马骏", "majun", "371521", "1972-07-19", "015", "13706359921"),
                  at=days_ago(now, 30, 10, 15))
    case.complete("county_window_yanggu", "county_check", FORWARD, at=days_ago(now, 29, 15, 0))
    case.fire(at=now)  # the city window's five working days have run out: the talent office supervises


def health_card_issued(case: CaseDriver, now: datetime) -> None:
    case.start("health_card", {"applicant_name": "王海峰", "talent_category": "高端人才", "county": "dongchangfu",
                               "employer": "聊城大学"}, at=days_ago(now, 20, 9, 0))
    case.complete("applicant", "submit_materials",
                  materials("王海峰", "wanghaifeng", "371502", "1979-03-08", "057", "13606358830"),
                  at=days_ago(now, 20, 9, 40))
    case.complete("county_window_dongchangfu", "county_check", FORWARD, at=days_ago(now, 19, 10, 0))
    case.complete("city_window", "city_review", {"review_decision": "审核通过",
                                                 "review_opinion": "符合第二条适用对象，材料齐全"},
                  at=days_ago(now, 17, 14, 30))
    issued = days_ago(now, 10, 16, 0)
    case.complete("health_care_office", "make_card", {"card_number": f"LCBJ-{issued.year}-0107",
                                                      "issued_on": issued.date().isoformat(),
                                                      "card_note": "已通知用人单位领取"}, at=issued)


def health_card_refused(case: CaseDriver, now: datetime) -> None:
    case.start("health_card", {"applicant_name": "赵文博", "talent_category": "急需紧缺人才", "county": "guanxian",
                               "employer": "冠县新瑞实业有限公司"}, at=days_ago(now, 8, 10, 0))
    case.complete("applicant", "submit_materials",
                  materials("赵文博", "zhaowenbo", "371525", "1990-09-21", "073", "15806351147"),
                  at=days_ago(now, 8, 11, 0))
    case.complete("county_window_guanxian", "county_check", FORWARD, at=days_ago(now, 7, 9, 30))
    case.complete("city_window", "city_review", {"review_decision": "不予通过",
                                                 "review_opinion": "人才认定证明与市人才认定名单不符"},
                  at=days_ago(now, 6, 15, 0))


# --- 人才反映问题办理 (problem_handling) ------------------------------------------------------------------


def problem_with_education(case: CaseDriver, now: datetime) -> None:
    case.start("problem_handling", {"talent_name": "孙立华", "problem_description": "女儿从济南转学到聊城，"
                                    "学籍转接手续一直办不下来"}, at=now - timedelta(hours=6))
    case.complete("city_window", "accept_problem", {"problem_kind": "子女就学",
                                                    "problem_summary": "子女由济南转入聊城，学籍转接受阻",
                                                    "contact_phone": "13406351823"}, at=now - timedelta(hours=5))
    case.complete("education", "handle_education", {"step": "已联系人才", "contact_method": "电话",
                                                    "contact_note": "已电话联系，约定明日到市教育局面谈"},
                  at=now - timedelta(hours=2))


def problem_answered_and_satisfied(case: CaseDriver, now: datetime) -> None:
    case.start("problem_handling", {"talent_name": "李思远", "problem_description": "父亲住院需要开通就医"
                                    "绿色通道"}, at=days_ago(now, 10, 9, 0))
    case.complete("city_window", "accept_problem", {"problem_kind": "医疗保健",
                                                    "problem_summary": "家属住院，申请人才就医绿色通道",
                                                    "contact_phone": "13562071934"}, at=days_ago(now, 10, 10, 0))
    case.complete("health", "handle_health", {"step": "已办结答复",
                                              "answer": "已协调聊城市人民医院开通绿色通道并书面答复"},
                  at=days_ago(now, 9, 16, 0))
    case.complete("city_window", "follow_up", {"visit_method": "电话", "satisfaction": "满意",
                                               "visit_note": "人才对办理速度表示满意"}, at=days_ago(now, 8, 10, 30))


def problem_escalated(case: CaseDriver, now: datetime) -> None:
    case.start("problem_handling", {"talent_name": "陈晓东", "problem_description": "外籍配偶居留许可即将到期，"
                                    "续签材料不清楚"}, at=days_ago(now, 30, 16, 20))
    case.fire(at=now)  # the window did not forward it within one working day: the talent office supervises


# --- 配偶就业安置 (spouse_placement) ---------------------------------------------------------------------


SPOUSE_IN_SERVICE = {
    "talent_name": "黄振宇", "talent_class": "B", "employer_name": "聊城市中心医院", "contact_phone": "13853021764",
    "spouse_name": "吴倩", "spouse_id_number": id_number("370102", "1988-05-12", "024"),
    "spouse_employment": "在职", "original_employer_name": "济南市第四人民医院",
    "original_employer_nature": "事业单位", "spouse_identity": "事业单位专业技术人员", "spouse_major": "临床护理",
    "employer_arrangement": "确有困难", "difficulty_reason": "本单位护理岗位已满编",
}


def spouse_at_staffing_office(case: CaseDriver, now: datetime) -> None:
    case.start("spouse_placement", {}, at=days_ago(now, 4, 9, 0))
    case.complete("applicant", "apply", SPOUSE_IN_SERVICE, at=days_ago(now, 4, 9, 30))
    case.complete("city_window", "intake", {"intake_decision": "受理"}, at=days_ago(now, 3, 10, 0))
    case.complete("talent_office", "recommend", {
        "recommendation": "推荐至对口单位", "original_employer_nature": "事业单位",
        "spouse_identity": "事业单位专业技术人员", "spouse_major": "临床护理",
        "recommended_unit": "聊城市人民医院", "recommended_unit_nature": "事业单位", "recommended_post": "护理岗",
        "quota_full": True}, at=days_ago(now, 2, 15, 0))


def spouse_in_public_employment(case: CaseDriver, now: datetime) -> None:
    case.start("spouse_placement", {}, at=days_ago(now, 25, 9, 0))
    case.complete("applicant", "apply", {
        "talent_name": "郑凯", "talent_class": "C", "employer_name": "聊城高新区时代新材料有限公司",
        "contact_phone": "18763502215", "spouse_name": "林晓燕",
        "spouse_id_number": id_number("371502", "1991-08-23", "042"), "spouse_employment": "待业",
        "spouse_major": "市场营销", "employer_arrangement": "确有困难", "difficulty_reason": "本单位无营销类岗位"},
        at=days_ago(now, 25, 9, 40))
    case.complete("city_window", "intake", {"intake_decision": "受理"}, at=days_ago(now, 24, 10, 0))
    registered = days_ago(now, 20, 11, 0)
    case.complete("hrss", "public_employment", {
        "employment_registered_on": registered.date().isoformat(),
        "recommended_vacancies": ["聊城振华购物中心市场专员", "东昌府区电商产业园运营专员"],
        "free_services": ["职业指导", "职业介绍", "就业登记"], "placement_status": "已推荐上岗",
        "employed_unit": "聊城振华购物中心"}, at=registered)
    notice = days_ago(now, 18, 9, 30)
    case.complete("city_window", "feedback", {"notice_method": "电话", "notice_date": notice.date().isoformat(),
                                              "archive_number": f"PO-{notice.year}-0031"}, at=notice)


# --- 人才服务金卡 (gold_card) ----------------------------------------------------------------------------


GOLD_APPLICATION = {"applicant_name": "许志强", "id_number": id_number("371502", "1975-12-03", "017"),
                    "phone": "13906357741", "employer": "聊城大学", "talent_level": "顶尖人才",
                    "certificate_no": "LCRC-A-0012"}


def gold_card_issued(case: CaseDriver, now: datetime) -> None:
    case.start("gold_card", {"applicant_name": "许志强"}, at=days_ago(now, 40, 9, 0))
    case.complete("city_window", "intake", {**GOLD_APPLICATION, "intake_decision": "受理"},
                  at=days_ago(now, 40, 10, 0))
    issued = days_ago(now, 38, 15, 0)
    case.complete("hrss", "review", {"review_decision": "发放金卡", "card_no": f"LCJK{issued.year}000015",
                                     "card_level": "顶尖人才", "valid_years": 3}, at=issued)


def gold_card_returned(case: CaseDriver, now: datetime) -> None:
    case.start("gold_card", {"applicant_name": "田雨桐"}, at=now - timedelta(hours=26))
    case.complete("city_window", "intake", {
        "applicant_name": "田雨桐", "id_number": id_number("371503", "1987-06-30", "028"), "phone": "15965201378",
        "employer": "信发集团有限公司", "talent_level": "急需紧缺人才", "intake_decision": "退回补正",
        "missing_materials": "人才认定证明原件、用人单位推荐函"}, at=now - timedelta(hours=20))


# --- 生活和租房补贴 (subsidy) ----------------------------------------------------------------------------


DOCTOR = {"applicant_name": "高明", "id_number": id_number("371502", "1989-02-14", "035"), "phone": "13806350418",
          "employer": "中通客车股份有限公司", "certificate_no": "LCRC-D-0233", "subsidy_category": "企业全职引进人才",
          "qualification": "博士研究生", "contract_years": 5, "local_social_insurance": True,
          "urgently_needed": True, "apartment_provided": False}


def subsidy_being_paid(case: CaseDriver, now: datetime) -> None:
    first = month_start(now.date(), 3, now)  # three months paid, the fourth (this month) due
    approved = first - timedelta(days=12)
    case.start("subsidy", {"applicant_name": "高明"}, at=approved - timedelta(days=5))
    case.complete("city_window", "intake", {**DOCTOR, "intake_decision": "受理"}, at=approved - timedelta(days=5))
    case.complete("hrss", "eligibility", {"eligibility_decision": "属于补贴对象",
                                          "eligibility_comment": "经认定为企业全职引进博士"},
                  at=approved - timedelta(days=2))
    case.complete("hrss", "approval", {"approval_decision": "批准", "first_month": f"{first:%Y-%m}",
                                       "approved_months": 36, "approval_comment": "同意，按月拨付"}, at=approved)
    for months_back in (3, 2, 1):
        due = month_start(now.date(), months_back, now)
        case.fire(at=due)
        paid = due + timedelta(days=2, hours=1)
        case.complete("finance", "pay", {"disbursement": "已拨付", "paid_on": paid.date().isoformat()}, at=paid)
    if month_start(now.date(), 0, now) <= now:
        case.fire(at=now)  # this month's payment waits for the finance bureau


def subsidy_refused(case: CaseDriver, now: datetime) -> None:
    case.start("subsidy", {"applicant_name": "何佳琪"}, at=days_ago(now, 12, 9, 0))
    case.complete("city_window", "intake", {
        "applicant_name": "何佳琪", "id_number": id_number("371526", "1995-10-09", "048"), "phone": "18865203946",
        "employer": "高唐县蓝山集团", "subsidy_category": "企业全职引进人才", "qualification": "硕士研究生",
        "contract_years": 3, "local_social_insurance": True, "urgently_needed": False, "apartment_provided": False,
        "intake_decision": "受理"}, at=days_ago(now, 12, 10, 0))
    case.complete("hrss", "eligibility", {"eligibility_decision": "不属于补贴对象",
                                          "eligibility_comment": "未经《聊城市引进人才认定工作实施细则》认定"},
                  at=days_ago(now, 10, 16, 0))


# --- 子女就学 (schooling) -------------------------------------------------------------------------------


def schooling_application(name: str, child: str, birth: str, sequence: str, **changes: Any) -> dict[str, Any]:
    return {"talent_name": name, "talent_class": "C", "doctorate": True, "employer_name": "聊城大学",
            "contact_phone": "13563589012", "child_name": child,
            "child_id_number": id_number("371502", birth, sequence), "child_birth_date": birth,
            "school_stage": "义务教育", "intended_grade": "三年级", "residence_address": "东昌府区柳园南路1号",
            "household_moved_in": False, **changes}


def schooling_at_city_window(case: CaseDriver, now: datetime) -> None:
    case.start("schooling", {}, at=now - timedelta(hours=2))
    case.complete("applicant", "apply", schooling_application("杨帆", "杨子涵", "2019-05-20", "062",
                                                              intended_grade="一年级"),
                  at=now - timedelta(hours=1, minutes=30))


def schooling_withdrawn(case: CaseDriver, now: datetime) -> None:
    case.start("schooling", schooling_application("韩立新", "韩子墨", "2019-04-12", "031"), at=days_ago(now, 9, 10, 0))
    case.cancel("申请人来电撤回申请：子女随祖父母在原籍就读", at=days_ago(now, 7, 16, 20))


def schooling_assigned(case: CaseDriver, now: datetime) -> None:
    case.start("schooling", {}, at=days_ago(now, 15, 9, 0))
    case.complete("applicant", "apply", schooling_application("罗建国", "罗雨萱", "2017-09-01", "084",
                                                              intended_grade="四年级"),
                  at=days_ago(now, 15, 9, 20))
    case.complete("city_window", "intake", {"intake_decision": "受理"}, at=days_ago(now, 14, 10, 0))
    assigned = days_ago(now, 11, 15, 0)
    case.complete("education", "assign_school", {
        "assigned_school": "聊城市实验小学", "assigned_grade": "四年级",
        "enrolment_date": (assigned + timedelta(days=3)).date().isoformat(), "meets_policy": True},
        at=assigned)
    notice = days_ago(now, 10, 9, 0)
    case.complete("city_window", "feedback", {"notice_method": "电话", "notice_date": notice.date().isoformat(),
                                              "archive_number": f"ZX-{notice.year}-0042"}, at=notice)


# --- 一站式服务一窗受理 (one_stop_intake) ---------------------------------------------------------------
# Only started: the flow is young and its task names still move; its called flows have cases of their own above.


def intake_at_city_window(case: CaseDriver, now: datetime) -> None:
    case.start("one_stop_intake", {"applicant_name": "宋雅琴", "county": "chiping",
                                   "contact_phone": "13793055820"}, at=now - timedelta(minutes=50))


SCENARIOS: list[Scenario] = [
    Scenario("health_card", "HC-01", "材料已提交，东昌府区县级平台待核验", health_card_at_county_window),
    Scenario("health_card", "HC-02", "市一站式平台审核中，已由市窗口认领", health_card_claimed_at_city_window),
    Scenario("health_card", "HC-03", "市平台审核超过5个工作日，已转市人才办督办", health_card_escalated),
    Scenario("health_card", "HC-04", "已办结：保健证已制发", health_card_issued),
    Scenario("health_card", "HC-05", "已办结：市平台审核不予通过", health_card_refused),
    Scenario("health_card", "HC-06", "用人单位申请暂缓，管理员已暂停", health_card_suspended),
    Scenario("problem_handling", "PH-01", "市教育局已联系人才，办结答复中", problem_with_education),
    Scenario("problem_handling", "PH-02", "已办结答复，回访满意", problem_answered_and_satisfied),
    Scenario("problem_handling", "PH-03", "窗口受理超期，已转市人才办督办", problem_escalated),
    Scenario("spouse_placement", "SP-01", "对口单位满编，市编办研究先进后出", spouse_at_staffing_office),
    Scenario("spouse_placement", "SP-02", "已办结：纳入公共就业服务并推荐上岗", spouse_in_public_employment),
    Scenario("gold_card", "GC-01", "金卡已发放，有效期内待年度登记", gold_card_issued),
    Scenario("gold_card", "GC-02", "窗口退回补正，待申请人补交材料", gold_card_returned),
    Scenario("subsidy", "SU-01", "补贴发放中：已按月拨付3个月", subsidy_being_paid),
    Scenario("subsidy", "SU-02", "已办结：不属于补贴对象", subsidy_refused),
    Scenario("schooling", "SC-01", "申请已提交，市窗口待受理", schooling_at_city_window),
    Scenario("schooling", "SC-02", "已办结：已安排学校并反馈归档", schooling_assigned),
    Scenario("schooling", "SC-03", "申请人撤回，管理员已撤销案件", schooling_withdrawn),
    Scenario("one_stop_intake", "OS-01", "一站式申请待市窗口接件", intake_at_city_window),
]


# ----------------------------------------------------------------------------------------------------- loading


def load_demo(platform: Platform) -> Iterator[str]:
    now = platform.now().astimezone(platform.settings.tz)
    accounts = demo_accounts(platform)
    with platform.uow() as uow:
        if uow.session.scalar(select(func.count(User.id))):
            yield "demo: the database has users already; nothing loaded"
            return
        for username, role, department, county, name in accounts:
            create_user(username, DEMO_PASSWORD, role=role, department=department, county=county,
                        display_name=name, organisation=platform.organisation, uow=uow, now=now)
        admin_token = create_token("admin", name="demo", uow=uow, now=now)
        deployed = set(uow.session.scalars(select(ProcessModel.key).distinct()).all())
        uow.commit()
    yield f"demo: {len(accounts)} accounts, password '{DEMO_PASSWORD}' for each"
    yield "demo: admin / designer / applicant; staff by department code, e.g. city_window, talent_office, " \
          "county_window_dongchangfu"

    actors = {username: Actor(username=username, role=role, department=department, county=county)
              for username, role, department, county, _name in accounts}
    known = list(dict.fromkeys(s.key for s in SCENARIOS))
    loaded = failed = 0
    for key in known:
        scenarios = [s for s in SCENARIOS if s.key == key]
        if key not in deployed:
            yield f"demo: {key} is not deployed; its {len(scenarios)} sample cases skipped"
            continue
        for scenario in scenarios:
            line = _load_case(platform, scenario, actors, now)
            if line.startswith("demo: failed"):
                failed += 1
            else:
                loaded += 1
            yield line
    for key in sorted(deployed - set(known)):
        yield f"demo: no sample cases for {key}"
    yield f"demo: {loaded} sample cases loaded" + (f", {failed} failed" if failed else "")
    yield f"demo: admin API token written to {_keep_token(platform, admin_token)} (readable by you alone)"


def _keep_token(platform: Platform, token: str) -> str:
    """The administrator's demo API token goes into a file only its owner reads, never onto the terminal (where
    it would stay in a scroll-back or a CI log)."""
    path = platform.settings.instance_dir / "admin-token"
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w") as out:
        out.write(token + "\n")
    return str(path)


def _load_case(platform: Platform, scenario: Scenario, actors: dict[str, Actor], now: datetime) -> str:
    """One sample case, step by step: its line for the output, or why it failed (then nothing of it is kept)."""
    business_key = f"DEMO-{scenario.ref}"
    case = CaseDriver(platform, actors, business_key)
    try:
        scenario.run(case, now)
        line = _describe(case, scenario, now)
    except Exception as error:  # noqa: BLE001 — a sample case that fails is reported; the others go on
        case.remove()
        message = getattr(error, "message", None) or str(error) or type(error).__name__
        return f"demo: failed {business_key} ({scenario.key}): {message}; not loaded"
    return line


def _describe(case: CaseDriver, scenario: Scenario, now: datetime) -> str:
    row = case.row()
    waiting = []
    for task in case.open_tasks():
        if task.department is None:
            holder = f"for {task.assignee}"
        elif task.state == "claimed":
            holder = f"claimed by {task.assignee}"
        else:
            holder = f"{task.department}/{task.county}" if task.county else task.department
        overdue = " overdue" if task.due_at is not None and task.due_at < now else ""
        waiting.append(f"{task.title or task.name} [{holder}{overdue}]")
    tasks = "; waiting: " + ", ".join(waiting) if waiting else ""
    return f"demo: case {row.id} {row.business_key} {scenario.key}: {scenario.state} ({row.status}{tasks})"

