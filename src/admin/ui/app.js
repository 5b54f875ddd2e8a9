// signsim dashboard: plain JavaScript over the control API (/__admin), nothing fetched from
// elsewhere, no inline script (the page is ready for `Content-Security-Policy: default-src 'self'`).
//
// How it stays live without getting in the way (docs/dashboard.md):
// - every second it asks `health` (clock, scenario, `revision`: a counter of control-API changes,
//   whoever made them) and the journal for entries newer than the last one seen (`since=`);
// - a new API entry or a new revision redraws the state views; the journal is re-read whole only
//   when the revision moved (a reset or a clear may have emptied it);
// - every view is updated in place: rows are keyed, a row whose data did not change is left
//   alone, a changed row is rebuilt carrying what the person set in it (`data-keep`: a chosen
//   signer, an open <details>), and a row holding the focus is left until it lets go of it;
// - data goes into the page as text (`textContent`, text nodes), never as HTML.
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
    const e = new Error(why);
    e.status = resp.status;
    throw e;
  }
  return value;
}

function say(text, kind) {
  const m = $("#message");
  m.textContent = text;
  m.className = kind || "";
}

/// Runs a control-API action from a button, says how it went, and brings the page up to date.
async function act(what, fn) {
  try {
    await fn();
    say(what + ": done", "done");
  } catch (e) {
    say(what + ": " + e.message, "error");
  }
  await update();
}

function download(name, blob) {
  const a = el("a", { href: URL.createObjectURL(blob), download: name });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(a.href), 1000);
}

/// `fn` run one at a time: a call made while it runs gets one fresh run after it (that run may
/// have read the world before the change the caller made).
function coalesced(fn) {
  let running = null;
  let again = false;
  return function run() {
    if (running) {
      again = true;
      return running;
    }
    running = (async () => {
      do {
        again = false;
        await fn();
      } while (again);
      running = null;
    })();
    return running;
  };
}

// ── keyed rows ──────────────────────────────────────────────────────────────────────────

/// Copies what the person set in `from` (elements marked `data-keep`) into its rebuilt `to`.
function carry(from, to) {
  for (const old of from.querySelectorAll("[data-keep]")) {
    const now = to.querySelector('[data-keep="' + old.dataset.keep + '"]');
    if (!now) continue;
    if (old.tagName === "DETAILS") now.open = old.open;
    else if ([...(now.options || [])].some((o) => o.value === old.value) || now.tagName !== "SELECT") now.value = old.value;
  }
}

function placeholder(container, text) {
  if (container.tagName === "TBODY") {
    const cols = container.parentElement.querySelector("thead tr").children.length;
    return el("tr", { class: "empty" }, el("td", { colspan: cols, class: "muted" }, text));
  }
  return el("li", { class: "empty muted" }, text);
}

/// Whether the person is in a form control of `row` (a button that was clicked does not count).
function editing(row) {
  const a = document.activeElement;
  return !!a && row.contains(a) && ["INPUT", "SELECT", "TEXTAREA"].includes(a.tagName);
}

/// Brings the rows of `container` (a <tbody> or a list) to `items`, in place: an unchanged row
/// stays as it is, a changed one is rebuilt by `build` carrying the person's input, a row holding
/// the focus waits for the next redraw, rows move only when out of order.
function keyed(container, items, keyOf, build, empty) {
  const old = new Map();
  for (const row of [...container.children]) {
    if (row.dataset.key === undefined) row.remove();
    else old.set(row.dataset.key, row);
  }
  const rows = items.map((item) => {
    const key = String(keyOf(item));
    const sig = JSON.stringify(item);
    const prev = old.get(key);
    old.delete(key);
    if (prev && (prev.sig === sig || editing(prev))) return prev;
    const row = build(item);
    row.dataset.key = key;
    row.sig = sig;
    if (prev) {
      carry(prev, row);
      prev.replaceWith(row);
    }
    return row;
  });
  for (const gone of old.values()) gone.remove();
  rows.forEach((row, i) => {
    if (container.children[i] !== row) container.insertBefore(row, container.children[i] || null);
  });
  if (!rows.length) container.append(placeholder(container, empty));
}

// ── header and clock ────────────────────────────────────────────────────────────────────

const clock = { at: NaN, fetched: 0, frozen: true };

function iso(ms) {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z");
}

/// The scenario clock as of now: a running clock ticks between polls.
function showClock() {
  if (Number.isNaN(clock.at)) return;
  const t = clock.frozen ? clock.at : clock.at + (performance.now() - clock.fetched);
  const text = iso(t);
  if ($("#clock").textContent !== text) $("#clock").textContent = text;
}

function drawHeader(h) {
  $("#scenario").textContent = h.scenario;
  $("#version").textContent = "v" + h.version + " · " + h.store;
  clock.at = Date.parse(h.clock);
  clock.fetched = performance.now();
  clock.frozen = h.clock_frozen;
  $("#clock-frozen").textContent = h.clock_frozen ? "(frozen)" : "(running)";
  $("#clock-freeze").textContent = h.clock_frozen ? "let it run" : "freeze";
  $("#clock-set").placeholder = h.clock;
  showClock();
}

function wireClock() {
  $("#clock-freeze").addEventListener("click", () => {
    const frozen = !clock.frozen;
    act(frozen ? "freeze the clock" : "let the clock run", () => api("clock", { method: "POST", body: { frozen } }));
  });
  $("#clock-set-btn").addEventListener("click", () => {
    const at = $("#clock-set").value.trim();
    act("set the clock to " + at, () => api("clock", { method: "POST", body: { set: at } }));
  });
  $("#clock-advance-btn").addEventListener("click", () =>
    act("advance " + $("#clock-advance").value, () => api("clock", { method: "POST", body: { advance: $("#clock-advance").value } })));
  setInterval(showClock, 250);
}

// ── tenants: credit and balances ────────────────────────────────────────────────────────

function plural(n, one, many) {
  return n + " " + (n === 1 ? one : many);
}

function drawTenants(pki, pod) {
  const rows = [];
  if (pki) {
    for (const c of pki.state.customers) {
      const tracking = pki.state.tracking.filter((t) => t.customer === c.customer).length;
      const certs = new Set(pki.state.tracking.filter((t) => t.customer === c.customer).map((t) => t.code));
      const issued = pki.state.certificates.filter((x) => certs.has(x.tracking_code)).length;
      rows.push({ api: "pki", tenant: c.customer, amount: c.credit, records: plural(tracking, "tracking code", "tracking codes") + ", " + plural(issued, "certificate", "certificates") });
    }
  }
  if (pod) {
    for (const { value: a } of pod.accounts) {
      if (!a || !a.login) continue; // an index row, not an account
      const docs = pod.documents.filter((d) => d.value.owner_login === a.login).length;
      rows.push({ api: "podpishi", tenant: a.login, bins: a.bins, amount: a.balance, blocked: a.blocked, records: plural(docs, "document", "documents") });
    }
  }
  keyed($("#tenants tbody"), rows, (t) => t.api + ":" + t.tenant, tenantRow, "no tenants in this scenario");
}

function tenantRow(t) {
  const credit = () => {
    const add = prompt("Add to " + t.tenant + "'s credit (negative to take away):", "1000000");
    if (add !== null && add.trim() !== "") act("credit", () => api("pki/customers/" + encodeURIComponent(t.tenant) + "/credit", { method: "POST", body: { add: Number(add) } }));
  };
  return el("tr", { id: "tenant-" + t.tenant },
    el("td", {}, t.api),
    el("td", {}, t.tenant, t.bins ? el("span", { class: "muted" }, " BIN " + t.bins.join(", ")) : null, t.blocked ? el("span", { class: "bad" }, " blocked") : null),
    el("td", { class: "num amount" }, Number(t.amount).toLocaleString("en"), el("span", { class: "muted" }, t.api === "pki" ? " credit" : " balance")),
    el("td", { class: "records" }, t.records),
    el("td", {}, t.api === "pki" ? el("button", { class: "add-credit", onclick: credit }, "add credit") : null));
}

// ── PKI ─────────────────────────────────────────────────────────────────────────────────

async function loadPki() {
  try {
    const [cas, state] = await Promise.all([api("pki/cas"), api("pki/state")]);
    return { cas: cas.cas, state };
  } catch (e) {
    if (e.status === 404) return null; // the scenario has no [pki]
    throw e;
  }
}

function drawPki(pki) {
  $("#pki-section").hidden = !pki;
  if (!pki) return;
  keyed($("#cas tbody"), pki.cas, (ca) => ca.name, caRow, "no CAs");
  const tracking = pki.state.tracking.slice().sort((a, b) => Number(b.code) - Number(a.code));
  keyed($("#tracking tbody"), tracking, (t) => t.code, trackingRow, "no tracking codes yet: RegisterInfo makes them");
  keyed($("#certificates tbody"), pki.state.certificates, (c) => c.ca + "-" + c.serial, certificateRow, "no certificates yet");
}

function caRow(ca) {
  const path = "pki/cas/" + encodeURIComponent(ca.name);
  return el("tr", { id: "ca-" + ca.name },
    el("td", {}, ca.name),
    el("td", {}, ca.title),
    el("td", { class: ca.available ? "ok" : "bad" }, ca.available ? "yes" : "no"),
    el("td", {},
      el("button", { class: "toggle-ca", onclick: () => act("CA " + ca.name + (ca.available ? " off" : " on"),
        () => api(path + "/availability", { method: "POST", body: { available: !ca.available } })) },
        ca.available ? "switch off" : "switch on"), " ",
      el("button", { onclick: async () => download(ca.name + ".pem", await api(path + "/certificate")) }, "certificate"), " ",
      el("button", { class: "crl", onclick: async () => download(ca.name + ".crl", await api(path + "/crl")) }, "CRL")));
}

function trackingRow(t) {
  const awaiting = t.status === "AwaitingApproval";
  const approve = () => act("approve " + t.code, () => api("pki/tracking/" + t.code + "/approve", { method: "POST", body: { approver: "dashboard" } }));
  const reject = () => act("reject " + t.code, () => api("pki/tracking/" + t.code + "/reject", { method: "POST", body: { reason: "rejected on the dashboard" } }));
  return el("tr", { id: "tracking-" + t.code },
    el("td", {}, t.code),
    el("td", {}, t.customer),
    el("td", { class: "person" }, t.person.national_code, el("br"),
      el("span", { class: "muted" }, [t.person.en_name, t.person.en_last_name].join(" ")),
      t.person.name || t.person.last_name ? [el("br"), el("span", { class: "muted native-name", dir: "auto" }, [t.person.name, t.person.last_name].join(" "))] : null),
    el("td", {}, t.ca + " / " + t.profile),
    el("td", { class: "status status-" + t.status }, t.status),
    el("td", {}, el("details", { "data-keep": "history" }, el("summary", {}, plural(t.history.length, "event", "events")),
      el("ul", {}, t.history.map((h) => el("li", {}, el("span", { class: "muted" }, h.at + " "), h.event))))),
    el("td", {}, awaiting ? [el("button", { class: "approve", onclick: approve }, "approve"), " ",
      el("button", { class: "reject danger", onclick: reject }, "reject")] : null));
}

function certificateRow(c) {
  const serial = c.serial.toString(16);
  const pem = async () => {
    const rec = await api("pki/certificates/" + encodeURIComponent(c.ca) + "/" + serial);
    download(c.ca + "-" + serial + ".pem", new Blob([rec.pem], { type: "application/x-pem-file" }));
  };
  return el("tr", { id: "cert-" + c.ca + "-" + serial },
    el("td", {}, c.ca),
    el("td", { class: "num" }, serial),
    el("td", {}, c.tracking_code),
    el("td", {}, c.national_code),
    el("td", { class: "status status-" + c.status }, c.status),
    el("td", {}, el("button", { class: "pem", onclick: pem }, "PEM")));
}

// ── Podpishi ────────────────────────────────────────────────────────────────────────────

let signers = [];

async function loadPodpishi() {
  try {
    const [state, outbox] = await Promise.all([api("podpishi/state"), api("podpishi/outbox")]);
    if (!signers.length) signers = (await api("podpishi/signers")).signers;
    return { ...state, outbox };
  } catch (e) {
    if (e.status === 404) return null; // the scenario has no [podpishi]
    throw e;
  }
}

function drawPodpishi(pod) {
  $("#podpishi-section").hidden = !pod;
  if (!pod) return;
  const docs = pod.documents.map((d) => d.value).sort((a, b) => b.num - a.num);
  keyed($("#documents tbody"), docs, (d) => d.num, documentRow, "no documents yet: upload one to /api.php");
  keyed($("#outbox tbody"), pod.outbox, (m) => m.seq, (m) => el("tr", {},
    el("td", {}, m.seq), el("td", {}, m.to), el("td", {}, m.subject), el("td", {}, m.document), el("td", {}, m.at)), "no e-mails");
}

function permissionText(p) {
  if (p.signed) return "signed by " + p.signed_fio + " (" + p.signed_bin + ")";
  if (p.sign_deleted) return "refused/deleted";
  return (p.signed_type === 3 ? "to view by " : "to sign by ") + p.must_signed_by_bin;
}

function documentRow(d) {
  const open = d.permissions.filter((p) => !p.signed && !p.sign_deleted);
  const pick = el("select", { class: "signer", "aria-label": "test signer", "data-keep": "signer" },
    signers.map((s) => el("option", { value: s.name }, s.name + " · " + s.bin + (s.firm ? " " + s.firm : ""))));
  // The receiver's own signer first: the one whose BIN (or IIN) the receiver's permission needs.
  const own = signers.find((s) => s.bin === d.receiver_bin);
  if (own) pick.value = own.name;
  const sign = () => act("sign " + d.num + " as " + pick.value, () => api("podpishi/documents/" + d.num + "/sign", { method: "POST", body: { signer: pick.value, action: "sign" } }));
  const refuse = () => act("refuse " + d.num, () => api("podpishi/documents/" + d.num + "/sign", { method: "POST", body: { action: "refuse", reason: "refused on the dashboard" } }));
  const zip = async () => download("document-" + d.num + ".zip", await api("podpishi/documents/" + d.num + "/zip"));
  return el("tr", { id: "doc-" + d.num },
    el("td", {}, d.num),
    el("td", { class: "doc-name", dir: "auto" }, d.name, el("br"),
      el("span", { class: "muted files" }, d.files.map((f) => f.name + " (" + f.size + " B)").join(", ")),
      d.reference ? [el("br"), el("span", { class: "muted reference" }, "ref " + d.reference)] : null),
    el("td", {}, (d.owner_login ? d.owner_login + " · " : "") + d.owner_bin + " → " + d.receiver_bin),
    el("td", {}, el("ul", { class: "permissions" }, d.permissions.map((p) => el("li",
      { class: "permission " + (p.signed ? "signed" : p.sign_deleted ? "refused" : "pending"), "data-i": p.i }, "i=" + p.i + " " + permissionText(p))))),
    el("td", {}, open.length ? [pick, " ", el("button", { class: "sign", onclick: sign }, "sign"), " ",
      el("button", { class: "refuse danger", onclick: refuse }, "refuse")] : el("span", { class: "muted" }, "nothing left to sign")),
    el("td", {}, el("button", { class: "zip", onclick: zip }, "ZIP")));
}

// ── faults ──────────────────────────────────────────────────────────────────────────────

async function drawFaults() {
  const f = await api("faults");
  keyed($("#faults tbody"), f.faults, ({ rule }) => rule.name || JSON.stringify(rule), ({ rule, matched_calls }) => el("tr", {},
    el("td", {}, rule.name || ""),
    el("td", {}, el("code", {}, JSON.stringify(rule))),
    el("td", { class: "num" }, matched_calls),
    el("td", {}, el("button", { class: "danger", onclick: () => act("remove " + rule.name, () => api("faults/" + encodeURIComponent(rule.name), { method: "DELETE" })) }, "remove"))),
  "no fault rules: every call is answered normally");
}

function wireFaults() {
  $("#fault-add").addEventListener("click", () => act("add fault", () => api("faults", { method: "POST", body: $("#fault-json").value })));
  $("#faults-clear").addEventListener("click", () => act("clear faults", () => api("faults", { method: "DELETE" })));
}

// ── portability warnings ────────────────────────────────────────────────────────────────

async function drawWarnings() {
  const w = await api("warnings");
  $("#warnings-policy").textContent = "(policy: " + w.policy + "; " + plural(w.requests, "request", "requests") + " warned, " +
    (w.refused_requests || 0) + " refused)";
  kindRows($("#warnings tbody"), w.kinds, "warning-", "no portability warnings: every request kept to what the documents say");
  kindRows($("#refused tbody"), w.refused || {}, "refused-", w.policy === "refuse"
    ? "nothing refused: every request kept to what the documents say"
    : "nothing is refused under policy " + w.policy + " (start with --portability refuse)");
}

/// One row per portability kind of `seen` (`{kind: {count, last_reason, risk, first_request, last_request}}`).
function kindRows(tbody, seen, idPrefix, empty) {
  const kinds = Object.entries(seen).map(([kind, k]) => ({ kind, ...k })).sort((a, b) => b.count - a.count);
  keyed(tbody, kinds, (k) => k.kind, (k) => el("tr", { id: idPrefix + k.kind },
    el("td", { class: "warning" }, k.kind),
    el("td", { class: "num" }, k.count),
    el("td", {}, k.last_reason),
    el("td", { class: "muted" }, k.risk),
    el("td", {}, el("button", { onclick: () => showEntry(k.first_request) }, "#" + k.first_request), " ",
      k.last_request !== k.first_request ? el("button", { onclick: () => showEntry(k.last_request) }, "#" + k.last_request) : null)),
  empty);
}

// ── coverage (GET /__admin/coverage) ────────────────────────────────────────────────────

let coverageMissing = false;

async function drawCoverage() {
  if (coverageMissing) return;
  const q = new URLSearchParams();
  if ($("#cov-api").value) q.set("api", $("#cov-api").value);
  if ($("#cov-tenant").value) q.set("tenant", $("#cov-tenant").value);
  let c;
  try {
    c = await api("coverage" + (q.size ? "?" + q : ""));
  } catch (e) {
    if (e.status !== 404) throw e;
    coverageMissing = true;
    $("#coverage-summary").textContent = "coverage not available: this signsim answers 404 to GET /__admin/coverage";
    $("#coverage-section").classList.add("unavailable");
    keyed($("#coverage-never"), [], String, null, "—");
    keyed($("#coverage-outcomes tbody"), [], String, null, "—");
    return;
  }
  $("#coverage-section").classList.remove("unavailable");
  $("#coverage-summary").textContent = "reached " + c.reached + " of " + c.total + " outcomes since " + c.since +
    (c.tenants.length ? " · tenants seen: " + c.tenants.join(", ") : "");
  options($("#cov-tenant"), c.tenants);
  keyed($("#coverage-never"), c.never, (n) => n.id, (n) => el("li", { class: "never-" + n.api },
    el("span", { class: "tag" }, n.api + " · " + n.group), " ", el("span", { dir: "auto" }, n.text), " ", el("code", { class: "muted" }, n.id)),
  "every outcome was reached");
  keyed($("#coverage-outcomes tbody"), c.outcomes, (o) => o.id, (o) => el("tr", { class: o.count ? "" : "never" },
    el("td", {}, o.api), el("td", {}, o.group), el("td", {}, o.text, " ", el("code", { class: "muted" }, o.id)), el("td", { class: "num" }, o.count)),
  "no outcomes");
}

function wireCoverage() {
  for (const id of ["#cov-api", "#cov-tenant"]) $(id).addEventListener("change", () => drawCoverage().catch((e) => say("coverage: " + e.message, "error")));
  $("#cov-retry").addEventListener("click", () => {
    coverageMissing = false;
    drawCoverage().catch((e) => say("coverage: " + e.message, "error"));
  });
}

/// Adds to `select` an option for each value it does not offer yet (its choice stays).
function options(select, values) {
  const have = new Set([...select.options].map((o) => o.value));
  for (const v of values) if (v && !have.has(v)) select.append(el("option", { value: v }, v));
}

// ── the live journal ────────────────────────────────────────────────────────────────────

/// The newest entries kept on the page.
const KEEP = 300;
let lastId = 0;
/// id → {e, row, detail}
const entries = new Map();
/// The ids whose detail is open.
const opened = new Set();

function outcome(e) {
  if (e.fault) return "fault " + e.fault;
  if (e.refusal) return "refused " + e.refusal.kind + " (" + e.refusal.code + ")";
  return e.success === false ? "failed" : "ok";
}

/// The tenant of an entry: its `tenant`, else the request's PKI customer or Podpishi login, else
/// the tenant its changes name.
function tenantOf(e) {
  if (e.tenant) return String(e.tenant);
  if (e.request && typeof e.request === "object") {
    for (const [k, v] of Object.entries(e.request)) {
      const name = k.toLowerCase();
      // A PKI customercode is `customer-license`: the tenant is the customer.
      if (name === "customercode" && typeof v === "string") return v.trim().split("-")[0];
      if (name === "login" && typeof v === "string") return v.trim();
    }
  }
  const c = (e.changes || []).find((x) => x.tenant);
  return c ? c.tenant : "";
}

function journalRow(e) {
  const warn = (e.warnings || []).length;
  const row = el("tr", { class: "entry", id: "journal-" + e.id, tabindex: 0, "aria-expanded": "false" },
    el("td", { class: "num" }, e.id),
    el("td", { title: e.wall_time || "" }, (e.wall_time || "").slice(11, 23)),
    el("td", {}, e.time),
    el("td", {}, e.api),
    el("td", {}, e.operation),
    el("td", { class: "tenant" }, e.tenant),
    el("td", { class: e.status < 400 ? "ok" : "bad" }, e.status),
    el("td", {}, e.record || ""),
    el("td", { class: e.success === false ? "bad" : "ok" }, outcome(e), warn ? el("span", { class: "warning" }, " ⚠ " + plural(warn, "warning", "warnings")) : null));
  const detail = el("tr", { class: "detail", hidden: true });
  const toggle = () => setOpen(e.id, !opened.has(e.id));
  row.addEventListener("click", toggle);
  row.addEventListener("keydown", (ev) => {
    if (ev.key === "Enter" || ev.key === " ") {
      ev.preventDefault();
      toggle();
    }
  });
  return { e, row, detail };
}

function changeText(c) {
  return c.machine + " " + c.record + (c.permission ? "/" + c.permission : "") + ": " + c.from + " → " + c.to + " (" + c.transition + ") for " + c.tenant;
}

/// The detail of an entry, built when first opened.
function detailOf(e) {
  const curlBox = el("pre", { class: "curl", hidden: true });
  const list = (title, cls, items, text) => items && items.length
    ? el("div", {}, el("b", { class: cls === "warnings" ? "warning" : "" }, title), el("ul", { class: cls }, items.map((x) => el("li", {}, text(x)))))
    : null;
  const pretty = (v) => typeof v === "string" ? v : JSON.stringify(v, null, 1);
  return el("td", { colspan: 9 },
    el("div", { class: "row" }, el("b", {}, e.method + " " + e.path), el("span", { class: "muted" }, (e.content_type || "no content type") + " · " + e.duration_us + " µs · " + e.wall_time),
      e.api !== "scenario" ? el("button", { class: "copy-curl", onclick: (ev) => { ev.stopPropagation(); copyCurl(e, curlBox); } }, "copy as curl") : null),
    curlBox,
    el("div", {}, el("b", {}, "diagnostics"), el("ul", { class: "diagnostics" }, (e.diagnostics || []).map((d) => el("li", {}, d)))),
    list("portability warnings", "warnings", e.warnings, (w) => [el("b", {}, w.kind), ": " + w.reason]),
    list("changes", "changes", e.changes, changeText),
    el("div", {}, el("b", {}, "request"), el("pre", { class: "request" }, pretty(e.request))),
    el("div", {}, el("b", {}, "response"), el("pre", { class: "response" }, pretty(e.response))));
}

/// Fetches the entry's curl command, shows it and copies it (or selects it for Ctrl+C).
async function copyCurl(e, box) {
  try {
    const c = await api("requests/" + e.id + "/curl?url=" + encodeURIComponent(location.origin));
    box.hidden = false;
    if (!c.exact) {
      box.textContent = "cannot be reproduced exactly: " + c.why;
      return;
    }
    box.textContent = c.command;
    try {
      await navigator.clipboard.writeText(c.command);
      say("request " + e.id + " copied as a curl command", "done");
    } catch (_) {
      const range = document.createRange();
      range.selectNodeContents(box);
      getSelection().removeAllRanges();
      getSelection().addRange(range);
      say("request " + e.id + " as a curl command is selected: press Ctrl+C to copy it", "done");
    }
  } catch (err) {
    say("copy as curl: " + err.message, "error");
  }
}

function setOpen(id, open) {
  const it = entries.get(id);
  if (!it) return;
  if (open) opened.add(id);
  else opened.delete(id);
  if (open && !it.detail.firstChild) it.detail.append(detailOf(it.e));
  it.row.setAttribute("aria-expanded", String(open));
  it.row.classList.toggle("open", open);
  it.detail.hidden = !open || it.row.hidden;
}

/// Shows one entry: filters cleared down to it, its detail open, scrolled to.
function showEntry(id) {
  $("#f-text").value = "#" + id;
  applyFilters();
  setOpen(id, true);
  const it = entries.get(id);
  if (it) it.row.scrollIntoView({ block: "nearest" });
  else say("request " + id + " is no longer on the page", "error");
}

function filters() {
  return {
    api: $("#f-api").value,
    operation: $("#f-operation").value,
    outcome: $("#f-outcome").value,
    status: $("#f-status").value.trim(),
    tenant: $("#f-tenant").value,
    text: $("#f-text").value.trim().toLowerCase(),
  };
}

function matches(e, f) {
  if (f.api && e.api !== f.api) return false;
  if (f.operation && e.operation !== f.operation) return false;
  if (f.tenant && e.tenant !== f.tenant) return false;
  if (f.status && !String(e.status).startsWith(f.status)) return false;
  const o = e.fault ? "fault" : e.refusal ? "refused" : e.success === false ? "failed" : "ok";
  if (f.outcome === "warnings" ? !(e.warnings || []).length : f.outcome === "failed" ? o === "ok" : f.outcome && o !== f.outcome) return false;
  if (!f.text) return true;
  if (/^#\d+$/.test(f.text)) return String(e.id) === f.text.slice(1);
  if (e.haystack === undefined) e.haystack = JSON.stringify(e).toLowerCase();
  return e.haystack.includes(f.text);
}

function applyFilters() {
  const f = filters();
  let shown = 0;
  for (const it of entries.values()) {
    const ok = matches(it.e, f);
    if (ok) shown++;
    it.row.hidden = !ok;
    it.detail.hidden = !ok || !opened.has(it.e.id);
  }
  $("#journal-count").textContent = shown === entries.size ? plural(shown, "entry", "entries") : shown + " of " + entries.size + " entries";
}

function dropEntry(id) {
  const it = entries.get(id);
  it.row.remove();
  it.detail.remove();
  entries.delete(id);
  opened.delete(id);
}

/// New journal entries onto the page (newest first); `full` re-reads the newest KEEP and drops
/// what the journal no longer has (a reset, a clear). True when an API request is among them.
async function pollJournal(full) {
  const admin = $("#journal-admin").checked ? "&include=admin" : "";
  const j = await api("requests?limit=" + KEEP + (full ? "" : "&since=" + lastId) + admin);
  if (full) {
    const kept = new Set(j.requests.map((e) => e.id));
    for (const id of [...entries.keys()]) if (!kept.has(id)) dropEntry(id);
  }
  const body = $("#journal tbody");
  const scroller = $("#journal-scroll");
  const before = body.offsetHeight;
  let changed = false;
  for (const e of j.requests) {
    lastId = Math.max(lastId, e.id);
    if (entries.has(e.id)) continue;
    e.tenant = tenantOf(e);
    const it = journalRow(e);
    body.prepend(it.detail);
    body.prepend(it.row);
    entries.set(e.id, it);
    if (e.api !== "admin") changed = true;
  }
  // Someone reading further down keeps their place as rows arrive on top.
  if (scroller.scrollTop > 0) scroller.scrollTop += body.offsetHeight - before;
  const ids = [...entries.keys()].sort((a, b) => a - b);
  for (const id of ids.slice(0, Math.max(0, ids.length - KEEP))) dropEntry(id);
  options($("#f-operation"), [...new Set(j.requests.map((e) => e.operation))].sort());
  options($("#f-tenant"), [...new Set(j.requests.map((e) => e.tenant))].sort());
  applyFilters();
  return changed || full;
}

function wireJournal() {
  for (const id of ["#f-api", "#f-operation", "#f-outcome", "#f-tenant"]) $(id).addEventListener("change", applyFilters);
  for (const id of ["#f-status", "#f-text"]) $(id).addEventListener("input", applyFilters);
  $("#f-clear").addEventListener("click", () => {
    for (const id of ["#f-api", "#f-operation", "#f-outcome", "#f-tenant", "#f-status", "#f-text"]) $(id).value = "";
    applyFilters();
  });
  $("#journal-admin").addEventListener("change", () => {
    for (const id of [...entries.keys()]) dropEntry(id);
    lastId = 0;
    update();
  });
}

// ── keeping up with the world ───────────────────────────────────────────────────────────

/// Redraws every state view from the control API.
const refresh = coalesced(async () => {
  try {
    const [pki, pod] = await Promise.all([loadPki(), loadPodpishi()]);
    drawPki(pki);
    drawPodpishi(pod);
    drawTenants(pki, pod);
    await Promise.all([drawFaults(), drawWarnings(), drawCoverage()]);
    document.body.dataset.ready = "true";
  } catch (e) {
    say("cannot reach the control API: " + e.message, "error");
  }
});

let revision = null;
let scenario = null;

/// One look at the world: health (clock, scenario, revision) and the journal's new entries;
/// the state views are redrawn when either says something changed.
const update = coalesced(async () => {
  try {
    const h = await api("health");
    drawHeader(h);
    const moved = h.revision !== revision || h.scenario !== scenario;
    const first = revision === null;
    revision = h.revision;
    scenario = h.scenario;
    const fresh = await pollJournal(moved && !first);
    if (moved || fresh) await refresh();
  } catch (e) {
    say("cannot reach the control API: " + e.message, "error");
  }
});

async function tick() {
  await update();
  setTimeout(tick, 1000);
}

document.addEventListener("DOMContentLoaded", () => {
  wireClock();
  wireFaults();
  wireCoverage();
  wireJournal();
  $("#reset-btn").addEventListener("click", () => {
    if (confirm("Reset everything to the scenario's initial state?")) act("reset", () => api("reset", { method: "POST", body: {} }));
  });
  tick();
});
