import pytest

from wangge.cases.tests.conftest import world  # noqa: F401  (fixture)


@pytest.fixture(autouse=True)
def _clear_cache():
    """Slow-moving counts are cached (selectors.SLOW_COUNTS_SECONDS): tests
    rebuild the same area paths, so each starts with an empty cache."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()
