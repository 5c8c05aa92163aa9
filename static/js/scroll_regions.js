/* A table wider than the screen scrolls sideways inside its .table-wrap; keyboard users must be
   able to scroll it too (WCAG 2.1.1). Such a wrap becomes a named, focusable region (arrow keys
   scroll it); a wrap that fits gets no extra tab stop. Re-checked when the window is resized. */
(function () {
  "use strict";
  function nameOf(wrap) {
    var table = wrap.querySelector("table");
    if (table) {
      if (table.getAttribute("aria-label")) { return table.getAttribute("aria-label"); }
      var ref = table.getAttribute("aria-labelledby");
      var el = ref && document.getElementById(ref.split(" ")[0]);
      if (el) { return el.textContent.trim(); }
      if (table.caption) { return table.caption.textContent.trim(); }
    }
    var box = wrap.closest("section, .card, main");
    var heading = box && box.querySelector("h1, h2, h3");
    return heading ? heading.textContent.trim() : document.title;
  }
  function mark() {
    var wraps = document.querySelectorAll(".table-wrap");
    for (var i = 0; i < wraps.length; i++) {
      var w = wraps[i];
      if (w.scrollWidth > w.clientWidth + 1) {
        if (!w.hasAttribute("tabindex")) {
          w.setAttribute("tabindex", "0");
          w.setAttribute("role", "region");
          w.setAttribute("aria-label", nameOf(w));
          w.setAttribute("data-scroll-region", "1");
        }
      } else if (w.getAttribute("data-scroll-region")) {
        w.removeAttribute("tabindex");
        w.removeAttribute("role");
        w.removeAttribute("aria-label");
        w.removeAttribute("data-scroll-region");
      }
    }
  }
  var pending = null;
  window.addEventListener("resize", function () {
    if (pending) { window.clearTimeout(pending); }
    pending = window.setTimeout(mark, 150);
  });
  mark();
})();
