/* The explorer's case grid, in the browser (see dashboard/explorer/grid.py).

   CaseLink: a case id comes from a source database: it is shown as text and never read as markdown or HTML,
   so an id such as « X](https://evil.example) [y » is displayed as typed. The target is always this
   app's case page, /explorer/case/<source>/<id>, each part percent-encoded (the router unquotes them).
   FrNumber: a number as French writes it (« 1 017 », « 12,5 »), whatever the browser's language.
   React elements, no innerHTML, no eval: they run under the strict Content-Security-Policy.
   Enter on a focused case cell opens the case, as a click on its link would (an agent's cell: its cases). */
(function () {
  var renderers = (window.dashAgGridComponentFunctions = window.dashAgGridComponentFunctions || {});
  var french = new Intl.NumberFormat("fr-FR", { maximumFractionDigits: 2 });

  renderers.CaseLink = function (props) {
    var row = props.data;
    if (!row || row.case_id === null || row.case_id === undefined) { return null; }  /* a block still loading */
    var id = String(row.case_id);
    var href = "/explorer/case/" + encodeURIComponent(String(row.source)) + "/" + encodeURIComponent(id);
    href += window.location.search;  /* the explorer's view: the case page's breadcrumbs lead back to it */
    return window.React.createElement("a", { href: href, className: "case-link", tabIndex: -1 }, id);
  };

  /* AgentLink (the workload table): an agent's name as text, a link to the list of its open cases. The server built
     the address (row.agent_href, the name percent-encoded); anything not an explorer address is not linked. */
  renderers.AgentLink = function (props) {
    var row = props.data;
    if (!row || row.agent === null || row.agent === undefined) { return null; }
    var name = String(row.agent);
    var href = typeof row.agent_href === "string" && row.agent_href.indexOf("/explorer?") === 0 ? row.agent_href : null;
    if (!href) { return name; }
    return window.React.createElement("a", { href: href, className: "agent-link", tabIndex: -1 }, name);
  };

  renderers.FrNumber = function (props) {
    var value = props.value;
    if (value === null || value === undefined || value === "" || isNaN(Number(value))) { return null; }
    return french.format(Number(value));
  };

  document.addEventListener("keydown", function (event) {
    if (event.key !== "Enter" || event.altKey || event.ctrlKey || event.metaKey || event.shiftKey) { return; }
    var cell = event.target && event.target.closest
      ? event.target.closest(".ag-cell[col-id='case_id'], .ag-cell[col-id='agent']") : null;
    var link = cell && cell.querySelector("a.case-link, a.agent-link");
    if (link) { event.preventDefault(); link.click(); }
  });
})();
