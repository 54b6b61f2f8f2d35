// Accessibility fixes of Django's admin (issue 18), loaded on every admin page by templates/admin/base_site.html:
// a file, as the Content-Security-Policy wants. Each fixes what an axe-core rule found in the browser suite
// (config/tests/a11y), after Django's own scripts have built their widgets (select2, the "filter" boxes).
"use strict";
{
  // Wide tabular inlines (templates/admin/edit_inline/scrolling_tabular.html): the "Scroll sideways" hint
  // ([data-scroll-hint], just before its scrolling box) shows while the table is wider than the box, as on the
  // product's pages (static/js/app.js).
  const updateScrollHints = () => {
    for (const hint of document.querySelectorAll("[data-scroll-hint]")) {
      const box = hint.nextElementSibling;
      if (box) hint.hidden = box.scrollWidth <= box.clientWidth + 1;
    }
  };
  window.addEventListener("resize", updateScrollHints);

  // select2 (the autocomplete filters and fields) shows the choice in a role="textbox" span without a name
  // (axe: aria-input-field-name, serious): it gets the name of the <select> it stands for. Django's
  // autocomplete.js builds them when jQuery is ready; this runs after it (jQuery calls back in order).
  const nameSelect2Boxes = () => {
    for (const shown of document.querySelectorAll(".select2-selection__rendered[role='textbox']")) {
      if (shown.hasAttribute("aria-label") || shown.hasAttribute("aria-labelledby")) continue;
      const container = shown.closest(".select2-container");
      const select = container ? container.previousElementSibling : null;
      if (!select || select.tagName !== "SELECT") continue;
      const label = select.getAttribute("aria-label") || (select.labels[0] && select.labels[0].textContent.trim());
      if (label) shown.setAttribute("aria-label", label.replace(/:$/, ""));
    }
  };
  if (window.django && window.django.jQuery) window.django.jQuery(nameSelect2Boxes);

  window.addEventListener("load", () => {
    updateScrollHints();
    nameSelect2Boxes();
    // The magnifier icons of the "filter" boxes (groups, permissions) are spans with an aria-label, which a span
    // may not have (axe: aria-prohibited-attr, serious): named images.
    for (const icon of document.querySelectorAll("span.help-tooltip[aria-label]:not([role])")) {
      icon.setAttribute("role", "img");
    }
  });
}
