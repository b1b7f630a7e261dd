"""The dispatcher's field definitions and the answers checked against them."""

from __future__ import annotations

import pytest

from wangge.core.errors import DomainError
from wangge.emergency.checklist import DEFAULT_FIELDS, describe, validate_answers, validate_fields


def test_default_fields_are_valid():
    assert validate_fields(DEFAULT_FIELDS)[1] == {
        "key": "needs_help",
        "label": "需要帮助",
        "type": "bool",
        "required": True,
        "alert": True,
    }


@pytest.mark.parametrize(
    ("defs", "code"),
    [
        ([], "fields_required"),
        ("all_safe", "fields_required"),
        ([{"key": "Safe", "label": "平安", "type": "bool"}], "bad_field_key"),
        ([{"key": "a", "label": "甲", "type": "bool"}] * 2, "duplicate_field_key"),
        ([{"key": "a", "label": "", "type": "bool"}], "bad_field_label"),
        ([{"key": "a", "label": "甲", "type": "date"}], "bad_field_type"),
        ([{"key": "a", "label": "甲", "type": "bool", "colour": "red"}], "bad_field"),
        ([{"key": "a", "label": "甲", "type": "int", "min": 5, "max": 1}], "bad_field"),
        ([{"key": "a", "label": "甲", "type": "int", "min": "0"}], "bad_field"),
        ([{"key": "a", "label": "甲", "type": "text", "max": 3}], "bad_field"),
        ([{"key": "a", "label": "甲", "type": "choice", "options": ["一"]}], "bad_field_options"),
        (
            [{"key": "a", "label": "甲", "type": "choice", "options": ["一", "一"]}],
            "bad_field_options",
        ),
        ([{"key": "a", "label": "甲", "type": "bool", "options": ["是", "否"]}], "bad_field"),
        ([{"key": "a", "label": "甲", "type": "bool", "alert": "yes"}], "bad_field_alert"),
        (
            [
                {
                    "key": "a",
                    "label": "甲",
                    "type": "choice",
                    "options": ["一", "二"],
                    "alert": ["三"],
                }
            ],
            "bad_field_alert",
        ),
        ([{"key": "a", "label": "甲", "type": "bool", "required": "yes"}], "bad_field"),
        ([{"key": f"k{i}", "label": "甲", "type": "bool"} for i in range(31)], "too_many_fields"),
    ],
)
def test_bad_field_definitions(defs, code):
    with pytest.raises(DomainError) as exc:
        validate_fields(defs)
    assert (exc.value.code, exc.value.status) == (code, 422)


FIELDS = validate_fields(
    [
        *DEFAULT_FIELDS,
        {
            "key": "housing",
            "label": "房屋状况",
            "type": "choice",
            "options": ["完好", "受损", "倒塌"],
            "alert": ["倒塌"],
        },
    ]
)


def test_answers_from_a_form_are_cleaned_and_alerts_found():
    clean, alerts = validate_answers(
        FIELDS, {"all_safe": "1", "needs_help": "0", "tested": " 3 ", "note": "", "housing": "倒塌"}
    )
    assert clean == {"all_safe": True, "needs_help": False, "tested": 3, "housing": "倒塌"}
    assert alerts == ["房屋状况：倒塌"]
    clean, alerts = validate_answers(FIELDS, {"all_safe": False, "needs_help": True})
    assert alerts == ["全户人员平安：否", "需要帮助：是"]
    assert describe(FIELDS, clean) == "全户人员平安：否；需要帮助：是"


@pytest.mark.parametrize(
    ("answers", "code"),
    [
        ({"needs_help": "0"}, "answer_required"),
        ({"all_safe": "maybe", "needs_help": "0"}, "bad_answer"),
        ({"all_safe": "1", "needs_help": "0", "tested": "三"}, "bad_answer"),
        ({"all_safe": "1", "needs_help": "0", "tested": 31}, "answer_out_of_range"),
        ({"all_safe": "1", "needs_help": "0", "tested": -1}, "answer_out_of_range"),
        ({"all_safe": "1", "needs_help": "0", "tested": True}, "bad_answer"),
        ({"all_safe": "1", "needs_help": "0", "housing": "漏水"}, "bad_answer"),
        ({"all_safe": "1", "needs_help": "0", "note": "长" * 201}, "answer_too_long"),
        ({"all_safe": "1", "needs_help": "0", "pets": "2"}, "unknown_answer"),
        (["all_safe"], "bad_answers"),
    ],
)
def test_bad_answers(answers, code):
    with pytest.raises(DomainError) as exc:
        validate_answers(FIELDS, answers)
    assert (exc.value.code, exc.value.status) == (code, 422)
