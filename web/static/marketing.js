/* Keepcart retention offers console: the rules with their budgets, switching them on and off,
 * previewing who they would reach, creating new ones, and what they achieved against the hold-out.
 * Uses the offers API with the staff session cookie (console.js); editing needs the marketer role.
 */
(function () {
  "use strict";
  const {$, el, api, signIn} = window.KeepcartConsole;
  const TEMPLATE = {
    name: "Loyal complainers: 5 euro off", kind: "fixed", value: "5", min_basket: "30",
    triggers: ["complaint"], eligibility: {risk_bands: ["medium", "high"], min_orders: 3},
    budget_count: 200, holdout_share: 0.1, active: false,
  };
  const pct = (x) => (x === null || x === undefined) ? "–" : (100 * x).toFixed(1) + " %";
  const money = (x) => (x === null || x === undefined) ? "–" : Number(x).toFixed(2);

  function offerText(r) {
    if (r.kind === "percent") return r.value + " % off" + (Number(r.min_basket) ? " over " + money(r.min_basket) : "");
    if (r.kind === "fixed") return money(r.value) + " off" + (Number(r.min_basket) ? " over " + money(r.min_basket) : "");
    if (r.kind === "free_shipping") return "free shipping";
    return "recommendations";
  }

  function targetingText(r) {
    const t = r.targeting || {};
    if (t.by === "uplift_top") return "top " + t.top_percent + " % by expected uplift";
    if (t.by === "uplift_value") return "uplift value above coupon cost";
    return "by risk";
  }

  function targetingReport(rule, r) {
    const t = r.targeting || {};
    const nodes = [];
    if ((rule.targeting || {}).by && rule.targeting.by !== "risk") {
      nodes.push(el("p", null, "Targeting: " + targetingText(rule) + " — " + (t.uplift || 0) + " shoppers chosen by the uplift model, " +
        (t.risk_fallback || 0) + " by risk while the model was not ready (too few offer and hold-out outcomes)"));
      const u = t.uplift_targeted_retention;
      if (u && u.treatment && u.holdout && u.treatment.n && u.holdout.n) {
        nodes.push(el("p", null, "Uplift-targeted shoppers who came back: treatment " + pct(u.treatment.rate) + " of " + u.treatment.n +
          ", hold-out " + pct(u.holdout.rate) + " of " + u.holdout.n + " (difference " + pct(u.difference) + ")"));
      }
    }
    return nodes;
  }

  function show(detail) {
    const panel = $("detail");
    panel.textContent = "";
    panel.hidden = false;
    detail.forEach((node) => panel.appendChild(node));
  }

  function errorText(e) {
    return "Error " + (e.status || "") + ": " + e.message;
  }

  async function report(rule) {
    try {
      const r = await api("GET", "/api/v1/offers/" + rule.id + "/report");
      const ret = r.retention || {};
      const t = ret.treatment || {}, h = ret.holdout || {};
      const nodes = [el("h2", null, "Report: " + rule.name)];
      nodes.push(el("p", null, "Eligible " + r.eligible + " · treatment " + r.treatment + " · hold-out " + r.holdout +
        " · blocked by caps or budget " + r.blocked + " · still too recent to count " + r.pending));
      targetingReport(rule, r).forEach((n) => nodes.push(n));
      nodes.push(el("p", null, "Coupons issued " + r.issued + ", redeemed " + r.redeemed + " (" + pct(r.redemption_rate) + "), cost " + money(r.cost)));
      if (t.n && h.n) {
        nodes.push(el("p", null, "Came back and bought: treatment " + pct(t.rate) + " of " + t.n + ", hold-out " + pct(h.rate) + " of " + h.n));
        const ci = ret.ci95 || [];
        const clear = ci.length === 2 && (ci[0] > 0 || ci[1] < 0);
        nodes.push(el("p", clear ? "lift-yes" : "lift-no", "Difference " + pct(ret.difference) + " (95 % interval " + pct(ci[0]) + " to " + pct(ci[1]) + "): " +
          (clear ? (ret.difference > 0 ? "the offer measurably brings shoppers back." : "the offer measurably does worse than no offer.")
                 : "no measurable difference yet — the interval includes zero.")));
      } else {
        nodes.push(el("p", "hint", "No comparison yet: it needs shoppers in both the treatment and the hold-out group."));
      }
      show(nodes);
    } catch (e) { show([el("p", "error", errorText(e))]); }
  }

  async function preview(body, title) {
    try {
      const p = await api("POST", "/api/v1/offers/preview", body);
      const nodes = [el("h2", null, "Preview: " + title)];
      p.rules.forEach((r) => nodes.push(el("p", null, r.name + ": " + r.eligible + " of " + p.scored_customers + " scored shoppers eligible, " +
        r.worth_offering + " worth an offer (about " + Math.round(r.treatment) + " treated, " + Math.round(r.holdout) + " held out); expected " +
        r.expected_redemptions.toFixed(1) + " redemptions costing " + money(r.expected_cost) + (r.budget_limits ? " (limited by the budget)" : ""))));
      return nodes;
    } catch (e) { return [el("p", "error", errorText(e))]; }
  }

  async function toggle(rule) {
    const {id, version, spent_count, spent_money, created_at, updated_at, ...definition} = rule;
    definition.active = !rule.active;
    try { await api("PUT", "/api/v1/offers/" + id, definition); } catch (e) { show([el("p", "error", errorText(e))]); }
    await loadRules();
  }

  const EDITORS = ["marketer", "admin"];  // the API refuses the others; their console only reads
  let canEdit = false;

  async function loadRules(me) {
    if (me) {
      canEdit = EDITORS.includes(me.role);
      $("new-rule").hidden = !canEdit;
    }
    const rules = await api("GET", "/api/v1/offers");
    const body = $("rules");
    body.textContent = "";
    rules.forEach((r) => {
      const tr = el("tr");
      const budget = r.budget_count ? r.spent_count + " / " + r.budget_count : String(r.spent_count);
      const spent = r.budget_money ? money(r.spent_money) + " / " + money(r.budget_money) : money(r.spent_money);
      [r.name, offerText(r) + " · " + targetingText(r), r.triggers.join(", "), pct(r.holdout_share), budget, spent, r.active ? "yes" : "no"]
        .forEach((v) => tr.appendChild(el("td", null, v)));
      const actions = el("td");
      const buttons = [["Report", () => report(r)]];
      if (canEdit) {
        buttons.push(["Preview", async () => show(await preview({rule_ids: [r.id]}, r.name))],
                     [r.active ? "Switch off" : "Switch on", () => toggle(r)]);
      }
      buttons.forEach(([label, fn]) => { const b = el("button", null, label); b.type = "button"; b.addEventListener("click", fn); actions.appendChild(b); });
      tr.appendChild(actions);
      body.appendChild(tr);
    });
  }

  function draft() {
    try { return JSON.parse($("rule-json").value); } catch (e) { $("new-result").textContent = "Not valid JSON: " + e.message; return null; }
  }

  $("rule-json").value = JSON.stringify(TEMPLATE, null, 2);
  $("preview-new").addEventListener("click", async () => {
    const rule = draft();
    if (rule) $("new-result").textContent = (await preview({rule}, rule.name || "draft")).map((n) => n.textContent).join("\n");
  });
  $("create-rule").addEventListener("click", async () => {
    const rule = draft();
    if (!rule) return;
    try {
      const created = await api("POST", "/api/v1/offers", rule);
      $("new-result").textContent = "Created rule " + created.id + " (" + (created.active ? "on" : "off") + ").";
      await loadRules();
    } catch (e) { $("new-result").textContent = errorText(e); }
  });
  signIn(loadRules);
})();
