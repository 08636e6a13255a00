// The API explorer: Swagger UI (npm, served from ui/static/vendor, no CDN) on the platform's OpenAPI document.
(function () {
  "use strict";
  var root = document.getElementById("api-explorer");
  if (!root || !window.SwaggerUIBundle) { return; }
  window.SwaggerUIBundle({
    url: root.dataset.specUrl,
    domNode: root,
    deepLinking: false,
    docExpansion: "list",
    defaultModelsExpandDepth: 0,
    presets: [window.SwaggerUIBundle.presets.apis],
    layout: "BaseLayout",
    onComplete: function () {
      // Swagger UI's server choice has no label of its own: name it, for screen readers.
      var servers = document.getElementById("servers");
      if (servers) { servers.setAttribute("aria-label", root.dataset.serversLabel || "Servers"); }
      root.setAttribute("data-ready", "1");
    }
  });
}());
