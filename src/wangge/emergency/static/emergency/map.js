/* The emergency progress map: grid boundaries from the console's map
 * endpoint, shaded by the share of households checked (red → green), with
 * the counts polled while the mode is active. */
(function () {
  "use strict";
  function colour(pct) {
    if (pct >= 100) return "#15803d";
    if (pct >= 75) return "#65a30d";
    if (pct >= 50) return "#ca8a04";
    if (pct >= 25) return "#ea580c";
    return "#dc2626";
  }
  function start() {
    var el = document.getElementById("e-map");
    if (!el || !window.L) return;
    var map = L.map(el, { zoomControl: true, attributionControl: false });
    var layer = null;
    var counts = {};
    function style(f) {
      var c = counts[f.id];
      return { color: "#334155", weight: 1, fillOpacity: 0.55, fillColor: c ? colour(c.pct) : "#cbd5e1" };
    }
    function label(f) {
      var c = counts[f.id];
      return f.properties.name + (c ? "：" + c.answered + " / " + c.households + " 户（" + c.pct + "%），需处置 " + c.alerts : "");
    }
    function refresh() {
      return fetch(el.dataset.counts, { credentials: "same-origin", headers: { "X-Wangge-Background": "1" } })
        .then(function (r) { return r.json(); })
        .then(function (data) {
          counts = {};
          data.grids.forEach(function (g) { counts[g.id] = g; });
          if (layer) {
            layer.setStyle(style);
            layer.eachLayer(function (l) { l.setTooltipContent(label(l.feature)); });
          }
          el.dataset.loaded = "1";
        });
    }
    fetch(el.dataset.shapes, { credentials: "same-origin" })
      .then(function (r) { return r.json(); })
      .then(function (shapes) {
        return refresh().then(function () {
          layer = L.geoJSON({ type: "FeatureCollection", features: shapes.features }, {
            style: style,
            onEachFeature: function (f, l) { l.bindTooltip(label(f)); },
          }).addTo(map);
          var b = layer.getBounds();
          if (b.isValid()) map.fitBounds(b); else map.setView([30.75, 120.75], 11);
        });
      });
    var poll = parseInt(el.dataset.poll || "0", 10);
    if (poll > 0) setInterval(function () { if (!document.hidden) refresh(); }, poll * 1000);
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
