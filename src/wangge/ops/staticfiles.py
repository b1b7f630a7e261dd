"""collectstatic in production: only the front-end files the pages load.

The npm packages ship every build of each library (ESM, CommonJS, unminified,
source maps: 55 MB for ECharts alone); hashing and compressing (gzip and
brotli) all of them made `collectstatic` take minutes. The pages load
`echarts.min.js`, `htmx.min.js`, Alpine's `cdn.min.js` and Leaflet's
`leaflet.js`/`leaflet.css` with its images (and `leaflet.js.map`, which
leaflet.js names)."""

from django.contrib.staticfiles.apps import StaticFilesConfig as Base

UNUSED_BUILDS = [
    "echarts.js", "echarts.js.map", "echarts.common*", "echarts.simple*", "echarts.esm*",
    "extension", "package.json",
    "htmx.js", "htmx.amd.js", "htmx.cjs.js", "htmx.esm.js", "htmx.esm.d.ts", "htmx.min.js.gz", "ext",
    "cdn.js", "module.*",
    "leaflet-src*",
]


class StaticFilesConfig(Base):
    ignore_patterns = [*Base.ignore_patterns, *UNUSED_BUILDS]
