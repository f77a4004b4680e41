/* Global search: Ctrl-K (Cmd-K on a Mac) focuses the top bar's search box from anywhere; Escape leaves it.
   A static file under the Content-Security-Policy (no inline script), loaded by base.html. */
(function () {
  "use strict";
  document.addEventListener("keydown", function (evt) {
    var box = document.getElementById("kc-search-q");
    if (!box) { return; }
    if ((evt.ctrlKey || evt.metaKey) && !evt.altKey && !evt.shiftKey && (evt.key === "k" || evt.key === "K")) {
      evt.preventDefault();
      box.focus();
      box.select();
    } else if (evt.key === "Escape" && document.activeElement === box) {
      box.blur();
    }
  });
})();
