"""The rule for every BPMN element, and what to use here instead of other engines' extensions (data only).

``ELEMENTS`` gives each kind of BPMN element a verdict: ``runs`` (as BPMN says, possibly after a rewrite in
``rewrite.py``), ``ignored`` (documentation: kept in the file, no effect on a case) or ``refused`` (deploying is
refused with the advice). ``VENDOR_HINTS`` does the same for Camunda 7 (and Activiti/Flowable, which share its
names) and Camunda 8 (Zeebe) attributes and extension elements. ``element_rules.py`` and ``vendor_hints.py``
apply them; README's "Coming from Camunda" table is drawn from the same advice.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Verdict = Literal["runs", "ignored", "refused"]


@dataclass(frozen=True)
class Rule:
    verdict: Verdict
    advice: str


# --- BPMN elements --------------------------------------------------------------------------------

COMPENSATION = ("compensation is not run by this engine: model the undoing as ordinary steps — e.g. an error "
                "boundary event or an exclusive gateway after the step that failed, leading to tasks that undo "
                "what was done")
ELEMENTS: dict[str, Rule] = {
    "startEvent": Rule("runs", "none and message start events; in a subprocess also timer, signal, error and "
                               "escalation start events of event subprocesses"),
    "endEvent": Rule("runs", "none, terminate, error, escalation, signal, message and cancel end events"),
    "intermediateCatchEvent": Rule("runs", "timer, message, signal, conditional and link events"),
    "intermediateThrowEvent": Rule("runs", "none, message, signal, escalation and link events"),
    "boundaryEvent": Rule("runs", "timer, error, escalation, message, signal, conditional and cancel events, "
                                  "interrupting or not"),
    "task": Rule("runs", "a step someone in its lane's department confirms; outside a lane it is refused"),
    "userTask": Rule("runs", "a task for the department its lane names, with a JSON Schema form"),
    "manualTask": Rule("runs", "like a user task"),
    "scriptTask": Rule("runs", "Python in the restricted engine"),
    "businessRuleTask": Rule("runs", "a DMN decision named by spiffworkflow:calledDecisionId"),
    "serviceTask": Rule("runs", "work for an outside system: <spiffworkflow:serviceTaskOperator id=\"TOPIC\" "
                                "resultVariable=\"VAR\"> with its parameters; external workers of TOPIC fetch it "
                                "and their answer goes into VAR"),
    "sendTask": Rule("runs", "throws its message"),
    "receiveTask": Rule("runs", "waits for its message"),
    "callActivity": Rule("runs", "calls another process of the flow or another deployed flow"),
    "subProcess": Rule("runs", "embedded; without a start event every node with no incoming flow starts"),
    "transaction": Rule("runs", "with cancel end and cancel boundary events"),
    "adHocSubProcess": Rule("runs", "parallel ordering"),
    "exclusiveGateway": Rule("runs", "conditions are Python; one flow may be the default"),
    "inclusiveGateway": Rule("runs", "conditions are Python; one flow may be the default"),
    "parallelGateway": Rule("runs", "splits and joins; its outgoing flows carry no condition"),
    "eventBasedGateway": Rule("runs", "the first of its timers, messages or signals to happen wins"),
    "complexGateway": Rule("refused", "a complex gateway is not run: use an inclusive gateway (every branch whose "
                                      "condition holds; it joins them again) or an exclusive gateway"),
    "sequenceFlow": Rule("runs", "conditional and default flows out of activities too; several unconditional "
                                 "flows out of an activity or event run in parallel"),
    "dataObject": Rule("runs", "a variable of the case"),
    "dataObjectReference": Rule("runs", "reads and writes its data object through data associations"),
    "dataStore": Rule("ignored", "documentation: the platform keeps no data stores"),
    "dataStoreReference": Rule("ignored", "documentation, with its associations"),
    "laneSet": Rule("runs", "lanes are departments"),
    "lane": Rule("runs", "named by a department code or Chinese name from organisation.yaml, or 申请人"),
    "textAnnotation": Rule("ignored", "documentation"),
    "association": Rule("ignored", "documentation"),
    "group": Rule("ignored", "documentation"),
    "collaboration": Rule("ignored", "pools without a process, message flows: documentation; messages reach "
                                     "other cases by their name (and correlation), and outside systems send them "
                                     "through POST /api/v1/messages"),
}

# Event definitions and attributes that change how an element runs, and whether this engine honours them.
EVENT_RULES: dict[str, Rule] = {
    "compensateEventDefinition": Rule("refused", COMPENSATION),
    "isForCompensation": Rule("refused", COMPENSATION),
    "timerStart": Rule("refused", "a timer start event would start cases on a schedule, which the platform does "
                                  "not do: use a none start event (cases start in the web pages or through "
                                  "POST /api/v1/process-instances, which an outside scheduler may call), and put "
                                  "any wait after it as a timer intermediate event"),
    "conditionalStart": Rule("refused", "a conditional start event cannot start a case (there is no data before "
                                        "it starts): use a none start event, then a conditional intermediate "
                                        "event or an exclusive gateway"),
    "instantiate": Rule("refused", "an event-based gateway that starts cases is not run: begin the process with a "
                                   "start event (a message start event if a message starts it)"),
    "parallelEventGateway": Rule("refused", "a parallel event-based gateway is not run: use an exclusive one "
                                            "(eventGatewayType=\"Exclusive\")"),
    "sequentialAdHoc": Rule("refused", "a sequential ad hoc subprocess is not run: use ordering=\"Parallel\", or "
                                       "an embedded subprocess with the steps in sequence"),
    "resourceRole": Rule("refused", "here a task goes to the department its lane names: put the task in a lane "
                                    "named after a department (its code or name in organisation.yaml) and remove "
                                    "{what}"),
    "rendering": Rule("refused", "a user task's form here is a JSON Schema file beside the diagram, named by "
                                 "<spiffworkflow:property name=\"formJsonSchemaFilename\" value=\"FORM.json\"/>; "
                                 "remove {what}"),
    "complexBehaviorDefinition": Rule("refused", "complex multi-instance behaviour is not run: use a completion "
                                                 "condition; remove {what}"),
    "scriptFormat": Rule("refused", "scripts are Python here: rewrite the script in Python and set "
                                    "scriptFormat=\"python\" (or remove it)"),
    "conditionLanguage": Rule("refused", "conditions are Python here: rewrite the condition in Python and remove "
                                         "language=\"{value}\""),
}

# --- other engines' extensions --------------------------------------------------------------------

CAMUNDA = "http://camunda.org/schema/1.0/bpmn"
CAMUNDA_DMN = "http://camunda.org/schema/1.0/dmn"
ZEEBE = "http://camunda.org/schema/zeebe/1.0"
ACTIVITI = "http://activiti.org/bpmn"
FLOWABLE = "http://flowable.org/bpmn"
# Namespaces whose attributes and elements are execution settings of another engine, by the name used in messages.
VENDORS = {CAMUNDA: "camunda", CAMUNDA_DMN: "camunda", ZEEBE: "zeebe", ACTIVITI: "activiti", FLOWABLE: "flowable"}

IGNORED = ""  # settings with no effect on what a case does here: accepted silently
LANE = ("here a task goes to the department its lane names: put the task in a lane named after a department "
        "(its code or name in organisation.yaml) and remove {what}")
FORM = ("here a form is a JSON Schema file uploaded beside the diagram: add <spiffworkflow:property "
        "name=\"formJsonSchemaFilename\" value=\"FORM.json\"/> inside this element's "
        "bpmn:extensionElements/spiffworkflow:properties and remove {what}")
SERVICE = ("this engine runs no Java classes or engine expressions: hand the work to an outside system with "
           "<spiffworkflow:serviceTaskOperator id=\"TOPIC\"> (external workers fetch TOPIC), or compute it in a "
           "scriptTask in Python; remove {what}")
TOPIC = ("write <spiffworkflow:serviceTaskOperator id=\"{value}\"/> inside the task's bpmn:extensionElements (external "
         "workers fetch that topic) and remove {what}")
DEADLINE = ("a deadline here is a timer boundary event on the task, e.g. a timeDate of working_days(3) or "
            "'2026-10-01T18:00:00+08:00'; remove {what}")
NOT_NEEDED = ("not needed here: a step that fails puts the case in error, and an administrator's retry runs it "
              "again from its last wait; remove {what}")
LISTENER = ("listeners run code inside Camunda: do that work in a scriptTask (Python) before or after this "
            "element, or in spiffworkflow:preScript / spiffworkflow:postScript; remove {what}")
IO_MAPPING = ("variables here are the case's data, shared by every step: set or rename them in a scriptTask or "
              "in spiffworkflow:preScript / spiffworkflow:postScript; remove {what}")
CALL_MAPPING = ("a called flow gets a copy of the case's data and hands its data back: shape it with "
                "spiffworkflow:preScript / spiffworkflow:postScript on the callActivity; remove {what}")
CALL_BINDING = "a callActivity calls the newest deployed version of the called flow; remove {what}"
CALLED_ELEMENT = "write calledElement=\"{value}\" on the bpmn:callActivity itself and remove {what}"
DECISION = ("a businessRuleTask names its decision with <spiffworkflow:calledDecisionId>{value}"
            "</spiffworkflow:calledDecisionId> inside bpmn:extensionElements (a decision of a .dmn uploaded with "
            "the flow); its result goes into the case's data under the decision table's output names; "
            "remove {what}")
MULTI = ("a multi-instance task here reads its list with <bpmn:loopDataInputRef>LIST</bpmn:loopDataInputRef> and "
         "<bpmn:inputDataItem id=\"ITEM\" name=\"ITEM\"/> inside bpmn:multiInstanceLoopCharacteristics; "
         "remove {what}")
STARTER = "who may start cases is decided by account roles here; remove {what}"
INITIATOR = "the case records who started it; remove {what}"
RESULT = ("a script sets case data by assignment here (result = …) and a service task names its result with "
          "resultVariable on spiffworkflow:serviceTaskOperator; remove {what}")
ERROR_VARIABLE = "error details are not copied into variables here; remove {what}"
CONDITION_VARIABLE = "a conditional event's condition is checked whenever the case's data changes; remove {what}"
SCRIPT_RESOURCE = "scripts are Python written inside the scriptTask's bpmn:script here; remove {what}"
PROPERTIES = ("extension properties here are <spiffworkflow:properties><spiffworkflow:property name=\"…\" "
              "value=\"…\"/></spiffworkflow:properties> (formJsonSchemaFilename and formUiSchemaFilename are "
              "read); move what you need and remove {what}")
CORRELATION = ("a message reaches a case by its instance id, business key or correlation values "
               "(POST /api/v1/messages); remove {what}")
HEADERS = ("pass values to the outside system as <spiffworkflow:parameters> of the task's "
           "spiffworkflow:serviceTaskOperator; remove {what}")
INLINE_SCRIPT = "write the script in Python inside the scriptTask's bpmn:script; remove {what}"
CAMUNDA_FORM = ("here a user task's form is a JSON Schema file uploaded beside the diagram, named by "
                "<spiffworkflow:property name=\"formJsonSchemaFilename\" value=\"FORM.json\"/> on the task; "
                "rewrite this form as a JSON Schema and remove {what}")
GENERIC = "a setting of another engine that this platform does not read; remove {what}"
DECISION_RESULT = ("a decision's outputs go into the case's data under the decision table's output names; "
                   "remove {what}")

VENDOR_HINTS: dict[str, str] = {
    # people and forms
    "assignee": LANE, "candidateUsers": LANE, "candidateGroups": LANE, "assignmentDefinition": LANE,
    "formKey": FORM, "formRef": FORM, "formRefBinding": FORM, "formRefVersion": FORM, "formHandlerClass": FORM,
    "formData": FORM, "formProperty": FORM, "formDefinition": FORM, "userTaskForm": CAMUNDA_FORM,
    "dueDate": DEADLINE, "followUpDate": DEADLINE, "taskSchedule": DEADLINE,
    "candidateStarterGroups": STARTER, "candidateStarterUsers": STARTER, "potentialStarter": STARTER,
    "initiator": INITIATOR,
    # code run by the engine
    "class": SERVICE, "delegateExpression": SERVICE, "expression": SERVICE, "connector": SERVICE,
    "field": SERVICE, "type": SERVICE, "topic": TOPIC, "taskDefinition": TOPIC, "taskHeaders": HEADERS,
    "resultVariable": RESULT, "executionListener": LISTENER, "taskListener": LISTENER,
    "executionListeners": LISTENER, "taskListeners": LISTENER, "resource": SCRIPT_RESOURCE,
    "script": INLINE_SCRIPT,
    # data
    "inputOutput": IO_MAPPING, "ioMapping": IO_MAPPING, "in": CALL_MAPPING, "out": CALL_MAPPING,
    "variableMappingClass": CALL_MAPPING, "variableMappingDelegateExpression": CALL_MAPPING,
    "properties": PROPERTIES,
    # calls and decisions
    "calledElementBinding": CALL_BINDING, "calledElementVersion": CALL_BINDING,
    "calledElementVersionTag": CALL_BINDING, "calledElementTenantId": CALL_BINDING, "caseRef": CALL_BINDING,
    "caseBinding": CALL_BINDING, "caseVersion": CALL_BINDING, "calledElement": CALLED_ELEMENT,
    "decisionRef": DECISION, "decisionRefBinding": DECISION_RESULT, "decisionRefVersion": DECISION_RESULT,
    "decisionRefVersionTag": DECISION_RESULT, "decisionRefTenantId": DECISION_RESULT,
    "mapDecisionResult": DECISION_RESULT,
    "calledDecision": DECISION,
    "collection": MULTI, "elementVariable": MULTI, "loopCharacteristics": MULTI,
    # transactions and jobs
    "asyncBefore": NOT_NEEDED, "asyncAfter": NOT_NEEDED, "async": NOT_NEEDED,
    "failedJobRetryTimeCycle": NOT_NEEDED,
    # events
    "errorCodeVariable": ERROR_VARIABLE, "errorMessageVariable": ERROR_VARIABLE,
    "escalationCodeVariable": ERROR_VARIABLE, "errorEventDefinition": ERROR_VARIABLE,
    "variableName": CONDITION_VARIABLE, "variableEvents": CONDITION_VARIABLE, "subscription": CORRELATION,
    # no effect on what a case does
    "versionTag": IGNORED, "historyTimeToLive": IGNORED, "isStartableInTasklist": IGNORED,
    "jobPriority": IGNORED, "taskPriority": IGNORED, "priority": IGNORED, "priorityDefinition": IGNORED,
    "exclusive": IGNORED, "modelerTemplate": IGNORED, "modelerTemplateVersion": IGNORED,
    "modelerTemplateIcon": IGNORED, "userTask": IGNORED, "diagramRelationId": IGNORED,
    "executionPlatform": IGNORED, "executionPlatformVersion": IGNORED, "retries": IGNORED,
}
# Advice that depends on the element carrying the setting: (element, setting) → advice.
OWNER_HINTS: dict[tuple[str, str], str] = {
    ("businessRuleTask", "resultVariable"): DECISION_RESULT,
    ("businessRuleTask", "mapDecisionResult"): DECISION_RESULT,
}
# A value worth quoting into the advice (``{value}``): the topic of an external task, the process a
# callActivity calls, the decision a task evaluates.
VALUE_ATTRIBUTES = {"topic": ("topic",), "taskDefinition": ("type",), "calledElement": ("processId",),
                    "calledDecision": ("decisionId",), "decisionRef": ("decisionRef",)}
PLACEHOLDERS = {TOPIC: "TOPIC", DECISION: "DECISION_ID", CALLED_ELEMENT: "PROCESS_ID"}
