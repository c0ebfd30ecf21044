/* cobalamin: small enhancements only. Every form works without this file. */
(function () {
  "use strict";

  function ready(fn) {
    if (document.readyState !== "loading") { fn(); } else { document.addEventListener("DOMContentLoaded", fn); }
  }

  function focusErrors() {
    var summary = document.getElementById("error-summary");
    if (summary) { summary.focus(); }
  }

  function printButtons() {
    document.querySelectorAll("[data-print]").forEach(function (button) {
      button.hidden = false;
      button.addEventListener("click", function () { window.print(); });
    });
  }

  function foodSearch() {
    var input = document.querySelector("[data-food-search]");
    var target = document.getElementById("food-hits");
    if (!input || !target) { return; }
    var lang = document.documentElement.lang === "nl" ? "nl" : "en";
    var timer = null;
    input.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(function () {
        var query = input.value.trim();
        if (query.length < 2) { return; }
        fetch(input.getAttribute("data-food-search") + "?q=" + encodeURIComponent(query))
          .then(function (response) { return response.ok ? response.json() : []; })
          .then(function (rows) {
            var list = document.createElement("ul");
            list.className = "plain";
            rows.slice(0, 10).forEach(function (row) {
              var item = document.createElement("li");
              var amount = Array.isArray(row.b12_ug_per_portion) ? row.b12_ug_per_portion.join("–") : row.b12_ug_per_portion;
              item.textContent = row[lang] + ": " + amount + " µg / " + row.portion_g + " g";
              list.appendChild(item);
            });
            target.replaceChildren(list);
          })
          .catch(function () { /* the search button still works */ });
      }, 250);
    });
  }

  function jobProgress() {
    var job = document.getElementById("job");
    if (!job || !/queued|running/.test(job.getAttribute("data-state") || "")) { return; }
    var bar = document.getElementById("job-progress");
    var text = job.querySelector("[data-job-text]");
    function poll() {
      fetch(job.getAttribute("data-job-status"))
        .then(function (response) { return response.json(); })
        .then(function (status) {
          if (status.state === "done" || status.state === "failed") { window.location.reload(); return; }
          if (bar) { bar.value = status.percent; bar.textContent = status.percent + " %"; }
          if (text) { text.textContent = status.percent + " %"; }
          setTimeout(poll, 700);
        })
        .catch(function () { setTimeout(poll, 2000); });
    }
    poll();
  }

  ready(function () {
    focusErrors();
    printButtons();
    foodSearch();
    jobProgress();
  });
})();
