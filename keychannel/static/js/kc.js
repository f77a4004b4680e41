/* keychannel's shared front-end helpers, loaded on every page from base.html.

   kc.escape(value): every value that goes into HTML built in JavaScript passes through it. ECharts tooltip
   formatters return HTML strings, and the names in them (clients, people, distributors) are typed by
   users of other organisations: unescaped, a name is markup that runs in the viewer's session.
   Prefer textContent / text nodes where the API allows it; use kc.escape where it must be a string.

   The data-kc-* behaviours replace inline event handlers (onchange=, onclick=, javascript: URLs), which
   the Content-Security-Policy forbids:
     <select data-kc-autosubmit>        submits its form on change
     <button data-kc-print>             prints the page
     <a href="…" data-kc-back>          goes back in history (the href is the fallback) */
(function () {
  "use strict";
  var ENTITIES = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;", "`": "&#96;" };

  function escape(value) {
    return String(value == null ? "" : value).replace(/[&<>"'`]/g, function (c) { return ENTITIES[c]; });
  }

  window.kc = { escape: escape };

  document.addEventListener("change", function (evt) {
    var el = evt.target;
    if (el && el.matches && el.matches("[data-kc-autosubmit]") && el.form) { el.form.submit(); }
  });

  document.addEventListener("click", function (evt) {
    var el = evt.target && evt.target.closest && evt.target.closest("[data-kc-print], [data-kc-back]");
    if (!el) { return; }
    if (el.hasAttribute("data-kc-print")) {
      evt.preventDefault();
      window.print();
    } else if (window.history.length > 1) {
      evt.preventDefault();
      window.history.back();
    }
  });
})();
