import pytest
import requests

import inwise_pandas as inwise

BASE = "https://api.inwise.com/rest/v1"


@pytest.fixture
def client():
    return inwise.Client("secret-key-123")


def test_upsert_sends_key_accept_and_exact_body(client, requests_mock):
    requests_mock.post(f"{BASE}/contacts", json={"id": 5})
    body = {"email": "a@b.co", "fields": [{"name": "field1", "content": "דנה"}]}
    assert client.upsert_contact(body) == {"id": 5}
    sent = requests_mock.last_request
    assert sent.headers["X-API-Key"] == "secret-key-123"
    assert sent.headers["Accept"] == "application/json"
    assert sent.json() == body
    assert "דנה".encode() in sent.body  # UTF-8 on the wire, not \\u escapes


def test_batch_insert_url(client, requests_mock):
    requests_mock.post(f"{BASE}/contacts/batchInsert", json={"inserted": 1})
    assert client.batch_insert({"csv_file": "Email\na@b.co\n"}) == {"inserted": 1}


def test_recently_updated_query_string_exact(client, requests_mock):
    requests_mock.get(f"{BASE}/contacts/recently_updated", json=[])
    client.recently_updated()
    assert requests_mock.last_request.url == (
        f"{BASE}/contacts/recently_updated?search_by_updated_or_added_date=false&reset=false&limit=1000"
    )
    client.recently_updated(limit=5, reset=True, search_by_updated_or_added_date=True)
    assert requests_mock.last_request.url.endswith("?search_by_updated_or_added_date=true&reset=true&limit=5")


@pytest.mark.parametrize("limit", [0, 1001, -1, 2.5, True, "10"])
def test_limit_out_of_range_is_value_error(client, limit):
    with pytest.raises(ValueError, match="limit"):
        client.recently_updated(limit=limit)


def test_missing_key_names_the_variable(requests_mock):
    client = inwise.Client()
    with pytest.raises(inwise.ConfigurationError, match="INWISE_API_KEY"):
        client.upsert_contact({"email": "a@b.co"})
    assert requests_mock.call_count == 0


def test_key_and_url_from_environment(monkeypatch, requests_mock):
    monkeypatch.setenv("INWISE_API_KEY", "env-key")
    monkeypatch.setenv("INWISE_BASE_URL", "https://sandbox.example.com/rest/v1/")
    requests_mock.post("https://sandbox.example.com/rest/v1/contacts", json={"id": 1})
    inwise.Client().upsert_contact({"email": "a@b.co"})
    assert requests_mock.last_request.headers["X-API-Key"] == "env-key"


def test_401_is_auth_error(client, requests_mock):
    requests_mock.post(f"{BASE}/contacts", status_code=401, json={"message": "bad key"})
    with pytest.raises(inwise.AuthError) as info:
        client.upsert_contact({"email": "a@b.co"})
    assert info.value.status == 401 and "bad key" in str(info.value)
    assert "secret-key-123" not in str(info.value)


def test_422_conflict_ids_parsed(client, requests_mock):
    text = "The email exists for contact ID #439130785.The mobile number exists for contact ID #439134049."
    requests_mock.post(f"{BASE}/contacts", status_code=422, json={"message": text})
    with pytest.raises(inwise.ConflictError) as info:
        client.upsert_contact({"email": "a@b.co", "mobile_number": "972541111111"})
    assert (info.value.email_contact_id, info.value.mobile_contact_id) == (439130785, 439134049)
    assert isinstance(info.value, inwise.ApiError) and isinstance(info.value, inwise.InwiseError)


def test_500_is_api_error_with_text_body(client, requests_mock):
    requests_mock.post(f"{BASE}/contacts", status_code=500, text="boom")
    with pytest.raises(inwise.ApiError) as info:
        client.upsert_contact({"email": "a@b.co"})
    assert info.value.status == 500 and info.value.body == "boom"


def test_connection_error_becomes_transport_error(client, requests_mock):
    requests_mock.post(f"{BASE}/contacts", exc=requests.ConnectionError("refused"))
    with pytest.raises(inwise.TransportError):
        client.upsert_contact({"email": "a@b.co"})


def test_repr_hides_key(client):
    assert "secret-key-123" not in repr(client) and "***" in repr(client)
    assert "secret-key-123" not in str(client)
    with pytest.raises(TypeError):
        __import__("pickle").dumps(client)


@pytest.mark.parametrize("url", ["http://api.inwise.com/rest/v1", "http://10.0.0.5:8000/rest/v1", "ftp://x/y"])
def test_plain_http_refused_off_loopback(url):
    with pytest.raises(inwise.ConfigurationError):
        inwise.Client("k", base_url=url)


@pytest.mark.parametrize("url", ["http://127.0.0.1:8765/rest/v1", "http://localhost:1/rest/v1", "http://[::1]:9/rest/v1"])
def test_plain_http_allowed_to_loopback(url):
    assert inwise.Client("k", base_url=url).base_url == url


def test_public_names():
    import __future__
    import types

    public = {name for name, value in vars(inwise).items()
              if not name.startswith("_") and not isinstance(value, (types.ModuleType, __future__._Feature))}
    assert inwise.__all__ == sorted(inwise.__all__)
    assert public == set(inwise.__all__)
