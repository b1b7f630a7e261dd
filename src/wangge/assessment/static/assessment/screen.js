/* The leaders' screen (大屏): loads /screen/<id>/data/ and draws headline
   numbers, the map shaded by the chosen index (console GeoJSON, no tiles),
   the ranking (click to drill down), and three ECharts; reloads itself every
   `data-refresh` seconds. The live feed is an htmx poll in the page. */
(function () {
  "use strict";
  const root = document.getElementById("screen");
  const cfg = root.dataset;
  const charts = {};
  let map = null, layer = null, shapes = null, last = null;

  const fmt = (v, unit) => (v === null || v === undefined ? "—" : (Math.round(v * 10) / 10) + (unit || ""));
  const esc = (s) => String(s).replace(/[&<>"]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" }[c]));

  function params() {
    const q = new URLSearchParams();
    q.set("month", document.getElementById("s-month").value || cfg.month);
    q.set("by", document.getElementById("s-index").value);
    return q;
  }

  async function getJSON(url) {
    const r = await fetch(url, { credentials: "same-origin", headers: { "X-Wangge-Background": "1" } });
    if (r.status === 401) { location.reload(); throw new Error("401"); }
    if (!r.ok) throw new Error(url + " " + r.status);
    return r.json();
  }

  const RAW = { total: "上报", open: "在办", closed: "已结案", on_time: "按期结案", voided: "作废",
    merged: "合并", rated: "已评价", satisfied: "满意（4–5分）", reworked: "返工过", extended: "延期过",
    supervised: "督办过", escalated: "上报过上级", workers: "网格员人数", working_days: "工作日数",
    online_minutes: "在线分钟", expected_minutes: "应在线分钟", ratings: "评分次数", score_sum: "评分之和",
    weights: "权重", scores: "各项得分" };

  function explain(i) {
    document.getElementById("s-explain-title").textContent = i.name + "：" + fmt(i.value, i.unit === "%" ? "%" : "");
    document.getElementById("s-explain-formula").textContent = i.formula;
    const rows = Object.entries(i.raw || {}).map(([k, v]) =>
      "<tr><td>" + esc(RAW[k] || k) + "</td><td>" + esc(typeof v === "object" ? JSON.stringify(v) : v) + "</td></tr>");
    document.getElementById("s-explain-raw").innerHTML = rows.join("");
    document.getElementById("s-explain").showModal();
  }

  function drawLive(d) {
    const L = d.live, c = d.counts || {};
    const items = [["今日上报", L.reported_today], ["今日办结", L.closed_today], ["在办工单", L.open],
      ["超期红灯", L.red], ["本期上报", c.total], ["本期结案", c.closed]];
    document.getElementById("s-live").innerHTML = items.map(([k, v]) =>
      "<div><b>" + (v ?? 0) + "</b>" + k + "</div>").join("");
  }

  function drawHeadline(d) {
    const el = document.getElementById("s-headline");
    el.innerHTML = "";
    d.headline.forEach((i) => {
      const t = i.trend || {};
      const arrow = t.change === null || t.change === undefined ? "" :
        "<span class='" + (t.better ? "s-up" : t.better === false ? "s-down" : "") + "'>" +
        (t.change > 0 ? "▲" : t.change < 0 ? "▼" : "＝") + Math.abs(t.change) + "</span>";
      const card = document.createElement("div");
      card.className = "s-card";
      card.dataset.code = i.code;
      card.title = i.formula;
      card.innerHTML = "<small>" + esc(i.name) + "</small><b>" + fmt(i.value, i.unit === "%" ? "%" : "") + "</b> " + arrow;
      card.addEventListener("click", () => explain(i));
      el.appendChild(card);
    });
  }

  function color(v, lo, hi, higher) {
    if (v === null || v === undefined) return "#334155";
    let t = hi > lo ? (v - lo) / (hi - lo) : 0.5;
    if (!higher) t = 1 - t;
    const r = Math.round(220 - 170 * t), g = Math.round(60 + 150 * t);
    return "rgb(" + r + "," + g + ",90)";
  }

  function drawRanking(d) {
    const r = d.ranking, ol = document.getElementById("s-ranking");
    if (!r) { ol.innerHTML = "<li>已是最小区域</li>"; return; }
    document.getElementById("s-rank-level").textContent = r.level_label + " · " + r.count + " 个" +
      (r.stored_at ? " · 走访党建等指数 " + r.stored_at.slice(11, 16) + " 统计" : "");
    ol.innerHTML = r.rows.slice(0, 50).map((row) =>
      "<li data-id='" + row.id + "'>" + esc(row.name) + "<span>" + fmt(row.values[r.by]) + "</span></li>").join("");
    ol.querySelectorAll("li[data-id]").forEach((li) => li.addEventListener("click", () => drill(li.dataset.id)));
  }

  function drill(id) {
    location.href = cfg.screenUrl.replace("/0/", "/" + id + "/") + "?" + params().toString();
  }

  async function drawMap(d) {
    if (!window.L) return;
    if (!map) {
      map = L.map("s-map", { preferCanvas: true, attributionControl: false, zoomControl: false });
    }
    if (!shapes) {
      try { shapes = await getJSON(cfg.shapesUrl); } catch (e) { return; }
    }
    const r = d.ranking;
    const vals = {};
    if (r) r.rows.forEach((row) => { vals[row.id] = row.values[r.by]; });
    const nums = Object.values(vals).filter((v) => v !== null && v !== undefined);
    const lo = Math.min(...nums), hi = Math.max(...nums);
    const higher = !r || r.by === "composite" || !["rework", "extension", "supervision"].includes(r.by);
    if (layer) layer.remove();
    layer = L.geoJSON({ type: "FeatureCollection", features: shapes.features }, {
      style: (f) => ({ color: "#8fb6ff", weight: 1, fillOpacity: 0.75, fillColor: color(vals[f.id], lo, hi, higher) }),
      onEachFeature: (f, l) => {
        l.bindTooltip(f.properties.name + "：" + fmt(vals[f.id]));
        l.on("click", () => drill(f.id));
      },
    }).addTo(map);
    if (!map._fitted && layer.getBounds().isValid()) { map.fitBounds(layer.getBounds()); map._fitted = true; }
    document.getElementById("s-legend").innerHTML = nums.length ?
      "低 " + fmt(lo) + " <span style='color:" + color(lo, lo, hi, higher) + "'>■</span> … <span style='color:" + color(hi, lo, hi, higher) + "'>■</span> " + fmt(hi) + " 高" : "本期无数据";
  }

  function chart(id) {
    if (!window.echarts) return null;
    if (!charts[id]) charts[id] = echarts.init(document.getElementById(id), null, { renderer: "canvas" });
    return charts[id];
  }

  function drawCharts(d) {
    const base = { backgroundColor: "transparent", textStyle: { color: "#e6eefc" },
      legend: { top: 0, textStyle: { color: "#e6eefc" } },
      tooltip: { trigger: "axis" }, grid: { left: 40, right: 40, top: 30, bottom: 25 } };
    const m = chart("s-monthly");
    if (m) m.setOption({ ...base,
      xAxis: { type: "category", data: d.monthly.map((x) => x.month.slice(2)) },
      yAxis: [{ type: "value" }, { type: "value", max: 100 }],
      series: [{ name: "上报", type: "bar", data: d.monthly.map((x) => x.total) },
        { name: "结案率", type: "line", yAxisIndex: 1, data: d.monthly.map((x) => x.closure) },
        { name: "满意率", type: "line", yAxisIndex: 1, data: d.monthly.map((x) => x.satisfaction) }] }, true);
    const dd = chart("s-daily");
    if (dd) dd.setOption({ ...base,
      xAxis: { type: "category", data: d.daily.map((x) => x.day.slice(5)) }, yAxis: { type: "value" },
      series: [{ name: "上报", type: "line", data: d.daily.map((x) => x.total) },
        { name: "已结案", type: "line", data: d.daily.map((x) => x.closed) }] }, true);
    const c = chart("s-cats");
    if (c) c.setOption({ ...base, tooltip: { trigger: "item" },
      legend: { show: false },
      series: [{ type: "pie", radius: ["35%", "65%"], label: { color: "#e6eefc" }, data: d.categories.map((x) => ({ name: x.category, value: x.total })) }] }, true);
  }

  function drawCrumbs(d) {
    document.getElementById("s-crumbs").innerHTML = d.breadcrumb.map((a) =>
      "<a href='" + cfg.screenUrl.replace("/0/", "/" + a.id + "/") + "'>" + esc(a.name) + "</a>").join("›");
  }

  async function load() {
    try {
      const d = await getJSON(cfg.dataUrl + "?" + params().toString());
      last = d;
      drawCrumbs(d); drawLive(d); drawHeadline(d); drawRanking(d); drawCharts(d);
      await drawMap(d);
      document.getElementById("s-updated").textContent = "更新于 " + new Date().toLocaleTimeString("zh-CN");
      root.dataset.loaded = "1";
    } catch (e) {
      document.getElementById("s-updated").textContent = "数据加载失败，稍后重试";
    }
  }

  function links() {
    const q = "?month=" + (document.getElementById("s-month").value || cfg.month);
    ["s-xlsx", "s-pdf"].forEach((id) => {
      const a = document.getElementById(id);
      a.href = a.href.split("?")[0] + q;
    });
  }

  document.addEventListener("DOMContentLoaded", () => {
    document.getElementById("s-month").addEventListener("change", () => { links(); load(); });
    document.getElementById("s-index").addEventListener("change", () => (last ? (drawRanking(last), drawMap(last)) : load()));
    window.addEventListener("resize", () => Object.values(charts).forEach((c) => c.resize()));
    load();
    setInterval(load, Math.max(10, +cfg.refresh || 60) * 1000);
  });
})();
