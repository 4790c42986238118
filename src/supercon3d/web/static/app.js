// The page: three tabs over the JSON API (/api/...), nothing else.
"use strict";

const $ = (selector) => document.querySelector(selector);
const CONCURRENT_UPLOADS = 2;
const PAGE_ROWS = 50;
const POLL_MS = 3000;
const escapeHtml = (v) => String(v ?? "").replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c]));
const number = (v, digits = 1) => (v === null || v === undefined ? "–" : Number(v).toFixed(digits));

async function api(path, options = {}) {
  const response = await fetch(path, { credentials: "same-origin", ...options });
  if (!response.ok) {
    let detail = response.statusText;
    try { detail = (await response.json()).detail ?? detail; } catch (e) { /* not JSON */ }
    throw new Error(typeof detail === "string" ? detail : JSON.stringify(detail));
  }
  return response;
}

function download(blob, name) {
  const link = document.createElement("a");
  link.href = URL.createObjectURL(blob); link.download = name;
  document.body.appendChild(link); link.click(); link.remove();
}

// ---- tabs
for (const tab of document.querySelectorAll(".tab")) {
  tab.addEventListener("click", () => {
    document.querySelectorAll(".tab, .panel").forEach((e) => e.classList.remove("active"));
    tab.classList.add("active");
    $("#" + tab.dataset.tab).classList.add("active");
    if (tab.dataset.tab === "screen") loadDatabases();
    if (tab.dataset.tab === "discover") pollRuns();
  });
}

// ---- the structure view
const viewer = new StructureViewer($("#canvas"));
$("#viewer-close").addEventListener("click", () => { $("#viewer").hidden = true; });

async function openStructure(request, title) {
  $("#viewer").hidden = false;
  $("#viewer-title").textContent = `${title} (loading…)`;
  $("#viewer-error").textContent = "";
  let view;
  try { view = await (await request()).json(); } catch (error) {
    $("#viewer-title").textContent = title; $("#viewer-error").textContent = error.message; return;
  }
  $("#viewer-title").textContent = `${view.name} ${view.formula ? "– " + view.formula : ""}`;
  $("#viewer-error").textContent = view.error || "";
  viewer.show(view);
  $("#legend").innerHTML = view.sites.length ? legendHtml(view) : "";
  $("#sites tbody").innerHTML = view.sites.map((s, i) => `<tr><td>${i}</td><td>${escapeHtml(Object.entries(s.species).map(([e, a]) => (a === 1 ? e : `${e}:${a}`)).join(" "))}</td>`
    + `<td class="n">${number(Object.values(s.species).reduce((x, y) => x + y, 0), 3)}</td><td class="n">${number(s.importance_percent)}</td></tr>`).join("");
  $("#nearest tbody").innerHTML = view.nearest_known.map((k) => `<tr><td>${escapeHtml(k.formula)}</td><td class="n">${number(k.reported_tc_kelvin)}</td></tr>`).join("");
  $("#cif").textContent = view.cif || "";
}

// ---- predict
const records = [];   // in the order they arrived
const sources = [];   // per record: the file (and zip member) it came from
let pending = 0;

function interval(r) {
  return r.tc_low_kelvin === null || r.tc_low_kelvin === undefined ? "–" : `${number(r.tc_low_kelvin)}–${number(r.tc_high_kelvin)}`;
}

function addRow(record, source) {
  records.push(record); sources.push(source);
  const row = document.createElement("tr");
  if (record.error) {
    row.className = "failed";
    row.innerHTML = `<td>${escapeHtml(record.file)}</td><td colspan="8"></td><td>${escapeHtml(record.error)}</td>`;
  } else {
    const far = record.in_domain === false
      ? ` <span title="far from the training compositions (novelty ${number(record.novelty, 2)}): expect larger errors">*</span>` : "";
    row.innerHTML = `<td>${escapeHtml(record.file)}</td><td>${escapeHtml(record.formula)}${far}</td><td>${escapeHtml(record.disorder_class)}</td>`
      + `<td>${escapeHtml(record.family)}</td><td>${record.high_pressure_hydride ? "HP" : ""}</td>`
      + `<td class="n">${number(record.p_superconductor, 2)}</td><td class="n">${number(record.tc_kelvin)}</td>`
      + `<td class="n">${interval(record)}</td><td title="${escapeHtml((record.warnings || []).join("\n"))}">${(record.warnings || []).length || ""}</td><td></td>`;
  }
  row.addEventListener("click", () => openStructure(() => {
    const form = new FormData();
    form.append("file", source.file, source.file.name);
    if (source.member) form.append("member", source.member);
    return api("/api/structure", { method: "POST", body: form });
  }, record.file));
  $("#predictions tbody").appendChild(row);
  $("#export-csv").disabled = $("#export-json").disabled = false;
}

function status() {
  $("#predict-status").textContent = pending ? `predicting… ${pending} request(s) waiting` : `${records.length} structure(s)`;
}

async function predictFile(file) {
  const form = new FormData();
  form.append("files", file, file.name);
  pending++; status();
  try {
    const answer = await (await api("/api/predict", { method: "POST", body: form })).json();
    const zip = answer.length > 1 || /\.zip$/i.test(file.name);
    for (const record of answer) addRow(record, { file, member: zip ? record.file : null });
  } catch (error) {
    addRow({ file: file.name, error: `${file.name}: ${error.message}` }, { file });
  } finally { pending--; status(); }
}

async function predictFiles(files) {
  const queue = [...files];
  const worker = async () => { while (queue.length) await predictFile(queue.shift()); };
  await Promise.all(Array.from({ length: CONCURRENT_UPLOADS }, worker));
}

const drop = $("#drop");
drop.addEventListener("dragover", (e) => { e.preventDefault(); drop.classList.add("over"); });
drop.addEventListener("dragleave", () => drop.classList.remove("over"));
drop.addEventListener("drop", (e) => { e.preventDefault(); drop.classList.remove("over"); predictFiles(e.dataTransfer.files); });
$("#files").addEventListener("change", (e) => { predictFiles(e.target.files); e.target.value = ""; });
$("#paste-go").addEventListener("click", () => {
  const text = $("#paste").value;
  if (text.trim()) predictFiles([new File([text], "pasted.cif", { type: "chemical/x-cif" })]);
});
$("#clear").addEventListener("click", () => { records.length = 0; sources.length = 0; $("#predictions tbody").innerHTML = ""; status(); });
for (const format of ["csv", "json"]) {
  $(`#export-${format}`).addEventListener("click", async () => {
    const response = await api(`/api/predict/export?format=${format}`, {
      method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(records),
    });
    download(await response.blob(), `supercon3d-predictions.${format}`);
  });
}

// ---- screening databases
const SCREEN_COLUMNS = [
  ["name", "name"], ["reduced_formula", "formula"], ["disorder_class", "class"], ["family", "family"],
  ["stage", "stage"], ["p_superconductor", "P(SC)"], ["tc_kelvin", "Tc (K)"], ["tc_low_kelvin", "low (K)"],
  ["tc_high_kelvin", "high (K)"], ["reported_tc_kelvin", "reported Tc (K)"], ["related_superconductors", "related"],
];
const screen = { sort: "tc_kelvin", descending: true, offset: 0, total: 0, loaded: false };

async function loadDatabases() {
  if (screen.loaded || !$("#db")) return;
  screen.loaded = true;
  const list = await (await api("/api/databases")).json();
  $("#db").innerHTML = list.map((d) => `<option value="${d.index}">${escapeHtml(d.name)} (${d.rows} rows${d.error ? ", " + escapeHtml(d.error) : ""})</option>`).join("");
  $("#screen-rows thead").innerHTML = "<tr>" + SCREEN_COLUMNS.map(([c, t]) => `<th data-column="${c}">${t}</th>`).join("") + "</tr>";
  for (const th of document.querySelectorAll("#screen-rows th")) {
    th.addEventListener("click", () => {
      screen.descending = screen.sort === th.dataset.column ? !screen.descending : true;
      screen.sort = th.dataset.column; screen.offset = 0; loadRows();
    });
  }
  loadRows();
}

function screenQuery() {
  const form = new FormData($("#screen-filters"));
  const query = new URLSearchParams();
  for (const key of ["family", "disorder_class", "elements", "without"]) {
    for (const value of String(form.get(key) || "").split(/[\s,]+/).filter(Boolean)) query.append(key, value);
  }
  for (const key of ["stage", "p_min", "tc_min", "tc_max", "known"]) if (form.get(key)) query.set(key, form.get(key));
  query.set("sort", screen.sort); query.set("descending", screen.descending);
  return query;
}

async function loadRows() {
  const db = $("#db").value;
  const query = screenQuery();
  $("#screen-export").href = `/api/databases/${db}/export?${query}`;
  query.set("offset", screen.offset); query.set("limit", PAGE_ROWS);
  try {
    const page = await (await api(`/api/databases/${db}/rows?${query}`)).json();
    screen.total = page.total;
    const last = Math.min(page.offset + page.rows.length, page.total);
    $("#screen-status").textContent = `${page.total ? page.offset + 1 : 0}–${last} of ${page.total} rows, by ${screen.sort} ${screen.descending ? "↓" : "↑"}`;
    const body = $("#screen-rows tbody");
    body.innerHTML = "";
    for (const row of page.rows) {
      const tr = document.createElement("tr");
      tr.innerHTML = SCREEN_COLUMNS.map(([c]) => (typeof row[c] === "number" ? `<td class="n">${number(row[c], c === "p_superconductor" ? 2 : c === "stage" ? 0 : 1)}</td>` : `<td>${escapeHtml(row[c])}</td>`)).join("");
      tr.addEventListener("click", () => openStructure(() => api(`/api/databases/${db}/structure?id=${encodeURIComponent(row.id)}`), row.name));
      body.appendChild(tr);
    }
  } catch (error) { $("#screen-status").textContent = error.message; }
}

if ($("#screen-filters")) {
  $("#screen-filters").addEventListener("submit", (e) => { e.preventDefault(); screen.offset = 0; loadRows(); });
  $("#db").addEventListener("change", () => { screen.offset = 0; loadRows(); });
  $("#prev").addEventListener("click", () => { screen.offset = Math.max(0, screen.offset - PAGE_ROWS); loadRows(); });
  $("#next").addEventListener("click", () => { if (screen.offset + PAGE_ROWS < screen.total) { screen.offset += PAGE_ROWS; loadRows(); } });
}

// ---- discovery runs
const compared = new Set();
let polling = null;

function stagesText(run) {
  return run.stages.map((s) => `${s.name} ${s.n_out}/${s.n_in}`).join(" → ") || "–";
}

function renderCompare(runs) {
  const chosen = runs.filter((r) => compared.has(r.name));
  if (!chosen.length) { $("#compare").innerHTML = "<tr><td>tick runs to compare them</td></tr>"; return; }
  const stageNames = [...new Set(chosen.flatMap((r) => r.stages.map((s) => s.name)))];
  const countNames = [...new Set(chosen.flatMap((r) => Object.keys(r.counts)))];
  const rows = [["run", ...chosen.map((r) => escapeHtml(r.name))]];
  for (const name of stageNames) rows.push([`kept after ${name}`, ...chosen.map((r) => (r.stages.find((s) => s.name === name) || {}).n_out ?? "–")]);
  rows.push(["SUN rate", ...chosen.map((r) => (r.sun_rate === null ? "–" : (100 * r.sun_rate).toFixed(1) + " %"))]);
  for (const name of countNames) rows.push([`${name} candidates`, ...chosen.map((r) => r.counts[name] ?? "–")]);
  $("#compare").innerHTML = rows.map((cells, i) => "<tr>" + cells.map((c, j) => (i === 0 || j === 0 ? `<th>${c}</th>` : `<td class="n">${c}</td>`)).join("") + "</tr>").join("");
}

async function showRun(run) {
  $("#run-log").textContent = (run.log || []).join("\n");
  const parts = [];
  for (const table of ["ordered", "disordered"]) {
    const rows = await (await api(`/api/runs/${encodeURIComponent(run.name)}/candidates/${table}`)).json();
    const columns = rows.length ? Object.keys(rows[0]).slice(0, 12) : [];
    parts.push(`<h4>${escapeHtml(run.name)}: ${table} candidates (${rows.length})</h4>`
      + (rows.length ? `<table class="data small"><tr>${columns.map((c) => `<th>${escapeHtml(c)}</th>`).join("")}</tr>`
        + rows.map((r) => `<tr>${columns.map((c) => `<td>${escapeHtml(typeof r[c] === "number" ? number(r[c], 2) : r[c])}</td>`).join("")}</tr>`).join("") + "</table>" : ""));
  }
  $("#candidates").innerHTML = parts.join("");
}

async function pollRuns() {
  if (!$("#runs")) return;
  clearTimeout(polling);
  try {
    const runs = await (await api("/api/runs")).json();
    $("#runs tbody").innerHTML = runs.map((r) => `<tr data-run="${escapeHtml(r.name)}"><td><input type="checkbox" ${compared.has(r.name) ? "checked" : ""}></td>`
      + `<td>${escapeHtml(r.name)}</td><td>${escapeHtml(r.status)}${r.error ? ": " + escapeHtml(r.error) : ""}</td><td>${escapeHtml(stagesText(r))}</td>`
      + `<td class="n">${r.sun_rate === null ? "–" : (100 * r.sun_rate).toFixed(1) + " %"}</td>`
      + `<td>${escapeHtml(Object.entries(r.counts).map(([k, v]) => `${k} ${v}`).join(", "))}</td>`
      + `<td>${r.report ? `<a href="/runs/${encodeURIComponent(r.name)}/report.html" target="_blank">report</a>` : ""}</td></tr>`).join("");
    for (const tr of document.querySelectorAll("#runs tbody tr")) {
      const name = tr.dataset.run;
      tr.querySelector("input").addEventListener("change", (e) => { e.target.checked ? compared.add(name) : compared.delete(name); renderCompare(runs); });
      tr.addEventListener("click", (e) => { if (e.target.tagName !== "INPUT" && e.target.tagName !== "A") showRun(runs.find((r) => r.name === name)); });
    }
    renderCompare(runs);
    if (runs.some((r) => r.status === "running")) polling = setTimeout(pollRuns, POLL_MS);
  } catch (error) { $("#discover-status").textContent = error.message; }
}

if ($("#discover-form")) {
  $("#discover-form").addEventListener("submit", async (e) => {
    e.preventDefault();
    const form = new FormData(e.target);
    const body = { name: form.get("name"), quick: form.get("quick") === "true", seed: form.get("seed") ? Number(form.get("seed")) : null };
    try {
      await api("/api/runs", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
      $("#discover-status").textContent = `started ${body.name}`;
    } catch (error) { $("#discover-status").textContent = error.message; }
    pollRuns();
  });
}
status();
