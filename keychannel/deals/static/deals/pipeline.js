/* Kanban: a card moves by dragging (SortableJS) or, without a mouse, by its Move button, which opens the move
   dialog (stage, and for Lost the reason from the list and its details). Both post to the same endpoint as the
   deal page's form (deals:opportunity_move, the same service and rules). A drag onto Lost opens the dialog too,
   preset to Lost, since a lost deal needs its reason.
   A refused move snaps the card back to where it was and shows the reason (the board marks itself
   data-kc-errors-handled: kc.js's shared handler leaves its errors to this file); a move refused from the dialog
   shows the reason in the dialog, which stays open. The result of a move is announced in #board-status (a polite
   live region outside the board, which is replaced after each move), and the keyboard focus goes back to the moved
   card's Move button. Cards the user may not move carry kc-locked, have no Move button and cannot be dragged. */
(function () {
  "use strict";
  var config = document.getElementById("kc-board-config");
  var errorBox = document.getElementById("board-error");
  var status = document.getElementById("board-status");
  var dialogEl = document.getElementById("move-dialog");
  var dialog = bootstrap.Modal.getOrCreateInstance(dialogEl);
  var form = document.getElementById("move-dialog-form");
  var stageSelect = document.getElementById("move-dialog-stage");
  var reasonSelect = document.getElementById("move-dialog-lost_reason_code");
  var details = document.getElementById("move-dialog-lost_reason");
  var lostFields = document.getElementById("move-dialog-lost");
  var dialogError = document.getElementById("move-dialog-error");
  var current = null;  // {item, fromDrag, focusAfter} of the move the dialog is asking about

  function showError(text, registrationUrl, box) {
    box = box || errorBox;
    box.textContent = text || config.dataset.failed;
    if (registrationUrl && registrationUrl.charAt(0) === "/") {
      // The registration gate refused the move: offer "register this deal" (a same-site link only).
      var link = document.createElement("a");
      link.href = registrationUrl;
      link.className = "alert-link ms-2";
      link.textContent = config.dataset.register || "Register this deal";
      box.appendChild(document.createTextNode(" "));
      box.appendChild(link);
    }
    box.classList.remove("d-none");
  }

  function snapBack(item) {
    var from = item._kcFrom;
    if (!from) return;
    var ref = from.children[item._kcIndex] || null;
    from.insertBefore(item, ref);
    item._kcFrom = null;
  }

  function stageLabel(stage) {
    var option = stageSelect.querySelector('option[value="' + stage + '"]');
    return option ? option.textContent : stage;
  }

  function refreshBoard() {
    var board = document.getElementById("kc-board");
    htmx.ajax("GET", board.dataset.boardUrl + window.location.search, {target: "#kc-board", swap: "outerHTML"});
  }

  function post(item, values) {
    errorBox.classList.add("d-none");
    dialogError.classList.add("d-none");
    item.classList.add("opacity-50");
    item._kcValues = values;
    htmx.ajax("POST", item.dataset.moveUrl, {
      source: item, target: item, swap: "none", values: values,
      headers: {"X-CSRFToken": config.dataset.csrf}
    });
  }

  function toggleLost() {
    lostFields.hidden = stageSelect.value !== "lost";
  }

  function openDialog(item, stage, fromDrag) {
    current = {item: item, fromDrag: fromDrag};
    document.getElementById("move-dialog-deal").textContent = item.querySelector(".kc-move").dataset.title;
    stageSelect.value = stage;
    reasonSelect.value = "";
    details.value = "";
    dialogError.classList.add("d-none");
    toggleLost();
    dialog.show();
  }

  stageSelect.addEventListener("change", toggleLost);
  dialogEl.addEventListener("shown.bs.modal", function () {
    (stageSelect.value === "lost" && current && current.fromDrag ? reasonSelect : stageSelect).focus();
  });
  dialogEl.addEventListener("hidden.bs.modal", function () {
    var closing = current;
    current = null;
    if (!closing) return;
    // Moved: the board is redrawn once the dialog is gone (so the focus can return to the card for good).
    if (closing.sent) { closing.done(); return; }
    // Closed without a move (Cancel, Esc): a dragged card goes back to its column.
    snapBack(closing.item);
    var button = closing.item.querySelector(".kc-move");
    if (button) button.focus();
  });
  form.addEventListener("submit", function (evt) {
    evt.preventDefault();
    if (!current) return;
    var values = {stage: stageSelect.value};
    if (values.stage === "lost") {
      values.lost_reason_code = reasonSelect.value;
      values.lost_reason = details.value;
    }
    current.item._kcFromDialog = true;
    post(current.item, values);
  });

  document.addEventListener("click", function (evt) {
    var button = evt.target.closest ? evt.target.closest("#kc-board .kc-move") : null;
    if (!button) return;
    var item = button.closest(".kc-card");
    openDialog(item, button.dataset.stage, false);
  });

  function onEnd(evt) {
    var item = evt.item;
    if (evt.from === evt.to) return;
    var stage = evt.to.dataset.stage;
    item._kcFrom = evt.from;
    item._kcIndex = evt.oldIndex;
    if (stage === "lost") { openDialog(item, "lost", true); return; }
    item._kcFromDialog = false;
    post(item, {stage: stage});
  }

  document.body.addEventListener("htmx:responseError", function (evt) {
    var item = evt.detail.elt;
    if (!item || !item.classList || !item.classList.contains("kc-card")) return;
    item.classList.remove("opacity-50");
    var text = window.kc.errorText(evt.detail.xhr);
    var registration = evt.detail.xhr.getResponseHeader("X-Registration-Url");
    if (item._kcFromDialog && current) {
      showError(text, registration, dialogError);  // the dialog stays open: correct and send again, or cancel
      return;
    }
    snapBack(item);
    showError(text, registration);
  });
  document.body.addEventListener("htmx:afterRequest", function (evt) {
    var item = evt.detail.elt;
    if (!evt.detail.successful || !item || !item.classList || !item.classList.contains("kc-card")) return;
    var stage = item._kcValues && item._kcValues.stage;
    var title = item.querySelector(".kc-move") ? item.querySelector(".kc-move").dataset.title : "";
    var done = function () {
      status.textContent = config.dataset.moved.replace("__DEAL__", title).replace("__STAGE__", stageLabel(stage));
      status.dataset.focus = item.id;
      refreshBoard();
    };
    if (current && current.item === item) {
      current.sent = true;
      current.done = done;
      dialog.hide();
    } else {
      done();
    }
  });
  // "Show more" under a column (deals:pipeline_column) appends its next cards: the keyboard focus goes to the first
  // of them and the live region says so.
  document.body.addEventListener("htmx:beforeRequest", function (evt) {
    var button = evt.detail.elt;
    if (!button || !button.classList || !button.classList.contains("kc-more")) return;
    var zone = document.getElementById("column-" + button.dataset.stage);
    if (zone) zone._kcBefore = zone.querySelectorAll(".kc-card").length;
  });
  document.body.addEventListener("htmx:afterSettle", function (evt) {
    var zone = evt.detail.target;
    if (!zone || !zone.classList || !zone.classList.contains("kc-dropzone") || zone._kcBefore === undefined) return;
    var first = zone.querySelectorAll(".kc-card")[zone._kcBefore];
    delete zone._kcBefore;
    status.textContent = config.dataset.loaded;
    var target = first && (first.querySelector(".kc-move") || first.querySelector("a"));
    if (target) target.focus();
  });
  htmx.onLoad(function (root) {
    if (root.id === "kc-board" && status.dataset.focus) {
      // The board was redrawn after a move: the keyboard focus returns to the moved card (in its new column).
      var moved = document.querySelector("#" + status.dataset.focus + " .kc-move");
      delete status.dataset.focus;
      if (moved) moved.focus();
    }
    var zones = (root.querySelectorAll ? root : document).querySelectorAll(".kc-dropzone");
    zones.forEach(function (zone) {
      if (zone._kcSortable) return;
      zone._kcSortable = Sortable.create(zone, {
        group: "pipeline", animation: 120, forceFallback: true, fallbackTolerance: 3,
        // A card the user may not move (kc-locked, from the server's policy) cannot be picked up at all.
        draggable: ".kc-card", filter: "a, button, .kc-locked", preventOnFilter: false, onEnd: onEnd
      });
    });
  });
})();
