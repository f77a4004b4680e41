/* keychannel's shared front-end helpers, loaded on every page from base.html.

   kc.escape(value): every value that goes into HTML built in JavaScript passes through it. ECharts tooltip
   formatters return HTML strings, and the names in them (clients, people, distributors) are typed by
   users of other organisations: unescaped, a name is markup that runs in the viewer's session.
   Prefer textContent / text nodes where the API allows it; use kc.escape where it must be a string.

   The data-kc-* behaviours replace inline event handlers (onchange=, onclick=, javascript: URLs), which
   the Content-Security-Policy forbids:
     <select data-kc-autosubmit>        submits its form on change
     <button data-kc-print>             prints the page
     <a href="…" data-kc-back>          goes back in history (the href is the fallback)

   Wide tables: every table.table not already inside .table-responsive gets one, on load and after each htmx
   swap, so a wide table scrolls in its own box instead of making the page wider than the window.

   Refused HTMX actions (403/409/422): the server answers a short text/plain message in the page's language
   (core/partials.py HtmxErrorMiddleware); kc.errorText(xhr) reads it — any other answer (an HTML error page, a
   proxy's page) becomes the body's data-kc-error-generic sentence, never raw HTML — and the message goes into
   the box named by the nearest data-kc-error-box (an element id), else #kc-error in base.html. A part of the
   page with its own handling marks itself data-kc-errors-handled. */
(function () {
  "use strict";
  var ENTITIES = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;", "`": "&#96;" };

  function escape(value) {
    return String(value == null ? "" : value).replace(/[&<>"'`]/g, function (c) { return ENTITIES[c]; });
  }

  function errorText(xhr) {
    var type = (xhr && xhr.getResponseHeader("Content-Type")) || "";
    var generic = document.body.getAttribute("data-kc-error-generic") || "";
    if (type.indexOf("text/plain") === 0) { return (xhr.responseText || "").trim().slice(0, 600) || generic; }
    if (type.indexOf("application/json") === 0) {
      try {
        var detail = JSON.parse(xhr.responseText).detail;
        if (typeof detail === "string") { return detail; }
        if (Array.isArray(detail)) { return detail.map(function (d) { return d.msg || ""; }).join(" ").trim() || generic; }
      } catch (e) { /* not the API's format: the generic sentence */ }
    }
    return generic;
  }

  function errorBox(elt) {
    var owner = elt && elt.closest ? elt.closest("[data-kc-error-box]") : null;
    return (owner && document.getElementById(owner.getAttribute("data-kc-error-box"))) || document.getElementById("kc-error");
  }

  function showError(elt, text) {
    var box = errorBox(elt);
    if (!box) { return; }
    box.textContent = text;
    box.classList.remove("d-none");
  }

  window.kc = { escape: escape, errorText: errorText, showError: showError };

  function wrapTables(root) {
    var scope = root && root.querySelectorAll ? root : document;
    var tables = scope.querySelectorAll("table.table");
    Array.prototype.forEach.call(tables, function (table) {
      var parent = table.parentElement;
      if (!parent || parent.classList.contains("table-responsive") || table.closest(".table-responsive")) { return; }
      var box = document.createElement("div");
      box.className = "table-responsive";
      parent.insertBefore(box, table);
      box.appendChild(table);
    });
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () { wrapTables(document); });
  } else {
    wrapTables(document);
  }
  document.addEventListener("htmx:load", function (evt) { wrapTables(evt.target); });

  document.addEventListener("htmx:responseError", function (evt) {
    var elt = evt.detail && evt.detail.elt;
    if (elt && elt.closest && elt.closest("[data-kc-errors-handled]")) { return; }
    showError(elt, errorText(evt.detail.xhr));
  });
  document.addEventListener("htmx:beforeRequest", function (evt) {
    var box = errorBox(evt.detail && evt.detail.elt);
    if (box) { box.classList.add("d-none"); }
  });

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
