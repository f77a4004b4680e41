/* Kanban drag: SortableJS moves the card, HTMX posts the move to the same service as the form.
   A refused move snaps the card back to where it was and shows the reason (the board marks itself
   data-kc-errors-handled: kc.js's shared handler leaves its errors to this file). Cards the user may not move
   carry kc-locked and are filtered out of dragging. */
(function () {
  "use strict";
  var config = document.getElementById("kc-board-config");
  var errorBox = document.getElementById("board-error");

  function showError(text, registrationUrl) {
    errorBox.textContent = text || config.dataset.failed;
    if (registrationUrl && registrationUrl.charAt(0) === "/") {
      // The registration gate refused the move: offer "register this deal" (a same-site link only).
      var link = document.createElement("a");
      link.href = registrationUrl;
      link.className = "alert-link ms-2";
      link.textContent = config.dataset.register || "Register this deal";
      errorBox.appendChild(document.createTextNode(" "));
      errorBox.appendChild(link);
    }
    errorBox.classList.remove("d-none");
  }

  function snapBack(item) {
    var from = item._kcFrom;
    if (!from) return;
    var ref = from.children[item._kcIndex] || null;
    from.insertBefore(item, ref);
  }

  function refreshBoard() {
    var board = document.getElementById("kc-board");
    htmx.ajax("GET", board.dataset.boardUrl + window.location.search, {target: "#kc-board", swap: "outerHTML"});
  }

  function onEnd(evt) {
    var item = evt.item;
    if (evt.from === evt.to) return;
    var stage = evt.to.dataset.stage;
    item._kcFrom = evt.from;
    item._kcIndex = evt.oldIndex;
    var values = {stage: stage};
    if (stage === "lost") {
      var reason = window.prompt(config.dataset.lostPrompt);
      if (reason === null) { snapBack(item); return; }
      values.lost_reason = reason;
    }
    errorBox.classList.add("d-none");
    item.classList.add("opacity-50");
    htmx.ajax("POST", item.dataset.moveUrl, {
      source: item, target: item, swap: "none", values: values,
      headers: {"X-CSRFToken": config.dataset.csrf}
    });
  }

  document.body.addEventListener("htmx:responseError", function (evt) {
    var item = evt.detail.elt;
    if (!item || !item.classList || !item.classList.contains("kc-card")) return;
    item.classList.remove("opacity-50");
    snapBack(item);
    // kc.errorText: the service's sentence (text/plain), never the HTML of an error page.
    showError(window.kc.errorText(evt.detail.xhr), evt.detail.xhr.getResponseHeader("X-Registration-Url"));
  });
  document.body.addEventListener("htmx:afterRequest", function (evt) {
    var item = evt.detail.elt;
    if (evt.detail.successful && item && item.classList && item.classList.contains("kc-card")) refreshBoard();
  });

  htmx.onLoad(function (root) {
    var zones = (root.querySelectorAll ? root : document).querySelectorAll(".kc-dropzone");
    zones.forEach(function (zone) {
      if (zone._kcSortable) return;
      zone._kcSortable = Sortable.create(zone, {
        group: "pipeline", animation: 120, forceFallback: true, fallbackTolerance: 3,
        // A card the user may not move (kc-locked, from the server's policy) cannot be picked up at all.
        draggable: ".kc-card", filter: "a, .kc-locked", preventOnFilter: false, onEnd: onEnd
      });
    });
  });
})();
