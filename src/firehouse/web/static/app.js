// Progressive enhancement only: every page works without this file.
"use strict";

function localTimes(root) {
  for (const el of root.querySelectorAll("time[datetime]")) {
    const when = new Date(el.getAttribute("datetime"));
    if (!Number.isNaN(when.getTime())) el.title = when.toLocaleString();
  }
}

// Live updates: the server says what changed (topic, id); the page re-fetches itself and swaps
// in every [data-live] element that listens for that topic, so typing in a form is not lost.
function liveTopics(el) {
  return (el.getAttribute("data-live") || "").split(/\s+/).filter(Boolean);
}

function matches(el, event) {
  return liveTopics(el).some((t) => t === event.topic || t === `${event.topic}:${event.id}`);
}

let pending = null;
let refreshing = false;
const wanted = new Set();

async function refresh() {
  if (refreshing) { pending = pending || setTimeout(flush, 300); return; }
  refreshing = true;
  const ids = Array.from(wanted);
  wanted.clear();
  try {
    const response = await fetch(window.location.href, { headers: { Accept: "text/html" }, credentials: "same-origin" });
    if (!response.ok || response.redirected) return;
    const doc = new DOMParser().parseFromString(await response.text(), "text/html");
    for (const id of ids) {
      const fresh = doc.getElementById(id);
      const old = document.getElementById(id);
      if (fresh && old && !old.contains(document.activeElement)) {
        old.replaceWith(document.importNode(fresh, true));
      }
    }
    localTimes(document);
    const status = document.getElementById("live-status");
    if (status) status.textContent = "Updated " + new Date().toLocaleTimeString();
    document.body.setAttribute("data-live-updated", String(Date.now()));
  } finally {
    refreshing = false;
  }
}

function flush() { pending = null; refresh(); }

function onLiveEvent(message) {
  let event;
  try { event = JSON.parse(message.data); } catch { return; }
  for (const el of document.querySelectorAll("[data-live][id]")) {
    if (matches(el, event)) wanted.add(el.id);
  }
  if (wanted.size && !pending) pending = setTimeout(flush, 150);
}

function connectLive() {
  const url = document.body.getAttribute("data-live-url");
  if (!url || !window.EventSource || !document.querySelector("[data-live]")) return;
  const source = new EventSource(url);
  const topics = new Set();
  for (const el of document.querySelectorAll("[data-live]")) {
    for (const t of liveTopics(el)) topics.add(t.split(":")[0]);
  }
  for (const topic of topics) source.addEventListener(topic, onLiveEvent);
  // The stream ends every few minutes and with every server restart; what changed while it was
  // down was sent to nobody. So each reconnection refreshes every live part of the page once,
  // a tab or so at a time (the jitter) when a restart reconnects them all together.
  let opened = false;
  source.addEventListener("open", () => {
    document.body.setAttribute("data-live-connected", "true");
    if (opened) {
      for (const el of document.querySelectorAll("[data-live][id]")) wanted.add(el.id);
      if (wanted.size && !pending) pending = setTimeout(flush, 150 + Math.random() * 1000);
    }
    opened = true;
  });
}

// Markdown preview: the server renders (and sanitizes) exactly what the timeline will show.
function setupPreview() {
  for (const button of document.querySelectorAll("[data-preview-for]")) {
    button.addEventListener("click", async () => {
      const area = document.getElementById(button.getAttribute("data-preview-for"));
      const target = document.getElementById(area.getAttribute("data-preview"));
      const form = area.closest("form");
      const body = new URLSearchParams();
      body.set("body", area.value);
      body.set("csrf_token", form.querySelector("[name=csrf_token]").value);
      const response = await fetch("/preview", { method: "POST", body, credentials: "same-origin" });
      target.innerHTML = response.ok ? await response.text() : "<p>Preview failed.</p>";
      target.hidden = false;
    });
  }
}

function setupCopy() {
  for (const button of document.querySelectorAll("[data-copy]")) {
    button.addEventListener("click", () => {
      const el = document.getElementById(button.getAttribute("data-copy"));
      if (el && navigator.clipboard) navigator.clipboard.writeText(el.textContent.trim());
    });
  }
}

document.addEventListener("DOMContentLoaded", () => {
  document.documentElement.classList.add("js");
  localTimes(document);
  setupPreview();
  setupCopy();
  connectLive();
});
