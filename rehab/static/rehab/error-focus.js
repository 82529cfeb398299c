// A refused form opens with the keyboard and screen reader on what went wrong: the
// summary at the top of the page (the fields it names are marked below it).
(function () {
  if (document.querySelector("[autofocus]")) { return; }
  var summary = document.querySelector("main .alert-danger[role='alert']");
  if (!summary) { return; }
  summary.setAttribute("tabindex", "-1");
  summary.focus();
})();
