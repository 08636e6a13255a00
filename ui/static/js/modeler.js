// The designers' web modeler: bpmn-js with a side form for what this engine reads (names, forms, lanes as
// departments, timers, conditions, scripts), the server's checks shown on the elements, form editing with a
// preview rendered by the server, dry runs and deploys. Every change goes through bpmn-js's modeling API, so
// it can be undone and the saved XML stays valid.
(function () {
  "use strict";

  var root = document.getElementById("designer");
  if (!root || !window.BpmnJS) { return; }

  var SPIFF = "http://spiffworkflow.org/bpmn/schema/1.0/core";
  var TIMER_KINDS = ["timeDate", "timeDuration", "timeCycle"];
  var FORM_OWNERS = ["bpmn:UserTask", "bpmn:StartEvent", "bpmn:ManualTask"];
  var ID_PATTERN = /^[A-Za-z_][\w.-]*$/;

  var files = JSON.parse(root.dataset.files);
  var mainFile = root.dataset.main;
  var departments = JSON.parse(root.dataset.departments);
  var labels = JSON.parse(root.dataset.labels);
  var texts = JSON.parse(root.dataset.texts || "{}");

  // Elements this engine does not run (service tasks need service operators, data stores a store): taken out of
  // the palette and the "change type" menu, so a designer is not offered what the check would refuse.
  var UNSUPPORTED = ["create.data-store", "replace-with-service-task", "replace-with-data-store-reference"];

  function SupportedOnly(palette, popupMenu) {
    palette.registerProvider(400, this);
    popupMenu.registerProvider("bpmn-replace", 400, this);
  }
  SupportedOnly.$inject = ["palette", "popupMenu"];
  SupportedOnly.prototype.getPaletteEntries = function () {
    return function (entries) {
      UNSUPPORTED.forEach(function (name) { delete entries[name]; });
      return entries;
    };
  };
  SupportedOnly.prototype.getPopupMenuEntries = SupportedOnly.prototype.getPaletteEntries;

  // bpmn-js asks `translate` for each text of its palette, context pad and menus: answered in the page's language
  // from ui/web/modeler_texts.py.
  function translate(template, replacements) {
    var text = texts[template] || template;
    return text.replace(/{([^}]+)}/g, function (whole, key) {
      return replacements && replacements[key] !== undefined ? String(replacements[key]) : whole;
    });
  }

  var modeler = new window.BpmnJS({
    container: "#canvas",
    additionalModules: [
      { __init__: ["supportedOnly"], supportedOnly: ["type", SupportedOnly] },
      { translate: ["value", translate] }
    ]
  });
  var modeling = modeler.get("modeling");
  var moddle = modeler.get("moddle");
  var registry = modeler.get("elementRegistry");
  var canvas = modeler.get("canvas");
  var overlays = modeler.get("overlays");
  var panel = document.getElementById("properties");
  var status = document.getElementById("designer-status");
  var marked = [];
  var selected = null;

  function t(key, values) {
    var text = labels[key] || key;
    Object.keys(values || {}).forEach(function (name) { text = text.replace("{" + name + "}", values[name]); });
    return text;
  }

  var el = window.OneStopPage.el;
  var post = window.OneStopPage.post;

  // --- the draft's files ---------------------------------------------------------------------------

  function draft() {
    return window.OneStopPage.draftOf(modeler, files, mainFile);
  }

  function formFiles() {
    return Object.keys(files).filter(function (name) { return /\.json$/i.test(name); }).sort();
  }

  // --- reading and writing what the engine needs ------------------------------------------------------

  function spiffProperties(bo) {
    var values = (bo.extensionElements && bo.extensionElements.values) || [];
    var holder = values.filter(function (v) { return v.$type === "spiffworkflow:properties"; })[0];
    var found = {};
    ((holder && holder.$children) || []).forEach(function (p) { found[p.name] = p.value; });
    return found;
  }

  function setSpiffProperty(element, name, value) {
    var bo = element.businessObject;
    var old = (bo.extensionElements && bo.extensionElements.values) || [];
    var holder = old.filter(function (v) { return v.$type === "spiffworkflow:properties"; })[0];
    var children = ((holder && holder.$children) || []).filter(function (p) { return p.name !== name; });
    if (value) {
      children.push(moddle.createAny("spiffworkflow:property", SPIFF, { name: name, value: value }));
    }
    var values = old.filter(function (v) { return v !== holder; });
    if (children.length) {
      var properties = moddle.createAny("spiffworkflow:properties", SPIFF, {});
      properties.$children = children;
      values.unshift(properties);
    }
    var extension = moddle.create("bpmn:ExtensionElements", { values: values });
    modeling.updateProperties(element, { extensionElements: values.length ? extension : undefined });
  }

  function timerOf(bo) {
    return ((bo.eventDefinitions || []).filter(function (d) { return d.$type === "bpmn:TimerEventDefinition"; }))[0];
  }

  function setTimer(element, definition, kind, expression) {
    var changes = {};
    TIMER_KINDS.forEach(function (k) { changes[k] = undefined; });
    changes[kind] = moddle.create("bpmn:FormalExpression", { body: expression });
    modeling.updateModdleProperties(element, definition, changes);
  }

  function setCondition(element, expression) {
    modeling.updateProperties(element, {
      conditionExpression: expression.trim() ? moddle.create("bpmn:FormalExpression", { body: expression }) : undefined
    });
  }

  function departmentOf(laneName) {
    var name = (laneName || "").trim();
    if (name === "applicant" || name === "申请人") { return "applicant"; }
    var found = departments.filter(function (d) { return [d.code, d.name, d.short].indexOf(name) >= 0; })[0];
    return found ? found.code : "";
  }

  // --- the side form -------------------------------------------------------------------------------

  function field(label, control, help) {
    var id = "prop-" + Math.random().toString(36).slice(2);
    control.id = id;
    return el("div", { "class": "field" }, [el("label", { "class": "label", "for": id, text: label }), control,
      help ? el("p", { "class": "help", text: help }) : null]);
  }

  function input(value, onChange, attrs) {
    var node = el("input", attrs || {});
    node.value = value || "";
    node.addEventListener("change", function () { onChange(node.value, node); });
    return node;
  }

  function textarea(value, onChange, rows) {
    var node = el("textarea", { rows: String(rows || 3), "class": "code", spellcheck: "false" });
    node.value = value || "";
    node.addEventListener("change", function () { onChange(node.value); });
    return node;
  }

  function select(options, value, onChange) {
    var node = el("select");
    options.forEach(function (option) {
      var item = el("option", { value: option[0], text: option[1] });
      if (option[0] === value) { item.selected = true; }
      node.appendChild(item);
    });
    node.addEventListener("change", function () { onChange(node.value); });
    return node;
  }

  function idField(element) {
    var error = el("p", { "class": "error-text", hidden: "" });
    var node = input(element.id, function (value, control) {
      var clash = value !== element.id && registry.get(value);
      var message = !ID_PATTERN.test(value) ? t("idInvalid") : (clash ? t("idTaken") : "");
      error.textContent = message;
      error.hidden = !message;
      if (message) { control.value = element.id; return; }
      modeling.updateProperties(element, { id: value });
    }, { "data-prop": "id" });
    var wrapper = field(t("id"), node);
    wrapper.appendChild(error);
    return wrapper;
  }

  function formFields(element) {
    var properties = spiffProperties(element.businessObject);
    var choices = [["", t("none")]].concat(formFiles().map(function (n) { return [n, n]; }));
    var parts = [
      field(t("form"), select(choices, properties.formJsonSchemaFilename || "", function (value) {
        setSpiffProperty(element, "formJsonSchemaFilename", value);
        show(element);
      })),
      field(t("uiForm"), select(choices, properties.formUiSchemaFilename || "", function (value) {
        setSpiffProperty(element, "formUiSchemaFilename", value);
      }))
    ];
    if (properties.formJsonSchemaFilename) {
      var edit = el("button", { type: "button", "class": "button small", id: "btn-edit-form", text: t("editForm") });
      edit.addEventListener("click", function () {
        openFormEditor(properties.formJsonSchemaFilename, properties.formUiSchemaFilename);
      });
      parts.push(edit);
    }
    var name = el("input", { placeholder: t("newFormName"), "data-prop": "new-form" });
    var create = el("button", { type: "button", "class": "button small", text: t("newForm") });
    create.addEventListener("click", function () {
      var filename = name.value.trim().replace(/\.json$/i, "") + ".json";
      if (!/^[\w.-]+\.json$/.test(filename)) { return; }
      if (!files[filename]) {
        files[filename] = JSON.stringify({ "$schema": "https://json-schema.org/draft/2020-12/schema",
          title: element.businessObject.name || filename, type: "object", required: [], properties: {} }, null, 2);
      }
      setSpiffProperty(element, "formJsonSchemaFilename", filename);
      show(element);
      openFormEditor(filename, null);
    });
    parts.push(el("div", { "class": "new-form" }, [name, create]));
    return parts;
  }

  function laneFields(element) {
    var options = [["", "—"], ["applicant", t("applicant")]].concat(departments.map(function (d) {
      return [d.code, d.name + (d.short ? "（" + d.short + "）" : "")];
    }));
    return [field(t("department"), select(options, departmentOf(element.businessObject.name), function (code) {
      var department = departments.filter(function (d) { return d.code === code; })[0];
      modeling.updateLabel(element, code === "applicant" ? "申请人" : (department ? department.name : ""));
      show(element);
    }))];
  }

  function timerFields(element, definition) {
    var kind = TIMER_KINDS.filter(function (k) { return definition[k]; })[0] || "timeDate";
    var expression = definition[kind] ? definition[kind].body : "";
    var kinds = TIMER_KINDS.map(function (k) { return [k, t(k)]; });
    var kindSelect = select(kinds, kind, function (value) { setTimer(element, definition, value, text.value); });
    var text = input(expression, function (value) { setTimer(element, definition, kindSelect.value, value); },
      { "data-prop": "timer", "class": "code" });
    return [field(t("timerKind"), kindSelect), field(t("timerExpression"), text, t("timerHelp"))];
  }

  function flowFields(element) {
    var bo = element.businessObject;
    var parts = [field(t("condition"), textarea(bo.conditionExpression ? bo.conditionExpression.body : "",
      function (value) { setCondition(element, value); }, 2), t("conditionHelp"))];
    var source = element.source;
    if (source && /Gateway$/.test(source.type) && source.type !== "bpmn:ParallelGateway") {
      var box = el("input", { type: "checkbox", "data-prop": "default" });
      box.checked = source.businessObject["default"] === bo;
      box.addEventListener("change", function () {
        modeling.updateProperties(source, { "default": box.checked ? bo : undefined });
      });
      parts.push(el("label", { "class": "check" }, [box, el("span", { text: t("defaultFlow") })]));
    }
    return parts;
  }

  // The element's kind as the side form names it ("人工任务", not "UserTask").
  var TYPE_TEXTS = {
    "bpmn:Task": "Task", "bpmn:UserTask": "User task", "bpmn:ManualTask": "Manual task",
    "bpmn:ScriptTask": "Script task", "bpmn:ServiceTask": "Service task", "bpmn:SendTask": "Send task",
    "bpmn:ReceiveTask": "Receive task", "bpmn:BusinessRuleTask": "Business rule task",
    "bpmn:CallActivity": "Call activity", "bpmn:SubProcess": "Sub-process", "bpmn:Transaction": "Transaction",
    "bpmn:StartEvent": "Start event", "bpmn:EndEvent": "End event", "bpmn:BoundaryEvent": "Boundary event",
    "bpmn:IntermediateCatchEvent": "Intermediate catch event",
    "bpmn:IntermediateThrowEvent": "Intermediate throw event", "bpmn:ExclusiveGateway": "Exclusive gateway",
    "bpmn:ParallelGateway": "Parallel gateway", "bpmn:InclusiveGateway": "Inclusive gateway",
    "bpmn:EventBasedGateway": "Event-based gateway", "bpmn:ComplexGateway": "Complex gateway",
    "bpmn:SequenceFlow": "Sequence flow", "bpmn:MessageFlow": "Message flow", "bpmn:Association": "Association",
    "bpmn:Lane": "Lane", "bpmn:Participant": "Pool", "bpmn:TextAnnotation": "Text annotation",
    "bpmn:Group": "Group", "bpmn:DataObjectReference": "Data object reference",
    "bpmn:DataStoreReference": "Data store reference", "label": "Label"
  };

  function typeText(element) {
    var bo = element.businessObject || {};
    var timer = bo.eventDefinitions ? timerOf(bo) : null;
    if (timer && element.type === "bpmn:BoundaryEvent") {
      return translate(bo.cancelActivity === false ? "Timer boundary event (non-interrupting)" : "Timer boundary event");
    }
    if (timer && element.type === "bpmn:StartEvent") { return translate("Timer start event"); }
    if (timer && element.type === "bpmn:IntermediateCatchEvent") { return translate("Timer intermediate catch event"); }
    return translate(TYPE_TEXTS[element.type] || element.type.replace("bpmn:", ""));
  }

  function show(element) {
    if (element && element.labelTarget) { element = element.labelTarget; }  // a label edits its owner
    selected = element;
    panel.textContent = "";
    panel.setAttribute("data-element", element ? element.id : "");
    if (!element || element.type === "bpmn:Process" || element.type === "bpmn:Collaboration") {
      panel.appendChild(el("p", { "class": "muted", text: t("selectHint") }));
      return;
    }
    var bo = element.businessObject;
    panel.appendChild(el("h2", { text: bo.name || typeText(element) }));
    panel.appendChild(el("p", { "class": "muted small", "data-type": element.type, text: typeText(element) }));
    if (element.type !== "label") { panel.appendChild(idField(element)); }
    if (element.type !== "bpmn:Lane") {
      panel.appendChild(field(t("name"), input(bo.name, function (value) { modeling.updateLabel(element, value); },
        { "data-prop": "name" })));
    }
    var parts = [];
    if (FORM_OWNERS.indexOf(element.type) >= 0) { parts = parts.concat(formFields(element)); }
    if (element.type === "bpmn:Lane") { parts = parts.concat(laneFields(element)); }
    var timer = bo.eventDefinitions ? timerOf(bo) : null;
    if (timer) { parts = parts.concat(timerFields(element, timer)); }
    if (element.type === "bpmn:SequenceFlow") { parts = parts.concat(flowFields(element)); }
    if (element.type === "bpmn:ScriptTask") {
      parts.push(field(t("script"), textarea(bo.script, function (value) {
        modeling.updateProperties(element, { scriptFormat: bo.scriptFormat || "python", script: value });
      }, 8)));
    }
    parts.forEach(function (part) { panel.appendChild(part); });
    problemsOf(element.id).forEach(function (problem) {
      panel.appendChild(el("p", { "class": "error-text", role: "alert", text: problem.message }));
    });
  }

  // --- problems on the elements ----------------------------------------------------------------------

  var problems = [];

  function problemsOf(id) {
    return problems.filter(function (p) { return p.element === id; });
  }

  function clearProblems() {
    marked.forEach(function (id) { if (registry.get(id)) { canvas.removeMarker(id, "has-problem"); } });
    overlays.remove({ type: "problem" });
    marked = [];
    problems = [];
    document.getElementById("problems").hidden = true;
  }

  function showProblems(found) {
    clearProblems();
    problems = found;
    var list = document.getElementById("problems-list");
    list.textContent = "";
    var counts = {};
    found.forEach(function (problem) {
      var target = problem.element && registry.get(problem.element);
      var item = el("li", { "data-element": problem.element || "" }, [
        el("code", { text: problem.element || (problem.file + ":" + problem.line) }), document.createTextNode(" " + problem.message)]);
      if (target) {
        item.classList.add("on-element");
        item.addEventListener("click", function () {
          modeler.get("selection").select(target);
          canvas.scrollToElement(target);
        });
        if (!counts[problem.element]) {
          canvas.addMarker(problem.element, "has-problem");
          marked.push(problem.element);
          counts[problem.element] = 0;
        }
        counts[problem.element] += 1;
      }
      list.appendChild(item);
    });
    Object.keys(counts).forEach(function (id) {
      var badge = el("div", { "class": "problem-badge", "data-element": id, title: problemsOf(id).map(function (p) {
        return p.message; }).join("\n"), text: String(counts[id]) });
      badge.addEventListener("click", function () { modeler.get("selection").select(registry.get(id)); });
      overlays.add(id, "problem", { position: { top: -10, right: 10 }, html: badge });
    });
    document.getElementById("problems-title").textContent = t("problems", { count: found.length });
    document.getElementById("problems").hidden = !found.length;
    if (selected) { show(selected); }
  }

  function check() {
    status.textContent = t("checking");
    return draft().then(function (body) {
      return post(root.dataset.checkUrl, { files: body });
    }).then(function (answer) {
      showProblems(answer.problems || []);
      status.textContent = answer.ok ? t("clean") : "";
      return answer.ok;
    }).catch(function () { status.textContent = t("failed"); return false; });
  }

  function deploy() {
    status.textContent = t("deploying");
    var result = document.getElementById("deploy-result");
    result.hidden = true;
    draft().then(function (body) {
      return post(root.dataset.deployUrl, { files: body });
    }).then(function (answer) {
      if (!answer.ok) {
        showProblems(answer.problems || []);
        status.textContent = t("refused");
        return;
      }
      clearProblems();
      status.textContent = "";
      result.textContent = "";
      result.appendChild(el("h2", { text: t(answer.created ? "deployed" : "unchanged", { version: answer.version }) }));
      var migrate = answer.migrate_url + (root.dataset.version ? "&from=" + root.dataset.version : "");
      result.appendChild(el("p", { "class": "action-row" }, [
        el("a", { "class": "button", href: answer.versions_url, text: t("versions") }),
        el("a", { "class": "button primary", href: migrate, id: "link-migrate", text: t("migrate") })]));
      result.hidden = false;
    }).catch(function () { status.textContent = t("failed"); });
  }

  // --- the form editor with the server's preview ------------------------------------------------------

  var editing = null;
  var previewTimer = null;
  var schemaText = document.getElementById("schema-text");
  var uiText = document.getElementById("ui-schema-text");

  // The visual builder (form-builder.js) writes into the JSON texts; the JSON texts load into the builder.
  var builderProblem = document.getElementById("form-builder-problem");
  var builder = window.OneStopFormBuilder ? window.OneStopFormBuilder.create(document.getElementById("form-builder"), {
    labels: JSON.parse(root.dataset.builderLabels || "{}"),
    onChange: function (schema, ui) {
      builderProblem.hidden = true;
      schemaText.value = schema;
      if (ui !== null && editing && editing.ui) { uiText.value = ui; }
      schedulePreview();
    },
    onProblem: function (message) { builderProblem.textContent = message; builderProblem.hidden = false; },
    ensureUi: function () {
      // Long text and file fields are set in a UI schema: one is made beside the form and named on the task.
      if (!editing || !editing.element || !registry.get(editing.element.id)) { return null; }
      var name = editing.name.replace(/\.json$/i, "") + ".ui.json";
      if (files[name] === undefined) { files[name] = "{}"; }
      setSpiffProperty(registry.get(editing.element.id), "formUiSchemaFilename", name);
      editing.ui = name;
      uiText.value = files[name];
      document.getElementById("ui-schema-box").hidden = false;
      return JSON.parse(files[name]);
    }
  }) : null;

  function openFormEditor(name, uiName) {
    editing = { name: name, ui: uiName && files[uiName] !== undefined ? uiName : null, element: selected };
    document.getElementById("form-editor-title").textContent = t("formTitle") + "：" + name;
    schemaText.value = files[name] || "";
    document.getElementById("ui-schema-box").hidden = !editing.ui;
    uiText.value = editing.ui ? files[editing.ui] : "";
    document.getElementById("form-editor").hidden = false;
    if (builder) { builder.load(schemaText.value, editing.ui ? uiText.value : null); }
    preview();
    document.getElementById("form-editor").scrollIntoView();
  }

  function preview() {
    if (!editing) { return; }
    files[editing.name] = schemaText.value;
    if (editing.ui) { files[editing.ui] = uiText.value; }
    post(root.dataset.previewUrl, { name: editing.name, schema: schemaText.value,
      ui_schema: editing.ui ? uiText.value : "" }).then(function (answer) {
      var list = document.getElementById("form-problems");
      list.textContent = "";
      (answer.problems || []).forEach(function (p) {
        list.appendChild(el("li", { "class": "error-text", text: t("line", { line: p.line }) + p.message }));
      });
      if (answer.ok) {
        list.appendChild(el("li", { "class": "ok-text", text: t("formClean") }));
        document.getElementById("form-preview").innerHTML = answer.html;  // rendered and escaped by the server
      }
    });
  }

  function schedulePreview() {
    window.clearTimeout(previewTimer);
    previewTimer = window.setTimeout(preview, 350);
  }

  var builderTimer = null;
  function typedJson() {
    schedulePreview();
    window.clearTimeout(builderTimer);
    builderTimer = window.setTimeout(function () {
      if (builder && editing) { builder.load(schemaText.value, editing.ui ? uiText.value : null); }
    }, 350);
  }
  schemaText.addEventListener("input", typedJson);
  uiText.addEventListener("input", typedJson);
  document.getElementById("form-editor-close").addEventListener("click", function () {
    document.getElementById("form-editor").hidden = true;
    editing = null;
  });

  // --- dry run -----------------------------------------------------------------------------------------

  var sample = document.getElementById("sample-data");
  sample.value = JSON.stringify(JSON.parse(root.dataset.sample), null, 2);

  // Per-task answers: a box for each user task a dry run went through, holding the data it used; what the
  // designer writes there answers that task next time, so a dry run can follow the path they choose.
  var answersBox = document.getElementById("dry-run-answers");

  function answerRows() {
    return Array.prototype.slice.call(answersBox.querySelectorAll(".answer"));
  }

  function addAnswer(step) {
    if (answersBox.querySelector(".answer[data-task='" + step.task + "']")) { return; }
    var id = "answer-" + step.task;
    var box = el("textarea", { id: id, "class": "code", rows: "3", spellcheck: "false", "data-task": step.task });
    box.value = JSON.stringify(step.data, null, 1);
    var reset = el("button", { type: "button", "class": "button small", text: t("answerReset") });
    var row = el("div", { "class": "answer field", "data-task": step.task, "data-title": step.title }, [
      el("label", { "class": "label", "for": id, text: t("answerFor", { title: step.title }) }), box, reset]);
    reset.addEventListener("click", function () { row.remove(); showAnswersHelp(); });
    answersBox.appendChild(row);
    showAnswersHelp();
  }

  function showAnswersHelp() {
    var empty = answersBox.querySelector(".answers-none");
    if (!answerRows().length && !empty) {
      answersBox.appendChild(el("p", { "class": "muted answers-none", text: t("answersNone") }));
    } else if (answerRows().length && empty) {
      empty.remove();
    }
  }

  function readAnswers() {
    var answers = {};
    var bad = null;
    answerRows().forEach(function (row) {
      var box = row.querySelector("textarea");
      var value;
      try { value = JSON.parse(box.value || "{}"); } catch (error) { value = null; }
      if (!value || typeof value !== "object" || Array.isArray(value)) {
        bad = bad || row.getAttribute("data-title");
        box.setAttribute("aria-invalid", "true");
      } else {
        box.removeAttribute("aria-invalid");
        answers[row.getAttribute("data-task")] = value;
      }
    });
    return bad ? { bad: bad } : { answers: answers };
  }

  function dryRun() {
    var output = document.getElementById("dry-run-output");
    var data;
    try { data = JSON.parse(sample.value || "{}"); } catch (error) { data = null; }
    if (!data || typeof data !== "object" || Array.isArray(data)) {
      output.textContent = t("badJson");
      return;
    }
    var given = readAnswers();
    if (given.bad) {
      output.textContent = t("badAnswer", { title: given.bad });
      return;
    }
    output.textContent = t("running");
    draft().then(function (body) {
      return post(root.dataset.dryRunUrl, { files: body, data: data, answers: given.answers });
    }).then(function (answer) {
      output.textContent = "";
      if (!answer.ok) {
        showProblems(answer.problems || []);
        output.textContent = t("refused");
        return;
      }
      var report = answer.report;
      output.appendChild(el("p", { text: t("dryRunSteps") }));
      output.appendChild(el("ol", { "class": "dry-run-steps" }, report.steps.map(function (step) {
        addAnswer(step);
        return el("li", { "data-task": step.task }, [
          el("strong", { text: step.title }), document.createTextNode("（" + (step.lane || "—") + "）"),
          el("code", { "class": "step-answer", text: JSON.stringify(step.data) })]);
      })));
      var stopped = report.stopped;
      var key = { "completed": "stopped_completed", "waiting for a timer": "stopped_timer",
        "waiting for a message": "stopped_message", "error": "stopped_error", "step limit": "stopped_limit" }[stopped.reason];
      var detail = stopped.reason === "error" ? (stopped.task + "：" + stopped.message) :
        (stopped.timers || []).map(function (x) { return x.timer + " → " + x.due_at; }).concat(
          (stopped.messages || []).map(function (x) { return x.element + " ← " + x.name; })).join("，");
      output.appendChild(el("p", { "class": "dry-run-stop stop-" + stopped.reason.replace(/ /g, "-"),
        text: t(key) + (detail ? " " + detail : "") }));
    }).catch(function () { output.textContent = t("failed"); });
  }

  function download() {
    modeler.saveXML({ format: true }).then(function (result) {
      var link = el("a", { download: mainFile, href: URL.createObjectURL(new Blob([result.xml], { type: "application/xml" })) });
      document.body.appendChild(link);
      link.click();
      link.remove();
    });
  }

  document.getElementById("btn-check").addEventListener("click", check);
  document.getElementById("btn-deploy").addEventListener("click", deploy);
  document.getElementById("btn-dry-run").addEventListener("click", dryRun);
  document.getElementById("btn-dry-run-again").addEventListener("click", dryRun);
  showAnswersHelp();
  document.getElementById("btn-download").addEventListener("click", download);

  modeler.on("selection.changed", function (event) { show(event.newSelection[0] || null); });
  modeler.on("elements.changed", function (event) {
    if (selected && event.elements.indexOf(selected) >= 0 && document.activeElement &&
        !panel.contains(document.activeElement)) { show(registry.get(selected.id) || null); }
  });

  // The first view: the whole diagram to the right of the palette (which floats over the canvas's left edge),
  // never so small that its labels cannot be read — then from its left edge, start event and lane names in sight.
  var READABLE = 0.75;

  function fitBesidePalette() {
    canvas.resized();
    var box = canvas.viewbox();
    var inner = box.inner;
    var palette = document.querySelector("#canvas .djs-palette");
    var container = document.getElementById("canvas").getBoundingClientRect();
    var left = palette ? palette.getBoundingClientRect().right - container.left + 24 : 24;
    var room = { width: box.outer.width - left - 24, height: box.outer.height - 48 };
    var zoom = Math.min(room.width / inner.width, room.height / inner.height, 1);
    zoom = Math.max(zoom, READABLE);
    canvas.viewbox({ x: inner.x - left / zoom, y: inner.y - 24 / zoom, width: box.outer.width / zoom,
      height: box.outer.height / zoom });
  }

  // The palette's entries carry their (translated) name as aria-label only: show it on hover too.
  function paletteTooltips() {
    var entries = document.querySelectorAll("#canvas .djs-palette .entry[aria-label]");
    for (var i = 0; i < entries.length; i++) { entries[i].title = entries[i].getAttribute("aria-label"); }
  }
  modeler.on("palette.changed", paletteTooltips);

  modeler.importXML(files[mainFile]).then(function () {
    paletteTooltips();
    fitBesidePalette();
    if (window.OneStopDiagram) {
      window.OneStopDiagram.addControls(modeler, document.getElementById("canvas"),
        JSON.parse(root.dataset.controls || "{}"), { fit: fitBesidePalette });
    }
    show(null);
    root.setAttribute("data-ready", "1");
  }).catch(function (error) {
    status.textContent = String(error.message || error);
  });
}());
