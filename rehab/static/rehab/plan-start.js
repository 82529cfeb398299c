// Sort the protocols to the intake answer as it is chosen; the server does the same on reload.
document.querySelectorAll('input[name="primary_concern"]').forEach(function (answer) {
  answer.addEventListener("change", function () {
    var list = document.getElementById("protocol-options");
    if (!list) { return; }
    var options = Array.prototype.slice.call(list.querySelectorAll(".protocol-option"));
    options.forEach(function (option) {
      option.dataset.fits = option.dataset.suits.split(" ").indexOf(answer.value) >= 0 ? "1" : "0";
      option.querySelector(".suits-marker").hidden = option.dataset.fits !== "1";
    });
    options.sort(function (a, b) {
      return (b.dataset.fits - a.dataset.fits) || (a.dataset.position - b.dataset.position);
    });
    options.forEach(function (option) { list.appendChild(option); });
  });
});
