import json

import pandas as pd
import pytest

import inwise_pandas as inwise

BASE = "https://api.inwise.com/rest/v1"
M = {"Email": "email", "Mobile": "mobile", "First": 1}
CONFLICT = "The email exists for contact ID #11.The mobile number exists for contact ID #22."


@pytest.fixture
def client():
    return inwise.Client("k")


def check_accounting(result, frame):
    assert result.rows.index.equals(frame.index)
    assert int(result.summary.sum()) == len(frame)
    assert result.rows["status"].notna().all()


def test_statuses_add_up_and_align_to_index(client, requests_mock):
    df = pd.DataFrame({"Email": ["a@x.co", "bad", "c@x.co", None], "Mobile": [None, None, "0541111111", None],
                       "First": ["A", "B", "C", "D"]}, index=["r1", "r2", "r3", "r4"])
    ids = iter([{"id": 1, "status": "created"}, {"id": 2, "status": "updated"}])
    requests_mock.post(f"{BASE}/contacts", json=lambda req, ctx: next(ids))
    result = df.inwise.push(M, client=client, mode="upsert", progress=False, workers=1)
    check_accounting(result, df)
    assert result.rows.loc["r2", "status"] == "invalid" and "column 'Email': no @" in result.rows.loc["r2", "error"]
    assert result.rows.loc["r4", "status"] == "invalid" and result.rows.loc["r4", "error"] == "no email and no mobile"
    assert requests_mock.call_count == 2
    assert set(result.rows.loc[["r1", "r3"], "status"]) == {"created", "updated"}
    assert list(result.failed.index) == ["r2", "r4"] and list(result.failed.columns) == list(df.columns)
    assert result.rows["contact_id"].dtype == "Int64"


def test_conflict_and_failure_statuses(client, requests_mock):
    df = pd.DataFrame({"Email": ["a@x.co", "b@x.co", "c@x.co"]})

    def answer(request, context):
        email = request.json()["email"]
        if email == "a@x.co":
            context.status_code = 422
            return {"message": CONFLICT}
        if email == "b@x.co":
            context.status_code = 500
            return {"message": "oops"}
        return {"id": 3}

    requests_mock.post(f"{BASE}/contacts", json=answer)
    result = df.inwise.push({"Email": "email"}, client=client, mode="upsert", progress=False)
    check_accounting(result, df)
    row = result.rows.loc[0]
    assert row["status"] == "conflict" and (row["email_contact_id"], row["mobile_contact_id"]) == (11, 22)
    assert result.rows.loc[1, "status"] == "failed" and result.rows.loc[1, "http_status"] == 500
    assert result.rows.loc[2, "status"] == "created" and result.rows.loc[2, "contact_id"] == 3
    assert len(result.failed) == 2


def test_401_fails_every_row_without_leaking_key(requests_mock):
    client = inwise.Client("top-secret-key")
    requests_mock.post(f"{BASE}/contacts", status_code=401, json={"message": "unauthorized"})
    df = pd.DataFrame({"Email": ["a@x.co", "b@x.co"]})
    result = df.inwise.push({"Email": "email"}, client=client, mode="upsert", progress=False)
    assert list(result.rows["status"]) == ["failed", "failed"]
    assert "top-secret-key" not in result.rows.to_string() and "top-secret-key" not in repr(result)


def test_invalid_rows_are_never_sent(client, requests_mock):
    requests_mock.post(f"{BASE}/contacts", json={"id": 1})
    df = pd.DataFrame({"Email": ["nope", "x@@y.co"], "Mobile": ["123", "abc"]})
    result = df.inwise.push({"Email": "email", "Mobile": "mobile"}, client=client, progress=False)
    assert requests_mock.call_count == 0 and list(result.rows["status"]) == ["invalid", "invalid"]


def test_mapping_error_before_any_request(client, requests_mock):
    with pytest.raises(inwise.MappingError):
        pd.DataFrame({"Email": ["a@x.co"]}).inwise.push({"Mail": "email"}, client=client)
    assert requests_mock.call_count == 0


def test_duplicates_merged_into_one_request(client, requests_mock):
    requests_mock.post(f"{BASE}/contacts", json={"id": 9, "status": "created"})
    df = pd.DataFrame({"Email": ["Dana@X.co", "dana@x.co ", None], "Mobile": [None, "0541111111", "054-1111111"],
                       "First": [None, "Dana", "D"]})
    result = df.inwise.push(M, client=client, mode="upsert", progress=False)
    assert requests_mock.call_count == 1
    assert requests_mock.last_request.json() == {"email": "dana@x.co", "mobile_number": "0541111111",
                                                 "fields": [{"name": "field1", "content": "Dana"}]}
    assert list(result.rows["status"]) == ["created", "updated", "updated"]
    assert list(result.rows["merged_into"]) == [None, 0, 0]
    assert (result.rows["contact_id"] == 9).all()


def test_in_frame_conflict_not_sent(client, requests_mock):
    requests_mock.post(f"{BASE}/contacts", json={"id": 1})
    df = pd.DataFrame({"Email": ["a@x.co", "b@x.co", "a@x.co"], "Mobile": ["0541111111", "0542222222", "0542222222"]})
    result = df.inwise.push({"Email": "email", "Mobile": "mobile"}, client=client, progress=False)
    check_accounting(result, df)
    assert result.rows.loc[2, "status"] == "conflict" and "row 0" in result.rows.loc[2, "error"]
    assert requests_mock.call_count == 2


def test_duplicates_flag_option(client, requests_mock):
    requests_mock.post(f"{BASE}/contacts", json={"id": 1})
    df = pd.DataFrame({"Email": ["a@x.co", "A@x.co"]})
    result = df.inwise.push({"Email": "email"}, client=client, progress=False, duplicates="flag")
    assert list(result.rows["status"]) == ["created", "invalid"] and "duplicate of row 0" in result.rows.loc[1, "error"]


def test_batch_mode_maps_row_errors_back(client, requests_mock):
    df = pd.DataFrame({"Email": [f"p{i}@x.co" for i in range(5)]}, index=list("abcde"))
    answer = {"inserted": 3, "failed": 2, "errors": [{"row": 2, "error": "no email"}, {"row": 5, "error": CONFLICT}]}
    requests_mock.post(f"{BASE}/contacts/batchInsert", json=answer)
    result = df.inwise.push({"Email": "email"}, client=client, mode="batch", progress=False)
    check_accounting(result, df)
    assert list(result.rows["status"]) == ["submitted", "failed", "submitted", "submitted", "conflict"]
    assert "batchInsert row 2: no email" == result.rows.loc["b", "error"]
    sent = requests_mock.last_request.json()
    assert sent["csv_file"].count("\n") == 6


def test_batch_chunk_failure_fails_its_rows_only(client, requests_mock):
    df = pd.DataFrame({"Email": [f"p{i}@x.co" for i in range(4)]})
    responses = [{"json": {"inserted": 2}}, {"status_code": 400, "json": {"message": "bad csv"}}]
    requests_mock.post(f"{BASE}/contacts/batchInsert", responses)
    result = df.inwise.push({"Email": "email"}, client=client, mode="batch", chunk_size=2, progress=False, workers=1)
    assert sorted(result.rows["status"]) == ["failed", "failed", "submitted", "submitted"]
    check_accounting(result, df)


def test_auto_mode_threshold(client, requests_mock):
    requests_mock.post(f"{BASE}/contacts/batchInsert", json={"inserted": 5})
    requests_mock.post(f"{BASE}/contacts", json={"id": 1})
    df = pd.DataFrame({"Email": [f"p{i}@x.co" for i in range(5)]})
    assert df.inwise.push({"Email": "email"}, client=client, progress=False, auto_threshold=4).mode == "batch"
    assert df.inwise.push({"Email": "email"}, client=client, progress=False).mode == "upsert"
    forced = df.assign(Ext="x").inwise.push({"Email": "email", "Ext": "external_id"}, client=client,
                                            progress=False, auto_threshold=1)
    assert forced.mode == "upsert"


def test_mapping_none_uses_suggestion_and_says_so(client, requests_mock):
    requests_mock.post(f"{BASE}/contacts", json={"id": 1})
    df = pd.DataFrame({"E-mail": ["a@x.co"]})
    with pytest.warns(UserWarning, match="suggested mapping"):
        result = df.inwise.push(client=client, progress=False)
    assert result.rows.loc[0, "status"] == "created"


def test_empty_frame(client, requests_mock):
    df = pd.DataFrame({"Email": pd.Series([], dtype=str)})
    result = df.inwise.push({"Email": "email"}, client=client, progress=False)
    assert len(result.rows) == 0 and int(result.summary.sum()) == 0 and requests_mock.call_count == 0


def test_result_repr_and_html(client, requests_mock):
    requests_mock.post(f"{BASE}/contacts", json={"id": 1})
    df = pd.DataFrame({"Email": ["a@x.co", "bad"]})
    result = df.inwise.push({"Email": "email"}, client=client, progress=False)
    assert "created=1" in repr(result) and "invalid=1" in repr(result)
    html = result._repr_html_()
    assert "Not delivered" in html and "no @" in html


def test_tolerant_upsert_answers():
    from inwise_pandas.push import parse_upsert_reply

    assert parse_upsert_reply(7) == (7, "created")
    assert parse_upsert_reply({"contact_id": "8"}) == (8, "created")
    assert parse_upsert_reply({"data": {"id": 9, "status": "updated"}}) == (9, "updated")
    assert parse_upsert_reply({"contact": {"Id": 10}, "created": False}) == (10, "updated")
    assert parse_upsert_reply(None) == (None, "created")
    assert json.dumps(parse_upsert_reply("x")) == "[null, \"created\"]"
