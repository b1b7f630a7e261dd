/* Resident H5: large-text switch, grid maps (Leaflet, no tiles), the report
   form (photos downscaled on the phone, location, suggested category, one
   idempotency key per report), the SMS-code countdown and the sign-up area
   picker. Loaded in <head> without defer so the Alpine components exist
   before Alpine starts. No permission is asked for until the user taps. */
(function () {
  "use strict";

  // ------------------------------------------------------------ large text
  document.addEventListener("click", function (ev) {
    var btn = ev.target.closest && ev.target.closest("[data-large-toggle]");
    if (!btn) return;
    var on = !document.body.classList.contains("large-text");
    document.body.classList.toggle("large-text", on);
    btn.setAttribute("aria-pressed", on ? "true" : "false");
    document.cookie = "wg_large=" + (on ? "1" : "0") + "; path=/; max-age=31536000; SameSite=Lax";
  });

  // ------------------------------------------------------------ maps
  function initMap(el) {
    var src = document.getElementById("grid-geojson");
    if (!src || !window.L) return;
    var data = JSON.parse(src.textContent);
    var map = L.map(el, { preferCanvas: true, attributionControl: false, zoomSnap: 0.25 });
    var outline = L.geoJSON(data, {
      style: { color: "#b91c1c", weight: 3, fillColor: "#fecaca", fillOpacity: 0.25 },
      interactive: false,
    }).addTo(map);
    var b = outline.getBounds();
    if (b.isValid()) map.fitBounds(b, { padding: [8, 8] });
    el.dataset.ready = "1";
    if (!el.hasAttribute("data-pick")) return;
    var marker = null;
    function mark(lat, lng) {
      if (marker) marker.setLatLng([lat, lng]);
      else marker = L.circleMarker([lat, lng], { radius: 9, color: "#1d4ed8", weight: 3, fillOpacity: 0.6 }).addTo(map);
    }
    map.on("click", function (e) {
      mark(e.latlng.lat, e.latlng.lng);
      window.dispatchEvent(new CustomEvent("h5-point", {
        detail: { lat: e.latlng.lat, lng: e.latlng.lng, source: "map" },
      }));
    });
    window.addEventListener("h5-mark", function (e) {
      mark(e.detail.lat, e.detail.lng);
      map.panTo([e.detail.lat, e.detail.lng]);
    });
  }
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-map]").forEach(initMap);
  });

  // ------------------------------------------------------------ helpers
  function newKey() {
    // crypto.randomUUID needs a secure context; getRandomValues does not.
    var a = new Uint8Array(16);
    (window.crypto || window.msCrypto).getRandomValues(a);
    return Array.prototype.map.call(a, function (x) { return ("0" + x.toString(16)).slice(-2); }).join("");
  }

  var MAX_SIDE = 1600;
  var SHRINK_ABOVE = 400 * 1024;
  function downscale(file) {
    // Phone photos are 3-8 MB; weak signal makes that slow. Shrink big ones
    // to 1600 px JPEG; keep small ones (and anything that fails) as they are.
    if (file.size <= SHRINK_ABOVE || !window.createImageBitmap || !/^image\//.test(file.type)) {
      return Promise.resolve(file);
    }
    return createImageBitmap(file).then(function (img) {
      var scale = Math.min(1, MAX_SIDE / Math.max(img.width, img.height));
      var c = document.createElement("canvas");
      c.width = Math.round(img.width * scale);
      c.height = Math.round(img.height * scale);
      c.getContext("2d").drawImage(img, 0, 0, c.width, c.height);
      return new Promise(function (resolve) {
        c.toBlob(function (blob) {
          if (!blob || blob.size >= file.size) return resolve(file);
          resolve(new File([blob], (file.name || "photo").replace(/\.\w+$/, "") + ".jpg", { type: "image/jpeg" }));
        }, "image/jpeg", 0.85);
      });
    }).catch(function () { return file; });
  }

  function errorFrom(html) {
    var doc = new DOMParser().parseFromString(html, "text/html");
    var el = doc.querySelector("[data-error]");
    return el ? el.textContent.trim() : "提交失败，请稍后重试";
  }

  document.addEventListener("alpine:init", function () {
    // ---------------------------------------------------------- 报事
    Alpine.data("h5Report", function (maxPhotos) {
      return {
        text: "", category: "", suggestions: [], photos: [], where: "grid",
        lng: "", lat: "", where_msg: "", error: "", busy: false,
        init: function () {
          var f = this.$root;
          this.text = f.querySelector("#id_description").value;
          this.category = f.querySelector("#id_category").value;
          var w = f.querySelector("input[name=where]:checked");
          this.where = w ? w.value : "grid";
          this.lng = f.querySelector("input[name=lng]").value;
          this.lat = f.querySelector("input[name=lat]").value;
          var self = this;
          // Back/forward cache: a page shown again is a new report.
          window.addEventListener("pageshow", function (e) { if (e.persisted) self.$refs.key.value = newKey(); });
          if (this.text) this.suggest();
        },
        suggest: function () {
          var t = this.text.trim(), self = this;
          if (t.length < 2) { this.suggestions = []; return; }
          fetch("/api/v1/cases/categories/suggest?text=" + encodeURIComponent(t), { credentials: "same-origin" })
            .then(function (r) { return r.ok ? r.json() : []; })
            .then(function (list) { self.suggestions = list; })
            .catch(function () {});
        },
        add: function (ev) {
          var files = Array.prototype.slice.call(ev.target.files || []);
          ev.target.value = "";
          for (var i = 0; i < files.length; i++) {
            if (this.photos.length >= maxPhotos) { this.error = "最多上传 " + maxPhotos + " 张照片"; break; }
            this.photos.push({ file: files[i], url: URL.createObjectURL(files[i]) });
          }
        },
        remove: function (i) {
          URL.revokeObjectURL(this.photos[i].url);
          this.photos.splice(i, 1);
          this.error = "";
        },
        setPoint: function (d) {
          this.where = "map";
          this.lat = d.lat.toFixed(6);
          this.lng = d.lng.toFixed(6);
          this.where_msg = "已在地图上选定位置";
        },
        gps: function () {
          var self = this;
          if (!navigator.geolocation) { this.where_msg = "此浏览器不能定位，请在地图上点选"; return; }
          this.where_msg = "正在定位…";
          navigator.geolocation.getCurrentPosition(function (pos) {
            self.lat = pos.coords.latitude.toFixed(6);
            self.lng = pos.coords.longitude.toFixed(6);
            self.where_msg = "已定位（精度约 " + Math.round(pos.coords.accuracy) + " 米）";
            window.dispatchEvent(new CustomEvent("h5-mark", { detail: { lat: pos.coords.latitude, lng: pos.coords.longitude } }));
          }, function () {
            self.where = "grid";
            self.where_msg = "未能定位（可能未允许定位），已改为“就在本网格”，也可在地图上点选";
          }, { enableHighAccuracy: true, timeout: 15000, maximumAge: 60000 });
        },
        submit: function (ev) {
          ev.preventDefault();
          if (this.busy) return;  // a double tap sends once
          var form = ev.target, self = this;
          if (this.where !== "grid" && !(this.lat && this.lng)) {
            this.error = this.where === "map" ? "请在地图上点选位置" : "尚未定位成功，请稍候或改选其他方式";
            return;
          }
          this.busy = true; this.error = "";
          var fd = new FormData(form);
          fd.delete("photos");
          Promise.all(this.photos.map(function (p) { return downscale(p.file); }))
            .then(function (files) {
              files.forEach(function (f) { fd.append("photos", f, f.name || "photo.jpg"); });
              return fetch(form.action, { method: "POST", body: fd, credentials: "same-origin" });
            })
            .then(function (res) {
              if (res.redirected) { window.location.assign(res.url); return; }
              return res.text().then(function (html) { self.error = errorFrom(html); self.busy = false; });
            })
            .catch(function () {
              // The same key goes with the retry: the case is never made twice.
              self.error = "网络不畅，未能确认是否提交成功，请再点一次“提交”（不会重复上报）";
              self.busy = false;
            });
        },
      };
    });

    // ---------------------------------------------------------- sign-up area picker
    Alpine.data("h5Register", function () {
      var labels = { district: "区县", street: "镇街", community: "村社区", grid: "网格" };
      return {
        busy: false, msg: "",
        levels: ["district", "street", "community", "grid"].map(function (l) {
          return { level: l, label: labels[l], items: [], value: null };
        }),
        init: function () { this.load(0, null); },
        load: function (i, parent) {
          var self = this;
          return fetch(window.H5_AREAS + (parent ? "?parent=" + parent : ""))
            .then(function (r) { return r.json(); })
            .then(function (d) { self.levels[i].items = d.items; });
        },
        pick: function (i, value) {
          var id = value ? parseInt(value, 10) : null;
          this.levels[i].value = id;
          for (var j = i + 1; j < this.levels.length; j++) { this.levels[j].items = []; this.levels[j].value = null; }
          if (id && i + 1 < this.levels.length) return this.load(i + 1, id);
          return Promise.resolve();
        },
        locate: function () {
          var self = this;
          if (!navigator.geolocation) { this.msg = "此浏览器不能定位，请手动选择"; return; }
          this.busy = true; this.msg = "正在定位…";
          navigator.geolocation.getCurrentPosition(function (pos) {
            fetch(window.H5_LOCATE + "?lat=" + pos.coords.latitude + "&lng=" + pos.coords.longitude)
              .then(function (r) { return r.json().then(function (d) { return [r.ok, d]; }); })
              .then(function (res) {
                if (!res[0]) { self.msg = res[1].message; return; }
                var chain = res[1].chain, p = Promise.resolve();
                chain.forEach(function (a, i) { p = p.then(function () { return self.pick(i, String(a.id)); }); });
                return p.then(function () { self.msg = "已定位到：" + chain.map(function (a) { return a.name; }).join(" · "); });
              })
              .finally(function () { self.busy = false; });
          }, function () { self.busy = false; self.msg = "未能定位，请手动选择"; }, { timeout: 15000 });
        },
      };
    });
  });

  // ------------------------------------------------------------ SMS code countdown
  document.addEventListener("htmx:afterRequest", function (ev) {
    var btn = ev.detail.elt;
    if (!btn || !btn.hasAttribute("data-code-send") || !ev.detail.successful) return;
    if (!document.querySelector("#code-msg [data-sent]")) return;
    var left = 60, label = btn.textContent;
    btn.disabled = true;
    var t = setInterval(function () {
      left -= 1;
      btn.textContent = left + " 秒后重发";
      if (left <= 0) { clearInterval(t); btn.disabled = false; btn.textContent = label; }
    }, 1000);
  });
})();
