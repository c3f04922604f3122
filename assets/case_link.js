/* The explorer's case links (AG Grid cell renderer "CaseLink", see dashboard/explorer/grid.py).

   A case id comes from a source database: it is shown as text and never read as markdown or HTML,
   so an id such as « X](https://evil.example) [y » is displayed as typed. The target is always this
   app's case page, /explorer/case/<source>/<id>, each part percent-encoded (the router unquotes them).
   A React element, no innerHTML, no eval: it runs under the strict Content-Security-Policy. */
(function () {
  var renderers = (window.dashAgGridComponentFunctions = window.dashAgGridComponentFunctions || {});

  renderers.CaseLink = function (props) {
    var row = props.data;
    if (!row || row.case_id === null || row.case_id === undefined) { return null; }  /* a block still loading */
    var id = String(row.case_id);
    var href = "/explorer/case/" + encodeURIComponent(String(row.source)) + "/" + encodeURIComponent(id);
    return window.React.createElement("a", { href: href, className: "case-link" }, id);
  };
})();
