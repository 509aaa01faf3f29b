/* Small behaviours every page may use, declared in the markup (no inline handlers: the Content-Security-Policy
 * allows scripts from our static files only). Delegated on the document, so content swapped in by htmx works too.
 *   <select data-autosubmit>              submits its form when changed
 *   <input data-select-on-focus>          selects its text when focused (links to copy)
 *   <select data-copy-to="element-id">    copies its value into that field when changed
 *   <a data-history-back hidden>          shown when there is a page to go back to; goes back
 *   <details data-nav-group>              a menu of the main navigation: opening one closes the others, a click
 *                                         outside closes it
 *   <form data-confirm="question">        asks before it is sent (a step that cannot be undone from the page)
 */
(function () {
  "use strict";
  document.addEventListener("change", function (event) {
    var el = event.target;
    if (!el.matches) return;
    if (el.matches("[data-autosubmit]") && el.form) {
      if (el.form.requestSubmit) el.form.requestSubmit(); else el.form.submit();
    }
    if (el.matches("[data-copy-to]")) {
      var target = document.getElementById(el.getAttribute("data-copy-to"));
      if (target) target.value = el.value;
    }
  });
  document.addEventListener("focusin", function (event) {
    var el = event.target;
    if (el.matches && el.matches("[data-select-on-focus]") && el.select) el.select();
  });
  document.addEventListener("click", function (event) {
    var inside = event.target.closest && event.target.closest("[data-nav-group]");
    document.querySelectorAll("details[data-nav-group][open]").forEach(function (menu) {
      if (menu !== inside) menu.removeAttribute("open");
    });
  });
  document.addEventListener("click", function (event) {
    var link = event.target.closest && event.target.closest("[data-history-back]");
    if (!link) return;
    event.preventDefault();
    history.back();
  });
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (form.matches && form.matches("form[data-confirm]") && !window.confirm(form.getAttribute("data-confirm"))) {
      event.preventDefault();
    }
  });
  function showBackLinks() {
    if (history.length < 2) return;
    document.querySelectorAll("[data-history-back][hidden]").forEach(function (el) { el.hidden = false; });
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", showBackLinks);
  else showBackLinks();
})();
