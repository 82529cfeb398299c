// Show the spinal-cord level and ASIA grade only for a condition that records them
// (the server refuses them for any other), and answer "Not applicable" for the side
// of a condition that affects none. Without this script every field shows.
document.querySelectorAll('select[name$="-condition"]').forEach(function (select) {
  var card = select.closest("fieldset");
  var fields = card.querySelector(".spinal-cord-fields");
  var side = card.querySelector('select[name$="-affected_side"]');
  var inputs = fields ? fields.querySelectorAll("input, select") : [];
  function chosen() {
    return select.options[select.selectedIndex] || { dataset: {} };
  }
  function updateLevel(clearHidden) {
    if (!fields) { return; }
    var show = Boolean(chosen().dataset.spinalLevel);
    if (!show && !clearHidden) {
      // A level already typed in, or refused by the server, stays in sight.
      show = Array.prototype.some.call(inputs, function (input) {
        return input.value !== "" || input.classList.contains("is-invalid");
      });
    }
    if (!show && clearHidden) {
      inputs.forEach(function (input) { input.value = ""; });
    }
    fields.hidden = !show;
  }
  function updateSide() {
    if (!side || !select.value) { return; }
    var hasSide = Boolean(chosen().dataset.hasSide);
    if (!hasSide && side.value === "") { side.value = "not_applicable"; }
    if (hasSide && side.value === "not_applicable") { side.value = ""; }
  }
  select.addEventListener("change", function () { updateLevel(true); updateSide(); });
  updateLevel(false);
});
