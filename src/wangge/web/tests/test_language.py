def test_admin_speaks_zh_hans_even_to_an_english_browser(client, tree, make_staff):
    user = make_staff("street_cadre", tree.street_a1, is_staff=True)
    client.force_login(user)
    response = client.get("/admin/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    text = response.content.decode()
    assert response.status_code == 200
    assert "欢迎" in text and "修改密码" in text
    assert "Welcome" not in text and "Change password" not in text
