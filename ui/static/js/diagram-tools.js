// Controls for the bpmn-js diagrams (the console's case and flow pages, the designer's diff): zoom in and out,
// fit the whole diagram, full screen — and a first view that stays readable: a wide diagram is not shrunk to
// unreadable text, it opens at a legible size on the element that matters (the current step, the start).
(function () {
  "use strict";

  var READABLE = 0.85;  // below this zoom bpmn-js's 12 px labels fall under 10 px
  var LEGIBLE = 0.75;  // the smallest zoom a side-by-side comparison shrinks to (labels of 9 px)

  function button(text, label, action) {
    var node = document.createElement("button");
    node.type = "button";
    node.className = "diagram-button";
    node.textContent = text;
    node.setAttribute("aria-label", label);
    node.title = label;
    node.setAttribute("data-label", label);
    node.addEventListener("click", action);
    return node;
  }

  function fitWhole(viewer) {
    viewer.get("canvas").zoom("fit-viewport", "auto");
  }

  // The diagram at full width of its box, the box's height following — but never below a legible zoom: a very wide
  // diagram keeps its text readable and is dragged sideways instead.
  function fitWidth(viewer, box, padding) {
    var canvas = viewer.get("canvas");
    var inner = canvas.viewbox().inner;
    var pad = padding || 20;
    var zoom = Math.max(box.clientWidth / (inner.width + 2 * pad), LEGIBLE);
    box.style.height = Math.max(240, Math.ceil((inner.height + 2 * pad) * zoom)) + "px";
    canvas.resized();
    canvas.viewbox({ x: inner.x - pad, y: inner.y - pad, width: box.clientWidth / zoom,
      height: box.clientHeight / zoom });
  }

  function showReadable(viewer, focusIds) {
    var canvas = viewer.get("canvas");
    var registry = viewer.get("elementRegistry");
    canvas.zoom("fit-viewport", "auto");
    if (canvas.zoom() >= READABLE) { return; }
    var view = canvas.viewbox();
    var width = view.outer.width / READABLE;
    var height = view.outer.height / READABLE;
    var focus = (focusIds || []).map(function (id) { return registry.get(id); }).filter(Boolean)[0];
    var x = focus ? focus.x + focus.width / 2 - width / 2 : view.inner.x - 20;
    var y = focus ? focus.y + focus.height / 2 - height / 2 : view.inner.y + view.inner.height / 2 - height / 2;
    // kept within the diagram's edges where the window allows, so no side shows more blank than it must
    x = Math.max(Math.min(x, view.inner.x + view.inner.width + 20 - width), view.inner.x - 20);
    y = Math.max(Math.min(y, view.inner.y + view.inner.height + 20 - height), view.inner.y - 20);
    canvas.viewbox({ x: x, y: y, width: width, height: height });
  }

  function addControls(viewer, box, labels, options) {
    var canvas = viewer.get("canvas");
    var bar = document.createElement("div");
    bar.className = "diagram-controls";
    bar.setAttribute("role", "toolbar");
    bar.setAttribute("aria-label", labels.toolbar || "");
    var fit = (options && options.fit) || function () { fitWhole(viewer); };
    bar.appendChild(button("+", labels.zoomIn, function () { viewer.get("zoomScroll").stepZoom(1); }));
    bar.appendChild(button("−", labels.zoomOut, function () { viewer.get("zoomScroll").stepZoom(-1); }));
    var whole = button(labels.fit, labels.fit, fit);
    whole.title = labels.fitLong || labels.fit;  // the accessible name is the visible word; the title explains
    bar.appendChild(whole);
    if (box.requestFullscreen) {
      var full = button(labels.fullscreen, labels.fullscreen, function () {
        if (document.fullscreenElement === box) { document.exitFullscreen(); } else { box.requestFullscreen(); }
      });
      full.setAttribute("data-action", "fullscreen");
      bar.appendChild(full);
      box.addEventListener("fullscreenchange", function () {
        var on = document.fullscreenElement === box;
        full.textContent = on ? labels.exitFullscreen : labels.fullscreen;
        full.setAttribute("aria-label", full.textContent);
        canvas.resized();
        fit();
      });
    }
    box.appendChild(bar);
    return bar;
  }

  window.OneStopDiagram = { addControls: addControls, showReadable: showReadable, fitWidth: fitWidth,
    fitWhole: fitWhole };
}());
