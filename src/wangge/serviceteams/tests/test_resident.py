import datetime as dt

from django.utils import timezone

from wangge.serviceteams import services
from wangge.serviceteams.models import ActivitySignup
from wangge.teams.tests.world import make_building, make_household, make_resident


def test_resident_signs_up_on_h5_until_full(tree, client, make_staff):
    from wangge.accounts.services import resident_register, resident_verify

    cadre = make_staff("community_cadre", tree.community_a1a)
    team = services.team_create(
        actor=cadre, area=tree.community_a1a, name="助老队", kind="volunteer"
    )
    start = timezone.now() + dt.timedelta(days=2)
    activity = services.activity_create(
        actor=cadre,
        team=team,
        area=tree.community_a1a,
        title="上门理发",
        starts_at=start,
        ends_at=start + dt.timedelta(hours=2),
        capacity=1,
    )
    services.activity_create(
        actor=make_staff("community_cadre", tree.community_a1b),
        team=services.team_create(
            actor=make_staff("street_cadre", tree.street_a1),
            area=tree.community_a1b,
            name="别处队",
            kind="volunteer",
        ),
        area=tree.community_a1b,
        title="别的社区的活动",
        starts_at=start,
        ends_at=start + dt.timedelta(hours=1),
    )
    hh = make_household(make_building(tree.grid_a1a_1, tree.mg_a1a_1_1))
    users = []
    for i, phone in enumerate(("13612340001", "13612340002")):
        u = resident_register(
            phone=phone, password="pass-Wangge-2026", name=f"居民{i}", grid=tree.grid_a1a_1
        )
        resident_verify(actor=cadre, user=u, resident=make_resident(hh, name=f"居民{i}"))
        users.append(u)
    client.force_login(users[0])
    assert 'data-testid="activities-link"' in client.get("/m/").content.decode()
    html = client.get("/m/activities/").content.decode()
    assert "上门理发" in html and "别的社区的活动" not in html
    html = client.post("/m/activities/", {"activity": activity.pk}, follow=True).content.decode()
    assert "报名成功：上门理发" in html and "您已报名" in html
    client.force_login(users[1])
    html = client.post("/m/activities/", {"activity": activity.pk}, follow=True).content.decode()
    assert "名额已满" in html
    assert ActivitySignup.objects.filter(activity=activity).count() == 1
    client.force_login(users[0])
    html = client.post(
        "/m/activities/", {"activity": activity.pk, "action": "cancel"}, follow=True
    ).content.decode()
    assert "已取消报名" in html
    client.force_login(make_staff("grid_worker", tree.grid_a1a_1))
    assert client.get("/m/activities/").status_code == 403
