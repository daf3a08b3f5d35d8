/* Portal enhancements. Everything works without this file. */
(function () {
  "use strict";
  document.querySelectorAll("[data-print]").forEach(function (button) {
    button.hidden = false;
    button.addEventListener("click", function () { window.print(); });
  });
  // Move focus to an error summary so that screen readers announce it at once.
  var summary = document.querySelector(".error-summary");
  if (summary) { summary.focus(); }
})();
