from __future__ import annotations


def test_it_sets_the_csrf_cookie_and_returns_its_value(browser):
    response = browser.get("/api/v1/auth/csrf")
    assert response.status_code == 200
    assert response.json()["csrfToken"]
    assert "csrftoken" in response.cookies


def test_it_needs_no_login(script):
    assert script.get("/api/v1/auth/csrf").status_code == 200
