"""The problems 检查 finds, in the designer's language. The engine words each problem in English
(engine/bpmn/validation.py, the sandbox's checker); this module reads those sentences by pattern and says them
in Chinese. A message is built from parts — "script of userTask 'x' (名称): syntax error: '(' was never closed"
— so the parts are translated one by one. A message no pattern knows keeps its English words behind a Chinese
lead-in; tests/test_check_messages.py lists the problems that must come out fully in Chinese."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from .check_advice import MORE_KINDS, MORE_MESSAGES, MORE_SUBJECTS, advice_rules
from .display import is_english

Rule = tuple[re.Pattern[str], str | Callable[[re.Match[str]], str | None]]

ELEMENT_KINDS = {
    "userTask": "人工任务", "manualTask": "手工任务", "scriptTask": "脚本任务", "serviceTask": "服务任务",
    "sendTask": "发送任务", "receiveTask": "接收任务", "businessRuleTask": "业务规则任务", "task": "任务",
    "callActivity": "调用活动", "subProcess": "子流程", "transaction": "事务子流程",
    "startEvent": "开始事件", "endEvent": "结束事件", "boundaryEvent": "边界事件",
    "intermediateCatchEvent": "中间捕获事件", "intermediateThrowEvent": "中间抛出事件",
    "exclusiveGateway": "排他网关", "inclusiveGateway": "包容网关", "parallelGateway": "并行网关",
    "eventBasedGateway": "事件网关", "complexGateway": "复杂网关", "sequenceFlow": "顺序流", "lane": "泳道",
    "process": "流程", "participant": "池", "dataObjectReference": "数据对象",
}
TIMER_KINDS = {"timeDate": "到期时间（timeDate）", "timeDuration": "持续时间（timeDuration）",
               "timeCycle": "循环周期（timeCycle）"}
FORM_ROLES = {"formJsonSchemaFilename": "表单文件", "formUiSchemaFilename": "界面设置文件"}

_LABEL = re.compile(r"^(?P<kind>[A-Za-z]+) '(?P<id>[^']*)'(?: \((?P<name>.*)\))?$")


def element_label(text: str) -> str | None:
    """``userTask 'review' (审核)`` → 人工任务“审核”（review）."""
    found = _LABEL.match(text.strip())
    if found is None or found["kind"] not in ELEMENT_KINDS:
        return None
    kind, element_id, name = ELEMENT_KINDS[found["kind"]], found["id"], found["name"]
    return f"{kind}“{name}”（{element_id}）" if name else f"{kind}“{element_id}”"


def _labelled(template: str) -> Callable[[re.Match[str]], str | None]:
    """A template whose {label} is an element label, translated; other groups are kept as they are."""
    def render(found: re.Match[str]) -> str | None:
        values = found.groupdict()
        label = element_label(values.get("label") or "")
        if label is None:
            return None
        return template.format(**{**values, "label": label})
    return render


def _rules(pairs: list[tuple[str, str | Callable[[re.Match[str]], str | None]]]) -> list[Rule]:
    return [(re.compile(pattern, re.S), template) for pattern, template in pairs]


# The part before ": " that says what a problem is about.
SUBJECTS = _rules([
    (r"^condition of sequence flow '(?P<id>[^']*)'$", "顺序流“{id}”的条件"),
    (r"^script of (?P<label>.+)$", _labelled("{label}的脚本")),
    (r"^preScript of (?P<label>.+)$", _labelled("{label}的前置脚本")),
    (r"^postScript of (?P<label>.+)$", _labelled("{label}的后置脚本")),
    (r"^(?P<kind>timeDate|timeDuration|timeCycle)$", lambda m: TIMER_KINDS[m["kind"]]),
    (r"^(?P<kind>timeDate|timeDuration|timeCycle) of (?P<label>.+)$",
     lambda m: f"{label}的{TIMER_KINDS[m['kind']]}" if (label := element_label(m["label"])) else None),
    (r"^loop cardinality$", "循环次数"), (r"^completion condition$", "完成条件"), (r"^loop condition$", "循环条件"),
    (r"^output entry of rule '(?P<id>[^']*)'$", "决策表规则“{id}”的输出"),
    (r"^input entry (?P<entry>.+?)(?: \(evaluated as (?P<expr>.+)\))?$",
     lambda m: f"决策表输入条目 {m['entry']}" + (f"（按 {m['expr']} 计算）" if m["expr"] else "")),
    (r"^(?P<label>[A-Za-z]+ '[^']*'(?: \(.*\))?)$", _labelled("{label}")),
    (r"^XML schema$", "不符合 BPMN 的 XML 规范"),
])

# Whole messages (or what follows a subject).
MESSAGES = _rules([
    # files
    (r"^the flow could not be parsed$", "无法解析此流程"),
    (r"^(?P<n>\d+) files uploaded; a flow has at most (?P<m>\d+)$", "上传了 {n} 个文件，一个流程最多 {m} 个"),
    (r"^the file name must be a plain name, without folders or '\.\.'$", "文件名不能带文件夹路径或“..”"),
    (r"^only \.bpmn, \.dmn and \.json \(form\) files belong to a flow$",
     "流程只能包含 .bpmn、.dmn 和 .json（表单）文件"),
    (r"^the file is larger than (?P<n>\d+) KiB$", "文件超过 {n} KiB"),
    (r"^no \.bpmn file: a flow needs its diagram$", "没有 .bpmn 文件：流程需要流程图"),
    (r"^not well-formed XML: (?P<detail>.+)$", "XML 格式不正确：{detail}"),
    (r"^cannot read the XML: (?P<detail>.+)$", "无法读取 XML：{detail}"),
    (r"^the document element must be <(?P<tag>[^>]+)>$", "文档的根元素必须是 <{tag}>"),
    (r"^not a BPMN 2\.0 document \(namespace (?P<ns>.+)\)$", "不是 BPMN 2.0 文档（命名空间应为 {ns}）"),
    (r"^not UTF-8 text$", "不是 UTF-8 编码的文本"),
    (r"^not valid JSON: nested too deeply$", "JSON 嵌套层次过深"),
    (r"^not valid JSON: (?P<detail>.+?) \(column (?P<col>\d+)\)$", "不是有效的 JSON：{detail}（第 {col} 列）"),
    (r"^not valid JSON: (?P<detail>.+)$", "不是有效的 JSON：{detail}"),
    (r"^cannot check the file against its XML schema: (?P<detail>.+)$", "无法按 XML 规范检查此文件：{detail}"),
    (r"^XML schema: (?P<n>\d+) more errors not shown$", "另有 {n} 处不符合 XML 规范，未逐一列出"),
    (r"^XML schema: (?P<detail>.+)$", "不符合 BPMN 的 XML 规范：{detail}"),
    (r"^no diagram interchange: open and save it in bpmn\.io or Camunda Modeler$",
     "缺少图形信息（BPMNDI）：请在 bpmn.io 或 Camunda Modeler 中打开并保存一次"),
    (r"^no diagram interchange \(BPMNDI, the layout bpmn\.io and Camunda Modeler draw\): export the diagram with "
     r"its layout from the tool that made it, or draw it in bpmn\.io or Camunda Modeler$",
     "缺少图形信息（BPMNDI，即 bpmn.io 和 Camunda Modeler 绘制的布局）：请从原建模工具连同布局一起导出，"
     "或在 bpmn.io、Camunda Modeler 中绘制"),
    # lanes, elements, gateways
    (r"^lane '(?P<id>[^']*)' has no name: name it after a department$", "泳道“{id}”没有名称：请以部门命名"),
    (r"^lane '(?P<name>[^']*)' is not a department code or name in processes/organisation\.yaml$",
     "泳道“{name}”不是组织机构（organisation.yaml）中的部门代码或部门名称"),
    (r"^lane '(?P<name>[^']*)' is no department of organisation\.yaml \(or use departmentField\)$",
     "泳道“{name}”不是组织机构（organisation.yaml）中的部门（或为其中每个任务设置 departmentField 动态确定承办部门）"),
    (r"^(?P<label>.+) is in no lane: put it in a department's lane$",
     _labelled("{label}不在任何泳道中：请把它放进所属部门的泳道")),
    (r"^service tasks are not supported on this platform \(no service operators\); use a script task or a user "
     r"task$", "本平台不支持服务任务（没有服务操作）：请改用脚本任务或人工任务"),
    (r"^its default '(?P<id>[^']*)' is not one of its outgoing sequence flows$",
     "默认路径“{id}”不是它流出的顺序流之一"),
    (r"^sequence flow '(?P<id>[^']*)' out of (?P<label>.+) has no condition and is not the gateway's default$",
     _labelled("从{label}流出的顺序流“{id}”既没有条件，也不是网关的默认路径")),
    (r"^(?P<role>formJsonSchemaFilename|formUiSchemaFilename) '(?P<file>[^']*)' is not among the uploaded files$",
     lambda m: f"{FORM_ROLES[m['role']]}“{m['file']}”不在上传的文件中"),
    (r"^(?P<label>.+) calls process '(?P<called>[^']*)', which is neither an executable process of the uploaded "
     r"files nor a deployed flow \((?P<known>.*)\): deploy that flow first$",
     _labelled("{label}调用的流程“{called}”既不在上传的文件中，也未部署（已有：{known}）：请先部署该流程")),
    (r"^(?P<n>\d+) top-level executable processes \((?P<ids>.*)\): a flow has exactly one; call the others "
     r"through a callActivity or mark them isExecutable=\"false\"$",
     "有 {n} 个顶层可执行流程（{ids}）：一个流程文件只能有一个；其余请通过调用活动调用，或标为 isExecutable=\"false\""),
    (r"^no top-level executable process: mark the flow's process isExecutable=\"true\"$",
     "没有顶层可执行流程：请把流程标为 isExecutable=\"true\""),
    (r"^the flow is chained or nested too deeply for the parser: split it with call activities$",
     "流程串联或嵌套过深，无法解析：请用调用活动拆分"),
    (r"^SpiffWorkflow could not parse the flow: (?P<detail>.+)$", "流程引擎无法解析此流程：{detail}"),
    # forms
    (r"^a UI schema must be a JSON object$", "界面设置（UI Schema）必须是一个 JSON 对象"),
    (r"^a form must be a JSON Schema object$", "表单必须是一个 JSON Schema 对象"),
    (r"^unknown \$schema (?P<value>.+); use https://json-schema\.org/draft/2020-12/schema$",
     "不认识的 $schema {value}：请使用 https://json-schema.org/draft/2020-12/schema"),
    (r"^not a valid JSON Schema at (?P<where>.+?): (?P<detail>.+)$",
     "不是有效的 JSON Schema（位置：{where}）：{detail}"),
    (r"^a form schema must have \"type\": \"object\"$", "表单的 JSON Schema 须写明 \"type\": \"object\""),
    (r"^(?P<key>\$ref|\$dynamicRef) (?P<value>.+): only references inside the form \(#/\.\.\.\) work$",
     "{key} {value}：只能引用本表单内的定义（#/...）"),
    (r"^(?P<key>\$ref|\$dynamicRef) (?P<value>.+) points at nothing in the form$", "{key} {value} 在本表单中找不到"),
    (r"^the pattern is longer than (?P<n>\d+) characters$", "正则表达式超过 {n} 个字符"),
    (r"^the pattern is not a regular expression: (?P<detail>.+)$", "不是有效的正则表达式：{detail}"),
    (r"^the pattern (?P<value>.+) repeats a repetition \(like \(a\+\)\+\): .*$",
     "正则表达式 {value} 含有嵌套重复（如 (a+)+），校验某些输入会极慢：请改写"),
    (r"^instructions may show values \(\{\{ name \}\}\) and test them \(\{% if name %\}\), nothing more: "
     r"(?P<snippet>.+)$", "办理说明只能显示数据（{{{{ name }}}}）和判断（{{% if name %}}），不能有其他内容：{snippet}"),
    # timers
    (r"^(?P<what>.+) is empty: write an expression such as working_days\(3\) or 'P3D'$",
     lambda m: f"{subject}为空：请填写表达式，如 working_days(3) 或 'P3D'" if (subject := _subject(m["what"]))
     else None),
    (r"^(?P<src>\S+) is read as Python: quote the ISO 8601 text and write a date-time, e\.g\. (?P<example>.+)$",
     "{src} 会被当作 Python 表达式：ISO 8601 文本须加引号，并写成日期时间，如 {example}"),
    (r"^(?P<src>\S+) is read as Python: quote the ISO 8601 text, (?P<quoted>.+)$",
     "{src} 会被当作 Python 表达式：ISO 8601 文本须加引号，写作 {quoted}"),
    (r"^(?P<kind>timeDate|timeDuration|timeCycle) is empty: write an expression such as working_days\(3\) or "
     r"'P3D'$", lambda m: f"{TIMER_KINDS[m['kind']]}为空：请填写表达式，如 working_days(3) 或 'P3D'"),
    (r"^(?P<kind>timeDate|timeDuration|timeCycle) (?P<src>'.*') is read as Python: quote the ISO 8601 text, "
     r"(?P<quoted>.+)$", lambda m: f"{TIMER_KINDS[m['kind']]} {m['src']} 会被当作 Python 表达式："
                                   f"ISO 8601 文本须加引号，写作 {m['quoted']}"),
    (r"^(?P<kind>timeDate|timeDuration|timeCycle) (?P<src>.+) is not an ISO 8601 text$",
     lambda m: f"{TIMER_KINDS[m['kind']]} {m['src']} 不是 ISO 8601 文本"),
    (r"^timeDate (?P<value>.+) is not an ISO 8601 date-time, e\.g\. (?P<example>.+)$",
     "到期时间 {value} 不是 ISO 8601 日期时间，应写作如 {example}"),
    (r"^timeDate (?P<value>.+) has no UTC offset, so it would be read in the server's time zone; write it with "
     r"one, e\.g\. (?P<example>.+)$", "到期时间 {value} 没有时区偏移，会按服务器时区理解：请写明偏移，如 {example}"),
    (r"^timeDuration (?P<value>.+) is not an ISO 8601 duration such as P3D or PT1H$",
     "持续时间 {value} 不是 ISO 8601 时长（如 P3D、PT1H）"),
    (r"^timeCycle (?P<value>.+) is not an ISO 8601 repetition R\[n\]/start/duration or R\[n\]/duration$",
     "循环周期 {value} 不是 ISO 8601 重复格式 R[n]/开始/时长 或 R[n]/时长"),
    # DMN
    (r"^hit policy (?P<policy>\S+) is not run by the engine \(it would act as FIRST\): use (?P<use>.+)$",
     "命中策略 {policy} 不受引擎支持（会按 FIRST 执行）：请使用 {use}"),
    (r"^input '(?P<name>[^']*)' has no input expression$", "输入列“{name}”没有输入表达式"),
    (r"^an input entry of only spaces never matches: leave it empty or write -$",
     "只含空格的输入条目永远不会匹配：请留空或写 -"),
    (r"^longer than (?P<n>\d+) characters$", "超过 {n} 个字符"),
    # expressions (the sandbox's checker)
    (r"^cannot check the expression: (?P<detail>.+)$", "无法检查表达式：{detail}"),
    (r"^(?P<what>.+) is empty$", lambda m: f"{_subject(m['what'])}为空" if _subject(m["what"]) else None),
    (r"^syntax error: (?P<detail>.+)$", lambda m: f"语法错误：{_syntax(m['detail'])}"),
    (r"^the source is nested too deeply$", "表达式嵌套过深"),
    (r"^import is not allowed$", "不允许 import（导入模块）"),
    (r"^function definitions \(def\) are not allowed$", "不允许定义函数（def）"),
    (r"^async function definitions are not allowed$", "不允许定义异步函数"),
    (r"^class definitions are not allowed$", "不允许定义类（class）"),
    (r"^lambda is not allowed$", "不允许 lambda"),
    (r"^generator expressions are not allowed \(use a list comprehension\)$", "不允许生成器表达式（请改用列表推导式）"),
    (r"^yield is not allowed$", "不允许 yield"), (r"^await is not allowed$", "不允许 await"),
    (r"^global declarations are not allowed$", "不允许 global 声明"),
    (r"^nonlocal declarations are not allowed$", "不允许 nonlocal 声明"),
    (r"^with statements are not allowed$", "不允许 with 语句"), (r"^async with is not allowed$", "不允许 async with"),
    (r"^async for is not allowed$", "不允许 async for"), (r"^try/except is not allowed$", "不允许 try/except"),
    (r"^raise is not allowed$", "不允许 raise"), (r"^assert is not allowed$", "不允许 assert"),
    (r"^return is not allowed$", "不允许 return"), (r"^match statements are not allowed$", "不允许 match 语句"),
    (r"^annotated assignments are not allowed$", "不允许带类型注解的赋值"),
    (r"^the @ operator is not allowed$", "不允许 @ 运算符"),
    (r"^attribute '(?P<a>[^']*)' is not allowed: names starting with '_' are private$",
     "不允许使用属性“{a}”：以“_”开头的名称是私有的"),
    (r"^attribute '(?P<a>[^']*)' is not allowed: it gives access to interpreter internals$",
     "不允许使用属性“{a}”：它会触及解释器内部"),
    (r"^name '(?P<a>[^']*)' is not allowed: names starting with '_' are reserved$",
     "不允许使用名称“{a}”：以“_”开头的名称是保留的"),
    (r"^'(?P<a>[^']*)' is not available$", "“{a}”不可用"),
    (r"^cannot assign to '(?P<a>[^']*)': it is a function$", "不能给“{a}”赋值：它是函数"),
    (r"^function '(?P<a>[^']*)' can only be called or passed as an argument$", "函数“{a}”只能调用或作为参数传递"),
    (r"^'(?P<a>[^']*)' is not a known function$", "“{a}”不是可用的函数"),
    (r"^assigning to attribute '(?P<a>[^']*)' is not allowed$", "不允许给属性“{a}”赋值"),
    (r"^method '(?P<a>[^']*)' can only be called$", "方法“{a}”只能调用"),
    (r"^attribute '(?P<a>[^']*)' is not allowed$", "不允许使用属性“{a}”"),
    (r"^method '(?P<a>[^']*)' is not allowed$", "不允许使用方法“{a}”"),
    (r"^method '(?P<a>[^']*)' changes data: not allowed in an expression$", "方法“{a}”会修改数据：表达式中不允许"),
    (r"^only functions and methods can be called \(not the result of an expression\)$",
     "只能调用函数和方法（不能调用表达式的结果）"),
    (r"^\*\*-unpacking in calls is not allowed$", "调用时不允许 ** 展开"),
    (r"^keyword '(?P<a>[^']*)' is not allowed: '_' names are reserved$",
     "不允许关键字参数“{a}”：以“_”开头的名称是保留的"),
    (r"^async comprehensions are not allowed$", "不允许异步推导式"),
    (r"^augmented assignment works on names and subscripts only$", "复合赋值只能用于变量名和下标"),
    (r"^%-formatting of strings is not allowed \(use an f-string\)$", "不允许用 % 格式化字符串（请改用 f-string）"),
    (r"^f-string format specs may not contain expressions$", "f-string 的格式说明中不能含表达式"),
    (r"^f-string format spec '(?P<a>[^']*)' is not allowed \(widths up to 9999\)$",
     "不允许 f-string 格式说明“{a}”（宽度不超过 9999）"),
    (r"^(?P<a>\S+) is not allowed$", "不允许 {a}"),
])

# Python's own words for a syntax error, after "syntax error: ".
SYNTAX = _rules([
    (r"^'(?P<c>.)' was never closed$", "“{c}”没有闭合"),
    (r"^unmatched '(?P<c>.)'$", "多余的“{c}”"),
    (r"^closing parenthesis '(?P<a>.)' does not match opening parenthesis '(?P<b>.)'.*$",
     "右括号“{a}”与左括号“{b}”不匹配"),
    (r"^invalid syntax\. Perhaps you forgot a comma\?$", "语法无效，可能漏了逗号"),
    (r"^invalid syntax\. Maybe you meant '==' or ':=' instead of '='\?$", "语法无效，比较是否相等请用“==”"),
    (r"^invalid syntax$", "语法无效"),
    (r"^unterminated string literal.*$", "字符串没有结束引号"),
    (r"^unterminated triple-quoted string literal.*$", "三引号字符串没有结束"),
    (r"^unexpected EOF while parsing$", "表达式意外结束"),
    (r"^unexpected indent$", "缩进不正确"),
    (r"^unindent does not match any outer indentation level$", "缩进层次不一致"),
    (r"^expected an indented block.*$", "这里需要一个缩进的代码块"),
    (r"^expected '(?P<c>[^']+)'$", "这里应有“{c}”"),
    (r"^invalid decimal literal$", "数字写法不正确"),
    (r"^invalid character '(?P<c>.)' \(U\+(?P<u>[0-9A-F]+)\)$", "无效字符“{c}”（可能是中文标点）"),
    (r"^cannot assign to (?P<what>.+?)(?: here)?\..*$", "不能给 {what} 赋值"),
    (r"^cannot assign to (?P<what>.+)$", "不能给 {what} 赋值"),
    (r"^'(?P<kw>\w+)' outside (?:loop|function)$", "“{kw}”不在循环或函数内"),
    (r"^source longer than (?P<n>\d+) characters$", "表达式超过 {n} 个字符"),
])


def _own(template: str | Callable[[re.Match[str]], str | None]) -> str | Callable[[re.Match[str]], str | None]:
    """check_advice.py marks templates whose {label} is an element label with a leading "_label:"."""
    if isinstance(template, str) and template.startswith("_label:"):
        return _labelled(template.removeprefix("_label:"))
    return template


# The newer problems (ui/web/check_advice.py): the catalogue's advice and the sentences of the newer checks come
# before the general patterns above, which would otherwise read them in part.
ELEMENT_KINDS.update(MORE_KINDS)
SUBJECTS = [*SUBJECTS, *((re.compile(p, re.S), _own(t)) for p, t in MORE_SUBJECTS)]
MESSAGES = [*advice_rules(), *((re.compile(p, re.S), _own(t)) for p, t in MORE_MESSAGES), *MESSAGES]


def _apply(rules: list[Rule], text: str) -> str | None:
    for pattern, template in rules:
        found = pattern.match(text)
        if found is None:
            continue
        result = template(found) if callable(template) else template.format(**found.groupdict())
        if result is not None:
            return result
    return None


def _subject(text: str) -> str | None:
    return _apply(SUBJECTS, text)


def _syntax(text: str) -> str:
    return _apply(SYNTAX, text) or text


def in_chinese(message: str) -> str | None:
    """The message in Chinese, or None when no pattern reads it.

    "subject: rest" is read part by part first — the subject may itself hold ": " only inside quotes, so each split
    from the left is tried — and only then as a whole: a pattern that starts with a value (``timeCycle X is not
    …``) would otherwise swallow the subject into that value."""
    for index in [m.start() for m in re.finditer(": ", message)]:
        subject = _subject(message[:index])
        rest = in_chinese(message[index + 2:]) if subject is not None else None
        if subject is not None and rest is not None:
            return f"{subject}：{rest}"
    return _apply(MESSAGES, message)


def localized(problem: dict[str, Any]) -> dict[str, Any]:
    """A problem for the designer's screen: ``message`` in the page's language (the engine's English words kept
    in ``message_en``). A message no pattern reads keeps its English after a Chinese lead-in."""
    english = str(problem.get("message", ""))
    if is_english():
        return {**problem, "message_en": english}
    chinese = in_chinese(english)
    return {**problem, "message": chinese if chinese is not None else f"检查未通过：{english}",
            "message_en": english}


def localized_all(problems: list[Any]) -> list[Any]:
    return [localized(p) if isinstance(p, dict) else p for p in problems]
