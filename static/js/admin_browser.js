// The admin's changelists as a data browser (templates/admin/browser_change_list.html): a file, as the CSP wants.
"use strict";
{
  // Autocomplete filters (common/admin_filters.py): a pick (or a clear) opens the list filtered by it, from page 1.
  // select2 reports changes through jQuery, hence Django's django.jQuery here.
  if (window.django && window.django.jQuery) {
    window.django.jQuery(function ($) {
      $("select[data-browser-filter]").on("change", function () {
        const url = new URL(window.location.href);
        url.searchParams.delete(this.dataset.browserFilter);
        url.searchParams.delete("p");
        if (this.value) {
          url.searchParams.set(this.dataset.browserFilter, this.value);
        }
        window.location.assign(url.toString());
      });
    });
  }

  // The filter sidebar folds away, so that the columns get its width; the choice is remembered in this browser.
  const KEY = "voicebot.admin.filtersHidden";
  const toggle = document.getElementById("filters-toggle");
  const changelist = document.getElementById("changelist");
  if (toggle && changelist) {
    const show = (hidden) => {
      changelist.classList.toggle("browser-filters-hidden", hidden);
      toggle.setAttribute("aria-expanded", String(!hidden));
      toggle.textContent = hidden ? "Show filters" : "Hide filters";
    };
    let stored = null;
    try {
      stored = window.localStorage.getItem(KEY);
    } catch (error) {
      // Storage disabled: the sidebar starts shown.
    }
    show(stored === "1");
    toggle.hidden = false;
    toggle.addEventListener("click", () => {
      const hidden = !changelist.classList.contains("browser-filters-hidden");
      show(hidden);
      try {
        window.localStorage.setItem(KEY, hidden ? "1" : "0");
      } catch (error) {
        // Not remembered, still applied.
      }
    });
  }
}
