(function () {
  "use strict";
  // Open every <details> around the element the URL fragment names, so
  // that a link to an exchange or a lane inside a closed section shows it.
  function reveal() {
    var id = decodeURIComponent(location.hash.slice(1));
    if (!id) return;
    var el = document.getElementById(id);
    if (!el) return;
    for (var p = el; p; p = p.parentElement) {
      if (p.tagName === "DETAILS") p.open = true;
    }
    el.scrollIntoView({ block: "start" });
  }
  window.addEventListener("hashchange", reveal);
  document.addEventListener("click", function (ev) {
    var a = ev.target.closest ? ev.target.closest('a[href^="#"]') : null;
    if (a && a.getAttribute("href") === location.hash) setTimeout(reveal, 0);
  });
  reveal();

  var accounts = document.querySelectorAll("#accounts details.account");
  document.querySelectorAll("#accounts button[data-toggle]").forEach(function (b) {
    b.addEventListener("click", function () {
      var open = b.getAttribute("data-toggle") === "open";
      accounts.forEach(function (d) { if (!d.hidden) d.open = open; });
    });
  });
  var filter = document.getElementById("acct-filter");
  if (filter) {
    filter.addEventListener("input", function () {
      var q = filter.value.trim().toLowerCase();
      document.querySelectorAll("#accounts .account").forEach(function (a) {
        a.hidden = q !== "" && (a.getAttribute("data-search") || "").indexOf(q) < 0;
      });
    });
  }
})();
