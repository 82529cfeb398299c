// Show the spinal-cord level and ASIA grade only for a condition that records them
// (the server refuses them for any other). Without this script every field shows.
document.querySelectorAll('select[name$="-condition"]').forEach(function (select) {
  var fields = select.closest("fieldset").querySelector(".spinal-cord-fields");
  if (!fields) { return; }
  var inputs = fields.querySelectorAll("input, select");
  function recordsLevel() {
    var chosen = select.options[select.selectedIndex];
    return Boolean(chosen && chosen.dataset.spinalLevel);
  }
  function update(clearHidden) {
    var show = recordsLevel();
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
  select.addEventListener("change", function () { update(true); });
  update(false);
});
