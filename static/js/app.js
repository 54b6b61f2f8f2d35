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
