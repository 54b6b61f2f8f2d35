// The bots pages (dashboard, bot form, bot page). Plain script, no build step; loaded after htmx (both deferred).
// - The form's widget preview follows the position and theme radios.
// - The knowledge-base fields follow the switches: the source choice only with RAG on, the URL or the files
//   field for the chosen source (a field that shows a server error is never hidden).
// - Scheduled activation: the hidden "tz" input gets the browser's time zone (the server reads the
//   datetime-local value in it; UTC without JavaScript), and a stored schedule (data-utc) is shown in local time.
// - <time data-local-time> shows UTC times in the browser's time zone, also in fragments htmx swaps in.
// - Chosen files over the upload limit are named before anything is sent (the server checks again).
(() => {
  "use strict";

  const pad = (number) => String(number).padStart(2, "0");
  const localInputValue = (date) =>
    `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}T${pad(date.getHours())}:${pad(date.getMinutes())}`;

  function browserTimeZone() {
    try {
      return Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC";
    } catch (error) {
      return "UTC";
    }
  }

  function checkedValue(form, name) {
    const checked = form.querySelector(`input[name="${name}"]:checked`);
    return checked ? checked.value : "";
  }

  // --- Widget preview ---------------------------------------------------------------------------------------------
  function updatePreview(form) {
    const button = form.querySelector("[data-preview-button]");
    if (!button) return;
    const position = checkedValue(form, "position") || "right";
    const theme = checkedValue(form, "theme") || "light";
    button.classList.remove("preview-left", "preview-right", "preview-light", "preview-dark");
    button.classList.add(`preview-${position}`, `preview-${theme}`);
    const description = form.querySelector("[data-preview-description]");
    if (description) {
      description.textContent = `Preview: the call button, bottom ${position}, ${theme} theme.`;
    }
  }

  // --- Knowledge-base fields ----------------------------------------------------------------------------------------
  function setShown(element, shown) {
    element.hidden = !shown && !element.querySelector(".errorlist:not([hidden])");
  }

  function updateKnowledge(form) {
    const toggle = form.querySelector("[data-rag-toggle]");
    const details = form.querySelector("[data-rag-details]");
    if (!toggle || !details) return;
    setShown(details, toggle.checked);
    const source = checkedValue(form, "rag_source_type") || "files";
    for (const field of details.querySelectorAll("[data-source-field]")) {
      setShown(field, field.dataset.sourceField === source);
    }
  }

  // --- Files over the limit -----------------------------------------------------------------------------------------
  function oversizeFiles(input) {
    const limit = Number(input.dataset.maxMb) * 1024 * 1024;
    if (!limit || !input.files) return [];
    return Array.from(input.files).filter((file) => file.size > limit);
  }

  function showFileErrors(input) {
    const list = input.parentElement.querySelector("[data-client-errors]");
    if (!list) return true;
    const tooLarge = oversizeFiles(input);
    list.replaceChildren(
      ...tooLarge.map((file) => {
        const item = document.createElement("li");
        item.textContent = `${file.name} is larger than ${input.dataset.maxMb} MB`;
        return item;
      }),
    );
    list.hidden = tooLarge.length === 0;
    list.id = list.id || "files-client-errors";
    const described = (input.getAttribute("aria-describedby") || "").split(" ").filter((id) => id && id !== list.id);
    if (tooLarge.length) {
      described.push(list.id);
      input.setAttribute("aria-invalid", "true");
    } else if (!input.closest(".field-error")) {
      input.removeAttribute("aria-invalid");
    }
    if (described.length) input.setAttribute("aria-describedby", described.join(" "));
    else input.removeAttribute("aria-describedby");
    return tooLarge.length === 0;
  }

  // --- Wiring -------------------------------------------------------------------------------------------------------
  function setUpForm(form) {
    if (form.dataset.botFormReady) return;
    form.dataset.botFormReady = "true";

    const zone = browserTimeZone();
    for (const input of form.querySelectorAll("input[data-browser-tz]")) input.value = zone;
    for (const name of form.querySelectorAll("[data-tz-name]")) name.textContent = zone;
    for (const input of form.querySelectorAll("input[type='datetime-local'][data-utc]")) {
      const date = new Date(input.dataset.utc);
      if (!Number.isNaN(date.getTime())) input.value = localInputValue(date);
      input.removeAttribute("data-utc");
    }

    form.addEventListener("change", (event) => {
      const name = event.target.name;
      if (name === "position" || name === "theme") updatePreview(form);
      if (name === "rag_enabled" || name === "rag_source_type") updateKnowledge(form);
      if (event.target.type === "file") showFileErrors(event.target);
    });
    form.addEventListener("submit", (event) => {
      const input = form.querySelector("input[type='file'][data-max-mb]");
      const wanted = input && !input.closest("[hidden]");
      if (wanted && !showFileErrors(input)) {
        event.preventDefault();
        input.focus();
      }
    });
    updatePreview(form);
    updateKnowledge(form);

    const summary = form.querySelector("#form-errors");
    if (summary) summary.focus();
  }

  // The product's one date format (config/formats/en/formats.py: "6 Dec 2026, 14:05"), in the viewer's zone.
  // Django's month abbreviations, not the locale's (en-GB writes "Sept").
  const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
  const twoDigits = (number) => String(number).padStart(2, "0");

  function formatDateTime(date) {
    return `${date.getDate()} ${MONTHS[date.getMonth()]} ${date.getFullYear()}, ` +
      `${twoDigits(date.getHours())}:${twoDigits(date.getMinutes())}`;
  }

  function showLocalTimes(root) {
    for (const element of root.querySelectorAll("time[data-local-time]")) {
      const date = new Date(element.getAttribute("datetime"));
      if (Number.isNaN(date.getTime())) continue;
      element.textContent = formatDateTime(date);
      element.title = element.getAttribute("datetime");
      element.removeAttribute("data-local-time");
    }
  }

  function setUp(root) {
    for (const form of root.querySelectorAll("form[data-bot-form]")) setUpForm(form);
    showLocalTimes(root);
  }

  setUp(document);
  document.addEventListener("htmx:load", (event) => setUp(event.target));
})();
