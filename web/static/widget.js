/* Keepcart chat widget. Embed on a shop page:
 *   <script>window.KeepcartConfig = {apiBase: "https://bot.example.com", shopperToken: "..."};</script>
 *   <script src="https://bot.example.com/static/widget.js" defer></script>
 * Uses only the public /api/v1 API. Everything is rendered with textContent: nothing a
 * shopper or the bot writes is ever interpreted as HTML.
 */
(function () {
  "use strict";
  const cfg = Object.assign({apiBase: "", shopperToken: null, title: "Chat with us"}, window.KeepcartConfig || {});
  // The conversation is stored per shopper (the shopper token's subject), so the next person who signs
  // in on this browser never continues it; conversations of other shoppers and expired ones are dropped.
  const STORE_PREFIX = "keepcart.conversation.";
  function claims(token) {
    try {
      const part = token.split(".")[1].replace(/-/g, "+").replace(/_/g, "/");
      return JSON.parse(atob(part + "===".slice((part.length + 3) % 4)));
    } catch (e) { return {}; }
  }
  const nowS = () => Date.now() / 1000;
  const shopper = cfg.shopperToken ? claims(cfg.shopperToken) : null;
  const signedIn = !!(shopper && typeof shopper.sub === "string" && !(shopper.exp < nowS()));
  if (!signedIn) cfg.shopperToken = null;
  const storeKey = STORE_PREFIX + (signedIn ? "shopper:" + shopper.sub : "anon");
  try {
    Object.keys(localStorage).forEach((k) => { if (k.startsWith(STORE_PREFIX) && k !== storeKey) localStorage.removeItem(k); });
  } catch (e) { /* storage unavailable: nothing to drop */ }
  let conv = null;
  let root, log, input, form;

  function el(tag, cls, text) {
    const node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  // Conversation tokens are short-lived: renewed shortly before they expire, with the shopper token
  // when a shopper is signed in (the server checks it is the same shopper), else with the token itself.
  function remember() { localStorage.setItem(storeKey, JSON.stringify({id: conv.id, token: conv.token})); }
  async function renew() {
    const res = await fetch(cfg.apiBase + "/api/v1/conversations/" + conv.id + "/token", {method: "POST",
      headers: Object.assign({"Content-Type": "application/json"}, cfg.shopperToken ? {} : {"Authorization": "Bearer " + conv.token}),
      body: JSON.stringify(cfg.shopperToken ? {shopper_token: cfg.shopperToken} : {})});
    if (!res.ok) throw Object.assign(new Error("conversation expired"), {status: res.status});
    conv.token = (await res.json()).token;
    remember();
  }

  async function api(method, path, body) {
    if (conv && path.indexOf("/api/v1/conversations/" + conv.id) === 0 && !(claims(conv.token).exp > nowS() + 120)) await renew();
    const headers = {"Content-Type": "application/json"};
    if (conv) headers["Authorization"] = "Bearer " + conv.token;
    const res = await fetch(cfg.apiBase + path, {method, headers, body: body ? JSON.stringify(body) : undefined});
    const data = await res.json().catch(() => ({}));
    if (!res.ok) throw Object.assign(new Error(data.detail || res.statusText), {status: res.status});
    return data;
  }

  // Help-centre answers use a little Markdown (**bold**, [links](https://...), "- " lists).
  // It is turned into DOM nodes one by one; nothing is ever parsed as HTML.
  function inline(parent, text) {
    const pattern = /\*\*([^*]+)\*\*|\[([^\]]+)\]\((https?:\/\/[^)\s]+)\)/g;
    let last = 0, m;
    while ((m = pattern.exec(text))) {
      parent.appendChild(document.createTextNode(text.slice(last, m.index)));
      if (m[1] !== undefined) parent.appendChild(el("strong", null, m[1]));
      else { const a = el("a", null, m[2]); a.href = m[3]; a.target = "_blank"; a.rel = "noopener"; parent.appendChild(a); }
      last = pattern.lastIndex;
    }
    parent.appendChild(document.createTextNode(text.slice(last)));
  }

  function richText(text, markdown) {
    const bubble = el("div", "kc-bubble");
    if (!markdown) { bubble.textContent = text; return bubble; }
    let list = null;
    text.split("\n").forEach((line) => {
      if (/^\s*[-*] /.test(line)) {
        if (!list) { list = el("ul"); bubble.appendChild(list); }
        const li = el("li"); inline(li, line.replace(/^\s*[-*] /, "")); list.appendChild(li);
        return;
      }
      list = null;
      if (!line.trim()) return;
      const p = el("p"); inline(p, line); bubble.appendChild(p);
    });
    return bubble;
  }

  const shown = new Set();  // seqs already on screen: the history and polling may both bring one

  function render(msg) {
    if (shown.has(msg.seq)) return;
    shown.add(msg.seq);
    const row = el("div", "kc-msg kc-" + msg.role);
    row.dataset.seq = msg.seq;
    row.appendChild(richText(msg.text, msg.role !== "shopper"));
    (msg.cards || []).forEach((c) => {
      if (c.type === "offer" && !c.code) return;  // an offer without a coupon (a recommendation): its text says it all
      const card = el("div", "kc-card kc-card-" + (c.type || "product"));
      if (c.type === "offer") {
        card.appendChild(el("span", null, "Your code"));
        card.appendChild(el("strong", "kc-code", c.code || ""));
      } else {
        card.appendChild(el("strong", null, c.title));
        card.appendChild(el("span", null, [c.category, c.price].filter(Boolean).join(" · ")));
      }
      row.appendChild(card);
    });
    (msg.sources || []).forEach((s) => {
      const a = el("a", "kc-source", "Source: " + s.title);
      if (/^https?:\/\//.test(s.url)) a.href = s.url;
      a.target = "_blank";
      a.rel = "noopener";
      row.appendChild(a);
    });
    if (msg.buttons && msg.buttons.length) {
      const bar = el("div", "kc-buttons");
      msg.buttons.forEach((b) => {
        const btn = el("button", "kc-button", b.title);
        btn.type = "button";
        btn.addEventListener("click", () => send(b.payload));
        bar.appendChild(btn);
      });
      row.appendChild(bar);
    }
    log.appendChild(row);
    log.scrollTop = log.scrollHeight;
  }

  // While a person is in charge, their replies arrive without the shopper sending anything: poll.
  let polling = null;
  function watch(status) {
    if (status === "handed_off" && !polling) polling = setInterval(() => refresh().catch(() => {}), cfg.pollMs || 3000);
    if (status !== "handed_off" && polling) { clearInterval(polling); polling = null; }
  }

  async function refresh() {
    const history = await api("GET", "/api/v1/conversations/" + conv.id + "/messages");
    history.messages.forEach(render);
    watch(history.status);
  }

  async function ensureConversation() {
    const saved = localStorage.getItem(storeKey);
    if (saved) {
      conv = JSON.parse(saved);
      try {
        log.textContent = "";
        shown.clear();
        await refresh();
        return;
      } catch (e) {
        conv = null;
        localStorage.removeItem(storeKey);
      }
    }
    conv = await api("POST", "/api/v1/conversations", {shopper_token: cfg.shopperToken});
    remember();
  }

  // The request opening the conversation, shared: a message typed while it is still on its way waits
  // for it instead of failing; after a failure the next message tries again.
  let opening = null;
  function open() {
    if (!opening) opening = ensureConversation().catch((e) => { opening = null; throw e; });
    return opening;
  }

  function newId() {
    return (crypto.randomUUID ? crypto.randomUUID() : String(Date.now()) + Math.random().toString(16).slice(2));
  }

  async function send(text, clientId) {
    text = (text || "").trim();
    if (!text) return;
    clientId = clientId || newId();
    input.disabled = true;
    try {
      await open();
      const turn = await api("POST", "/api/v1/conversations/" + conv.id + "/messages", {text, client_message_id: clientId});
      render(turn.message);
      turn.replies.forEach(render);
      watch(turn.status);
    } catch (e) {
      const row = el("div", "kc-msg kc-error", "Not sent: " + e.message + " ");
      if (!e.status || e.status >= 500) {
        const retry = el("button", "kc-button", "Retry");
        retry.addEventListener("click", () => { row.remove(); send(text, clientId); });
        row.appendChild(retry);
      }
      log.appendChild(row);
    } finally {
      input.disabled = false;
      input.focus();
    }
  }

  // Open or closed: remembered for the tab, so a closed chat stays closed while the shopper browses.
  // Phones start closed: open, the chat fills the screen and would hide the shop.
  const openKey = "keepcart.widget.open";
  function setOpen(root, launcher, isOpen) {
    root.hidden = !isOpen;
    launcher.hidden = isOpen;
    try { sessionStorage.setItem(openKey, isOpen ? "1" : "0"); } catch (e) { /* storage blocked: still works */ }
    if (isOpen) input.focus();
  }

  function greeting() {
    const box = el("div", "kc-greeting");
    box.appendChild(el("p", null, cfg.greeting || ("Hi! I can track, cancel or return your orders, change a delivery address, " +
      "and answer questions about delivery, returns and payments.")));
    const person = el("button", "kc-button", "Talk to a person");
    person.type = "button";
    person.addEventListener("click", () => send("I want to talk to a person"));
    box.append(el("p", null, "A person from our team is reachable too: just ask, or "), person);
    return box;
  }

  function mount() {
    root = el("div", "kc-widget");
    root.setAttribute("role", "complementary");
    root.setAttribute("aria-label", cfg.title);
    const head = el("div", "kc-head");
    const close = el("button", "kc-close", "×");
    close.type = "button";
    close.setAttribute("aria-label", "Close chat");
    head.append(el("span", "kc-title", cfg.title), close);
    const launcher = el("button", "kc-launcher", cfg.title);
    launcher.type = "button";
    launcher.setAttribute("aria-label", "Open chat");
    close.addEventListener("click", () => setOpen(root, launcher, false));
    launcher.addEventListener("click", () => setOpen(root, launcher, true));
    log = el("div", "kc-log");
    log.setAttribute("aria-live", "polite");
    form = el("form", "kc-form");
    input = el("input", "kc-input");
    input.placeholder = "Type a message…";
    input.maxLength = 2000;
    input.setAttribute("aria-label", "Message");
    const button = el("button", "kc-send", "Send");
    form.append(input, button);
    form.addEventListener("submit", (e) => { e.preventDefault(); const t = input.value; input.value = ""; send(t); });
    root.append(head, greeting(), log, form);
    document.body.append(root, launcher);
    let saved = null;
    try { saved = sessionStorage.getItem(openKey); } catch (e) { /* storage blocked */ }
    const phone = window.matchMedia && window.matchMedia("(max-width: 480px)").matches;
    root.hidden = saved === null ? phone : saved === "0";
    launcher.hidden = !root.hidden;
    open().catch((e) => log.appendChild(el("div", "kc-msg kc-error", "Chat unavailable: " + e.message)));
  }

  window.Keepcart = {reset: () => { localStorage.removeItem(storeKey); }, send: (t) => send(t)};
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", mount); else mount();
})();
