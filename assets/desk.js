/* Desk pages from the keyboard (explorer, case pages): what a screen reader and a Tab key need.

   - Focus stays where it was: a filter change rewrites the URL and Dash rebuilds the page, which would drop
     the focus at the top of the document. The last focused control is remembered (its id, or for the case
     grid the column header it was on) and focused again once the rebuilt page holds it.
   - « Aller à la liste »: the skip link puts the focus on the case grid's first case cell (Enter opens it).
   - Chart toolbars stay out of the tab order (the mouse still has them): 4 charts would cost 8 Tab presses.
   - The date fields' calendar (dcc.DatePickerSingle has no locale) names its weekdays and buttons in French.
   - Tab on a closed dropdown goes to the next control in the page: Dash 4's dropdown buttons are outside the
     browser's tab order (tabindex -1), and Chrome sends a Tab from the last one back to the first filter, so
     the filters trapped the keyboard.
   No eval, no innerHTML: this runs under the strict Content-Security-Policy. */
(function () {
  var remembered = null;  /* {id} or {grid, column}: what had the focus */
  var lastNode = null;  /* the element that had it: once it has left the document, the page was rebuilt */
  var restoring = false;

  function describe(el) {
    if (!el || el === document.body) { return null; }
    var header = el.closest && el.closest(".ag-header-cell[col-id]");
    var grid = el.closest && el.closest(".dash-ag-grid, [id] .ag-root-wrapper");
    if (header) {
      var holder = header.closest("[id].ag-theme-alpine") || header.closest("div[id]");
      return holder ? { grid: holder.id, column: header.getAttribute("col-id") } : null;
    }
    var owner = el.id ? el : (el.closest && el.closest("[id]"));
    if (!owner || owner.id === "_pages_content" || grid) { return null; }
    return { id: el.id || null, owner: owner.id, tag: el.tagName };
  }

  function find(memo) {
    if (!memo) { return null; }
    if (memo.grid) {
      return document.querySelector("#" + CSS.escape(memo.grid) + " .ag-header-cell[col-id='" + CSS.escape(memo.column) + "']");
    }
    if (memo.id) { return document.getElementById(memo.id); }
    var owner = document.getElementById(memo.owner);
    if (!owner) { return null; }
    return owner.querySelector("input:not([type=hidden]), button, a[href], [tabindex]:not([tabindex='-1'])") || owner;
  }

  document.addEventListener("focusin", function (event) {
    if (restoring) { return; }
    var memo = describe(event.target);
    if (memo) { remembered = memo; lastNode = event.target; }
  });
  document.addEventListener("mousedown", function () { remembered = null; lastNode = null; }, true);  /* a click says where to be */

  var WEEKDAYS = { Mo: "lu", Tu: "ma", We: "me", Th: "je", Fr: "ve", Sa: "sa", Su: "di" };
  var CALENDAR_LABELS = { "Previous month": "Mois précédent", "Next month": "Mois suivant", "Close calendar": "Fermer le calendrier",
    "Clear date": "Effacer la date", "Clear Dates": "Effacer les dates", "Decrease value": "Diminuer", "Increase value": "Augmenter" };
  function frenchCalendar() {
    document.querySelectorAll(".dash-datepicker-content").forEach(function (calendar) {
      var walker = document.createTreeWalker(calendar, NodeFilter.SHOW_TEXT);
      for (var node = walker.nextNode(); node; node = walker.nextNode()) {
        var text = node.nodeValue.trim();
        if (WEEKDAYS[text]) { node.nodeValue = node.nodeValue.replace(text, WEEKDAYS[text]); }
      }
      calendar.querySelectorAll("[aria-label]").forEach(function (el) {
        var label = CALENDAR_LABELS[el.getAttribute("aria-label")];
        if (label) { el.setAttribute("aria-label", label); }
      });
    });
  }

  function tidy() {
    frenchCalendar();
    document.querySelectorAll(".modebar-btn:not([tabindex='-1'])").forEach(function (b) { b.setAttribute("tabindex", "-1"); });
    var active = document.activeElement;
    if (remembered && lastNode && !lastNode.isConnected && (!active || active === document.body)) {
      var target = find(remembered);
      if (target && target.offsetParent !== null) {
        restoring = true;
        target.focus({ preventScroll: false });
        lastNode = target;
        restoring = false;
      }
    }
  }
  new MutationObserver(tidy).observe(document.documentElement, { childList: true, subtree: true });

  var TABBABLE = "a[href], button:not([disabled]), input:not([disabled]):not([type=hidden]), select, textarea, " +
    "summary, [tabindex]";
  function tabbable(el) {
    if (el.matches("button.dash-dropdown")) { return !el.disabled; }
    if (el.getAttribute("tabindex") === "-1" || el.closest("[aria-hidden=true]")) { return false; }
    var box = el.getBoundingClientRect();
    return box.width > 0 && box.height > 0 && getComputedStyle(el).visibility !== "hidden";
  }
  document.addEventListener("keydown", function (event) {
    var here = event.target;
    if (event.key !== "Tab" || !here.matches || !here.matches("button.dash-dropdown[aria-expanded=false]")) { return; }
    var all = Array.prototype.filter.call(document.querySelectorAll(TABBABLE), function (el) { return el === here || tabbable(el); });
    var next = all[all.indexOf(here) + (event.shiftKey ? -1 : 1)];
    if (next) { event.preventDefault(); next.focus(); }
  }, true);

  function gridApi(id) {
    var grid = window.dash_ag_grid;
    return grid && typeof grid.getApi === "function" ? grid.getApi(id) : null;
  }

  document.addEventListener("click", function (event) {
    var skip = event.target.closest && event.target.closest("a.skip-link");
    if (!skip) { return; }
    event.preventDefault();
    var target = skip.getAttribute("href").slice(1);
    var api = null;
    try { api = gridApi(target); } catch (e) { api = null; }
    var holder = document.getElementById(target);
    if (holder) { holder.scrollIntoView(); }
    if (api && api.getDisplayedRowCount() > 0) {
      api.ensureIndexVisible(0);
      api.setFocusedCell(0, "case_id");
    } else if (holder) {
      var header = holder.querySelector(".ag-header-cell");
      (header || holder).focus();
    }
  });
})();
