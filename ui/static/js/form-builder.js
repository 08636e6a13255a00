// The form builder beside the form's JSON Schema: a row per field (name, title, kind, required, choices, format),
// edited visually and written back into the JSON (and the UI schema for long text and file fields) — keys the
// builder does not know (pattern, minimum, …) are kept as they are, so the JSON round-trips. modeler.js calls it.
(function () {
  "use strict";

  var KINDS = ["text", "textarea", "integer", "number", "boolean", "date", "choice", "choices", "file"];
  var FORMATS = ["", "email", "date-time", "uri"];
  var NAME = /^[A-Za-z][A-Za-z0-9_]*$/;

  var el = window.OneStopPage.el;


  function kindOf(spec, ui) {
    var widget = (ui || {})["ui:widget"];
    if (widget === "file" || widget === "attachment") { return "file"; }
    if (spec.type === "boolean") { return "boolean"; }
    if (spec.type === "array" && spec.items && spec.items["enum"]) { return "choices"; }
    if (spec["enum"]) { return "choice"; }
    if (spec.type === "integer" || spec.type === "number") { return spec.type; }
    if (spec.format === "date") { return "date"; }
    if (widget === "textarea" || (spec.maxLength || 0) > 200) { return "textarea"; }
    return "text";
  }

  // The field's JSON Schema for a kind, keeping what the builder does not edit.
  function withKind(spec, kind, choices) {
    var next = JSON.parse(JSON.stringify(spec));
    ["enum", "items", "uniqueItems"].forEach(function (key) { delete next[key]; });
    if (next.format === "date") { delete next.format; }
    if (kind === "integer" || kind === "number" || kind === "boolean") {
      next.type = kind;
      delete next.format; delete next.maxLength; delete next.minLength; delete next.pattern;
    } else if (kind === "choices") {
      next.type = "array";
      next.items = { type: "string", "enum": choices.length ? choices : ["选项一"] };
      next.uniqueItems = true;
      delete next.maxLength; delete next.minLength;
    } else {
      next.type = "string";
      if (kind === "date") { next.format = "date"; delete next.maxLength; }
      if (kind === "choice") { next["enum"] = choices.length ? choices : ["选项一", "选项二"]; }
      if (kind === "file") { next.minLength = 1; next.maxLength = 255; delete next.format; }
    }
    return next;
  }

  function create(container, options) {
    var labels = options.labels;
    var state = { schema: null, ui: null };

    function emit() {
      options.onChange(JSON.stringify(state.schema, null, 2), state.ui ? JSON.stringify(state.ui, null, 2) : null);
    }

    function widgetFor(name, kind) {
      var wanted = kind === "file" ? "file" : (kind === "textarea" ? "textarea" : null);
      var current = state.ui && state.ui[name] ? state.ui[name]["ui:widget"] : undefined;
      if (wanted && current !== wanted) {
        state.ui = state.ui || options.ensureUi();
        if (!state.ui) { return false; }
        state.ui[name] = Object.assign({}, state.ui[name] || {}, { "ui:widget": wanted });
      } else if (!wanted && state.ui && state.ui[name] && ["file", "attachment", "textarea"].indexOf(current) >= 0) {
        delete state.ui[name]["ui:widget"];
        if (!Object.keys(state.ui[name]).length) { delete state.ui[name]; }
      }
      return true;
    }

    function rename(oldName, newName) {
      var properties = {};
      Object.keys(state.schema.properties).forEach(function (key) {
        properties[key === oldName ? newName : key] = state.schema.properties[key];
      });
      state.schema.properties = properties;
      state.schema.required = (state.schema.required || []).map(function (key) { return key === oldName ? newName : key; });
      if (state.ui && state.ui[oldName]) { state.ui[newName] = state.ui[oldName]; delete state.ui[oldName]; }
    }

    function move(name, step) {
      var keys = Object.keys(state.schema.properties);
      var index = keys.indexOf(name);
      var target = index + step;
      if (target < 0 || target >= keys.length) { return; }
      keys.splice(index, 1);
      keys.splice(target, 0, name);
      var properties = {};
      keys.forEach(function (key) { properties[key] = state.schema.properties[key]; });
      state.schema.properties = properties;
    }

    function control(label, node, cls) {
      var id = "fb-" + Math.random().toString(36).slice(2);
      node.id = id;
      return el("div", { "class": "fb-control " + (cls || "") }, [el("label", { "for": id, text: label }), node]);
    }

    function row(name, index) {
      var spec = state.schema.properties[name] || {};
      var ui = state.ui ? state.ui[name] : null;
      var kind = kindOf(spec, ui);
      var choices = kind === "choices" ? (spec.items || {})["enum"] || [] : spec["enum"] || [];
      var box = el("fieldset", { "class": "fb-field", "data-field": name });
      box.appendChild(el("legend", { text: labels.field.replace("{n}", index + 1) + "：" + (spec.title || name) }));

      var nameInput = el("input", { value: name, "data-fb": "name", spellcheck: "false" });
      nameInput.addEventListener("change", function () {
        var value = nameInput.value.trim();
        if (!NAME.test(value) || (value !== name && state.schema.properties[value])) {
          nameInput.value = name;
          options.onProblem(labels.badName);
          return;
        }
        rename(name, value); emit(); render();
      });
      var title = el("input", { value: spec.title || "", "data-fb": "title" });
      title.addEventListener("change", function () {
        if (title.value.trim()) { spec.title = title.value.trim(); } else { delete spec.title; }
        emit(); render();
      });
      var kindSelect = el("select", { "data-fb": "kind" });
      KINDS.forEach(function (k) {
        var option = el("option", { value: k, text: labels.kinds[k] });
        if (k === kind) { option.selected = true; }
        kindSelect.appendChild(option);
      });
      kindSelect.addEventListener("change", function () {
        if (!widgetFor(name, kindSelect.value)) { kindSelect.value = kind; options.onProblem(labels.needUi); return; }
        state.schema.properties[name] = withKind(spec, kindSelect.value, choices);
        emit(); render();
      });
      var required = el("input", { type: "checkbox", "data-fb": "required" });
      required.checked = (state.schema.required || []).indexOf(name) >= 0;
      required.addEventListener("change", function () {
        var list = (state.schema.required || []).filter(function (key) { return key !== name; });
        if (required.checked) { list.push(name); }
        state.schema.required = list;
        emit();
      });
      box.appendChild(el("div", { "class": "fb-grid" }, [
        control(labels.name, nameInput), control(labels.title, title), control(labels.kind, kindSelect),
        el("label", { "class": "check fb-required" }, [required, el("span", { text: labels.required })])]));

      if (kind === "choice" || kind === "choices") {
        var values = el("textarea", { rows: "3", "data-fb": "choices" });
        values.value = choices.join("\n");
        values.addEventListener("change", function () {
          var list = values.value.split("\n").map(function (v) { return v.trim(); }).filter(Boolean);
          if (!list.length) { options.onProblem(labels.noChoices); return; }
          if (kind === "choices") { spec.items = Object.assign({}, spec.items || {}, { "enum": list }); } else { spec["enum"] = list; }
          emit();
        });
        box.appendChild(control(labels.choices, values, "fb-wide"));
      }
      if (kind === "text") {
        var format = el("select", { "data-fb": "format" });
        FORMATS.forEach(function (f) {
          var option = el("option", { value: f, text: labels.formats[f || "none"] });
          if ((spec.format || "") === f) { option.selected = true; }
          format.appendChild(option);
        });
        format.addEventListener("change", function () {
          if (format.value) { spec.format = format.value; } else { delete spec.format; }
          emit();
        });
        box.appendChild(control(labels.format, format));
      }
      var buttons = el("div", { "class": "fb-buttons" });
      [["up", -1], ["down", 1]].forEach(function (pair) {
        var button = el("button", { type: "button", "class": "button small", "data-fb": pair[0], text: labels[pair[0]] });
        button.addEventListener("click", function () { move(name, pair[1]); emit(); render(); });
        buttons.appendChild(button);
      });
      var remove = el("button", { type: "button", "class": "button small danger", "data-fb": "remove", text: labels.remove });
      remove.addEventListener("click", function () {
        delete state.schema.properties[name];
        state.schema.required = (state.schema.required || []).filter(function (key) { return key !== name; });
        if (state.ui) { delete state.ui[name]; }
        emit(); render();
      });
      buttons.appendChild(remove);
      box.appendChild(buttons);
      return box;
    }

    function render() {
      container.textContent = "";
      if (!state.schema) { container.appendChild(el("p", { "class": "muted", text: labels.unreadable })); return; }
      var formTitle = el("input", { value: state.schema.title || "", "data-fb": "form-title" });
      formTitle.addEventListener("change", function () { state.schema.title = formTitle.value.trim(); emit(); });
      container.appendChild(control(labels.formTitle, formTitle, "fb-wide"));
      Object.keys(state.schema.properties || {}).forEach(function (name, index) { container.appendChild(row(name, index)); });
      var add = el("button", { type: "button", "class": "button small", id: "fb-add", text: labels.add });
      add.addEventListener("click", function () {
        state.schema.properties = state.schema.properties || {};
        var n = Object.keys(state.schema.properties).length + 1;
        while (state.schema.properties["field_" + n]) { n += 1; }
        state.schema.properties["field_" + n] = { type: "string", title: labels.newField };
        emit(); render();
      });
      container.appendChild(add);
    }

    // Read the JSON texts again (after the designer typed in them); an unreadable text leaves the builder waiting.
    function load(schemaText, uiText) {
      try {
        var schema = JSON.parse(schemaText);
        var ui = uiText ? JSON.parse(uiText) : null;
        if (!schema || typeof schema !== "object" || Array.isArray(schema)) { throw new Error("not an object"); }
        schema.properties = schema.properties || {};
        state.schema = schema;
        state.ui = ui && typeof ui === "object" && !Array.isArray(ui) ? ui : null;
      } catch (error) {
        state.schema = null;
      }
      render();
    }

    return { load: load };
  }

  window.OneStopFormBuilder = { create: create };
}());
