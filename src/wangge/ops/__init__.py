"""Running Wangge in production: health and readiness probes, backups,
JSON logs, the read-replica router and the partitioning of the large tables
(docs/deploy.md, docs/scale.md)."""
