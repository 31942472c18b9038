// Deadlines count down on the page: each <time class="countdown" datetime="…"> shows what is left.
// Without script the server's rendering stands; the texts come from the page (body data-left / data-overdue).
(function () {
  "use strict";
  function span(seconds) {
    seconds = Math.floor(Math.abs(seconds));
    var d = Math.floor(seconds / 86400), h = Math.floor(seconds % 86400 / 3600);
    var m = Math.floor(seconds % 3600 / 60), s = seconds % 60;
    if (d) return d + " d " + h + " h";
    if (h) return h + " h " + String(m).padStart(2, "0") + " min " + String(s).padStart(2, "0") + " s";
    return m + " min " + String(s).padStart(2, "0") + " s";
  }
  function tick() {
    var body = document.body, now = Date.now();
    document.querySelectorAll("time.countdown").forEach(function (el) {
      var left = (Date.parse(el.getAttribute("datetime")) - now) / 1000;
      if (isNaN(left)) return;
      var text = left >= 0 ? body.dataset.left : body.dataset.overdue;
      el.textContent = text.replace("{span}", span(left));
      el.classList.toggle("overdue", left < 0);
    });
  }
  document.addEventListener("DOMContentLoaded", function () { tick(); setInterval(tick, 1000); });
})();
