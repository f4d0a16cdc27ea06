// The supervisors' review of the public list (/publication): each resolved case with what the
// portal will show and from when, a hide/show toggle, and the public texts to rewrite (empty: the
// automatic version, redacted from the original).
"use strict";
(function () {
  let page = 1;
  const box = document.getElementById("publication-cases");

  function state(c) {
    if (c.hidden) return TD.el("strong", {class: "error", "data-state": "hidden"}, TD.t("publication.hidden"));
    if (c.public) return TD.el("strong", {class: "ok", "data-state": "public"}, TD.t("publication.public"));
    return TD.el("strong", {class: "muted", "data-state": "waiting"}, TD.t("publication.from", {when: TD.when(c.public_at)}));
  }

  // the console's stylesheet is shared (and the CSP refuses style attributes): the few looks
  // this page needs are set by script
  function wide(area) { Object.assign(area.style, {width: "100%", boxSizing: "border-box"}); return area; }
  function spaced(div) { Object.assign(div.style, {display: "flex", flexWrap: "wrap", gap: ".5rem", margin: ".5rem 0"}); return div; }

  function editor(c) {
    const form = TD.el("form", {class: "publication-edit", hidden: ""});
    const summary = wide(TD.el("textarea", {name: "summary", rows: 4, maxlength: 4000, id: `summary-${c.code}`}));
    summary.value = c.public_summary ?? c.shown_summary;
    form.append(TD.el("label", {for: summary.id}, TD.t("publication.public_summary")), summary,
      TD.el("p", {class: "muted"}, TD.t("publication.original"), " ", c.summary || "—"));
    const answers = c.answers.map((a) => {
      const area = wide(TD.el("textarea", {name: `answer-${a.id}`, rows: 4, maxlength: 4000, id: `answer-${a.id}`}));
      area.value = a.public ?? a.shown;
      form.append(TD.el("label", {for: area.id}, TD.t("publication.public_answer", {agency: a.agency_name || TD.label("agency", a.agency)})),
        area, TD.el("p", {class: "muted"}, TD.t("publication.original"), " ", a.original || "—"));
      return [a, area];
    });
    const save = async (reset) => {
      const body = {summary: reset || summary.value === c.shown_summary && c.public_summary === null ? null : summary.value,
                    answers: Object.fromEntries(answers.map(([a, area]) =>
                      [a.id, reset || area.value === a.shown && a.public === null ? null : area.value]))};
      await TD.run(async () => {
        await TD.api("PUT", `/api/publication/cases/${encodeURIComponent(c.code)}/texts`, body);
        TD.flash(TD.t(reset ? "publication.reset_done" : "publication.saved", {code: c.code}));
        await load();
      });
    };
    form.append(spaced(TD.el("div", {class: "actions"},
      TD.el("button", {type: "submit", class: "save"}, TD.t("publication.save")),
      TD.el("button", {type: "button", class: "reset", onclick: () => save(true)}, TD.t("publication.reset")))));
    form.addEventListener("submit", (ev) => { ev.preventDefault(); save(false); });
    return form;
  }

  function card(c) {
    const form = editor(c);
    const where = [TD.label("field", c.field), c.area ? TD.label("area", c.area) : null].filter(Boolean).join(" · ");
    const toggle = TD.el("button", {type: "button", class: "toggle", onclick: () => TD.run(async () => {
      await TD.api("POST", `/api/publication/cases/${encodeURIComponent(c.code)}/hidden`, {hidden: !c.hidden});
      TD.flash(TD.t(c.hidden ? "publication.shown_done" : "publication.hidden_done", {code: c.code}));
      await load();
    })}, TD.t(c.hidden ? "publication.show" : "publication.hide"));
    const edit = TD.el("button", {type: "button", class: "edit", onclick: () => { form.hidden = !form.hidden; }},
      TD.t("publication.edit"));
    return TD.el("section", {class: "card publication-case", "data-code": c.code},
      TD.el("h3", {}, TD.ticketLink(c.code), " · ", where, " ", state(c)),
      TD.el("p", {class: "muted"}, TD.t("publication.dates", {received: TD.when(c.received_at), resolved: TD.when(c.resolved_at)}),
        c.updated_by ? " · " + TD.t("publication.changed_by", {who: c.updated_by, when: TD.when(c.updated_at)}) : ""),
      TD.el("p", {class: "shown-summary"}, c.shown_summary || "—"),
      ...c.answers.map((a) => TD.el("blockquote", {class: "shown-answer", "data-answer": a.id},
        TD.el("strong", {}, a.agency_name || TD.label("agency", a.agency)), TD.el("br"), a.shown || "—")),
      spaced(TD.el("div", {class: "actions"}, toggle, edit)), form);
  }

  async function load() {
    const data = await TD.api("GET", `/api/publication/cases?page=${page}`);
    document.getElementById("publication-total").textContent =
      TD.t("publication.total", {n: data.total, hours: data.publish_after_hours});
    box.replaceChildren(...(data.cases.length ? data.cases.map(card) : [TD.el("p", {class: "card muted"}, TD.t("publication.none"))]));
    const pager = document.getElementById("publication-pager");
    pager.hidden = data.pages <= 1;
    document.getElementById("publication-page").textContent = TD.t("publication.page", {n: data.page, m: data.pages});
    document.getElementById("publication-newer").disabled = data.page <= 1;
    document.getElementById("publication-older").disabled = data.page >= data.pages;
    box.dataset.loaded = "1";
  }

  document.getElementById("publication-newer").onclick = () => { page = Math.max(1, page - 1); TD.run(load); };
  document.getElementById("publication-older").onclick = () => { page += 1; TD.run(load); };
  TD.run(load);
})();
