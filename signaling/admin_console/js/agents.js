// Agents: who is on shift and in what state, their departments (skills), new
// accounts, password resets, disabling and re-enabling.

import { api } from "./api.js";
import { confirmAction } from "./dialog.js";
import { byId, errorText, formError, h } from "./html.js";
import { currentLang, t } from "./i18n.js";

const USERNAME = /^[A-Za-z0-9_.-]{2,64}$/;

function deptName(departments, id) {
  const d = departments.find((x) => x.id === id);
  if (!d) return id;
  return currentLang() === "en" && d.name_en ? d.name_en : d.name;
}

function skillChecks(departments, chosen, prefix) {
  return h("div", { class: "checks" }, ...departments.map((d) => h("label", {},
    h("input", { type: "checkbox", value: d.id, name: `${prefix}-skill`,
      checked: chosen.includes(d.id) }),
    deptName(departments, d.id))));
}

function checked(root) {
  return [...root.querySelectorAll("input[type=checkbox]:checked")].map((c) => c.value);
}

export function renderAgents(agents, departments, refresh) {
  const body = byId("agent-rows");
  if (!agents.length) {
    body.replaceChildren(h("tr", { class: "empty-row" }, h("td", { colspan: 4 }, t("agents.empty"))));
    return;
  }
  const order = (a) => (a.role === "admin" ? 1 : 0);
  const sorted = [...agents].sort((a, b) => order(a) - order(b) || a.username.localeCompare(b.username));
  body.replaceChildren(...sorted.map((a) => {
    const name = a.display_name || a.username;
    const state = a.role === "admin" ? h("span", { class: "badge" }, t("role.admin"))
      : a.disabled ? h("span", { class: "badge disabled" }, t("agents.disabled"))
        : h("span", { class: `badge ${a.state}`, "data-state": a.state }, t(`state.${a.state}`));
    return h("tr", { "data-agent": a.username },
      h("td", {}, h("strong", {}, name), h("span", { class: "sub" }, a.username)),
      h("td", {}, state),
      h("td", {}, a.role === "admin" ? t("common.none") : a.skills.length
        ? h("span", { class: "chips" }, ...a.skills.map((s) => h("span", { class: "chip" }, deptName(departments, s))))
        : h("span", { class: "muted" }, t("agents.no_skills"))),
      h("td", { class: "actions" }, ...(a.role === "admin" ? [] : actions(a, name, departments, refresh))));
  }));
}

function actions(agent, name, departments, refresh) {
  const after = (done) => done && refresh();
  const skills = h("button", {
    class: "btn-text", type: "button", "data-action": "skills",
    onclick: () => {
      const boxes = skillChecks(departments, agent.skills, "edit");
      confirmAction({
        title: t("agents.skills_title", { name }), ok: t("common.save"), danger: false,
        extra: boxes, action: () => api.setSkills(agent.id, checked(boxes)),
      }).then(after);
    },
  }, t("agents.edit_skills"));
  const password = h("button", {
    class: "btn-text", type: "button", "data-action": "password",
    onclick: () => {
      const input = h("input", { type: "password", id: "new-password", minlength: 8,
        autocomplete: "new-password", "aria-label": t("agents.new_password"),
        placeholder: t("agents.new_password") });
      confirmAction({
        title: t("agents.password_title", { name }), body: t("agents.password_body"),
        ok: t("common.save"), danger: false, extra: input,
        action: async () => {
          if (input.value.length < 8) throw new Error(t("agents.err.password"));
          await api.setPassword(agent.id, input.value);
        },
      }).then(after);
    },
  }, t("agents.reset_password"));
  const toggle = agent.disabled
    ? h("button", {
      class: "btn-text", type: "button", "data-action": "enable",
      onclick: () => api.enableAgent(agent.id).then(refresh, (err) => alertError(err)),
    }, t("agents.enable"))
    : h("button", {
      class: "btn-text danger", type: "button", "data-action": "disable",
      onclick: () => confirmAction({
        title: t("agents.disable_title", { name }), body: t("agents.disable_body"),
        ok: t("agents.disable"), action: () => api.disableAgent(agent.id),
      }).then(after),
    }, t("agents.disable"));
  return [skills, password, toggle];
}

let alertError = () => {};

export function initAgents(getDepartments, refresh, notify) {
  alertError = (err) => notify(errorText(err), "error");
  const form = byId("agent-add");
  byId("agent-add-open").addEventListener("click", () => {
    byId("agent-add-skills").replaceChildren(skillChecks(getDepartments(), [], "add"));
    formError(form, null);
    form.hidden = false;
    byId("agent-add-name").focus();
  });
  form.querySelector("[data-action=cancel]").addEventListener("click", () => { form.hidden = true; });
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const username = byId("agent-add-username").value.trim();
    const password = byId("agent-add-password").value;
    const displayName = byId("agent-add-name").value.trim();
    if (!USERNAME.test(username)) return formError(form, t("agents.err.username"));
    if (password.length < 8) return formError(form, t("agents.err.password"));
    try {
      await api.addAgent({ username, password, skills: checked(byId("agent-add-skills")),
        ...(displayName ? { display_name: displayName } : {}) });
      form.reset();
      form.hidden = true;
      refresh();
    } catch (err) {
      formError(form, err.code === "conflict" ? t("agents.err.exists") : errorText(err));
    }
    return undefined;
  });
}
