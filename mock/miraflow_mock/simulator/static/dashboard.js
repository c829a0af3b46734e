// The simulator's dashboard: a client of the admin API (/__admin), polled a few times a second. No framework, no build.
// Every value from the simulator (job names, request bodies) is set as text, never as HTML.
"use strict";

const ADMIN = "/__admin";
const params = new URLSearchParams(location.search);
const POLL_MS = Math.max(100, Number(params.get("interval")) || 500);
const JOB_LIMIT = Math.max(1, Number(params.get("jobs")) || 200);
const REQUEST_LIMIT = Math.max(1, Number(params.get("requests")) || 200);

// Quick faults: each names an operation of the spec; a preset whose operation the spec lacks is not shown.
const PRESETS = [
  { label: "429 on next status poll", fault: { operationId: "getJobStatus", status: 429, retryAfter: 1 } },
  { label: "503 on next status poll", fault: { operationId: "getJobStatus", status: 503 } },
  { label: "500 on next create", fault: { operationId: "createVideo", status: 500 } },
  { label: "Drop next create after handling", fault: { operationId: "createVideo", drop: "after" } },
  { label: "\"failure\" body on next create", fault: { operationId: "createVideo", failureBody: true } },
  { label: "Truncate next download", fault: { operationId: "downloadVideo", truncate: true } },
  { label: "Avatars 2 s late", fault: { operationId: "listAvatars", latency: 2 } },
];

const ui = {
  meta: null,
  clock: null,
  roles: new Map(), // state name → queued | working | complete | failed | error
  jobRows: new Map(), // jobId → row elements
  requests: [], // newest first
  lastRequestId: 0,
  openRequest: null,
  filterQuery: "",
  requestsChain: Promise.resolve(),
  errorsEndpoint: true,
  polling: false,
};

// --- helpers --------------------------------------------------------------------------------------------------------

function h(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === null || value === undefined || value === false) continue;
    if (name === "class") node.className = value;
    else if (name === "text") node.textContent = value;
    else if (name.startsWith("on")) node.addEventListener(name.slice(2), value);
    else node.setAttribute(name, value === true ? "" : String(value));
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

const $ = (id) => document.getElementById(id);

async function api(method, path, body) {
  const init = { method, cache: "no-store", headers: {} };
  if (body !== undefined) {
    init.headers["content-type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  const response = await fetch(ADMIN + path, init);
  let data = null;
  try {
    data = await response.json();
  } catch (_) {
    data = null;
  }
  if (!response.ok) {
    const error = new Error((data && data.error) || `${method} ${path}: ${response.status}`);
    error.status = response.status;
    throw error;
  }
  return data;
}

function roleOf(state) {
  return ui.roles.get(state) || "queued";
}

function seconds(value) {
  const abs = Math.abs(value);
  if (abs < 60) return `${value.toFixed(abs < 10 ? 1 : 0)} s`;
  if (abs < 3600) return `${(value / 60).toFixed(1)} min`;
  return `${(value / 3600).toFixed(1)} h`;
}

// A moment on the simulator's clock: seconds since start on a manual clock, the time of day on a real one.
function moment(value) {
  if (value === null || value === undefined) return "–";
  if (ui.clock && ui.clock.mode === "real") {
    const date = new Date(value * 1000);
    return date.toLocaleTimeString([], { hour12: false }) + "." + String(date.getMilliseconds()).padStart(3, "0");
  }
  return `t=${value.toFixed(1)} s`;
}

function shortId(id) {
  return id ? id.slice(0, 10) + "…" : "–";
}

function setConnection(ok, message) {
  const node = $("connection");
  node.dataset.state = ok ? "live" : "down";
  node.textContent = ok ? "live" : "disconnected";
  node.title = message || "polling the admin API";
}

function showError(form, error) {
  const slot = form.querySelector(".form-error");
  if (slot) slot.textContent = error ? error.message : "";
}

// --- clock ----------------------------------------------------------------------------------------------------------

function renderClock(clock) {
  ui.clock = clock;
  $("clock-now").textContent = moment(clock.now);
  $("clock-mode").textContent = `${clock.mode} clock`;
  $("clock-scale").textContent = `time scale ×${clock.timeScale}`;
  const manual = clock.mode === "manual";
  for (const button of $("clock-buttons").querySelectorAll("button, input")) button.disabled = !manual;
  $("clock-buttons").hidden = !manual;
  $("clock-hint").hidden = manual;
}

async function advance(secondsToAdd) {
  if (!(secondsToAdd >= 0)) return;
  await api("POST", "/clock/advance", { seconds: secondsToAdd });
  await poll();
}

// --- jobs -----------------------------------------------------------------------------------------------------------

function jobRow(job) {
  const cells = {
    id: h("td", { class: "mono", title: job.jobId }),
    tenant: h("td"),
    name: h("td"),
    state: h("td"),
    progress: h("td"),
    timeline: h("td"),
    outcome: h("td"),
    cost: h("td", { class: "num" }),
  };
  const fill = h("div", { class: "fill" });
  const label = h("span", { class: "label" });
  const bar = h("div", { class: "progress", role: "progressbar", "aria-valuemin": 0, "aria-valuemax": 100 }, fill, label);
  cells.progress.append(bar);
  const queue = h("div", { class: "queue" });
  const render = h("div", { class: "render" });
  const now = h("div", { class: "now" });
  const line = h("div", { class: "timeline" }, queue, render, now);
  const text = h("div", { class: "timeline-text" });
  cells.timeline.append(line, text);
  const row = h("tr", { "data-job-id": job.jobId }, Object.values(cells));
  return { row, cells, bar, fill, label, line, queue, render, now, text };
}

function updateJob(parts, job, clockNow) {
  const { cells } = parts;
  const role = roleOf(job.state);
  const plan = job.plan || { startAt: job.startedAt ?? job.createdAt, endAt: job.completedAt ?? job.createdAt, outcome: job.state };
  const outcomeRole = roleOf(plan.outcome);
  const terminal = job.completedAt !== null && job.completedAt !== undefined;
  cells.id.textContent = shortId(job.jobId);
  cells.tenant.textContent = job.tenant ?? "–";
  cells.name.replaceChildren(
    h("div", { class: "ellipsis", title: job.name, text: job.name }),
    h("div", { class: "sub", text: job.mode }),
  );
  cells.state.replaceChildren(h("span", { class: "badge", "data-role": role, "data-testid": "job-state", text: job.state }));
  cells.cost.textContent = job.cost;

  // Progress: the reported percentage while rendering; at a failure, the share of the render it had reached.
  let percent = 0;
  let label = "";
  if (role === "working") {
    percent = job.progress ?? 0;
    label = `${percent}%`;
  } else if (role === "complete") {
    percent = 100;
    label = "100%";
  } else if (terminal) {
    percent = job.durationSeconds > 0 ? Math.round((100 * (plan.endAt - plan.startAt)) / job.durationSeconds) : 0;
    label = `stopped at ~${percent}%`;
  } else {
    label = "queued";
  }
  parts.bar.dataset.role = role;
  parts.bar.setAttribute("aria-valuenow", String(percent));
  parts.fill.style.width = `${percent}%`;
  parts.label.textContent = label;

  // Timeline: waiting for a render slot, then rendering until the planned end; the line marks now.
  const start = job.createdAt;
  const span = Math.max(plan.endAt - start, 1e-9);
  const at = (value) => `${Math.min(100, Math.max(0, ((value - start) / span) * 100))}%`;
  parts.line.dataset.outcomeRole = outcomeRole;
  parts.line.dataset.outcome = plan.outcome;
  parts.queue.style.left = "0%";
  parts.queue.style.width = at(plan.startAt);
  parts.render.style.left = at(plan.startAt);
  parts.render.style.width = `calc(100% - ${at(plan.startAt)})`;
  parts.now.style.left = at(clockNow);
  const waited = plan.startAt - start;
  parts.text.textContent =
    (waited > 0 ? `waits ${seconds(waited)}, ` : "") + `renders ${seconds(plan.endAt - plan.startAt)}, ends ${moment(plan.endAt)}`;
  parts.line.title = `created ${moment(start)} · render slot ${plan.slot ?? "?"} from ${moment(plan.startAt)} · ends ${moment(plan.endAt)} as ${plan.outcome}`;

  const outcome = h("span", { class: "badge", "data-role": outcomeRole, "data-testid": "job-outcome", text: plan.outcome });
  if (!terminal) {
    outcome.classList.add("pending");
    outcome.title = "planned: the job will end this way";
  }
  cells.outcome.replaceChildren(outcome);
}

function renderJobs(data) {
  const filter = $("jobs-filter").value.trim().toLowerCase();
  const jobs = data.jobs.slice().reverse(); // newest first
  const shown = filter
    ? jobs.filter((job) => [job.jobId, job.name, job.tenant, job.state, job.mode].join(" ").toLowerCase().includes(filter))
    : jobs;
  const body = $("jobs-body");
  const keep = new Set(shown.map((job) => job.jobId));
  for (const [id, parts] of ui.jobRows) {
    if (!keep.has(id)) {
      parts.row.remove();
      ui.jobRows.delete(id);
    }
  }
  let previous = null;
  for (const job of shown) {
    let parts = ui.jobRows.get(job.jobId);
    if (!parts) {
      parts = jobRow(job);
      ui.jobRows.set(job.jobId, parts);
    }
    updateJob(parts, job, ui.clock ? ui.clock.now : job.createdAt);
    const expected = previous ? previous.nextSibling : body.firstChild;
    if (expected !== parts.row) body.insertBefore(parts.row, expected);
    previous = parts.row;
  }
  $("jobs-empty").hidden = shown.length > 0;
  const counts = {};
  for (const job of data.jobs) counts[job.state] = (counts[job.state] || 0) + 1;
  const parts = Object.entries(counts).map(([state, count]) => `${count} ${state}`);
  const more = data.total > data.jobs.length ? ` (newest ${data.jobs.length} of ${data.total})` : "";
  $("jobs-summary").textContent = data.jobs.length ? parts.join(" · ") + more : "";
}

// --- requests -------------------------------------------------------------------------------------------------------

function statusClass(status) {
  return status === null || status === undefined ? "dropped" : String(status)[0];
}

function requestRow(entry) {
  const response = entry.response || {};
  const status = entry.status === null ? "dropped" : entry.status;
  const row = h(
    "tr",
    { class: "entry", "data-request-id": entry.id, "data-status": entry.status ?? "", title: "show the request and the response" },
    h("td", { class: "num muted", text: entry.id }),
    h("td", { class: "mono", text: moment(entry.time) }),
    h("td", { class: "method", text: entry.method }),
    h("td", { class: "mono ellipsis", title: entry.path, text: entry.path }),
    h("td", { class: "num" }, h("span", { class: "status", "data-class": statusClass(entry.status), text: status }),
      entry.fault ? h("span", { class: "fault-mark", title: `injected fault ${entry.fault}`, text: "fault" }) : null),
    h("td", { class: "num", text: entry.latencyMs === null ? "–" : `${entry.latencyMs.toFixed(1)} ms` }),
    h("td", { text: entry.tenant ?? "–" }),
    h("td", { class: "mono", title: entry.jobId || entry.videoId || "", text: entry.jobId ? shortId(entry.jobId) : entry.videoId ? "video " + shortId(entry.videoId) : "" }),
    h("td", { class: "excerpt", text: response.body ?? "" }),
  );
  row.addEventListener("click", () => {
    ui.openRequest = ui.openRequest === entry.id ? null : entry.id;
    renderRequests(new Set());
  });
  return row;
}

function pretty(value) {
  if (value === null || value === undefined || value === "") return "(none)";
  if (typeof value === "string") {
    try {
      return JSON.stringify(JSON.parse(value), null, 2);
    } catch (_) {
      return value;
    }
  }
  return JSON.stringify(value, null, 2);
}

function detailRow(entry) {
  const response = entry.response || {};
  const headers = Object.entries(response.headers || {}).map(([name, value]) => `${name}: ${value}`).join("\n");
  const query = entry.query ? `?${entry.query}` : "";
  const truncated = response.truncated ? `\n… (${response.bodyBytes} bytes in all)` : "";
  return h(
    "tr",
    { class: "detail", "data-detail-for": entry.id },
    h("td", { colspan: 9 },
      h("div", { class: "detail-grid" },
        h("div", {},
          h("h3", { text: "request" }),
          h("pre", { text: `${entry.method} ${entry.path}${query}\noperation: ${entry.operationId ?? "–"}\ntenant: ${entry.tenant ?? "–"}\n\n${pretty(entry.body)}` })),
        h("div", {},
          h("h3", { text: `response ${entry.status ?? "(connection dropped)"} in ${entry.latencyMs ?? "?"} ms` }),
          h("pre", { text: `${headers}\n\n${pretty(response.body)}${truncated}` })))));
}

function renderRequests(fresh) {
  const body = $("requests-body");
  body.replaceChildren();
  for (const entry of ui.requests) {
    const row = requestRow(entry);
    if (fresh.has(entry.id)) row.classList.add("new");
    body.append(row);
    if (ui.openRequest === entry.id) body.append(detailRow(entry));
  }
  $("requests-empty").hidden = ui.requests.length > 0;
  $("requests-summary").textContent = ui.requests.length ? `latest ${ui.requests.length}, newest first` : "";
}

function filterQuery() {
  const form = $("requests-filters");
  const query = new URLSearchParams();
  for (const name of ["method", "path", "status", "tenant", "since"]) {
    const value = form.elements[name].value.trim();
    if (value) query.set(name, value);
  }
  return query;
}

// One journal fetch at a time (the poll loop and a filter's edit both ask): a second would add the same entries.
function pollRequests() {
  const run = ui.requestsChain.then(fetchRequests);
  ui.requestsChain = run.catch(() => undefined);
  return run;
}

async function fetchRequests() {
  const query = filterQuery();
  const key = query.toString();
  const changed = key !== ui.filterQuery;
  if (changed) {
    ui.filterQuery = key;
    ui.requests = [];
    ui.lastRequestId = 0;
  }
  query.set("limit", String(REQUEST_LIMIT));
  if (ui.lastRequestId) query.set("after", String(ui.lastRequestId));
  let data;
  try {
    data = await api("GET", `/requests?${query}`);
    $("filter-error").textContent = "";
  } catch (error) {
    if (error.status === 400) {
      $("filter-error").textContent = error.message;
      return;
    }
    throw error;
  }
  if (key !== ui.filterQuery) return; // the filter changed while this answer was on its way
  const entries = data.requests.filter((entry) => entry.id > ui.lastRequestId);
  if (entries.length) {
    ui.lastRequestId = Math.max(ui.lastRequestId, ...entries.map((entry) => entry.id));
    ui.requests = entries.slice().reverse().concat(ui.requests).slice(0, REQUEST_LIMIT);
  }
  if (entries.length || changed) renderRequests(changed ? new Set() : new Set(entries.map((entry) => entry.id)));
}

// --- tenants --------------------------------------------------------------------------------------------------------

function renderTenants(data) {
  $("tenants-body").replaceChildren(
    ...data.tenants.map((tenant) =>
      h("tr", { "data-tenant": tenant.name },
        h("td", { text: tenant.name }),
        h("td", { class: "mono muted", title: "the key's last 4 characters", text: `…${tenant.keyHint}` }),
        h("td", { class: "num", "data-testid": "tenant-credits", text: tenant.credits.toLocaleString("en") }))));
  const select = $("requests-filters").elements.tenant;
  const chosen = select.value;
  const names = data.tenants.map((tenant) => tenant.name);
  const current = Array.from(select.options).slice(1).map((option) => option.value);
  if (names.join("\n") !== current.join("\n")) {
    select.replaceChildren(h("option", { value: "", text: "any tenant" }), ...names.map((name) => h("option", { value: name, text: name })));
    select.value = names.includes(chosen) ? chosen : "";
  }
}

// --- faults ---------------------------------------------------------------------------------------------------------

function describeFault(fault) {
  const effects = [];
  if (fault.status !== null) effects.push(`status ${fault.status}` + (fault.retryAfter !== null ? `, Retry-After ${fault.retryAfter} s` : ""));
  if (fault.drop) effects.push(`drop ${fault.drop} handling`);
  if (fault.truncate) effects.push("truncated body");
  if (fault.failureBody) effects.push('200 with result "failure"');
  if (fault.latency) effects.push(`${fault.latency} s late`);
  return effects.join(" + ");
}

function renderFaults(data) {
  $("faults-body").replaceChildren(
    ...data.faults.map((fault) =>
      h("tr", { "data-fault-id": fault.id },
        h("td", { class: "num muted", text: fault.id }),
        h("td", { class: "mono", text: fault.operationId }),
        h("td", { text: describeFault(fault) }),
        h("td", { class: "num", text: fault.count }))));
  $("faults-empty").hidden = data.faults.length > 0;
}

async function addFault(fault) {
  await api("POST", "/faults", fault);
  await poll();
}

function setUpFaults(meta) {
  const known = new Set(meta.operations.map((operation) => operation.operationId));
  $("fault-presets").replaceChildren(
    ...PRESETS.filter((preset) => known.has(preset.fault.operationId)).map((preset) =>
      h("button", {
        type: "button",
        "data-fault": preset.fault.operationId,
        title: JSON.stringify(preset.fault),
        text: preset.label,
        onclick: () => addFault(preset.fault).catch(report),
      })));
  const select = $("fault-form").elements.operationId;
  select.replaceChildren(
    ...meta.operations.map((operation) =>
      h("option", { value: operation.operationId, text: `${operation.method} ${operation.path} (${operation.operationId})` })));
}

function faultFromForm(form) {
  const value = (name) => form.elements[name].value.trim();
  const fault = { operationId: value("operationId"), count: Number(value("count") || 1) };
  const effect = value("effect");
  if (effect === "status") {
    fault.status = Number(value("status"));
    if (value("retryAfter")) fault.retryAfter = Number(value("retryAfter"));
  } else if (effect === "drop-before" || effect === "drop-after") {
    fault.drop = effect.slice(5);
  } else if (effect === "truncate") {
    fault.truncate = true;
  } else if (effect === "failureBody") {
    fault.failureBody = true;
  }
  if (value("latency")) fault.latency = Number(value("latency"));
  return fault;
}

// --- errors (shown only where the simulator counts them) ------------------------------------------------------------

async function pollErrors() {
  if (!ui.errorsEndpoint) return;
  let data;
  try {
    data = await api("GET", "/errors");
  } catch (error) {
    if (error.status === 404 || error.status === 405) {
      ui.errorsEndpoint = false;
      $("errors").hidden = true;
      return;
    }
    throw error;
  }
  let count = data;
  if (data && typeof data === "object") {
    count = data.count ?? data.total ?? (Array.isArray(data.errors) ? data.errors.length : data.errors);
  }
  count = Number(count) || 0;
  $("errors-count").textContent = count;
  $("errors").dataset.nonzero = String(count > 0);
  $("errors").hidden = false;
}

// --- the loop -------------------------------------------------------------------------------------------------------

function report(error) {
  setConnection(false, error.message);
  console.error(error);
}

async function poll() {
  if (ui.polling) return;
  ui.polling = true;
  try {
    const [clock, jobs, tenants, faults] = await Promise.all([
      api("GET", "/clock"),
      api("GET", `/jobs?limit=${JOB_LIMIT}`),
      api("GET", "/tenants"),
      api("GET", "/faults"),
    ]);
    renderClock(clock);
    renderJobs(jobs);
    renderTenants(tenants);
    renderFaults(faults);
    if ($("requests-live").checked) await pollRequests();
    await pollErrors();
    setConnection(true);
  } catch (error) {
    report(error);
  } finally {
    ui.polling = false;
  }
}

function wire() {
  for (const button of $("clock-buttons").querySelectorAll("button[data-seconds]")) {
    button.addEventListener("click", () => advance(Number(button.dataset.seconds)).catch(report));
  }
  $("advance-custom").addEventListener("click", () => advance(Number($("advance-seconds").value)).catch(report));
  $("reset").addEventListener("click", async () => {
    if (!confirm("Reset the simulator: configured tenants and credits, no jobs, faults or journal?")) return;
    await api("POST", "/reset").catch(report);
    ui.requests = [];
    ui.lastRequestId = 0;
    renderRequests(new Set());
    await poll();
  });
  $("jobs-filter").addEventListener("input", () => poll());
  let timer = null;
  $("requests-filters").addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(() => pollRequests().catch(report), 250);
  });
  $("requests-filters").addEventListener("submit", (event) => event.preventDefault());
  $("requests-clear").addEventListener("click", async () => {
    await api("DELETE", "/requests").catch(report);
    ui.requests = [];
    renderRequests(new Set());
  });
  $("faults-clear").addEventListener("click", async () => {
    await api("DELETE", "/faults").catch(report);
    await poll();
  });
  $("fault-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const form = event.currentTarget;
    try {
      await addFault(faultFromForm(form));
      showError(form, null);
    } catch (error) {
      showError(form, error);
    }
  });
  $("tenant-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const form = event.currentTarget;
    const body = { key: form.elements.key.value, credits: Number(form.elements.credits.value) };
    if (form.elements.name.value.trim()) body.name = form.elements.name.value.trim();
    try {
      await api("POST", "/tenants", body);
      form.reset(); // the key leaves the page as soon as it is saved
      showError(form, null);
      await poll();
    } catch (error) {
      showError(form, error);
    }
  });
}

async function start() {
  try {
    ui.meta = await api("GET", "/ui/meta.json");
  } catch (error) {
    report(error);
    setTimeout(start, 2000);
    return;
  }
  const life = ui.meta.lifecycle;
  ui.roles.set(life.initial, "queued");
  ui.roles.set(life.progress, "working");
  ui.roles.set(life.success, "complete");
  for (const state of life.failures) ui.roles.set(state, state.includes("error") ? "error" : "failed");
  setUpFaults(ui.meta);
  await poll();
  setInterval(poll, POLL_MS);
}

wire();
start();
