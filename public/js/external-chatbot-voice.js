/*
 * Voice Bot widget: the script tag a bot owner pastes into their site.
 *
 *   <script defer src="https://<app>/js/external-chatbot-voice.js" data-chatbot-uuid="<uuid>"
 *           data-language="en" data-position="right|left" data-theme="light|dark"
 *           data-allowed-hosts="example.com,docs.example.com"   (optional: hosts voice commands may open)
 *           data-search-url="/search?q={query}"></script>       (optional: where "search for …" goes)
 *
 * It asks the app (the origin of this script's src) for the bot's public config, draws a call button when the bot
 * is active (a "coming soon" badge otherwise), records a visitor session around each call, and starts the call with
 * VAPI's script-tag SDK. Plain ES2017, no dependencies, no globals but window.VoiceBotWidget; DOM built with
 * createElement/textContent only, styles in a constructed stylesheet (CSSOM; a <style> element only in browsers
 * without one), no eval or handler strings: CSP-friendly. VAPI's web SDK (@vapi-ai/web, pinned) is served by the
 * app next to this script and checked against its hash; it has Daily load its call bundle with a <script> rather
 * than Function(). What a site's CSP needs is in docs/vapi.md ("The widget's SDK and a site's CSP").
 * Nothing here may break the host page: every entry point catches and warns.
 */
(function () {
  "use strict";

  // Safe to include twice: the second copy does nothing.
  if (window.VoiceBotWidget) return;

  const PREFIX = "[VoiceBot]";
  // VAPI's web SDK: @vapi-ai/web 2.7.1 from the npm registry, bundled by scripts/vapi-sdk/build.sh and served by the
  // app (the origin of this script); the browser runs it only if its bytes have this SHA-384 (Subresource Integrity).
  // It defines window.vapiSDK.run({apiKey}), as VAPI's script-tag SDK did, without that SDK's button.
  const VAPI_SDK_PATH = "/js/vendor/vapi-web-2.7.1.js";
  const VAPI_SDK_INTEGRITY = "sha384-ELcbg92vOfmxazx9TNxYJynQYhltZb+tbOgoPD7Jt5+a6Ls2r+hONsbwRFrhHaie";
  const SDK_BUTTON_ID = "vapi-support-btn"; // VAPI's former script-tag SDK drew a button of its own; ours replaces it
  const TIMEOUT_MS = 15000;
  const warn = (...args) => {
    try {
      console.warn(PREFIX, ...args);
    } catch (e) {
      /* no console */
    }
  };

  let resolveReady;
  const ready = new Promise((resolve) => {
    resolveReady = resolve;
  });
  // The one global, set at once so that a second copy stops above. `ready` tells a host page (or a test) what the
  // widget drew: "active" (a call button), "pending" or "failed" (a badge), "error" (nothing).
  const namespace = { version: "2.0.0", ready, uuid: null, language: null };
  window.VoiceBotWidget = namespace;

  // --- Settings from our own <script> tag ------------------------------------------------------------------------

  const script = document.currentScript || document.querySelector("script[data-chatbot-uuid]");
  if (!script) {
    warn("script tag with data-chatbot-uuid not found");
    Object.freeze(namespace);
    resolveReady("error");
    return;
  }
  const attr = (name) => (script.getAttribute(name) || "").trim();
  const botUuid = attr("data-chatbot-uuid");
  // The call's language is the assistant's (set on the server); the widget's own few words are English.
  const language = attr("data-language") || "en";
  let apiOrigin;
  try {
    apiOrigin = new URL(script.src || window.location.href, window.location.href).origin;
  } catch (e) {
    apiOrigin = window.location.origin;
  }
  const allowedHosts = attr("data-allowed-hosts")
    .split(",")
    .map((host) => host.trim().toLowerCase().replace(/\.$/, ""))
    .filter(Boolean);
  const searchTemplate = attr("data-search-url");
  namespace.uuid = botUuid;
  namespace.language = language;
  Object.freeze(namespace);

  // --- Small helpers ---------------------------------------------------------------------------------------------

  function api(path) {
    return apiOrigin + path;
  }

  // Every call to the app: no cookies (the widget speaks for an anonymous visitor), bounded in time.
  function request(path, options) {
    const controller = typeof AbortController === "function" ? new AbortController() : null;
    const timer = controller ? setTimeout(() => controller.abort(), TIMEOUT_MS) : null;
    const init = Object.assign({ credentials: "omit", mode: "cors" }, options || {});
    if (controller) init.signal = controller.signal;
    const done = () => timer && clearTimeout(timer);
    return fetch(api(path), init).then(
      (response) => {
        done();
        return response;
      },
      (error) => {
        done();
        throw error;
      }
    );
  }

  function postJson(path, body, keepalive) {
    const headers = { "Content-Type": "application/json" };
    return request(path, { method: "POST", headers, body: JSON.stringify(body), keepalive: Boolean(keepalive) });
  }

  function svg(pathData) {
    const ns = "http://www.w3.org/2000/svg";
    const icon = document.createElementNS(ns, "svg");
    icon.setAttribute("viewBox", "0 0 24 24");
    icon.setAttribute("width", "26");
    icon.setAttribute("height", "26");
    icon.setAttribute("aria-hidden", "true");
    icon.setAttribute("focusable", "false");
    const path = document.createElementNS(ns, "path");
    path.setAttribute("d", pathData);
    path.setAttribute("fill", "currentColor");
    icon.appendChild(path);
    return icon;
  }

  const MIC_ICON =
    "M12 14a3 3 0 0 0 3-3V5a3 3 0 0 0-6 0v6a3 3 0 0 0 3 3zm5.3-3A5.3 5.3 0 0 1 12 16.1 5.3 5.3 0 0 1 6.7 11H5a7 7 0 0 0 6 6.7V21h2v-3.3a7 7 0 0 0 6-6.7h-1.7z";
  const HANG_UP_ICON =
    "M12 9c-1.6 0-3.2.3-4.6.7v3.1c0 .4-.2.7-.6.9-1 .5-1.9 1.1-2.7 1.8a1 1 0 0 1-1.4 0L.3 13.1a1 1 0 0 1 0-1.4C3.3 8.8 7.5 7 12 7s8.7 1.8 11.7 4.7a1 1 0 0 1 0 1.4l-2.4 2.4a1 1 0 0 1-1.4 0c-.8-.7-1.7-1.3-2.7-1.8a1 1 0 0 1-.6-.9V9.7C15.2 9.3 13.6 9 12 9z";

  const THEMES = {
    light: { button: "#4f46e5", icon: "#ffffff", border: "#ffffff", ring: "#1e1b4b", bubble: "#ffffff", text: "#111827" },
    dark: { button: "#111827", icon: "#f9fafb", border: "#4b5563", ring: "#a5b4fc", bubble: "#1f2937", text: "#f9fafb" },
  };

  // Styles live in a shadow root, so the host page's CSS cannot reach the widget (nor ours the page).
  function css(theme, side) {
    const t = THEMES[theme];
    return `
      :host { all: initial; }
      .vb { position: fixed; bottom: 20px; ${side}: 20px; z-index: 2147483000; display: flex;
            flex-direction: column; align-items: ${side === "left" ? "flex-start" : "flex-end"}; gap: 8px;
            font: 14px/1.4 -apple-system, BlinkMacSystemFont, "Segoe UI", Roboto, sans-serif; color: ${t.text}; }
      .button { width: 56px; height: 56px; border-radius: 50%; border: 2px solid ${t.border}; padding: 0;
                display: flex; align-items: center; justify-content: center; cursor: pointer;
                background: ${t.button}; color: ${t.icon}; box-shadow: 0 4px 14px rgba(0,0,0,.25);
                transition: transform .15s ease, background-color .15s ease; }
      .button:hover { transform: scale(1.06); }
      .button:focus { outline: none; }
      .button:focus-visible { outline: 3px solid ${t.ring}; outline-offset: 3px; }
      .button[aria-pressed="true"] { background: #dc2626; color: #ffffff; }
      .button[aria-busy="true"] { animation: vb-pulse 1.2s ease-in-out infinite; }
      .status { max-width: 260px; padding: 6px 10px; border-radius: 8px; background: ${t.bubble};
                box-shadow: 0 2px 10px rgba(0,0,0,.18); }
      .status:empty { display: none; }
      .badge { padding: 6px 12px; border-radius: 999px; background: ${t.bubble}; color: ${t.text};
               border: 1px solid ${t.border}; box-shadow: 0 2px 10px rgba(0,0,0,.18); opacity: .9; }
      @keyframes vb-pulse { 50% { box-shadow: 0 0 0 8px rgba(79,70,229,.25); } }
      @media (prefers-reduced-motion: reduce) { .button { transition: none; animation: none !important; } }
    `;
  }

  // A fixed host element with an open shadow root holding the stylesheet; returns the inner container.
  function mount(theme, side) {
    const host = document.createElement("div");
    host.setAttribute("data-voicebot-widget", botUuid);
    host.setAttribute("lang", "en"); // our few words are English, whatever the page's language
    // Inline !important beats any rule of the page that could hide or move the host.
    host.style.setProperty("all", "initial", "important");
    host.style.setProperty("position", "fixed", "important");
    host.style.setProperty("z-index", "2147483000", "important");
    const root = host.attachShadow ? host.attachShadow({ mode: "open" }) : host;
    const text = css(theme, side);
    if (root !== host && "adoptedStyleSheets" in root && typeof CSSStyleSheet === "function") {
      const sheet = new CSSStyleSheet(); // CSSOM: not subject to a CSP's style-src
      sheet.replaceSync(text);
      root.adoptedStyleSheets = [sheet];
    } else {
      const style = document.createElement("style");
      style.textContent = text;
      root.appendChild(style);
    }
    const container = document.createElement("div");
    container.className = "vb";
    root.appendChild(container);
    document.body.appendChild(host);
    return container;
  }

  function whenBodyReady() {
    if (document.body) return Promise.resolve();
    return new Promise((resolve) => document.addEventListener("DOMContentLoaded", resolve, { once: true }));
  }

  // --- The badge: a bot that cannot take calls (yet) -------------------------------------------------------------

  function drawBadge(theme, side, failed) {
    const container = mount(theme, side);
    const badge = document.createElement("div");
    badge.className = "badge";
    badge.setAttribute("role", "status");
    badge.textContent = failed ? "Voice assistant unavailable" : "Voice assistant coming soon";
    container.appendChild(badge);
  }

  // --- The call button and the call ------------------------------------------------------------------------------

  function drawButton(theme, side, bot, publicKey) {
    const container = mount(theme, side);
    const status = document.createElement("div");
    status.className = "status";
    status.setAttribute("role", "status");
    status.setAttribute("aria-live", "polite");
    const button = document.createElement("button");
    button.type = "button";
    button.className = "button";
    button.setAttribute("aria-label", "Voice call with " + (bot.name || "our assistant"));
    button.setAttribute("aria-pressed", "false");
    button.appendChild(svg(MIC_ICON));
    container.appendChild(status);
    container.appendChild(button);

    const call = { phase: "idle", attempt: 0, sessionId: null, vapi: null };

    function setPhase(phase, message) {
      call.phase = phase;
      button.setAttribute("aria-pressed", phase === "active" ? "true" : "false");
      button.setAttribute("aria-busy", phase === "connecting" ? "true" : "false");
      button.textContent = "";
      button.appendChild(svg(phase === "active" ? HANG_UP_ICON : MIC_ICON));
      status.textContent = message || "";
    }

    async function startSession() {
      let response;
      try {
        response = await postJson("/api/analytics/sessions", { botUuid, userAgent: navigator.userAgent });
      } catch (e) {
        warn("session not recorded:", e);
        return null; // our analytics are unreachable: the visitor still gets the call
      }
      if (response.ok) return (await response.json()).sessionId || null;
      // The bot is gone or no longer active, or this visitor is rate-limited: no call.
      if ([404, 409, 429].includes(response.status)) {
        const refused = new Error("session refused (" + response.status + ")");
        refused.refused = true;
        throw refused;
      }
      warn("session not recorded:", response.status);
      return null; // our analytics are down: the visitor still gets the call
    }

    function endSession(onUnload) {
      const id = call.sessionId;
      if (!id) return;
      call.sessionId = null;
      const path = "/api/analytics/sessions/" + encodeURIComponent(id) + "/end";
      // A page being unloaded cancels ordinary requests: a beacon survives it (the route ignores its body).
      if (onUnload && navigator.sendBeacon) {
        try {
          if (navigator.sendBeacon(api(path))) return;
        } catch (e) {
          /* fall through to fetch */
        }
      }
      request(path, { method: "POST", keepalive: true }).catch((e) => warn("session end not recorded:", e));
    }

    // Settles when the app has answered (or failed to).
    function countInteraction() {
      if (!call.sessionId) return Promise.resolve();
      const path = "/api/analytics/sessions/" + encodeURIComponent(call.sessionId) + "/interaction";
      // keepalive: the utterance may be a command that leaves the page.
      return request(path, { method: "POST", keepalive: true }).catch((e) => warn("interaction not recorded:", e));
    }

    function onMessage(message) {
      try {
        if (!message || message.type !== "transcript" || message.role !== "user") return;
        // Partial transcripts repeat as the caller speaks; only the final one is an utterance (and a command).
        if (message.transcriptType !== "final" || typeof message.transcript !== "string") return;
        handleCommand(message.transcript, countInteraction());
      } catch (e) {
        warn("message handler failed:", e);
      }
    }

    function attach(vapi) {
      vapi.on("call-start", () => {
        if (call.phase !== "idle") return setPhase("active", "Call in progress. Press the button again to end it.");
        // The visitor pressed again while the call was connecting: it must not go on unseen.
        try {
          vapi.stop();
        } catch (e) {
          /* already stopped */
        }
      });
      vapi.on("call-end", () => {
        endSession(false);
        if (call.phase !== "idle") setPhase("idle", "Call ended.");
      });
      vapi.on("message", onMessage);
      vapi.on("error", (error) => {
        warn("call error:", error);
        if (call.phase === "idle") return;
        call.attempt += 1;
        try {
          vapi.stop();
        } catch (e) {
          /* already stopped */
        }
        endSession(false);
        setPhase("idle", "The call could not continue. Please try again.");
      });
    }

    async function startCall() {
      const attempt = ++call.attempt;
      setPhase("connecting", "Connecting…");
      try {
        const sessionId = await startSession();
        if (attempt !== call.attempt) {
          call.sessionId = sessionId;
          endSession(false); // the visitor pressed again while we were connecting
          return;
        }
        call.sessionId = sessionId;
        if (!call.vapi) {
          const sdk = await loadSdk();
          if (attempt !== call.attempt) return endSession(false);
          // run() builds the SDK's Vapi instance; ours drives the call with vapi.start(). (VAPI's former script-tag
          // SDK also drew a floating button of its own, hidden if one is there.)
          const vapi = sdk.run({ apiKey: publicKey, assistant: bot.assistantId });
          if (!vapi || typeof vapi.on !== "function") throw new Error("the VAPI SDK did not start");
          hideSdkButton();
          attach(vapi);
          call.vapi = vapi;
        }
        await call.vapi.start(bot.assistantId);
      } catch (error) {
        if (attempt !== call.attempt) return;
        warn("could not start the call:", error);
        endSession(false);
        const refused = error && error.refused;
        setPhase(
          "idle",
          refused ? "The voice assistant is not available right now." : "The call could not start. Please try again."
        );
      }
    }

    function stopCall() {
      call.attempt += 1;
      try {
        if (call.vapi) call.vapi.stop();
      } catch (e) {
        warn("could not stop the call:", e);
      }
      endSession(false);
      setPhase("idle", "Call ended.");
    }

    button.addEventListener("click", () => {
      try {
        if (call.phase === "idle") startCall();
        else stopCall();
      } catch (e) {
        warn("click handler failed:", e);
      }
    });

    // Leaving the page ends the call; the session is closed with a beacon. (pagehide, not beforeunload: the latter
    // keeps pages out of the back/forward cache and is not fired on mobile.)
    window.addEventListener("pagehide", () => {
      try {
        if (call.phase !== "idle" && call.vapi) call.vapi.stop();
      } catch (e) {
        /* the page is going away */
      }
      endSession(true);
    });

    // --- Voice navigation: "open <site>", "go to <page>", "search for <query>" -----------------------------------
    // Unlike the original (which opened any site it heard), a command is acted on only for a page of this site
    // or a host the page owner listed in data-allowed-hosts; everything else is refused. Both are reported.

    // A command is the whole utterance ("Could you open example.com?"), so "are you open on Sundays" is not one.
    const COMMAND = new RegExp(
      "^(?:(?:please|can you|could you|would you)\\s+)?" +
        "(open|go to|navigate to|visit|take me to|search(?: for| about)?)\\s+(.+)$",
      "i"
    );
    const HOSTNAME = /^(?:https?:\/\/)?(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.)+[a-z]{2,}(?::\d{1,5})?(?:\/\S*)?$/i;

    function isAllowed(url) {
      if (url.protocol !== "http:" && url.protocol !== "https:") return false; // never javascript:, data:, …
      if (url.origin === window.location.origin) return true;
      return allowedHosts.includes(url.hostname.toLowerCase());
    }

    // A link of this page whose text is what the caller named ("go to pricing" -> <a href="/pricing">Pricing</a>).
    function linkNamed(name) {
      const links = document.querySelectorAll("a[href]");
      for (let i = 0; i < links.length; i += 1) {
        const text = (links[i].textContent || "").trim().toLowerCase().replace(/\s+/g, " ");
        if (text && (text === name || text === name + " page")) return links[i].href;
      }
      return null;
    }

    function resolveTarget(verb, target) {
      if (verb.startsWith("search")) {
        const template = searchTemplate || "https://www.google.com/search?q={query}";
        return template.replace("{query}", encodeURIComponent(target));
      }
      const spoken = target
        .replace(/^(?:the\s+)?(?:website\s+|site\s+|page\s+)?/, "")
        .replace(/\s+(?:page|website|please)$/, "");
      const host = spoken.replace(/\s+dot\s+/g, ".").replace(/\s+/g, "");
      if (HOSTNAME.test(host)) {
        if (/^https?:\/\//i.test(host)) return host;
        // The page's own host keeps its scheme and port; any other host is https.
        const sameHost = host.split(/[/:]/)[0] === window.location.hostname;
        return (sameHost ? window.location.protocol + "//" : "https://") + host;
      }
      return linkNamed(spoken);
    }

    function report(url, command, success) {
      const body = { url, command, success, botUuid };
      return postJson("/api/vapi/navigation", body, true).catch((e) => warn("navigation not logged:", e));
    }

    // `counted`: the utterance's interaction request. Leaving the page waits for it (and the report), at most a
    // second, or the session's end (a beacon on pagehide) could overtake it and the utterance would be lost.
    function handleCommand(transcript, counted) {
      const command = transcript.trim().replace(/[.!?,]+$/, "");
      const match = COMMAND.exec(command);
      if (!match) return;
      const verb = match[1].toLowerCase();
      const target = match[2].trim().toLowerCase();
      const href = resolveTarget(verb, target);
      let url = null;
      try {
        url = href ? new URL(href, window.location.href) : null;
      } catch (e) {
        url = null;
      }
      if (!url || !isAllowed(url)) {
        warn("navigation refused (not this site nor an allowed host):", command);
        // The log gets what was asked for, never a javascript:/data: URL.
        report(url && /^https?:$/.test(url.protocol) ? url.href : target, command, false);
        return;
      }
      const reported = report(url.href, command, true);
      if (url.origin === window.location.origin) {
        const oneSecond = new Promise((resolve) => setTimeout(resolve, 1000));
        Promise.race([Promise.all([counted, reported]), oneSecond]).then(() => window.location.assign(url.href));
      } else {
        // Another site: a new tab that cannot reach back into this page.
        window.open(url.href, "_blank", "noopener,noreferrer");
      }
    }
  }

  // The SDK's own button would duplicate ours: keep it out of sight and out of the tab order.
  function hideSdkButton() {
    const sdkButton = document.getElementById(SDK_BUTTON_ID);
    if (!sdkButton) return;
    sdkButton.style.setProperty("display", "none", "important");
    sdkButton.setAttribute("aria-hidden", "true");
    sdkButton.tabIndex = -1;
  }

  // VAPI's script-tag SDK, loaded once (a page may already have it, e.g. a test's fake).
  let sdkPromise = null;
  function loadSdk() {
    if (window.vapiSDK && typeof window.vapiSDK.run === "function") return Promise.resolve(window.vapiSDK);
    if (!sdkPromise) {
      sdkPromise = new Promise((resolve, reject) => {
        const tag = document.createElement("script");
        tag.src = api(VAPI_SDK_PATH);
        tag.integrity = VAPI_SDK_INTEGRITY;
        tag.crossOrigin = "anonymous"; // SRI on another origin needs CORS (the app's static files allow any origin)
        tag.async = true;
        const timer = setTimeout(() => reject(new Error("the VAPI SDK took too long to load")), TIMEOUT_MS);
        tag.addEventListener("load", () => {
          clearTimeout(timer);
          if (window.vapiSDK && typeof window.vapiSDK.run === "function") resolve(window.vapiSDK);
          else reject(new Error("the VAPI SDK loaded but did not define window.vapiSDK"));
        });
        tag.addEventListener("error", () => {
          clearTimeout(timer);
          reject(new Error("the VAPI SDK could not be loaded"));
        });
        document.head.appendChild(tag);
      }).catch((error) => {
        sdkPromise = null; // a later click tries again
        throw error;
      });
    }
    return sdkPromise;
  }

  // --- Start: ask the app what this bot is, then draw ------------------------------------------------------------

  async function init() {
    if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(botUuid)) {
      warn("data-chatbot-uuid is missing or not a UUID:", botUuid);
      return "error";
    }
    let config;
    try {
      const response = await request("/api/widget/" + encodeURIComponent(botUuid) + "/config");
      if (!response.ok) {
        warn(response.status === 404 ? "bot not found: " + botUuid : "config request failed: " + response.status);
        return "error";
      }
      config = await response.json();
    } catch (e) {
      // Never pretend: without the app's answer there is no widget (the original faked an active bot here).
      warn("config request failed:", e);
      return "error";
    }
    const bot = (config && config.bot) || {};
    const pick = (value, allowed, fallback) => (allowed.includes(value) ? value : fallback);
    // The script tag's attributes win (the owner's embed code); the bot's saved settings fill in the rest.
    const side = pick(attr("data-position").toLowerCase() || bot.position, ["left", "right"], "right");
    const theme = pick(attr("data-theme").toLowerCase() || bot.theme, ["light", "dark"], "light");
    await whenBodyReady();
    if (bot.status === "active" && bot.assistantId && config.vapiPublicKey) {
      drawButton(theme, side, bot, config.vapiPublicKey);
      return "active";
    }
    if (bot.status === "active") warn("the bot is active but has no assistant or public key yet");
    const failed = bot.status === "failed" || bot.status === "active";
    drawBadge(theme, side, failed);
    return failed ? "failed" : "pending";
  }

  init()
    .catch((e) => {
      warn("widget failed:", e);
      return "error";
    })
    .then(resolveReady);
})();
