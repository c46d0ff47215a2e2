"""The sandbox over real loopback HTTP, through the core client and raw requests."""

import json
import threading

import pandas as pd
import pytest
import requests

import inwise_pandas as inwise

CONFLICT = "The email exists for contact ID #{}.The mobile number exists for contact ID #{}."


def people(n, start=0):
    return pd.DataFrame({
        "Email": [f"person{i}@example.com" for i in range(start, start + n)],
        "Mobile": [f"05{i % 10}{i:07d}" for i in range(start, start + n)],
        "First": [f"שם{i}" for i in range(start, start + n)],
        "Birthday": pd.Timestamp("1980-06-12"),
    })


MAP = {"Email": "email", "Mobile": "mobile", "First": 1, "Birthday": 21}


def test_10000_by_batch_and_500_by_upsert_read_back(sb, client):
    batch = people(10_000)
    upserts = people(500, start=10_000)
    r1 = batch.inwise.push(MAP, client=client, mode="batch", progress=False, country_code="972",
                           trim_leading_zero=True, group_id="715983")
    r2 = upserts.inwise.push(MAP, client=client, mode="upsert", progress=False, country_code="972",
                             trim_leading_zero=True)
    assert r1.summary["submitted"] == 10_000 and r2.summary["created"] == 500
    recent = inwise.read_recent(client=client, all_pages=True, progress=False)
    assert len(recent) == 10_500 and recent["id"].is_unique
    assert set(recent["email"]) == set(batch["Email"]) | set(upserts["Email"])
    row = recent.set_index("email").loc["person42@example.com"]
    assert row["mobile_number"] == "972520000042" and row["first_name"] == "שם42"
    assert row["birthdate"] == pd.Timestamp("1980-06-12") and row["groups"] == [715983]
    assert recent["mobile_number"].str.startswith("9725").all()


def test_conflict_422_end_to_end(sb, client):
    a = client.upsert_contact({"email": "a@x.co"})["id"]
    b = client.upsert_contact({"mobile_number": "972541111111"})["id"]
    with pytest.raises(inwise.ConflictError) as info:
        client.upsert_contact({"email": "A@x.co", "mobile_number": "972541111111"})
    assert str(info.value).endswith(CONFLICT.format(a, b))
    assert (info.value.email_contact_id, info.value.mobile_contact_id) == (a, b)
    df = pd.DataFrame({"Email": ["a@x.co"], "Mobile": ["0541111111"]})
    result = df.inwise.push({"Email": "email", "Mobile": "mobile"}, client=client, progress=False, country_code="972",
                            trim_leading_zero=True)
    assert result.rows.loc[0, "status"] == "conflict" and result.rows.loc[0, "mobile_contact_id"] == b


def test_upsert_rules(sb, client):
    first = client.upsert_contact({"email": "x@y.co", "fields": [{"name": "field1", "content": "A"},
                                                                 {"name": "field2", "content": "B"}],
                                   "add_to_groups_ids": [1, 2]})
    assert first["status"] == "created"
    again = client.upsert_contact({"email": "X@Y.CO", "mobile_number": "0541111111",
                                   "trim_mobile_number_leading_zero": True,
                                   "add_default_country_to_mobile_number_only_if_not_exists": True,
                                   "mobile_number_default_country_code": "972",
                                   "fields": [{"name": "field1", "content": "C"}], "remove_from_groups_ids": [1],
                                   "confirmation_status": "confirmed", "external_id": "crm-1"})
    assert again == {"id": first["id"], "status": "updated"}
    stored = sb.contacts("key-a").iloc[0]
    assert stored["mobile_number"] == "972541111111" and stored["field1"] == "C" and stored["field2"] == "B"
    assert stored["groups"] == [2] and stored["confirmation_status"] == "confirmed" and stored["external_id"] == "crm-1"
    client.upsert_contact({"id": first["id"], "fields": [{"name": "field3", "content": "Z"}],
                           "clear_existing_fields": True, "add_to_groups_ids": [5], "remove_from_all_other_groups": True})
    stored = sb.contacts("key-a").iloc[0]
    assert pd.isna(stored.get("field1")) and stored["field3"] == "Z" and stored["groups"] == [5]
    # A number that already carries the code is left alone.
    client.upsert_contact({"mobile_number": "972549999999", "add_default_country_to_mobile_number_only_if_not_exists": True,
                           "mobile_number_default_country_code": "972"})
    assert "972549999999" in set(sb.contacts("key-a")["mobile_number"])


def test_batch_rules_and_row_errors(sb, client):
    client.upsert_contact({"email": "old@x.co", "fields": [{"name": "field1", "content": "Old"}]})
    body = {"csv_file": 'Email,Mobile,Name\nold@x.co,,New\nnew@x.co,0541111111,"Cohen, ""Big"""\n,,nobody\n'
                        "bad-email,,x\n",
            "fields_mapping": [{"field_name": "[Email]", "file_column_name": "Email"},
                               {"field_name": "[MobileNumber]", "file_column_name": "Mobile"},
                               {"field_name": "1", "file_column_name": "Name"}],
            "group_id": "77", "updateExistingContacts": False, "country_code": "972", "trim_leading_zero": True}
    answer = client.batch_insert(body)
    assert (answer["inserted"], answer["skipped"], answer["failed"]) == (1, 1, 2)
    assert [e["row"] for e in answer["errors"]] == [3, 4]
    stored = sb.contacts("key-a").set_index("email")
    assert stored.loc["old@x.co", "field1"] == "Old"
    assert stored.loc["new@x.co", "field1"] == 'Cohen, "Big"' and stored.loc["new@x.co", "mobile_number"] == "972541111111"
    assert stored.loc["new@x.co", "groups"] == [77]
    answer = client.batch_insert({**body, "updateExistingContacts": True})
    assert answer["updated"] == 2 and sb.contacts("key-a").set_index("email").loc["old@x.co", "field1"] == "New"


def test_cursor_created_only(sb, client):
    for i in range(5):
        client.upsert_contact({"email": f"c{i}@x.co"})
    page1 = client.recently_updated(limit=3)
    page2 = client.recently_updated(limit=3)
    assert len(page1) == 3 and len(page2) == 2
    assert {c["email"] for c in page1 + page2} == {f"c{i}@x.co" for i in range(5)}
    assert client.recently_updated() == []
    client.upsert_contact({"email": "c0@x.co", "fields": [{"name": "field1", "content": "changed"}]})
    assert client.recently_updated() == []  # updated, not created: not returned with the flag false
    assert len(client.recently_updated(reset=True)) == 5


def test_cursor_with_updates(sb, client):
    for i in range(3):
        client.upsert_contact({"email": f"u{i}@x.co"})
    assert len(client.recently_updated(search_by_updated_or_added_date=True)) == 3
    assert client.recently_updated(search_by_updated_or_added_date=True) == []
    client.upsert_contact({"email": "u1@x.co", "fields": [{"name": "field1", "content": "new"}]})
    again = client.recently_updated(search_by_updated_or_added_date=True)
    assert [c["email"] for c in again] == ["u1@x.co"] and again[0]["fields"] == [{"name": "field1", "content": "new"}]
    assert {"created_date", "updated_date", "groups", "confirmation_status"} <= set(again[0])


def test_accounts_are_isolated(sb):
    a, b = sb.client("key-a"), sb.client("key-b")
    a.upsert_contact({"email": "same@x.co"})
    assert b.recently_updated() == []
    assert b.upsert_contact({"email": "same@x.co"})["status"] == "created"
    assert len(sb.contacts("key-a")) == 1 and len(sb.contacts("key-b")) == 1
    with pytest.raises(inwise.AuthError):
        sb.client("wrong").upsert_contact({"email": "x@y.co"})


@pytest.mark.parametrize("method,path,kwargs,status", [
    ("POST", "/contacts", {"data": b"{not json"}, 400),
    ("POST", "/contacts", {"data": b"\xff\xfe"}, 400),
    ("POST", "/contacts", {"json": ["a list"]}, 400),
    ("POST", "/contacts", {"json": {"email": 5}}, 400),
    ("POST", "/contacts", {"json": {"email": "a@b.co", "add_to_groups_ids": ["x"]}}, 400),
    ("POST", "/contacts", {"json": {"email": "a@b.co", "fields": [{"name": "first", "content": "x"}]}}, 400),
    ("POST", "/contacts", {"json": {"email": "a@b.co", "clear_existing_fields": "yes"}}, 400),
    ("POST", "/contacts", {"json": {}}, 400),
    ("POST", "/contacts", {"json": {"email": "not-an-email"}}, 400),
    ("POST", "/contacts", {"json": {"id": 123, "email": "a@b.co"}}, 404),
    ("POST", "/contacts/batchInsert", {"json": {"csv_file": 5}}, 400),
    ("POST", "/contacts/batchInsert", {"json": {"csv_file": "A\n1\n", "fields_mapping": [
        {"field_name": "[Email]", "file_column_name": "Missing"}]}}, 400),
    ("POST", "/contacts/batchInsert", {"json": {"csv_file": "A\n1\n", "fields_mapping": [
        {"field_name": "[Email]", "file_column_name": "A"}], "group_id": 5}}, 400),
    ("GET", "/contacts/recently_updated?limit=0", {}, 400),
    ("GET", "/contacts/recently_updated?limit=1001", {}, 400),
    ("GET", "/contacts/recently_updated?limit=abc", {}, 400),
    ("GET", "/contacts/recently_updated?reset=maybe", {}, 400),
    ("GET", "/nope", {}, 404),
    ("DELETE", "/contacts", {}, 405),
    ("GET", "/contacts", {}, 405),
    ("POST", "/contacts/recently_updated", {}, 405),
])
def test_every_bad_request_is_a_json_4xx(sb, method, path, kwargs, status):
    response = requests.request(method, sb.url + path, headers={"X-API-Key": "key-a"}, timeout=5, **kwargs)
    assert response.status_code == status
    assert response.headers["Content-Type"].startswith("application/json")
    assert response.json()["message"]


def test_auth_required(sb):
    response = requests.get(sb.url + "/contacts/recently_updated", timeout=5)
    assert response.status_code == 401 and "X-API-Key" in response.json()["message"]


def test_body_too_large_is_413(sb):
    from inwise_pandas.sandbox import MAX_BODY_BYTES

    response = requests.post(sb.url + "/contacts", data=b"x" * (MAX_BODY_BYTES + 1),
                             headers={"X-API-Key": "key-a"}, timeout=10)
    assert response.status_code == 413 and response.json()["error"] == "payload_too_large"


def test_concurrent_upserts_make_one_contact(sb):
    clients = [sb.client() for _ in range(8)]
    errors = []

    def hammer(c):
        try:
            for _ in range(25):
                c.upsert_contact({"email": "race@x.co", "mobile_number": "972541111111"})
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=hammer, args=(c,)) for c in clients]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == [] and len(sb.contacts("key-a")) == 1


def test_pytest_plugin_fixture(inwise_sandbox):
    client = inwise_sandbox.client()
    assert client.upsert_contact({"email": "plugin@x.co"})["status"] == "created"
    assert list(inwise_sandbox.contacts()["email"]) == ["plugin@x.co"]
    inwise_sandbox.reset()
    assert inwise_sandbox.contacts().empty


def test_keep_alive_connection_is_reused(sb, client):
    for i in range(50):
        client.upsert_contact({"email": f"k{i}@x.co"})
    assert sb.stats["requests"] == 50
    assert json.loads(json.dumps(sb.stats))["requests"] == 50
