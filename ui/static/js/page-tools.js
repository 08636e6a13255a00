/* Helpers the designer's scripts share (the modeler, the form builder, the decision-table editor): building DOM
   nodes, POSTing JSON with the page's CSRF token, and a draft's files with the edited one saved. Loaded before
   them; they read window.OneStopPage. */
(function () {
  "use strict";

  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (name) {
      if (name === "text") { node.textContent = attrs[name]; } else { node.setAttribute(name, attrs[name]); }
    });
    (children || []).forEach(function (child) { if (child) { node.appendChild(child); } });
    return node;
  }

  /* POST a JSON body; resolves to the JSON answer with its HTTP status added as `status`. */
  function post(url, body) {
    var csrf = document.querySelector("meta[name=csrf-token]").getAttribute("content");
    return fetch(url, {
      method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrf, "Accept": "application/json" },
      body: JSON.stringify(body)
    }).then(function (response) {
      return response.json().then(function (data) { data.status = response.status; return data; });
    });
  }

  /* The files of a draft with one of them replaced by what the editor holds now (bpmn-js and dmn-js alike). */
  function draftOf(editor, files, name) {
    return editor.saveXML({ format: true }).then(function (result) {
      var copy = {};
      Object.keys(files).forEach(function (key) { copy[key] = files[key]; });
      copy[name] = result.xml;
      return copy;
    });
  }

  window.OneStopPage = { el: el, post: post, draftOf: draftOf };
})();
