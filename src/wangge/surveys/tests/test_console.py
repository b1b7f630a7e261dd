"""The console's 居民问卷 page (/console/surveys/): who sees and starts
surveys where, Chinese errors that write nothing, open / close (the H5
follows), and results per area with the raw counts."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from wangge.points.tests.people import person
from wangge.surveys.models import Question, Response, Survey
from wangge.surveys.services import survey_answer, survey_create

pytestmark = pytest.mark.django_db

URL = "/console/surveys/"


@pytest.fixture
def street_cadre(world, make_staff):
    return make_staff("street_cadre", world.tree.street_a1, name="街道干部")


def _form(area, **kw):
    today = timezone.localdate()
    data = {
        "name": "网格员知晓率调查",
        "area_id": str(area.pk),
        "start": str(today),
        "end": str(today + timedelta(days=14)),
        "q0": "您知道您所在网格的网格员是谁吗？",
        "a0": "1",
        "q1": "您对网格服务满意吗？",  # not an awareness question: a1 left out
    }
    data.update(kw)
    return data


def _survey(w, area, **kw):
    today = timezone.localdate()
    return survey_create(
        actor=kw.pop("actor", w.dispatcher),
        name=kw.pop("name", "网格员知晓率调查"),
        area_id=area.pk,
        start=str(kw.pop("start", today - timedelta(days=1))),
        end=str(kw.pop("end", today + timedelta(days=7))),
        questions=kw.pop("questions", None),
    )


def test_a_street_cadre_starts_a_survey_in_the_console(world, street_cadre, client):
    t = world.tree
    client.force_login(street_cadre)
    page = client.get(URL).content.decode()
    assert "发起问卷" in page
    assert "芦席汇社区" in page  # a community of the street, in the area list
    assert "南湖区" not in page.split('id="sv-area"')[1]  # not above the street
    made = client.post(URL + "new/", _form(t.community_a1a))
    assert made.status_code == 302
    survey = Survey.objects.get()
    assert made["Location"] == f"{URL}{survey.pk}/"
    assert (survey.area, survey.created_by) == (t.community_a1a, street_cadre)
    qs = list(survey.questions.values_list("text", "awareness"))
    assert qs == [("您知道您所在网格的网格员是谁吗？", True), ("您对网格服务满意吗？", False)]
    detail = client.get(made["Location"]).content.decode()
    assert "已发起问卷：网格员知晓率调查" in detail
    assert "进行中" in detail and "关闭" in detail
    assert "网格员知晓率调查" in client.get(URL).content.decode()


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"name": "  "}, "请填写问卷名称"),
        ({"name": "调" * 101}, "问卷名称最多 100 字"),
        ({"area_id": ""}, "请选择调查范围"),
        ({"start": "2026/11/01"}, "起止日期格式不正确"),
        ({"end": ""}, "起止日期格式不正确"),
        ({"start": "2026-12-01", "end": "2026-11-01"}, "结束日期不能早于开始日期"),
        ({"q0": "", "q1": ""}, "问卷须有 1–10 个问题"),
        ({"q0": "知" * 201}, "每个问题最多 200 字"),
    ],
)
def test_bad_input_shows_a_chinese_error_and_writes_nothing(
    world, street_cadre, client, change, message
):
    client.force_login(street_cadre)
    data = _form(world.tree.street_a1, **change)
    bad = client.post(URL + "new/", data)
    assert bad.status_code == 422
    html = bad.content.decode()
    assert message in html
    # what was typed is kept in the form
    assert 'value="您对网格服务满意吗？"' in html or "q1" in change
    assert not Survey.objects.exists()
    assert not Question.objects.exists()


def test_foreign_areas_and_surveys_are_404(world, street_cadre, client, make_staff):
    t = world.tree
    foreign = _survey(world, t.street_b1, actor=world.outsider_dispatcher, name="外区问卷")
    client.force_login(street_cadre)
    assert client.post(URL + "new/", _form(t.street_b1)).status_code == 404
    assert client.post(URL + "new/", _form(t.street_b1, area_id="abc")).status_code == 404
    assert client.get(f"{URL}{foreign.pk}/").status_code == 404
    assert client.post(f"{URL}{foreign.pk}/close/").status_code == 404
    assert client.get(f"{URL}999999/").status_code == 404
    assert "外区问卷" not in client.get(URL).content.decode()
    assert Survey.objects.count() == 1
    assert Survey.objects.get().closed_at is None


def test_who_may_run_surveys(world, street_cadre, client):
    """Cadres, dispatchers and city admins start and close surveys over their
    areas (the console's navigation shows them 居民问卷); a leader and
    department staff only read; the grid team and residents are not console
    users (403); a community cadre reads its street's survey but may not
    close it (above its area: 403, nothing changes)."""
    t = world.tree
    survey = _survey(world, t.street_a1)
    for user in (street_cadre, world.dispatcher, world.community_cadre):
        client.force_login(user)
        assert 'href="/console/surveys/"' in client.get("/console/").content.decode()
        assert "发起问卷" in client.get(URL).content.decode()
    for user in (world.leader, world.zf_staff):
        client.force_login(user)
        assert 'href="/console/surveys/"' not in client.get("/console/").content.decode()
        page = client.get(URL)
        assert page.status_code == 200
        assert "网格员知晓率调查" in page.content.decode()
        assert "发起问卷" not in page.content.decode()
        assert client.post(URL + "new/", _form(t.street_a1)).status_code == 403
        assert client.post(f"{URL}{survey.pk}/close/").status_code == 403
    for user in (world.grid_worker, world.grid_leader, world.resident):
        client.force_login(user)
        assert client.get(URL).status_code == 403
        assert client.post(URL + "new/", _form(t.grid_a1a_1)).status_code == 403
    client.logout()
    assert client.get(URL)["Location"].startswith("/accounts/login/")
    client.force_login(world.community_cadre)
    detail = client.get(f"{URL}{survey.pk}/").content.decode()
    assert "网格员知晓率调查" in detail and "关闭</button>" not in detail
    refused = client.post(f"{URL}{survey.pk}/close/")
    assert refused.status_code == 403
    assert "只有管理员、调度员、镇街和村社区干部可以发起问卷" in refused.content.decode()
    assert Survey.objects.count() == 1
    survey.refresh_from_db()
    assert survey.closed_at is None


def test_close_and_open_again_the_h5_follows(world, street_cadre, client):
    t = world.tree
    survey = _survey(world, t.street_a1)
    resident = person(t.grid_a1a_1, t.mg_a1a_1_1)
    client.force_login(resident.user)
    assert "网格员知晓率调查" in client.get("/m/surveys/").content.decode()

    client.force_login(street_cadre)
    closed = client.post(f"{URL}{survey.pk}/close/", HTTP_HX_REQUEST="true")
    assert closed.status_code == 200
    assert "已关闭" in closed.content.decode() and "开启</button>" in closed.content.decode()
    again = client.post(f"{URL}{survey.pk}/close/", HTTP_HX_REQUEST="true")
    assert again.status_code == 409
    assert "问卷已经结束" in again.content.decode()
    survey.refresh_from_db()
    assert survey.closed_by == street_cadre

    client.force_login(resident.user)
    assert "网格员知晓率调查" not in client.get("/m/surveys/").content.decode()
    q = survey.questions.first()
    refused = client.post(f"/m/surveys/{survey.pk}/", {f"q{q.pk}": "yes"})
    assert refused.status_code == 409
    assert not Response.objects.exists()

    client.force_login(street_cadre)
    opened = client.post(f"{URL}{survey.pk}/open/")  # without htmx: back to the survey
    assert opened.status_code == 302
    assert "问卷已开启" in client.get(opened["Location"]).content.decode()
    survey.refresh_from_db()
    assert survey.closed_at is None
    client.force_login(resident.user)
    assert "网格员知晓率调查" in client.get("/m/surveys/").content.decode()


def test_open_a_survey_that_has_not_started_and_not_one_that_ended(world, street_cadre, client):
    t = world.tree
    today = timezone.localdate()
    later = _survey(world, t.street_a1, start=today + timedelta(days=3), end=today + timedelta(9))
    past = _survey(world, t.street_a1, start=today - timedelta(9), end=today - timedelta(days=2))
    client.force_login(street_cadre)
    assert "未开始" in client.get(URL).content.decode()
    assert client.post(f"{URL}{later.pk}/open/").status_code == 302
    later.refresh_from_db()
    assert (later.start, later.end) == (today, today + timedelta(9))
    ended = client.post(f"{URL}{past.pk}/open/")
    assert ended.status_code == 409
    assert "不能重新开启" in ended.content.decode()
    past.refresh_from_db()
    assert past.start == today - timedelta(9)


def test_results_per_area_with_the_raw_counts(world, street_cadre, client):
    t = world.tree
    survey = _survey(
        world,
        t.street_a1,
        questions=[
            {"text": "您知道您的网格员是谁吗？", "awareness": True},
            {"text": "您知道网格长是谁吗？", "awareness": True},
            {"text": "您对网格服务满意吗？", "awareness": False},
        ],
    )
    q1, q2, q3 = survey.questions.all()
    # Three residents of community A1a (two grids): 5 知道 of 6 awareness
    # answers; the satisfaction question: 1 of 3, reported, not counted.
    answers = [
        (t.grid_a1a_1, t.mg_a1a_1_1, "yes", "yes", "no"),
        (t.grid_a1a_1, t.mg_a1a_1_1, "yes", "no", "no"),
        (t.grid_a1a_2, None, "yes", "yes", "yes"),
    ]
    for i, (grid, mg, a, b, c) in enumerate(answers):
        p = person(grid, mg, name=f"居民{i}")
        survey_answer(actor=p.user, survey_id=survey.pk, answers={q1.pk: a, q2.pk: b, q3.pk: c})
    client.force_login(street_cadre)
    row = client.get(URL).content.decode()
    # 3 responses, 6 awareness answers, 5 知道: 83.33%
    assert "83.33%" in row
    html = client.get(f"{URL}{survey.pk}/").content.decode()
    assert "答卷 3 份；知晓类答题 6 次，回答“知道” 5 次；知晓率 <strong>83.33%</strong>" in html
    assert t.community_a1a.name in html
    assert "（不计入知晓率）" in html
    # The question not counted: 1 of 3 (33.33%), still reported.
    assert "33.33%" in html
    # A dispatcher of another street sees none of it.
    client.force_login(world.outsider_dispatcher)
    assert "83.33%" not in client.get(URL).content.decode()
    assert client.get(f"{URL}{survey.pk}/").status_code == 404


def test_the_list_takes_a_fixed_number_of_queries(
    world, street_cadre, client, django_assert_max_num_queries
):
    t = world.tree
    for i in range(5):
        _survey(world, t.street_a1, name=f"问卷{i}")
    client.force_login(street_cadre)
    client.get(URL)
    with django_assert_max_num_queries(12):
        html = client.get(URL).content.decode()
    assert html.count('data-testid="survey-row"') == 5
