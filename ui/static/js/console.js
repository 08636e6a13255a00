// The administrators' console: the bpmn-js navigated viewer with where one case stands (markers and overlays)
// or, on a flow's page, a badge per element counting the cases waiting there. Everything else works without it.
(function () {
  "use strict";

  function readJson(element, name) {
    var raw = element.getAttribute(name);
    if (!raw) {
      return null;
    }
    try {
      return JSON.parse(raw);
    } catch (error) {
      return null;
    }
  }

  function overlayLabel(className, text, title) {
    var label = document.createElement("div");
    label.className = "cs-overlay " + className;
    label.textContent = text;
    if (title) {
      label.title = title;
    }
    return label;
  }

  function markInstance(viewer, marks, labels) {
    var canvas = viewer.get("canvas");
    var registry = viewer.get("elementRegistry");
    var overlays = viewer.get("overlays");

    function mark(id, className) {
      if (id && registry.get(id)) {
        canvas.addMarker(id, className);
        return true;
      }
      return false;
    }

    (marks.completed || []).forEach(function (id) {
      if ((marks.current || []).indexOf(id) < 0) {
        mark(id, "cs-completed");
      }
    });
    (marks.current || []).forEach(function (id) {
      mark(id, "cs-current");
    });
    (marks.overdue || []).forEach(function (id) {
      if (mark(id, "cs-overdue")) {
        overlays.add(id, "cs", { position: { top: -12, left: -6 }, html: overlayLabel("cs-overlay-overdue", labels.overdue) });
      }
    });
    if (marks.error && mark(marks.error.element, "cs-error")) {
      overlays.add(marks.error.element, "cs", {
        position: { top: -12, left: -6 },
        html: overlayLabel("cs-overlay-error", labels.error, marks.error.message)
      });
    }
    (marks.timers || []).forEach(function (timer) {
      if (mark(timer.timer, "cs-timer")) {
        overlays.add(timer.timer, "cs", {
          position: { bottom: -6, left: 24 },
          html: overlayLabel("cs-overlay-timer", labels.timer + " " + (timer.due_text || timer.due_at), timer.name)
        });
      }
    });
  }

  function badgeFlow(viewer, counts, labels) {
    var canvas = viewer.get("canvas");
    var registry = viewer.get("elementRegistry");
    var overlays = viewer.get("overlays");
    Object.keys(counts).forEach(function (id) {
      var n = counts[id];
      if (!registry.get(id)) {
        return;
      }
      var badges = document.createElement("div");
      badges.className = "cs-badges";
      [["active", "active"], ["overdue", "overdue"], ["error", "error"], ["timers", "timer"]].forEach(function (pair) {
        var value = n[pair[0]] || 0;
        if (value > 0) {
          canvas.addMarker(id, "cs-has-" + pair[1]);
          var badge = overlayLabel("cs-badge cs-badge-" + pair[1], String(value), labels[pair[0]] + " " + value);
          badge.setAttribute("data-kind", pair[0]);
          badges.appendChild(badge);
        }
      });
      if (badges.childNodes.length) {
        overlays.add(id, "cs", { position: { top: -14, right: 10 }, html: badges });
      }
    });
  }

  function showDiagram(box) {
    if (!window.BpmnJS) {
      box.textContent = box.getAttribute("data-error-text");
      box.setAttribute("data-ready", "error");
      return;
    }
    var viewer = new window.BpmnJS({ container: box });
    var labels = readJson(box, "data-labels") || {};
    fetch(box.getAttribute("data-xml-url"), { credentials: "same-origin" })
      .then(function (response) {
        if (!response.ok) {
          throw new Error("HTTP " + response.status);
        }
        return response.text();
      })
      .then(function (xml) {
        return viewer.importXML(xml);
      })
      .then(function () {
        var marks = readJson(box, "data-marks");
        var counts = readJson(box, "data-counts");
        if (marks) {
          markInstance(viewer, marks, labels);
        }
        if (counts) {
          badgeFlow(viewer, counts, labels);
        }
        var focus = marks ? [].concat(marks.error ? [marks.error.element] : [], marks.overdue || [], marks.current || [])
          : Object.keys(counts || {});
        if (window.OneStopDiagram) {
          window.OneStopDiagram.addControls(viewer, box, readJson(box, "data-controls") || {});
          window.OneStopDiagram.showReadable(viewer, focus);
        } else {
          viewer.get("canvas").zoom("fit-viewport", "auto");
        }
        box.setAttribute("data-ready", "1");
      })
      .catch(function (error) {
        box.textContent = box.getAttribute("data-error-text") + " (" + error.message + ")";
        box.setAttribute("data-ready", "error");
      });
  }

  var box = document.getElementById("diagram");
  if (box) {
    showDiagram(box);
  }

  var print = document.querySelector("[data-print]");
  if (print) {
    print.addEventListener("click", function () {
      window.print();
    });
  }

  // On a phone the long weekly trends start folded: the figures that matter come first, the page stays short.
  if (window.matchMedia && window.matchMedia("(max-width: 700px)").matches) {
    var folds = document.querySelectorAll("details[data-fold-on-phone]");
    for (var f = 0; f < folds.length; f++) {
      folds[f].open = false;
    }
  }

  // The weekly on-time rate as a bar beside its figure.
  var bars = document.querySelectorAll(".rate-bar[data-rate]");
  for (var i = 0; i < bars.length; i++) {
    var rate = parseFloat(bars[i].getAttribute("data-rate"));
    bars[i].style.width = (isNaN(rate) ? 0 : Math.round(rate * 60)) + "px";
  }
})();
