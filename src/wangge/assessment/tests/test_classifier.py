"""The category classifier: trained on the labelled set in the repository,
accurate on its held-out part, used by intake's suggestion, and dispatchers'
corrections come back out as training rows."""

from __future__ import annotations

import pytest

from wangge.assessment import classifier
from wangge.assessment.models import CategoryCorrection
from wangge.cases.services import category_suggest
from wangge.cases.tests.conftest import move, report


def test_the_labelled_set_in_the_repo_is_the_generated_one():
    rows = classifier.load_dataset()
    assert rows == classifier.generate_dataset()
    assert len({c for _, c in rows}) == 91


def test_split_is_stratified_and_deterministic():
    train, test = classifier.split(classifier.load_dataset())
    assert classifier.split(classifier.load_dataset()) == (train, test)
    assert len(test) == 91 * 12


@pytest.mark.django_db
def test_suggestions_from_words_the_keywords_miss():
    # "纸箱杂物" and "楼梯间" are not catalogue keywords of 楼道堆物 (0903) ...
    text = "有人在楼梯间放旧家具和纸箱，很难走"
    assert [c.code for c in category_suggest(text=text, limit=3)][:1] == ["0903"]
    # ... and keyword hits still count.
    assert category_suggest(text="楼下有人占道摆摊")[0].code == "0401"


@pytest.mark.django_db
def test_a_changed_category_is_a_correction_and_exports(world, client):
    w = world
    case = report(w, category=None, description="小区门口有人摆摊卖水果，挡住了路")
    assert case.category_suggested
    first = case.category.code
    case = move(case, "accept", w.dispatcher)
    move(case, "register", w.dispatcher, category="0402")
    corr = CategoryCorrection.objects.get()
    assert (corr.from_category.code, corr.to_category.code) == (first, "0402")
    assert corr.was_suggested and corr.actor == w.dispatcher
    client.force_login(w.dispatcher)
    rows = client.get("/api/v1/assessment/classifier/corrections").json()
    assert rows == [
        {
            "text": "小区门口有人摆摊卖水果，挡住了路",
            "code": "0402",
            "from_code": first,
            "was_suggested": True,
            "case_id": case.pk,
            "at": rows[0]["at"],
        }
    ]
    client.force_login(w.outsider_dispatcher)
    assert client.get("/api/v1/assessment/classifier/corrections").json() == []


@pytest.mark.django_db
def test_corrections_append_to_the_training_set(world, tmp_path, monkeypatch, capsys):
    """`assessment_classifier corrections --append`: the corrected rows join
    the labelled set once (the model is keyed by the set's hash)."""
    import io
    import shutil

    from django.core.management import call_command

    from wangge.assessment import classifier

    data = tmp_path / "training.csv"
    shutil.copy(classifier.DATA, data)
    monkeypatch.setattr(classifier, "DATA", data)
    before = classifier.load_dataset(data)
    w = world
    case = report(w, category=None, description="小区门口有人摆摊卖水果，挡住了路")
    case = move(case, "accept", w.dispatcher)
    move(case, "register", w.dispatcher, category="0402")
    out, err = io.StringIO(), io.StringIO()
    call_command(
        "assessment_classifier",
        "corrections",
        actor=w.dispatcher.username,
        append=True,
        stdout=out,
        stderr=err,
    )
    assert "小区门口有人摆摊卖水果，挡住了路,0402" in capsys.readouterr().out
    after = classifier.load_dataset(data)
    assert after == [*before, ("小区门口有人摆摊卖水果，挡住了路", "0402")]
    assert "新增 1 条训练样本" in err.getvalue()
    # Again: nothing new.
    call_command(
        "assessment_classifier",
        "corrections",
        actor=w.dispatcher.username,
        append=True,
        stdout=io.StringIO(),
        stderr=io.StringIO(),
    )
    assert classifier.load_dataset(data) == after
    # Unknown codes and empty texts are not training data.
    assert classifier.append_rows([("", "0402"), ("某某", "9999")], path=data) == 0
