// Live wallboard: renders each snapshot pushed on /wallboard/events (server-sent events) and
// ticks the waiting and in-state times locally between pushes. No reloads, no libraries.
"use strict";

const LANGUAGES = { zh: "Mandarin", en: "English", ja: "Japanese", ko: "Korean", fr: "French",
  de: "German", ru: "Russian" };
const STATES = ["idle", "ringing", "on_call", "wrap_up", "not_ready"];
const STATE_LABELS = { idle: "Idle", ringing: "Ringing", on_call: "On call", wrap_up: "Wrap-up",
  not_ready: "Not ready", logged_out: "Logged out" };
const STALE_AFTER_MS = 25000;

let offset = 0;          // server clock minus browser clock, seconds
let lastMessage = 0;     // browser time of the last event, ms
let snapshot = null;

const $ = (sel) => document.querySelector(sel);
const esc = (s) => String(s ?? "").replace(/[&<>"']/g,
  (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c]));
const serverNow = () => Date.now() / 1000 + offset;
// Times are the center's (its time zone from the snapshot), never the browser's.
const centerTime = (epoch, zone) => new Date(epoch * 1000).toLocaleTimeString("en-GB",
  { hour12: false, timeZone: zone || undefined });
function zoneLabel(zone) {
  try {
    const part = new Intl.DateTimeFormat("en-US", { timeZone: zone, timeZoneName: "shortOffset" })
      .formatToParts(new Date()).find((p) => p.type === "timeZoneName");
    return `${zone} (${part ? part.value : ""})`;
  } catch (err) { return zone; }
}
const pct = (v) => (v === null || v === undefined ? "—" : (v * 100).toFixed(1) + "%");

function duration(seconds) {
  if (seconds === null || seconds === undefined || !isFinite(seconds)) return "—";
  const s = Math.max(0, Math.floor(seconds));
  const h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), r = s % 60;
  const mm = String(m).padStart(2, "0"), ss = String(r).padStart(2, "0");
  return h ? `${h}:${mm}:${ss}` : `${m}:${ss}`;
}

function since(epoch) {
  return epoch === null || epoch === undefined ? null : serverNow() - epoch;
}

function agentsCell(counts) {
  return STATES.map((state) =>
    `<b class="st-${state}" data-state="${state}" title="${STATE_LABELS[state]}">` +
    `${counts[state] || 0}</b>`).join("");
}

function rateCell(value, state, target, cls) {
  return `<td class="rate ${cls} ${state}" data-status="${state}">${pct(value)}` +
    `<small>target ${Math.round(target * 100)}%</small></td>`;
}

function row(item, name, attrs, cls) {
  const t = snapshot.targets;
  const busy = item.waiting > 0 ? " busy" : "";
  const data = Object.entries(attrs).map(([k, v]) => `data-${k}="${esc(v)}"`).join(" ");
  return `<tr class="${cls}" ${data}>` +
    `<td class="name">${name}</td>` +
    `<td class="waiting${busy}">${item.waiting}</td>` +
    `<td class="longest" data-since="${item.waiting_since ?? ""}">—</td>` +
    `<td class="agents">${agentsCell(item.agents)}</td>` +
    `<td class="offered">${item.offered}</td>` +
    `<td class="answered">${item.answered}</td>` +
    `<td class="abandoned">${item.abandoned}</td>` +
    rateCell(item.service_level, item.service_level_status, t.service_level, "sl") +
    rateCell(item.connection_rate, item.connection_rate_status, t.connection_rate, "cr") +
    `<td class="asa">${duration(item.asa)}</td>` +
    `<td class="aht">${duration(item.aht)}</td></tr>`;
}

// One row per language; a language served by several queues gets a row per queue below it.
function boardRows(data) {
  const queues = Object.fromEntries(data.queues.map((q) => [q.name, q]));
  const rows = [];
  for (const lang of data.languages) {
    const label = `${esc(LANGUAGES[lang.language] || lang.language)}`;
    if (lang.queues.length === 1) {
      const q = queues[lang.queues[0]];
      rows.push(row(q, `${label} <small>${esc(q.name)}</small>`,
        { language: lang.language, queue: q.name }, "language"));
      continue;
    }
    rows.push(row(lang, `${label} <small>${lang.queues.length} queues</small>`,
      { language: lang.language }, "language"));
    for (const name of lang.queues) {
      rows.push(row(queues[name], `<small>└</small> ${esc(name)}`, { queue: name }, "queue"));
    }
  }
  return rows.join("");
}

function lineRows(data) {
  const t = data.targets;
  return data.lines.map((l) => `<tr class="line" data-line="${esc(l.line)}">` +
    `<td class="name">${esc(l.line)} <small>${esc(l.name)}</small></td>` +
    `<td class="arrived">${l.arrived}</td><td class="offered">${l.offered}</td>` +
    `<td class="answered">${l.answered}</td><td class="abandoned">${l.abandoned}</td>` +
    rateCell(l.service_level, l.service_level_status, t.service_level, "sl") +
    rateCell(l.connection_rate, l.connection_rate_status, t.connection_rate, "cr") +
    `<td class="self_service">${l.self_service}</td>` +
    `<td class="ivr_abandoned">${l.ivr_abandoned}</td>` +
    `<td class="ivr_transferred">${l.ivr_transferred}</td><td class="lost">${l.lost}</td></tr>`
  ).join("");
}

function agentTile(a) {
  const reason = a.state === "not_ready" && a.reason ? ` (${esc(a.reason)})` : "";
  const call = a.line || a.language
    ? `${esc(a.line || "?")} · ${esc(LANGUAGES[a.language] || a.language || "?")}` : "";
  return `<div class="agent st-${esc(a.state)}" data-agent="${esc(a.agent_id)}" data-state="${esc(a.state)}">` +
    `<div class="who">${esc(a.name || a.agent_id)} <small>${esc(a.agent_id)}</small></div>` +
    `<div class="what"><span class="state">${STATE_LABELS[a.state] || esc(a.state)}${reason}</span>` +
    `<span class="in-state" data-since="${a.since ?? ""}">—</span></div>` +
    `<div class="call">${call}</div></div>`;
}

function render(data) {
  snapshot = data;
  $("#center").textContent = data.center;
  const since = data.counts_since ? centerTime(data.counts_since, data.timezone).slice(0, 5) : "?";
  $("#tz").textContent = zoneLabel(data.timezone);
  $("#definition").textContent = `Today's counts since ${since}. ${data.definition}. ` +
    `Alerts once a queue has counted ${data.alert_min_calls} calls today.`;
  document.querySelectorAll(".sl-head").forEach((th) => {
    th.textContent = `Answered in ${data.threshold_seconds} s`;
  });
  $("#board tbody").innerHTML = boardRows(data);
  $("#lines tbody").innerHTML = lineRows(data);
  const loggedIn = data.agents.filter((a) => a.state !== "logged_out");
  $("#agent-summary").textContent = `${loggedIn.length} logged in of ${data.agents.length}`;
  $("#agents").innerHTML = loggedIn.map(agentTile).join("");
  const banner = $("#banner");
  if (data.alerts.length) {
    banner.innerHTML = data.alerts.map((a) => `<div class="${esc(a.severity)}">${esc(a.text)}</div>`).join("");
    banner.className = data.alerts.some((a) => a.severity === "red") ? "red" : "amber";
    banner.hidden = false;
  } else {
    banner.hidden = true;
    banner.innerHTML = "";
  }
  tick();
}

function tick() {
  const now = serverNow();
  $("#clock").textContent = centerTime(now, snapshot && snapshot.timezone);
  const threshold = snapshot ? snapshot.threshold_seconds : 15;
  document.querySelectorAll("[data-since]").forEach((el) => {
    const epoch = el.dataset.since === "" ? null : Number(el.dataset.since);
    const s = since(epoch);
    el.textContent = duration(s);
    if (el.classList.contains("longest")) el.classList.toggle("over", s !== null && s > threshold);
  });
  const link = $("#link");
  if (lastMessage && Date.now() - lastMessage > STALE_AFTER_MS) {
    link.textContent = "STALE";
    link.className = "link-down";
  }
}

function heard(serverTime, zone) {
  offset = serverTime - Date.now() / 1000;
  lastMessage = Date.now();
  const link = $("#link");
  link.textContent = "LIVE";
  link.className = "link-up";
  $("#updated").textContent = "updated " + centerTime(serverTime, zone || (snapshot && snapshot.timezone));
}

function connect() {
  const source = new EventSource("/wallboard/events");
  source.addEventListener("snapshot", (e) => {
    const data = JSON.parse(e.data);
    heard(data.server_time, data.timezone);
    render(data);
  });
  source.addEventListener("heartbeat", (e) => heard(JSON.parse(e.data).server_time));
  source.onerror = async () => {
    const link = $("#link");
    link.textContent = "RECONNECTING";
    link.className = "link-down";
    try {  // signed out (token changed)? Then go to the sign-in form; otherwise keep retrying.
      const r = await fetch("/wallboard/snapshot", { credentials: "same-origin" });
      if (r.status === 401) window.location.assign("/login?next=/wallboard");
    } catch (err) { /* engine down: EventSource retries on its own */ }
  };
}

setInterval(tick, 1000);
connect();
