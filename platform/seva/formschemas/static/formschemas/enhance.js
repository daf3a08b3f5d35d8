/* Progressive enhancement of server-rendered form fields (seva.formschemas.drawing).
   Shows only the questions that apply, and refuses a too-large file before upload.
   The form works the same without it: the server drops answers that do not apply.
   Load with <script src="..." defer>. */
(function () {
  "use strict";
  var each = function (list, fn) { Array.prototype.forEach.call(list, fn); };

  // The answer to a question as its form posts it; null when it is not on this page.
  function answer(scope, name) {
    var value = null;
    each(scope.querySelectorAll("input, select, textarea"), function (el) {
      if (el.name !== name || el.type === "hidden" || el.type === "file") { return; }
      if (value === null) { value = ""; }
      if (el.type === "radio") {
        if (el.checked) { value = el.value; }
      } else if (el.type === "checkbox") {
        value = el.checked ? "true" : "false";
      } else {
        value = el.value;
      }
    });
    return value;
  }

  function update() {
    each(document.querySelectorAll("[data-show-when]"), function (wrapper) {
      var rule;
      try { rule = JSON.parse(wrapper.getAttribute("data-show-when")); } catch (e) { return; }
      var value = answer(wrapper.closest("form") || document, rule.field);
      if (value === null) { return; }
      var shown = ("const" in rule ? [rule.const] : rule.enum || []).map(String);
      wrapper.hidden = shown.indexOf(value) === -1;
    });
    // Disabled inputs are not posted, so a hidden question sends no answer.
    each(document.querySelectorAll(
      "[data-show-when] input, [data-show-when] select, [data-show-when] textarea, [data-show-when] button"
    ), function (el) {
      el.disabled = !!el.closest("[data-show-when][hidden]");
    });
  }

  function checkSize(input) {
    var limit = Number(input.getAttribute("data-max-bytes"));
    var file = input.files && input.files[0];
    var id = input.id + "-too-large";
    var message = document.getElementById(id);
    var described = (input.getAttribute("aria-describedby") || "").split(" ").filter(function (part) {
      return part && part !== id;
    });
    var field = input.closest(".field");
    if (file && limit && file.size > limit) {
      if (!message) {
        message = document.createElement("p");
        message.id = id;
        message.className = "field-error";
        message.setAttribute("role", "alert");
        input.parentNode.insertBefore(message, input);
      }
      message.textContent = input.getAttribute("data-too-large");
      input.value = "";
      input.setAttribute("aria-invalid", "true");
      described.push(id);
      if (field) { field.classList.add("has-error"); }
    } else if (message) {
      message.parentNode.removeChild(message);
      if (!document.getElementById(input.id + "-error")) {
        input.removeAttribute("aria-invalid");
        if (field) { field.classList.remove("has-error"); }
      }
    }
    if (described.length) {
      input.setAttribute("aria-describedby", described.join(" "));
    } else {
      input.removeAttribute("aria-describedby");
    }
  }

  document.addEventListener("change", function (event) {
    var target = event.target;
    if (target.type === "file" && target.hasAttribute("data-max-bytes")) {
      checkSize(target);
    } else {
      update();
    }
  });
  update();
})();
