"""连云港市 (004_1663d1aa10c3d98e.txt, 《连云港市高层次人才服务办法（试行）》): problem handling, spouse employment,
schooling, gold card, housing, medical care and the one-stop window. Every element cites the article it
implements (policyArticle) and says so in Chinese."""

from __future__ import annotations

from flowgen import Diagram, clean

from flowspecs.common import (
    DATE,
    ID_NUMBER,
    PHONE,
    choice,
    dmn_table,
    form,
    one_stop_messages,
    report_decision,
    text,
    when,
)

SOURCE = "004_1663d1aa10c3d98e.txt"
APPLICANT = "申请人"
WINDOW = "市高层次人才一站式服务窗口"
TALENT = "市人才工作领导小组办公室"
HRSS = "市人力资源和社会保障局"
STAFFING = "市机构编制委员会办公室"
HOUSING = "市住房局"
EDUCATION = "市教育局"
HEALTH = "市卫生和计划生育委员会"
TOURISM = "市旅游局"
AVIATION = "市民航站"
RAILWAY = "市铁路办"
ROUTED = "相关责任单位"
CLASSES = ["A", "B", "C", "D", "E"]  # 《连云港市人才分类评价办法（试行）》的人才类别；D类以上为高层次人才（第三条）
HIGH_LEVEL = '["A", "B", "C", "D"]'
ONE_STOP_FIELD = {"type": "boolean", "title": "由一站式窗口综合受理案件统一反馈", "const": False, "default": False}
MAX_RETURNS = 3


def diagrams() -> list[Diagram]:
    return [problem_handling(), spouse_placement(), schooling(), gold_card(), housing(), medical_care(),
            one_stop_intake()]


def talent_fields() -> dict[str, object]:
    return {
        "talent_name": text("人才姓名", 50),
        "talent_class": {**choice("人才类别（《连云港市人才分类评价办法（试行）》；本办法所称高层次人才为D类以上）",
                                  *CLASSES)},
        "employer_name": text("人才用人单位", 100),
        "contact_phone": {**PHONE},
    }


def intake_form(title: str = "一窗受理") -> dict[str, object]:
    return form(title, {
        "intake_decision": choice("受理结论", "受理", "退回补正", "不予受理"),
        "missing_materials": text("需补正的材料（一次性告知）", 500),
        "intake_reason": text("不予受理的理由", 500),
    }, ["intake_decision"], rules=[when("intake_decision", "退回补正", "missing_materials"),
                                   when("intake_decision", "不予受理", "intake_reason")])


INTAKE_POST = f"""
return_count = return_count + (1 if intake_decision == "退回补正" else 0)
if talent_class not in {HIGH_LEVEL} and intake_decision == "受理":
    intake_decision = "不予受理"
    intake_reason = f"人才类别为{{talent_class}}类，不属于服务办法第三条所称D类以上高层次人才"
if intake_decision == "不予受理" or (intake_decision == "退回补正" and return_count > max_returns):
    outcome = "不予受理"
    result_detail = intake_reason if intake_decision == "不予受理" else f"申请材料经{{max_returns}}次退回补正仍不齐全"
"""

FEEDBACK_FORM = form("集中反馈并建档", {
    "notice_method": choice("告知方式", "窗口现场", "电话", "短信", "书面", "网上"),
    "notice_date": {**DATE, "title": "告知日期"},
    "archive_number": text("档案编号", 40),
}, ["notice_method", "notice_date", "archive_number"])


def intake_steps(d: Diagram, *, apply_col: float = 2, service: str, article: str, init: str = "") -> None:
    """start (applicant) → preparation → apply → window intake → gateway, with returns to the applicant and a
    refusal end."""
    d.start("start", f"提出{service}申请", "applicant", 0, form="start.json", article="服务办法第六条",
            doc="服务办法第六条：业务一窗受理，建立“线上+线下”机制，提供“网上办、不见面”服务。高层次人才本人或其用人单位"
                "在线提出，或由一站式窗口综合受理案件调用（one_stop 为真：不单独反馈，结果交综合受理集中反馈）。")
    d.script("prepare", "受理准备", "applicant", apply_col - 1, article="服务办法第六条",
             script=f"return_count = 0\nmax_returns = {MAX_RETURNS}\n{init}".strip(),
             doc="初始化退回补正计数（本地规则：最多退回3次，补正循环的上限）。")
    d.user("apply", f"填写{service}申请", "applicant", apply_col, form="apply.json", article=article,
           doc=f"{article.split(';')[0]}：申请表登记人才类别（第三条：D类以上）和{service}所需的信息。")
    d.user("intake", "一窗受理", "window", apply_col + 1, form="intake.json", article="服务办法第六条;服务办法第三条",
           post=INTAKE_POST,
           doc="服务办法第六条：业务一窗受理；第三条：本办法所称高层次人才为D类以上人才，其余不予受理（受理时自动核对人才"
               "类别）。窗口核验材料，受理、退回补正（一次性告知，本地规则最多3次）或不予受理（写明理由）。")
    d.gateway("intake_gw", "受理结论", "window", apply_col + 2, default="f_accept", article="服务办法第六条", label="sw",
              doc="受理的转后台办理；退回补正的由申请人补正；不予受理（或补正超过3次）的当场告知理由，办结。")
    d.end("end_not_accepted", "不予受理", "window", apply_col + 2, 1, article="服务办法第三条", label="right",
          doc="服务办法第三条、第六条：不予受理的理由在受理结论中当场告知并记入结果（outcome、result_detail）；由综合受理"
              "调用的，结果交回综合受理。")
    d.flow("start", "prepare")
    d.flow("prepare", "apply")
    d.flow("apply", "intake", exit="bottom", enter="left")
    d.flow("intake_gw", "apply", "退回补正", 'intake_decision == "退回补正" and return_count <= max_returns',
           id="f_return", exit="top", enter="right")
    d.flow("intake_gw", "end_not_accepted", "不予受理", 'intake_decision != "受理"', id="f_refuse")
    d.flow("intake", "intake_gw")
    d.files["start.json"] = form(f"提出{service}申请", {"one_stop": ONE_STOP_FIELD}, description="申请内容在下一步填写。")
    d.files["intake.json"] = intake_form()
    # What the applicant is told (engine/notify/); a case the one-stop window opened reports through it instead.
    d.notify("intake_gw", "case_accepted", condition='intake_decision == "受理" and not one_stop',
             message=f"一站式窗口已受理您的{service}申请，转后台办理（服务办法第六条）。")
    d.notify("apply", "supplement_requested", condition="return_count > 0",
             message="请按一站式窗口一次性告知的清单补正后重新提交：{{ missing_materials }}")
    d.notify("end_not_accepted", "decision", condition="not one_stop")


def feedback_steps(d: Diagram, col: float, *, lane: str = "window") -> None:
    """The one-stop check, the window's own feedback and archive, and the two ends."""
    d.gateway("one_stop_gw", "是否一站式综合受理", lane, col, default="f_own_feedback", article="服务办法第六条",
              label="sw", doc="服务办法第六条：结果集中反馈。由一站式窗口综合受理案件调用的，不单独反馈、建档，结果交回综合"
                              "受理，由其一次反馈、一个档案。")
    d.user("feedback", "集中反馈并建档", lane, col + 1, form="feedback.json", article="服务办法第六条",
           doc="服务办法第六条：过程全程跟踪、结果集中反馈。一站式窗口把办理结果告知申请人并归档。")
    d.end("end_done", "办结", lane, col + 2, article="服务办法第六条", doc="服务办法第六条：结果集中反馈后办结。")
    d.end("end_in_one_stop", "结果交综合受理", lane, col + 1, 1, article="服务办法第六条", label="right",
          doc="服务办法第六条：结果交回一站式窗口综合受理案件，由其集中反馈。")
    d.flow("one_stop_gw", "feedback", "单独办理", id="f_own_feedback")
    d.flow("one_stop_gw", "end_in_one_stop", "一站式", "one_stop", id="f_one_stop")
    d.flow("feedback", "end_done")
    d.notify("end_done", "decision")
    d.files["feedback.json"] = FEEDBACK_FORM


# -------------------------------------------------------------------------------------------------- 问题处理机制

PROBLEM_ROUTES = [  # (problem kind, responsible unit, co-unit, article of 第五条)
    ("居留落户", "public_security", "", "服务办法第五条（居留落户、出入境）"),
    ("出入境", "public_security", "", "服务办法第五条（居留落户、出入境）"),
    ("子女就学", "education", "", "服务办法第五条（子女就学）"),
    ("医疗保健", "health", "", "服务办法第五条（医疗保健）"),
    ("安居保障", "hrss", "housing", "服务办法第五条（安居保障）"),
    ("金卡办理", "hrss", "", "服务办法第五条（金卡办理）"),
    ("景区游览", "tourism", "", "服务办法第五条（景区游览）"),
    ("机场绿色通道", "civil_aviation", "", "服务办法第五条（机场和铁路绿色通道）"),
    ("铁路绿色通道", "railway_office", "", "服务办法第五条（机场和铁路绿色通道）"),
    ("工商注册", "market_regulation", "", "服务办法第五条（工商注册）"),
    ("税务办理", "tax", "local_tax", "服务办法第五条（税务办理）"),
    ("科研支持", "science_tech", "", "服务办法第五条（科研支持、知识产权）"),
    ("知识产权", "science_tech", "", "服务办法第五条（科研支持、知识产权）"),
    ("金融贷款", "finance_office", "", "服务办法第五条（金融贷款）"),
    ("配偶就业", "talent_office", "hrss", "服务办法第五条（配偶就业）"),
]
OTHER_KINDS = ["行政审批", "政务协调", "职称评定", "其他"]  # 第四条第六项、第五条：由窗口指定相关职能部门
ROUTE_ARTICLES = ";".join(dict.fromkeys([a for *_x, a in PROBLEM_ROUTES] + ["服务办法第五条（其他事项）"]))
UNITS = [("public_security", "市公安局"), ("education", "市教育局"), ("health", "市卫生和计划生育委员会"),
         ("hrss", "市人力资源和社会保障局"), ("housing", "市住房局"), ("tourism", "市旅游局"),
         ("civil_aviation", "市民航站"), ("railway_office", "市铁路办"), ("market_regulation", "市工商局"),
         ("tax", "市国税局"), ("local_tax", "市地税局"), ("science_tech", "市科技局"),
         ("finance_office", "市人民政府金融工作办公室"), ("talent_office", "市人才工作领导小组办公室"),
         ("staffing_office", "市机构编制委员会办公室")]


def routing_table(decision: str, name: str, field: str) -> str:
    rules = [([f'"{kind}"'], [f'"{unit}"', f'"{co}"', f'"{article}"'], f"{article}：{kind}")
             for kind, unit, co, article in PROBLEM_ROUTES]
    rules += [([f'"{kind}"'], ["other_unit", '""', '"服务办法第五条（其他事项）"'],
               f"服务办法第四条第六项、第五条：{kind}，涉及人才服务的其他事项由相关职能部门负责落实，由窗口指定（other_unit）")
              for kind in OTHER_KINDS]
    return dmn_table(decision, name, f"policyArticle={ROUTE_ARTICLES} source={SOURCE}：《连云港市高层次人才服务办法（试行）》"
                     "第五条各项服务的责任单位（安居保障由市人社局主办、市住房局协办；税务办理由市国税局主办、市地税局协办；"
                     "配偶就业由市人才办牵头、会同市人社局）；第四条第六项所列其他服务和其他事项由窗口指定相关职能部门。"
                     "命中策略UNIQUE。", [("类别", field, "string")],
                     [("主办单位", "responsible_unit", "string"), ("协办单位", "co_unit", "string"),
                      ("依据条款", "route_article", "string")], rules)


def problem_handling() -> Diagram:
    d = Diagram("problem_handling", "高层次人才服务问题处理", participant="连云港市高层次人才服务问题处理", source=SOURCE,
                articles="服务办法第七条;服务办法第八条;服务办法第二条;" + ROUTE_ARTICLES,
                doc=clean("""依据《连云港市高层次人才服务办法（试行）》第七条（问题处理机制）、第五条（各项服务的责任单位）、第八条
                （市人才办督办、满意度调查）、第二条（市人才办牵头领导）：一站式窗口受理人才反映的问题，1个工作日内根据职责转交
                相关责任单位；责任单位1个工作日内与人才联系，3个工作日内办结答复；无法及时办结的做好解释（向人才说明），并向一站式
                窗口备案；一站式窗口做好跟踪回访，记录满意度；每个超期环节由市人才办督办，不中断办理。责任单位由决策表
                problem_routing 按问题类别确定，承办任务派给选出的单位（departmentField）：同一个“联系人才”“办结答复”任务可以派给
                公安、教育、卫生计生、人社、旅游、民航、铁路、工商、税务、科技、金融等任一单位，任务列表、时限、督办统计和办理权限
                都随被选中的单位。启动数据：talent_name、problem_description，可含 contact_phone。"""),
                lanes=[("window", WINDOW, 1), ("routed", ROUTED, 2), ("talent", TALENT, 2)])
    d.start("start", "人才反映问题", "window", 0, form="start.json", article="服务办法第七条;服务办法第六条",
            doc="服务办法第七条：一站式窗口负责受理人才反映的问题；第六条：“线上+线下”，“网上办、不见面”。人才在线提出，或由"
                "窗口工作人员代为登记。")
    d.user("accept", "受理并转办", "window", 1, form="accept.json", article="服务办法第七条;服务办法第五条（其他事项）",
           doc="服务办法第七条：一站式窗口受理人才反映的问题，1个工作日内根据职责转交相关责任单位。窗口确定问题类别；第四条"
               "第六项的行政审批、政务协调、职称评定等和其他问题由窗口指定相关职能部门（第五条：涉及人才服务的其他事项由相关"
               "职能部门负责落实）。")
    d.boundary_timer("accept_deadline", "转办超过1个工作日", "accept", expr="working_days(1)", offset=0.25,
                     article="服务办法第七条;服务办法第八条",
                     doc="服务办法第七条：1个工作日内转交责任单位。超期不中断，转市人才办督办（第八条）。")
    d.rule("route", "确定责任单位", "window", 2, decision="problem_routing", article=ROUTE_ARTICLES,
           doc="服务办法第五条：按问题类别查决策表 problem_routing.dmn，得出主办单位 responsible_unit、协办单位 co_unit"
               "（安居保障：市住房局；税务办理：市地税局；配偶就业：市人社局）和依据条款。")
    d.script("forward", "转交责任单位", "window", 3, article="服务办法第七条", script="""
forwarded_at = now()
contact_due = working_days(1, forwarded_at)
answer_due = working_days(3, forwarded_at)
filings = []
""", doc="服务办法第七条：记录转交时间；责任单位1个工作日内与人才联系（contact_due），3个工作日内办结答复（answer_due），"
         "均自转交时起算。")
    d.user("contact", "联系人才", "routed", 4, form="contact.json", department_field="responsible_unit",
           article="服务办法第七条",
           doc="服务办法第七条：相关责任单位1个工作日内与人才联系。任务派给决策表选出的主办单位（departmentField="
               "responsible_unit）。")
    d.boundary_timer("contact_deadline", "联系超过1个工作日", "contact", expr="contact_due", offset=0.25,
                     article="服务办法第七条;服务办法第八条", doc="服务办法第七条：1个工作日内与人才联系。超期不中断，"
                     "转市人才办督办（第八条）。")
    d.gateway("co_gw", "是否有协办单位", "routed", 5, default="f_no_co", article="服务办法第五条（安居保障）", label="nw",
              doc="服务办法第五条：安居保障由市人社局和住房局、税务办理由市国税局和市地税局负责落实，配偶就业由市人才办会同"
                  "人社等部门；有协办单位的先由协办单位提出意见。")
    d.user("cohandle", "协办意见", "routed", 6, 1, form="cohandle.json", department_field="co_unit",
           article="服务办法第五条（安居保障）;服务办法第五条（税务办理）;服务办法第五条（配偶就业）",
           doc="服务办法第五条：共同负责的事项，协办单位（departmentField=co_unit）向主办单位提出意见；时限同第七条的3个"
               "工作日（自转交起算）。")
    d.boundary_timer("cohandle_deadline", "协办超期", "cohandle", expr="answer_due", offset=0.25,
                     article="服务办法第七条;服务办法第八条", doc="服务办法第七条：3个工作日内办结答复，协办同样适用；超期"
                     "转市人才办督办。")
    d.user("answer", "办结答复", "routed", 7.3, form="answer.json", department_field="responsible_unit",
           article="服务办法第七条",
           doc="服务办法第七条：相关责任单位3个工作日内办结答复（自转交起算）。任务派给主办单位。")
    d.boundary_timer("answer_deadline", "答复超过3个工作日", "answer", expr="answer_due", offset=0.25,
                     article="服务办法第七条", doc="服务办法第七条：3个工作日内办结答复；无法及时办结的做好解释，并向一站式"
                     "窗口备案。超期不中断办理，主办单位解释并备案，市人才办督办（第八条）。")
    d.user("explain", "解释并备案", "routed", 8.3, 1, form="explain.json", department_field="responsible_unit",
           article="服务办法第七条",
           doc="服务办法第七条：无法及时办结的做好解释，并向一站式窗口备案。主办单位向人才说明未能按时办结的原因和预计办结"
               "时间（记录说明方式和时间，解释必须送达人才），同时提交窗口备案（filings）；答复任务继续办理。",
           post='filings = filings + [{"unit": responsible_unit, "explanation": explanation, "explained_to_talent": '
                'explained_by, "expected_by": expected_by, "at": now()}]')
    d.throw("tell_talent", "解释送达人才", "routed", 9.3, 1, article="服务办法第七条", label="right",
            doc="服务办法第七条：无法及时办结的做好解释。主办单位的说明以短信发到人才留下的联系电话，并发到人才本人账户的"
                "站内消息（engine/notify/：模板 explanation）。")
    d.user("follow_up", "跟踪回访", "window", 9, form="follow_up.json", article="服务办法第七条;服务办法第八条",
           doc="服务办法第七条：一站式窗口做好跟踪回访；第八条：满意度调查。回访人才，记录满意度（满意/基本满意/不满意）。"
               "种子未规定回访时限，不设定时器。")
    d.gateway("satisfaction_gw", "是否满意", "window", 10, default="f_satisfied", article="服务办法第八条", label="nw",
              doc="服务办法第八条：督办服务工作的落实情况、开展满意度调查；回访不满意的转市人才办督办（本地规则）。")
    d.end("end_closed", "办结归档", "window", 11, article="服务办法第七条",
          doc="服务办法第七条：问题已办结答复，窗口完成跟踪回访；满意度已记录（第八条）。")
    d.user("supervise", "督办", "talent", 9, form="supervise.json", article="服务办法第八条;服务办法第二条",
           doc="服务办法第八条：市人才办督办服务工作的落实情况；第二条：高层次人才服务工作在市人才办牵头领导下进行。"
               "窗口转办超期、责任单位联系或答复超期、协办超期，以及回访不满意的，都到这里督办；办理本身继续进行。")
    d.end("end_supervised", "督办完成", "talent", 9, 1, article="服务办法第八条", label="right",
          doc="服务办法第八条：督办意见已记录，纳入人才工作目标责任制考核。")

    d.flow("start", "accept")
    d.flow("accept", "route")
    d.flow("route", "forward")
    d.flow("forward", "contact", exit="right", enter="top")
    d.flow("contact", "co_gw")
    d.flow("co_gw", "cohandle", "有协办单位", 'co_unit != ""', id="f_co", exit="bottom", enter="left")
    d.flow("co_gw", "answer", "无", id="f_no_co")
    d.flow("cohandle", "answer", exit="right", enter="left")
    d.flow("answer", "follow_up", exit="right", enter="bottom")
    d.flow("follow_up", "satisfaction_gw")
    d.flow("satisfaction_gw", "end_closed", "满意/基本满意", id="f_satisfied")
    d.flow("satisfaction_gw", "supervise", "不满意", 'satisfaction == "不满意"', id="f_dissatisfied", exit="bottom",
           enter="right")
    d.flow("accept_deadline", "supervise")
    d.flow("contact_deadline", "supervise")
    d.flow("cohandle_deadline", "supervise")
    d.flow("answer_deadline", "explain")
    d.flow("explain", "tell_talent")
    d.flow("tell_talent", "supervise", exit="bottom", enter="top")
    d.flow("supervise", "end_supervised")

    d.files["start.json"] = form("反映问题", {
        "talent_name": text("人才姓名", 50), "problem_description": text("反映的问题", 2000),
        "contact_phone": {**PHONE, "default": ""} | {"pattern": "^(1[3-9]\\d{9})?$"},
    }, ["talent_name", "problem_description"], description="服务办法第七条：一站式窗口受理人才反映的问题。")
    d.files["accept.json"] = form("受理并转办", {
        "problem_kind": choice("问题类别（服务办法第四条、第五条）", *[k for k, *_r in PROBLEM_ROUTES], *OTHER_KINDS),
        "other_unit": {"type": "string", "title": "责任单位（行政审批、政务协调、职称评定和其他问题由窗口指定）",
                       "oneOf": [{"const": code, "title": name} for code, name in UNITS]},
        "problem_summary": text("问题摘要", 1000),
        "contact_phone": {**PHONE, "title": "人才联系电话"},
        "accept_note": {"type": "string", "title": "受理意见", "maxLength": 500},
    }, ["problem_kind", "problem_summary", "contact_phone"],
        rules=[{"if": {"properties": {"problem_kind": {"enum": OTHER_KINDS}}, "required": ["problem_kind"]},
                "then": {"required": ["other_unit"]}}])
    d.files["contact.json"] = form("联系人才", {
        "contact_method": choice("联系方式", "电话", "当面", "短信/微信", "电子邮件"),
        "contacted_on": {**DATE, "title": "联系日期"},
        "contact_note": text("联系情况", 500),
    }, ["contact_method", "contacted_on", "contact_note"])
    d.files["cohandle.json"] = form("协办意见", {"co_opinion": text("协办意见", 1000)}, ["co_opinion"])
    d.files["answer.json"] = form("办结答复", {
        "answer": text("答复内容", 2000), "answered_on": {**DATE, "title": "答复日期"},
        "answer_method": choice("答复方式", "书面", "电话", "当面", "网上"),
    }, ["answer", "answered_on", "answer_method"])
    d.files["explain.json"] = form("解释并备案", {
        "explanation": text("未能按时办结的原因（向人才说明的内容）", 1000),
        "explained_by": choice("向人才说明的方式", "电话", "当面", "书面", "短信/微信"),
        "explained_on": {**DATE, "title": "说明日期"},
        "expected_by": {**DATE, "title": "预计办结日期"},
        "filed_with_window": {"type": "boolean", "title": "已向一站式窗口备案", "const": True},
    }, ["explanation", "explained_by", "explained_on", "expected_by", "filed_with_window"])
    d.files["follow_up.json"] = form("跟踪回访", {
        "visit_method": choice("回访方式", "电话", "当面", "短信/微信"),
        "satisfaction": choice("满意度", "满意", "基本满意", "不满意"),
        "visit_note": {"type": "string", "title": "回访记录", "maxLength": 1000},
    }, ["visit_method", "satisfaction"], rules=[when("satisfaction", "不满意", "visit_note")])
    d.files["supervise.json"] = form("督办", {
        "supervised_stage": choice("督办环节", "窗口转办", "联系人才", "协办", "办结答复", "回访不满意"),
        "supervise_measure": choice("督办方式", "电话督促", "书面督办", "约谈提醒"),
        "supervise_note": text("督办意见", 500),
    }, ["supervised_stage", "supervise_measure", "supervise_note"])
    d.files["problem_routing.dmn"] = routing_table("problem_routing", "确定责任单位", "problem_kind")
    d.instruct({
        "accept": "请在1个工作日内确定{{ talent_name }}反映的问题的类别（行政审批、政务协调、职称评定和其他问题指定责任单位）：{{ problem_description }}",
        "contact": "请在1个工作日内与{{ talent_name }}（{{ contact_phone }}）联系：{{ problem_summary }}",
        "cohandle": "作为协办单位，请就{{ talent_name }}反映的问题向主办单位提出意见：{{ problem_summary }}",
        "answer": "请在3个工作日内办结并答复{{ talent_name }}：{{ problem_summary }}",
        "explain": "答复已超过3个工作日：请向{{ talent_name }}说明未能按时办结的原因和预计办结时间，并向一站式窗口备案，同时继续办理。",
        "follow_up": "请回访{{ talent_name }}，记录对答复的满意度。",
        "supervise": "{{ talent_name }}反映的问题有环节超期或回访不满意，请督办（问题：{{ problem_summary }}）。",
        "end_closed": "问题已办结答复，回访满意度：{{ satisfaction }}。",
    })
    d.notify("tell_talent", "explanation", to="['applicant', 'mobile:' + contact_phone]",
             message="{{ explanation }}预计办结日期：{{ expected_by }}。（服务办法第七条）")
    return d


# ---------------------------------------------------------------------------------------------------- 配偶就业

NATURES = ["党政机关", "事业单位", "国有企业", "民营企业", "外资企业", "社会组织", "其他"]
IDENTITIES = ["公务员", "参照公务员法管理人员", "事业单位管理人员", "事业单位专业技术人员", "事业单位工勤技能人员",
              "企业管理人员", "企业专业技术人员", "企业技能人员", "其他"]
MAX_RECOMMENDATIONS = 3


def spouse_placement() -> Diagram:
    d = Diagram("spouse_placement", "高层次人才配偶就业", participant="连云港市高层次人才配偶就业", source=SOURCE,
                articles="服务办法第四条（一）;服务办法第五条（配偶就业）;服务办法第三条;服务办法第六条",
                doc=clean(f"""依据《连云港市高层次人才服务办法（试行）》第四条第一项（配偶就业：双向选择为主、统筹调配为辅；原则上
                由用人单位自主落实；确有困难的，依申请按原工作单位性质、本人身份及专业基本对口推荐安排；配偶待业需要安置的纳入
                全市公共就业服务体系；接受安置任务的事业单位满编的，经机构编制部门研究同意后可先进后出）、第五条（配偶就业服务由
                市人才办会同人社、编办等部门协调落实）、第三条（D类以上人才）、第六条（一窗受理、集中反馈）。推荐不等于安置：
                推荐的单位和配偶双向选择都同意后，才进入安置（满编事业单位须编办同意先进后出）；任何一方不同意的重新推荐，本地规则
                最多推荐{MAX_RECOMMENDATIONS}次，仍未成的纳入公共就业服务（统筹调配为辅）。种子未规定时限，不设定时器。由一站式
                窗口综合受理调用时不单独反馈（one_stop）。"""),
                lanes=[("applicant", APPLICANT, 1), ("window", WINDOW, 2), ("staffing", STAFFING, 1),
                       ("talent", TALENT, 1), ("hrss", HRSS, 1)])
    intake_steps(d, service="配偶就业", article="服务办法第四条（一）", init="recommendation_count = 0")
    d.gateway("arrange_gw", "用人单位能否自主安排", "talent", 5, default="f_difficult", label="sw",
              article="服务办法第四条（一）",
              doc="服务办法第四条第一项：原则上由用人单位自主落实安排高层次人才配偶就业；确有困难的，依申请推荐安排。")
    d.script("record_employer", "记录用人单位自主安排", "window", 6, 1, article="服务办法第四条（一）", script="""
outcome = "用人单位自主安排"
placed_unit = arranged_unit
placed_post = arranged_post
result_detail = f"用人单位自主安排至{arranged_unit}，岗位：{arranged_post}"
""", doc="服务办法第四条第一项：原则上由用人单位自主落实；记录安排的单位和岗位。")
    d.gateway("spouse_gw", "配偶是否待业", "talent", 6, default="f_employed", label="nw", article="服务办法第四条（一）",
              doc="服务办法第四条第一项：有原工作单位的依申请推荐对口单位；配偶待业需要安置的纳入全市公共就业服务体系。")
    d.user("recommend", "推荐对口单位", "talent", 7, form="recommend.json",
           article="服务办法第四条（一）;服务办法第五条（配偶就业）",
           doc="服务办法第四条第一项：依申请按照原工作单位性质、本人身份及专业基本对口的原则推荐安排在相应单位工作；第五条："
               "市人才办会同人社、编办等部门协调落实。记录推荐依据和推荐单位（单位性质、是否满编）；暂无对口单位的转公共就业"
               "服务。",
           post="recommendation_count = recommendation_count + 1")
    d.gateway("recommend_gw", "有无对口单位", "talent", 8, default="f_matched", label="sw", article="服务办法第四条（一）",
              doc=f"服务办法第四条第一项：统筹调配为辅。暂无对口单位，或已推荐{MAX_RECOMMENDATIONS}次仍未双向选择成功的"
                  "（本地规则），纳入公共就业服务。")
    d.user("two_way", "双向选择", "talent", 9, form="two_way.json", article="服务办法第四条（一）",
           doc="服务办法第四条第一项：按照双向选择为主的原则。市人才办组织推荐单位与配偶双向选择（见面、面谈），记录配偶"
               "和接收单位各自是否同意；推荐本身不是安置，双方都同意才安置。")
    d.gateway("two_way_gw", "双方是否同意", "talent", 10, default="f_not_agreed", label="sw", article="服务办法第四条（一）",
              doc="服务办法第四条第一项：双方同意的进入安置；任何一方不同意的重新推荐。")
    d.gateway("quota_gw", "接收单位是否满编", "talent", 11, default="f_quota_free", label="sw",
              article="服务办法第四条（一）",
              doc="服务办法第四条第一项：接受安置任务的事业单位人员满编的，经机构编制部门研究同意后，可实行先进后出。")
    d.user("staffing_review", "研究先进后出", "staffing", 12, form="staffing.json", article="服务办法第四条（一）",
           doc="服务办法第四条第一项：接受安置任务的事业单位人员满编的，经机构编制部门研究同意后，可实行先进后出的办法安置；"
               "第五条：会同编办。同意或不同意均写明理由；不同意的重新推荐。")
    d.gateway("staffing_gw", "编办是否同意", "staffing", 13, default="f_staffing_no", label="sw",
              article="服务办法第四条（一）", doc="同意的先进后出安置；不同意的回到市人才办重新推荐。")
    d.script("record_placed", "记录安置结果", "talent", 13, article="服务办法第四条（一）", script="""
outcome = "先进后出安置" if quota_full and recommended_unit_nature == "事业单位" else "推荐安置至对口单位"
placed_unit = recommended_unit
placed_post = recommended_post
result_detail = f"双向选择，安置至{recommended_unit}，岗位：{recommended_post}" + ("（经编办同意先进后出）" if outcome == "先进后出安置" else "")
""", doc="服务办法第四条第一项：双向选择成功后安置；满编事业单位经编办同意实行先进后出。")
    d.user("public_employment", "纳入公共就业服务", "hrss", 9, form="public_employment.json",
           article="服务办法第四条（一）;服务办法第五条（配偶就业）",
           doc="服务办法第四条第一项：配偶待业需要安置的，统一纳入全市公共就业服务体系，多渠道帮助推荐就业岗位、提供免费"
               "就业服务；第五条：会同人社部门。记录就业登记、推荐岗位和免费服务。",
           post="""
outcome = "纳入公共就业服务"
placed_unit = employed_unit if placement_status == "已推荐上岗" else ""
placed_post = ""
result_detail = "已纳入全市公共就业服务体系，推荐岗位：" + "、".join(recommended_vacancies) + (f"，已在{employed_unit}上岗" if placed_unit else "")
""")
    d.gateway("merge_gw", "汇合", "window", 14, label="nw", article="服务办法第六条", doc="汇合各种安置结果。")
    feedback_steps(d, 15)
    d.flow("intake_gw", "arrange_gw", "受理", id="f_accept", exit="right", enter="left")
    d.flow("arrange_gw", "record_employer", "已自主安排", 'employer_arrangement == "已自主安排"', id="f_arranged",
           exit="top", enter="left")
    d.flow("arrange_gw", "spouse_gw", "确有困难", id="f_difficult")
    d.flow("spouse_gw", "public_employment", "配偶待业", 'spouse_employment == "待业"', id="f_unemployed",
           exit="bottom", enter="left")
    d.flow("spouse_gw", "recommend", "有原工作单位", id="f_employed")
    d.flow("recommend", "recommend_gw")
    d.flow("recommend_gw", "public_employment", "暂无对口单位",
           f'recommendation == "暂无对口单位" or recommendation_count > {MAX_RECOMMENDATIONS}', id="f_no_match",
           exit="bottom", enter="top")
    d.flow("recommend_gw", "two_way", "推荐至对口单位", id="f_matched")
    d.flow("two_way", "two_way_gw")
    d.flow("two_way_gw", "quota_gw", "双方同意", "spouse_agrees and unit_agrees", id="f_agreed")
    d.flow("two_way_gw", "recommend", "重新推荐", id="f_not_agreed", exit="top", enter="top")
    d.flow("quota_gw", "staffing_review", "事业单位满编", 'recommended_unit_nature == "事业单位" and quota_full',
           id="f_quota_full", exit="top", enter="left")
    d.flow("quota_gw", "record_placed", "无需先进后出", id="f_quota_free")
    d.flow("staffing_review", "staffing_gw")
    d.flow("staffing_gw", "record_placed", "同意先进后出", 'staffing_decision == "同意先进后出"', id="f_staffing_yes",
           exit="bottom", enter="top")
    d.flow("staffing_gw", "recommend", "不同意", id="f_staffing_no", exit="top", enter="top")
    d.flow("record_employer", "merge_gw", exit="right", enter="bottom")
    d.flow("record_placed", "merge_gw", exit="right", enter="bottom")
    d.flow("public_employment", "merge_gw", exit="right", enter="bottom")
    d.flow("merge_gw", "one_stop_gw")
    d.files["apply.json"] = form("配偶就业申请", {
        **talent_fields(),
        "spouse_name": text("配偶姓名", 50), "spouse_id_number": {**ID_NUMBER, "title": "配偶身份证号"},
        "spouse_employment": choice("配偶原就业状况", "在职", "待业"),
        "original_employer_name": text("配偶原工作单位", 100),
        "original_employer_nature": choice("原工作单位性质", *NATURES),
        "spouse_identity": choice("配偶身份", *IDENTITIES),
        "spouse_major": text("配偶所学或从事专业", 100),
        "employer_arrangement": choice("用人单位自主安排情况（原则上由用人单位自主落实）", "已自主安排", "确有困难"),
        "arranged_unit": text("用人单位安排的就业单位", 100), "arranged_post": text("安排的岗位", 100),
        "difficulty_reason": text("用人单位安排的困难", 500),
    }, ["talent_name", "talent_class", "employer_name", "contact_phone", "spouse_name", "spouse_id_number",
        "spouse_employment", "spouse_major", "employer_arrangement"],
        rules=[when("employer_arrangement", "已自主安排", "arranged_unit", "arranged_post"),
               when("employer_arrangement", "确有困难", "difficulty_reason"),
               when("spouse_employment", "在职", "original_employer_name", "original_employer_nature",
                    "spouse_identity")])
    d.files["recommend.json"] = form("推荐对口单位", {
        "recommendation": choice("推荐结论", "推荐至对口单位", "暂无对口单位"),
        "match_basis": text("对口依据（原工作单位性质、本人身份、专业）", 500),
        "recommended_unit": text("推荐单位", 100), "recommended_post": text("推荐岗位", 100),
        "recommended_unit_nature": choice("推荐单位性质", *NATURES),
        "quota_full": {"type": "boolean", "title": "推荐单位为事业单位且人员满编", "default": False},
    }, ["recommendation", "match_basis"], rules=[
        when("recommendation", "推荐至对口单位", "recommended_unit", "recommended_post", "recommended_unit_nature",
             "quota_full")])
    d.files["two_way.json"] = form("双向选择", {
        "meeting_date": {**DATE, "title": "双向见面日期"},
        "spouse_agrees": {"type": "boolean", "title": "配偶同意到推荐单位就业"},
        "unit_agrees": {"type": "boolean", "title": "推荐单位同意接收"},
        "two_way_note": text("双向选择情况（不同意的写明原因）", 500),
    }, ["meeting_date", "spouse_agrees", "unit_agrees", "two_way_note"])
    d.files["staffing.json"] = form("研究先进后出", {
        "staffing_decision": choice("研究结论", "同意先进后出", "不同意"),
        "staffing_opinion": text("研究意见（写明理由）", 500),
    }, ["staffing_decision", "staffing_opinion"])
    d.files["public_employment.json"] = form("纳入公共就业服务", {
        "employment_registered_on": {**DATE, "title": "就业登记日期"},
        "recommended_vacancies": {"type": "array", "title": "推荐的就业岗位", "minItems": 1, "maxItems": 20,
                                  "items": {"type": "string", "minLength": 1, "maxLength": 100}},
        "free_services": {"type": "array", "title": "已提供的免费就业服务", "minItems": 1, "uniqueItems": True,
                          "items": {"type": "string", "enum": ["职业指导", "职业介绍", "就业登记", "技能培训",
                                                               "创业指导"]}},
        "placement_status": choice("就业情况", "已推荐上岗", "持续推荐中"),
        "employed_unit": text("上岗单位", 100),
    }, ["employment_registered_on", "recommended_vacancies", "free_services", "placement_status"],
        rules=[when("placement_status", "已推荐上岗", "employed_unit")])
    d.instruct({
        "intake": "请核验{{ talent_name }}（{{ talent_class }}类）的人才类别和配偶{{ spouse_name }}的材料（本办法所称高层次人才为D类以上）。",
        "recommend": "请按原工作单位性质（{{ original_employer_nature }}）、身份（{{ spouse_identity }}）和专业（{{ spouse_major }}）基本对口的原则为{{ spouse_name }}推荐单位。",
        "two_way": "请组织{{ recommended_unit }}与{{ spouse_name }}双向选择，记录双方是否同意。",
        "staffing_review": "{{ recommended_unit }}人员满编，请研究是否同意{{ spouse_name }}先进后出安置。",
        "public_employment": "请将{{ spouse_name }}纳入全市公共就业服务体系，推荐就业岗位、提供免费就业服务。",
        "feedback": "请将结果告知{{ talent_name }}并归档：{{ outcome }}（{{ result_detail }}）。",
        "end_not_accepted": "不予受理：{{ result_detail }}",
        "end_done": "{{ outcome }}：{{ result_detail }}",
    })
    return d


# ---------------------------------------------------------------------------------------------------- 子女就学


def schooling() -> Diagram:
    d = Diagram("schooling", "高层次人才子女就学", participant="连云港市高层次人才子女就学", source=SOURCE,
                articles="服务办法第四条（二）;服务办法第五条（子女就学）;服务办法第三条;服务办法第六条",
                doc=clean("""依据《连云港市高层次人才服务办法（试行）》第四条第二项（子女就学：学前和义务教育阶段免试就近入学
                （入园），无论户籍是否迁入；C类及以上、博士及以上学历高层次人才子女优先安排到优质中小学（幼儿园），其他类享受当地
                常住居民子女入学政策；由外市转入高中阶段的安排到三星及以上高中）、第五条（子女就学服务由市教育局负责落实）、第三条
                （D类以上人才）、第六条（一窗受理、集中反馈）。就学政策由决策表 schooling_policy 按人才类别、是否博士及以上学历、
                就学阶段确定。种子未规定时限，不设定时器。由一站式窗口综合受理调用时不单独反馈（one_stop）。"""),
                lanes=[("applicant", APPLICANT, 1), ("window", WINDOW, 2), ("education", EDUCATION, 1)])
    intake_steps(d, service="子女就学", article="服务办法第四条（二）")
    d.rule("decide_policy", "确定就学政策", "education", 5, decision="schooling_policy",
           article="服务办法第四条（二）;服务办法第五条（子女就学）",
           doc="服务办法第四条第二项，决策表 schooling_policy：免试就近入学（入园）；C类及以上或博士及以上学历的优先安排"
               "优质学校（幼儿园），其他类享受当地常住居民子女入学政策；外市转入高中的安排三星及以上高中。")
    d.user("assign_school", "安排就读学校", "education", 6, form="assign.json",
           article="服务办法第四条（二）;服务办法第五条（子女就学）",
           doc="服务办法第四条第二项、第五条：市教育局按决策表确定的政策和学校层次安排具体学校。种子未规定时限。",
           post='outcome = "已安排就读学校"\nresult_detail = f"{assigned_school}（{school_level}，{policy}），{enrolment_date}'
                '入学"')
    feedback_steps(d, 7)
    d.flow("intake_gw", "decide_policy", "受理", id="f_accept", exit="right", enter="top")
    d.flow("decide_policy", "assign_school")
    d.flow("assign_school", "one_stop_gw", exit="right", enter="bottom")
    d.files["apply.json"] = form("子女就学申请", {
        **talent_fields(),
        "doctorate": {"type": "boolean", "title": "人才具有博士及以上学历", "default": False},
        "child_name": text("子女姓名", 50, pattern="^[\\u3400-\\u9fffA-Za-z·• ]+$"),
        "child_id_number": {**ID_NUMBER, "title": "子女身份证号"},
        "child_birth_date": {**DATE, "title": "子女出生日期"},
        "school_stage": {**choice("就学阶段", "学前", "义务教育", "高中转学"),
                         "description": "高中转学指由外市转入本市就读高中阶段学校。"},
        "intended_grade": {"type": "string", "title": "拟就读年级", "maxLength": 20},
        "residence_address": text("本市居住地址（就近入学依据）", 200),
        "household_moved_in": {"type": "boolean", "title": "户籍已迁入本市（不影响办理）", "default": False},
        "current_school": text("现就读学校", 100), "current_school_city": text("现就读学校所在城市", 50),
    }, ["talent_name", "talent_class", "doctorate", "employer_name", "contact_phone", "child_name",
        "child_id_number", "child_birth_date", "school_stage"], rules=[
        {"if": {"properties": {"school_stage": {"enum": ["学前", "义务教育"]}}, "required": ["school_stage"]},
         "then": {"required": ["residence_address"]}},
        when("school_stage", "高中转学", "current_school", "current_school_city")])
    d.files["assign.json"] = form("安排就读学校", {
        "assigned_school": text("安排的学校（幼儿园）", 100), "assigned_grade": text("年级（班）", 20),
        "enrolment_date": {**DATE, "title": "入学日期"},
        "meets_policy": {"type": "boolean", "title": "所安排学校符合决策表确定的政策和学校层次", "const": True},
    }, ["assigned_school", "enrolment_date", "meets_policy"])
    d.instruct({
        "intake": "请核验{{ talent_name }}（{{ talent_class }}类）的人才类别认定和子女{{ child_name }}的身份、就读材料。",
        "assign_school": "就学政策：{{ policy }}（{{ school_level }}）。请为{{ child_name }}安排学校。",
        "feedback": "请将结果告知{{ talent_name }}并归档：{{ outcome }}（{{ result_detail }}）。",
        "end_not_accepted": "不予受理：{{ result_detail }}",
        "end_done": "{{ outcome }}：{{ result_detail }}",
    })
    return d


# ------------------------------------------------------------------------------------------------ 高层次人才服务金卡

CARD_BENEFITS = [
    "免费游览我市所有景区（服务办法第四条第五项；市旅游局负责落实，第五条）",
    "科研经费支持方面享受优惠待遇（第四条第五项）",
    "进修培训方面享受优惠待遇（第四条第五项）",
    "创办企业方面享受优惠待遇（第四条第五项）",
    "学术津贴方面享受优惠待遇（第四条第五项）",
    "交通出行方面享受优惠待遇，机场和铁路绿色通道（第四条第五项；市民航站和铁路办负责落实，第五条）",
]


def gold_card() -> Diagram:
    d = Diagram("gold_card", "高层次人才服务金卡", participant="连云港市高层次人才服务金卡", source=SOURCE,
                articles="服务办法第四条（五）;服务办法第五条（金卡办理）;服务办法第五条（景区游览）;"
                         "服务办法第五条（机场和铁路绿色通道）;服务办法第五条（绿色通道）;服务办法第三条;服务办法第六条",
                doc=clean("""依据《连云港市高层次人才服务办法（试行）》第四条第五项（符合条件的高层次人才可申领“连云港市高层次人才
                服务金卡”，持卡人可免费游览我市所有景区，并在科研经费支持、进修培训、创办企业、学术津贴、交通出行等方面享受优惠
                待遇）、第五条（金卡办理服务由市人社局负责落实；景区游览服务由市旅游局负责落实；机场和铁路绿色通道服务由市民航站
                和铁路办负责落实；各级部门设立人才服务绿色通道）、第三条（D类以上人才）、第六条（一窗受理、集中反馈）。窗口受理，
                市人社局审核制卡，市旅游局、市民航站、市铁路办同时为持卡人开通景区免费游览和机场、铁路绿色通道，窗口发卡并告知各项
                优惠。种子未规定金卡的有效期、年审和办理时限，本流程不设定（与聊城的金卡办法不同）。由一站式窗口综合受理调用时不单独
                反馈（one_stop），卡仍由窗口交给持卡人。"""),
                lanes=[("applicant", APPLICANT, 1), ("window", WINDOW, 2), ("hrss", HRSS, 1), ("tourism", TOURISM, 1),
                       ("aviation", AVIATION, 1), ("railway", RAILWAY, 1)])
    intake_steps(d, service="金卡", article="服务办法第四条（五）")
    d.user("review", "审核制卡", "hrss", 5, form="review.json", article="服务办法第五条（金卡办理）;服务办法第四条（五）",
           doc="服务办法第五条：金卡办理服务由市人社局负责落实；第四条第五项：符合条件的高层次人才可申领。审核后制卡"
               "（卡号），或不予发放并写明理由。")
    d.gateway("review_gw", "是否发放金卡", "hrss", 6, default="f_refused", label="nw", article="服务办法第四条（五）",
              doc="服务办法第四条第五项：符合条件的发放金卡；不符合的写明理由。")
    d.script("record_refused", "记录不予发放理由", "window", 7, 1, article="服务办法第四条（五）",
             script='outcome = "不予发放"\nresult_detail = review_comment',
             doc="服务办法第四条第五项：不符合条件的不予发放，理由记入结果。")
    d.gateway("fork", "各部门开通持卡服务", "hrss", 7, kind="parallel", label="nw",
              article="服务办法第五条（景区游览）;服务办法第五条（机场和铁路绿色通道）",
              doc="服务办法第五条：景区游览服务由市旅游局、机场和铁路绿色通道服务由市民航站和铁路办负责落实，三个单位同时"
                  "为持卡人开通。")
    d.user("scenic", "开通景区免费游览", "tourism", 8, form="scenic.json",
           article="服务办法第四条（五）;服务办法第五条（景区游览）",
           doc="服务办法第四条第五项：持卡人可免费游览我市所有景区；第五条：景区游览服务由市旅游局负责落实。登记金卡，"
               "开通全市景区免费游览。")
    d.user("airport", "开通机场绿色通道", "aviation", 8, form="green_channel.json",
           article="服务办法第五条（机场和铁路绿色通道）;服务办法第五条（绿色通道）",
           doc="服务办法第五条：机场绿色通道服务由市民航站负责落实；第四条第五项：交通出行方面享受优惠待遇。")
    d.user("railway", "开通铁路绿色通道", "railway", 8, form="green_channel.json",
           article="服务办法第五条（机场和铁路绿色通道）;服务办法第五条（绿色通道）",
           doc="服务办法第五条：铁路绿色通道服务由铁路办负责落实；第四条第五项：交通出行方面享受优惠待遇。")
    d.gateway("join", "开通完毕", "hrss", 9, kind="parallel", label="nw", article="服务办法第五条（景区游览）",
              doc="三项持卡服务都开通后发卡。")
    d.script("record_card", "登记持卡优惠", "hrss", 10, article="服务办法第四条（五）", script=f"""
card_benefits = {CARD_BENEFITS!r}
outcome = "已发放金卡"
result_detail = f"连云港市高层次人才服务金卡{{card_no}}，已开通景区免费游览和机场、铁路绿色通道"
""", doc="服务办法第四条第五项：持卡人的各项优惠待遇列入 card_benefits。")
    d.gateway("merge_gw", "汇合", "window", 11, label="nw", article="服务办法第六条", doc="汇合发卡与不予发放两条路径。")
    d.gateway("issued_gw", "是否已发卡", "window", 12, default="f_no_card", label="nw", article="服务办法第六条",
              doc="已发卡的由窗口交卡；不予发放的按是否一站式综合受理反馈。")
    d.user("hand_card", "发放金卡", "window", 13, form="hand_card.json", article="服务办法第四条（五）;服务办法第六条",
           doc="服务办法第四条第五项、第六条：窗口把金卡交给持卡人，告知免费游览景区和科研经费支持、进修培训、创办企业、"
               "学术津贴、交通出行等方面的优惠待遇。")
    feedback_steps(d, 14)
    d.flow("intake_gw", "review", "受理", id="f_accept", exit="right", enter="top")
    d.flow("review", "review_gw")
    d.flow("review_gw", "fork", "发放金卡", 'review_decision == "发放金卡"', id="f_issue")
    d.flow("review_gw", "record_refused", "不予发放", id="f_refused", exit="top", enter="left")
    d.flow("fork", "scenic", exit="bottom", enter="left")
    d.flow("fork", "airport", exit="bottom", enter="left", id="f_fork_airport")
    d.flow("fork", "railway", exit="bottom", enter="left", id="f_fork_railway")
    d.flow("scenic", "join", exit="right", enter="bottom")
    d.flow("airport", "join", exit="right", enter="bottom")
    d.flow("railway", "join", exit="right", enter="bottom")
    d.flow("join", "record_card")
    d.flow("record_card", "merge_gw", exit="right", enter="bottom")
    d.flow("record_refused", "merge_gw", exit="right", enter="bottom")
    d.flow("merge_gw", "issued_gw")
    d.flow("issued_gw", "hand_card", "已发卡", 'outcome == "已发放金卡"', id="f_card")
    d.flow("issued_gw", "one_stop_gw", "不予发放", id="f_no_card", exit="top", enter="top")
    d.flow("hand_card", "one_stop_gw")
    d.files["apply.json"] = form("申领高层次人才服务金卡", {
        **talent_fields(), "id_number": {**ID_NUMBER}, "certificate_no": text("人才类别认定证书编号", 40),
    }, ["talent_name", "talent_class", "employer_name", "contact_phone", "id_number", "certificate_no"])
    d.files["review.json"] = form("审核制卡", {
        "review_decision": choice("审核结论", "发放金卡", "不予发放"),
        "card_no": {"type": "string", "title": "金卡卡号（LYGJK+年份+6位序号）", "pattern": "^LYGJK20\\d{2}\\d{6}$"},
        "review_comment": text("审核意见或不予发放的理由", 500),
    }, ["review_decision", "review_comment"], rules=[when("review_decision", "发放金卡", "card_no")])
    d.files["scenic.json"] = form("开通景区免费游览", {
        "registered_on": {**DATE, "title": "开通日期"},
        "all_scenic_areas": {"type": "boolean", "title": "已在全市所有景区登记金卡，持卡免费游览", "const": True},
    }, ["registered_on", "all_scenic_areas"])
    d.files["green_channel.json"] = form("开通绿色通道", {
        "registered_on": {**DATE, "title": "开通日期"},
        "channel_note": text("绿色通道服务内容（如优先安检、专用候车（机）区、优先购票）", 500),
    }, ["registered_on", "channel_note"])
    d.files["hand_card.json"] = form("发放金卡", {
        "handed_on": {**DATE, "title": "领卡日期"},
        "benefits_explained": {"type": "boolean", "title": "已告知景区免费游览和各项优惠待遇", "const": True},
    }, ["handed_on", "benefits_explained"])
    d.instruct({
        "review": "请审核{{ talent_name }}（{{ talent_class }}类）的金卡申领，符合条件的制卡并登记卡号。",
        "scenic": "请为金卡{{ card_no }}持卡人{{ talent_name }}开通我市所有景区的免费游览。",
        "airport": "请为金卡{{ card_no }}持卡人{{ talent_name }}开通机场绿色通道。",
        "railway": "请为金卡{{ card_no }}持卡人{{ talent_name }}开通铁路绿色通道。",
        "hand_card": "请将金卡{{ card_no }}交给{{ talent_name }}，告知免费游览景区和各项优惠待遇。",
        "end_not_accepted": "不予受理：{{ result_detail }}",
        "end_done": "{{ outcome }}：{{ result_detail }}",
    })
    d.notify("hand_card", "card_ready", message="您的连云港市高层次人才服务金卡{{ card_no }}已制发，请到市高层次人才一站式"
             "服务窗口领取（服务办法第四条第五项）。")
    return d


# ---------------------------------------------------------------------------------------------------- 安居保障

MEASURES = {"人才公寓": "housing", "购房券": "housing", "单位自建人才安居房": "housing", "生活补贴": "hrss"}


def housing() -> Diagram:
    d = Diagram("housing", "高层次人才安居保障", participant="连云港市高层次人才安居保障", source=SOURCE,
                articles="服务办法第四条（三）;服务办法第五条（安居保障）;服务办法第三条;服务办法第六条",
                doc=clean("""依据《连云港市高层次人才服务办法（试行）》第四条第三项（安居保障：采取人才公寓、购房券、生活补贴、单位
                自建人才安居房等多种方式，具体按照《连云港市人才安居办法（试行）》执行）、第五条（安居保障服务由市人社局和住房局
                负责落实）、第三条（D类以上人才）、第六条（一窗受理、集中反馈）。《连云港市人才安居办法（试行）》的条件和标准
                种子未收录，由市人社局会同市住房局按该办法审核确定方式和标准，流程只登记结果，不自行设定金额。两个部门的分工是本
                流程的选择：市人社局审核并核发生活补贴，市住房局落实人才公寓、购房券和单位自建人才安居房。种子未规定时限。由一站式
                窗口综合受理调用时不单独反馈（one_stop）。"""),
                lanes=[("applicant", APPLICANT, 1), ("window", WINDOW, 2), ("hrss", HRSS, 1), ("housing", HOUSING, 1)])
    intake_steps(d, service="安居保障", article="服务办法第四条（三）")
    d.user("review", "审核安居方式", "hrss", 5, form="review.json", article="服务办法第四条（三）;服务办法第五条（安居保障）",
           doc="服务办法第四条第三项、第五条：市人社局会同市住房局按《连云港市人才安居办法（试行）》审核，确定采取的安居"
               "方式（人才公寓、购房券、生活补贴、单位自建人才安居房）或不予支持（写明理由）。")
    d.gateway("measure_gw", "安居方式", "hrss", 6, default="f_not_supported", label="sw", article="服务办法第四条（三）",
              doc="服务办法第四条第三项：生活补贴由市人社局核发；人才公寓、购房券、单位自建人才安居房由市住房局落实。")
    d.user("living_allowance", "核发安居生活补贴", "hrss", 7, form="allowance.json",
           article="服务办法第四条（三）;服务办法第五条（安居保障）",
           doc="服务办法第四条第三项：生活补贴；第五条：市人社局负责落实。按《连云港市人才安居办法（试行）》的标准核发，"
               "登记标准、期限和首次发放日期。")
    d.user("housing_measure", "落实住房保障", "housing", 7, form="housing_measure.json",
           article="服务办法第四条（三）;服务办法第五条（安居保障）",
           doc="服务办法第四条第三项：人才公寓、购房券、单位自建人才安居房；第五条：市住房局负责落实。配租人才公寓、发放"
               "购房券或为用人单位自建的人才安居房登记，记录结果。")
    d.script("record_refused", "记录不予支持理由", "window", 7, 1, article="服务办法第四条（三）",
             script='outcome = "不予支持"\nresult_detail = review_comment',
             doc="服务办法第四条第三项：按人才安居办法不予支持的，理由记入结果。")
    d.script("record_allowance", "记录生活补贴结果", "hrss", 8, article="服务办法第四条（三）", script="""
outcome = "核发生活补贴"
result_detail = f"安居生活补贴每月{allowance_amount}元，期限{allowance_months}个月，{first_payment_on}起发放"
""", doc="记录生活补贴的标准、期限和首次发放日期。")
    d.script("record_housing", "记录住房保障结果", "housing", 8, article="服务办法第四条（三）", script="""
outcome = housing_measure
result_detail = f"{housing_measure}：{housing_detail}"
""", doc="记录人才公寓、购房券或单位自建人才安居房的落实结果。")
    d.gateway("merge_gw", "汇合", "window", 9, label="nw", article="服务办法第六条", doc="汇合各种安居方式的结果。")
    feedback_steps(d, 10)
    d.flow("intake_gw", "review", "受理", id="f_accept", exit="right", enter="top")
    d.flow("review", "measure_gw")
    d.flow("measure_gw", "living_allowance", "生活补贴", 'housing_measure == "生活补贴"', id="f_allowance")
    d.flow("measure_gw", "housing_measure", "公寓/购房券/自建房",
           'housing_measure in ["人才公寓", "购房券", "单位自建人才安居房"]', id="f_housing", exit="bottom", enter="left")
    d.flow("measure_gw", "record_refused", "不予支持", id="f_not_supported", exit="top", enter="left")
    d.flow("living_allowance", "record_allowance")
    d.flow("housing_measure", "record_housing")
    d.flow("record_allowance", "merge_gw", exit="right", enter="bottom")
    d.flow("record_housing", "merge_gw", exit="right", enter="bottom")
    d.flow("record_refused", "merge_gw", exit="right", enter="bottom")
    d.flow("merge_gw", "one_stop_gw")
    d.files["apply.json"] = form("安居保障申请", {
        **talent_fields(),
        "family_size": {"type": "integer", "title": "家庭人口", "minimum": 1, "maximum": 20},
        "housing_status": choice("本市住房情况", "无自有住房", "有自有住房", "租住"),
        "preferred_measure": choice("希望的安居方式", *MEASURES),
        "employer_built": {"type": "boolean", "title": "用人单位建有人才安居房", "default": False},
    }, ["talent_name", "talent_class", "employer_name", "contact_phone", "family_size", "housing_status",
        "preferred_measure"])
    d.files["review.json"] = form("审核安居方式", {
        "housing_measure": choice("确定的安居方式（《连云港市人才安居办法（试行）》）", *MEASURES, "不予支持"),
        "review_comment": text("审核意见（不予支持的写明理由）", 500),
    }, ["housing_measure", "review_comment"])
    d.files["allowance.json"] = form("核发安居生活补贴", {
        "allowance_amount": {"type": "integer", "title": "每月补贴标准（元，按人才安居办法）", "minimum": 1},
        "allowance_months": {"type": "integer", "title": "补贴期限（月）", "minimum": 1, "maximum": 120},
        "first_payment_on": {**DATE, "title": "首次发放日期"},
    }, ["allowance_amount", "allowance_months", "first_payment_on"])
    d.files["housing_measure.json"] = form("落实住房保障", {
        "housing_detail": text("落实情况（公寓房号、购房券编号和面额，或自建安居房登记号）", 500),
        "done_on": {**DATE, "title": "落实日期"},
    }, ["housing_detail", "done_on"])
    d.instruct({
        "review": "请会同市住房局按《连云港市人才安居办法（试行）》审核{{ talent_name }}（{{ talent_class }}类，希望：{{ preferred_measure }}）的安居方式。",
        "living_allowance": "请按人才安居办法核发{{ talent_name }}的安居生活补贴。",
        "housing_measure": "请为{{ talent_name }}落实：{{ housing_measure }}。",
        "end_not_accepted": "不予受理：{{ result_detail }}",
        "end_done": "{{ outcome }}：{{ result_detail }}",
    })
    return d


# ---------------------------------------------------------------------------------------------------- 医疗保健

MAX_CARE_YEARS = 50


def medical_care() -> Diagram:
    d = Diagram("medical_care", "高层次人才医疗保健", participant="连云港市高层次人才医疗保健", source=SOURCE,
                articles="服务办法第四条（四）;服务办法第五条（医疗保健）;服务办法第三条;服务办法第六条",
                doc=clean(f"""依据《连云港市高层次人才服务办法（试行）》第四条第四项（医疗保健：为高层次人才落实医疗保健服务定点医院，
                建立医疗服务联络员制度；鼓励用人单位为高层次人才购买补充医疗保险；每年安排一次免费健康体检，建立个人健康档案；
                定期组织休假疗养）、第五条（医疗保健服务由市卫生计生委负责落实）、第三条（D类以上人才）、第六条（一窗受理、集中
                反馈）。窗口受理后，市卫生计生委落实定点医院、指定医疗服务联络员、建立个人健康档案，对未购买补充医疗保险的用人单位
                做鼓励工作；窗口告知人才；此后每年安排一次免费健康体检并更新健康档案，同时登记当年休假疗养的组织情况（“定期”的
                周期种子未规定，按年度登记）。人才离开本市的服务结束；平台限制：一个案件最多跟踪{MAX_CARE_YEARS}个年度。这是跨年度
                的长期服务：在一站式窗口综合受理时申请的，由综合受理案件发消息（onestop_medical_care_apply）开立本案，本案把
                受理结论报告综合受理案件（onestop_medical_care_decision）后继续按年度服务。启动数据：无（申请内容在下一步填写）。"""),
                lanes=[("applicant", APPLICANT, 1), ("window", WINDOW, 2), ("health", HEALTH, 2)])
    one_stop_messages(d, "medical_care")
    intake_steps(d, service="医疗保健服务", article="服务办法第四条（四）", init=f"care_year = 1\nmax_care_years = "
                 f"{MAX_CARE_YEARS}\ncheckups = []\nintake_reference = intake_reference if one_stop else \"\"")
    d.message_start("from_one_stop", "一站式窗口转来", "window", 0, message="Message_medical_care_apply",
                    article="服务办法第六条", doc=clean("""服务办法第六条：业务一窗受理、后台分头办理。人才在一站式服务窗口综合
                    受理时申请了医疗保健服务：综合受理案件发来消息 onestop_medical_care_apply（人才姓名、身份证号、联系电话、
                    用人单位和一站式受理编号），本案由此开始；受理结论报告综合受理案件后，本案继续按年度服务。"""))
    report_medical = ("服务办法第六条：结果集中反馈。由一站式窗口综合受理转来的案件，把受理结论报告综合受理案件（消息 "
                      "onestop_medical_care_decision，按一站式受理编号 intake_reference 送达），由其一次反馈；本案继续"
                      "办理。单独申请的案件没有一站式受理编号，消息不发往任何案件。")
    d.nodes["end_not_accepted"].col += 0.5
    report_decision(d, "medical_care", "report_not_accepted", "报告不予受理", "window", 4, 1, outcome='"不予受理"',
                    detail="result_detail", article="服务办法第六条", doc=report_medical)
    for flow in d.flows:
        if flow.id == "f_refuse":
            flow.target = "report_not_accepted"
    d.flow("report_not_accepted", "end_not_accepted")
    d.flow("from_one_stop", "prepare", exit="right", enter="bottom")
    d.user("register", "落实医疗保健服务", "health", 5, form="register.json",
           article="服务办法第四条（四）;服务办法第五条（医疗保健）",
           doc="服务办法第四条第四项：落实医疗保健服务定点医院，建立医疗服务联络员制度，建立个人健康档案；第五条：市卫生"
               "计生委负责落实。记录定点医院、医疗服务联络员和健康档案编号。")
    d.gateway("insurance_gw", "用人单位是否已购买补充医疗保险", "health", 6, default="f_insured", label="nw",
              article="服务办法第四条（四）", doc="服务办法第四条第四项：鼓励用人单位为高层次人才购买补充医疗保险；已购买的"
                                                "不需再做工作。")
    d.user("encourage", "鼓励购买补充医疗保险", "health", 7, 1, form="encourage.json", article="服务办法第四条（四）",
           doc="服务办法第四条第四项：鼓励用人单位为高层次人才购买补充医疗保险。记录与用人单位沟通的情况和用人单位的答复"
               "（是鼓励，不是强制）。")
    d.gateway("insurance_join", "汇合", "health", 8, label="nw", article="服务办法第四条（四）", doc="汇合两条路径。")
    d.user("notify", "告知医疗保健服务", "window", 9, form="notify.json", article="服务办法第六条;服务办法第四条（四）",
           doc="服务办法第六条：结果集中反馈。窗口把定点医院、医疗服务联络员和每年免费体检、定期休假疗养的安排告知人才。",
           post='outcome = "已落实医疗保健服务"\nresult_detail = f"定点医院：{designated_hospital}；医疗服务联络员：'
                '{liaison_name}（{liaison_phone}）；健康档案：{health_record_no}"')
    d.user("checkup", "安排年度免费健康体检", "health", 10, form="checkup.json", article="服务办法第四条（四）",
           doc="服务办法第四条第四项：每年为高层次人才安排一次免费健康体检，建立（更新）个人健康档案；定期组织高层次人才"
               "休假疗养（登记当年的组织和参加情况）。同时核对人才是否仍在本市工作。",
           post='checkups = checkups + [{"year": care_year, "date": checkup_date, "hospital": checkup_hospital, '
                '"recuperation": recuperation}]\ncare_year = care_year + 1')
    d.gateway("year_gw", "是否继续服务", "health", 11, default="f_next_year", label="nw", article="服务办法第四条（四）",
              doc=f"人才已离开本市，或已跟踪{MAX_CARE_YEARS}个年度（平台限制）的，服务结束；否则等待下一年度。")
    d.catch_timer("next_year", "下一年度体检", "health", 11, 1, expr="'P1Y'", kind="timeDuration",
                  article="服务办法第四条（四）", label="right",
                  doc="服务办法第四条第四项：每年安排一次。上一年度体检登记一年后安排下一年度的体检。")
    d.end("end_care", "服务结束", "health", 12, article="服务办法第四条（四）",
          doc="人才离开本市或跟踪年限届满，医疗保健服务案件办结；体检记录见 checkups。")
    d.shift(10, 1)  # room for the report to the one-stop window
    report_decision(d, "medical_care", "report_accepted", "报告办理结论", "window", 10, outcome="outcome",
                    detail="result_detail", article="服务办法第六条", doc=report_medical)
    d.flow("intake_gw", "register", "受理", id="f_accept", exit="right", enter="top")
    d.flow("register", "insurance_gw")
    d.flow("insurance_gw", "encourage", "未购买", "not supplementary_insurance", id="f_not_insured", exit="bottom",
           enter="left")
    d.flow("insurance_gw", "insurance_join", "已购买", id="f_insured")
    d.flow("encourage", "insurance_join", exit="right", enter="bottom")
    d.flow("insurance_join", "notify", exit="right", enter="bottom")
    d.flow("notify", "report_accepted")
    d.flow("report_accepted", "checkup", exit="right", enter="top")
    d.flow("checkup", "year_gw")
    d.flow("year_gw", "end_care", "服务结束", 'not still_in_city or care_year > max_care_years',
           id="f_care_end")
    d.flow("year_gw", "next_year", "下一年度", id="f_next_year")
    d.flow("next_year", "checkup", exit="left", enter="bottom")
    d.files["apply.json"] = form("医疗保健服务申请", {
        **talent_fields(),
        "id_number": {**ID_NUMBER},
        "supplementary_insurance": {"type": "boolean", "title": "用人单位已为本人购买补充医疗保险", "default": False},
        "preferred_hospital": {"type": "string", "title": "希望的定点医院", "maxLength": 100},
    }, ["talent_name", "talent_class", "employer_name", "contact_phone", "id_number", "supplementary_insurance"])
    d.files["register.json"] = form("落实医疗保健服务", {
        "designated_hospital": text("医疗保健服务定点医院", 100),
        "liaison_name": text("医疗服务联络员", 50), "liaison_phone": text("联络员电话", 20),
        "health_record_no": text("个人健康档案编号", 40),
    }, ["designated_hospital", "liaison_name", "liaison_phone", "health_record_no"])
    d.files["encourage.json"] = form("鼓励购买补充医疗保险", {
        "contacted_on": {**DATE, "title": "与用人单位沟通日期"},
        "employer_answer": choice("用人单位答复", "同意购买", "研究后答复", "暂不购买"),
        "encourage_note": text("沟通情况", 500),
    }, ["contacted_on", "employer_answer", "encourage_note"])
    d.files["notify.json"] = form("告知医疗保健服务", {
        "notice_method": choice("告知方式", "窗口现场", "电话", "短信", "书面", "网上"),
        "notice_date": {**DATE, "title": "告知日期"},
    }, ["notice_method", "notice_date"])
    d.files["checkup.json"] = form("安排年度免费健康体检", {
        "checkup_hospital": text("体检医院", 100), "checkup_date": {**DATE, "title": "体检日期"},
        "health_record_updated": {"type": "boolean", "title": "已更新个人健康档案", "const": True},
        "recuperation": choice("本年度休假疗养", "已组织参加", "已组织、本人未参加", "本年度未组织"),
        "still_in_city": {"type": "boolean", "title": "人才仍在本市工作或生活", "default": True},
    }, ["checkup_hospital", "checkup_date", "health_record_updated", "recuperation", "still_in_city"])
    d.instruct({
        "register": "请为{{ talent_name }}落实医疗保健服务定点医院、指定医疗服务联络员并建立个人健康档案。",
        "encourage": "{{ employer_name }}尚未为{{ talent_name }}购买补充医疗保险，请与用人单位沟通、予以鼓励。",
        "notify": "请告知{{ talent_name }}：{{ result_detail }}；每年安排一次免费健康体检，定期组织休假疗养。",
        "checkup": "请为{{ talent_name }}安排第{{ care_year }}个年度的免费健康体检，更新个人健康档案，并登记本年度休假疗养的组织情况。",
        "end_not_accepted": "不予受理：{{ result_detail }}",
        "end_care": "医疗保健服务已结束，体检记录：{{ checkups }}",
    })
    return d


# ------------------------------------------------------------------------------------------------ 一站式服务窗口

SERVICES = {"反映问题": "problem_handling", "配偶就业": "spouse_placement", "子女就学": "schooling",
            "安居保障": "housing", "金卡服务": "gold_card", "医疗保健": "medical_care", "其他服务": "other_service"}
OTHER_SERVICES = ["居留落户", "出入境", "工商注册", "税务办理", "行政审批", "政务协调", "职称评定", "科研支持", "知识产权",
                  "金融贷款"]


def one_stop_intake() -> Diagram:
    d = Diagram("one_stop_intake", "一站式服务窗口（业务一窗受理）", participant="连云港市高层次人才一站式服务窗口",
                source=SOURCE, articles="服务办法第六条;服务办法第四条（六）;" + ROUTE_ARTICLES,
                doc=clean("""依据《连云港市高层次人才服务办法（试行）》第六条（建立高层次人才一站式服务窗口，按照“业务一窗受理、后台
                分头办理、过程全程跟踪、结果集中反馈”的方式提供一站式服务；建立“线上+线下”机制）、第四条（各项服务内容）、第五条
                （各项服务的责任单位）。人才一次提出多项服务：窗口开一个案件，登记申请人和所申请的服务（业务一窗受理），指定专人
                跟踪（过程全程跟踪），各项服务同时办理（后台分头办理）：反映问题、配偶就业、子女就学、安居保障、金卡服务调用已部署
                的 problem_handling、spouse_placement、schooling、housing、gold_card 流程（须先部署）；第四条第六项的其他服务按
                决策表 service_routing 转给第五条规定的责任单位（承办任务派给选出的单位，departmentField）；全部办结后一次反馈、
                一个档案（结果集中反馈）——被调用的流程不再单独反馈（one_stop 为真）。医疗保健服务是跨年度的长期服务：本案发消息
                （onestop_medical_care_apply）开立医疗保健服务自己的案件，等它报告受理结论（onestop_medical_care_decision，
                按一站式受理编号 intake_reference 对应本案）后即汇总反馈，该案件继续按年度安排体检、休假疗养，本案不等多年的
                服务。第六条的专项经费和服务指南不是办理流程。种子未规定一窗受理本身的时限，不设定时器。启动数据：
                applicant_name。"""),
                lanes=[("applicant", APPLICANT, 1), ("window", WINDOW, 2), ("talent", TALENT, 1),
                       ("education", EDUCATION, 1), ("hrss", HRSS, 2), ("health", HEALTH, 1), ("routed", ROUTED, 1)])
    one_stop_messages(d, "medical_care")
    d.start("start", "提出一站式服务申请", "applicant", 0, form="start.json", article="服务办法第六条",
            doc="服务办法第六条：业务一窗受理，“线上+线下”，“网上办、不见面”。人才本人（或其用人单位）在线发起，或由窗口"
                "工作人员代为登记；子流程中属于申请人的任务派给发起人。")
    d.user("accept", "业务一窗受理", "window", 1, form="intake.json", ui="intake.ui.json", article="服务办法第六条",
           doc="服务办法第六条：业务一窗受理。登记申请人和所申请的全部服务（至少一项）；反映问题的记录问题，申请其他服务"
               "（第四条第六项）的选择事项并说明诉求。")
    d.user("assign_officer", "指定跟踪专人", "window", 2, form="officer.json", article="服务办法第六条",
           doc="服务办法第六条：过程全程跟踪。窗口指定一名工作人员跟踪本案各项服务（本案的任务列表和历史包含各子流程的"
               "全部环节），负责结果集中反馈。")
    d.script("prepare", "分办准备", "window", 3, article="服务办法第六条", script=f"""
codes = {SERVICES!r}
service_codes = [codes[name] for name in requested_services]
del codes
one_stop = True
talent_name = applicant_name
service_results = {{}}
intake_reference = new_reference("LYGYZS")
dispatched_at = now()
""", doc="服务办法第六条：后台分头办理。所选服务换成代码 service_codes；置 one_stop 为真，被调用的流程不单独反馈；"
         "talent_name 供反映问题流程使用；service_results 汇总每项结果；intake_reference 为本案的一站式受理编号，"
         "医疗保健服务的案件凭它报告结论。")
    d.gateway("fork", "后台分头办理", "window", 4, kind="inclusive", label="nw", article="服务办法第六条",
              doc="服务办法第六条：后台分头办理。所选的每一项服务各放出一条分支，同时办理。")
    branches = [
        ("problem_handling", "反映问题", "window", 1, "办理反映问题", "服务办法第七条",
         'f"责任单位答复：{answer}；回访满意度：{satisfaction}"', '"已办结答复"'),
        ("spouse_placement", "配偶就业", "talent", 0, "办理配偶就业", "服务办法第四条（一）", "result_detail", "outcome"),
        ("schooling", "子女就学", "education", 0, "办理子女就学", "服务办法第四条（二）", "result_detail", "outcome"),
        ("housing", "安居保障", "hrss", 0, "办理安居保障", "服务办法第四条（三）", "result_detail", "outcome"),
        ("gold_card", "金卡服务", "hrss", 1, "办理金卡服务", "服务办法第四条（五）", "result_detail", "outcome"),
    ]
    for code, name, lane, row, title, article, detail, outcome in branches:
        d.call(f"call_{code}", title, lane, 5, row, called=code, article=article,
               doc=f"{article}：调用已部署的 {code} 流程（其环节、时限和督办都在该流程内）；one_stop 为真，该流程不单独"
                   "反馈。泳道为牵头的部门或窗口；子流程的任务按子流程的泳道派发。")
        d.script(f"record_{code}", f"记录{name}结果", lane, 6, row, article=article, script=f"""
service_results = dict(service_results)
service_results["{code}"] = {{"service": "{name}", "outcome": {outcome}, "detail": {detail}, "finished_at": now()}}
""", doc=f"{article}：{name}的办理结果写入 service_results。")
        d.flow("fork", f"call_{code}", name, f'"{code}" in service_codes', id=f"f_fork_{code}", exit="bottom",
               enter="left", label_on="last")
        d.flow(f"call_{code}", f"record_{code}")
        d.flow(f"record_{code}", "join", exit="right", enter="bottom")
    d.throw_message("apply_medical_care", "转医疗保健申请", "health", 5, message="Message_medical_care_apply",
                    article="服务办法第六条;服务办法第五条（医疗保健）",
                    payload='{"intake_reference": intake_reference, "one_stop": True, "talent_name": applicant_name, '
                            '"id_number": id_number, "contact_phone": contact_phone, "employer_name": employer}',
                    doc="服务办法第六条：后台分头办理；第五条：医疗保健服务由市卫生计生委负责落实。发消息 "
                        "onestop_medical_care_apply 开立医疗保健服务自己的案件（消息开始事件），带去人才信息和本案的一站式"
                        "受理编号。")
    d.catch_message("medical_care_decision", "收到医疗保健结论", "health", 6, message="Message_medical_care_decision",
                    variable="medical_care_decision", article="服务办法第六条",
                    doc="服务办法第六条：结果集中反馈。等医疗保健服务的案件报告受理结论（消息 onestop_medical_care_decision，"
                        "按一站式受理编号对应本案）；结论到达即可汇总，不等以后每年的体检和疗养。")
    d.script("record_medical_care", "记录医疗保健结论", "health", 7, article="服务办法第四条（四）", script="""
service_results = dict(service_results)
service_results["medical_care"] = {"service": "医疗保健", "outcome": medical_care_decision["outcome"], "detail": medical_care_decision["detail"], "finished_at": now()}
""", doc="服务办法第四条第四项：医疗保健服务案件报告的结论写入 service_results；该案件继续按年度服务。")
    d.flow("fork", "apply_medical_care", "医疗保健", '"medical_care" in service_codes', id="f_fork_medical_care",
           exit="bottom", enter="left", label_on="last")
    d.flow("apply_medical_care", "medical_care_decision")
    d.flow("medical_care_decision", "record_medical_care")
    d.flow("record_medical_care", "join", exit="right", enter="bottom")
    d.rule("route_service", "确定责任单位", "routed", 5, decision="service_routing",
           article="服务办法第四条（六）;" + ROUTE_ARTICLES,
           doc="服务办法第四条第六项、第五条：其他服务（居留落户、出入境、工商注册、税务办理、行政审批、政务协调、职称评定、"
               "科研支持、知识产权、金融贷款）按决策表 service_routing.dmn 转给责任单位；行政审批、政务协调、职称评定由窗口"
               "指定相关职能部门。")
    d.user("handle_service", "责任单位办理", "routed", 6, form="handle_service.json", department_field="responsible_unit",
           article="服务办法第四条（六）;服务办法第五条（绿色通道）",
           doc="服务办法第四条第六项：为高层次人才提供便利服务；第五条：各责任单位设立人才服务绿色通道。本任务派给决策表"
               "选出的单位（departmentField=responsible_unit），记录办理结果和答复。")
    d.script("record_other_service", "记录其他服务结果", "routed", 7, article="服务办法第四条（六）", script="""
service_results = dict(service_results)
service_results["other_service"] = {"service": service_item, "outcome": service_result, "detail": f"{service_answer}（{route_article}）", "finished_at": now()}
""", doc="服务办法第四条第六项：其他服务的办理结果写入 service_results。")
    d.flow("fork", "route_service", "其他服务", '"other_service" in service_codes', id="f_fork_other_service",
           exit="bottom", enter="left", label_on="last")
    d.flow("route_service", "handle_service")
    d.flow("handle_service", "record_other_service")
    d.flow("record_other_service", "join", exit="right", enter="bottom")
    d.gateway("join", "各项结果到齐", "window", 8, kind="inclusive", label="nw", article="服务办法第六条",
              doc="服务办法第六条：过程全程跟踪、结果集中反馈。等本案放出的每一条分支办结并记录结果后才继续。")
    d.script("summarize", "汇总办理结果", "window", 9, article="服务办法第六条", script="""
combined_answer = [f"{service_results[code]['service']}：{service_results[code]['outcome']}（{service_results[code]['detail']}）" for code in service_codes]
combined_answer_text = "；".join(combined_answer)
summarized_at = now()
""", doc="服务办法第六条：结果集中反馈。按申请顺序汇成一份答复；缺少任何一项结果时案件进入 error，不发不完整的答复。")
    d.user("combined_feedback", "结果集中反馈", "window", 10, form="reply.json", article="服务办法第六条",
           doc="服务办法第六条：结果集中反馈。窗口把全部服务的结果一次告知申请人。")
    d.user("archive", "统一建档", "window", 11, form="archive.json", article="服务办法第六条",
           doc="服务办法第六条：各项服务的材料、过程和结果归入同一档案（被调用的流程不再另建档案）。")
    d.end("end", "办结归档", "window", 12, article="服务办法第六条", doc="服务办法第六条：结果集中反馈后办结。")
    d.flow("start", "accept", exit="right", enter="top")
    d.flow("accept", "assign_officer")
    d.flow("assign_officer", "prepare")
    d.flow("prepare", "fork")
    d.flow("join", "summarize")
    d.flow("summarize", "combined_feedback")
    d.flow("combined_feedback", "archive")
    d.flow("archive", "end")
    d.files["start.json"] = form("提出一站式服务申请", {
        "applicant_name": text("人才姓名", 50), "contact_phone": {**PHONE},
    }, ["applicant_name"], description="服务办法第六条：业务一窗受理。")
    d.files["intake.json"] = form("业务一窗受理", {
        "applicant_name": text("人才姓名", 50), "id_number": {**ID_NUMBER}, "contact_phone": {**PHONE},
        "employer": text("用人单位", 100),
        "requested_services": {"type": "array", "title": "申请的服务（可多选）", "minItems": 1, "uniqueItems": True,
                               "description": "各项由责任单位同时办理，办结后一次反馈、一个档案。医疗保健服务另立案件"
                                              "按年度办理，其受理结论到达即一并反馈。",
                               "items": {"type": "string", "enum": list(SERVICES)}},
        "problem_description": text("反映的问题（反映问题时填写）", 2000),
        "service_item": choice("其他服务事项（服务办法第四条第六项）", *OTHER_SERVICES),
        "other_unit": {"type": "string", "title": "责任单位（行政审批、政务协调、职称评定由窗口指定）",
                       "oneOf": [{"const": code, "title": unit} for code, unit in UNITS]},
        "service_request": text("服务诉求（申请其他服务时填写）", 1000),
    }, ["applicant_name", "id_number", "contact_phone", "employer", "requested_services"], rules=[
        {"if": {"properties": {"requested_services": {"contains": {"const": "反映问题"}}},
                "required": ["requested_services"]}, "then": {"required": ["problem_description"]}},
        {"if": {"properties": {"requested_services": {"contains": {"const": "其他服务"}}},
                "required": ["requested_services"]}, "then": {"required": ["service_item", "service_request"]}},
        {"if": {"properties": {"service_item": {"enum": ["行政审批", "政务协调", "职称评定"]}},
                "required": ["service_item"]}, "then": {"required": ["other_unit"]}}])
    d.files["intake.ui.json"] = {"requested_services": {"ui:help": "可同时选择多项"},
                                 "problem_description": {"ui:widget": "textarea"},
                                 "service_request": {"ui:widget": "textarea"}}
    d.files["officer.json"] = form("指定跟踪专人", {"officer_name": text("跟踪专人姓名", 50),
                                                    "officer_phone": text("联系电话", 20)}, ["officer_name", "officer_phone"])
    d.files["handle_service.json"] = form("责任单位办理", {
        "service_result": choice("办理结果", "已办理", "不予办理", "需另行申请"),
        "service_answer": text("答复内容（不予办理的写明理由，需另行申请的写明申请方式）", 1000),
    }, ["service_result", "service_answer"])
    d.files["reply.json"] = form("结果集中反馈", {
        "reply_method": choice("反馈方式", "窗口现场", "电话", "短信", "书面", "网上"),
        "reply_date": {**DATE, "title": "反馈日期"},
        "reply_confirmed": {"type": "boolean", "title": "已把全部服务的结果一次告知申请人", "const": True},
    }, ["reply_method", "reply_date", "reply_confirmed"])
    d.files["archive.json"] = form("统一建档", {
        "case_archive_number": text("档案编号", 40), "case_archived_on": {**DATE, "title": "建档日期"},
        "archive_complete": {"type": "boolean", "title": "各项服务的材料、过程和结果已归入本档案", "const": True},
    }, ["case_archive_number", "case_archived_on", "archive_complete"])
    table = routing_table("service_routing", "确定其他服务的责任单位", "service_item")
    d.files["service_routing.dmn"] = table
    d.instruct({
        "accept": "请登记申请人和所申请的全部服务，各项服务将由责任单位同时办理，办结后一次反馈。",
        "assign_officer": "请指定本案的跟踪专人，负责过程全程跟踪和结果集中反馈。",
        "handle_service": "{{ applicant_name }}申请：{{ service_item }}（{{ route_article }}）。诉求：{{ service_request }}",
        "combined_feedback": "请把各项服务的结果一次告知申请人：{{ combined_answer_text }}",
        "archive": "请把各项服务的申请材料、办理过程和结果归入同一档案。",
        "end": "{{ combined_answer_text }}",
    })
    return d
