/* Vigie wall: view rotation, and a connection watchdog that survives server restarts. */
window.dash_clientside = Object.assign({}, window.dash_clientside, {
  vigie: {
    rotate: function (n, plan) {
      if (!plan || !plan.views || !plan.views.length) { return window.dash_clientside.no_update; }
      var key = plan.views[(n || 0) % plan.views.length];
      var title = "";
      document.querySelectorAll("section.view").forEach(function (el) {
        var active = el.id === "view-" + key;
        el.classList.toggle("active", active);
        if (active) { title = el.getAttribute("data-title") || ""; }
      });
      return title;
    }
  }
});

(function () {
  var boot = null, lostSince = null;
  function pad(x) { return (x < 10 ? "0" : "") + x; }
  function banner() { return document.getElementById("wall-connection"); }
  function check() {
    fetch("/healthz", { cache: "no-store" }).then(function (r) { return r.json(); }).then(function (body) {
      if (boot === null) { boot = body.boot; }
      if (body.boot !== boot) { window.location.reload(); return; }  /* redeployed: take the new version */
      lostSince = null;
      var el = banner();
      if (el) { el.className = "banner connection hidden"; el.textContent = ""; }
    }).catch(function () {
      if (lostSince === null) { lostSince = new Date(); }
      var el = banner();
      if (el) {
        /* Lomé is UTC+0: the UTC wall time is the Lomé time. */
        el.textContent = "Connexion perdue depuis " + pad(lostSince.getUTCHours()) + ":" + pad(lostSince.getUTCMinutes()) +
          " — dernières valeurs affichées, reconnexion automatique";
        el.className = "banner connection";
      }
    });
  }
  setInterval(check, 5000);
  check();
})();
