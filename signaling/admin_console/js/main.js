// Admin console entry: sign-in (admin accounts only), tabs, and a polling refresh of
// the fleet and today's figures while the overview or the booth list is shown.

import { api, setToken, setUnauthenticatedHandler, token } from "./api.js";
import { initAgents, renderAgents } from "./agents.js";
import { initAudit, loadAudit } from "./audit.js";
import { initBooths, renderBooths } from "./booths.js";
import { fillAgents, initCalls, loadCalls } from "./calls.js";
import { renderCatalog } from "./catalog.js";
import { byId, errorText } from "./html.js";
import { applyStatic, t, toggleLang } from "./i18n.js";
import { renderOverview } from "./overview.js";
import { initRatings, loadRatings } from "./ratings.js";
import { initReport, loadReport, redrawReport } from "./report.js";

const TABS = ["overview", "booths", "agents", "calls", "ratings", "report", "catalog", "audit"];
const REFRESH_MS = 5000;
const data = { booths: null, stats: null, agents: [], departments: [] };
let timer = null;
let generation = 0; // a sign-out or tab change makes older responses stale

function currentTab() {
  const tab = location.hash.replace("#", "");
  return TABS.includes(tab) ? tab : "overview";
}

function notify(message, kind = "warn") {
  const banner = byId("banner");
  banner.textContent = message;
  banner.className = kind === "error" ? "banner error" : "banner";
  banner.hidden = !message;
  if (message && kind === "ok") setTimeout(() => { if (banner.textContent === message) banner.hidden = true; }, 4000);
}

async function load(tab) {
  const gen = generation;
  if (tab === "overview" || tab === "booths" || (tab === "audit" && !data.booths)) {
    const [booths, stats] = await Promise.all([api.booths(), api.stats()]);
    if (gen !== generation) return;
    Object.assign(data, { booths, stats });
  }
  const needAgents = tab === "agents" || tab === "audit" || tab === "calls";
  if (needAgents || tab === "catalog" || !data.departments.length) {
    const [agents, catalog] = await Promise.all([
      needAgents ? api.agents() : Promise.resolve({ agents: data.agents }),
      api.departments(),
    ]);
    if (gen !== generation) return;
    data.agents = agents.agents;
    data.departments = catalog.departments;
  }
  if (tab === "audit") await loadAudit();
  if (tab === "report") await loadReport();
  if (tab === "ratings") await loadRatings();
  if (tab === "calls") {
    fillAgents(data.agents);
    await loadCalls();
  }
  draw(tab);
}

function draw(tab) {
  if (tab === "overview") renderOverview(data);
  else if (tab === "booths") renderBooths(data.booths, refresh);
  else if (tab === "agents") renderAgents(data.agents, data.departments, refresh);
  else if (tab === "catalog") renderCatalog(data.departments, refresh, notify);
  else if (tab === "report") redrawReport();
}

/** Load the current tab now; the periodic refresh only runs where data moves by itself. */
async function refresh() {
  clearTimeout(timer);
  const tab = currentTab();
  const state = byId("refresh-state");
  try {
    await load(tab);
    state.textContent = t("refresh.at", { time: new Date().toLocaleTimeString() });
    if (byId("banner").classList.contains("error")) notify("");
  } catch (err) {
    if (err.status === 401) return;
    state.textContent = t("refresh.failed", { s: REFRESH_MS / 1000 });
    notify(errorText(err), "error");
  }
  if (token() && (tab === "overview" || tab === "booths" || tab === "agents")) {
    timer = setTimeout(refresh, REFRESH_MS);
  }
}

function showTab() {
  const tab = currentTab();
  generation += 1;
  notify("");
  for (const name of TABS) {
    byId(`tab-${name}`).hidden = name !== tab;
    const link = document.querySelector(`[data-tab=${name}]`);
    if (name === tab) link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
  }
  refresh();
}

function showLogin(message = "") {
  clearTimeout(timer);
  generation += 1;
  byId("app-view").hidden = true;
  byId("login-view").hidden = false;
  const box = byId("login-error");
  box.textContent = message;
  box.hidden = !message;
  byId("login-username").focus();
}

function showApp(me) {
  byId("login-view").hidden = true;
  byId("app-view").hidden = false;
  byId("who-name").textContent = me.name;
  showTab();
}

async function signIn(event) {
  event.preventDefault();
  const username = byId("login-username").value.trim();
  const password = byId("login-password").value;
  const submit = byId("login-submit");
  if (!username || !password) return showLogin(t("login.error.empty"));
  submit.disabled = true;
  submit.textContent = t("login.busy");
  try {
    const session = await api.login(username, password);
    if (session.role !== "admin") {
      setToken(session.token);
      await api.logout().catch(() => {});
      setToken(null);
      return showLogin(t("login.error.role"));
    }
    setToken(session.token);
    byId("login-password").value = "";
    showApp(await api.me());
  } catch (err) {
    if (err.status === 401) showLogin(t("login.error.credentials"));
    else if (err.status === 429) showLogin(t("login.error.throttled", { s: err.retryAfterS ?? 60 }));
    else if (err.status === 0) showLogin(t("login.error.network"));
    else showLogin(t("login.error.server", { code: err.code }));
  } finally {
    submit.disabled = false;
    submit.textContent = t("login.submit");
  }
  return undefined;
}

async function signOut() {
  await api.logout().catch(() => {});
  setToken(null);
  showLogin();
}

function boot() {
  applyStatic();
  setUnauthenticatedHandler(() => {
    setToken(null);
    showLogin(t("login.error.expired"));
  });
  byId("login-form").addEventListener("submit", signIn);
  byId("logout").addEventListener("click", signOut);
  for (const button of document.querySelectorAll("[data-action=lang]")) {
    button.addEventListener("click", () => {
      toggleLang();
      applyStatic();
      if (!byId("app-view").hidden) draw(currentTab());
    });
  }
  window.addEventListener("hashchange", showTab);
  initBooths(refresh);
  initAgents(() => data.departments, refresh, notify);
  initCalls(notify);
  initReport(notify);
  initRatings(notify);
  initAudit(notify, (id) => {
    const agent = data.agents.find((a) => a.id === id);
    if (agent) return agent.display_name || agent.username;
    const booth = data.booths && data.booths.booths.find((b) => b.id === id);
    return booth ? booth.name : id;
  });
  if (!token()) return showLogin();
  api.me().then((me) => (me.role === "admin" ? showApp(me) : signOut()),
    (err) => showLogin(err.status === 401 ? t("login.error.expired") : errorText(err)));
  return undefined;
}

boot();
