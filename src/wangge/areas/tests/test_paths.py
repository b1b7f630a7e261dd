import pytest

from wangge.areas.models import Area
from wangge.areas.paths import ancestor_paths, child_path, path_upper_bound, subtree_q


def test_child_path_is_fixed_width_digits():
    assert child_path("", 1) == "00001"
    assert child_path("00001", 42) == "0000100042"
    with pytest.raises(ValueError):
        child_path("", 0)


def test_upper_bound_is_the_next_sibling_prefix():
    assert path_upper_bound("0000100042") == "0000100043"
    assert path_upper_bound("0000199999") == "0000200000"
    assert path_upper_bound("99999") is None


def test_ancestor_paths_root_first():
    assert ancestor_paths("000010000200003") == ["00001", "0000100002"]


def test_subtree_query_returns_exactly_the_subtree(tree):
    under_street = set(
        Area.objects.filter(subtree_q(tree.street_a1.path)).values_list("name", flat=True)
    )
    assert "解放街道" in under_street
    assert "芦席汇社区第一网格" in under_street and "新塍村" in under_street
    assert "秀洲区" not in under_street and "新城社区" not in under_street
    assert Area.objects.subtree(tree.city).count() == 16
    assert Area.objects.subtree(tree.grid_a1a_2).count() == 1
