"""聊城市 (000_8229815db04da044.txt): health-care card, gold card, living and rent subsidies, spouse placement and
the one-stop intake. Every element cites the article it implements (policyArticle) and says so in Chinese."""

from __future__ import annotations

from flowgen import Diagram, clean

from flowspecs.common import (
    DATE,
    ID_NUMBER,
    PHONE,
    SUPERVISE,
    choice,
    dmn_table,
    form,
    one_stop_messages,
    report_decision,
    text,
    when,
)

SOURCE = "000_8229815db04da044.txt"
APPLICANT = "申请人"
COUNTY = "县级“一站式”综合服务平台"
CITY = "市“一站式”服务平台"
HRSS = "市人力资源和社会保障局"
ORG = "市委组织部"
STAFFING = "市机构编制委员会办公室"
FINANCE = "市财政局"
HEALTH = "市卫生和计划生育委员会"
HCO = "市保健办"
TALENT = "市人才工作领导小组办公室"
ROUTED = "相关责任单位"
CATEGORIES = ["顶尖人才", "高端人才", "急需紧缺人才", "高技能人才", "其他引进人才"]
HOSPITALS = ["聊城市人民医院", "聊城市第二人民医院", "聊城市第三人民医院", "聊城市第四人民医院", "聊城市中医院",
             "聊城市传染病医院"]


ONE_STOP_FIELD = {"type": "boolean", "title": "由一站式综合受理案件统一反馈和建档", "const": False, "default": False}
def report(d: Diagram, code: str, id: str, name: str, lane: str, col: float, row: float = 0, *, outcome: str,
           detail: str, article: str, label: str = "below") -> None:
    """A decision reported to the one-stop intake that sent the case (flowspecs/common.py::report_decision)."""
    report_decision(d, code, id, name, lane, col, row, outcome=outcome, detail=detail, article=article, label=label,
                    doc="一站式服务平台管理办法第五条：集中反馈。由一站式平台一窗接件转来的案件，把受理结论报告一窗受理"
                        f"案件（消息 onestop_{code}_decision，按一站式受理编号 intake_reference 送达），由其一次反馈；"
                        "本案继续办理。单独申请的案件没有一站式受理编号，消息不发往任何案件。")


def diagrams() -> list[Diagram]:
    return [health_card(), gold_card(), subsidy(), spouse_placement(), one_stop_intake()]


# ------------------------------------------------------------------------------------------- 高层次人才保健证


def health_card() -> Diagram:
    d = Diagram("health_card", "高层次人才保健证办理", participant="聊城市高层次人才保健证办理", source=SOURCE,
                articles="医疗细则第二条;医疗细则第三条;医疗细则第四条;医疗细则第五条;医疗细则第六条;金卡办法第六条（二）",
                doc=clean("""依据《聊城市引进人才医疗保健实施细则（试行）》第二条至第六条：顶尖人才、高端人才、急需紧缺人才
                （第二条），以及持“服务金卡”的高层次高技能人才（《聊城市人才服务金卡管理办法（试行）》第六条第二项：持卡人可
                办理专用医疗保健证），由用人单位持第四条所列材料向县级“一站式”综合服务平台申请，县级平台核验转报，市“一站式”
                服务平台5个工作日内完成受理审核，名单提供至市保健办，市保健办10个工作日内制作《聊城市高层次人才保健证》（第五条、
                第六条）；平台把证交给持证人或其用人单位，市卫生计生委安排免费健康体检（第三条；一站式服务平台管理办法第四条第八
                项）。超期由市人才办督办（一站式服务平台管理办法第四条）。退回补正期间市平台的审核时限停止计时，补正材料回到市平台
                后按剩余工作日继续（stopsClock）。启动数据：applicant_name、talent_category、county，可含 gold_card_number、
                employer。结果：outcome（已发证/不予受理/不予通过/不予办理）。"""),
                lanes=[("applicant", APPLICANT, 2), ("county", COUNTY, 1), ("city", CITY, 2), ("hco", HCO, 1),
                       ("health", HEALTH, 1), ("talent", TALENT, 1)])
    d.start("start", "用人单位提出申请", "applicant", 0, doc=clean("""医疗细则第五条：用人单位持相关材料向县级“一站式”
            综合服务平台提出申请。以申请人账户（人才本人或用人单位经办人）发起；启动表单 start.json 填写人才姓名、认定类别、
            所在县市区（决定由哪个县级平台受理）、用人单位，持服务金卡的填写卡号。"""),
            article="医疗细则第五条", form="start.json")
    d.script("check_eligibility", "适用对象审查", "applicant", 1, doc=clean("""医疗细则第二条：适用对象为认定的顶尖人才、
             高端人才、急需紧缺人才；金卡办法第六条第二项：服务金卡持卡人（高层次高技能人才，金卡办法第三条）可办理专用医疗
             保健证，故持卡的高技能人才也属适用对象，卡号由县级平台、市平台核验。其他类别不予受理，理由记入 refusal_reason。
             同时初始化退回补正计数：细则未规定补正次数，本地规则最多退回3次（循环的上限）。"""),
             article="医疗细则第二条;金卡办法第六条（二）", script="""
categories = ["顶尖人才", "高端人才", "急需紧缺人才"]
gold_card_holder = str(gold_card_number).strip() != ""
eligible = talent_category in categories or gold_card_holder
if talent_category in categories:
    eligibility_basis = f"医疗细则第二条：{talent_category}"
elif gold_card_holder:
    eligibility_basis = f"金卡办法第六条第二项：服务金卡持卡人（卡号{gold_card_number}）可办理专用医疗保健证"
else:
    eligibility_basis = ""
return_count = 0
max_returns = 3
outcome = "办理中" if eligible else "不予受理"
refusal_reason = "" if eligible else f"人才类别“{talent_category}”不属于保健证适用对象，且未持服务金卡：医疗细则第二条规定适用对象为顶尖人才、高端人才、急需紧缺人才，金卡办法第六条第二项规定持卡人可办理专用医疗保健证"
del categories
""")
    d.gateway("eligible_gw", "是否为适用对象", "applicant", 2, doc="医疗细则第二条、金卡办法第六条第二项：适用对象或持卡人办理，"
              "其余不予受理。", default="f_not_eligible", article="医疗细则第二条", label="nw")
    d.end("end_ineligible", "不予受理", "applicant", 2, 1, doc="医疗细则第二条：非适用对象不予受理，结束时显示 refusal_reason。",
          article="医疗细则第二条", label="right")
    d.user("submit_materials", "提交申请材料", "applicant", 3, doc=clean("""医疗细则第四条申请材料：（一）聊城市引进人才认定
           证明材料；（二）《聊城市高层次人才保健证审批表》；（三）申请人身份证复印件；（四）证件照（电子版、白色背景、彩色、
           备注姓名）。四项材料上传为附件；另填身份证号码（按身份证号格式校验）。持卡人的认定证明可为服务金卡。"""),
           form="materials.json", ui="materials.ui.json", article="医疗细则第四条",
           instructions="请上传医疗细则第四条所列四项材料：人才认定证明、保健证审批表、身份证复印件和证件照。")
    d.user("correct_materials", "补正申请材料", "applicant", 5, 1, doc=clean("""医疗细则第四条、第五条：材料不全的退回用人单位
           补正，补正后重新报县级平台核验转报。补正期间市平台的受理审核不计时：本任务带 stopsClock=city_review_deadline，
           市平台5个工作日的审核时限在补正材料再次到达市平台时按退回时剩余的工作日继续（医疗细则第六条的时限只算平台办理的
           工作日）。退回次数见 return_count（本地规则最多3次）。"""),
           form="materials.json", ui="materials.ui.json", article="医疗细则第四条;医疗细则第六条",
           stops_clock="city_review_deadline",
           instructions="申请材料被退回补正（第{{ return_count }}次，最多3次）。缺少或不符合要求：{{ missing_items }}；"
                        "说明：{{ return_note }}。请补齐后重新提交全部材料；补正期间市平台的审核时限暂停计时。")
    d.user("county_check", "县级平台核验转报", "county", 4, doc=clean("""医疗细则第五条：用人单位向县级引进人才“一站式”综合
           服务平台提出申请，县级平台核验第四条所列材料（持卡人核验金卡）后报市“一站式”服务平台；材料不全的退回补正。细则
           第六条只规定了市平台（5个工作日）和市保健办（10个工作日）的时限，未规定县级平台的时限，故本环节不设定时器。任务派给
           案件所在县市区的平台。"""),
           form="county_check.json", article="医疗细则第五条",
           post='return_count = return_count + (1 if county_decision == "退回补正" else 0)')
    d.gateway("county_gw", "材料是否齐全", "county", 5, doc="医疗细则第五条：材料齐全的转报市平台；不全的退回补正。本地规则："
              "最多退回3次，已退回3次仍不齐全的转报市平台，由市平台审核决定（县级平台只核验转报，不作不予办理的决定）。",
              default="f_county_forward", article="医疗细则第五条", label="sw")
    d.user("city_review", "市平台受理审核", "city", 6, doc=clean("""医疗细则第五条：报市“一站式”服务平台审核；第六条：市“一站式”
           服务平台5个工作日内完成受理审核。审核通过的名单提供至市保健办；材料不全的退回补正（补正期间不计时）；不符合条件的
           不予通过并说明理由。"""),
           form="city_review.json", article="医疗细则第五条;医疗细则第六条",
           post='return_count = return_count + (1 if review_decision == "退回补正" else 0)')
    d.boundary_timer("city_review_deadline", "审核超过5个工作日", "city_review", expr="working_days(5)",
                     doc=clean("""医疗细则第六条：市“一站式”服务平台5个工作日内完成受理审核。超期不中断审核，转市人才办督办
                     （一站式服务平台管理办法第四条：人才工作领导小组办公室负责督导、问责）。退回补正期间和案件暂停期间不计时。"""),
                     article="医疗细则第六条;平台办法第四条", offset=0.25)
    d.gateway("city_gw", "审核结论", "city", 7, doc="医疗细则第五条：审核通过的名单提供至市保健办；材料不全退回补正（本地规则："
              "已退回3次仍不齐全的不予办理）；其余不予通过。", default="f_city_refuse", article="医疗细则第五条", label="sw")
    d.script("refuse", "记录不予办理理由", "city", 7, 1, doc=clean("""医疗细则第二条、第四条、第五条：市平台审核不予通过的，审核
             意见为理由；材料经3次退回补正仍不齐全的（本地规则），不予办理。理由记入 refusal_reason，在申请人的案件页显示。"""),
             article="医疗细则第五条", script="""
outcome = "不予通过" if review_decision == "不予通过" else "不予办理"
refusal_reason = review_opinion if review_decision == "不予通过" else f"申请材料经{max_returns}次退回补正仍不齐全，不予办理（医疗细则第四条所列材料须齐全）"
""")
    d.end("end_refused", "不予办理", "city", 8, 1, doc="医疗细则第五条：不予通过或多次补正仍不齐全，结束时显示 refusal_reason。",
          article="医疗细则第五条")
    d.user("make_card", "制作保健证", "hco", 9, doc=clean("""医疗细则第五条：审核通过的名单提供至市保健办；第六条：市保健办10个
           工作日内制作《聊城市高层次人才保健证》。"""), form="make_card.json", article="医疗细则第五条;医疗细则第六条")
    d.boundary_timer("make_card_deadline", "制证超过10个工作日", "make_card", expr="working_days(10)",
                     doc="医疗细则第六条：市保健办10个工作日内制作保健证。超期不中断制证，转市人才办督办（一站式服务平台"
                         "管理办法第四条）。", article="医疗细则第六条;平台办法第四条", offset=0.25)
    d.script("issue_card", "登记保健证服务", "hco", 10, doc=clean("""医疗细则第三条：保健证持证人在六家市直保健定点医疗机构
             （市人民医院、市第二人民医院、市第三人民医院、市第四人民医院、市中医院、市传染病医院）的高层次人才诊疗服务专门窗口
             就诊，走诊疗绿色通道，免费安排健康体检，费用由聊城市人才发展专项资金保障。"""), article="医疗细则第三条",
             script=f"""
designated_hospitals = {HOSPITALS!r}
card_services = ["高层次人才诊疗服务专门窗口", "诊疗绿色通道", "免费健康体检"]
checkup_funding = "聊城市人才发展专项资金"
""")
    d.user("hand_over", "发放保健证", "city", 11, doc=clean("""医疗细则第五条、第六条：保健证由市保健办制作，经市“一站式”
           服务平台交到持证人或其用人单位手中（一站式服务平台管理办法第五条：集中反馈）；记录领取人（本人或用人单位）和
           日期，并告知第三条的就诊窗口、绿色通道和免费体检。"""),
           form="hand_over.json", article="医疗细则第五条;平台办法第五条")
    d.user("arrange_checkup", "安排免费健康体检", "health", 12, doc=clean("""医疗细则第三条：为持证人免费安排健康体检，费用由聊城
           市人才发展专项资金保障；一站式服务平台管理办法第四条第八项：市卫生和计划生育委员会负责协调落实高层次人才医疗保健
           服务工作。记录体检的定点医院和日期。"""),
           form="checkup.json", article="医疗细则第三条;平台办法第四条（八）",
           post='outcome = "已发证"\nfree_checkup = {"hospital": checkup_hospital, "date": checkup_date}')
    d.end("end_issued", "保健证已发放", "health", 13, doc="医疗细则第三条：保健证已发放，免费健康体检已安排。",
          article="医疗细则第三条")
    d.user("supervise_city_review", "督办市平台审核", "talent", 6.8, doc=clean("""一站式服务平台管理办法第四条：人才工作
           领导小组办公室负责督导、问责。市平台受理审核超过医疗细则第六条规定的5个工作日时督办；审核本身继续进行。"""),
           form="supervise.json", article="平台办法第四条")
    d.end("end_city_review_supervised", "督办完成", "talent", 7.8, doc="一站式服务平台管理办法第四条：督办意见已记录，市平台审核"
          "在主流程中继续。", article="平台办法第四条")
    d.user("supervise_make_card", "督办保健证制作", "talent", 9.8, doc=clean("""一站式服务平台管理办法第四条：人才工作
           领导小组办公室负责督导、问责。市保健办制证超过医疗细则第六条规定的10个工作日时督办；制证本身继续进行。"""),
           form="supervise.json", article="平台办法第四条")
    d.end("end_make_card_supervised", "督办完成", "talent", 10.8, doc="一站式服务平台管理办法第四条：督办意见已记录，制证在主"
          "流程中继续。", article="平台办法第四条")
    d.shift(11, 1)  # room for the e-licence record after the card is made
    d.service("record_elicence", "电子证照登记", "hco", 11, topic="elicence.issue", result="elicence",
              article="医疗细则第五条;医疗细则第六条",
              params={"licence_type": "'聊城市高层次人才保健证'", "holder": "applicant_name", "id_number": "id_number",
                      "licence_number": "card_number", "issued_on": "issued_on", "issuer": "'聊城市保健办'"},
              doc=clean("""医疗细则第五条、第六条：市保健办制作《聊城市高层次人才保健证》。制证后平台把证照信息（证号、持证人、
              身份证号、制证日期）登记到电子证照系统（外部系统，主题 elicence.issue），返回电子证照编号（elicence），持证人
              可凭电子证照就诊（种子未规定电子证照，建模约定）。"""))

    d.flow("start", "check_eligibility")
    d.flow("check_eligibility", "eligible_gw")
    d.flow("eligible_gw", "submit_materials", "适用对象", "eligible", id="f_eligible")
    d.flow("eligible_gw", "end_ineligible", "非适用对象", id="f_not_eligible")
    d.flow("submit_materials", "county_check", exit="bottom", enter="left")
    d.flow("county_check", "county_gw")
    d.flow("county_gw", "city_review", "转报市平台", id="f_county_forward", exit="right", enter="top")
    d.flow("county_gw", "correct_materials", "退回补正", 'county_decision == "退回补正" and return_count <= max_returns',
           id="f_county_return", exit="top", enter="bottom")
    d.flow("correct_materials", "county_check", exit="left", enter="top")
    d.flow("city_review", "city_gw")
    d.flow("city_gw", "make_card", "审核通过", 'review_decision == "审核通过"', id="f_city_pass", exit="right",
           enter="top")
    d.flow("city_gw", "correct_materials", "退回补正", 'review_decision == "退回补正" and return_count <= max_returns',
           id="f_city_return", exit="top", enter="right")
    d.flow("city_gw", "refuse", "不予通过", id="f_city_refuse", exit="bottom", enter="top")
    d.flow("refuse", "end_refused")
    d.flow("make_card", "issue_card")
    d.flow("issue_card", "record_elicence")
    d.flow("record_elicence", "hand_over", exit="right", enter="bottom")
    d.flow("hand_over", "arrange_checkup", exit="right", enter="top")
    d.flow("arrange_checkup", "end_issued")
    d.flow("city_review_deadline", "supervise_city_review")
    d.flow("supervise_city_review", "end_city_review_supervised")
    d.flow("make_card_deadline", "supervise_make_card")
    d.flow("supervise_make_card", "end_make_card_supervised")

    d.files["start.json"] = form("申请高层次人才保健证", {
        "applicant_name": text("人才姓名", 50),
        "talent_category": {"type": "string", "title": "人才认定类别（《聊城市引进人才认定工作实施细则（试行）》）",
                            "enum": CATEGORIES},
        "gold_card_number": {"type": "string", "title": "服务金卡卡号（持卡人填写）", "maxLength": 32, "default": ""},
        "county": text("所在县市区（向该县市区“一站式”综合服务平台申请）", 20),
        "employer": {"type": "string", "title": "用人单位", "maxLength": 100, "default": ""},
    }, ["applicant_name", "talent_category", "county"], description="医疗细则第二条、第五条；金卡办法第六条第二项。")
    d.files["hand_over.json"] = form("发放保健证", {
        "received_by": choice("领取人", "持证人本人", "用人单位"),
        "receiver_name": text("领取人姓名（用人单位领取的写经办人）", 50),
        "received_on": {**DATE, "title": "领取日期"},
        "services_explained": {"type": "boolean", "title": "已告知专门窗口、诊疗绿色通道和免费健康体检", "const": True},
    }, ["received_by", "receiver_name", "received_on", "services_explained"])
    d.files["checkup.json"] = form("安排免费健康体检", {
        "checkup_hospital": {"type": "string", "title": "体检定点医院", "enum": HOSPITALS},
        "checkup_date": {**DATE, "title": "体检日期"},
        "funding_confirmed": {"type": "boolean", "title": "体检费用由聊城市人才发展专项资金保障", "const": True},
    }, ["checkup_hospital", "checkup_date", "funding_confirmed"])
    d.files["supervise.json"] = form(**SUPERVISE)
    d.instruct({
        "county_check": "请核验{{ applicant_name }}（{{ talent_category }}）的四项申请材料是否齐全（持服务金卡的核验卡号{{ gold_card_number }}）：齐全的转报市平台；不全的勾选所缺材料并退回补正。",
        "city_review": "请在5个工作日内完成{{ applicant_name }}保健证申请的受理审核（{{ eligibility_basis }}）；退回补正期间不计时。",
        "make_card": "请在10个工作日内为{{ applicant_name }}制作《聊城市高层次人才保健证》，登记证号和制证日期。",
        "hand_over": "请将保健证{{ card_number }}交给{{ applicant_name }}本人或其用人单位（{{ employer }}），告知六家定点医疗机构的专门窗口、诊疗绿色通道和免费健康体检。",
        "arrange_checkup": "请为保健证持证人{{ applicant_name }}安排免费健康体检（费用由聊城市人才发展专项资金保障）。",
        "supervise_city_review": "{{ applicant_name }}的保健证申请，市平台受理审核已超过5个工作日，请督办。",
        "supervise_make_card": "{{ applicant_name }}的保健证，市保健办制证已超过10个工作日，请督办。",
        "end_ineligible": "不予受理：{{ refusal_reason }}",
        "end_refused": "{{ outcome }}：{{ refusal_reason }}",
        "end_issued": "《聊城市高层次人才保健证》{{ card_number }} 已发放（{{ received_by }}领取）。可在{{ designated_hospitals }}的高层次人才诊疗服务专门窗口就诊（诊疗绿色通道）；免费健康体检已安排：{{ checkup_hospital }}，{{ checkup_date }}。",
    })
    # What the applicant is told (engine/notify/): the missing materials, a refusal with its reason, the card ready.
    d.notify("correct_materials", "supplement_requested")
    d.notify("end_ineligible", "decision")
    d.notify("end_refused", "decision")
    d.notify("hand_over", "card_ready", message="您的《聊城市高层次人才保健证》{{ card_number }}已制作完成，请本人或用人单位"
             "到市“一站式”服务平台领取（医疗细则第五条、第六条）。")
    return d


# ------------------------------------------------------------------------------------------------- 人才服务金卡

LEVELS = ["顶尖人才", "高端人才", "急需紧缺人才", "高技能人才"]
CARD_SERVICES = [
    "优先推荐参加市县两级有关部门举办的人才交流、科技论坛、学术报告、知识讲座等活动，择优推荐参加省级以上各类人才、"
    "科技、创新类培训班（金卡办法第六条第一项）",
    "可在定点医疗机构建立专门健康档案，并办理专用医疗保健证；每年免费享有一次健康体检（金卡办法第六条第二项）",
    "免费参加市级以上专家考察休假活动，纳入我市党委联系专家人选范围（金卡办法第六条第三项）",
    "市内汽车站优先购票，享受贵宾室候车；机动车注册登记、驾照申领年审、车辆年检优先办理（金卡办法第六条第四项）",
    "免费领取聊城市图书馆借书证，免费使用奥森体育公园等公共体育服务场所，免费领取“水城通卡”，免费进入市内3A级景区"
    "（金卡办法第六条第五项）",
]
MAX_CARD_YEARS = 50  # the yearly loop's bound (task-tree depth), documented in the diagram
# 30 days before the anniversary, 09:00 Beijing time: the reminder of the yearly re-registration (金卡办法第七条). The
# restricted engine has no date arithmetic, so the day is counted back through the months (at most two of them).
REMINDER = """reminder_year = issue_year + registration_year
reminder_month = int(anniversary[:2])
reminder_day = int(anniversary[3:5]) - 30
while reminder_day < 1:
    reminder_month = reminder_month - 1
    if reminder_month < 1:
        reminder_month = 12
        reminder_year = reminder_year - 1
    leap = reminder_year % 4 == 0 and (reminder_year % 100 != 0 or reminder_year % 400 == 0)
    reminder_day = reminder_day + [31, 29 if leap else 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][reminder_month - 1]
reminder_at = f"{reminder_year}-{reminder_month:02d}-{reminder_day:02d}T09:00:00+08:00"
"""


def intake_forms(d: Diagram, subject: str, extra: dict[str, object] | None = None) -> None:
    """The start, window intake and correction forms shared by the gold card and the subsidy."""
    d.files["start.json"] = form(f"申请{subject}", {
        "applicant_name": text("申请人姓名", 50),
        "county": text("所在县市区", 20),
        "one_stop": ONE_STOP_FIELD,
        "intake_at": {**choice("受理窗口", "市“一站式”服务平台", "县级“一站式”综合服务平台"),
                      "default": "市“一站式”服务平台"},
    }, ["applicant_name", "county"], description="一站式服务平台管理办法第五条：一窗接件；可在所在县市区的县级“一站式”"
       "综合服务平台提交，由其转报市平台。")
    d.files["county_intake.json"] = form("县级平台受理转报", {
        "county_opinion": text("核验意见", 500),
        "forwarded_on": {**DATE, "title": "转报日期"},
    }, ["county_opinion", "forwarded_on"])
    d.files["supplement.json"] = form("补正申请材料", {
        "supplement_note": text("补正说明（已补交的材料）", 500),
    }, ["supplement_note"])


def gold_card() -> Diagram:
    d = Diagram("gold_card", "人才服务金卡", participant="聊城市人才服务金卡", source=SOURCE,
                articles="金卡办法第三条;金卡办法第六条;金卡办法第七条;平台办法第五条",
                doc=clean(f"""依据《聊城市人才服务金卡管理办法（试行）》第三条（服务金卡是在我市工作或生活的高层次高技能人才享受
                便捷、优质服务的凭证）、第六条（持卡人享有的五项服务）、第七条（动态管理：每年重新登记备案；达到更高层次人才认定
                条件的可重新申请认定）。申请人在所在县市区的县级“一站式”综合服务平台或市“一站式”服务平台提交（一站式服务平台
                管理办法第五条：一窗接件），市人社局审核制发（种子未规定发卡部门；一站式服务平台管理办法第四条第二项：市人社局
                负责“一站式”综合服务平台日常运行和人才认定），市平台发卡并告知持卡服务。金卡没有有效期（种子未规定）：持卡人每年
                周年日重新登记备案，每个登记年度由市卫生计生委安排一次免费健康体检（第六条第二项；一站式服务平台管理办法第四条
                第八项）；持卡人可凭卡另行申请专用医疗保健证（health_card 流程）。逾期未登记的金卡失效（本地规则：第七条未规定
                登记期限和后果，登记期限为周年日起一个月）；已不在我市工作或生活的注销（第三条）。平台限制：一个金卡案件最多跟踪
                {MAX_CARD_YEARS}个登记年度（任务树深度），届满后办结，持卡人重新申领即可继续。启动数据：applicant_name、county、
                intake_at。"""),
                lanes=[("applicant", APPLICANT, 2), ("county", COUNTY, 1), ("city", CITY, 2), ("hrss", HRSS, 2),
                       ("health", HEALTH, 1)])
    one_stop_messages(d, "gold_card")
    d.message_start("from_one_stop", "一站式平台转来", "applicant", 0, 1, message="Message_gold_card_apply",
                    article="平台办法第五条", doc=clean("""一站式服务平台管理办法第五条：一窗接件。人才在一站式平台一窗受理时
                    申请了服务金卡：一窗受理案件发来消息 onestop_gold_card_apply（申请人、身份证号、联系电话、用人单位、
                    所在县市区和一站式受理编号），本案由此开始，转市平台受理；审核结论报告一窗受理案件后，本案继续发卡和
                    年度登记备案。"""))
    d.start("start", "申领人才服务金卡", "applicant", 0, form="start.json", article="平台办法第五条;金卡办法第三条",
            doc="一站式服务平台管理办法第五条：一窗接件。申请人选择在所在县市区的县级“一站式”综合服务平台或市“一站式”"
                "服务平台提交申请（种子未规定金卡的受理窗口，按一站式平台的两级受理建模）。")
    d.script("prepare", "受理准备", "applicant", 1, article="平台办法第五条", doc="初始化退回补正计数（本地规则：最多退回3次）"
             "和登记年度上限（平台限制）；一站式平台转来的保留一站式受理编号。", script=f"return_count = 0\nmax_returns = 3\n"
             f"max_registration_years = {MAX_CARD_YEARS}\ncard_status = \"申请中\"\n"
             f"intake_reference = intake_reference if one_stop else \"\"")
    d.gateway("via_gw", "受理窗口", "applicant", 2, default="f_via_city", article="平台办法第五条", label="nw",
              doc="在县级平台提交的先由县级平台受理转报；在市平台提交的直接由市平台受理。")
    d.user("county_intake", "县级平台受理转报", "county", 3, form="county_intake.json", article="平台办法第五条",
           doc="一站式服务平台管理办法第五条：一窗接件。县级“一站式”综合服务平台接收申请材料，核验后转报市“一站式”服务"
               "平台（补正由市平台统一告知）。任务派给案件所在县市区的平台。种子未规定时限。")
    d.user("city_intake", "市平台受理", "city", 4, form="intake.json", article="平台办法第五条;金卡办法第三条",
           doc="一站式服务平台管理办法第五条：一窗接件、专员办理。市平台核验身份、人才认定证明和在聊工作或生活的证明（金卡"
               "办法第三条），受理、退回补正（一次性告知所缺材料）或不予受理（须写明理由）。种子未规定时限。",
           post='return_count = return_count + (1 if intake_decision == "退回补正" else 0)')
    d.gateway("intake_gw", "受理结论", "city", 5, default="f_intake_accept", article="平台办法第五条", label="sw",
              doc="受理的转市人社局审核；退回补正的由申请人补正（本地规则：最多3次）；不予受理或超过3次的办结。")
    d.user("supplement", "补正申请材料", "applicant", 5, 1, form="supplement.json", article="平台办法第五条",
           doc="申请人按市平台一次性告知的清单补正后重新提交，回到原受理窗口（种子未规定补正程序，按窗口通常做法建模）。")
    report(d, "gold_card", "report_not_accepted", "报告不予受理", "city", 5, 1, outcome='"不予受理"',
           detail='intake_reason if intake_decision == "不予受理" else f"申请材料经{max_returns}次退回补正仍不齐全"',
           article="平台办法第五条")
    d.end("end_not_accepted", "不予受理", "city", 5.5, 1, article="金卡办法第三条",
          doc="金卡办法第三条：不属于在我市工作或生活的高层次高技能人才，或补正3次仍不齐全的，不予受理，理由在受理意见中。")
    d.user("review", "资格审核", "hrss", 6, form="review.json", article="金卡办法第三条;平台办法第四条（二）",
           doc="金卡办法第三条：发卡对象为在我市工作或生活的高层次高技能人才；一站式服务平台管理办法第四条第二项：市人社局"
               "负责人才认定。审核人才层次（顶尖人才、高端人才、急需紧缺人才、高技能人才）和在聊工作或生活情况，决定发卡或"
               "不予发放（写明理由）。金卡不设有效期（种子未规定）。")
    d.gateway("review_gw", "是否发放金卡", "hrss", 7, default="f_review_refused", article="金卡办法第三条", label="nw",
              doc="金卡办法第三条：符合的发放，不符合的不予发放并说明理由。")
    d.end("end_refused", "不予发放", "hrss", 7, 1, article="金卡办法第三条", label="right",
          doc="金卡办法第三条：不符合发卡条件，理由见审核意见。")
    d.script("issue", "登记发卡", "hrss", 8, article="金卡办法第六条;金卡办法第六条（一）;金卡办法第六条（二）;"
             "金卡办法第六条（三）;金卡办法第六条（四）;金卡办法第六条（五）;金卡办法第七条", doc=clean("""金卡办法第六条：持卡人
             享有第一至五项服务，列入 card_services；第七条：动态管理，每年周年日重新登记备案（2月29日发卡的按2月28日计）。
             金卡没有有效期，登记年度从1开始。"""), script=f"""
issued_on = now()[:10]
issue_year = int(issued_on[:4])
anniversary = issued_on[5:10]
if anniversary == "02-29":
    anniversary = "02-28"
card_status = "有效"
card_services = {CARD_SERVICES!r}
registrations = []
checkups = []
level_history = [{{"level": card_level, "since": issued_on}}]
registration_year = 1
next_registration_at = f"{{issue_year + registration_year}}-{{anniversary}}T00:00:00+08:00"
{REMINDER}""")
    d.user("hand_card", "发放金卡", "city", 9, form="hand_card.json",
           article="金卡办法第六条;金卡办法第六条（一）;金卡办法第六条（三）;金卡办法第六条（四）;金卡办法第六条（五）;平台办法第五条",
           doc="一站式服务平台管理办法第五条：集中反馈、统一建档。市平台把金卡交给持卡人，告知第六条的五项服务（可凭卡申请"
               "专用医疗保健证、每年一次免费健康体检）和第七条每年重新登记备案的要求，记录领取日期和建档编号。")
    d.user("checkup", "安排年度免费健康体检", "health", 10, form="checkup.json",
           article="金卡办法第六条（二）;平台办法第四条（八）",
           doc="金卡办法第六条第二项：持卡人每年免费享有一次健康体检；一站式服务平台管理办法第四条第八项：市卫生计生委"
               "负责协调落实高层次人才医疗保健服务工作。每个登记年度安排一次，记录定点医疗机构和体检日期。",
           post='checkups = checkups + [{"year": registration_year, "hospital": checkup_hospital, "date": checkup_date}]')
    d.catch_timer("remind", "登记提醒", "applicant", 10, expr="reminder_at", article="金卡办法第七条", label="above",
                  doc="金卡办法第七条：每年需要重新登记备案。周年日前30天（上午9时）提醒持卡人按时登记（本地规则：种子未规定"
                      "提醒，提前30天告知，避免逾期失效）。")
    d.catch_timer("anniversary", "登记周年日", "applicant", 11, expr="next_registration_at", article="金卡办法第七条",
                  label="above",
                  doc="金卡办法第七条：每年需要重新登记备案：每满一年（周年日零时，东八区）开启一次登记。")
    d.user("reregister", "年度重新登记备案", "applicant", 12, form="reregister.json", article="金卡办法第七条;金卡办法第三条",
           doc="金卡办法第七条：服务金卡实行动态管理，每年需要重新登记备案；达到更高层次人才认定条件的，可重新申请认定。"
               "金卡办法第三条：持卡人申报在聊工作或生活情况。")
    d.boundary_timer("register_deadline", "登记期限届满", "reregister", expr="'P1M'", kind="timeDuration",
                     interrupting=True, article="金卡办法第七条", offset=0.75,
                     doc="金卡办法第七条：动态管理。种子未规定登记期限和逾期后果，本地规则：周年日起一个月内未登记的，金卡失效"
                         "（中断型定时器，取消登记任务）。")
    d.script("lapse", "金卡失效", "applicant", 13.6, 1, article="金卡办法第七条",
             script='card_status = "失效"\nlapsed_on = now()[:10]\nlapse_reason = f"第{registration_year}个登记年度'
                    '未在期限内重新登记备案"',
             doc="金卡办法第七条：未按期重新登记备案的，金卡失效，停止享受第六条服务（本地规则）。")
    d.end("end_lapsed", "金卡失效", "applicant", 14.6, 1, article="金卡办法第七条",
          doc="金卡办法第七条：未按期重新登记备案，金卡失效，办结；持卡人可重新申领。")
    d.script("record", "登记备案", "hrss", 13, article="金卡办法第七条", doc="金卡办法第七条：市人社局登记备案，记入 "
             "registrations（登记年度、日期、在聊情况、当时层次）；同一年度不重复登记。", script="""
registered_years = [entry["year"] for entry in registrations]
if registration_year not in registered_years:
    registrations = registrations + [{"year": registration_year, "registered_on": now()[:10], "work_status": work_status, "level": card_level}]
del registered_years
""")
    d.gateway("after_gw", "登记结果", "hrss", 14, default="f_after_next", article="金卡办法第七条;金卡办法第三条",
              label="nw", doc="金卡办法第三条：已不在我市工作或生活的，注销金卡；第七条：申请更高层次认定的，转重新认定；"
                              "其余进入下一登记年度。")
    d.user("recert", "更高层次人才重新认定", "hrss", 15, form="recert.json", article="金卡办法第七条;平台办法第四条（二）",
           doc="金卡办法第七条：达到更高层次人才认定条件的，可重新申请认定；一站式服务平台管理办法第四条第二项：市人社局负责"
               "人才认定。予以认定的，金卡层次随之变更（卡号不变）。",
           post='if recert_decision == "予以认定":\n    card_level = certified_level\n    level_history = level_history + '
                '[{"level": certified_level, "since": now()[:10]}]')
    d.script("cancel", "注销金卡", "hrss", 14, 1, article="金卡办法第三条", script='card_status = "注销"\ncancelled_on = now()[:10]',
             doc="金卡办法第三条：金卡是在我市工作或生活的人才的服务凭证；持卡人登记时已不在我市工作或生活的，注销。")
    d.end("end_cancelled", "金卡注销", "hrss", 15, 1, article="金卡办法第三条",
          doc="金卡办法第三条：持卡人离开聊城，金卡注销，办结。")
    d.script("next_year", "进入下一登记年度", "hrss", 16, article="金卡办法第七条", doc="金卡办法第七条：本年度登记完成，"
             "登记年度加一，推算下一周年日和提前30天的提醒日。", script='registration_year = len(registrations) + 1\n'
             'next_registration_at = f"{issue_year + registration_year}-{anniversary}T00:00:00+08:00"\n' + REMINDER)
    d.gateway("years_gw", "是否在跟踪年限内", "hrss", 17, default="f_years_more", article="金卡办法第七条", label="nw",
              doc=f"平台限制：一个金卡案件最多跟踪{MAX_CARD_YEARS}个登记年度；未届满的回到下一年度的健康体检和登记。")
    d.end("end_years", "跟踪年限届满", "hrss", 18, article="金卡办法第七条",
          doc=f"平台限制：已跟踪{MAX_CARD_YEARS}个登记年度，案件办结；金卡仍有效，持卡人重新申领后继续登记备案。")
    d.shift(7, 1)  # room for the review's report to the one-stop intake
    report(d, "gold_card", "report_review", "报告审核结论", "hrss", 7, outcome="review_decision",
           detail='f"服务金卡{card_no}（{card_level}）" if review_decision == "发放金卡" else review_comment',
           article="平台办法第五条", label="above")

    d.flow("start", "prepare")
    d.flow("prepare", "via_gw")
    d.flow("via_gw", "county_intake", "县级平台", 'intake_at == "县级“一站式”综合服务平台"', id="f_via_county")
    d.flow("via_gw", "city_intake", "市平台", id="f_via_city", exit="right", enter="top",
           waypoints=None)
    d.flow("county_intake", "city_intake")
    d.flow("city_intake", "intake_gw")
    d.flow("intake_gw", "review", "受理", id="f_intake_accept", exit="right", enter="top")
    d.flow("intake_gw", "supplement", "退回补正", 'intake_decision == "退回补正" and return_count <= max_returns',
           id="f_intake_return", exit="top", enter="bottom")
    d.flow("intake_gw", "report_not_accepted", "不予受理", 'intake_decision != "受理"', id="f_intake_refused",
           exit="bottom", enter="top")
    d.flow("report_not_accepted", "end_not_accepted")
    d.flow("supplement", "via_gw", exit="top", enter="top")
    d.flow("from_one_stop", "prepare", exit="right", enter="bottom")
    d.flow("review", "report_review")
    d.flow("report_review", "review_gw")
    d.flow("review_gw", "issue", "发放金卡", 'review_decision == "发放金卡"', id="f_review_issue")
    d.flow("review_gw", "end_refused", "不予发放", id="f_review_refused")
    d.flow("issue", "hand_card", exit="right", enter="bottom")
    d.flow("hand_card", "checkup", exit="right", enter="top")
    d.flow("checkup", "remind", exit="top", enter="bottom")
    d.flow("remind", "anniversary")
    d.flow("anniversary", "reregister")
    d.flow("reregister", "record", exit="bottom", enter="left")
    d.flow("register_deadline", "lapse")
    d.flow("lapse", "end_lapsed")
    d.flow("record", "after_gw")
    d.flow("after_gw", "cancel", "已离开聊城", 'work_status == "已不在聊城工作或生活"', id="f_after_left")
    d.flow("after_gw", "recert", "申请重新认定", 'work_status != "已不在聊城工作或生活" and request_upgrade',
           id="f_after_upgrade")
    d.flow("after_gw", "next_year", "登记完成", id="f_after_next", exit="top", enter="top")
    d.flow("recert", "next_year")
    d.flow("cancel", "end_cancelled")
    d.flow("next_year", "years_gw")
    d.flow("years_gw", "end_years", "届满", "registration_year > max_registration_years", id="f_years_done")
    d.flow("years_gw", "checkup", "下一年度", id="f_years_more", exit="bottom", enter="bottom")

    intake_forms(d, "人才服务金卡")
    d.files["intake.json"] = form("市平台受理", {
        "applicant_name": text("申请人姓名", 50), "id_number": {**ID_NUMBER}, "phone": {**PHONE},
        "employer": text("工作单位", 100),
        "talent_level": choice("认定的人才层次", *LEVELS),
        "certificate_no": text("人才认定证书编号", 40),
        "residence": choice("在聊情况（金卡办法第三条）", "在聊城工作", "在聊城生活"),
        "intake_decision": choice("受理结论", "受理", "退回补正", "不予受理"),
        "missing_materials": text("需补正的材料（一次性告知）", 500),
        "intake_reason": text("不予受理的理由", 500),
    }, ["intake_decision"], rules=[
        when("intake_decision", "受理", "applicant_name", "id_number", "phone", "employer", "talent_level",
             "certificate_no", "residence"),
        when("intake_decision", "退回补正", "missing_materials"), when("intake_decision", "不予受理", "intake_reason")])
    d.files["review.json"] = form("资格审核", {
        "review_decision": choice("审核结论", "发放金卡", "不予发放"),
        "card_no": {"type": "string", "title": "金卡编号（LCJK+年份+6位序号）", "pattern": "^LCJK20\\d{2}\\d{6}$"},
        "card_level": choice("金卡人才层次", *LEVELS),
        "review_comment": text("审核意见或不予发放的理由", 500),
    }, ["review_decision"], rules=[when("review_decision", "发放金卡", "card_no", "card_level"),
                                   when("review_decision", "不予发放", "review_comment")])
    d.files["hand_card.json"] = form("发放金卡", {
        "handed_on": {**DATE, "title": "领取日期"},
        "services_explained": {"type": "boolean", "title": "已告知金卡办法第六条五项服务和第七条年度登记要求",
                               "const": True},
        "archive_number": text("建档编号", 40),
    }, ["handed_on", "services_explained", "archive_number"])
    d.files["checkup.json"] = form("安排年度免费健康体检", {
        "checkup_hospital": {"type": "string", "title": "体检定点医疗机构", "enum": HOSPITALS},
        "checkup_date": {**DATE, "title": "体检日期"},
        "health_record": {"type": "boolean", "title": "已在定点医疗机构建立（更新）专门健康档案（金卡办法第六条第二项）",
                          "const": True},
    }, ["checkup_hospital", "checkup_date", "health_record"])
    d.files["reregister.json"] = form("年度重新登记备案", {
        "work_status": choice("在聊情况", "在聊城工作", "在聊城生活", "已不在聊城工作或生活"),
        "employer": {"type": "string", "title": "现工作单位", "maxLength": 100},
        "phone": {**PHONE},
        "request_upgrade": {"type": "boolean", "title": "已达到更高层次人才认定条件，申请重新认定", "default": False},
        "requested_level": choice("申请认定的人才层次", *LEVELS),
        "upgrade_basis": text("重新认定依据（荣誉、职称、项目等）", 500),
    }, ["work_status", "phone", "request_upgrade"], rules=[
        {"if": {"properties": {"request_upgrade": {"const": True}}, "required": ["request_upgrade"]},
         "then": {"required": ["requested_level", "upgrade_basis"]}}])
    d.files["recert.json"] = form("更高层次人才重新认定", {
        "recert_decision": choice("认定结论", "予以认定", "不予认定"),
        "certified_level": choice("重新认定的人才层次", *LEVELS),
        "recert_comment": text("认定意见或不予认定的理由", 500),
    }, ["recert_decision", "recert_comment"], rules=[when("recert_decision", "予以认定", "certified_level")])
    d.instruct({
        "county_intake": "请接收{{ applicant_name }}的服务金卡申请材料，核验后转报市“一站式”服务平台。",
        "city_intake": "请核验{{ applicant_name }}的身份、人才认定证明和在聊工作或生活的证明；材料不全的一次性告知所缺材料。",
        "supplement": "请按市平台一次性告知的清单补正后重新提交：{{ missing_materials }}",
        "review": "请审核{{ applicant_name }}（{{ talent_level }}）是否为在我市工作或生活的高层次高技能人才（金卡办法第三条），发卡的登记卡号和层次。",
        "hand_card": "请将服务金卡{{ card_no }}交给{{ applicant_name }}，告知金卡办法第六条的五项服务和每年重新登记备案的要求。",
        "checkup": "请为金卡持卡人{{ applicant_name }}安排第{{ registration_year }}个登记年度的免费健康体检。",
        "reregister": "服务金卡{{ card_no }}第{{ registration_year }}个登记年度的重新登记备案，请在周年日起一个月内完成。",
        "recert": "持卡人{{ applicant_name }}申请重新认定为{{ requested_level }}：{{ upgrade_basis }}",
        "end_not_accepted": "不予受理：{{ intake_reason }}",
        "end_refused": "不予发放：{{ review_comment }}",
        "end_lapsed": "服务金卡已失效：{{ lapse_reason }}。",
        "end_cancelled": "服务金卡已注销（持卡人已不在聊城工作或生活）。",
        "end_years": "金卡案件已跟踪{{ max_registration_years }}个登记年度，金卡仍有效，请重新申领以继续登记备案。",
    })
    d.notify("intake_gw", "case_accepted", condition='intake_decision == "受理"',
             message="市平台已受理您的服务金卡申请，转市人社局审核（金卡办法第三条）。")
    d.notify("supplement", "supplement_requested")
    for end in ("end_not_accepted", "end_refused", "end_lapsed", "end_cancelled"):
        d.notify(end, "decision")
    d.notify("hand_card", "card_ready", message="您的人才服务金卡{{ card_no }}已制发，请到市“一站式”服务平台领取，并了解持卡"
             "服务和每年重新登记备案的要求（金卡办法第六条、第七条）。")
    d.notify("remind", "reregistration_due", message="您的人才服务金卡{{ card_no }}第{{ registration_year }}个登记年度的"
             "重新登记备案将于{{ next_registration_at[:10] }}开始，请在周年日起一个月内登录平台办理，逾期金卡失效"
             "（金卡办法第七条）。")
    return d


# ---------------------------------------------------------------------------------------------- 生活和租房补贴

SUBSIDY_CATEGORIES = ["顶尖人才", "高端人才", "企业全职引进人才", "高技能人才", "自主创业人才"]
QUALIFICATIONS = ["正高级专业技术职称", "博士研究生", "硕士研究生", "本科", "市级首席技师", "省级首席技师",
                  "国家级首席技师", "世界技能大赛奖牌获得者"]
MAX_SUBSIDY_MONTHS = 36


def subsidy() -> Diagram:
    d = Diagram("subsidy", "引进人才生活和租房补贴", participant="聊城市引进人才生活和租房补贴", source=SOURCE,
                articles="补贴细则第二条;补贴细则第三条（一）1;补贴细则第三条（一）2;补贴细则第三条（一）3;"
                         "补贴细则第三条（一）4;补贴细则第三条（一）5;补贴细则第三条（二）;补贴细则第三条（三）;"
                         "平台办法第四条（二）;平台办法第四条（四）;平台办法第五条",
                doc=clean("""依据《聊城市引进人才生活和租房补贴实施细则（试行）》第二条（补贴对象：按认定细则认定的各类引进人才）、
                第三条（生活补贴标准、租房补贴标准、补贴期限最长3年），和一站式服务平台管理办法第四条第二项（市人社局负责人才认定、
                人才生活租房补贴发放、人才公寓管理）、第四条第四项（市财政局按照财政资金管理规定拨付资金）、第五条（一窗接件）。
                申请在县级或市“一站式”平台提交；市人社局审查资格、核定标准、审批月数；市财政局拨付补贴资金；市人社局按月发放
                并决定停发。需要租赁型人才公寓的转市人社局人才公寓配租（参照《聊城市引进人才住房支持实施细则（试行）》，种子未
                收录其内容），不发租房补贴。补贴期限最长3年按人计算：同一人此前已享受的月数（资格审查时按平台记录核定）从36个月
                中扣除。每月1日9:00为当月发放日（种子未规定发放日，建模约定）。启动数据：applicant_name、county、intake_at。"""),
                lanes=[("applicant", APPLICANT, 2), ("county", COUNTY, 1), ("city", CITY, 2), ("hrss", HRSS, 2),
                       ("finance", FINANCE, 1)])
    one_stop_messages(d, "subsidy")
    d.start("start", "提交补贴申请", "applicant", 0, form="start.json", article="补贴细则第二条;平台办法第五条",
            doc="补贴细则第二条：补贴对象为认定的各类引进人才；一站式服务平台管理办法第五条：一窗接件。人才本人或用人单位代为"
                "在县级或市“一站式”平台提交申请（种子未规定补贴的受理窗口，按一站式平台的两级受理建模）。")
    d.message_start("from_one_stop", "一站式平台转来", "applicant", 0, 1, message="Message_subsidy_apply",
                    article="平台办法第五条", doc=clean("""一站式服务平台管理办法第五条：一窗接件。人才在一站式平台一窗受理时
                    申请了补贴：一窗受理案件发来消息 onestop_subsidy_apply（申请人、身份证号、联系电话、用人单位、所在
                    县市区和一站式受理编号），本案由此开始，转市平台受理；受理结论报告一窗受理案件后，本案按月发放直至期满。"""))
    d.script("prepare", "受理准备", "applicant", 1, article="平台办法第五条", doc="初始化退回补正计数（本地规则：最多退回3次）；"
             "一站式平台转来的保留一站式受理编号。",
             script='return_count = 0\nmax_returns = 3\nintake_reference = intake_reference if one_stop else ""')
    d.gateway("via_gw", "受理窗口", "applicant", 2, default="f_via_city", article="平台办法第五条", label="nw",
              doc="在县级平台提交的先由县级平台受理转报；在市平台提交的直接由市平台受理。")
    d.user("county_intake", "县级平台受理转报", "county", 3, form="county_intake.json", article="平台办法第五条",
           doc="一站式服务平台管理办法第五条：一窗接件。县级“一站式”综合服务平台接收申请材料并转报市“一站式”服务平台"
               "（补正由市平台统一告知）。任务派给案件所在县市区的平台。种子未规定时限。")
    d.user("city_intake", "市平台受理", "city", 4, form="intake.json", article="平台办法第五条;补贴细则第三条（一）3",
           doc="一站式服务平台管理办法第五条：一窗接件。市平台核验身份、人才认定证明、劳动合同、社保缴纳记录和学历职称或"
               "首席技师、奖牌证书，登记补贴类别和第三条各项的条件，以及是否需要租赁型人才公寓；受理、退回补正或不予受理。",
           post='return_count = return_count + (1 if intake_decision == "退回补正" else 0)')
    d.gateway("intake_gw", "受理结论", "city", 5, default="f_intake_accept", article="平台办法第五条", label="sw",
              doc="受理的转市人社局资格审查；退回补正的由申请人补正（本地规则：最多3次）；不予受理或超过3次的办结。")
    d.user("supplement", "补正申请材料", "applicant", 5, 1, form="supplement.json", article="平台办法第五条",
           doc="申请人按市平台一次性告知的清单补正后重新提交，回到原受理窗口（种子未规定补正程序）。")
    report(d, "subsidy", "report_not_accepted", "报告不予受理", "city", 5, 1, outcome='"不予受理"',
           detail='intake_reason if intake_decision == "不予受理" else f"申请材料经{max_returns}次退回补正仍不齐全"',
           article="平台办法第五条")
    d.end("end_not_accepted", "不予受理", "city", 5.5, 1, article="补贴细则第二条",
          doc="不予受理（理由见受理意见），或补正3次仍不齐全。")
    d.user("eligibility", "资格审查", "hrss", 6, form="eligibility.json",
           article="补贴细则第二条;补贴细则第三条（一）4;补贴细则第三条（三）;平台办法第四条（二）",
           doc=clean("""补贴细则第二条：补贴对象为经认定的各类引进人才；一站式服务平台管理办法第四条第二项：市人社局负责人才认定和
           人才生活租房补贴发放。第三条第（一）项第4目“经评审认定后”的首席技师、世界技能大赛奖牌获得者亦在此评审认定。
           第三条第（三）项：补贴期限最长3年——按人计算：核查平台记录，登记此人此前已享受的补贴月数，可享受的剩余月数为
           36减去已享受月数。"""),
           post=f"remaining_months = max({MAX_SUBSIDY_MONTHS} - prior_subsidy_months, 0)")
    d.gateway("eligible_gw", "是否属于补贴对象", "hrss", 7, default="f_eligible", article="补贴细则第二条;补贴细则第三条（三）",
              label="nw", doc="补贴细则第二条：不属于补贴对象的不予补贴；第三条第（三）项：已享受满3年的不再补贴。")
    report(d, "subsidy", "report_ineligible", "报告不予补贴", "hrss", 7, 1, outcome='"不予补贴"',
           detail="eligibility_comment", article="平台办法第五条")
    d.end("end_ineligible", "不予补贴", "hrss", 8, 1, article="补贴细则第二条;补贴细则第三条（三）",
          doc="补贴细则第二条：非经认定的引进人才；或第三条第（三）项：此前已享受满36个月。理由见资格审查意见。")
    d.gateway("high_end_gw", "是否高端人才", "hrss", 8, default="f_not_high_end", article="补贴细则第三条（一）2",
              label="nw", doc="补贴细则第三条第（一）项第2目：高端人才的生活补贴在5000-10000元之间，需评审确定。")
    d.user("high_end_review", "高端人才补贴评审", "hrss", 9, 1, form="high_end_review.json",
           article="补贴细则第三条（一）2",
           doc="补贴细则第三条第（一）项第2目：高端人才每月给予5000-10000元生活补贴。具体金额由市人社局评审确定（表单限定"
               "5000-10000元）；评审方式种子未作规定。")
    d.gateway("high_end_join", "汇合", "hrss", 10, article="补贴细则第三条（一）2", label="nw",
              doc="汇合高端人才评审与其他类别两条路径。")
    d.rule("living", "确定生活补贴标准", "hrss", 11, decision="living_subsidy",
           article="补贴细则第三条（一）1;补贴细则第三条（一）2;补贴细则第三条（一）3;补贴细则第三条（一）4;补贴细则第三条（一）5",
           doc="补贴细则第三条第（一）项，决策表 living_subsidy.dmn：顶尖人才20000；高端人才5000-10000（评审）；企业全职引进、"
               "3年以上劳动合同、本地社保的正高级1500/博士1000/硕士800；市级/省级/国家级首席技师800/1000/1200、世界技能"
               "大赛奖牌获得者1500；全日制博士/硕士/本科自主创业且本地社保3000/1500/1000。")
    d.rule("rent", "确定租房补贴标准", "hrss", 12, decision="rent_subsidy", article="补贴细则第三条（二）",
           doc="补贴细则第三条第（二）项，决策表 rent_subsidy.dmn：需要租赁型人才公寓的参照住房支持实施细则执行，不发租房"
               "补贴；不需要的，顶尖人才3000、高端人才2000、急需紧缺专业技术人才及省级首席技师（含）以上高技能人才1000。")
    d.gateway("apartment_gw", "是否需要人才公寓", "hrss", 13, default="f_no_apartment", article="补贴细则第三条（二）",
              label="nw", doc="补贴细则第三条第（二）项：需要提供租赁型人才公寓的，参照《聊城市引进人才住房支持实施细则（试行）》"
                              "执行：转人才公寓配租。")
    d.user("apartment", "人才公寓配租转办", "hrss", 13.8, 1, form="apartment.json",
           article="补贴细则第三条（二）;平台办法第四条（二）",
           doc="补贴细则第三条第（二）项：需要提供租赁型人才公寓的，参照《聊城市引进人才住房支持实施细则（试行）》执行；"
               "一站式服务平台管理办法第四条第二项：市人社局负责人才公寓管理。登记配租转办的编号和办理意见，申请人得到明确"
               "去向，不以“不符合补贴标准”结案。住房支持细则的配租条件种子未收录，由市人社局按该细则办理。")
    d.gateway("amount_gw", "有无可发放补贴", "hrss", 15, default="f_amount_none",
              article="补贴细则第三条（一）3;补贴细则第三条（二）", label="nw",
              doc="补贴细则第三条：有生活或租房补贴的转审批；没有可发放补贴的记录结果后办结（已转人才公寓配租的以配租为"
                  "结果，两者都没有的写明不符合的条件，如劳动合同不满3年、未在本地参保）。")
    d.script("no_amount", "记录办理结果", "hrss", 15, 1, article="补贴细则第三条（一）3;补贴细则第三条（二）", doc=clean("""
             补贴细则第三条：没有可发放的生活或租房补贴。需要租赁型人才公寓的，结果为已转人才公寓配租（第三条第（二）项，
             配租转办编号见 referral_number）；否则为不符合补贴标准，理由取决策表的 living_basis 和 rent_basis。"""),
             script="""
if apartment_needed:
    outcome = "已转人才公寓配租"
    refusal_reason = f"需要租赁型人才公寓，已转人才公寓配租（转办编号{referral_number}），参照《聊城市引进人才住房支持实施细则（试行）》执行；{living_basis}"
else:
    outcome = "不符合补贴标准"
    refusal_reason = f"{living_basis}；{rent_basis}"
""")
    d.end("end_no_amount", "无可发放补贴", "hrss", 16, 1, article="补贴细则第三条（一）3;补贴细则第三条（二）",
          label="right", doc="补贴细则第三条：无可发放的补贴，办结；结果和理由见 outcome、refusal_reason。")
    d.user("approval", "补贴审批", "hrss", 16, form="approval.json", article="补贴细则第三条（三）;平台办法第四条（二）",
           doc="一站式服务平台管理办法第四条第二项：市人社局负责人才生活租房补贴发放，审批核定结果；补贴细则第三条第（三）项："
               "补贴期限最长3年，审批月数不超过剩余月数（remaining_months），并确定首个发放月份。")
    d.gateway("approval_gw", "是否批准", "hrss", 17, default="f_approval_no", article="平台办法第四条（二）", label="nw",
              doc="审批不批准的，办结并告知理由。")
    d.end("end_rejected", "不予批准", "hrss", 17, 1, article="平台办法第四条（二）", label="right",
          doc="审批不予批准，理由见审批意见。")
    d.script("schedule", "制定发放计划", "hrss", 18, article="补贴细则第三条（三）", doc=clean("""补贴细则第三条第（三）项：补贴
             期限最长3年，且按人计算：发放月数取批准月数与剩余月数（36减此前已享受月数）的较小者。每月1日9:00为当月发放日
             （建模约定）。"""), script="""
approved_months = min(approved_months, remaining_months)
monthly_total = living_subsidy + rent_subsidy
start_index = int(first_month[:4]) * 12 + int(first_month[5:7]) - 1
payment_columns = ["month", "living", "rent", "paid_on"]
payments = []
payment_vouchers = []
total_paid = 0
month_due = 1
subsidy_status = "待拨付资金"
due_index = start_index + month_due - 1
next_payment_at = f"{due_index // 12}-{due_index % 12 + 1:02d}-01T09:00:00+08:00"
""")
    d.user("allocate", "拨付补贴资金", "finance", 19, form="allocate.json", article="平台办法第四条（四）",
           doc="一站式服务平台管理办法第四条第四项：市财政局负责按照财政资金管理规定拨付资金。按批准的月数和标准把补贴资金"
               "拨付给市人社局（发放由市人社局负责，第四条第二项）；记录拨付金额、日期和凭证号。",
           post='subsidy_status = "发放中"')
    d.catch_timer("timer", "发放月到达", "hrss", 20, expr="next_payment_at", article="补贴细则第三条（一）1;补贴细则第三条（二）",
                  doc="补贴细则第三条：生活补贴、租房补贴均“每月”发放。定时器按首个发放月份推算第N个月的发放日（每月1日9:00，"
                      "东八区），不随上月办理的早晚漂移。", label="sw")
    d.user("pay", "发放本月补贴", "hrss", 21, form="payment.json", article="平台办法第四条（二）;补贴细则第三条（三）",
           doc=clean("""一站式服务平台管理办法第四条第二项：市人社局负责人才生活租房补贴发放；补贴细则第三条：按月发放，期限最长
           3年。每月由市人社局发放并登记（人工确认），同时核对在岗和本地社保情况：人才离开或不再符合条件（如不再在本地参加
           社会保险，第三条第（一）项第3、5目）的，由市人社局决定停发，自当月停止。完成本任务时登记台账（postScript）：
           把本月发放记入 payments（列见 payment_columns），该月已登记的不再登记（定时器重复触发也不会重复发放），下一
           发放月由台账推算。"""), post="""
paid_months = [entry[0] for entry in payments]
if disbursement == "已发放" and month_due not in paid_months:
    payments = payments + [[month_due, living_subsidy, rent_subsidy, paid_on]]
total_paid = sum([entry[1] + entry[2] for entry in payments])
month_due = len(payments) + 1
due_index = start_index + month_due - 1
next_payment_at = f"{due_index // 12}-{due_index % 12 + 1:02d}-01T09:00:00+08:00"
if disbursement == "停发":
    subsidy_status = "已停发"
elif month_due > approved_months:
    subsidy_status = "发放期满"
del paid_months, due_index
""")
    d.gateway("continue_gw", "是否继续发放", "hrss", 22, default="f_continue", article="补贴细则第三条（三）", label="sw",
              doc="补贴细则第三条第（三）项：补贴期限最长3年，发满批准月数即止；否则等待下一发放月（市人社局决定停发的"
                  "已在本月是否发放处办结）。")
    d.end("end_stopped", "提前停发", "hrss", 22, 1, article="平台办法第四条（二）", label="right",
          doc="市人社局决定停发：人才离开或不再符合补贴条件，自当月停发（种子未规定停发情形，按补贴条件建模）。")
    d.end("end_done", "补贴发放期满", "hrss", 23, article="补贴细则第三条（三）",
          doc="补贴细则第三条第（三）项：补贴期限最长3年，批准月数发放完毕。")
    # Room for the reports to the one-stop intake and the payment instruction to the finance system.
    d.shift(16, 1)
    d.shift(18, 1)
    d.shift(24, 2)
    d.nodes["end_stopped"].col = 24
    report(d, "subsidy", "report_no_amount", "报告无可发放补贴", "hrss", 16, 1, outcome="outcome",
           detail="refusal_reason", article="平台办法第五条")
    report(d, "subsidy", "report_approval", "报告审批结论", "hrss", 18, outcome="approval_decision",
           detail='f"生活补贴{living_subsidy}元/月、租房补贴{rent_subsidy}元/月，批准{approved_months}个月，'
                  '{first_month}起按月发放" if approval_decision == "批准" else approval_comment',
           article="平台办法第五条", label="above")
    d.gateway("paid_gw", "本月是否发放", "hrss", 24, default="f_paid_stopped", article="平台办法第四条（二）", label="sw",
              doc="一站式服务平台管理办法第四条第二项：市人社局决定本月发放的，向财政发送支付指令；决定停发的办结。")
    d.service("instruct_payment", "向财政发送支付指令", "finance", 25, topic="finance.payment",
              result="payment_instruction", article="平台办法第四条（四）;平台办法第四条（二）",
              params={"payee": "applicant_name", "id_number": "id_number", "amount": "living_subsidy + rent_subsidy",
                      "month": 'f"{(start_index + month_due - 2) // 12}-{(start_index + month_due - 2) % 12 + 1:02d}"',
                      "purpose": "'引进人才生活和租房补贴'"},
              post='payment_vouchers = payment_vouchers + [{"month": month_due - 1, '
                   '"voucher": payment_instruction.get("voucher")}]',
              doc=clean("""一站式服务平台管理办法第四条第二项：市人社局负责补贴发放；第四条第四项：市财政局按照财政资金管理规定
              拨付资金。市人社局决定本月发放后，平台向财政国库集中支付系统发送本月的支付指令（外部系统，主题
              finance.payment：收款人、身份证号、金额、月份），财政系统返回支付凭证号，记入 payment_vouchers。财政系统
              暂不可用的由外部系统重试，重试用尽成为事件，在管理控制台重新处理（种子未规定支付方式，建模约定）。"""))

    d.flow("start", "prepare")
    d.flow("prepare", "via_gw")
    d.flow("via_gw", "county_intake", "县级平台", 'intake_at == "县级“一站式”综合服务平台"', id="f_via_county")
    d.flow("via_gw", "city_intake", "市平台", id="f_via_city", exit="right", enter="top")
    d.flow("county_intake", "city_intake")
    d.flow("city_intake", "intake_gw")
    d.flow("intake_gw", "eligibility", "受理", id="f_intake_accept", exit="right", enter="top")
    d.flow("intake_gw", "supplement", "退回补正", 'intake_decision == "退回补正" and return_count <= max_returns',
           id="f_intake_return", exit="top", enter="bottom")
    d.flow("intake_gw", "report_not_accepted", "不予受理", 'intake_decision != "受理"', id="f_intake_refused",
           exit="bottom", enter="top")
    d.flow("report_not_accepted", "end_not_accepted")
    d.flow("supplement", "via_gw", exit="top", enter="top")
    d.flow("from_one_stop", "prepare", exit="right", enter="bottom")
    d.flow("eligibility", "eligible_gw")
    d.flow("eligible_gw", "report_ineligible", "不予补贴",
           'eligibility_decision == "不属于补贴对象" or remaining_months == 0', id="f_not_eligible")
    d.flow("report_ineligible", "end_ineligible")
    d.flow("eligible_gw", "high_end_gw", "属于补贴对象", id="f_eligible")
    d.flow("high_end_gw", "high_end_review", "高端人才", 'subsidy_category == "高端人才"', id="f_high_end")
    d.flow("high_end_gw", "high_end_join", "其他类别", id="f_not_high_end")
    d.flow("high_end_review", "high_end_join", exit="right", enter="bottom")
    d.flow("high_end_join", "living")
    d.flow("living", "rent")
    d.flow("rent", "apartment_gw")
    d.flow("apartment_gw", "apartment", "需要公寓", "apartment_needed", id="f_apartment")
    d.flow("apartment_gw", "amount_gw", "不需要", id="f_no_apartment")
    d.flow("apartment", "amount_gw", exit="top", enter="left")
    d.flow("amount_gw", "approval", "有补贴", "living_subsidy + rent_subsidy > 0", id="f_amount_some")
    d.flow("amount_gw", "no_amount", "无补贴", id="f_amount_none")
    d.flow("no_amount", "report_no_amount")
    d.flow("report_no_amount", "end_no_amount")
    d.flow("approval", "report_approval")
    d.flow("report_approval", "approval_gw")
    d.flow("approval_gw", "schedule", "批准", 'approval_decision == "批准"', id="f_approval_yes")
    d.flow("approval_gw", "end_rejected", "不予批准", id="f_approval_no")
    d.flow("schedule", "allocate", exit="right", enter="top")
    d.flow("allocate", "timer", exit="right", enter="bottom")
    d.flow("timer", "pay")
    d.flow("pay", "paid_gw")
    d.flow("paid_gw", "instruct_payment", "已发放", 'disbursement == "已发放"', id="f_paid", exit="right", enter="top")
    d.flow("paid_gw", "end_stopped", "停发", id="f_paid_stopped")
    d.flow("instruct_payment", "continue_gw", exit="right", enter="bottom")
    d.flow("continue_gw", "end_done", "发满", 'subsidy_status == "发放期满"', id="f_done")
    d.flow("continue_gw", "timer", "下月继续", id="f_continue", exit="top", enter="top")

    intake_forms(d, "生活和租房补贴")
    d.files["intake.json"] = form("市平台受理", {
        "applicant_name": text("姓名", 50), "id_number": {**ID_NUMBER, "title": "居民身份证号码"}, "phone": {**PHONE},
        "employer": text("用人单位或自主创办的企业", 100),
        "certificate_no": text("人才认定证明编号", 50),
        "subsidy_category": choice("补贴类别（补贴细则第三条第（一）项）", *SUBSIDY_CATEGORIES),
        "qualification": choice("学历职称或技能等级", *QUALIFICATIONS),
        "contract_years": {"type": "integer", "title": "劳动合同期限（年）", "minimum": 0, "maximum": 50, "default": 0},
        "local_social_insurance": {"type": "boolean", "title": "在本地参加社会保险", "default": False},
        "full_time_degree": {"type": "boolean", "title": "全日制学历", "default": False},
        "urgently_needed": {"type": "boolean", "title": "经认定为急需紧缺专业技术人才", "default": False},
        "apartment_needed": {"type": "boolean", "title": "需要提供租赁型人才公寓（补贴细则第三条第（二）项）",
                             "default": False},
        "intake_decision": choice("受理结论", "受理", "退回补正", "不予受理"),
        "missing_materials": text("需补正的材料（一次性告知）", 500),
        "intake_reason": text("不予受理的理由", 500),
    }, ["intake_decision"], rules=[
        when("intake_decision", "受理", "applicant_name", "id_number", "phone", "employer", "subsidy_category",
             "qualification", "contract_years", "local_social_insurance", "full_time_degree", "urgently_needed",
             "apartment_needed"),
        when("intake_decision", "退回补正", "missing_materials"), when("intake_decision", "不予受理", "intake_reason")])
    d.files["eligibility.json"] = form("资格审查", {
        "eligibility_decision": choice("审查结论（补贴细则第二条）", "属于补贴对象", "不属于补贴对象"),
        "prior_subsidy_months": {"type": "integer", "title": "此人此前已享受本补贴的月数（按平台记录核定）",
                                 "minimum": 0, "maximum": MAX_SUBSIDY_MONTHS},
        "eligibility_comment": text("审查意见（不属于补贴对象或已享受满3年的写明理由）", 500),
    }, ["eligibility_decision", "prior_subsidy_months", "eligibility_comment"])
    d.files["high_end_review.json"] = form("高端人才补贴评审", {
        "high_end_amount": {"type": "integer", "title": "评审确定的月生活补贴（元，补贴细则第三条第（一）项第2目）",
                            "minimum": 5000, "maximum": 10000},
        "review_comment": text("评审意见", 500),
    }, ["high_end_amount", "review_comment"])
    d.files["apartment.json"] = form("人才公寓配租转办", {
        "referral_number": text("配租转办编号", 40),
        "referral_note": text("办理意见（参照《聊城市引进人才住房支持实施细则（试行）》）", 500),
    }, ["referral_number", "referral_note"])
    d.files["approval.json"] = form("补贴审批", {
        "approval_decision": choice("审批结论", "批准", "不予批准"),
        "approved_months": {"type": "integer", "title": "批准发放月数（不超过剩余月数，最长36个月）", "minimum": 1,
                            "maximum": MAX_SUBSIDY_MONTHS},
        "first_month": {"type": "string", "title": "首个发放月份（YYYY-MM）", "pattern": "^20\\d{2}-(0[1-9]|1[0-2])$"},
        "approval_comment": text("审批意见", 500),
    }, ["approval_decision", "approval_comment"], rules=[
        when("approval_decision", "批准", "approved_months", "first_month")])
    d.files["allocate.json"] = form("拨付补贴资金", {
        "allocated_amount": {"type": "integer", "title": "拨付金额（元）", "minimum": 1},
        "allocated_on": {**DATE, "title": "拨付日期"},
        "voucher_no": text("拨付凭证号", 40),
    }, ["allocated_amount", "allocated_on", "voucher_no"])
    d.files["payment.json"] = form("发放本月补贴", {
        "disbursement": choice("本月办理结果", "已发放", "停发"),
        "paid_on": {**DATE, "title": "发放日期"},
        "stop_reason": text("停发理由（人才离开或不再符合补贴条件）", 500),
    }, ["disbursement"], rules=[when("disbursement", "已发放", "paid_on"), when("disbursement", "停发", "stop_reason")])
    d.instruct({
        "county_intake": "请接收{{ applicant_name }}的补贴申请材料，核验后转报市“一站式”服务平台。",
        "city_intake": "请核验{{ applicant_name }}的人才认定证明、劳动合同、社保缴纳记录和学历职称或首席技师、奖牌证书，据实登记补贴类别、条件和是否需要租赁型人才公寓；材料不全的一次性告知。",
        "supplement": "请按市平台一次性告知的清单补正后重新提交：{{ missing_materials }}",
        "eligibility": "请核实{{ applicant_name }}是否为经认定的引进人才，并按平台记录核定此人此前已享受本补贴的月数（补贴期限最长3年，按人计算）。",
        "high_end_review": "请按评审结果确定{{ applicant_name }}每月的生活补贴，金额须在5000元至10000元之间。",
        "apartment": "{{ applicant_name }}需要租赁型人才公寓，请按《聊城市引进人才住房支持实施细则（试行）》办理配租转办。",
        "approval": "生活补贴{{ living_subsidy }}元/月（{{ living_basis }}）；租房补贴{{ rent_subsidy }}元/月（{{ rent_basis }}）；此人还可享受{{ remaining_months }}个月。请审批发放月数和首个发放月份。",
        "allocate": "请按财政资金管理规定拨付{{ applicant_name }}的补贴资金：每月{{ monthly_total }}元，共{{ approved_months }}个月，由市人社局发放。",
        "pay": "请发放{{ applicant_name }}第{{ month_due }}个月的补贴（生活补贴{{ living_subsidy }}元、租房补贴{{ rent_subsidy }}元），并核对在岗和本地社保情况；不再符合条件的选择停发。",
        "end_not_accepted": "不予受理：{{ intake_reason }}",
        "end_ineligible": "不予补贴：{{ eligibility_comment }}",
        "end_no_amount": "{{ outcome }}：{{ refusal_reason }}",
        "end_rejected": "不予批准：{{ approval_comment }}",
        "end_stopped": "补贴已停发：{{ stop_reason }}。已发放{{ total_paid }}元。",
        "end_done": "补贴发放期满，共发放{{ total_paid }}元。",
    })
    d.notify("intake_gw", "case_accepted", condition='intake_decision == "受理"',
             message="市平台已受理您的生活和租房补贴申请，转市人社局资格审查（补贴细则第二条）。")
    d.notify("supplement", "supplement_requested")
    for end in ("end_not_accepted", "end_ineligible", "end_no_amount", "end_rejected"):
        d.notify(end, "decision")
    d.notify("end_stopped", "subsidy_stopped")
    return d


# ---------------------------------------------------------------------------------------------------- 配偶安置

NATURES = ["党政机关", "事业单位", "国有企业", "民营企业", "外资企业", "社会组织", "其他"]
IDENTITIES = ["公务员", "参照公务员法管理人员", "事业单位管理人员", "事业单位专业技术人员", "事业单位工勤技能人员",
              "企业管理人员", "企业专业技术人员", "企业技能人员", "其他"]


def spouse_placement() -> Diagram:
    d = Diagram("spouse_placement", "引进人才配偶安置", participant="聊城市引进人才配偶安置", source=SOURCE,
                articles="平台办法第四条（一）;平台办法第四条（二）;平台办法第四条（三）;平台办法第五条",
                doc=clean("""依据《聊城市引进人才“一站式”服务平台管理办法（试行）》第四条第一项（市委组织部负责落实有关引进人才
                专项编制管理使用及配偶安置等）、第二项（市人力资源和社会保障局负责落实有关引进人才专项编制管理使用及配偶安置等）、
                第三项（市机构编制委员会办公室负责落实有关引进人才专项编制管理使用及配偶安置等）和第五条（一窗接件、专员办理、
                集中反馈、统一建档）。聊城的文件只规定三个部门共同负责，未规定办理步骤；本流程按三部门的职责分工建模：市平台接件，
                市委组织部研究确定安置方式（第一项，专项编制的统筹），需使用引进人才专项编制安置的由市编办核定编制（第三项），
                市人社局办理安置手续或推荐就业（第二项），市平台集中反馈并建档。申请由引进人才本人提出（补贴细则第二条所称经认定的
                引进人才；认定类别按聊城认定细则）。种子未规定时限，不设定时器。由一站式综合受理案件调用时（one_stop 为真）不单独
                反馈和建档，结果由一站式案件集中反馈、统一建档。"""),
                lanes=[("applicant", APPLICANT, 1), ("city", CITY, 2), ("org", ORG, 1), ("staffing", STAFFING, 1),
                       ("hrss", HRSS, 1)])
    d.start("start", "提出配偶安置申请", "applicant", 0, form="start.json", article="平台办法第五条",
            doc="一站式服务平台管理办法第五条：一窗接件。引进人才本人在线提出，或由一站式综合受理案件调用（此时 one_stop "
                "为真，由综合受理统一反馈、建档）。")
    d.user("apply", "填写配偶安置申请", "applicant", 1, form="apply.json", article="平台办法第四条（一）",
           doc="一站式服务平台管理办法第四条第一至三项：引进人才配偶安置。申请表记录人才认定类别和证书编号、配偶现就业"
               "状况、原工作单位性质、身份、专业和安置意向（使用专项编制安置或推荐就业）。",
           pre="return_count = 0\nmax_returns = 3")
    d.user("intake", "一窗接件", "city", 2, form="intake.json", article="平台办法第五条",
           doc="一站式服务平台管理办法第五条：一窗接件。市平台核验人才认定证明和配偶身份材料，受理、退回补正（一次性告知，"
               "本地规则最多3次）或不予受理（写明理由）。",
           post="""
return_count = return_count + (1 if intake_decision == "退回补正" else 0)
if intake_decision == "不予受理" or (intake_decision == "退回补正" and return_count > max_returns):
    outcome = "不予受理"
    result_detail = intake_reason if intake_decision == "不予受理" else f"申请材料经{max_returns}次退回补正仍不齐全"
    placed_unit = ""
    placed_post = ""
""")
    d.gateway("intake_gw", "接件结论", "city", 3, default="f_accept", article="平台办法第五条", label="sw",
              doc="受理的转市委组织部研究安置；退回补正的由申请人补正；不予受理的（或补正超过3次）告知理由。")
    d.user("org_review", "研究确定安置方式", "org", 4, form="org_review.json", article="平台办法第四条（一）",
           doc=clean("""一站式服务平台管理办法第四条第一项：市委组织部负责协调有关部门、落实有关引进人才专项编制管理使用及配偶
           安置。组织部会同有关部门研究，确定安置方式：使用引进人才专项编制安置到机关事业单位（须市编办核定编制），或由
           市人社局推荐就业安置；不符合安置条件的写明理由。"""))
    d.gateway("org_gw", "安置方式", "org", 5, default="f_org_refused", article="平台办法第四条（一）", label="sw",
              doc="专项编制安置转市编办；推荐就业安置转市人社局；不予安置的记录理由后反馈。")
    d.user("staffing_review", "核定专项编制", "staffing", 6, form="staffing.json", article="平台办法第四条（三）",
           doc="一站式服务平台管理办法第四条第三项：市机构编制委员会办公室负责落实有关引进人才专项编制管理使用及配偶安置。"
               "核定是否使用引进人才专项编制安置及拟安置单位的编制；不同意的写明理由，转市人社局推荐就业。")
    d.gateway("staffing_gw", "是否核定编制", "staffing", 7, default="f_staffing_no", article="平台办法第四条（三）",
              label="nw", doc="核定编制的由市人社局办理编制内安置手续；不同意的转市人社局推荐就业安置。")
    d.user("hrss_place", "落实配偶安置", "hrss", 9, form="hrss_place.json", article="平台办法第四条（二）",
           doc="一站式服务平台管理办法第四条第二项：市人力资源和社会保障局负责落实有关引进人才专项编制管理使用及配偶安置。"
               "使用专项编制的办理聘用（调动）手续；推荐就业的推荐岗位并记录配偶的就业结果。")
    d.end("end_not_accepted", "不予受理", "city", 3, 1, article="平台办法第五条", label="right",
          doc="一站式服务平台管理办法第五条：市平台接件时不予受理（或补正超过3次）的，理由在接件结论中当场告知，记入结果"
              "（outcome、result_detail），办结；由一站式综合受理调用的，结果交回综合受理。")
    d.script("record_refused", "记录不予安置理由", "city", 6, 1, article="平台办法第四条（一）",
             doc="一站式服务平台管理办法第四条第一项：市委组织部研究后不予安置的，理由记入结果，由市平台反馈（或交一站式"
                 "综合受理集中反馈）。", script="""
outcome = "不予安置"
result_detail = org_opinion
placed_unit = ""
placed_post = ""
""")
    d.script("record_placement", "记录安置结果", "hrss", 10, article="平台办法第四条（二）", script="""
outcome = "专项编制安置" if placement_route == "专项编制安置" and staffing_decision == "核定编制" else "推荐就业安置"
result_detail = f"安置至{placed_unit}，岗位：{placed_post}" if placement_status == "已安置" else f"已推荐岗位：{'、'.join(recommended_posts)}，持续推荐"
""", doc="一站式服务平台管理办法第四条第二项、第三项：记录安置方式、单位、岗位或已推荐的岗位。")
    d.gateway("merge_gw", "汇合", "city", 11, article="平台办法第五条", label="nw", doc="汇合安置结果与不予安置两条路径。")
    d.gateway("one_stop_gw", "是否一站式综合受理", "city", 12, default="f_own_feedback", article="平台办法第五条",
              label="nw", doc="一站式服务平台管理办法第五条：集中反馈、统一建档。由一站式综合受理案件调用的，不单独反馈"
                              "和建档，结果交回综合受理案件，由其一次答复、一个档案。")
    d.user("feedback", "集中反馈并建档", "city", 13, form="feedback.json", article="平台办法第五条",
           doc="一站式服务平台管理办法第五条：集中反馈、统一建档。市平台把安置结果（或不予受理、不予安置的理由）告知"
               "申请人并归档。")
    d.end("end_done", "办结", "city", 14, article="平台办法第五条", doc="一站式服务平台管理办法第五条：统一建档后办结。")
    d.end("end_in_one_stop", "结果交综合受理", "city", 13, 1, article="平台办法第五条", label="right",
          doc="一站式服务平台管理办法第五条：结果交回一站式综合受理案件，由其集中反馈、统一建档。")
    d.flow("start", "apply")
    d.flow("apply", "intake", exit="bottom", enter="left")
    d.flow("intake", "intake_gw")
    d.flow("intake_gw", "org_review", "受理", id="f_accept", exit="right", enter="top")
    d.flow("intake_gw", "apply", "退回补正", 'intake_decision == "退回补正" and return_count <= max_returns',
           id="f_return", exit="top", enter="right")
    d.flow("intake_gw", "end_not_accepted", "不予受理", 'intake_decision != "受理"', id="f_refuse")
    d.flow("org_review", "org_gw")
    d.flow("org_gw", "staffing_review", "专项编制安置", 'placement_route == "专项编制安置"', id="f_org_quota",
           exit="bottom", enter="left")
    d.flow("org_gw", "hrss_place", "推荐就业安置", 'placement_route == "推荐就业安置"', id="f_org_employ",
           exit="right", enter="top")
    d.flow("org_gw", "record_refused", "不予安置", id="f_org_refused", exit="top", enter="left")
    d.flow("staffing_review", "staffing_gw")
    d.flow("staffing_gw", "hrss_place", "核定编制", 'staffing_decision == "核定编制"', id="f_staffing_yes",
           exit="bottom", enter="left")
    d.flow("staffing_gw", "hrss_place", "转推荐就业", id="f_staffing_no", exit="right", enter="left")
    d.flow("hrss_place", "record_placement")
    d.flow("record_placement", "merge_gw", exit="right", enter="bottom")
    d.flow("record_refused", "merge_gw", exit="right", enter="bottom")
    d.flow("merge_gw", "one_stop_gw")
    d.flow("one_stop_gw", "feedback", "单独办理", id="f_own_feedback")
    d.flow("one_stop_gw", "end_in_one_stop", "一站式", "one_stop", id="f_one_stop")
    d.flow("feedback", "end_done")

    d.files["start.json"] = form("提出配偶安置申请", {"one_stop": ONE_STOP_FIELD},
                                 description="申请内容在下一步填写。")
    d.files["apply.json"] = form("配偶安置申请", {
        "talent_name": text("人才姓名", 50),
        "talent_category": choice("人才认定类别（《聊城市引进人才认定工作实施细则（试行）》）", *CATEGORIES),
        "certificate_no": text("人才认定证书编号", 40),
        "employer_name": text("人才用人单位", 100),
        "contact_phone": {**PHONE},
        "spouse_name": text("配偶姓名", 50),
        "spouse_id_number": {**ID_NUMBER, "title": "配偶身份证号"},
        "spouse_employment": choice("配偶现就业状况", "在职", "待业"),
        "original_employer_name": text("配偶原工作单位", 100),
        "original_employer_nature": choice("原工作单位性质", *NATURES),
        "spouse_identity": choice("配偶身份", *IDENTITIES),
        "spouse_major": text("配偶所学或从事专业", 100),
        "placement_wish": choice("安置意向", "使用专项编制安置", "推荐就业", "均可"),
    }, ["talent_name", "talent_category", "certificate_no", "employer_name", "contact_phone", "spouse_name",
        "spouse_id_number", "spouse_employment", "spouse_major", "placement_wish"],
        rules=[when("spouse_employment", "在职", "original_employer_name", "original_employer_nature",
                    "spouse_identity")])
    d.files["intake.json"] = form("一窗接件", {
        "intake_decision": choice("接件结论", "受理", "退回补正", "不予受理"),
        "missing_materials": text("需补正的材料（一次性告知）", 500),
        "intake_reason": text("不予受理的理由", 500),
    }, ["intake_decision"], rules=[when("intake_decision", "退回补正", "missing_materials"),
                                   when("intake_decision", "不予受理", "intake_reason")])
    d.files["org_review.json"] = form("研究确定安置方式", {
        "placement_route": choice("安置方式", "专项编制安置", "推荐就业安置", "不予安置"),
        "proposed_unit": text("拟安置单位（专项编制安置）", 100),
        "org_opinion": text("研究意见（不予安置的写明理由）", 500),
    }, ["placement_route", "org_opinion"], rules=[when("placement_route", "专项编制安置", "proposed_unit")])
    d.files["staffing.json"] = form("核定专项编制", {
        "staffing_decision": choice("核定结论", "核定编制", "不予核定"),
        "quota_number": text("专项编制核定文号", 60),
        "staffing_opinion": text("核定意见（不予核定的写明理由）", 500),
    }, ["staffing_decision", "staffing_opinion"], rules=[when("staffing_decision", "核定编制", "quota_number")])
    d.files["hrss_place.json"] = form("落实配偶安置", {
        "placement_status": choice("安置情况", "已安置", "已推荐岗位、待上岗"),
        "placed_unit": text("安置单位", 100),
        "placed_post": text("岗位", 100),
        "recommended_posts": {"type": "array", "title": "已推荐的岗位", "items": {"type": "string", "minLength": 1,
                              "maxLength": 100}, "minItems": 1, "maxItems": 20},
        "hrss_note": text("办理情况", 500),
    }, ["placement_status", "hrss_note"], rules=[when("placement_status", "已安置", "placed_unit", "placed_post"),
                                                 when("placement_status", "已推荐岗位、待上岗", "recommended_posts")])
    d.files["feedback.json"] = form("集中反馈并建档", {
        "notice_method": choice("告知方式", "窗口现场", "电话", "短信", "书面"),
        "notice_date": {**DATE, "title": "告知日期"},
        "archive_number": text("档案编号", 40),
    }, ["notice_method", "notice_date", "archive_number"])
    d.instruct({
        "apply": "请填写配偶安置申请：人才认定类别和证书编号、配偶现就业状况和安置意向。",
        "intake": "请核验{{ talent_name }}的人才认定证明和配偶{{ spouse_name }}的身份材料；材料不全的一次性告知。",
        "org_review": "请研究{{ talent_name }}的配偶{{ spouse_name }}（{{ spouse_major }}，意向：{{ placement_wish }}）的安置方式：使用引进人才专项编制安置，或由市人社局推荐就业。",
        "staffing_review": "市委组织部拟使用引进人才专项编制安置{{ spouse_name }}至{{ proposed_unit }}，请核定编制。",
        "hrss_place": "请落实{{ spouse_name }}的安置（{{ placement_route }}）。",
        "feedback": "请将安置结果告知{{ talent_name }}并归档：{{ outcome }}（{{ result_detail }}）。",
        "end_not_accepted": "不予受理：{{ result_detail }}",
        "end_done": "{{ outcome }}：{{ result_detail }}",
        "end_in_one_stop": "{{ outcome }}：{{ result_detail }}",
    })
    d.notify("end_not_accepted", "decision", condition="not one_stop")  # else the one-stop case reports it
    d.notify("end_done", "decision")
    return d


# ------------------------------------------------------------------------------------------------ 一窗受理

SERVICES = {"高层次人才保健证": "health_card", "配偶安置": "spouse_placement", "人才服务金卡": "gold_card",
            "生活和租房补贴": "subsidy", "其他服务事项": "duty_service"}
LONG_RUNNING = {"gold_card": ("人才服务金卡", "金卡", "金卡办法第三条"),
                "subsidy": ("生活和租房补贴", "补贴", "补贴细则第二条")}
DUTIES = [  # (service item, department code, article): 一站式服务平台管理办法第四条各项的职责分工
    ("国家“千人计划”“万人计划”专家1:1配套资助", "org_dept", "平台办法第四条（一）"),
    ("引进人才专项编制管理使用", "staffing_office", "平台办法第四条（三）"),
    ("人才认定", "hrss", "平台办法第四条（二）"),
    ("引才示范基地及重点单位遴选", "hrss", "平台办法第四条（二）"),
    ("优秀创业项目评选", "hrss", "平台办法第四条（二）"),
    ("急需紧缺人才薪酬管理", "hrss", "平台办法第四条（二）"),
    ("人才公寓", "hrss", "平台办法第四条（二）"),
    ("社会力量引才资助", "hrss", "平台办法第四条（二）"),
    ("博士后科研工作站、博士后创新实践基地、技能平台补助", "hrss", "平台办法第四条（二）"),
    ("人才工程人选1:1配套资助（人社部门管理的人才工程）", "hrss", "平台办法第四条（二）"),
    ("科技项目扶持、科技奖项资助", "science_tech", "平台办法第四条（五）"),
    ("重点实验室、工程技术研究中心、科技孵化器平台补助", "science_tech", "平台办法第四条（五）"),
    ("人才工程人选1:1配套资助（科技部门管理的人才工程）", "science_tech", "平台办法第四条（五）"),
    ("省级企业技术中心补助", "economy_it", "平台办法第四条（六）"),
    ("人才工程人选1:1配套资助（经信部门管理的人才工程）", "economy_it", "平台办法第四条（六）"),
    ("国家级企业技术中心、省级以上工程实验室补助", "ndrc", "平台办法第四条（七）"),
    ("人才工程人选1:1配套资助（发改部门管理的人才工程）", "ndrc", "平台办法第四条（七）"),
    ("高层次人才医疗保健服务", "health", "平台办法第四条（八）"),
    ("高层次人才子女就学", "education", "平台办法第四条（十）"),
    ("引进人才创业项目融资支持", "finance_office", "平台办法第四条（十一）"),
]
DUTY_ARTICLES = ";".join(dict.fromkeys(article for _item, _code, article in DUTIES))


def one_stop_intake() -> Diagram:
    d = Diagram("one_stop_intake", "一窗受理（多项服务并行办理）", participant="聊城市引进人才“一站式”服务平台一窗受理",
                source=SOURCE, articles="平台办法第五条;平台办法第四条;" + DUTY_ARTICLES,
                doc=clean("""依据《聊城市引进人才“一站式”服务平台管理办法（试行）》第五条（“一窗接件、专员办理、集中反馈、统一建档”）
                和第四条（各责任单位的分工；人才工作领导小组办公室负责协调、调度、督导、问责）。人才一次提出多项服务：市“一站式”
                服务平台开一个案件，登记申请人和所申请的服务（一窗接件），指定服务专员（专员办理），各项服务同时办理：高层次人才
                保健证和配偶安置作为调用活动调用已部署的 health_card、spouse_placement 流程（须先部署），第四条所列其他服务事项
                按决策表 duty_routing 转给负责的单位办理（承办任务派给决策表选出的部门，departmentField）；全部办结后一次反馈
                （集中反馈）、一个档案（统一建档）——被调用的流程不再单独反馈、建档（one_stop 为真）。人才服务金卡和生活和租房补贴
                是跨年度的长期服务：本案发消息（onestop_gold_card_apply、onestop_subsidy_apply）开立该服务自己的案件，等该案件
                报告受理或审核结论（onestop_gold_card_decision、onestop_subsidy_decision，按一站式受理编号 intake_reference
                对应本案）后即汇总反馈；该服务的案件继续发卡和年度登记、按月发放补贴，本案不等多年的发放。接件时登记的身份证号
                先经公安人口信息核验（外部系统 identity.check），未通过的退回接件核对。种子未规定一窗受理本身的时限，不设定
                时器。启动数据：applicant_name、county。"""),
                lanes=[("applicant", APPLICANT, 1), ("city", CITY, 1), ("hco", HCO, 1), ("org", ORG, 1),
                       ("hrss", HRSS, 2), ("routed", ROUTED, 1)])
    one_stop_messages(d, *LONG_RUNNING)
    d.start("start", "提出一站式服务申请", "applicant", 0, form="start.json", article="平台办法第五条",
            doc="一站式服务平台管理办法第五条：一窗接件。由人才本人（或其用人单位）以申请人账户发起，子流程中属于申请人的"
                "任务（如提交保健证材料、填写配偶安置申请）派给发起人；窗口工作人员在柜台代为发起时派给该工作人员。")
    d.user("accept", "一窗接件", "city", 1, form="intake.json", ui="intake.ui.json", article="平台办法第五条",
           doc="一站式服务平台管理办法第五条：一窗接件。登记申请人（姓名、身份证号、联系电话、用人单位）和所申请的全部"
               "服务（至少一项）；申请保健证的登记人才认定类别或服务金卡卡号，申请其他服务事项的选择第四条所列事项并说明"
               "诉求。")
    d.user("assign_officer", "指定服务专员", "city", 2, form="officer.json", article="平台办法第五条",
           doc="一站式服务平台管理办法第五条：专员办理。窗口为本案指定一名服务专员，记录姓名和联系电话；专员跟踪各项服务"
               "的办理进度（本案的任务列表和历史包含各子流程的全部环节），负责集中反馈和统一建档。")
    d.script("prepare", "分办准备", "city", 3, article="平台办法第五条", doc=clean("""一站式服务平台管理办法第五条：专员办理。
             把所选服务换成代码 service_codes；置 one_stop 为真，被调用的流程据此不单独反馈、建档；准备子流程需要的数据
             （保健证：applicant_name、talent_category、gold_card_number、county、employer）；service_results 汇总每项服务的
             结果；intake_reference 为本案的一站式受理编号，长期服务的案件凭它报告结论。"""), script=f"""
codes = {SERVICES!r}
service_codes = [codes[name] for name in requested_services]
del codes
one_stop = True
service_results = {{}}
intake_reference = new_reference("YCSL")
dispatched_at = now()
""")
    d.gateway("fork", "后台分头办理", "city", 4, kind="inclusive", article="平台办法第五条;平台办法第四条", label="nw",
              doc="一站式服务平台管理办法第五条、第四条：所选的每一项服务各放出一条分支，由负责的单位同时办理；表单要求至少"
                  "选一项。")
    d.call("call_health_card", "办理高层次人才保健证", "hco", 5, called="health_card",
           article="医疗细则第五条;医疗细则第六条",
           doc="医疗细则第二条至第六条：调用已部署的 health_card 流程（县级平台核验、市平台5个工作日审核、市保健办10个工作日"
               "制证，时限和督办都在该流程内）。泳道为制证的市保健办；子流程的任务按子流程的泳道派发。")
    d.script("record_health_card", "记录保健证结果", "hco", 6, article="医疗细则第三条", script="""
hc_outcome = outcome
if hc_outcome == "已发证":
    hc_detail = f"《聊城市高层次人才保健证》{card_number}已制发，可在六家市直保健定点医疗机构的高层次人才诊疗服务专门窗口就诊，免费健康体检已安排"
else:
    hc_detail = refusal_reason
service_results = dict(service_results)
service_results["health_card"] = {"service": "高层次人才保健证", "outcome": hc_outcome, "detail": hc_detail, "finished_at": now()}
del hc_outcome, hc_detail
""", doc="医疗细则第三条、第五条：保健证子流程的结果（已发证/不予受理/不予通过/不予办理）写入 service_results。")
    d.call("call_spouse_placement", "办理配偶安置", "org", 5, called="spouse_placement",
           article="平台办法第四条（一）;平台办法第四条（二）;平台办法第四条（三）",
           doc="一站式服务平台管理办法第四条第一至三项：调用已部署的 spouse_placement 流程（市委组织部研究安置方式，市编办"
               "核定专项编制，市人社局落实安置）；one_stop 为真，该流程不单独反馈、建档。泳道为牵头的市委组织部。")
    d.script("record_spouse_placement", "记录配偶安置结果", "org", 6, article="平台办法第四条（一）", script="""
service_results = dict(service_results)
service_results["spouse_placement"] = {"service": "配偶安置", "outcome": outcome, "detail": result_detail, "finished_at": now()}
""", doc="一站式服务平台管理办法第四条第一至三项：配偶安置的结果（专项编制安置/推荐就业安置/不予安置/不予受理）写入 "
         "service_results。")
    d.rule("route_duty", "确定责任单位", "routed", 5, decision="duty_routing", article=DUTY_ARTICLES,
           doc="一站式服务平台管理办法第四条第一至十一项：按所申请的事项查决策表 duty_routing.dmn，得出负责的单位"
               "（responsible_unit）和条款（duty_article）。")
    d.user("handle_duty", "责任单位办理", "routed", 6, form="handle_duty.json", department_field="responsible_unit",
           article=DUTY_ARTICLES,
           doc="一站式服务平台管理办法第四条：各责任单位按分工办理。本任务派给决策表选出的单位（departmentField="
               "responsible_unit）：该单位的任务列表、督办统计和办理权限都随之。记录办理结果和答复。")
    d.script("record_duty", "记录服务事项结果", "routed", 7, article="平台办法第四条", script="""
service_results = dict(service_results)
service_results["duty_service"] = {"service": service_item, "outcome": duty_result, "detail": f"{duty_answer}（{duty_article}）", "finished_at": now()}
""", doc="一站式服务平台管理办法第四条：其他服务事项的办理结果写入 service_results。")
    d.gateway("join", "各项结果到齐", "city", 8, kind="inclusive", article="平台办法第五条", label="nw",
              doc="一站式服务平台管理办法第五条：集中反馈。等本案放出的每一条分支办结并记录结果后才继续；未申请的服务没有"
                  "分支，不等待。")
    d.script("summarize", "汇总办理结果", "city", 9, article="平台办法第五条", script="""
combined_answer = [f"{service_results[code]['service']}：{service_results[code]['outcome']}（{service_results[code]['detail']}）" for code in service_codes]
combined_answer_text = "；".join(combined_answer)
summarized_at = now()
""", doc="一站式服务平台管理办法第五条：集中反馈。按申请顺序把每项服务的结果汇成一份答复；缺少任何一项已申请服务的结果"
         "时案件进入 error，不会发出不完整的答复。")
    d.user("combined_feedback", "集中反馈", "city", 10, form="reply.json", article="平台办法第五条",
           doc="一站式服务平台管理办法第五条：专员办理、集中反馈。服务专员把全部服务的办理结果一次告知申请人。")
    d.user("archive", "统一建档", "city", 11, form="archive.json", article="平台办法第五条",
           doc="一站式服务平台管理办法第五条：统一建档。各项服务的申请材料、办理过程和结果归入同一档案（被调用的流程不再"
               "另建档案）。")
    d.end("end", "办结归档", "city", 12, article="平台办法第五条", doc="一站式服务平台管理办法第五条：集中反馈、统一建档后办结。")

    d.shift(2, 2)  # room for the identity check after 一窗接件
    d.service("verify_identity", "公安身份核验", "city", 2, topic="identity.check", result="identity_check",
              article="平台办法第五条", params={"name": "applicant_name", "id_number": "id_number"},
              post='identity_verified = identity_check.get("verified") is True\n'
                   'identity_note = "" if identity_verified else '
                   'f"公安人口信息核验未通过：{identity_check.get(\'reason\', \'\')}"',
              doc=clean("""一站式服务平台管理办法第五条：一窗接件。接件登记的姓名和身份证号送公安人口信息系统核验（外部系统，
              主题 identity.check）；结果 identity_check，未通过的退回接件，按 identity_note 核对后重新登记（种子未规定
              核验方式，建模约定）。"""))
    d.gateway("identity_gw", "身份核验是否通过", "city", 3, default="f_identity_failed", article="平台办法第五条",
              label="above", doc="一站式服务平台管理办法第五条：身份核验通过的指定服务专员；未通过的退回一窗接件核对。")
    for code, (title, short, article) in LONG_RUNNING.items():
        row = 0 if code == "gold_card" else 1
        d.throw_message(f"apply_{code}", f"转{short}申请", "hrss", 7, row, message=f"Message_{code}_apply",
                        article="平台办法第五条;平台办法第四条（二）",
                        payload='{"intake_reference": intake_reference, "one_stop": True, '
                                '"applicant_name": applicant_name, "id_number": id_number, "phone": contact_phone, '
                                '"employer": employer, "county": county, "intake_at": "市“一站式”服务平台"}',
                        doc=f"一站式服务平台管理办法第五条：后台办理；第四条第二项：市人社局负责人才认定和{title}相关"
                            f"事务。发消息 onestop_{code}_apply 开立{title}自己的案件（消息开始事件），带去申请人信息和"
                            "本案的一站式受理编号；该案件由市平台受理、市人社局审核。")
        d.catch_message(f"{code}_decision", f"收到{short}结论", "hrss", 8, row, message=f"Message_{code}_decision",
                        variable=f"{code}_decision", article="平台办法第五条",
                        doc=f"一站式服务平台管理办法第五条：集中反馈。等{title}的案件报告受理或审核结论（消息 "
                            f"onestop_{code}_decision，按一站式受理编号对应本案）；结论到达即可汇总，不等该案件以后的"
                            "发卡、登记或按月发放。")
        d.script(f"record_{code}", f"记录{short}结论", "hrss", 9, row, article=article, script=f"""
service_results = dict(service_results)
service_results["{code}"] = {{"service": "{title}", "outcome": {code}_decision["outcome"], "detail": {code}_decision["detail"], "finished_at": now()}}
""", doc=f"{article}：{title}案件报告的结论（outcome、detail）写入 service_results；该案件继续办理。")
        d.flow("fork", f"apply_{code}", title, f'"{code}" in service_codes', id=f"f_fork_{code}", exit="bottom",
               enter="left", label_on="last")
        d.flow(f"apply_{code}", f"{code}_decision")
        d.flow(f"{code}_decision", f"record_{code}")
        d.flow(f"record_{code}", "join", exit="right", enter="bottom")
    d.flow("start", "accept", exit="right", enter="top")
    d.flow("accept", "verify_identity")
    d.flow("verify_identity", "identity_gw")
    d.flow("identity_gw", "assign_officer", "核验通过", "identity_verified", id="f_identity_verified")
    d.flow("identity_gw", "accept", "未通过", id="f_identity_failed")
    d.flow("assign_officer", "prepare")
    d.flow("prepare", "fork")
    d.flow("fork", "call_health_card", "保健证", '"health_card" in service_codes', id="f_fork_health_card",
           exit="bottom", enter="left", label_on="last")
    d.flow("fork", "call_spouse_placement", "配偶安置", '"spouse_placement" in service_codes',
           id="f_fork_spouse_placement", exit="bottom", enter="left", label_on="last")
    d.flow("fork", "route_duty", "其他服务事项", '"duty_service" in service_codes', id="f_fork_duty",
           exit="bottom", enter="left", label_on="last")
    d.flow("call_health_card", "record_health_card")
    d.flow("call_spouse_placement", "record_spouse_placement")
    d.flow("route_duty", "handle_duty")
    d.flow("handle_duty", "record_duty")
    d.flow("record_health_card", "join", exit="right", enter="bottom")
    d.flow("record_spouse_placement", "join", exit="right", enter="bottom")
    d.flow("record_duty", "join", exit="right", enter="bottom")
    d.flow("join", "summarize")
    d.flow("summarize", "combined_feedback")
    d.flow("combined_feedback", "archive")
    d.flow("archive", "end")

    d.files["start.json"] = form("提出一站式服务申请", {
        "applicant_name": text("人才姓名", 50), "county": text("所在县市区", 20), "contact_phone": {**PHONE},
    }, ["applicant_name", "county"], description="一站式服务平台管理办法第五条：一窗接件；所在县市区决定保健证申请由"
       "哪个县级“一站式”综合服务平台核验（医疗细则第五条）。")
    d.files["intake.json"] = form("一窗接件", {
        "applicant_name": text("人才姓名", 50), "id_number": {**ID_NUMBER}, "contact_phone": {**PHONE},
        "employer": text("用人单位", 100),
        "requested_services": {"type": "array", "title": "申请的服务（可多选）", "minItems": 1, "uniqueItems": True,
                               "description": "各项由负责的单位同时办理，办结后一次反馈、一个档案。人才服务金卡、生活和"
                                              "租房补贴另立案件长期办理，其受理或审核结论到达即一并反馈。",
                               "items": {"type": "string", "enum": list(SERVICES)}},
        "talent_category": {"type": "string", "title": "人才认定类别（申请保健证时必填）", "enum": CATEGORIES},
        "gold_card_number": {"type": "string", "title": "服务金卡卡号（持卡人申请保健证时填写）", "maxLength": 32,
                             "default": ""},
        "service_item": {"type": "string", "title": "其他服务事项（一站式服务平台管理办法第四条）",
                         "enum": [item for item, _code, _article in DUTIES]},
        "service_request": text("服务诉求（申请其他服务事项时填写）", 1000),
        "intake_note": {"type": "string", "title": "接件备注", "maxLength": 500},
    }, ["applicant_name", "id_number", "contact_phone", "employer", "requested_services"], rules=[
        {"if": {"properties": {"requested_services": {"contains": {"const": "高层次人才保健证"}}},
                "required": ["requested_services"]}, "then": {"required": ["talent_category", "gold_card_number"]}},
        {"if": {"properties": {"requested_services": {"contains": {"const": "其他服务事项"}}},
                "required": ["requested_services"]}, "then": {"required": ["service_item", "service_request"]}}])
    d.files["intake.ui.json"] = {"requested_services": {"ui:help": "可同时选择多项"},
                                 "service_request": {"ui:widget": "textarea"}, "intake_note": {"ui:widget": "textarea"}}
    d.files["officer.json"] = form("指定服务专员", {"officer_name": text("服务专员姓名", 50),
                                                    "officer_phone": text("服务专员联系电话", 20)},
                                   ["officer_name", "officer_phone"])
    d.files["handle_duty.json"] = form("责任单位办理", {
        "duty_result": choice("办理结果", "已办理", "不予办理", "需另行申请"),
        "duty_answer": text("答复内容（不予办理的写明理由，需另行申请的写明申请方式）", 1000),
    }, ["duty_result", "duty_answer"])
    d.files["reply.json"] = form("集中反馈", {
        "reply_method": choice("反馈方式", "窗口现场", "电话", "短信", "书面"),
        "reply_date": {**DATE, "title": "反馈日期"},
        "reply_confirmed": {"type": "boolean", "title": "已把全部服务的结果一次告知申请人", "const": True},
    }, ["reply_method", "reply_date", "reply_confirmed"])
    d.files["archive.json"] = form("统一建档", {
        "case_archive_number": text("档案编号", 40), "case_archived_on": {**DATE, "title": "建档日期"},
        "archive_complete": {"type": "boolean", "title": "各项服务的材料、过程和结果已归入本档案", "const": True},
    }, ["case_archive_number", "case_archived_on", "archive_complete"])
    rules = [([f'"{item}"'], [f'"{code}"', f'"{article}"'], f"一站式服务平台管理办法第四条：{item}（{article}）")
             for item, code, article in DUTIES]
    d.files["duty_routing.dmn"] = dmn_table(
        "duty_routing", "确定责任单位",
        f"policyArticle={DUTY_ARTICLES} source={SOURCE}：《聊城市引进人才“一站式”服务平台管理办法（试行）》第四条各项的职责"
        "分工：所申请的服务事项由哪个单位负责。命中策略UNIQUE：每个事项一条规则。",
        [("服务事项", "service_item", "string")], [("责任单位", "responsible_unit", "string"),
                                              ("依据条款", "duty_article", "string")], rules)
    d.instruct({
        "accept": "请登记申请人和所申请的全部服务，各项服务将由负责的单位同时办理，办结后一次反馈。{{ identity_note }}",
        "assign_officer": "请为本案指定服务专员，负责跟踪各项服务和集中反馈。",
        "handle_duty": "{{ applicant_name }}申请：{{ service_item }}（{{ duty_article }}）。诉求：{{ service_request }}",
        "combined_feedback": "请把各项服务的结果一次告知申请人：{{ combined_answer_text }}",
        "archive": "请把各项服务的申请材料、办理过程和结果归入同一档案。",
        "end": "{{ combined_answer_text }}",
    })
    return d
