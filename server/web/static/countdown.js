// Deadlines count down on the page: each <time class="countdown" datetime="…"> shows what is left.
// Without script the server's rendering stands. Every word comes from the page, in its reader's language:
// body data-left / data-overdue ("in {span}"), data-days / data-hours / data-minutes ("{hours} h {minutes} min {seconds} s").
(function () {
  "use strict";
  function fill(text, values) {
    return text.replace(/\{(\w+)\}/g, function (whole, name) { return name in values ? values[name] : whole; });
  }
  function span(seconds, words) {
    seconds = Math.floor(Math.abs(seconds));
    var d = Math.floor(seconds / 86400), h = Math.floor(seconds % 86400 / 3600);
    var m = Math.floor(seconds % 3600 / 60), s = seconds % 60;
    var values = {days: d, hours: h, minutes: m, seconds: String(s).padStart(2, "0")};
    if (d) return fill(words.days, values);
    if (h) return fill(words.hours, Object.assign(values, {minutes: String(m).padStart(2, "0")}));
    return fill(words.minutes, values);
  }
  function tick() {
    var words = document.body.dataset, now = Date.now();
    document.querySelectorAll("time.countdown").forEach(function (el) {
      var left = (Date.parse(el.getAttribute("datetime")) - now) / 1000;
      if (isNaN(left)) return;
      el.textContent = fill(left >= 0 ? words.left : words.overdue, {span: span(left, words)});
      el.classList.toggle("overdue", left < 0);
    });
  }
  document.addEventListener("DOMContentLoaded", function () { tick(); setInterval(tick, 1000); });
})();
