// Zone editing helpers: a chosen commune or named zone is appended to the zone textarea
// (one token per line). Without JavaScript, commune names typed in the textarea are
// resolved by the server.
(function () {
  "use strict";
  var box = document.querySelector("[data-zone-target]");
  if (!box) { return; }
  var target = document.getElementById(box.dataset.zoneTarget);
  function append(value) {
    value = (value || "").trim();
    if (!value || !target) { return; }
    var lines = target.value.split("\n").map(function (l) { return l.trim(); }).filter(Boolean);
    if (lines.indexOf(value) === -1) { lines.push(value); }
    target.value = lines.join("\n");
  }
  box.querySelectorAll("[data-zone-add]").forEach(function (field) {
    field.addEventListener("change", function () { append(field.value); field.value = ""; });
  });
})();
