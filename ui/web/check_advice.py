"""The Chinese of the validator's newer problems (issue 13): every piece of advice of the compatibility catalogue
(engine/bpmn/compatibility.py) by its English template, and the sentences of the element rules, vendor hints,
parser errors, bounds, timer ranges and conventions. ui/web/check_messages.py reads a problem with these first."""

from __future__ import annotations

import re
from collections.abc import Callable

from engine.bpmn import compatibility as catalogue

Template = str | Callable[[re.Match[str]], str | None]

_TIMER_NAMES = {"timeDate": "到期时间", "timeDuration": "持续时间", "timeCycle": "循环周期"}
_TARGETS = {"message": "消息", "signal": "信号", "error": "错误", "escalation": "升级"}
_LANGUAGES = {"a Camunda (JUEL) expression": " Camunda 的 JUEL 表达式",
              "a Camunda (JUEL) template": " Camunda 的 JUEL 模板",
              "a Camunda 8 (FEEL) expression": " Camunda 8 的 FEEL 表达式"}
_ADVICE = {"timer": "本平台的定时器是给出 ISO 8601 文本的 Python 表达式，如 'P3D'、'2026-10-01T09:00:00+08:00' 或 "
                    "working_days(3)",
           "condi": "本平台的条件是对案件数据求值的 Python 表达式",
           "expre": "本平台的表达式是对案件数据求值的 Python 表达式"}

# Each piece of advice of the catalogue, in Chinese; {what} and {value} as in the English template.
ADVICE_ZH: dict[str, str] = {
    catalogue.COMPENSATION: "本引擎不执行补偿：请把撤销操作画成普通步骤——例如在失败的步骤之后用错误边界事件或排他网关，"
                            "引向撤销已办事项的任务",
    catalogue.ELEMENTS["complexGateway"].advice: "不执行复杂网关：请改用包容网关（条件成立的每个分支都走，之后再汇合）"
                                                 "或排他网关",
    catalogue.ELEMENTS["serviceTask"].advice: "交给外部系统的工作：<spiffworkflow:serviceTaskOperator id=\"TOPIC\" "
                                              "resultVariable=\"VAR\"> 及其参数；主题 TOPIC 的外部工作者领取任务，"
                                              "其答复写入 VAR",
    catalogue.EVENT_RULES["timerStart"].advice: "定时开始事件会按时间表自动启动案件，本平台不这样做：请改用普通开始事件"
                                                "（案件从网页或 POST /api/v1/process-instances 启动，外部调度程序可以调"
                                                "用"
                                                "该接口），需要等待的放在其后作为定时中间事件",
    catalogue.EVENT_RULES["conditionalStart"].advice: "条件开始事件无法启动案件（启动前还没有数据）：请改用普通开始事件"
                                                      "，"
                                                      "其后接条件中间事件或排他网关",
    catalogue.EVENT_RULES["instantiate"].advice: "不执行用于启动案件的事件网关：请以开始事件开始流程（由消息启动的，"
                                                 "用消息开始事件）",
    catalogue.EVENT_RULES["parallelEventGateway"].advice: "不执行并行事件网关：请改用排他事件网关"
                                                          "（eventGatewayType=\"Exclusive\"）",
    catalogue.EVENT_RULES["sequentialAdHoc"].advice: "不执行顺序执行的自由子流程：请使用 ordering=\"Parallel\"，"
                                                     "或改用按顺序排列各步骤的嵌入子流程",
    catalogue.EVENT_RULES["resourceRole"].advice: "本平台按泳道把任务交给部门：请把任务放进以部门命名（"
                                                  "organisation.yaml "
                                                  "中的部门代码或名称）的泳道，并删除 {what}",
    catalogue.EVENT_RULES["rendering"].advice: "本平台的人工任务表单是流程图旁的 JSON Schema 文件，用 "
                                               "<spiffworkflow:property "
                                               "name=\"formJsonSchemaFilename\" value=\"FORM.json\"/> 指定；请删除 "
                                               "{what}",
    catalogue.EVENT_RULES["complexBehaviorDefinition"].advice: "不执行复杂的多实例行为：请改用完成条件，并删除 {what}",
    catalogue.EVENT_RULES["scriptFormat"].advice: "本平台的脚本使用 Python：请用 Python 改写脚本，并设置 "
                                                  "scriptFormat=\"python\"（或删除该属性）",
    catalogue.EVENT_RULES["conditionLanguage"].advice: "本平台的条件使用 Python：请用 Python 改写条件，并删除 "
                                                       "language=\"{value}\"",
    catalogue.LANE: "本平台按泳道把任务交给部门：请把任务放进以部门命名（organisation.yaml 中的部门代码或名称）的泳道，"
                    "并删除 {what}",
    catalogue.FORM: "本平台的表单是与流程图一起上传的 JSON Schema 文件：请在此元素的 bpmn:extensionElements/"
                    "spiffworkflow:properties 中加入 <spiffworkflow:property name=\"formJsonSchemaFilename\" "
                    "value=\"FORM.json\"/>，并删除 {what}",
    catalogue.SERVICE: "本引擎不运行 Java 类或引擎表达式：请用 <spiffworkflow:serviceTaskOperator id=\"TOPIC\"> 把工作"
                       "交给"
                       "外部系统（外部执行程序领取 TOPIC），或在 Python 脚本任务中计算；并删除 {what}",
    catalogue.TOPIC: "请在任务的 bpmn:extensionElements 中写 <spiffworkflow:serviceTaskOperator id=\"{value}\"/>"
                     "（外部执行程序领取该主题），并删除 {what}",
    catalogue.DEADLINE: "本平台的办理时限是任务上的定时边界事件，例如到期时间 working_days(3) 或 "
                        "'2026-10-01T18:00:00+08:00'；请删除 {what}",
    catalogue.NOT_NEEDED: "本平台不需要此设置：出错的步骤会使案件进入异常待处理，由管理员重新处理时从上一个等待点再次"
                          "执行；请删除 {what}",
    catalogue.LISTENER: "监听器在 Camunda 内部运行代码：请把这项工作放在此元素之前或之后的 Python 脚本任务中，或写在 "
                        "spiffworkflow:preScript / spiffworkflow:postScript 中；并删除 {what}",
    catalogue.IO_MAPPING: "本平台的变量就是案件数据，各步骤共用：请在脚本任务或 spiffworkflow:preScript / "
                          "spiffworkflow:postScript 中设置或改名；并删除 {what}",
    catalogue.CALL_MAPPING: "被调用的流程会得到案件数据的副本，并把它的数据交回：请在调用活动上用 "
                            "spiffworkflow:preScript / "
                            "spiffworkflow:postScript 整理数据；并删除 {what}",
    catalogue.CALL_BINDING: "调用活动总是调用被调用流程的最新部署版本；请删除 {what}",
    catalogue.CALLED_ELEMENT: "请直接在 bpmn:callActivity 上写 calledElement=\"{value}\"，并删除 {what}",
    catalogue.DECISION: "业务规则任务在 bpmn:extensionElements 中用 <spiffworkflow:calledDecisionId>{value}"
                        "</spiffworkflow:calledDecisionId> 指定决策（与流程一起上传的 .dmn 文件中的决策）；其结果按决策"
                        "表"
                        "的输出名称写入案件数据；请删除 {what}",
    catalogue.MULTI: "本平台的多实例任务在 bpmn:multiInstanceLoopCharacteristics 中用 <bpmn:loopDataInputRef>LIST"
                     "</bpmn:loopDataInputRef> 和 <bpmn:inputDataItem id=\"ITEM\" name=\"ITEM\"/> 读取列表；请删除 "
                     "{what}",
    catalogue.STARTER: "谁可以发起案件由账号角色决定；请删除 {what}",
    catalogue.INITIATOR: "案件会记录发起人；请删除 {what}",
    catalogue.RESULT: "本平台的脚本通过赋值设置案件数据（result = …），服务任务在 spiffworkflow:serviceTaskOperator 上"
                      "用 "
                      "resultVariable 指定结果变量；请删除 {what}",
    catalogue.ERROR_VARIABLE: "本平台不把错误详情复制到变量中；请删除 {what}",
    catalogue.CONDITION_VARIABLE: "条件事件的条件会在案件数据每次变化时检查；请删除 {what}",
    catalogue.SCRIPT_RESOURCE: "本平台的脚本是写在脚本任务 bpmn:script 中的 Python；请删除 {what}",
    catalogue.PROPERTIES: "本平台的扩展属性写作 <spiffworkflow:properties><spiffworkflow:property name=\"…\" "
                          "value=\"…\"/></spiffworkflow:properties>（读取 formJsonSchemaFilename 和 "
                          "formUiSchemaFilename）；请迁移需要的内容，并删除 {what}",
    catalogue.CORRELATION: "消息按案件编号、业务编号或关联值送达案件（POST /api/v1/messages）；请删除 {what}",
    catalogue.HEADERS: "请把要交给外部系统的值写成任务的 spiffworkflow:serviceTaskOperator 中的 "
                       "<spiffworkflow:parameters>；并删除 {what}",
    catalogue.INLINE_SCRIPT: "请把脚本用 Python 写在脚本任务的 bpmn:script 中；并删除 {what}",
    catalogue.CAMUNDA_FORM: "本平台人工任务的表单是与流程图一起上传的 JSON Schema 文件，在任务上用 "
                            "<spiffworkflow:property "
                            "name=\"formJsonSchemaFilename\" value=\"FORM.json\"/> 指定；请把此表单改写为 JSON Schema，"
                            "并删除 {what}",
    catalogue.GENERIC: "这是其他引擎的设置，本平台不读取；请删除 {what}",
    catalogue.DECISION_RESULT: "决策的输出按决策表的输出名称写入案件数据；请删除 {what}",
}


def _advice_pattern(english: str) -> re.Pattern[str]:
    """The English template as a pattern: {what} and {value} become named groups."""
    pattern = re.escape(english).replace(r"\{what\}", "(?P<what>.+?)").replace(r"\{value\}", "(?P<value>.+?)")
    return re.compile(f"^{pattern}$", re.S)


def advice_rules() -> list[tuple[re.Pattern[str], Template]]:
    """Longest templates first, so that a template which ends another is not matched in its place."""
    return [(_advice_pattern(english), chinese) for english, chinese in
            sorted(ADVICE_ZH.items(), key=lambda item: -len(item[0]))]


# More kinds of element a problem may name.
MORE_KINDS = {"input": "输入列", "output": "输出列", "error": "错误", "message": "消息", "signal": "信号",
              "escalation": "升级", "collaboration": "协作图", "dataStoreReference": "数据存储",
              "dataObject": "数据对象",
              "adHocSubProcess": "自由子流程", "multiInstanceLoopCharacteristics": "多实例设置",
              "standardLoopCharacteristics": "循环设置", "definitions": "文件", "decision": "决策"}

# What a problem is about, before ": " (the element labels come from check_messages.element_label).
MORE_SUBJECTS: list[tuple[str, Template]] = [
    (r"^(?P<code><?(?:camunda|zeebe|activiti|flowable):[\w.-]+(?:=\"[^\"]*\")?>?)$", "{code}"),
    (r"^'(?P<id>[^']*)'(?: \((?P<name>.*)\))?$",
     lambda m: f"元素“{m['name']}”（{m['id']}）" if m["name"] else f"元素“{m['id']}”"),
    (r"^timer '(?P<id>[^']*)'(?: \((?P<name>.*)\))?$",
     lambda m: f"定时器“{m['name']}”（{m['id']}）" if m["name"] else f"定时器“{m['id']}”"),
    (r"^input entry$", "决策表输入条目"),
    (r"^input expression$", "决策表输入表达式"),
    (r"^input entry (?P<entry>.+?) \(evaluated as (?P<expr>.+)\)$", "决策表输入条目 {entry}（按 {expr} 计算）"),
    (r"^(?P<kind>timeDate|timeDuration|timeCycle) "
     r"(?P<value>'.*')$", lambda m: f"{_TIMER_NAMES[m['kind']]} {m['value']}"),
    (r"^element '(?P<id>[^']*)'$", "元素“{id}”"),
    (r"^the flow$", "此流程"),
]

# Whole sentences (or what follows a subject).
MORE_MESSAGES: list[tuple[str, Template]] = [
    # element rules (engine/bpmn/element_rules.py)
    (r"^its timer has no time: give it a timeDate \(e\.g\. working_days\(3\)\), a timeDuration \(e\.g\. 'P3D'\) "
     r"or a timeCycle \(e\.g\. 'R3/PT1H'\)$",
     "它的定时器没有时间：请填写到期时间（如 working_days(3)）、持续时间（如 'P3D'）或循环周期（如 'R3/PT1H'）"),
    (r"^its timer has no time the engine can read: give it a timeDate, timeDuration or timeCycle$",
     "引擎读不出它的定时器时间：请填写到期时间、持续时间或循环周期"),
    (r"^its conditional event has no condition: write one in Python, e\.g\. approved == True$",
     "它的条件事件没有条件：请用 Python 写一个，如 approved == True"),
    (r"^a boundary event needs a trigger: give it a timer, error, escalation, message, signal or conditional event "
     r"definition, or delete it$", "边界事件需要触发方式：请给它定时、错误、升级、消息、信号或条件事件定义，或删除它"),
    (r"^a boundary event needs a timer, error, escalation, message, signal or conditional definition$",
     "边界事件需要定时、错误、升级、消息、信号或条件事件定义"),
    (r"^cancel events belong to transactions \(a cancel end event inside one, a cancel boundary event on one\): "
     r"use an error event instead$", "取消事件只用于事务子流程（其中的取消结束事件、其上的取消边界事件）：请改用错误事"
                                     "件"),
    (r"^cancel events belong to transactions$", "取消事件只用于事务子流程"),
    (r"^(?P<attr>\w+)=\"(?P<value>[^\"]*)\" names no (?P<target>message|signal|error|escalation) of this file: add "
     r"<bpmn:(?P=target) id=\"(?P<wanted>[^\"]*)\" name=\"…\"/> at the top of the file, or pick one it defines$",
     lambda m: f"{m['attr']}=\"{m['value']}\" 指向的{_TARGETS[m['target']]}在本文件中没有定义：请在文件开头加入 "
               f"<bpmn:{m['target']} id=\"{m['wanted']}\" name=\"…\"/>，或选用已定义的"),
    (r"^(?P<kind>message|signal) '(?P<id>[^']*)' has no name: name it \(the name is what reaches a case\)$",
     lambda m: f"{_TARGETS[m['kind']]}“{m['id']}”没有名称：请为它命名（送达案件的是名称）"),
    (r"^sequence flow '(?P<id>[^']*)' connects (?P<label>.+), which is not an event, activity or gateway$",
     "_label:顺序流“{id}”连接的{label}不是事件、活动或网关"),
    (r"^sequence flow '(?P<id>[^']*)' connects (?P<label>.+), which is in another \(sub\)process: a sequence flow "
     r"stays inside one; end the subprocess instead, or use a message between pools$",
     "_label:顺序流“{id}”连接的{label}在另一个（子）流程中：顺序流只能在同一个流程内；请改为结束子流程，或在池之间用消"
     "息"),
    (r"^sequence flow '(?P<id>[^']*)' out of (?P<label>.+) has a condition, which BPMN ignores there: remove it, "
     r"or choose branches with an exclusive or inclusive gateway$",
     "_label:从{label}流出的顺序流“{id}”带有条件，BPMN 在此处会忽略它：请删除条件，或用排他网关、包容网关选择分支"),
    (r"^(?P<n>\d+) link catch events are named '(?P<link>[^']*)' in (?P<label>.+): a link jumps to one; rename one "
     r"of them$", "_label:{label}中有 {n} 个名为“{link}”的链接捕获事件：一个链接只能跳到一处；请为其中之一改名"),
    (r"^its link has no name: name the link the same as the link catch event it jumps to$",
     "它的链接没有名称：请按要跳到的链接捕获事件为它命名"),
    (r"^no link catch event named '(?P<link>[^']*)' is in (?P<label>.+): add one there \(a link jumps within its "
     r"own process or subprocess\), or name the link like an existing one$",
     "_label:{label}中没有名为“{link}”的链接捕获事件：请在其中添加一个（链接只在本流程或子流程内跳转），或改用已有的链"
     "接名"),
    (r"^no link throw event jumps to link '(?P<link>[^']*)' in (?P<label>.+), so it never runs: add one there, or "
     r"delete it$", "_label:{label}中没有跳到链接“{link}”的链接抛出事件，它永远不会执行：请添加一个，或删除它"),
    (r"^(?P<label>.+) has no script: write Python in it, or make it a plain task$",
     "_label:{label}没有脚本：请在其中写 Python，或改为普通任务"),
    (r"^(?P<label>.+) names no decision: add <spiffworkflow:calledDecisionId>DECISION_ID"
     r"</spiffworkflow:calledDecisionId> inside its bpmn:extensionElements(?:, the id of a decision in a \.dmn "
     r"uploaded with the flow)?$",
     "_label:{label}没有指定决策：请在其 bpmn:extensionElements 中加入 <spiffworkflow:calledDecisionId>DECISION_ID"
     "</spiffworkflow:calledDecisionId>，即与流程一起上传的 .dmn 文件中某个决策的 ID"),
    (r"^a spiffworkflow:property needs both a name and a value$", "spiffworkflow:property 需要同时有 name 和 value"),
    (r"^(?P<label>.+) names no service operator: a service task hands work to an outside system: add "
     r"<spiffworkflow:serviceTaskOperator id=\"TOPIC\" resultVariable=\"VAR\"> inside its bpmn:extensionElements "
     r"\(external workers of TOPIC, e\.g\. finance\.payment, fetch the job; their answer goes into VAR\), with "
     r"<spiffworkflow:parameters><spiffworkflow:parameter id=\"NAME\" type=\"str\" value=\"EXPRESSION\"/> for what "
     r"they need$",
     "_label:{label}没有指定服务操作：服务任务把工作交给外部系统。请在其 bpmn:extensionElements 中加入 "
     "<spiffworkflow:serviceTaskOperator id=\"TOPIC\" resultVariable=\"VAR\">（主题 TOPIC 的外部工作者领取任务，例如 "
     "finance.payment，其答复写入 VAR），并用 <spiffworkflow:parameters><spiffworkflow:parameter id=\"NAME\" "
     "type=\"str\" value=\"EXPRESSION\"/> 写明外部系统需要的值"),
    (r"^topic '(?P<topic>[^']*)' \(the serviceTaskOperator's id\) must be 1 to 120 letters, digits, '\.', '_', ':' or "
     r"'-', starting with a letter or digit, e\.g\. finance\.payment$",
     "主题“{topic}”（serviceTaskOperator 的 id）须为 1 到 120 个字母、数字或“.”“_”“:”“-”，以字母或数字开头，例如 "
     "finance.payment"),
    (r"^resultVariable '(?P<name>[^']*)' must be a variable name \(letters, digits and '_', not starting with '_' or "
     r"a digit\)$", "resultVariable“{name}”须为变量名（字母、数字和“_”，不以“_”或数字开头）"),
    (r"^a spiffworkflow:parameter has no id: name it$", "有一个 spiffworkflow:parameter 没有 id：请为它命名"),
    (r"^parameter '(?P<name>[^']*)' is given twice$", "参数“{name}”出现了两次"),
    (r"^parameter '(?P<name>[^']*)' needs a type \(e\.g\. type=\"str\"\) and a value \(a Python expression, e\.g\. "
     r"value=\"applicant_name\" or value=\"'text'\"\)$",
     "参数“{name}”需要类型（例如 type=\"str\"）和值（一个 Python 表达式，例如 value=\"applicant_name\" 或 "
     "value=\"'text'\"）"),
    (r"^retries=\"(?P<value>[^\"]*)\" must be a whole number from 0 to (?P<max>\d+)$",
     "retries=\"{value}\" 须为 0 到 {max} 之间的整数"),
    (r"^it reads or writes the SpiffArena (?P<store>\S+) '(?P<id>[^']*)', which holds data between cases; this "
     r"platform keeps no data stores: keep the data in the case, or fetch it with a service task$",
     "它读写 SpiffArena 的 {store}“{id}”，这种存储在案件之间保存数据；本平台不保留数据存储：请把数据放在案件中，"
     "或用服务任务获取"),
    (r"^its data association names (?P<label>.+); only data objects are read and written here: connect it to a "
     r"data object reference$", "_label:它的数据关联指向{label}；本平台只读写数据对象：请连接到数据对象引用"),
    (r"^(?P<label>.+) names no data object: set dataObjectRef to a bpmn:dataObject of its process$",
     "_label:{label}没有指向数据对象：请把 dataObjectRef 设为其所在流程中的 bpmn:dataObject"),
    (r"^its data object '(?P<id>[^']*)' is defined two or more \(sub\)processes further out; the engine reads data "
     r"objects of the same \(sub\)process or the one around it: define the data object there$",
     "它的数据对象“{id}”定义在外面两层或更多层的（子）流程中；引擎只读取同一（子）流程或外面一层的数据对象：请在那里定"
     "义"),
    (r"^a process has no id: give it one \(it becomes the flow's "
     r"key\)$", "有一个流程没有 ID：请给它一个（它将成为流程标识）"),
    (r"^(?P<label>.+) has nothing to run: draw its start event and its steps$",
     "_label:{label}中没有可执行的内容：请画出开始事件和各个步骤"),
    (r"^an event subprocess starts with exactly one start event with a trigger \(timer, message, signal, error or "
     r"escalation\); it has (?P<n>\d+)$", "事件子流程必须恰好有一个带触发方式（定时、消息、信号、错误或升级）的开始事件"
                                          "；"
                                          "现在有 {n} 个"),
    (r"^(?P<label>.+) has no incoming sequence flow, so it never runs: connect it, or delete it$",
     "_label:{label}没有流入的顺序流，永远不会执行：请连接它，或删除它"),
    (r"^(?P<label>.+) is a plain task in no lane, which nobody would see: put it in a department's lane \(someone "
     r"there confirms it\), or make it a scriptTask if the engine should do it$",
     "_label:{label}是不在任何泳道中的普通任务，没有人会看到它：请放进某个部门的泳道（由该部门人员确认），"
     "或在应由引擎完成时改为脚本任务"),
    (r"^departmentField '(?P<value>.*)' is not a data field name \(letters, digits and _; e\.g\. responsible_unit\)$",
     "departmentField“{value}”不是数据字段名（只含字母、数字和 _，如 responsible_unit）"),
    # the parser's errors (engine/bpmn/spiff_errors.py)
    (r"^(?P<label>.+) has several outgoing sequence flows, which the engine cannot follow from this kind of "
     r"element: lead them through a gateway$", "_label:{label}有多条流出的顺序流，引擎无法从这类元素分出：请经过网关分"
                                               "支"),
    (r"^one of its outgoing sequence flows leads out of its "
     r"\(sub\)process$", "它的某条流出顺序流通向了所在（子）流程之外"),
    (r"^(?P<label>.+) calls decision '(?P<id>[^']*)', which no uploaded \.dmn file defines \(decisions: "
     r"(?P<known>.*)\)$", "_label:{label}调用的决策“{id}”在上传的 .dmn 文件中没有定义（已有的决策：{known}）"),
    (r"^a data (?P<kind>input|output) association names neither a data object reference of its process nor a data "
     r"store$", lambda m: f"数据{'输入' if m['kind'] == 'input' else '输出'}关联指向的既不是所在流程的数据对象引用，也"
                          f"不是数据存储"),
    (r"^(?P<label>.+) has no start event and nothing without an incoming flow that could start it$",
     "_label:{label}没有开始事件，也没有可以作为起点的无流入元素"),
    (r"^a subprocess has at most one start event; it has (?P<n>\d+)$", "子流程最多只能有一个开始事件；现在有 {n} 个"),
    (r"^nothing in this subprocess ends \(every path loops\): give it an end event$",
     "此子流程中没有任何结束（每条路径都在循环）：请加一个结束事件"),
    (r"^data store '(?P<name>.*)' holds data, which the platform does not keep: delete it or use it only as "
     r"documentation$", "数据存储“{name}”保存数据，本平台不保留这类数据：请删除它，或只作说明用"),
    (r"^this kind of element is not run by the engine$", "引擎不执行这类元素"),
    (r"^it names a (?P<kind>message|signal|error|escalation) this file does not define$",
     lambda m: f"它指向的{_TARGETS[m['kind']]}在本文件中没有定义"),
    (r"^two processes or subprocesses have the id '(?P<id>[^']*)': give each its own id$",
     "有两个流程或子流程的 ID 都是“{id}”：请为每个设置不同的 ID"),
    (r"^process '(?P<id>[^']*)' is called but marked isExecutable=\"false\": mark it isExecutable=\"true\"$",
     "流程“{id}”被调用，但标为 isExecutable=\"false\"：请标为 isExecutable=\"true\""),
    (r"^process '(?P<id>[^']*)' is called but no uploaded file or deployed flow defines it$",
     "流程“{id}”被调用，但上传的文件和已部署的流程中都没有定义它"),
    (r"^the \.dmn file has no decision: add a decision table$", ".dmn 文件中没有决策：请添加一个决策表"),
    (r"^the \.dmn file has several decisions: the engine reads one decision table per \.dmn file; put each "
     r"decision in its own file$", ".dmn 文件中有多个决策：引擎每个 .dmn 文件只读取一个决策表；请把每个决策放在单独的文"
                                   "件中"),
    (r"^output entry '(?P<entry>.*)' is not a Python expression$", "输出条目“{entry}”不是 Python 表达式"),
    (r"^(?P<label>.+) cannot be read by the engine as drawn: compare it with the BPMN conventions in the README, or "
     r"draw it with plainer elements$",
     "_label:引擎无法按现在的画法读取{label}：请对照 README 中的 BPMN 约定检查，或改用更简单的元素绘制"),
    # the bounds a diagram may ask of the engine (engine/bpmn/bounds.py, timer_bounds.py)
    (r"^the cycle (?P<value>'.*') repeats every (?P<s>[\d.e+-]+) s; the shortest interval is (?P<m>\d+) minute$",
     "循环周期 {value} 每 {s} 秒重复一次；最短间隔为 {m} 分钟"),
    (r"^the cycle (?P<value>'.*') started in the past and would fire (?P<n>[\d,]+) times at once \(at most "
     r"(?P<max>\d+)\); start it later or give it fewer repetitions$",
     "循环周期 {value} 的开始时间已过，会一次触发 {n} 次（最多 {max} 次）：请推迟开始时间或减少重复次数"),
    (r"^a multi-instance of (?P<n>[\d,]+) items; at most (?P<max>[\d,]+) \(split the work into several cases, or a "
     r"list of that size\)$", "多实例有 {n} 项；最多 {max} 项（请把工作分到多个案件中，或使用不超过此数的列表）"),
    (r"^a loop needs loopMaximum \(at most (?P<max>[\d,]+)\) so that it ends$",
     "循环需要设置 loopMaximum（最多 {max}），以保证它会结束"),
    (r"^loopMaximum (?P<n>[\d,]+) is over the limit of (?P<max>[\d,]+)$", "loopMaximum {n} 超过上限 {max}"),
    (r"^(?P<label>'[^']*'(?: \(.*\))?) has (?P<n>[\d,]+) outgoing flows; at most (?P<max>\d+) \(a multi-instance "
     r"activity runs one step for many items\)$",
     lambda m: f"{_bare(m['label'])}有 {m['n']} 条流出的顺序流；最多 {m['max']} 条（多实例活动可以对许多项执行同一步骤"
               f"）"),
    (r"^(?P<kind>timeDate|timeDuration|timeCycle) (?P<value>'.*') reaches beyond the years (?P<a>\d+)–(?P<b>\d+) "
     r"the platform works with$", lambda m: f"{_TIMER_NAMES[m['kind']]} {m['value']} 超出了平台支持的年份范围"
                                            f"（{m['a']}–{m['b']} 年）"),
    (r"^(?P<when>\S+) is outside the years (?P<a>\d+)–(?P<b>\d+) the platform works with$",
     "{when} 超出了平台支持的年份范围（{a}–{b} 年）"),
    (r"^(?P<kind>timeDate|timeDuration|timeCycle) (?P<value>'.*') spans more than (?P<n>\d+) years$",
     lambda m: f"{_TIMER_NAMES[m['kind']]} {m['value']} 的时长超过 {m['n']} 年"),
    (r"^the diagram has (?P<n>\d+) events, activities, gateways and sequence flows; a flow has at most (?P<max>\d+): "
     r"split it into flows called by call activities$",
     "流程图有 {n} 个事件、活动、网关和顺序流；一个流程最多 {max} 个：请拆分为由调用活动调用的多个流程"),
    # the XML schema's own words (lxml), after "XML schema: "
    (r"^XML schema: Element '(?P<el>[^']*)': This element is not expected\.(?: Expected is (?:one of )?"
     r"\( ?(?P<exp>.+?) ?\))?\.?$",
     lambda m: f"不符合 BPMN 的 XML 规范：元素 {m['el']} 不应出现在这里" +
               (f"（这里应为 {m['exp']}）" if m["exp"] else "")),
    (r"^XML schema: Element '(?P<el>[^']*)', attribute '(?P<attr>[^']*)': '(?P<value>.*)' is not a valid value of "
     r"the atomic type '(?P<type>[^']*)'\.$", "不符合 BPMN 的 XML 规范：元素 {el} 的属性 {attr} 的值 '{value}' 不是合法"
                                              "的 "
                                             "{type}（ID 须以字母或下划线开头，不含空格）"),
    (r"^XML schema: Element '(?P<el>[^']*)': The attribute '(?P<attr>[^']*)' is required but missing\.$",
     "不符合 BPMN 的 XML 规范：元素 {el} 缺少必需的属性 {attr}"),
    (r"^XML schema: Element '(?P<el>[^']*)', attribute '(?P<attr>[^']*)': The attribute '(?P=attr)' is not "
     r"allowed\.$", "不符合 BPMN 的 XML 规范：元素 {el} 不允许有属性 {attr}"),
    (r"^XML schema: Element '(?P<el>[^']*)': Missing child element\(s\)\. Expected is (?:one of )?\( ?(?P<exp>.+?) "
     r"?\)\.$", "不符合 BPMN 的 XML 规范：元素 {el} 缺少子元素（应有 {exp}）"),
    (r"^XML schema: Element '(?P<el>[^']*)': '(?P<value>.*)' is not a valid value of the atomic type "
     r"'(?P<type>[^']*)'\.$", "不符合 BPMN 的 XML 规范：元素 {el} 的值 '{value}' 不是合法的 {type}"),
    (r"^XML schema: Element '(?P<el>[^']*)': Character content other than whitespace is not allowed because the "
     r"content type is 'element-only'\.$", "不符合 BPMN 的 XML 规范：元素 {el} 只能包含子元素，不能直接包含文字"),
    # the XML reader's and the JSON Schema checker's own words (lxml, jsonschema)
    (r"^not well-formed XML: (?P<detail>.+?)(?: \(column (?P<col>\d+)\))?$",
     lambda m: (f"XML 格式不正确：{detail}" + (f"（第 {m['col']} 列）" if m["col"] else ""))
     if (detail := library_detail(m["detail"])) else None),
    (r"^not a valid JSON Schema at (?P<where>.+?): (?P<detail>.+)$",
     lambda m: f"不是有效的 JSON Schema（位置：{m['where']}）：{detail}" if (detail := library_detail(m["detail"]))
     else None),
    # files and processes (engine/bpmn/validation.py)
    (r"^part of the checks could not read this file; simplify the diagram around its unusual parts, or report it "
     r"with the file$", "部分检查无法读取此文件：请简化图中不常见的部分，或连同文件一起反馈"),
    (r"^(?P<label>.+) names no process to call: set its calledElement to the id of an executable process$",
     "_label:{label}没有指定要调用的流程：请把 calledElement 设为某个可执行流程的 ID"),
    (r"^every executable process \((?P<ids>.*)\) is called by a callActivity, so none of them starts the flow: a flow "
     r"needs one process that no callActivity calls$",
     "每个可执行流程（{ids}）都被调用活动调用，因而没有一个能启动流程：流程需要有一个不被任何调用活动调用的流程"),
    (r"^no top-level executable process: every process is marked isExecutable=\"false\"; mark the flow's process "
     r"isExecutable=\"true\"$", "没有顶层可执行流程：所有流程都标为 isExecutable=\"false\"；请把流程标为 "
                                "isExecutable=\"true\""),
    (r"^the file defines no process: draw the flow in a process \(or a pool holding one\)$",
     "文件中没有定义流程：请在流程（或包含流程的池）中绘制"),
    (r"^unknown DMN namespace (?P<ns>.+); expected one of "
     r"(?P<known>.+)$", "不认识的 DMN 命名空间 {ns}：应为 {known} 之一"),
    (r"^cannot read the file: (?P<detail>.+)$", "无法读取文件：{detail}"),
    # expressions and decision tables (engine/bpmn/expression_checks.py, vendor_hints.py)
    (r"^the expression cannot be checked; simplify it$", "无法检查此表达式：请简化"),
    (r"^the entry cannot be checked; simplify it$", "无法检查此条目：请简化"),
    (r"^the file has no decision: add a decision with a decision table$", "文件中没有决策：请添加一个带决策表的决策"),
    (r"^the file has (?P<n>\d+) decisions; the engine reads one decision per \.dmn file: put each decision in its "
     r"own file$", "文件中有 {n} 个决策；引擎每个 .dmn 文件只读取一个决策：请把每个决策放在单独的文件中"),
    (r"^decision '(?P<id>[^']*)' is not a decision table \(a literal expression is not run\): write it as a "
     r"decision table$", "决策“{id}”不是决策表（不执行文字表达式）：请改写为决策表"),
    (r"^(?P<entry>input entry: )?(?P<src>.+) is a FEEL range; entries are Python here \(\? is the input's value\): "
     r"write (?P<py>.+)$", lambda m: ("决策表输入条目：" if m["entry"] else "") + f"{m['src']} 是 FEEL 区间写法；"
                                    f"本平台的条目是 Python（? 代表输入值）：请写作 {m['py']}"),
    (r"^(?P<entry>input entry: )?(?P<src>.+) is a FEEL negation; entries are Python here \(\? is the input's value\): "
     r"write (?P<py>.+)$", lambda m: ("决策表输入条目：" if m["entry"] else "") + f"{m['src']} 是 FEEL 否定写法；"
                                    f"本平台的条目是 Python（? 代表输入值）：请写作 {m['py']}"),
    (r"^(?P<entry>input entry: )?(?P<src>.+) is a FEEL list; entries are Python here \(\? is the input's value\): "
     r"write (?P<py>.+)$", lambda m: ("决策表输入条目：" if m["entry"] else "") + f"{m['src']} 是 FEEL 列表写法；"
                                    f"本平台的条目是 Python（? 代表输入值）：请写作 {m['py']}"),
    (r"^(?P<src>.+) is (?P<lang>a Camunda \(JUEL\) expression|a Camunda \(JUEL\) template|a Camunda 8 \(FEEL\) "
     r"expression); (?P<advice>timers are Python expressions here that give ISO 8601 text, such as 'P3D', "
     r"'2026-10-01T09:00:00\+08:00' or working_days\(3\)|conditions are Python here, evaluated on the case's data|"
     r"expressions are Python here, evaluated on the case's data)(?:: write (?P<py>.+)|: rewrite it in Python)$",
     lambda m: f"{m['src']} 是{_LANGUAGES[m['lang']]}；{_ADVICE[m['advice'][:5]]}：" +
               (f"请写作 {m['py']}" if m["py"] else "请用 Python 改写")),
    (r"^(?P<src>\S+) is read as Python: quote the ISO 8601 text and give it an offset, e\.g\. (?P<example>.+)$",
     "{src} 会被当作 Python 表达式：ISO 8601 文本须加引号并写明时区偏移，如 {example}"),
    (r"^(?P<src>.+) is not an ISO 8601 text$", "{src} 不是 ISO 8601 文本"),
    (r"^(?P<value>'.*') is not an ISO 8601 date-time, e\.g\. (?P<example>.+)$",
     "{value} 不是 ISO 8601 日期时间，应写作如 {example}"),
    (r"^(?P<value>'.*') has no UTC offset, so it would be read in the server's time zone; write it with one, "
     r"e\.g\. (?P<example>.+)$", "{value} 没有时区偏移，会按服务器时区理解：请写明偏移，如 {example}"),
    (r"^(?P<value>'.*') is not an ISO 8601 duration such as P3D or "
     r"PT1H$", "{value} 不是 ISO 8601 时长（如 P3D、PT1H）"),
    (r"^(?P<value>'.*') is not an ISO 8601 repetition R\[n\]/start/duration or R\[n\]/duration$",
     "{value} 不是 ISO 8601 重复格式 R[n]/开始/时长 或 R[n]/时长"),
    (r"^instructions may use the filters (?P<known>.+); not (?P<unknown>.+)$",
     "办理说明只能使用这些过滤器：{known}；不能使用 {unknown}"),
    (r"^(?P<key>\$ref|\$dynamicRef|\w+) (?P<value>'.*') leads back to itself without reading any further.*$",
     "{key} {value} 会无止境地引用自身：请改写"),
    (r"^(?P<value>.+) is not a number JSON can carry; write a finite "
     r"number$", "{value} 不是 JSON 能表示的数字：请写有限的数字"),
]


def _bare(label: str) -> str:
    found = re.match(r"^'(?P<id>[^']*)'(?: \((?P<name>.*)\))?$", label)
    if found is None:
        return label
    return f"元素“{found['name']}”（{found['id']}）" if found["name"] else f"元素“{found['id']}”"


# What lxml and jsonschema say, inside the messages above.
LIBRARY_DETAILS: list[tuple[re.Pattern[str], str]] = [(re.compile(p), t) for p, t in [
    (r"^Namespace prefix (?P<prefix>\S+) on (?P<el>\S+) is not "
     r"defined$", "元素 {el} 用到的命名空间前缀 {prefix} 没有声明"),
    (r"^Namespace prefix (?P<prefix>\S+) for (?P<attr>\S+) on (?P<el>\S+) is not defined$",
     "元素 {el} 的属性 {attr} 用到的命名空间前缀 {prefix} 没有声明"),
    (r"^Couldn't find end of Start Tag (?P<el>\S+)(?: line \d+)?$", "找不到开始标签 {el} 的结尾"),
    (r"^Premature end of data in tag (?P<el>\S+)(?: line \d+)?$", "标签 {el} 中的内容提前结束（文件不完整）"),
    (r"^Opening and ending tag mismatch: (?P<a>\S+)(?: line \d+)? and "
     r"(?P<b>\S+)$", "开始标签 {a} 与结束标签 {b} 不匹配"),
    (r"^Document is empty$", "文档为空"),
    (r"^Start tag expected, '<' not found$", "应以开始标签开头，找不到“<”"),
    (r"^Extra content at the end of the document$", "文档末尾有多余内容"),
    (r"^attributes construct error$", "属性写法有误"),
    (r"^EntityRef: expecting ';'$", "实体引用缺少“;”（文字中的 & 请写作 &amp;）"),
    (r"^(?P<value>.+) is not valid under any of the given schemas$", "{value} 不符合任何一种允许的写法"),
    (r"^(?P<value>.+) is not of type (?P<type>.+)$", "{value} 的类型不是 {type}"),
    (r"^(?P<value>.+) is a required property$", "缺少必需的属性 {value}"),
    (r"^Additional properties are not allowed \((?P<extra>.+) (?:was|were) unexpected\)$",
     "不允许额外的属性（多出了 {extra}）"),
    (r"^(?P<value>.+) is not one of (?P<options>.+)$", "{value} 不是可选值之一：{options}"),
    (r"^(?P<value>.+) is too long$", "{value} 太长"), (r"^(?P<value>.+) is too short$", "{value} 太短"),
    (r"^(?P<value>.+) is less than the minimum of (?P<n>.+)$", "{value} 小于最小值 {n}"),
    (r"^(?P<value>.+) is greater than the maximum of (?P<n>.+)$", "{value} 大于最大值 {n}"),
]]


def library_detail(text: str) -> str | None:
    """lxml's or jsonschema's words in Chinese, or None (the caller then reads the message otherwise)."""
    for pattern, template in LIBRARY_DETAILS:
        found = pattern.match(text.strip())
        if found is not None:
            return template.format(**found.groupdict())
    return None
