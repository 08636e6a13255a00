// The working-day calendar as a calendar: click a day to mark it a holiday, an adjusted working day, or an
// ordinary day again. The grid writes the two lists the form sends (one day a line), so the page also works
// without this script, by editing those lists as text.
(function () {
  "use strict";

  var editor = document.getElementById("calendar-editor");
  if (!editor) { return; }
  var form = editor.closest("form");
  var holidays = form.querySelector("textarea[name=holidays]");
  var working = form.querySelector("textarea[name=working_days]");
  var nameInput = document.getElementById("mark-name");
  var summary = document.getElementById("calendar-summary");
  var kinds = JSON.parse(editor.getAttribute("data-kinds"));
  var days = editor.querySelectorAll("button.day");

  function show(button, kind, name) {
    button.className = "day day-" + kind;
    button.setAttribute("data-kind", kind);
    button.setAttribute("data-name", name || "");
    button.setAttribute("aria-pressed", kind === "holiday" || kind === "working" ? "true" : "false");
    button.setAttribute("title", name || kinds[kind]);
    button.setAttribute("aria-label", button.getAttribute("data-label") + "：" + kinds[kind] + (name ? "（" + name + "）" : ""));
  }

  function plain(button) {
    return button.getAttribute("data-weekend") === "1" ? "weekend" : "workday";
  }

  function writeLists() {
    var lines = { holiday: [], working: [] };
    for (var i = 0; i < days.length; i++) {
      var kind = days[i].getAttribute("data-kind");
      if (lines[kind]) {
        lines[kind].push((days[i].getAttribute("data-date") + " " + days[i].getAttribute("data-name")).trim());
      }
    }
    holidays.value = lines.holiday.join("\n");
    working.value = lines.working.join("\n");
    summary.textContent = editor.getAttribute("data-summary")
      .replace("{holidays}", lines.holiday.length).replace("{working}", lines.working.length);
  }

  // Text pasted into the lists (the State Council's notice, say) is drawn on the grid.
  function readLists() {
    var marked = {};
    [[holidays, "holiday"], [working, "working"]].forEach(function (pair) {
      pair[0].value.split("\n").forEach(function (line) {
        var parts = line.trim().split(/\s+/);
        if (parts[0]) { marked[parts[0]] = [pair[1], parts.slice(1).join(" ")]; }
      });
    });
    for (var i = 0; i < days.length; i++) {
      var found = marked[days[i].getAttribute("data-date")];
      show(days[i], found ? found[0] : plain(days[i]), found ? found[1] : "");
    }
    writeLists();
  }

  editor.addEventListener("click", function (event) {
    var button = event.target.closest("button.day");
    if (!button) { return; }
    var mode = form.querySelector("input[name=mark]:checked").value;
    if (mode === "clear") {
      show(button, plain(button), "");
    } else {
      show(button, mode, nameInput.value.trim() || (button.getAttribute("data-kind") === mode ? button.getAttribute("data-name") : ""));
    }
    writeLists();
  });
  holidays.addEventListener("change", readLists);
  working.addEventListener("change", readLists);

  editor.hidden = false;
  document.getElementById("calendar-text").open = false;
  writeLists();
}());
