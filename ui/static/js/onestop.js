// OneStop web UI: small progressive enhancements only; every page works without this script.
(function () {
  "use strict";

  // Ask before an action that cannot simply be undone (release, hand over, delete a saved filter).
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var question = form.getAttribute("data-confirm");
    if (question && !window.confirm(question)) {
      event.preventDefault();
      return;
    }
    // A second click while the first submission is on its way would only meet a conflict.
    if (form.hasAttribute("data-submit-once")) {
      if (form.getAttribute("data-submitting") === "1") {
        event.preventDefault();
        return;
      }
      form.setAttribute("data-submitting", "1");
      var buttons = form.querySelectorAll("button[type=submit]");
      for (var i = 0; i < buttons.length; i++) {
        buttons[i].classList.add("is-busy");
      }
    }
  });

  // The menu folds away on a phone.
  var toggle = document.querySelector(".nav-toggle");
  var nav = document.getElementById("site-nav");
  if (toggle && nav) {
    toggle.addEventListener("click", function () {
      var open = nav.classList.toggle("is-open");
      toggle.setAttribute("aria-expanded", open ? "true" : "false");
    });
  }

  // Show the chosen file's name and size beside a file field, and warn at once about a file over 10 MB.
  var limit = 10 * 1024 * 1024;
  var inputs = document.querySelectorAll("input[type=file]");
  for (var j = 0; j < inputs.length; j++) {
    inputs[j].addEventListener("change", function (event) {
      var input = event.target;
      var note = input.parentNode.querySelector(".file-note");
      if (!note) {
        note = document.createElement("p");
        note.className = "file-note";
        input.parentNode.insertBefore(note, input.nextSibling);
      }
      var file = input.files && input.files[0];
      if (!file) {
        note.textContent = "";
        return;
      }
      var size = file.size >= 1048576 ? (file.size / 1048576).toFixed(1) + " MB" : Math.max(1, Math.round(file.size / 1024)) + " KB";
      note.textContent = file.name + " · " + size;
      note.classList.toggle("error-text", file.size > limit);
      if (file.size > limit) {
        note.textContent += document.documentElement.lang === "en" ? " — larger than 10 MB" : " — 超过 10MB，请压缩后再上传";
      }
    });
  }
})();
