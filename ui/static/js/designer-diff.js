// The visual diff of two versions: both diagrams one above the other, each as wide as the page, with the added,
// removed and changed elements coloured; each has zoom, fit and full-screen controls.
(function () {
  "use strict";

  var root = document.getElementById("diff");
  if (!root || !window.BpmnJS) { return; }
  var diff = JSON.parse(root.dataset.diff);
  var controls = JSON.parse(root.dataset.controls || "{}");

  function ids(list) { return list.map(function (item) { return item.id; }); }

  function show(selector, url, marks) {
    var container = document.querySelector(selector);
    var viewer = new window.BpmnJS({ container: container });
    return fetch(url, { credentials: "same-origin" }).then(function (response) {
      return response.text();
    }).then(function (xml) {
      return viewer.importXML(xml);
    }).then(function () {
      var canvas = viewer.get("canvas");
      var registry = viewer.get("elementRegistry");
      Object.keys(marks).forEach(function (marker) {
        marks[marker].forEach(function (id) {
          if (registry.get(id)) { canvas.addMarker(id, marker); }
        });
      });
      var tools = window.OneStopDiagram;
      if (tools) {
        var fit = function () { tools.fitWidth(viewer, container); };
        fit();
        tools.addControls(viewer, container, controls, { fit: fit });
      } else {
        canvas.zoom("fit-viewport");
      }
      container.setAttribute("data-ready", "1");
    });
  }

  var changed = ids(diff.changed);
  show("#diff-old", root.dataset.oldUrl, { "diff-removed": ids(diff.removed), "diff-changed": changed });
  show("#diff-new", root.dataset.newUrl, { "diff-added": ids(diff.added), "diff-changed": changed });
}());
