import pytest

pytestmark = pytest.mark.django_db


def test_grid_worker_home_links_the_worker_app_not_the_console(client, tree, make_staff):
    client.force_login(make_staff("grid_worker", tree.grid_a1a_1))
    text = client.get("/").content.decode()
    assert 'href="/w/"' in text and 'href="/console/"' not in text
    assert "芦席汇社区第一网格" in text


def test_dispatcher_home_links_the_console(client, tree, make_staff):
    client.force_login(make_staff("dispatcher", tree.district_a))
    text = client.get("/").content.decode()
    assert 'href="/console/"' in text and 'href="/w/"' not in text
    assert "南湖区" in text and "秀洲区" not in text


def test_resident_goes_to_the_h5(client, tree):
    from wangge.accounts.services import resident_register

    user = resident_register(
        phone="13912345678", password="Resident-2026", name="赵阿姨", grid=tree.grid_a1a_1
    )
    client.force_login(user)
    response = client.get("/")
    assert response.status_code == 302 and response["Location"] == "/m/"
