/* Keepcart support console: conversations waiting for a person, what the bot understood of each
 * message, take-over, hand-back and label corrections. Uses only /api/v1 with the staff session
 * cookie (console.js). Everything shoppers typed is shown with textContent: never parsed as HTML.
 */
(function () {
  "use strict";
  const {$, el, api, signIn} = window.KeepcartConsole;
  let current = null;  // the conversation on screen
  let listTimer = null;

  async function loadList() {
    const waiting = $("waiting-only").checked;
    const items = await api("GET", "/api/v1/staff/conversations" + (waiting ? "?status=handed_off" : ""));
    const list = $("conversations");
    list.textContent = "";
    if (!items.length) list.appendChild(el("li", "hint", waiting ? "Nobody is waiting." : "No conversations yet."));
    items.forEach((c) => {
      const li = el("li", c.id === current ? "active" : "", c.customer_id ? "Customer " + c.customer_id : "Anonymous shopper");
      li.appendChild(el("small", null, (c.status === "handed_off" ? "waiting for a person · " : "") + new Date(c.last_event_at).toLocaleString()));
      li.tabIndex = 0;
      li.addEventListener("click", () => openConversation(c.id));
      list.appendChild(li);
    });
    if (current) await openConversation(current, true);
  }

  function labelPicker(conversationId, event, parsed, intents) {
    const box = el("div", "nlu");
    if (parsed) {
      const entities = (parsed.entities || []).map((x) => x.entity + "=" + (x.normalised || x.value)).join(", ");
      box.appendChild(el("span", null, "Understood: " + parsed.intent + " (" + Math.round((parsed.confidence || 0) * 100) + "%)" +
        (entities ? " · " + entities : "") + " "));
    }
    const select = el("select");
    select.setAttribute("aria-label", "Correct intent");
    intents.forEach((i) => { const o = el("option", null, i); o.value = i; select.appendChild(o); });
    select.value = event.corrected || (parsed ? parsed.intent : intents[0]);
    const save = el("button", null, event.corrected ? "Corrected ✓" : "Correct label");
    save.type = "button";
    save.addEventListener("click", async () => {
      try {
        await api("PUT", "/api/v1/staff/conversations/" + conversationId + "/messages/" + event.seq + "/label", {intent: select.value});
        save.textContent = "Corrected ✓";
      } catch (e) { save.textContent = "Failed: " + e.message; }
    });
    box.append(select, save);
    return box;
  }

  async function riskPanel(customerId) {
    const box = el("div", "risk");
    try {
      const r = await api("GET", "/api/v1/customers/" + encodeURIComponent(customerId) + "/risk");
      box.classList.add("risk-" + r.band);
      box.appendChild(el("strong", null, "Churn risk " + r.band + " (" + Math.round(r.probability * 100) + "%)" + (r.stale ? " — score is stale" : "")));
      const ul = el("ul");
      (r.reasons || []).forEach((x) => ul.appendChild(el("li", null, x.text)));
      box.appendChild(ul);
    } catch (e) {
      box.appendChild(el("span", "hint", e.status === 404 ? "No churn score for this customer yet." : "Risk unavailable: " + e.message));
    }
    return box;
  }

  async function openConversation(id, keepDraft) {
    const data = await api("GET", "/api/v1/staff/conversations/" + encodeURIComponent(id));
    const draft = keepDraft && current === id && $("reply-text") ? $("reply-text").value : "";
    current = id;
    const pane = $("transcript");
    pane.textContent = "";
    const c = data.conversation;
    pane.appendChild(el("h2", null, (c.customer_id ? "Customer " + c.customer_id : "Anonymous shopper") +
      (c.status === "handed_off" ? " — with a person" : " — with the bot")));
    if (c.customer_id) pane.appendChild(await riskPanel(c.customer_id));
    const corrected = {};
    data.events.filter((e) => e.type === "label_corrected").forEach((e) => { corrected[e.payload.seq] = e.payload.intent; });
    data.events.forEach((e, i) => {
      const p = e.payload;
      if (e.type === "user_uttered") {
        const row = el("div", "ev ev-shopper", p.text);
        const next = data.events[i + 1];
        const parsed = next && next.type === "intent_parsed" ? next.payload : null;
        if (parsed && typeof parsed.language === "string" && parsed.language) {
          // The detected language (bot/language.py), e.g. "DE": a shopper the bot may not understand.
          const badge = el("span", "lang", parsed.language.toUpperCase());
          badge.title = "Language of this message: " + parsed.language;
          row.appendChild(badge);
        }
        if (parsed && typeof parsed.repaired === "string") {
          row.appendChild(el("div", "ev-note", "Read as (typos repaired): " + parsed.repaired));
        }
        row.appendChild(labelPicker(id, {seq: e.seq, corrected: corrected[e.seq]}, parsed, data.intents));
        pane.appendChild(row);
      } else if (e.type === "bot_uttered") {
        const row = el("div", "ev " + (p.role === "agent" ? "ev-agent" : "ev-bot"), (p.role === "agent" ? p.agent + ": " : "Bot: ") + p.text);
        (p.sources || []).forEach((s) => row.appendChild(el("div", "ev-note", "Source: " + s.title + " " + s.url)));
        // What the shopper saw below the text: products (title, category, price) and coupon codes.
        (p.cards || []).filter((c) => c.type !== "offer").forEach((c) =>
          row.appendChild(el("div", "ev-note", "Product: " + [c.title, c.category, c.price].filter(Boolean).join(" · "))));
        pane.appendChild(row);
      } else if (e.type === "handed_off") {
        pane.appendChild(el("div", "ev ev-note", p.active ? "Handed to a person" + (p.by ? " (" + p.by + ")" : "") : "Handed back to the bot by " + p.by));
      } else if (e.type === "offer_presented") {
        pane.appendChild(el("div", "ev ev-note", "Offer shown: " + p.kind + (p.code ? " " + p.code : "") + " (rule " + p.rule_id + ")"));
      } else if (e.type === "knowledge_missed") {
        pane.appendChild(el("div", "ev ev-note", "The help centre had no answer"));
      }
    });
    const form = el("form", "reply");
    const text = el("textarea");
    text.id = "reply-text"; text.rows = 2; text.placeholder = "Reply as a person (takes the conversation over)"; text.value = draft;
    const send = el("button", null, "Send"); send.type = "submit";
    form.append(text, send);
    form.addEventListener("submit", async (ev) => {
      ev.preventDefault();
      if (!text.value.trim()) return;
      await api("POST", "/api/v1/staff/conversations/" + id + "/messages", {text: text.value});
      text.value = "";
      await openConversation(id);
    });
    pane.appendChild(form);
    if (c.status === "handed_off") {
      const back = el("button", null, "Hand back to the bot"); back.type = "button";
      back.addEventListener("click", async () => { await api("POST", "/api/v1/staff/conversations/" + id + "/release"); await openConversation(id); });
      pane.appendChild(back);
    }
  }

  $("waiting-only").addEventListener("change", () => loadList().catch(() => {}));
  signIn(async () => {
    await loadList();
    listTimer = setInterval(() => loadList().catch(() => {}), 5000);
  }, () => { current = null; if (listTimer) { clearInterval(listTimer); listTimer = null; } });
})();
