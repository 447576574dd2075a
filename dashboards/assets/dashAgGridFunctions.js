// Functions the overview's AG Grid calls by name (dash-ag-grid looks them up here).
var dagfuncs = (window.dashAgGridFunctions = window.dashAgGridFunctions || {});

// The grid keeps keyboard focus on its cells (arrow keys move between them), so a
// link inside a cell is never reached with Tab. Enter on a focused cell follows
// the cell's link, as Enter on a plain link would.
dagfuncs.followLinkOnEnter = function (event) {
  if (event.event.key !== "Enter") {
    return;
  }
  var cell = event.event.target.closest(".ag-cell") || event.event.target;
  var link = cell.querySelector("a[href]");
  if (link) {
    event.event.preventDefault();
    link.click();
  }
};
