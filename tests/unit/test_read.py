import pandas as pd
import pytest

import inwise_pandas as inwise

URL = "https://api.inwise.com/rest/v1/contacts/recently_updated"
CONTACT = {"id": 5, "email": "a@x.co", "mobile_number": "0541111111", "confirmation_status": "confirmed",
           "fields": [{"name": "field1", "content": "דנה"}, {"name": "field21", "content": "12/06/1980"},
                      {"name": "field7", "content": "x"}],
           "groups": [715983], "created_date": "2026-11-01T10:00:00Z"}


@pytest.fixture
def client():
    return inwise.Client("k")


def test_typed_frame(client, requests_mock):
    requests_mock.get(URL, json=[CONTACT])
    frame = inwise.read_recent(client=client, progress=False)
    assert frame["id"].dtype == "Int64"
    assert frame.loc[0, "mobile_number"] == "0541111111" and frame["mobile_number"].dtype == "string"
    assert frame.loc[0, "first_name"] == "דנה" and frame.loc[0, "field7"] == "x"
    assert frame.loc[0, "birthdate"] == pd.Timestamp("1980-06-12")
    assert pd.api.types.is_datetime64_any_dtype(frame["created_date"])
    assert frame.loc[0, "groups"] == [715983]


@pytest.mark.parametrize("shape", [
    lambda c: {"contacts": [c]}, lambda c: {"data": [c]}, lambda c: [c],
    lambda c: [{**c, "fields": {"field1": "דנה", "field21": "12/06/1980", "field7": "x"}}],
])
def test_tolerant_shapes(client, requests_mock, shape):
    requests_mock.get(URL, json=shape(CONTACT))
    frame = inwise.read_recent(client=client, progress=False)
    assert len(frame) == 1 and frame.loc[0, "first_name"] == "דנה"


def test_numbers_stay_strings(client, requests_mock):
    requests_mock.get(URL, json=[{"id": "6", "email": None, "mobile_number": 972541111111}])
    frame = inwise.read_recent(client=client, progress=False)
    assert frame.loc[0, "mobile_number"] == "972541111111" and frame.loc[0, "id"] == 6


def test_empty_answer_gives_columns(client, requests_mock):
    requests_mock.get(URL, json=[])
    frame = inwise.read_recent(client=client, progress=False, field_names={3: "city"})
    assert len(frame) == 0
    assert {"id", "email", "mobile_number", "confirmation_status", "first_name", "last_name", "birthdate",
            "city"} <= set(frame.columns)


def test_all_pages_stops_on_short_page(client, requests_mock):
    pages = [[{**CONTACT, "id": i} for i in range(3)], [{**CONTACT, "id": 9}]]
    requests_mock.get(URL, [{"json": p} for p in pages])
    frame = inwise.read_recent(client=client, limit=3, all_pages=True, reset=True, progress=False)
    assert list(frame["id"]) == [0, 1, 2, 9]
    first, second = requests_mock.request_history
    assert "reset=true" in first.url and "reset=false" in second.url and "limit=3" in second.url


def test_journal_round_trip(client, requests_mock, tmp_path):
    requests_mock.get(URL, [{"json": [CONTACT, {**CONTACT, "id": 6}]}, {"json": []}])
    path = tmp_path / "journal.jsonl"
    frame = inwise.read_recent(client=client, limit=2, all_pages=True, journal=path, progress=False)
    rebuilt = inwise.read_journal(path)
    pd.testing.assert_frame_equal(frame, rebuilt)
