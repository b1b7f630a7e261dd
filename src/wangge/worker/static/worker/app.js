/* The grid worker's app (平安通): forms go through the outbox, the page shows
 * what waits to sync, the service worker is registered, and a heartbeat is
 * sent once a minute while the app is open. Needs outbox.js first. */
(function () {
  "use strict";

  var box = window.WanggeOutbox;
  var RETRY_MS = 15000;
  var BEAT_MS = 60000;
  var SHRINK_OVER = 1.5 * 1024 * 1024;
  var MAX_SIDE = 1600;
  var sentBodies = {};

  function $(sel) { return document.querySelector(sel); }
  function meta(name) { var m = $('meta[name="' + name + '"]'); return m ? m.content : ""; }

  function toast(text, kind) {
    var el = $("#toast");
    if (!el) return;
    el.textContent = text;
    el.className = "w-toast" + (kind ? " " + kind : "");
    el.hidden = false;
    clearTimeout(toast.timer);
    toast.timer = setTimeout(function () { el.hidden = true; }, 6000);
  }

  function hhmm(ms) {
    var d = new Date(ms);
    return ("0" + d.getHours()).slice(-2) + ":" + ("0" + d.getMinutes()).slice(-2);
  }

  /* ---------------------------------------------------------- what waits */
  function render() {
    if (!box) return Promise.resolve();
    return box.list().then(function (items) {
      var badge = $("#sync-badge");
      if (badge) {
        badge.hidden = items.length === 0;
        badge.querySelector("b").textContent = items.length;
      }
      var section = $("#outbox");
      if (!section) return;
      section.hidden = items.length === 0;
      $("#outbox-count").textContent = items.length ? items.length + " 条" : "";
      var ul = $("#outbox-list");
      ul.textContent = "";
      items.forEach(function (item) {
        var li = document.createElement("li");
        li.className = "w-out " + item.state;
        li.dataset.key = item.key;
        var title = document.createElement("b");
        title.textContent = item.label;
        var state = document.createElement("span");
        state.className = "muted";
        state.textContent = hhmm(item.created) + " · " + (item.state === "failed"
          ? "未能提交：" + item.error
          : "等待网络" + (item.attempts ? "（已尝试 " + item.attempts + " 次）" : ""));
        li.appendChild(title);
        li.appendChild(state);
        if (item.state === "failed") {
          [["重试", "retry"], ["删除", "drop"]].forEach(function (b) {
            var btn = document.createElement("button");
            btn.type = "button";
            btn.className = "w-link";
            btn.textContent = b[0];
            btn.dataset.action = b[1];
            li.appendChild(btn);
          });
        }
        ul.appendChild(li);
      });
    }).catch(function () { /* no IndexedDB: nothing can wait */ });
  }

  function sync() {
    if (!box) return Promise.resolve();
    return box.flush().then(render);
  }

  /* ---------------------------------------------------------- forms */
  function shrink(file) {
    // Phone photos are often 4–10 MB: send at most 1600 px as JPEG on weak signal.
    if (!file.type || file.type.indexOf("image/") !== 0 || file.size < SHRINK_OVER ||
        !window.createImageBitmap) {
      return Promise.resolve(file);
    }
    return createImageBitmap(file).then(function (bmp) {
      var scale = Math.min(1, MAX_SIDE / Math.max(bmp.width, bmp.height));
      var canvas = document.createElement("canvas");
      canvas.width = Math.round(bmp.width * scale);
      canvas.height = Math.round(bmp.height * scale);
      canvas.getContext("2d").drawImage(bmp, 0, 0, canvas.width, canvas.height);
      return new Promise(function (resolve) {
        canvas.toBlob(function (blob) {
          if (!blob || blob.size >= file.size) resolve(file);
          else resolve(new File([blob], file.name.replace(/\.\w+$/, "") + ".jpg", { type: "image/jpeg" }));
        }, "image/jpeg", 0.82);
      });
    }).catch(function () { return file; });
  }

  function itemFromForm(form) {
    var data = new FormData(form);
    var fields = [];
    var pending = [];
    data.forEach(function (value, name) {
      if (typeof value === "string") fields.push([name, value]);
      else if (value && value.size) {
        pending.push(shrink(value).then(function (f) { return [name, f, f.name || "photo.jpg"]; }));
      }
    });
    var label = form.dataset.label || "提交";
    if (form.dataset.labelField && form.elements[form.dataset.labelField]) {
      var text = form.elements[form.dataset.labelField].value.trim();
      label += text.length > 24 ? text.slice(0, 24) + "…" : text;
    }
    return Promise.all(pending).then(function (files) {
      return { url: form.action, label: label, fields: fields, files: files, after: form.dataset.after || "" };
    });
  }

  function submitted(form, item) {
    var button = form.querySelector('[type="submit"]');
    return box.get(item.key).then(function (left) {
      if (!left) {
        var body = sentBodies[item.key] || {};
        var c = body.case || {};
        var text = form.dataset.kind === "report"
          ? "已上报，工单号 " + (c.number || "")
          : item.label + " 已完成";
        if (item.after === "reload") {
          try { sessionStorage.setItem("wangge-toast", text); } catch (e) { /* ignore */ }
          location.reload();
          return;
        }
        form.reset();
        toast(text, "ok");
      } else if (left.state === "failed") {
        toast("未能提交：" + left.error, "error");
      } else {
        toast("已保存在本机，有信号后自动上报", "wait");
        if (item.after === "reload") {
          // A move waits: one is enough (a second tap would only be refused).
          if (button) button.textContent = "已保存，待同步";
          return;
        }
        form.reset();
      }
      if (button) button.disabled = false;
    });
  }

  document.addEventListener("submit", function (e) {
    var form = e.target.closest ? e.target.closest("form[data-outbox]") : null;
    if (!form || !box) return;
    e.preventDefault();
    var button = form.querySelector('[type="submit"]');
    if (button) button.disabled = true;
    var item;
    itemFromForm(form)
      .then(function (it) { return box.enqueue(it); })  // the idempotency key is made here
      .then(function (it) { item = it; return render(); })
      .then(function () { return box.flush(); })
      .then(function () { return render(); })
      .then(function () { return submitted(form, item); })
      .catch(function (err) {
        if (button) button.disabled = false;
        toast("无法保存：" + (err && err.message ? err.message : err), "error");
      });
  });

  document.addEventListener("change", function (e) {
    var input = e.target;
    if (input.type !== "file" || !input.dataset.count) return;
    var out = document.getElementById(input.dataset.count);
    if (out) out.textContent = input.files.length ? "已选 " + input.files.length + " 张" : "未选择照片";
  });

  document.addEventListener("reset", function (e) {
    e.target.querySelectorAll && e.target.querySelectorAll("input[type=file][data-count]").forEach(function (input) {
      var out = document.getElementById(input.dataset.count);
      if (out) out.textContent = "未选择照片";
    });
  });

  document.addEventListener("click", function (e) {
    var chip = e.target.closest && e.target.closest(".w-chip[data-category]");
    if (chip) {
      var select = document.getElementById("category");
      if (select) select.value = chip.dataset.category;
      return;
    }
    var btn = e.target.closest && e.target.closest("#outbox [data-action]");
    if (btn) {
      var key = btn.closest("li").dataset.key;
      if (btn.dataset.action === "retry") box.retry(key).then(render);
      else if (confirm("删除后这条内容不会再上报，确定删除？")) box.remove(key).then(render);
      return;
    }
    if (e.target.id === "outbox-sync") sync();
  });

  window.addEventListener("outbox:sent", function (e) {
    sentBodies[e.detail.item.key] = e.detail.body;
  });
  window.addEventListener("outbox:change", render);
  window.addEventListener("outbox:login", function () {
    toast("登录已过期：请重新登录，待同步的内容会在登录后自动上报", "error");
  });

  /* ---------------------------------------------------------- network */
  function showNet() {
    var banner = $("#net-banner");
    if (banner) banner.hidden = navigator.onLine;
  }
  window.addEventListener("online", function () { showNet(); sync(); beat(); });
  window.addEventListener("offline", showNet);
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "visible") { sync(); beat(); }
  });
  setInterval(function () {
    box && box.list().then(function (items) {
      if (items.some(function (i) { return i.state === "waiting"; })) sync();
    });
  }, RETRY_MS);

  /* ---------------------------------------------------------- presence */
  // A heartbeat is a request, and every request keeps the session alive. So
  // that an unattended phone still logs out after 30 idle minutes, beats
  // stop once nobody has touched the app for IDLE_MS (and resume on touch).
  var IDLE_MS = 25 * 60 * 1000;
  var lastInput = Date.now();
  ["pointerdown", "keydown", "touchstart", "scroll"].forEach(function (name) {
    window.addEventListener(name, function () { lastInput = Date.now(); }, { passive: true, capture: true });
  });

  function beat() {
    var url = meta("wangge-presence");
    if (!url || !navigator.onLine || document.visibilityState !== "visible") return;
    if (Date.now() - lastInput > IDLE_MS) return;
    var m = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    fetch(url, {
      method: "POST",
      credentials: "same-origin",
      redirect: "manual",
      headers: { "X-CSRFToken": m ? decodeURIComponent(m[1]) : "" },
    }).catch(function () { /* offline: the minute is simply not counted */ });
  }
  setInterval(beat, BEAT_MS);

  /* ---------------------------------------------------------- installable */
  function registerWorker() {
    var url = meta("wangge-sw");
    if (!url || !("serviceWorker" in navigator)) return;
    navigator.serviceWorker.register(url, { scope: url.replace(/[^/]*$/, "") }).catch(function (e) {
      console.warn("service worker", e);
    });
  }

  var logout = document.getElementById("logout-form");
  if (logout) {
    logout.addEventListener("submit", function (e) {
      e.preventDefault();
      var waiting = box ? box.list() : Promise.resolve([]);
      waiting.catch(function () { return []; }).then(function (items) {
        if (items.length && !confirm("还有 " + items.length + " 条内容待同步，下次登录后才会上报。确定退出？")) {
          return;
        }
        // Pages kept for offline use belong to this user: drop them first.
        var drop = window.caches ? caches.keys().then(function (keys) {
          return Promise.all(keys.filter(function (k) {
            return k.indexOf("wangge-worker-pages") === 0;
          }).map(function (k) { return caches.delete(k); }));
        }) : Promise.resolve();
        drop.catch(function () {}).then(function () { logout.submit(); });
      });
    });
  }

  /* ---------------------------------------------------------- start */
  try {
    var pendingToast = sessionStorage.getItem("wangge-toast");
    if (pendingToast) {
      sessionStorage.removeItem("wangge-toast");
      toast(pendingToast, "ok");
    }
  } catch (e) { /* ignore */ }
  showNet();
  render().then(function () {
    // The page can take a report now (the outbox is open): "interactive".
    document.documentElement.dataset.appReady = "1";
    return sync();
  });
  beat();
  registerWorker();
})();
