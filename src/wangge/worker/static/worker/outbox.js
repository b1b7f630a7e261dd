/* The outbox of the grid worker's app: reports and case moves made on the
 * phone are kept in IndexedDB until the server has them.
 *
 * Each item carries the idempotency key made when the user tapped send. The
 * server does each key at most once, so sending an item again after a lost
 * answer (or from a second tab) changes nothing: nothing is lost, nothing is
 * doubled. Items belong to the user who made them and are only sent while
 * that user is logged in.
 *
 * Hand-written on purpose (no library): open/put/get/list/remove over one
 * object store, and flush(), which sends the waiting items oldest first and
 * stops at the first network failure.
 *
 * Item: {key, user, url, label, fields: [[name, value]], files: [[name, Blob,
 *        filename]], created, attempts, state: "waiting"|"failed", error, after}
 * Events on window: "outbox:change", "outbox:sent" (detail: {item, body}),
 *                   "outbox:login" (the session expired; log in to continue).
 */
(function () {
  "use strict";

  var DB_NAME = "wangge-worker";
  var STORE = "outbox";
  var dbPromise = null;

  function open() {
    if (dbPromise) return dbPromise;
    dbPromise = new Promise(function (resolve, reject) {
      if (!window.indexedDB) {
        reject(new Error("本机浏览器不支持离线保存"));
        return;
      }
      var req = indexedDB.open(DB_NAME, 1);
      req.onupgradeneeded = function () {
        var store = req.result.createObjectStore(STORE, { keyPath: "key" });
        store.createIndex("created", "created");
      };
      req.onsuccess = function () { resolve(req.result); };
      req.onerror = function () { dbPromise = null; reject(req.error); };
    });
    return dbPromise;
  }

  function request(r) {
    return new Promise(function (resolve, reject) {
      r.onsuccess = function () { resolve(r.result); };
      r.onerror = function () { reject(r.error); };
    });
  }

  function committed(t) {
    return new Promise(function (resolve, reject) {
      t.oncomplete = function () { resolve(); };
      t.onerror = t.onabort = function () { reject(t.error); };
    });
  }

  function write(fn) {
    return open().then(function (db) {
      var t = db.transaction(STORE, "readwrite");
      fn(t.objectStore(STORE));
      return committed(t);
    }).then(changed);
  }

  function put(item) { return write(function (s) { s.put(item); }); }
  function remove(key) { return write(function (s) { s.delete(key); }); }

  function get(key) {
    return open().then(function (db) {
      return request(db.transaction(STORE).objectStore(STORE).get(key));
    });
  }

  /* All items (of every user), oldest first. */
  function listAll() {
    return open().then(function (db) {
      return request(db.transaction(STORE).objectStore(STORE).index("created").getAll());
    });
  }

  /* The current user's items, oldest first. */
  function list() {
    var me = currentUser();
    return listAll().then(function (items) {
      return items.filter(function (i) { return i.user === me; });
    });
  }

  function changed() {
    window.dispatchEvent(new CustomEvent("outbox:change"));
  }

  function currentUser() {
    var meta = document.querySelector('meta[name="wangge-user"]');
    var id = meta && meta.content;
    try {
      if (id) localStorage.setItem("wangge-user", id);
      else id = localStorage.getItem("wangge-user") || "";
    } catch (e) { /* storage may be blocked */ }
    return id || "";
  }

  function newKey() {
    if (window.crypto && crypto.randomUUID) {
      try { return crypto.randomUUID(); } catch (e) { /* not a secure context */ }
    }
    var b = crypto.getRandomValues(new Uint8Array(16));
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    var h = Array.prototype.map.call(b, function (x) { return (x + 256).toString(16).slice(1); }).join("");
    return h.slice(0, 8) + "-" + h.slice(8, 12) + "-" + h.slice(12, 16) + "-" + h.slice(16, 20) + "-" + h.slice(20);
  }

  function csrfToken() {
    var m = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    return m ? decodeURIComponent(m[1]) : "";
  }

  /* Send one item. Outcome: sent | failed (the server refused it for good:
   * keep it, show why) | login (session gone) | retry (no signal, server busy). */
  function send(item) {
    var fd = new FormData();
    item.fields.forEach(function (f) { fd.append(f[0], f[1]); });
    item.files.forEach(function (f) { fd.append(f[0], f[1], f[2]); });
    return fetch(item.url, {
      method: "POST",
      body: fd,
      credentials: "same-origin",
      redirect: "manual",
      headers: { "Idempotency-Key": item.key, "X-CSRFToken": csrfToken() },
    }).then(function (resp) {
      if (resp.type === "opaqueredirect" || resp.status === 401) return { outcome: "login" };
      return resp.json().catch(function () { return null; }).then(function (body) {
        if (resp.ok) return { outcome: "sent", body: body };
        if (body && body.code && resp.status >= 400 && resp.status < 500 &&
            resp.status !== 408 && resp.status !== 429) {
          return { outcome: "failed", error: body.message || body.code };
        }
        if (resp.status === 403) return { outcome: "login" };  // CSRF: the session changed
        return { outcome: "retry", error: "服务器暂时不可用（" + resp.status + "）" };
      });
    }, function () {
      return { outcome: "retry", error: "网络不可用" };
    });
  }

  var running = null;
  var again = false;

  function run() {
    return list().then(function (items) {
      var waiting = items.filter(function (i) { return i.state === "waiting"; });
      var i = 0;
      function next() {
        if (i >= waiting.length) return null;
        var item = waiting[i++];
        return get(item.key).then(function (fresh) {
          // Another tab may have sent (or the user deleted) it meanwhile.
          if (!fresh || fresh.state !== "waiting") return next();
          return send(fresh).then(function (r) {
            if (r.outcome === "sent") {
              return remove(fresh.key).then(function () {
                window.dispatchEvent(new CustomEvent("outbox:sent", { detail: { item: fresh, body: r.body } }));
                return next();
              });
            }
            if (r.outcome === "login") {
              window.dispatchEvent(new CustomEvent("outbox:login"));
              return null;
            }
            fresh.attempts = (fresh.attempts || 0) + 1;
            fresh.error = r.error || "";
            if (r.outcome === "failed") {
              fresh.state = "failed";
              return put(fresh).then(next);
            }
            return put(fresh);  // retry later: stop here, the signal is gone
          });
        });
      }
      return next();
    });
  }

  /* Send what is waiting. One run at a time per page, and per phone where
   * the Web Locks API exists (a second tab waits, then finds nothing). */
  function flush() {
    if (running) {
      again = true;  // an item may have arrived after this run listed them
      return running;
    }
    var go = function () { return run(); };
    var p = navigator.locks ? navigator.locks.request("wangge-outbox", go) : go();
    running = Promise.resolve(p).catch(function (e) { console.warn("outbox", e); })
      .then(function () {
        running = null;
        if (again) {
          again = false;
          return flush();
        }
        return null;
      });
    return running;
  }

  function enqueue(item) {
    item.key = item.key || newKey();
    item.user = currentUser();
    item.created = item.created || Date.now();
    item.attempts = 0;
    item.state = "waiting";
    item.error = "";
    return put(item).then(function () { return item; });
  }

  function retry(key) {
    return get(key).then(function (item) {
      if (!item) return null;
      item.state = "waiting";
      item.error = "";
      return put(item).then(flush);
    });
  }

  window.WanggeOutbox = {
    open: open, put: put, get: get, list: list, listAll: listAll, remove: remove,
    enqueue: enqueue, flush: flush, retry: retry, newKey: newKey, currentUser: currentUser,
  };
})();
