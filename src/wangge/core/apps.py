from django.apps import AppConfig

# psycopg caches the parsing of a query's placeholders only for statements of
# at most 50 parameters (psycopg._queries.MAX_CACHED_STATEMENT_PARAMS). The
# case intake (one statement: case, reporter, event) and the rollup upsert
# (one row per level of the area chain) have more, so every request parsed
# them again: 1.5 ms of the 5 ms an intake costs in-process. Their text is
# fixed, so caching them is safe; the cache stays an LRU of 128 statements.
PSYCOPG_CACHED_PARAMS = 1000


def _widen_psycopg_query_cache() -> None:
    try:
        from psycopg import _queries
    except ImportError:  # SQLite-only installations
        return
    if getattr(_queries, "MAX_CACHED_STATEMENT_PARAMS", PSYCOPG_CACHED_PARAMS) < (
        PSYCOPG_CACHED_PARAMS
    ):
        _queries.MAX_CACHED_STATEMENT_PARAMS = PSYCOPG_CACHED_PARAMS


class CoreConfig(AppConfig):
    name = "wangge.core"
    verbose_name = "基础"

    def ready(self) -> None:
        _widen_psycopg_query_cache()
