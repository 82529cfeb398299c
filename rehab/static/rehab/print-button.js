// A button marked data-print-page prints the page (no inline script: see the content security policy).
document.querySelectorAll("[data-print-page]").forEach(function (button) {
  button.addEventListener("click", function () { window.print(); });
});
