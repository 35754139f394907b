/* Shared by the support and marketing consoles: DOM helper, API calls with the staff session
 * cookie, and the sign-in flow. Text is only ever set with textContent.
 */
(function () {
  "use strict";
  const $ = (id) => document.getElementById(id);

  function el(tag, cls, text) {
    const node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  async function api(method, path, body) {
    const res = await fetch(path, {method, credentials: "same-origin",
      headers: {"Content-Type": "application/json"}, body: body ? JSON.stringify(body) : undefined});
    const data = res.status === 204 ? {} : await res.json().catch(() => ({}));
    const detail = Array.isArray(data.detail) ? data.detail.join("; ") : data.detail;  // 422: one line per field
    if (!res.ok) throw Object.assign(new Error(detail || res.statusText), {status: res.status});
    return data;
  }

  // Shows the sign-in form until /auth/me answers, then calls onReady(me); onSignOut stops timers.
  function signIn(onReady, onSignOut) {
    function showLogin(message) {
      $("desk").hidden = true; $("logout").hidden = true; $("login").hidden = false;
      $("who").textContent = ""; $("login-error").textContent = message || "";
      if (onSignOut) onSignOut();
    }
    async function start() {
      try {
        const me = await api("GET", "/api/v1/auth/me");
        $("who").textContent = "— " + me.email + " (" + me.role + ")";
        $("login").hidden = true; $("desk").hidden = false; $("logout").hidden = false;
        await onReady(me);
      } catch (e) {
        showLogin(e.status === 401 ? "" : e.message);
      }
    }
    $("login").addEventListener("submit", async (ev) => {
      ev.preventDefault();
      const f = new FormData($("login"));
      try {
        await api("POST", "/api/v1/auth/login", {email: f.get("email"), password: f.get("password")});
        await start();
      } catch (e) { showLogin(e.message); }
    });
    $("logout").addEventListener("click", async () => { await api("POST", "/api/v1/auth/logout").catch(() => {}); showLogin(); });
    start();
  }

  window.KeepcartConsole = {$, el, api, signIn};
})();
