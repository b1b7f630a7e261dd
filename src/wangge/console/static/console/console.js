/* The command-centre console: map (Leaflet, no tiles), charts (ECharts),
   live refresh (htmx polling), export links. No bundler: plain browser JS.

   Live refresh: the feed polls /console/feed/?after=<last event id> every
   few seconds (htmx `every Ns`); when something new arrives the server adds
   `HX-Trigger: cases-changed`, and the queue, the map's counts and the
   charts reload. Polling pauses after a stretch without input (so an idle
   console still reaches the session's idle timeout) and while the tab is
   hidden; any key, click or mouse move resumes it. */
(function () {
  "use strict";

  const root = () => document.getElementById("console");
  const cfg = {};
  let lastInput = Date.now();
  let hiddenSince = null;

  // ------------------------------------------------------------ live refresh
  function idleLimit() { return (cfg.idle || 600) * 1000; }
  window.wgLive = function () {
    const store = window.Alpine && Alpine.store("live");
    const paused = document.hidden || Date.now() - lastInput > idleLimit();
    if (store) store.paused = paused && !document.hidden;
    return !paused;
  };
  window.wgFeedAfter = function () {
    const first = document.querySelector("#feed > li[data-id]");
    return first ? first.dataset.id : 0;
  };
  function touched() {
    const wasPaused = Date.now() - lastInput > idleLimit();
    lastInput = Date.now();
    if (wasPaused) resume();
  }
  function resume() {
    lastInput = Date.now();
    const store = window.Alpine && Alpine.store("live");
    if (store) store.paused = false;
    const feed = document.getElementById("feed");
    if (feed && window.htmx) htmx.ajax("GET", feed.getAttribute("hx-get") + "?after=" + wgFeedAfter(), { target: feed, swap: "afterbegin", headers: { "X-Wangge-Background": "1" } });
    document.body.dispatchEvent(new CustomEvent("cases-changed"));
  }
  ["keydown", "mousedown", "mousemove", "wheel", "touchstart"].forEach((t) =>
    document.addEventListener(t, touched, { passive: true, capture: true }));
  document.addEventListener("visibilitychange", () => {
    if (document.hidden) { hiddenSince = Date.now(); return; }
    if (hiddenSince && Date.now() - hiddenSince > (cfg.poll || 5) * 1000) resume();
    hiddenSince = null;
  });
  document.addEventListener("alpine:init", () => {
    Alpine.store("live", { paused: false, resume() { resume(); } });
  });

  // Keep the feed short.
  document.addEventListener("htmx:afterSwap", (ev) => {
    if (ev.detail.target && ev.detail.target.id === "feed") {
      const items = ev.detail.target.querySelectorAll("li");
      for (let i = 60; i < items.length; i++) items[i].remove();
    }
  });

  // ------------------------------------------------------------ filters
  function form() { return document.getElementById("filters"); }
  function params(extra) {
    const data = new FormData(form());
    const p = new URLSearchParams();
    for (const [k, v] of data.entries()) if (v !== "" && k !== "csrfmiddlewaretoken") p.append(k, v);
    if (extra) for (const k in extra) p.set(k, extra[k]);
    return p;
  }
  function updateExportLink() {
    const a = document.querySelector("[data-export-link]");
    if (a) a.href = cfg.exportUrl + "?" + params().toString();
  }

  // ------------------------------------------------------------ map
  const map = { leaflet: null, layer: null, outline: null, points: null, areaId: null, level: "", data: null, counts: {} };
  const FILLS = [[10, "#f87171"], [3, "#fdba74"], [1, "#fde68a"], [0, "#dcfce7"]];
  function fill(n) { for (const [min, c] of FILLS) if (n >= min) return c; return "#dcfce7"; }
  function url(template, id) { return template.replace(/\/0\//, "/" + id + "/"); }

  function styleFor(f) {
    const c = map.counts[f.properties.id] || [0, 0, 0];
    return {
      color: c[2] > 0 ? "#b91c1c" : "#475569",
      weight: c[2] > 0 ? 3 : 1,
      fillColor: fill(c[0]),
      fillOpacity: 0.75,
    };
  }

  function drawCrumbs(data) {
    const nav = document.querySelector("[data-crumbs]");
    nav.textContent = "";
    data.breadcrumb.forEach((a) => {
      if (a.visible) {
        const b = document.createElement("button");
        b.type = "button"; b.className = "c-link"; b.textContent = a.name;
        b.addEventListener("click", () => setArea(a.id));
        nav.appendChild(b);
      } else {
        const s = document.createElement("span"); s.textContent = a.name; nav.appendChild(s);
      }
      nav.appendChild(document.createTextNode(" › "));
    });
    const cur = document.createElement("strong");
    cur.textContent = data.area.name; cur.dataset.testid = "map-area";
    cur.setAttribute("data-testid", "map-area");
    nav.appendChild(cur);
    const sel = document.querySelector("[data-level]");
    sel.textContent = "";
    data.levels.forEach((lv) => {
      const o = document.createElement("option");
      o.value = lv.value; o.textContent = lv.label; o.selected = lv.value === data.level;
      sel.appendChild(o);
    });
    sel.disabled = data.levels.length < 2;
  }

  // Names (and counts) sit on the map when there are few areas; with many,
  // they show on hover.
  const LABEL_MAX = 40;
  function tipText(f, short) {
    const c = map.counts[f.properties.id] || [0, 0, 0];
    const esc = (t) => t.replace(/[&<>]/g, (ch) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;" })[ch]);
    if (short) return `${esc(f.properties.name)}<br><b>${c[0]}</b>${c[2] ? ` <span class="c-map-red">超期 ${c[2]}</span>` : ""}`;
    return `${esc(f.properties.name)}<br>在办 ${c[0]} · 黄灯 ${c[1]} · 超期 ${c[2]}`;
  }

  function drawShapes(data) {
    const m = map.leaflet;
    const permanent = data.features.length <= LABEL_MAX;
    if (map.layer) m.removeLayer(map.layer);
    if (map.outline) m.removeLayer(map.outline);
    map.outline = data.outline ? L.geoJSON(data.outline, { style: { color: "#b91c1c", weight: 3, fill: false }, interactive: false }).addTo(m) : null;
    const drillable = data.levels.length > 1 || data.level !== "micro_grid";
    map.layer = L.geoJSON({ type: "FeatureCollection", features: data.features }, {
      style: styleFor,
      onEachFeature: (f, layer) => {
        layer.on("click", () => { if (drillable) setArea(f.properties.id); });
        layer.bindTooltip(() => tipText(f, permanent), permanent
          ? { permanent: true, direction: "center", className: "c-map-label", interactive: false }
          : { sticky: true });
      },
    }).addTo(m);
    const b = (map.outline || map.layer).getBounds();
    if (b.isValid()) m.fitBounds(b, { padding: [8, 8], animate: false });
  }

  function drawCounts(counts) {
    map.counts = counts.counts || {};
    if (map.layer) {
      map.layer.setStyle(styleFor);
      map.layer.eachLayer((l) => { const t = l.getTooltip(); if (t) t.update(); });
    }
    if (map.points) map.leaflet.removeLayer(map.points);
    map.points = L.layerGroup((counts.points || []).map((p) => {
      const color = p.alert === "red" ? "#b91c1c" : p.alert === "yellow" ? "#d97706" : "#2563eb";
      const mk = L.circleMarker([p.lat, p.lng], { radius: 6, color: "#fff", weight: 1, fillColor: color, fillOpacity: 1 });
      mk.bindTooltip(p.category);
      mk.on("click", () => htmx.ajax("GET", url(cfg.caseUrl, p.id), { target: "#panel" }));
      return mk;
    })).addTo(map.leaflet);
    const sum = document.querySelector("[data-map-sum]");
    if (sum) sum.textContent = `${counts.open ? "在办 " + counts.open + " 件" : "在办工单已清零"}${counts.red ? "，其中超期 " + counts.red + " 件" : ""}`;
  }

  async function getJSON(u) {
    const r = await fetch(u, { credentials: "same-origin", headers: { "X-Wangge-Background": "1" } });
    if (r.status === 401) { window.location = "/accounts/login/?next=/console/"; throw new Error("401"); }
    if (!r.ok) throw new Error(r.status + " " + u);
    return r.json();
  }

  async function loadMap(areaId, level) {
    const el = document.getElementById("map");
    el.dataset.ready = "0";
    const t0 = performance.now();
    const q = level ? "?level=" + encodeURIComponent(level) : "";
    const shapes = await getJSON(url(cfg.shapesUrl, areaId) + q);
    const counts = await getJSON(url(cfg.countsUrl, areaId) + "?" + params({ level: shapes.level }).toString());
    map.areaId = areaId; map.level = shapes.level; map.data = shapes;
    drawCrumbs(shapes);
    map.counts = counts.counts || {};
    drawShapes(shapes);
    drawCounts(counts);
    await new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)));
    el.dataset.drawMs = String(Math.round(performance.now() - t0));
    el.dataset.features = String(shapes.features.length);
    el.dataset.area = String(areaId);
    el.dataset.level = shapes.level;
    el.dataset.ready = "1";
  }

  async function refreshCounts() {
    if (!map.areaId) return;
    const counts = await getJSON(url(cfg.countsUrl, map.areaId) + "?" + params({ level: map.level }).toString());
    drawCounts(counts);
  }

  function setArea(id) {
    document.getElementById("f-area").value = String(id);
    loadMap(id, "").catch(console.error);
    htmx.trigger(form(), "change");
  }
  window.wgSetArea = setArea;
  // For tests and the benchmark: where on the page a place or an area is.
  window.wgConsole = {
    map,
    load: (id, level) => loadMap(id, level),
    pagePoint(lng, lat) {
      const p = map.leaflet.latLngToContainerPoint([lat, lng]);
      const box = document.getElementById("map").getBoundingClientRect();
      return { x: box.left + p.x, y: box.top + p.y };
    },
    areaPoint(id) {
      let found = null;
      map.layer.eachLayer((l) => { if (l.feature.properties.id === id) found = l; });
      if (!found) return null;
      const c = found.getBounds().getCenter();
      return this.pagePoint(c.lng, c.lat);
    },
  };

  // ------------------------------------------------------------ charts
  const charts = {};
  const pct = (v) => (v === null || v === undefined ? "—" : (v * 100).toFixed(1) + "%");
  const axisLabel = { interval: 0, rotate: 30, fontSize: 11 };

  function chart(name) {
    if (!charts[name]) {
      const el = document.querySelector(`[data-chart="${name}"]`);
      charts[name] = echarts.init(el, null, { renderer: "canvas" });
    }
    return charts[name];
  }

  async function loadCharts() {
    const el = document.querySelector(".c-charts");
    el.dataset.ready = "0";
    const d = await getJSON(cfg.chartsUrl + "?" + params().toString());
    const grid = { left: 40, right: 12, top: 28, bottom: 56 };
    chart("per_day").setOption({
      tooltip: { trigger: "axis" }, legend: { top: 0 }, grid,
      xAxis: { type: "category", data: d.per_day.days.map((x) => x.slice(5)) },
      yAxis: { type: "value", minInterval: 1 },
      series: [
        { name: "上报", type: "bar", data: d.per_day.reported, itemStyle: { color: "#b91c1c" } },
        { name: "结案", type: "line", data: d.per_day.closed, itemStyle: { color: "#2563eb" } },
      ],
    }, true);
    chart("by_category").setOption({
      tooltip: { trigger: "item" },
      series: [{ type: "pie", radius: ["35%", "65%"], label: { fontSize: 11 },
        data: d.by_category.slice(0, 10).map((c) => ({ name: c.name, value: c.n })) }],
    }, true);
    chart("by_area").setOption({
      tooltip: { trigger: "axis" }, legend: { top: 0 }, grid,
      xAxis: { type: "category", data: d.by_area.map((a) => a.name), axisLabel },
      yAxis: { type: "value", minInterval: 1 },
      series: [
        { name: "在办", type: "bar", stack: "n", data: d.by_area.map((a) => a.open), itemStyle: { color: "#f59e0b" } },
        { name: "已结", type: "bar", stack: "n", data: d.by_area.map((a) => a.closed), itemStyle: { color: "#16a34a" } },
      ],
    }, true);
    const rateAxis = { type: "value", min: 0, max: 100, axisLabel: { formatter: "{value}%" } };
    chart("on_time").setOption({
      tooltip: { trigger: "axis", valueFormatter: (v) => (v === null ? "—" : v + "%") }, grid,
      xAxis: { type: "category", data: d.rates_by_area.map((a) => a.name), axisLabel },
      yAxis: rateAxis,
      series: [{ name: "按期办结率", type: "bar", itemStyle: { color: "#2563eb" },
        data: d.rates_by_area.map((a) => (a.on_time_rate === null ? null : +(a.on_time_rate * 100).toFixed(1))) }],
    }, true);
    chart("satisfaction").setOption({
      tooltip: { trigger: "axis" }, grid,
      xAxis: { type: "category", data: ["1 星", "2 星", "3 星", "4 星", "5 星"] },
      yAxis: { type: "value", minInterval: 1 },
      series: [{ name: "评价数", type: "bar", data: d.ratings,
        itemStyle: { color: (p) => (p.dataIndex >= 3 ? "#16a34a" : "#f97316") } }],
    }, true);
    document.querySelectorAll("[data-rate]").forEach((s) => {
      s.textContent = pct(d.metrics[s.dataset.rate]);
    });
    el.dataset.ready = "1";
    el.dataset.cases = String(d.metrics.cases);
  }

  // ------------------------------------------------------------ wiring
  let refreshTimer = null;
  function refreshLater() {
    clearTimeout(refreshTimer);
    refreshTimer = setTimeout(() => {
      refreshCounts().catch(console.error);
      loadCharts().catch(console.error);
    }, 300);
  }

  document.addEventListener("DOMContentLoaded", () => {
    const r = root();
    if (!r) return;
    cfg.area = +r.dataset.area;
    cfg.poll = +r.dataset.poll;
    cfg.idle = +r.dataset.idle;
    cfg.shapesUrl = r.dataset.shapes;
    cfg.countsUrl = r.dataset.counts;
    cfg.chartsUrl = r.dataset.charts;
    cfg.caseUrl = r.dataset.case;
    cfg.exportUrl = r.dataset.export;

    // 4xx answers with a panel (a refused move, a stale version) are shown, not dropped.
    htmx.config.responseHandling = [
      { code: "204", swap: false },
      { code: "[23]..", swap: true },
      { code: "(403|409|422)", swap: true, error: false },
      { code: "[45]..", swap: false, error: true },
    ];

    map.leaflet = L.map("map", { preferCanvas: true, attributionControl: false, zoomSnap: 0.25 });
    loadMap(cfg.area, "").catch(console.error);
    loadCharts().catch(console.error);
    updateExportLink();
    // The tab changes out of band (htmx), not through a change event: build
    // the link from the form as it is at the moment of the click.
    const exportLink = document.querySelector("[data-export-link]");
    if (exportLink) exportLink.addEventListener("click", updateExportLink);

    document.querySelector("[data-level]").addEventListener("change", (ev) => {
      ev.stopPropagation();
      loadMap(map.areaId, ev.target.value).catch(console.error);
    });
    form().addEventListener("change", (ev) => {
      updateExportLink();
      if (ev.target.matches("[data-charts-only]")) { loadCharts().catch(console.error); return; }
      refreshLater();
    });
    form().addEventListener("submit", () => { updateExportLink(); refreshLater(); });
    document.body.addEventListener("cases-changed", refreshLater);
    const top = document.querySelector("[data-top-area]");
    if (top) top.addEventListener("change", () => setArea(+top.value));

    const dlg = document.getElementById("clear-export");
    if (dlg) {
      document.querySelector("[data-clear-export-open]").addEventListener("click", () => dlg.showModal());
      dlg.querySelector("[data-clear-export-close]").addEventListener("click", () => dlg.close());
      dlg.querySelector("form").addEventListener("submit", (ev) => {
        const f = ev.target;
        f.querySelectorAll("input[data-copied]").forEach((i) => i.remove());
        for (const [k, v] of params().entries()) {
          const i = document.createElement("input");
          i.type = "hidden"; i.name = k; i.value = v; i.dataset.copied = "1";
          f.appendChild(i);
        }
        setTimeout(() => dlg.close(), 0);
      });
    }
    window.addEventListener("resize", () => Object.values(charts).forEach((c) => c.resize()));
  });
})();
