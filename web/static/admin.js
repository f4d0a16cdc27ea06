// The administration page: users, agents and skills, pause reasons, the audit log (admins only).
"use strict";
const A = {users: [], agents: [], queues: [], reasons: [], me: "", needs: [], maxPenalty: 9, agencies: []};
const $ = (id) => document.getElementById(id);

// An API refusal in words people understand: admin.err.<code> when the catalog has it.
function refusal(e) {
  const body = e.body || {}, key = "admin.err." + (body.code || "");
  if (body.code && TD.catalog[key] !== undefined) {
    return TD.t(key, {...body, role: body.role ? TD.label("role", body.role) : ""});
  }
  return e.message;
}

// Runs a change; a refusal shows in the form's own error line (and the flash).
async function change(errorId, fn) {
  const line = $(errorId);
  if (line) line.hidden = true;
  try { await fn(); } catch (e) {
    const text = refusal(e);
    if (line) { line.textContent = text; line.hidden = false; }
    TD.flash(text, true);
  }
}

function button(text, onclick, cls) { return TD.el("button", {type: "button", class: cls || null, onclick}, text); }

function showTab(name) {
  document.querySelectorAll("[data-tab]").forEach((b) => b.setAttribute("aria-selected", String(b.dataset.tab === name)));
  document.querySelectorAll("[data-panel]").forEach((p) => { p.hidden = p.dataset.panel !== name; });
  if (name === "audit") loadAudit();
  history.replaceState(null, "", "#" + name);
}

// ---- users ----
// An agency account acts for one agency: its select shows only for that role.
function agencyBox(prefix) { $(prefix + "-agency-box").hidden = $(prefix + "-role").value !== "agency"; }
function agencyName(key) { const a = A.agencies.find((x) => x.key === key); return a ? a.name : key || "—"; }
$("ua-role").addEventListener("change", () => agencyBox("ua"));
$("ue-role").addEventListener("change", () => agencyBox("ue"));

async function loadUsers() {
  const data = await TD.api("GET", "/api/admin/users");
  Object.assign(A, {users: data.users, me: data.me, needs: data.needs_extension, agencies: data.agencies || []});
  const roles = data.roles.map((r) => [r, TD.label("role", r)]);
  TD.fillSelect($("ua-role"), roles);
  TD.fillSelect($("ue-role"), roles);
  const agencies = A.agencies.map((a) => [a.key, a.name]);
  TD.fillSelect($("ua-agency"), agencies);
  TD.fillSelect($("ue-agency"), agencies);
  agencyBox("ua"); agencyBox("ue");
  $("ua-hint").textContent = TD.t("admin.ext_hint", {n: data.min_password});
  TD.rows($("users").tBodies[0], A.users, (u) => [
    u.username + (u.username === A.me ? " " + TD.t("admin.you") : ""), u.name, TD.label("role", u.role),
    u.role === "agency" ? agencyName(u.agency) : u.extension || "—",
    TD.el("span", {class: u.disabled ? "state-off" : "state-on"}, TD.t(u.disabled ? "admin.account_disabled" : "admin.account_enabled")),
    TD.el("span", {class: "actions"},
      button(TD.t("admin.edit"), () => editUser(u)),
      button(TD.t("admin.reset_password"), () => passwordFor(u)),
      u.username === A.me ? "" : u.disabled ? button(TD.t("admin.enable"), () => setDisabled(u, false))
        : button(TD.t("admin.disable"), () => setDisabled(u, true), "danger")),
  ]);
  document.querySelectorAll("#users tbody tr").forEach((tr, i) => { if (A.users[i]) tr.dataset.user = A.users[i].username; });
}

function editUser(u) {
  $("user-password").hidden = true;
  $("ue-username").textContent = u.username;
  $("ue-name").value = u.name; $("ue-role").value = u.role; $("ue-extension").value = u.extension || "";
  if (u.agency) $("ue-agency").value = u.agency;
  agencyBox("ue");
  $("ue-error").hidden = true;
  $("user-edit").dataset.username = u.username; $("user-edit").hidden = false; $("ue-name").focus();
}

function passwordFor(u) {
  $("user-edit").hidden = true;
  $("up-username").textContent = u.username; $("up-password").value = ""; $("up-error").hidden = true;
  $("user-password").dataset.username = u.username; $("user-password").hidden = false; $("up-password").focus();
}

async function setDisabled(u, disabled) {
  if (disabled && !confirm(TD.t("admin.confirm_disable", {username: u.username}))) return;
  await change(null, async () => {
    await TD.api("PATCH", "/api/admin/users/" + encodeURIComponent(u.username), {disabled});
    TD.flash(TD.t(disabled ? "admin.user_disabled" : "admin.user_enabled", {username: u.username}));
    await loadUsers();
  });
}

$("user-add").onsubmit = (ev) => { ev.preventDefault(); change("ua-error", async () => {
  const u = await TD.api("POST", "/api/admin/users", {username: $("ua-username").value.trim(), name: $("ua-name").value,
    role: $("ua-role").value, extension: $("ua-extension").value.trim(), password: $("ua-password").value,
    ...($("ua-role").value === "agency" ? {agency: $("ua-agency").value} : {})});
  $("user-add").reset();
  TD.flash(TD.t("admin.user_added", {username: u.username}));
  await loadUsers();
}); };

$("user-edit").onsubmit = (ev) => { ev.preventDefault(); change("ue-error", async () => {
  const username = $("user-edit").dataset.username;
  await TD.api("PATCH", "/api/admin/users/" + encodeURIComponent(username),
    {name: $("ue-name").value, role: $("ue-role").value, extension: $("ue-extension").value.trim(),
      ...($("ue-role").value === "agency" ? {agency: $("ue-agency").value} : {})});
  $("user-edit").hidden = true;
  TD.flash(TD.t("admin.user_saved", {username}));
  await loadUsers();
}); };

$("user-password").onsubmit = (ev) => { ev.preventDefault(); change("up-error", async () => {
  const username = $("user-password").dataset.username;
  await TD.api("POST", "/api/admin/users/" + encodeURIComponent(username) + "/password", {password: $("up-password").value});
  $("user-password").hidden = true;
  TD.flash(TD.t("admin.password_set", {username}));
}); };

// ---- agents ----
function skillsText(skills) {
  const names = Object.entries(skills).map(([q, p]) => TD.t("admin.skill", {queue: TD.label("queue", q), penalty: p}));
  return names.length ? names.join(", ") : TD.t("admin.no_skills");
}

// One line per site queue: a box (answers it) and its penalty 0-9.
function skillsForm(fieldset, skills) {
  const legend = fieldset.querySelector("legend");
  fieldset.replaceChildren(legend, ...A.queues.map((q) => {
    const on = Object.hasOwn(skills, q);
    const penalty = TD.el("select", {"data-queue": q, "aria-label": TD.t("admin.penalty") + " " + TD.label("queue", q)},
      ...Array.from({length: A.maxPenalty + 1}, (_, n) => TD.el("option", {value: String(n)}, String(n))));
    penalty.value = String(on ? skills[q] : 0);
    const box = TD.el("input", {type: "checkbox", "data-queue": q});
    box.checked = on;
    return TD.el("div", {class: "skill"}, TD.el("label", {class: "check"}, box, TD.label("queue", q)),
      TD.el("label", {class: "check"}, TD.t("admin.penalty"), penalty));
  }));
}

function skillsOf(fieldset) {
  const out = {};
  fieldset.querySelectorAll("input[type=checkbox]").forEach((box) => {
    if (box.checked) out[box.dataset.queue] = Number(fieldset.querySelector(`select[data-queue="${box.dataset.queue}"]`).value);
  });
  return out;
}

async function loadAgents() {
  const data = await TD.api("GET", "/api/admin/agents");
  Object.assign(A, {agents: data.agents, queues: data.queues, maxPenalty: data.max_penalty});
  TD.rows($("agents").tBodies[0], A.agents, (a) => [
    a.extension, a.name, skillsText(a.skills), a.seat ? a.seat.replace(/^PJSIP\//, "") : "—",
    TD.label("state", a.state) + (a.reason ? " · " + TD.label("reason", a.reason) : ""),
    button(TD.t("admin.edit"), () => editAgent(a)),
  ]);
  if (!$("aa-skills").querySelector("input")) skillsForm($("aa-skills"), Object.fromEntries(A.queues.map((q) => [q, 0])));
}

function editAgent(a) {
  $("ae-extension").textContent = a.extension + " · " + a.name;
  $("ae-name").value = a.name; $("ae-error").hidden = true;
  skillsForm($("ae-skills"), a.skills);
  $("ae-logged-in").hidden = !a.seat;
  $("agent-edit").dataset.extension = a.extension; $("agent-edit").hidden = false; $("ae-name").focus();
}

$("agent-add").onsubmit = (ev) => { ev.preventDefault(); change("aa-error", async () => {
  const extension = $("aa-extension").value.trim();
  await TD.api("POST", "/api/admin/agents", {extension, name: $("aa-name").value, pin: $("aa-pin").value.trim(),
    skills: skillsOf($("aa-skills"))});
  $("agent-add").reset();
  skillsForm($("aa-skills"), Object.fromEntries(A.queues.map((q) => [q, 0])));
  TD.flash(TD.t("admin.agent_added", {extension}));
  await loadAgents();
}); };

$("agent-edit").onsubmit = (ev) => { ev.preventDefault(); change("ae-error", async () => {
  const extension = $("agent-edit").dataset.extension;
  const done = await TD.api("PATCH", "/api/admin/agents/" + encodeURIComponent(extension),
    {name: $("ae-name").value, skills: skillsOf($("ae-skills"))});
  $("agent-edit").hidden = true;
  TD.flash(TD.t(done.at_next_login ? "admin.agent_saved_next_login" : "admin.agent_saved", {extension}));
  await loadAgents();
}); };

// ---- pause reasons ----
async function loadReasons() {
  A.reasons = (await TD.api("GET", "/api/admin/pause-reasons")).reasons;
  TD.rows($("reasons").tBodies[0], A.reasons, (r) => [
    TD.t("admin.reason_code", {digit: r.digit}), r.vi, r.en, TD.t(r.active ? "common.yes" : "common.no"),
    TD.el("span", {class: "actions"}, button(TD.t("admin.rename"), () => editReason(r)),
      r.active ? button(TD.t("admin.reason_off"), () => setActive(r, false), "danger")
        : button(TD.t("admin.reason_on"), () => setActive(r, true))),
  ]);
  const taken = new Set(A.reasons.map((r) => r.digit));
  const free = "123456789".split("").filter((d) => !taken.has(d));
  TD.fillSelect($("ra-digit"), free.map((d) => [d, TD.t("admin.reason_code", {digit: d})]));
  $("ra-save").disabled = !free.length;
  $("ra-error").textContent = free.length ? "" : TD.t("admin.no_free_digit");
  $("ra-error").hidden = !!free.length;
}

function editReason(r) {
  $("re-digit").textContent = TD.t("admin.reason_code", {digit: r.digit});
  $("re-vi").value = r.vi; $("re-en").value = r.en; $("re-error").hidden = true;
  $("reason-edit").dataset.digit = r.digit; $("reason-edit").hidden = false; $("re-vi").focus();
}

async function setActive(r, active) {
  if (!active && !confirm(TD.t("admin.confirm_reason_off", {name: TD.lang === "en" ? r.en : r.vi}))) return;
  await change(null, async () => {
    await TD.api("PATCH", "/api/admin/pause-reasons/" + r.digit, {active});
    TD.flash(TD.t("admin.reason_saved", {digit: r.digit}));
    await loadReasons();
  });
}

$("reason-add").onsubmit = (ev) => { ev.preventDefault(); change("ra-error", async () => {
  const r = await TD.api("POST", "/api/admin/pause-reasons", {digit: $("ra-digit").value, vi: $("ra-vi").value, en: $("ra-en").value});
  $("reason-add").reset();
  TD.flash(TD.t("admin.reason_added", {digit: r.digit}));
  await loadReasons();
}); };

$("reason-edit").onsubmit = (ev) => { ev.preventDefault(); change("re-error", async () => {
  const digit = $("reason-edit").dataset.digit;
  await TD.api("PATCH", "/api/admin/pause-reasons/" + digit, {vi: $("re-vi").value, en: $("re-en").value});
  $("reason-edit").hidden = true;
  TD.flash(TD.t("admin.reason_saved", {digit}));
  await loadReasons();
}); };

// ---- the audit log ----
function shown(key, value) {
  if (value === null || value === undefined || value === "") return "—";
  if (typeof value === "boolean") return TD.t(value ? "common.yes" : "common.no");
  if (key === "role") return TD.label("role", value);
  if (key === "skills") return skillsText(value);
  if (key === "added" || key === "key") return TD.label("reason", value);
  return String(value);
}

function details(detail) {
  return Object.entries(detail || {}).map(([k, v]) => {
    const label = TD.catalog["admin.field." + k] !== undefined ? TD.t("admin.field." + k) : k;
    const text = Array.isArray(v) && v.length === 2 ? TD.t("admin.arrow", {from: shown(k, v[0]), to: shown(k, v[1])}) : shown(k, v);
    return label + ": " + text;
  }).join("; ") || "—";
}

async function loadAudit() {
  const rows = (await TD.api("GET", "/api/admin/audit?limit=100")).audit;
  TD.rows($("audit").tBodies[0], rows, (r) => [TD.when(r.at), r.actor, TD.label("admin.action", r.action),
    r.action === "pause_reason" ? TD.t("admin.reason_code", {digit: r.target}) : r.target || "—", details(r.detail)]);
}

document.querySelectorAll(".cancel").forEach((b) => { b.onclick = () => { b.closest("form").hidden = true; }; });
document.querySelectorAll("[data-tab]").forEach((b) => { b.onclick = () => showTab(b.dataset.tab); });
TD.run(async () => {
  const first = (location.hash || "#users").slice(1);
  showTab(["users", "agents", "reasons", "audit"].includes(first) ? first : "users");
  await Promise.all([loadUsers(), loadAgents(), loadReasons()]);
});
