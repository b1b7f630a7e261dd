/* Service worker of the grid worker's app, served from /w/sw.js (scope /w/).
 * `self.WANGGE` is prepended by the view: {version, shell, offline}.
 *
 * - The app shell (CSS, scripts, the offline page) is cached at install and
 *   served cache-first; a new version replaces the old cache.
 * - Today, the report form and case pages are network-first, falling back to
 *   the last copy when there is no signal (or none within a few seconds), so
 *   a worker can still report and report back offline; the outbox keeps what
 *   they send. Pages with residents' data (look-up, households, residents,
 *   proxy) are never stored.
 * - POSTs are left alone: the page's outbox handles them. */
"use strict";

var CFG = self.WANGGE;
var SHELL = "wangge-worker-shell-" + CFG.version;
var PAGES = "wangge-worker-pages";
var CACHED_PAGES = [/^\/w\/$/, /^\/w\/report\/$/, /^\/w\/cases\/$/, /^\/w\/cases\/\d+\/$/, /^\/w\/visits\/$/, /^\/w\/emergency\/$/, /^\/w\/emergency\/\d+\/\d+\/$/];
var SLOW_MS = 4000;

self.addEventListener("install", function (event) {
  event.waitUntil(
    caches.open(SHELL)
      .then(function (cache) { return cache.addAll(CFG.shell.concat([CFG.offline])); })
      .then(function () { return self.skipWaiting(); })
  );
});

self.addEventListener("activate", function (event) {
  event.waitUntil(
    caches.keys().then(function (keys) {
      return Promise.all(keys.filter(function (k) {
        return k.indexOf("wangge-worker-shell-") === 0 && k !== SHELL;
      }).map(function (k) { return caches.delete(k); }));
    }).then(function () { return self.clients.claim(); })
  );
});

self.addEventListener("fetch", function (event) {
  var req = event.request;
  if (req.method !== "GET") return;
  var url = new URL(req.url);
  if (url.origin !== self.location.origin) return;
  if (url.pathname.indexOf("/static/") === 0) {
    event.respondWith(cacheFirst(req));
    return;
  }
  if (req.mode === "navigate" && url.pathname.indexOf("/w/") === 0) {
    var keep = !url.searchParams.has("proxy") && CACHED_PAGES.some(function (re) {
      return re.test(url.pathname);
    });
    event.respondWith(networkFirst(req, keep));
  }
});

function cacheFirst(req) {
  return caches.match(req).then(function (hit) {
    if (hit) return hit;
    return fetch(req).then(function (resp) {
      if (resp.ok) {
        var copy = resp.clone();
        caches.open(SHELL).then(function (c) { c.put(req, copy); });
      }
      return resp;
    });
  });
}

function networkFirst(req, keep) {
  var network = fetch(req).then(function (resp) {
    if (keep && resp.ok && !resp.redirected && resp.type === "basic") {
      var copy = resp.clone();
      caches.open(PAGES).then(function (c) { c.put(req, copy); });
    }
    return resp;
  });
  var fallback = function () {
    return (keep ? caches.match(req, { cacheName: PAGES, ignoreVary: true }) : Promise.resolve(null))
      .then(function (hit) { return hit || caches.match(CFG.offline); })
      .then(function (hit) { return hit || Response.error(); });
  };
  if (!keep) return network.catch(fallback);
  // Weak signal: if the network has not answered in a few seconds and a
  // copy exists, show the copy (the network answer still refreshes it).
  return caches.match(req, { cacheName: PAGES, ignoreVary: true }).then(function (copy) {
    if (!copy) return network.catch(fallback);
    var slow = new Promise(function (resolve) { setTimeout(function () { resolve(copy); }, SLOW_MS); });
    return Promise.race([network.catch(function () { return copy; }), slow]);
  });
}
