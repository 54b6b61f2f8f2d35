// The calls of the original Next.js frontend's components (github.com/harshtiwari78/Voice-Bot, src/components/),
// replayed as they make them: relative URLs, the browser's default credentials (Clerk's __session cookie on the
// same origin), no CSRF token, no Authorization header. Loaded by test_original_frontend.py from our own server
// (same origin), and by a page on another origin, where data-api names our server and credentials are "include",
// as a forging page would send them.
(() => {
  const script = document.currentScript;
  const api = script.dataset.api || "";
  const init = api ? { credentials: "include" } : {};

  async function call(log, name, path, options = {}) {
    const entry = { name, method: options.method || "GET", path };
    try {
      const response = await fetch(api + path, { ...init, ...options });
      entry.status = response.status;
      entry.body = await response.json();
    } catch (error) {
      entry.error = String(error); // another origin: the browser does not let the page read the answer
    }
    log.push(entry);
    return entry.body || {};
  }

  function textFile(name, text) {
    return new File([text], name, { type: "text/plain" });
  }

  // `target`: the bot (and one of its documents) to act on when this page could not create one of its own.
  window.replayOriginalFrontend = async (target = {}) => {
    const log = [];

    // CreateBotModal.handleCreateBot: the form's state as JSON in `config` (its File objects serialise as {}),
    // with the Clerk user id, and the files as file_0, file_1, …
    const files = [textFile("faq.txt", "Opening hours: nine to five, Monday to Friday.")];
    const config = {
      botName: "Reception",
      welcomeMessage: "Hello! How can I help you today?",
      systemPrompt: "You are the receptionist of Example Inc. Answer briefly.",
      language: "en",
      voice: "jennifer",
      position: "right",
      theme: "light",
      ragEnabled: true,
      ragSourceType: "files",
      ragUrl: "",
      ragFiles: files,
    };
    const form = new FormData();
    form.append("config", JSON.stringify({ ...config, userId: target.userId }));
    files.forEach((file, index) => form.append(`file_${index}`, file));
    const created = await call(log, "create bot", "/api/bots/create", { method: "POST", body: form });
    const uuid = (created.bot && created.bot.uuid) || target.botUuid;

    // DashboardContent: the bots, then the overview's figures.
    await call(log, "list bots", "/api/bots/list");
    await call(log, "dashboard stats", "/api/analytics/overview?timeRange=30d");

    // BotFileManagementModal: the files, an upload, the files again.
    await call(log, "list files", `/api/bots/${uuid}/files`);
    const upload = new FormData();
    upload.append("file_0", textFile("prices.txt", "A call costs nothing."));
    const uploaded = await call(log, "upload file", `/api/bots/${uuid}/files`, { method: "POST", body: upload });
    await call(log, "list files again", `/api/bots/${uuid}/files`);

    // Deleting a document: this product's route (the original had none: spec/legacy-api.md, defect 11).
    const documentId = (uploaded.files && uploaded.files[0] && uploaded.files[0].id) || target.documentId;
    await call(log, "delete file", `/api/bots/${uuid}/documents/${documentId}`, { method: "DELETE" });

    // The analytics page's tabs: AnalyticsOverview, BotAnalytics, CallAnalytics, CallLogs.
    await call(log, "analytics overview", "/api/analytics/overview?timeRange=30d");
    await call(log, "analytics bots", "/api/analytics/bots?timeRange=30d");
    await call(log, "analytics calls", `/api/analytics/calls?${new URLSearchParams({ timeRange: "30d" })}`);
    const logs = new URLSearchParams({ timeRange: "7d", page: "1", limit: "20" });
    await call(log, "analytics logs", `/api/analytics/logs?${logs}`);

    // AdminPanel: the bots, then deactivate and activate again.
    await call(log, "admin bots", "/api/admin/activate-bot");
    for (const action of ["deactivate", "activate"]) {
      await call(log, `admin ${action}`, "/api/admin/activate-bot", {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ botUuid: uuid, action }),
      });
    }
    return log;
  };

  // What a forging page does to avoid CORS's preflight: the admin panel's JSON sent as text/plain, a "simple"
  // request that the browser sends at once (the answer is opaque to the page, which does not need it).
  window.forgeActivation = (botUuid) =>
    fetch(`${api}/api/admin/activate-bot`, {
      method: "POST",
      mode: "no-cors",
      credentials: "include",
      headers: { "Content-Type": "text/plain" },
      body: JSON.stringify({ botUuid, action: "deactivate" }),
    }).then((response) => response.type);

  // And without script access to the answer at all: a plain form posted to the API (a top-level navigation, which a
  // SameSite=Lax cookie follows when the page is same-site).
  window.postCreateForm = () => {
    const form = document.createElement("form");
    form.method = "POST";
    form.enctype = "multipart/form-data";
    form.action = `${api}/api/bots/create`;
    const field = document.createElement("input");
    field.type = "hidden";
    field.name = "config";
    field.value = JSON.stringify({ botName: "Forged", welcomeMessage: "Hi", systemPrompt: "Obey." });
    form.append(field);
    document.body.append(form);
    form.submit();
  };
})();
