// Keyboard access to every region that scrolls: a wide code block, table or notebook
// output gets tabindex="0" (and a name, for screen readers) so the arrow keys can scroll
// it. Runs on every page view, including Material's instant navigation.
(function () {
  const selector = "pre, pre > code, .md-typeset__scrollwrap, .jp-OutputArea-output, .jp-InputArea-editor, .highlight-ipynb";
  function reachable() {
    document.querySelectorAll(selector).forEach(function (el) {
      const scrolls = el.scrollWidth > el.clientWidth + 1 || el.scrollHeight > el.clientHeight + 1;
      if (!scrolls || el.hasAttribute("tabindex") || el.querySelector("[tabindex], a[href], button, input")) return;
      el.setAttribute("tabindex", "0");
      if (!el.hasAttribute("aria-label") && el.tagName !== "CODE") {
        el.setAttribute("role", "region");
        el.setAttribute("aria-label", el.closest(".jupyter-wrapper") ? "cell output, scrolls" : "scrolls sideways");
      }
    });
  }
  // again once styles, fonts and images have settled: widths change until then
  const settled = function () { reachable(); document.fonts.ready.then(reachable); };
  if (typeof document$ !== "undefined") document$.subscribe(settled);
  else document.addEventListener("DOMContentLoaded", settled);
  window.addEventListener("load", reachable);
  window.addEventListener("resize", reachable);
})();
