"""A corpus of bad and odd input: each case ends in a clear per-row reason or a clear exception,
before any network call; no crash, no lost row."""

import numpy as np
import pandas as pd
import pytest

import inwise_pandas as inwise

OPTIONS = {"country_code": "972", "trim_leading_zero": True}

# (case, email value, mobile value, expected will_send, text expected in the row's error or None)
VALUE_CASES = [
    ("nan email, good mobile", np.nan, "0541111111", True, None),
    ("None email, good mobile", None, "0541111111", True, None),
    ("pd.NA email, good mobile", pd.NA, "0541111111", True, None),
    ("empty string email", "", "0541111111", True, None),
    ("whitespace-only email", "   ", "0541111111", True, None),
    ("nothing at all", None, None, False, "no email and no mobile"),
    ("empty strings both", "", "", False, "no email and no mobile"),
    ("NaN both", np.nan, np.nan, False, "no email and no mobile"),
    ("email with inner space", "dana cohen@x.co", None, False, "contains spaces"),
    ("email with two @", "dana@@x.co", None, False, "more than one @"),
    ("email with two separate @", "a@b@x.co", None, False, "more than one @"),
    ("email without @", "dana.x.co", None, False, "no @"),
    ("email with trailing dot", "dana@x.co.", None, False, "domain ends with a dot"),
    ("email ending in @", "dana@", None, False, "nothing after @"),
    ("email starting with @", "@x.co", None, False, "nothing before @"),
    ("email with double dot", "dana..c@x.co", None, False, "two dots in a row"),
    ("email domain without dot", "dana@localhost", None, False, "domain has no dot"),
    ("email with comma", "dana,c@x.co", None, False, "invalid characters"),
    ("email in angle brackets", "<dana@x.co>", None, False, "invalid characters"),
    ("email domain numeric ending", "dana@x.123", None, False, "domain has no valid ending"),
    ("uppercase email", "DANA@X.CO", None, True, None),
    ("email padded with spaces", "  dana@x.co  ", None, True, None),
    ("email with RTL mark", "\u200fdana@x.co", None, True, None),
    ("email with zero-width space", "dana\u200b@x.co", None, True, None),
    ("email with non-breaking space at end", "dana@x.co\u00a0", None, True, None),
    ("email with BOM", "\ufeffdana@x.co", None, True, None),
    ("unicode domain", "dana@דוגמה.קום", None, True, None),
    ("email with newline inside", "dana\n@x.co", None, False, "contains spaces"),
    ("email as a number", 12345, None, False, "no @"),
    ("10,000-character email", "a" * 10_000 + "@x.co", None, False, "longer than 254"),
    ("mobile as float", None, 541111111.0, True, None),
    ("mobile in scientific notation (float)", None, 9.72541111111e11, True, None),
    ("mobile in scientific notation (text)", None, "9.72541111111E+11", True, None),
    ("mobile as int", None, 972541111111, True, None),
    ("mobile as text of a float", None, "541111111.0", True, None),
    ("mobile with dashes", None, "054-111-1111", True, None),
    ("mobile with spaces", None, "054 111 1111", True, None),
    ("mobile with parentheses", None, "(054) 1111111", True, None),
    ("mobile with plus", None, "+972 54 111 1111", True, None),
    ("mobile with (0) trunk", None, "+972 (0)54 111 1111", True, None),
    ("mobile with 00 prefix", None, "00972541111111", True, None),
    ("mobile with RTL marks", None, "\u200f054-1111111\u200e", True, None),
    ("mobile with letters", None, "054-CALL-ME", False, "contains letters"),
    ("mobile with extension", None, "0541111111 ext 5", False, "contains letters"),
    ("mobile too short", None, "12345", False, "digits after country code 972"),
    ("mobile with a fraction", None, 5411111.5, False, "not a whole number"),
    ("israeli number one digit short", None, "054111111", False, "8 digits after country code 972"),
    ("israeli landline", None, "03-1234567", False, "8 digits after country code 972"),
    ("israeli non-mobile 10 digits", None, "077-1234567", False, "starts with 5"),
    ("foreign number gets 972 too (as the server would)", None, "+1234567890123456789", False,
     "19 digits after country code 972"),
    ("bad email, good mobile: row refused", "bad", "0541111111", False, "column 'Email': no @"),
    ("good email, bad mobile: row refused", "dana@x.co", "abc", False, "column 'Mobile': contains letters"),
    ("both bad: both reasons", "bad", "abc", False, "no @; column 'Mobile'"),
]


@pytest.mark.parametrize("case,email,mobile,will_send,reason", VALUE_CASES, ids=[c[0] for c in VALUE_CASES])
def test_value_corpus(case, email, mobile, will_send, reason, requests_mock):
    df = pd.DataFrame({"Email": pd.Series([email], dtype=object), "Mobile": pd.Series([mobile], dtype=object)})
    checked = df.inwise.validate({"Email": "email", "Mobile": "mobile"}, **OPTIONS)
    assert len(checked) == 1
    assert bool(checked["will_send"].iloc[0]) is will_send, checked.iloc[0].to_dict()
    if reason:
        assert reason in checked["error"].iloc[0]
    else:
        assert pd.isna(checked["error"].iloc[0])
    # push agrees with validate, and sends nothing for a refused row
    requests_mock.post("https://api.inwise.com/rest/v1/contacts", json={"id": 1})
    result = df.inwise.push({"Email": "email", "Mobile": "mobile"}, client=inwise.Client("k"), progress=False, **OPTIONS)
    assert int(result.summary.sum()) == 1
    assert (result.rows["status"].iloc[0] == "created") is will_send
    assert requests_mock.call_count == int(will_send)


def test_values_with_quotes_commas_newlines_travel_intact():
    df = pd.DataFrame({"Email": ["a@x.co"], "First": ['He said "hi", then\nleft']})
    body = df.inwise.to_upserts({"Email": "email", "First": 1})[0]
    assert body["fields"][0]["content"] == 'He said "hi", then\nleft'


def test_hebrew_and_rtl_marks_in_fields():
    df = pd.DataFrame({"Email": ["a@x.co"], "First": ["\u200fדנה\u200f"]})
    cleaned = df.inwise.clean({"Email": "email", "First": 1})
    assert cleaned.loc[0, "First"] == "דנה"


def test_huge_field_value_is_sent_whole():
    df = pd.DataFrame({"Email": ["a@x.co"], "First": ["x" * 10_000]})
    assert len(df.inwise.to_upserts({"Email": "email", "First": 1})[0]["fields"][0]["content"]) == 10_000


def test_numbers_as_strings_keep_leading_zeros():
    df = pd.DataFrame({"Email": ["a@x.co"], "Zip": ["0123"]})
    assert df.inwise.to_upserts({"Email": "email", "Zip": 9})[0]["fields"][0]["content"] == "0123"


def test_integer_column_names():
    df = pd.DataFrame({0: ["a@x.co"], 1: ["0541111111"]})
    bodies = df.inwise.to_upserts({0: "email", 1: "mobile"})
    assert bodies == [{"email": "a@x.co", "mobile_number": "0541111111"}]


def test_duplicate_column_names_unmapped_are_fine():
    df = pd.DataFrame([["a@x.co", "x", "y"]], columns=["Email", "Note", "Note"])
    assert df.inwise.to_upserts({"Email": "email"}) == [{"email": "a@x.co"}]


def test_duplicate_column_names_mapped_is_clear_error(requests_mock):
    df = pd.DataFrame([["a@x.co", "b@x.co"]], columns=["Email", "Email"])
    with pytest.raises(inwise.MappingError, match="more than one column named"):
        df.inwise.push({"Email": "email"}, client=inwise.Client("k"), progress=False)
    assert requests_mock.call_count == 0


def test_empty_frame_validates_to_empty():
    df = pd.DataFrame({"Email": pd.Series([], dtype=object)})
    assert len(df.inwise.validate({"Email": "email"})) == 0


def test_only_invalid_rows(requests_mock):
    df = pd.DataFrame({"Email": ["x", "y", None]})
    result = df.inwise.push({"Email": "email"}, client=inwise.Client("k"), progress=False)
    assert result.summary["invalid"] == 3 and requests_mock.call_count == 0 and len(result.failed) == 3


def test_mapping_naming_missing_column(requests_mock):
    with pytest.raises(inwise.MappingError, match="'Mail'"):
        pd.DataFrame({"Email": ["a@x.co"]}).inwise.validate({"Mail": "email"})


def test_non_unique_index_keeps_every_row(requests_mock):
    requests_mock.post("https://api.inwise.com/rest/v1/contacts", json={"id": 1})
    df = pd.DataFrame({"Email": ["a@x.co", "bad", "c@x.co"]}, index=[7, 7, 7])
    result = df.inwise.push({"Email": "email"}, client=inwise.Client("k"), progress=False)
    assert list(result.rows["status"]) == ["created", "invalid", "created"]


def test_categorical_and_bool_columns():
    df = pd.DataFrame({"Email": pd.Categorical(["a@x.co", "b@x.co"]), "Vip": [True, False]})
    bodies = df.inwise.to_upserts({"Email": "email", "Vip": 8})
    assert bodies[0]["fields"] == [{"name": "field8", "content": "True"}]


def test_multiindex_rows():
    index = pd.MultiIndex.from_tuples([("a", 1), ("a", 2)])
    df = pd.DataFrame({"Email": ["a@x.co", "nope"]}, index=index)
    checked = df.inwise.validate({"Email": "email"})
    assert checked.index.equals(index) and list(checked["will_send"]) == [True, False]


def test_pyarrow_backed_frame():
    df = pd.DataFrame({"Email": ["a@x.co"], "Mobile": ["0541111111"]}).convert_dtypes(dtype_backend="pyarrow")
    assert df.inwise.to_upserts({"Email": "email", "Mobile": "mobile"})[0]["mobile_number"] == "0541111111"


def test_corpus_is_large_enough():
    assert len(VALUE_CASES) + 14 >= 50  # value cases plus the frame-level tests above


def test_without_country_code_generic_lengths():
    df = pd.DataFrame({"Mobile": ["12345", "1" * 16, "14155550100"]})
    checked = df.inwise.validate({"Mobile": "mobile"})
    assert list(checked["mobile_status"]) == ["invalid", "invalid", "ok"]
    assert "too short: 5 digits" in checked.loc[0, "error"] and "too long: 16 digits" in checked.loc[1, "error"]
