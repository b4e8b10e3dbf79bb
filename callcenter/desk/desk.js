// The desk's few scripts: the intake form keeps its draft in localStorage, searches the
// knowledge base as the agent types, and shows the deadlines a transfer would get.
"use strict";
(function () {
  const form = document.getElementById("intake");
  if (!form) {
    if (document.body.dataset.page === "case" && document.getElementById("done")) {
      localStorage.removeItem("desk-intake-draft");  // the intake was saved
    }
    return;
  }
  const DRAFT = "desk-intake-draft";
  const kept = ["caller_number", "urgency", "category", "district", "address", "text", "answer", "lead"];

  function save() {
    const draft = {};
    for (const name of kept) draft[name] = form.elements[name].value;
    localStorage.setItem(DRAFT, JSON.stringify(draft));
  }

  function restore() {
    let draft = null;
    try { draft = JSON.parse(localStorage.getItem(DRAFT) || "null"); } catch (e) { draft = null; }
    if (!draft) return;
    for (const name of kept) {
      if (typeof draft[name] === "string") form.elements[name].value = draft[name];
    }
  }

  let searchTimer = null;
  let lastQuery = "";
  function search() {
    const own = document.getElementById("kb-query").value.trim();
    const q = (own || form.elements.text.value.trim()).slice(0, 200);
    if (q === lastQuery) return;
    lastQuery = q;
    fetch("/desk/kb?q=" + encodeURIComponent(q), {credentials: "same-origin"})
      .then((r) => (r.ok ? r.json() : []))
      .then((articles) => { if (q === lastQuery) showArticles(articles); });  // latest only
  }

  function showArticles(articles) {
    const box = document.getElementById("kb-results");
    const chosen = form.querySelector("input[name=article_id]:checked");
    const keep = chosen ? chosen.value : "";
    box.querySelectorAll(".found, .none").forEach((e) => e.remove());
    if (!articles.length && lastQuery) {
      const p = document.createElement("p");
      p.className = "none";
      p.textContent = form.dataset.none;
      box.appendChild(p);
    }
    for (const a of articles) {
      const label = document.createElement("label");
      label.className = "article found";
      const radio = document.createElement("input");
      radio.type = "radio";
      radio.name = "article_id";
      radio.value = a.article_id;
      radio.checked = a.article_id === keep;
      radio.addEventListener("change", () => {
        if (!form.elements.answer.value) form.elements.answer.value = a.body;
      });
      const title = document.createElement("strong");
      title.textContent = a.title;
      const body = document.createElement("span");
      body.textContent = a.body.slice(0, 120);
      label.append(radio, " ", title, " ", body);
      box.appendChild(label);
    }
  }

  // Typing fires one request per key; answers may come back in any order, and only the
  // answer to the latest request may be shown (an older one would show another category's).
  let deadlineAsked = 0;
  function deadline() {
    const category = form.elements.category.value.split(" ")[0];
    if (!category) return;
    const url = "/desk/deadline?category=" + encodeURIComponent(category) +
      "&urgency=" + encodeURIComponent(form.elements.urgency.value);
    const asked = ++deadlineAsked;
    fetch(url, {credentials: "same-origin"}).then((r) => (r.ok ? r.json() : null)).then((d) => {
      if (asked !== deadlineAsked) return;
      document.getElementById("deadline-sign").textContent = d ? d.sign_due : "–";
      document.getElementById("deadline-reply").textContent =
        d ? d.reply_due + " (" + d.days + " " + form.dataset.days + ")" : "–";
    });
  }

  restore();
  const caller = form.elements.caller_number;
  if (caller.dataset.fromCall) {  // opened from the screen pop: this call's number, not a draft's
    caller.value = caller.defaultValue;
    save();
  }
  form.addEventListener("input", (event) => {
    save();
    if (event.target.name === "text" || event.target.id === "kb-query") {
      clearTimeout(searchTimer);
      searchTimer = setTimeout(search, 200);
    }
    if (event.target.name === "category" || event.target.name === "urgency") deadline();
  });
  form.addEventListener("change", (event) => {
    save();
    if (event.target.name === "category" || event.target.name === "urgency") deadline();
  });
  search();
  deadline();
})();

// The seat panel: its state and the screen pop follow the ACD over one event stream.
(function () {
  const panel = document.getElementById("seat-panel");
  if (!panel) return;
  let since = null;
  let offset = 0;  // the engine's clock minus the browser's
  // data-state-not-ready, data-var-id-number... are panel.dataset.stateNotReady, .varIdNumber
  const label = (prefix, name) => panel.dataset[prefix + String(name).replace(/_(.)/g, (_, c) => c.toUpperCase())
    .replace(/^./, (c) => c.toUpperCase())] || name;
  function tick() {
    if (since === null) return;
    const seconds = Math.max(0, Math.floor(Date.now() / 1000 + offset - since));
    const m = Math.floor(seconds / 60);
    const s = String(seconds % 60).padStart(2, "0");
    document.getElementById("in-state").textContent = m + ":" + s;
  }
  function show(id, value) {
    document.getElementById(id).textContent = value == null ? "–" : value;
  }
  function showCases(cases) {
    const list = document.getElementById("pop-cases");
    list.replaceChildren();
    for (const c of cases) {
      const item = document.createElement("li");
      const link = document.createElement("a");
      link.href = "/desk/cases/" + encodeURIComponent(c.case_id);
      link.textContent = c.case_id;
      item.append(link, " " + c.created + " · " + label("status", c.status) + " · " + c.category +
        " · " + c.text);
      list.appendChild(item);
    }
    document.getElementById("pop-no-cases").hidden = cases.length > 0;
    document.getElementById("pop-earlier").hidden = false;
  }
  // The outbound task card: read again at each offer and state change, and every second
  // while the call moves on (the citizen answering changes no seat state).
  const taskCard = document.getElementById("task");
  const taskLabel = (prefix, name) => taskCard.dataset[prefix + String(name).replace(/_(.)/g,
    (_, c) => c.toUpperCase()).replace(/^./, (c) => c.toUpperCase())] || name;
  let taskTimer = null;
  function showTask(task) {
    document.getElementById("task-none").hidden = Boolean(task);
    document.getElementById("task-card").hidden = !task;
    if (!task) return;
    const link = document.getElementById("task-case");
    link.textContent = task.case_id || "–";
    link.href = task.history || "#";
    show("task-kind", taskLabel("kind", task.kind) + " · " + taskLabel("mode", task.mode));
    show("task-category", task.category);
    show("task-text", task.text);
    show("task-number", task.number);
    show("task-attempt", task.attempt);
    show("task-step", taskLabel("step", task.step));
    for (const input of document.querySelectorAll("#task .task-id")) input.value = task.task_id;
    document.getElementById("task-start").hidden = task.step !== "offered";
    document.getElementById("task-result").hidden = task.step !== "talking" && task.step !== "result";
  }
  // A result recorded without the agent (not entered in time, or released by a supervisor).
  function showLapsed(lapsed) {
    const notice = document.getElementById("task-lapsed");
    notice.hidden = !lapsed;
    if (!lapsed) return;
    document.getElementById("task-none").hidden = true;
    const template = lapsed.how === "released" ? notice.dataset.released : notice.dataset.timedOut;
    show("task-lapsed-text", template.replace("{task}", lapsed.task_id));
    notice.title = lapsed.why;
    document.getElementById("task-lapsed-id").value = lapsed.task_id;
  }
  async function loadTask() {
    clearTimeout(taskTimer);
    const reply = await fetch("/desk/seat/task", {credentials: "same-origin"});
    if (!reply.ok) return;
    const {task, lapsed} = await reply.json();
    showTask(task);
    showLapsed(lapsed);
    // every second while the call moves on; while the result waits, slower (it may lapse)
    if (task) taskTimer = setTimeout(loadTask, task.step === "result" ? 5000 : 1000);
  }
  if (taskCard) loadTask();
  const stream = new EventSource("/desk/seat/events");
  stream.onmessage = (message) => {
    const data = JSON.parse(message.data);
    if (taskCard && (data.type === "state" || data.type === "offer")) loadTask();
    if (data.type === "state") {
      panel.dataset.current = data.state;
      show("state", label("state", data.state));
      show("reason", data.state === "not_ready" && data.reason ? label("reason", data.reason) : "");
      since = data.since;
      offset = data.now - Date.now() / 1000;
      tick();
    } else if (data.type === "offer") {
      document.getElementById("pop-none").hidden = true;
      document.getElementById("pop-call").hidden = false;
      show("pop-call-id", data.call_id);
      show("pop-line", data.line);
      show("pop-queue", data.queue);
      show("pop-language", data.language);
      show("pop-waited", data.waited == null ? null : Math.round(data.waited) + " s");
      show("pop-caller", data.caller || null);
      show("pop-ivr", data.ivr_path.length ? data.ivr_path.join(" → ") : null);
      show("pop-keyed", data.ivr_collected.length ?
        data.ivr_collected.map(([name, value]) => label("var", name) + ": " + value).join("; ") : null);
      showCases(data.cases);
      document.getElementById("pop-intake").href = "/desk/intake?" +  // a case for this call
        new URLSearchParams({caller: data.caller || "", call: data.call_id});
      panel.dataset.offer = data.call_id;
    } else if (data.type === "figures") {
      show("fig-calls", data.calls);
      show("fig-aht", data.aht == null ? null : Math.round(data.aht) + " s");
      show("fig-direct", data.direct_rate == null ? null :
        Math.round(data.direct_rate * 100) + "% (" + data.direct + "/" + data.taken + ")");
    } else if (data.type === "offer-ended") {
      show("pop-none", panel.dataset.ended);
      document.getElementById("pop-none").hidden = false;
    }
  };
  setInterval(tick, 1000);
})();

// The supervisors' board: its live part is pushed again, rendered by the server, whenever a
// case or a seat changes; the time each agent has been in their state ticks here.
(function () {
  const live = document.getElementById("board-live");
  if (!live) return;
  let offset = 0;  // the engine's clock minus the browser's
  function tick() {
    const now = Date.now() / 1000 + offset;
    for (const e of live.querySelectorAll("[data-since]")) {
      const seconds = Math.max(0, Math.floor(now - Number(e.dataset.since)));
      e.textContent = Math.floor(seconds / 60) + ":" + String(seconds % 60).padStart(2, "0");
    }
  }
  function sync() {
    const board = live.querySelector(".board");
    if (board) offset = Number(board.dataset.now) - Date.now() / 1000;
    tick();
  }
  const stream = new EventSource("/desk/board/events");
  stream.onmessage = (message) => {
    const data = JSON.parse(message.data);
    if (data.type !== "board") return;
    const focused = document.activeElement && document.activeElement.id;  // keep the keyboard's place
    live.innerHTML = data.html;  // rendered and escaped by the server's template
    if (focused && document.getElementById(focused)) document.getElementById(focused).focus();
    sync();
  };
  sync();
  setInterval(tick, 1000);
})();
