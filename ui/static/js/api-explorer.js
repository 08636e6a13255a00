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
    onComplete: function () { root.setAttribute("data-ready", "1"); }
  });
}());
