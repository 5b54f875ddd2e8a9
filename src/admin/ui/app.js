// signsim dashboard: plain JavaScript over the control API (/__admin), nothing fetched from
// elsewhere. Every panel is redrawn from the API; the journal is polled with `since` and the
// state panels are redrawn whenever something new was journaled (README: "Dashboard").
"use strict";

const $ = (sel, root = document) => root.querySelector(sel);

function el(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === "class") e.className = v;
    else if (k.startsWith("on")) e.addEventListener(k.slice(2), v);
    else if (v !== undefined && v !== null && v !== false) e.setAttribute(k, v === true ? "" : v);
  }
  for (const c of children.flat()) {
    if (c === null || c === undefined) continue;
    e.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return e;
}

async function api(path, options = {}) {
  const init = { method: options.method || "GET", headers: {} };
  if (options.body !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = typeof options.body === "string" ? options.body : JSON.stringify(options.body);
  }
  const resp = await fetch("/__admin/" + path, init);
  const type = resp.headers.get("content-type") || "";
  const value = type.includes("json") ? await resp.json() : await resp.blob();
  if (!resp.ok) {
    const why = value && value.error ? value.error : resp.status + " " + resp.statusText;
    throw new Error(why);
  }
  return value;
}

function say(text, kind) {
  const m = $("#message");
  m.textContent = text;
  m.className = kind || "";
}

/// Runs a control-API action from a button, says how it went, and redraws.
async function act(what, fn) {
  try {
    await fn();
    say(what + ": done", "done");
  } catch (e) {
    say(what + ": " + e.message, "error");
  }
  await refresh();
}

function download(name, blob) {
  const a = el("a", { href: URL.createObjectURL(blob), download: name });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(a.href), 1000);
}

function fill(table, rows, empty) {
  const body = $("tbody", table);
  body.replaceChildren(...rows);
  if (!rows.length) {
    const cols = $("thead tr", table).children.length;
    body.append(el("tr", {}, el("td", { colspan: cols, class: "muted" }, empty)));
  }
}

// ── panels ──────────────────────────────────────────────────────────────────────────────

async function drawHeader() {
  const h = await api("health");
  $("#scenario").textContent = h.scenario;
  $("#version").textContent = "v" + h.version + " · " + h.store;
  $("#clock").textContent = h.clock;
  $("#clock-frozen").textContent = h.clock_frozen ? "(frozen)" : "(running)";
}

async function drawPki() {
  let cas, state;
  try {
    [cas, state] = await Promise.all([api("pki/cas"), api("pki/state")]);
  } catch (e) {
    $("#pki-section").hidden = true; // the scenario has no [pki]
    return;
  }
  $("#pki-section").hidden = false;
  fill($("#cas"), cas.cas.map((ca) => el("tr", { id: "ca-" + ca.name },
    el("td", {}, ca.name),
    el("td", {}, ca.title),
    el("td", { class: ca.available ? "ok" : "bad" }, ca.available ? "yes" : "no"),
    el("td", {},
      el("button", { class: "toggle-ca", onclick: () => act("CA " + ca.name + (ca.available ? " off" : " on"),
        () => api("pki/cas/" + encodeURIComponent(ca.name) + "/availability", { method: "POST", body: { available: !ca.available } })) },
        ca.available ? "switch off" : "switch on"), " ",
      el("button", { onclick: async () => download(ca.name + ".pem", await api("pki/cas/" + encodeURIComponent(ca.name) + "/certificate")) }, "certificate"), " ",
      el("button", { class: "crl", onclick: async () => download(ca.name + ".crl", await api("pki/cas/" + encodeURIComponent(ca.name) + "/crl")) }, "CRL")),
  )), "no CAs");

  fill($("#customers"), state.customers.map((c) => el("tr", {},
    el("td", {}, c.customer),
    el("td", { class: "num credit" }, c.credit.toLocaleString("en")),
    el("td", {}, el("button", { onclick: () => {
      const add = prompt("Add to " + c.customer + "'s credit (negative to take away):", "1000000");
      if (add !== null && add.trim() !== "") act("credit", () => api("pki/customers/" + encodeURIComponent(c.customer) + "/credit", { method: "POST", body: { add: Number(add) } }));
    } }, "add credit")),
  )), "no customer has credit on record yet");

  const tracking = state.tracking.slice().sort((a, b) => Number(b.code) - Number(a.code));
  fill($("#tracking"), tracking.map((t) => {
    const awaiting = t.status === "AwaitingApproval";
    return el("tr", { id: "tracking-" + t.code },
      el("td", {}, t.code),
      el("td", {}, t.customer),
      el("td", {}, t.person.national_code, el("br"), el("span", { class: "muted" }, [t.person.en_name, t.person.en_last_name].join(" "))),
      el("td", {}, t.ca + " / " + t.profile),
      el("td", { class: "status status-" + t.status }, t.status),
      el("td", {}, el("details", {}, el("summary", {}, t.history.length + (t.history.length === 1 ? " event" : " events")),
        el("ul", {}, t.history.map((h) => el("li", {}, el("span", { class: "muted" }, h.at + " "), h.event))))),
      el("td", {}, awaiting ? [
        el("button", { class: "approve", onclick: () => act("approve " + t.code, () => api("pki/tracking/" + t.code + "/approve", { method: "POST", body: { approver: "dashboard" } })) }, "approve"), " ",
        el("button", { class: "reject danger", onclick: () => act("reject " + t.code, () => api("pki/tracking/" + t.code + "/reject", { method: "POST", body: { reason: "rejected on the dashboard" } })) }, "reject"),
      ] : null),
    );
  }), "no tracking codes yet: RegisterInfo makes them");

  fill($("#certificates"), state.certificates.map((c) => {
    const serial = c.serial.toString(16);
    return el("tr", { id: "cert-" + c.ca + "-" + serial },
      el("td", {}, c.ca),
      el("td", { class: "num" }, serial),
      el("td", {}, c.tracking_code),
      el("td", {}, c.national_code),
      el("td", { class: "status status-" + c.status }, c.status),
      el("td", {}, el("button", { class: "pem", onclick: async () => {
        const rec = await api("pki/certificates/" + encodeURIComponent(c.ca) + "/" + serial);
        download(c.ca + "-" + serial + ".pem", new Blob([rec.pem], { type: "application/x-pem-file" }));
      } }, "PEM")),
    );
  }), "no certificates yet");
}

let signers = [];

async function drawPodpishi() {
  let state, outbox;
  try {
    [state, outbox] = await Promise.all([api("podpishi/state"), api("podpishi/outbox")]);
    if (!signers.length) signers = (await api("podpishi/signers")).signers;
  } catch (e) {
    $("#podpishi-section").hidden = true; // the scenario has no [podpishi]
    return;
  }
  $("#podpishi-section").hidden = false;
  const docs = state.documents.map((d) => d.value).sort((a, b) => b.num - a.num);
  fill($("#documents"), docs.map((d) => {
    const open = d.permissions.filter((p) => !p.signed && !p.sign_deleted);
    const pick = el("select", { class: "signer", "aria-label": "test signer" },
      signers.map((s) => el("option", { value: s.name }, s.name + " · " + s.bin + (s.firm ? " " + s.firm : ""))));
    // The receiver's own signer first: the one whose BIN (or IIN) the receiver's permission needs.
    const own = signers.find((s) => s.bin === d.receiver_bin);
    if (own) pick.value = own.name;
    return el("tr", { id: "doc-" + d.num },
      el("td", {}, d.num),
      el("td", {}, d.name, el("br"), el("span", { class: "muted" }, d.files.map((f) => f.name + " (" + f.size + " B)").join(", "))),
      el("td", {}, d.owner_bin + " → " + d.receiver_bin),
      el("td", {}, el("ul", { class: "permissions" }, d.permissions.map((p) => el("li", { class: "permission " + (p.signed ? "signed" : p.sign_deleted ? "refused" : "pending"), "data-i": p.i },
        "i=" + p.i + " " + (p.signed ? "signed by " + p.signed_fio + " (" + p.signed_bin + ")" : p.sign_deleted ? "refused/deleted" : (p.signed_type === 3 ? "to view by " : "to sign by ") + p.must_signed_by_bin))))),
      el("td", {}, open.length ? [pick, " ",
        el("button", { class: "sign", onclick: () => act("sign " + d.num + " as " + pick.value, () => api("podpishi/documents/" + d.num + "/sign", { method: "POST", body: { signer: pick.value, action: "sign" } })) }, "sign"), " ",
        el("button", { class: "refuse danger", onclick: () => act("refuse " + d.num, () => api("podpishi/documents/" + d.num + "/sign", { method: "POST", body: { action: "refuse", reason: "refused on the dashboard" } })) }, "refuse"),
      ] : el("span", { class: "muted" }, "nothing left to sign")),
      el("td", {}, el("button", { class: "zip", onclick: async () => download("document-" + d.num + ".zip", await api("podpishi/documents/" + d.num + "/zip")) }, "ZIP")),
    );
  }), "no documents yet: upload one to /api.php");
  fill($("#outbox"), outbox.map((m) => el("tr", {},
    el("td", {}, m.seq), el("td", {}, m.to), el("td", {}, m.subject), el("td", {}, m.document), el("td", {}, m.at))), "no e-mails");
}

async function drawFaults() {
  const f = await api("faults");
  fill($("#faults"), f.faults.map(({ rule, matched_calls }) => el("tr", {},
    el("td", {}, rule.name || ""),
    el("td", {}, el("code", {}, JSON.stringify(rule))),
    el("td", { class: "num" }, matched_calls),
    el("td", {}, el("button", { class: "danger", onclick: () => act("remove " + rule.name, () => api("faults/" + encodeURIComponent(rule.name), { method: "DELETE" })) }, "remove")),
  )), "no fault rules: every call is answered normally");
}

// ── the live journal ────────────────────────────────────────────────────────────────────

let lastId = 0;
const shown = new Map();

function outcome(e) {
  if (e.fault) return "fault " + e.fault;
  if (e.refusal) return "refused " + e.refusal.kind + " (" + e.refusal.code + ")";
  return e.success === false ? "failed" : "ok";
}

function journalRow(e) {
  const warn = (e.warnings || []).length;
  const row = el("tr", { class: "entry", id: "journal-" + e.id },
    el("td", { class: "num" }, e.id),
    el("td", {}, e.wall_time || ""),
    el("td", {}, e.time),
    el("td", {}, e.api),
    el("td", {}, e.operation),
    el("td", { class: e.status < 400 ? "ok" : "bad" }, e.status),
    el("td", {}, e.record || ""),
    el("td", { class: e.success === false ? "bad" : "ok" }, outcome(e), warn ? el("span", { class: "warning" }, " ⚠ " + warn + " warning" + (warn > 1 ? "s" : "")) : null),
  );
  const detail = el("tr", { class: "detail", hidden: true },
    el("td", { colspan: 8 },
      el("b", {}, e.method + " " + e.path), " ", el("span", { class: "muted" }, e.content_type + " · " + e.duration_us + " µs"),
      el("div", {}, el("b", {}, "diagnostics"), el("ul", { class: "diagnostics" }, (e.diagnostics || []).map((d) => el("li", {}, d)))),
      warn ? el("div", {}, el("b", { class: "warning" }, "portability warnings"), el("ul", { class: "warnings" }, e.warnings.map((w) => el("li", {}, w.kind + ": " + w.reason)))) : null,
      el("div", {}, el("b", {}, "request"), el("pre", {}, JSON.stringify(e.request, null, 1))),
      el("div", {}, el("b", {}, "response"), el("pre", {}, typeof e.response === "string" ? e.response : JSON.stringify(e.response, null, 1))),
    ));
  row.addEventListener("click", () => { detail.hidden = !detail.hidden; });
  return [row, detail];
}

async function pollJournal() {
  const admin = $("#journal-admin").checked ? "&include=admin" : "";
  const j = await api("requests?since=" + lastId + admin);
  const body = $("#journal tbody");
  for (const e of j.requests) {
    if (shown.has(e.id)) continue;
    const [row, detail] = journalRow(e);
    body.prepend(detail);
    body.prepend(row);
    shown.set(e.id, row);
  }
  // The newest 300 rows stay on the page.
  while (body.children.length > 600) body.lastElementChild.remove();
  const newest = j.requests.reduce((m, e) => Math.max(m, e.id), lastId);
  // Control-API calls are numbered too; only an API request means the world may have changed.
  const changed = j.requests.some((e) => e.api !== "admin");
  lastId = newest;
  return changed;
}

// ── wiring ──────────────────────────────────────────────────────────────────────────────

let drawing = null;
let again = false;

/// Redraws every panel; a call made while a drawing runs gets a fresh one after it (that
/// drawing may have read the state before the change the caller made).
async function refresh() {
  if (drawing) {
    again = true;
    return drawing;
  }
  drawing = (async () => {
    do {
      again = false;
      try {
        await Promise.all([drawHeader(), drawPki(), drawPodpishi(), drawFaults()]);
        document.body.dataset.ready = "true";
      } catch (e) {
        say("cannot reach the control API: " + e.message, "error");
      }
    } while (again);
    drawing = null;
  })();
  return drawing;
}

async function tick() {
  try {
    if (await pollJournal()) await refresh();
  } catch (e) {
    say("cannot read the journal: " + e.message, "error");
  }
  setTimeout(tick, 1000);
}

document.addEventListener("DOMContentLoaded", () => {
  $("#clock-advance-btn").addEventListener("click", () =>
    act("advance " + $("#clock-advance").value, () => api("clock", { method: "POST", body: { advance: $("#clock-advance").value } })));
  $("#reset-btn").addEventListener("click", () => {
    if (confirm("Reset everything to the scenario's initial state?")) {
      act("reset", async () => {
        await api("reset", { method: "POST", body: {} });
        lastId = 0;
        shown.clear();
        $("#journal tbody").replaceChildren();
      });
    }
  });
  $("#fault-add").addEventListener("click", () => act("add fault", () => api("faults", { method: "POST", body: $("#fault-json").value })));
  $("#faults-clear").addEventListener("click", () => act("clear faults", () => api("faults", { method: "DELETE" })));
  $("#journal-admin").addEventListener("change", () => {
    lastId = 0;
    shown.clear();
    $("#journal tbody").replaceChildren();
  });
  refresh().then(tick);
});
