// Sample-table filters. Reads data-* attributes and toggles a class; never parses or inserts
// HTML, so escaped model output stays text.
(function () {
  "use strict";
  var table = document.getElementById("samples");
  var form = document.getElementById("sample-filters");
  if (!table || !form) { return; }
  var rows = Array.prototype.slice.call(table.tBodies[0].rows);
  var count = document.getElementById("sample-count");
  var texts = rows.map(function (r) { return r.textContent.toLowerCase(); });
  function value(name) {
    var el = form.elements.namedItem(name);
    return el ? el.value : "";
  }
  function apply() {
    var want = {
      run: value("run"), target: value("target"), attack: value("attack"), side: value("side"),
      category: value("category"), verdict: value("verdict"), outcome: value("outcome")
    };
    var disagree = form.elements.namedItem("disagree");
    var onlyDisagree = disagree ? disagree.checked : false;
    var query = value("q").trim().toLowerCase();
    var shown = 0;
    rows.forEach(function (row, i) {
      var ok = true;
      Object.keys(want).forEach(function (k) {
        if (ok && want[k] && row.dataset[k] !== want[k]) { ok = false; }
      });
      if (ok && onlyDisagree && row.dataset.disagree !== "1") { ok = false; }
      if (ok && query && texts[i].indexOf(query) === -1) { ok = false; }
      row.classList.toggle("hidden", !ok);
      if (ok) { shown += 1; }
    });
    if (count) { count.textContent = "showing " + shown + " of " + rows.length; }
  }
  form.addEventListener("input", apply);
  form.addEventListener("change", apply);
  form.addEventListener("submit", function (e) { e.preventDefault(); });
  apply();
})();
