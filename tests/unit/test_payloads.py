import csv
import io
import json

import numpy as np
import pandas as pd
import pytest

import inwise_pandas  # noqa: F401  (registers df.inwise)
from inwise_pandas import FieldMapping, MappingError

M = FieldMapping({"Email": "email", "Mobile": "mobile", "First": 1, "Last": 2, "Birthday": 21})


def frame(**columns):
    return pd.DataFrame(columns)


def test_documented_example_2_exactly():
    df = frame(Email=["contact1@company.com"], Mobile=["972541111111"], First=["fname1"], Last=["lname1"],
               Birthday=[pd.Timestamp("1980-06-12")], Status=["confirmed"])
    mapping = FieldMapping({**M.to_dict(), "Status": "confirmation_status"})
    assert df.inwise.to_upserts(mapping, group_id="715983") == [{
        "email": "contact1@company.com",
        "mobile_number": "972541111111",
        "fields": [{"name": "field1", "content": "fname1"}, {"name": "field2", "content": "lname1"},
                   {"name": "field21", "content": "12/06/1980"}],
        "add_to_groups_ids": [715983],
        "confirmation_status": "confirmed",
    }]


def test_documented_example_3_mobile_options():
    df = frame(Email=["contact1@company.com"], Mobile=["0541111111"])
    body = df.inwise.to_upserts({"Email": "email", "Mobile": "mobile"}, country_code="972", trim_leading_zero=True)[0]
    assert body == {
        "email": "contact1@company.com",
        "mobile_number": "0541111111",
        "trim_mobile_number_leading_zero": True,
        "add_default_country_to_mobile_number_only_if_not_exists": True,
        "mobile_number_default_country_code": "972",
    }
    assert isinstance(body["mobile_number_default_country_code"], str)


def test_every_other_documented_upsert_key():
    df = frame(Id=[42], Email=["a@b.co"], Ext=["crm-7"])
    body = df.inwise.to_upserts({"Id": "id", "Email": "email", "Ext": "external_id"}, add_to_groups_ids=[721129, "5"],
                                remove_from_groups_ids=[0], remove_from_all_other_groups=True,
                                clear_existing_fields=True, confirmation_status="confirmed")[0]
    assert body == {"id": 42, "email": "a@b.co", "confirmation_status": "confirmed",
                    "add_to_groups_ids": [721129, 5], "remove_from_groups_ids": [0],
                    "remove_from_all_other_groups": True, "clear_existing_fields": True, "external_id": "crm-7"}
    assert all(isinstance(g, int) for g in body["add_to_groups_ids"])


def test_missing_values_left_out_never_nan():
    df = frame(Email=["a@b.co", "c@d.co", "e@f.co"], Mobile=[np.nan, None, ""], First=[None, np.nan, pd.NA],
               Last=["", " ", "x"], Birthday=[pd.NaT, pd.NaT, pd.NaT])
    bodies = df.inwise.to_upserts(M)
    assert bodies[0] == {"email": "a@b.co"} and bodies[1] == {"email": "c@d.co"}
    assert bodies[2] == {"email": "e@f.co", "fields": [{"name": "field2", "content": "x"}]}
    assert "nan" not in json.dumps(bodies).lower()


@pytest.mark.parametrize("value,expected", [
    (541111111.0, "541111111"), (9.72541111111e11, "972541111111"), ("9.72541111111e+11", "972541111111"),
    ("541111111.0", "541111111"), (972541111111, "972541111111"), ("+972-54-111-1111", "972541111111"),
    ("(054) 111-1111", "0541111111"), ("00972541111111", "972541111111"),
])
def test_float_and_formatted_mobiles_become_digits(value, expected):
    df = pd.DataFrame({"Mobile": pd.Series([value], dtype=object)})
    assert df.inwise.to_upserts({"Mobile": "mobile"})[0]["mobile_number"] == expected


def test_float_column_mobiles_and_integer_fields():
    df = frame(Mobile=[541111111.0, np.nan, 9.72541111112e11], Age=[41, 42, 43])
    bodies = df.inwise.to_upserts({"Mobile": "mobile", "Age": 5})
    assert [b["mobile_number"] for b in bodies] == ["541111111", "972541111112"]
    assert bodies[0]["fields"] == [{"name": "field5", "content": "41"}]


def test_date_format_option():
    df = frame(Email=["a@b.co"], Birthday=[pd.Timestamp("1980-06-12")])
    body = df.inwise.to_upserts({"Email": "email", "Birthday": 21}, date_format="%Y-%m-%d")[0]
    assert body["fields"] == [{"name": "field21", "content": "1980-06-12"}]


def test_batch_body_keys_and_mapping():
    df = frame(Email=["contact1@company.com"], Mobile=["0541111111"], First=["fname1"], Last=["lname1"])
    (body,) = df.inwise.to_batch({"Email": "email", "Mobile": "mobile", "First": 1, "Last": 2},
                                 group_id=715983, country_code="972", trim_leading_zero=True)
    assert body["fields_mapping"] == [
        {"field_name": "[Email]", "file_column_name": "Email"},
        {"field_name": "[MobileNumber]", "file_column_name": "Mobile"},
        {"field_name": "1", "file_column_name": "Field1"},
        {"field_name": "2", "file_column_name": "Field2"},
    ]
    assert body["group_id"] == "715983" and body["updateExistingContacts"] is True
    assert body["country_code"] == "972" and body["trim_leading_zero"] is True
    rows = list(csv.reader(io.StringIO(body["csv_file"])))
    assert rows == [["Email", "Mobile", "Field1", "Field2"], ["contact1@company.com", "0541111111", "fname1", "lname1"]]


def test_batch_csv_quoting_hebrew_commas_quotes_newlines():
    names = ['כהן, "הגדול"', "line\nbreak", "שלום", None]
    df = frame(Email=[f"p{i}@x.co" for i in range(4)], First=names)
    (body,) = df.inwise.to_batch({"Email": "email", "First": 1})
    rows = list(csv.reader(io.StringIO(body["csv_file"], newline="")))
    assert [r[1] for r in rows[1:]] == ['כהן, "הגדול"', "line\nbreak", "שלום", ""]
    assert "nan" not in body["csv_file"]


def test_batch_options_left_out_when_not_set():
    (body,) = frame(Email=["a@b.co"]).inwise.to_batch({"Email": "email"}, update_existing_contacts=False)
    assert set(body) == {"csv_file", "fields_mapping", "updateExistingContacts"}
    assert body["updateExistingContacts"] is False


def test_chunking_by_rows_loses_nothing():
    df = frame(Email=[f"p{i}@x.co" for i in range(2503)])
    bodies = df.inwise.to_batch({"Email": "email"}, chunk_size=1000)
    counts = [len(b["csv_file"].strip().split("\n")) - 1 for b in bodies]
    assert counts == [1000, 1000, 503]
    emails = [line.strip('"') for b in bodies for line in b["csv_file"].strip().split("\n")[1:]]
    assert emails == list(df["Email"])


def test_chunking_by_body_size():
    df = frame(Email=[f"p{i}@x.co" for i in range(500)], First=["א" * 300] * 500)
    bodies = df.inwise.to_batch({"Email": "email", "First": 1}, max_body_bytes=20_000)
    sizes = [len(json.dumps(b, ensure_ascii=False, separators=(",", ":")).encode()) for b in bodies]
    assert max(sizes) <= 20_000 and len(bodies) > 5
    total = sum(len(list(csv.reader(io.StringIO(b["csv_file"])))) - 1 for b in bodies)
    assert total == 500


def test_one_huge_row_still_sent_alone():
    df = frame(Email=["a@b.co", "c@d.co"], First=["x" * 5000, "y"])
    bodies = df.inwise.to_batch({"Email": "email", "First": 1}, max_body_bytes=2000)
    assert len(bodies) == 2


def test_batch_refuses_upsert_only_keys():
    df = frame(Email=["a@b.co"], Ext=["1"])
    with pytest.raises(MappingError, match="external_id"):
        df.inwise.to_batch({"Email": "email", "Ext": "external_id"})
    with pytest.raises(MappingError, match="clear_existing_fields"):
        df.inwise.to_batch({"Email": "email"}, clear_existing_fields=True)


def test_unknown_option_is_named():
    with pytest.raises(TypeError, match="grop_id"):
        frame(Email=["a@b.co"]).inwise.to_upserts({"Email": "email"}, grop_id="1")


@pytest.mark.parametrize("bad", [{"group_id": "abc"}, {"country_code": "+97x"}, {"chunk_size": 0}])
def test_bad_options(bad):
    with pytest.raises(ValueError):
        frame(Email=["a@b.co"]).inwise.to_upserts({"Email": "email"}, **bad)
