// The designers' decision-table editor: dmn-js (npm, served from ui/static/vendor) on one DMN file of a deployed
// version, its texts in the page's language, the server's checks marked on the cells they concern, and a deploy
// of the flow with the edited table as a new version.
(function () {
  "use strict";

  var root = document.getElementById("dmn-editor");
  if (!root || !window.DmnJS) { return; }
  var files = JSON.parse(root.dataset.files);
  var file = root.dataset.file;
  var labels = JSON.parse(root.dataset.labels);
  var texts = JSON.parse(root.dataset.texts || "{}");
  var status = document.getElementById("dmn-status");

  function t(key, values) {
    var text = labels[key] || key;
    Object.keys(values || {}).forEach(function (name) { text = text.replace("{" + name + "}", values[name]); });
    return text;
  }

  function translate(template, replacements) {
    var text = texts[template] || template;
    return text.replace(/{([^}]+)}/g, function (whole, key) {
      return replacements && replacements[key] !== undefined ? String(replacements[key]) : whole;
    });
  }

  var el = window.OneStopPage.el;
  var post = window.OneStopPage.post;

  // Each view takes its own additional modules (dmn-js does not merge those of `common` into them).
  var translated = { additionalModules: [{ translate: ["value", translate] }] };
  var modeler = new window.DmnJS({
    container: "#dmn-canvas", drd: translated, decisionTable: translated, literalExpression: translated
  });

  function draft() {
    return window.OneStopPage.draftOf(modeler, files, file);
  }

  function clearMarks() {
    Array.prototype.forEach.call(document.querySelectorAll("#dmn-canvas .has-problem"), function (node) {
      node.classList.remove("has-problem");
      node.removeAttribute("title");
    });
  }

  function mark(selector, message) {
    Array.prototype.forEach.call(document.querySelectorAll(selector), function (node) {
      node.classList.add("has-problem");
      node.setAttribute("title", (node.getAttribute("title") ? node.getAttribute("title") + "\n" : "") + message);
    });
  }

  function showProblems(problems) {
    clearMarks();
    var list = document.getElementById("dmn-problems-list");
    list.textContent = "";
    problems.forEach(function (problem) {
      var where = problem.rule ? t("rule", { rule: problem.rule }) : (problem.file + " " + t("line", { line: problem.line }));
      list.appendChild(el("li", { "data-cell": problem.cell || "", "data-rule": problem.rule || "" }, [
        el("code", { text: where }), document.createTextNode(" " + problem.message)]));
      if (problem.cell) { mark('[data-element-id="' + problem.cell + '"]', problem.message); }
      if (problem.rule) { mark('tr[data-row-id="' + problem.rule + '"] td:first-child', problem.message); }
    });
    document.getElementById("dmn-problems-title").textContent = t("problems", { count: problems.length });
    document.getElementById("dmn-problems").hidden = !problems.length;
  }

  function check() {
    status.textContent = t("checking");
    return draft().then(function (body) { return post(root.dataset.checkUrl, { files: body }); })
      .then(function (answer) {
        showProblems(answer.problems || []);
        status.textContent = answer.ok ? t("clean") : "";
        return answer.ok;
      }).catch(function () { status.textContent = t("failed"); return false; });
  }

  function deploy() {
    status.textContent = t("deploying");
    var result = document.getElementById("dmn-result");
    result.hidden = true;
    draft().then(function (body) { return post(root.dataset.deployUrl, { files: body }); })
      .then(function (answer) {
        if (!answer.ok) {
          return check().then(function () { status.textContent = t("refused"); });
        }
        clearMarks();
        document.getElementById("dmn-problems").hidden = true;
        status.textContent = "";
        result.textContent = "";
        result.appendChild(el("h2", { text: t(answer.created ? "deployed" : "unchanged", { version: answer.version }) }));
        var diff = root.dataset.diffUrl + "?from=" + root.dataset.version + "&to=" + answer.version;
        result.appendChild(el("p", { "class": "action-row" }, [
          el("a", { "class": "button", href: answer.versions_url, text: t("versions") }),
          answer.created ? el("a", { "class": "button", href: diff, id: "link-dmn-diff",
            text: t("diff", { version: root.dataset.version }) }) : null]));
        result.hidden = false;
      }).catch(function () { status.textContent = t("failed"); });
  }

  document.getElementById("btn-dmn-check").addEventListener("click", check);
  document.getElementById("btn-dmn-deploy").addEventListener("click", deploy);

  modeler.importXML(files[file]).then(function () {
    var table = modeler.getViews().filter(function (view) { return view.type === "decisionTable"; })[0];
    return table ? modeler.open(table) : null;
  }).then(function () {
    root.setAttribute("data-ready", "1");
  }).catch(function (error) {
    status.textContent = String(error.message || error);
    root.setAttribute("data-ready", "1");
  });
}());
