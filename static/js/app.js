// Behaviour shared by every page: copy buttons, upload progress, htmx's history snapshots, Clerk's components (when
// configured).
// Plain scripts, no build step. htmx is loaded before this file (both deferred, in document order).
(() => {
  "use strict";

  // --- Copy buttons: <button data-copy-target="#id"> copies the target's text (a <pre>, <code> or field). ----
  async function copyText(text) {
    if (navigator.clipboard && window.isSecureContext) {
      try {
        await navigator.clipboard.writeText(text);
        return true;
      } catch (error) {
        // Refused (permissions): fall back to a selection, below.
      }
    }
    const area = document.createElement("textarea");
    area.value = text;
    area.setAttribute("readonly", "");
    area.style.position = "fixed";
    area.style.opacity = "0";
    document.body.appendChild(area);
    area.select();
    let copied = false;
    try {
      copied = document.execCommand("copy");
    } catch (error) {
      copied = false;
    }
    area.remove();
    return copied;
  }

  document.addEventListener("click", async (event) => {
    const button = event.target.closest("[data-copy-target]");
    if (!button) return;
    const target = document.querySelector(button.dataset.copyTarget);
    if (!target) return;
    const text = "value" in target && target.value !== undefined ? target.value : target.textContent;
    const copied = await copyText(text.trim());
    const status = button.parentElement.querySelector("[data-copy-status]");
    const message = copied ? "Copied to the clipboard" : "Press Ctrl+C to copy";
    if (status) status.textContent = message;
    button.dataset.copied = copied ? "true" : "false";
    if (!copied && target.select) target.select();
  });

  // --- Upload progress: a form with data-upload-progress shows htmx's upload progress in its <progress>, -----
  // and is emptied for the next upload once its request is over (answered or failed). Here rather than in an
  // hx-on attribute: htmx runs those with new Function(), which the Content-Security-Policy forbids.
  document.addEventListener("htmx:xhr:progress", (event) => {
    const form = event.target.closest ? event.target.closest("[data-upload-progress]") : null;
    if (!form || !event.detail.lengthComputable) return;
    const bar = form.querySelector("progress");
    if (bar) {
      bar.hidden = false;
      bar.value = Math.round((event.detail.loaded / event.detail.total) * 100);
    }
  });

  document.addEventListener("htmx:afterRequest", (event) => {
    const form = event.detail.elt;
    if (!(form instanceof HTMLFormElement) || !form.matches("[data-upload-progress]")) return;
    form.reset();
    const bar = form.querySelector("progress");
    if (bar) bar.hidden = true;
  });

  // --- Keyboard focus around htmx requests (WCAG 2.4.3: the focus never falls to <body>). ---------------------
  const FOCUSABLE = "a[href], button, input, select, textarea, summary, [tabindex]";

  // A busy form ([data-busy]): while its request runs, its buttons say so (aria-disabled, styled as disabled)
  // instead of being disabled, as hx-disabled-elt would: a disabled button drops the focus to <body>, and the
  // next Tab starts over from the top of the page. The form's hx-sync="this:drop" ignores a second submission
  // meanwhile.
  document.addEventListener("htmx:beforeRequest", (event) => {
    const form = event.detail.elt;
    if (!(form instanceof HTMLFormElement) || !form.hasAttribute("data-busy")) return;
    form.setAttribute("aria-busy", "true");
    for (const button of form.querySelectorAll("button")) button.setAttribute("aria-disabled", "true");
  });
  document.addEventListener("htmx:afterRequest", (event) => {
    const form = event.detail.elt;
    if (!(form instanceof HTMLFormElement) || !form.hasAttribute("data-busy")) return;
    form.removeAttribute("aria-busy");
    for (const button of form.querySelectorAll("button")) button.removeAttribute("aria-disabled");
  });

  // A placeholder that htmx fills in place (the bot page's knowledge base: aria-busy="true" while it loads) is
  // busy no more once its content is in: assistive technologies may hold back a busy region's content.
  document.addEventListener("htmx:afterSettle", (event) => {
    const target = event.detail.target;
    if (target && target.isConnected && target.getAttribute("aria-busy") === "true") {
      target.removeAttribute("aria-busy");
    }
  });

  // After a swap, htmx gives the focus back to an element the swap replaced when the new content has one with its
  // id. When it has none (a deleted document's row, a re-activated bot's button, the last page's Next link), the
  // focus goes to the element named by the closest data-focus-after (a selector) around the element that made
  // the request: the status message that says what happened, or the new content (made focusable with
  // tabindex="-1" if it is not).
  let focusedBeforeSwap = null;
  document.addEventListener("htmx:beforeSwap", () => {
    focusedBeforeSwap = document.activeElement;
  });
  document.addEventListener("htmx:afterSettle", (event) => {
    const lost = focusedBeforeSwap;
    focusedBeforeSwap = null;
    if (!lost || lost === document.body || lost.isConnected) return;
    if (document.activeElement && document.activeElement !== document.body) return;
    const source = event.detail.requestConfig ? event.detail.requestConfig.elt : event.detail.elt;
    const holder = source && source.closest ? source.closest("[data-focus-after]") : null;
    const target = holder ? document.querySelector(holder.dataset.focusAfter) : null;
    if (!target) return;
    if (!target.matches(FOCUSABLE)) target.setAttribute("tabindex", "-1");
    target.focus();
  });

  // A page reached after an action that said what it did (Django's messages: "Bot created.", "Bot deleted.")
  // starts with the focus on that message, so the next Tab goes on from there rather than from the top; a page
  // opened at a control's fragment (the delete page's Cancel: the bot page at #delete-bot) starts on that control.
  function focusOnArrival() {
    const id = window.location.hash ? decodeURIComponent(window.location.hash.slice(1)) : "";
    const target = id ? document.getElementById(id) : null;
    if (target && target.matches(FOCUSABLE)) {
      target.focus();
      return;
    }
    const messages = document.querySelector("[data-focus-on-load]");
    if (messages && document.activeElement === document.body) messages.focus();
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", focusOnArrival);
  else focusOnArrival();

  // --- Wide tables: the "Scroll sideways" hint ([data-scroll-hint], just before a .table-wrap) shows while its
  // table is wider than its box: on load, when the window changes size, and when htmx swaps in a new table. ----
  function updateScrollHints() {
    for (const hint of document.querySelectorAll("[data-scroll-hint]")) {
      const box = hint.nextElementSibling;
      if (box) hint.hidden = box.scrollWidth <= box.clientWidth + 1;
    }
  }
  document.addEventListener("DOMContentLoaded", updateScrollHints);
  document.addEventListener("htmx:afterSettle", updateScrollHints);
  window.addEventListener("resize", updateScrollHints);
  if (document.readyState !== "loading") updateScrollHints();

  // --- htmx's history snapshot: kept for Back before a swap that pushes a URL, and parsed back then. An inline
  // style attribute in it (Chart.js sizes its canvases with them) would be refused by the Content-Security-Policy
  // at that point, and reported: the snapshot is taken without them, and they are put back (through the CSSOM,
  // which the policy allows) once htmx has serialised it, before the next frame. Restored pages redraw their
  // charts (analytics.js), which styles them again.
  document.addEventListener("htmx:beforeHistorySave", (event) => {
    const root = event.detail.historyElt || document.body;
    const styled = Array.from(root.querySelectorAll("[style]"), (element) => [element, element.style.cssText]);
    for (const [element] of styled) element.removeAttribute("style");
    queueMicrotask(() => {
      for (const [element, css] of styled) if (css) element.style.cssText = css;
    });
  });

  // --- Clerk (only when its script is on the page) --------------------------------------------------------------
  const clerkScript = document.getElementById("clerk-script");
  if (!clerkScript) return;

  function whenClerkLoaded() {
    return new Promise((resolve, reject) => {
      const start = () => (window.Clerk ? window.Clerk.load().then(() => resolve(window.Clerk), reject) : null);
      if (window.Clerk) start();
      else clerkScript.addEventListener("load", start, { once: true });
      clerkScript.addEventListener("error", () => reject(new Error("Clerk could not be loaded")), { once: true });
    });
  }

  const signIn = document.querySelector("[data-clerk-sign-in]");
  const signUp = document.querySelector("[data-clerk-sign-up]");
  const userButton = document.querySelector("[data-clerk-user-button]");
  const signOutForm = document.querySelector("form[data-clerk-sign-out]");

  whenClerkLoaded()
    .then((clerk) => {
      for (const element of [signIn, signUp]) {
        if (!element) continue;
        const next = element.dataset.next || "/dashboard";
        // Signed in with Clerk already (a stale cookie sent us here): the fresh cookie is set now; go back,
        // unless the server refused the token for another reason (then it says why, and we must not loop).
        if (clerk.user && !element.dataset.refusal) {
          window.location.assign(next);
          return;
        }
        const options = { forceRedirectUrl: next, fallbackRedirectUrl: next };
        if (element === signIn) clerk.mountSignIn(element, { ...options, signUpUrl: element.dataset.signUpUrl });
        else clerk.mountSignUp(element, { ...options, signInUrl: element.dataset.signInUrl });
      }
      if (userButton && clerk.user) clerk.mountUserButton(userButton, { afterSignOutUrl: "/" });
    })
    .catch((error) => {
      const box = signIn || signUp;
      if (box) box.textContent = "Sign-in could not be loaded. Check your connection and reload the page.";
      console.warn(error);
    });

  if (signOutForm) {
    signOutForm.addEventListener("submit", (event) => {
      if (!window.Clerk || signOutForm.dataset.clerkDone) return;
      event.preventDefault();
      window.Clerk.signOut()
        .catch(() => null)
        .then(() => {
          signOutForm.dataset.clerkDone = "true";
          signOutForm.submit();
        });
    });
  }
})();
