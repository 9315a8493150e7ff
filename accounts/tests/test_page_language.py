"""POST /language: the header's English / فارسی switch."""

from __future__ import annotations

from django.test import Client


def test_it_switches_to_persian_right_to_left(client: Client, db: None) -> None:
    body = client.get("/login").content.decode()
    assert '<html lang="en" dir="ltr">' in body
    assert 'value="fa"' in body and "فارسی" in body

    response = client.post("/language", {"language": "fa", "next": "/login"})
    assert response.status_code == 302
    assert response["Location"] == "/login"
    body = client.get("/login").content.decode()
    assert '<html lang="fa" dir="rtl">' in body
    assert "ورود به Writers" in body


def test_it_switches_back_to_english(client: Client, db: None) -> None:
    client.cookies["django_language"] = "fa"
    client.post("/language", {"language": "en", "next": "/login"})
    assert '<html lang="en" dir="ltr">' in client.get("/login").content.decode()
