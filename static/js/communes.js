// Commune autocomplete: fills the <datalist> of inputs marked data-autocomplete.
// Works without it too (the server resolves names, postcodes and INSEE codes).
(function () {
  "use strict";
  document.querySelectorAll("input[data-autocomplete]").forEach(function (input) {
    var list = document.getElementById(input.getAttribute("list"));
    var timer = null;
    input.addEventListener("input", function () {
      clearTimeout(timer);
      var q = input.value.trim();
      if (q.length < 2 || !list) { return; }
      timer = setTimeout(function () {
        fetch(input.dataset.autocomplete + "?limit=8&q=" + encodeURIComponent(q))
          .then(function (r) { return r.ok ? r.json() : { results: [] }; })
          .then(function (data) {
            list.textContent = "";
            data.results.forEach(function (c) {
              var option = document.createElement("option");
              option.value = c.name + " (" + c.postcodes.join(", ") + ")";
              option.dataset.insee = c.insee;
              list.appendChild(option);
            });
          })
          .catch(function () { /* offline or server error: keep typing works */ });
      }, 150);
    });
  });
})();
