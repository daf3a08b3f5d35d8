// The form builder without the clutter: each field row shows only the inputs its type uses
// (choices for a choice, the rows' fields for a repeatable group, ...). Without JavaScript
// every input is shown and the server ignores those a type does not use.
(function () {
  "use strict";
  var ONLY_FOR = {
    choices: ["choice"],
    level: ["address"],
    sub_fields: ["group"],
    schema_json: ["custom"],
  };
  function update(select) {
    var row = select.closest("fieldset");
    Object.keys(ONLY_FOR).forEach(function (key) {
      var input = row.querySelector("[name$='-" + key + "']");
      if (!input) return;
      var wrapper = input.closest(".w-field__wrapper");
      var hasError = wrapper.querySelector(".error-message");
      wrapper.hidden = !(ONLY_FOR[key].indexOf(select.value) >= 0 || hasError);
    });
  }
  document.querySelectorAll("select[name$='-kind']").forEach(function (select) {
    select.addEventListener("change", function () { update(select); });
    update(select);
  });
})();
