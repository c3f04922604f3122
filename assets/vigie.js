/* Vigie wall: view rotation, and a connection watchdog that survives server restarts. */
window.dash_clientside = Object.assign({}, window.dash_clientside, {
  vigie: {
    rotate: function (n, plan, takeover) {
      if (!plan || !plan.views || !plan.views.length) { return window.dash_clientside.no_update; }
      var state = window.vigieTakeover = window.vigieTakeover || { shown: null, offset: 0 };
      var key;
      var triggered = (window.dash_clientside.callback_context.triggered || []).map(function (t) { return t.prop_id; });
      if (takeover && takeover.id !== state.shown && triggered.indexOf("wall-takeover.data") >= 0) {
        /* A procedure newly crossed into breach: show Alertes now, highlighted, then resume the rotation. */
        state.shown = takeover.id;
        key = "alertes";
        state.offset = -((n || 0) % plan.views.length);
      } else {
        key = plan.views[((n || 0) + state.offset + plan.views.length * 1000) % plan.views.length];
      }
      document.querySelectorAll("section.view").forEach(function (el) {
        el.classList.toggle("takeover", key === "alertes" && el.id === "view-alertes" && state.shown !== null &&
                            triggered.indexOf("wall-takeover.data") >= 0);
      });
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
        var hhmm = pad(lostSince.getUTCHours()) + ":" + pad(lostSince.getUTCMinutes());
        var english = new URLSearchParams(window.location.search).get("lang") === "en";
        el.textContent = english ? "Connection lost since " + hhmm + " — showing the last values, reconnecting by itself"
          : "Connexion perdue depuis " + hhmm + " — dernières valeurs affichées, reconnexion automatique";
        el.className = "banner connection";
      }
    });
  }
  setInterval(check, 5000);
  check();

  /* Screen health: every 30 s, a wall opened as /wall?screen=NAME tells the server what it shows and which data
     version. With login on, only that screen's own session may speak for it (a person's browser stays silent). */
  function screenName() {
    return new URLSearchParams(window.location.search).get("screen");
  }
  function heartbeat() {
    var title = document.getElementById("wall-view-title");
    if (!title || !screenName()) { return; }  /* only named wall screens report */
    var version = document.getElementById("wall-version-text");
    /* The CSRF token the server put in a cookie, sent back as a header (the server refuses POSTs without it). */
    var csrf = (document.cookie.match(/(?:^|;\s*)_csrf_token=([^;]*)/) || [])[1] || "";
    fetch("/api/screens/heartbeat", {
      method: "POST", headers: { "Content-Type": "application/json", "X-CSRFToken": decodeURIComponent(csrf) },
      body: JSON.stringify({ screen: screenName(), view: title.textContent,
                             version: version && version.textContent ? parseInt(version.textContent, 10) : null })
    }).catch(function () { /* the connection banner already says so */ });
  }
  setInterval(heartbeat, 30000);
  setTimeout(heartbeat, 3000);
})();
