/* Upload progress for the sales-report form. Listens on the document, so it keeps working after HTMX
   swaps the form for its validated version (scripts inside swapped fragments do not run under the CSP). */
(function () {
  "use strict";
  document.addEventListener("htmx:xhr:progress", function (evt) {
    if (!evt.target || evt.target.id !== "upload-form") { return; }
    var box = document.getElementById("upload-progress");
    if (!box || !evt.detail.lengthComputable) { return; }
    box.classList.remove("d-none");
    var pct = Math.round(evt.detail.loaded / evt.detail.total * 100);
    var bar = box.querySelector(".progress-bar");
    bar.style.width = pct + "%";
    bar.textContent = pct + " %";
  });
})();
