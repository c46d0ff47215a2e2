import matplotlib
import numpy as np
import pandas as pd
import pytest

import inwise_pandas  # noqa: F401

matplotlib.use("Agg")
M = {"Email": "email", "Mobile": "mobile", "First": 1, "Last": 2}


@pytest.fixture
def messy():
    return pd.DataFrame({
        "Email": [" Dana@X.co ", "\u200fyossi@y.co", "bad", None, "dana@x.co", "noa@z.co"],
        "Mobile": np.array(["054-111-1111", 541111112.0, "0521234567", None, None, "0541111111"], dtype=object),
        "First": ["Dana ", None, "x", "y", None, "Noa"],
        "Last": [None, "Levi", None, None, "Cohen", None],
    }, index=list("abcdef"))


def test_validate_columns_and_reasons(messy):
    checked = messy.inwise.validate(M, country_code="972", trim_leading_zero=True)
    assert checked.index.equals(messy.index)
    assert {"email", "mobile", "email_status", "mobile_status", "email_reason", "mobile_reason", "has_identifier",
            "duplicate_of", "conflict_with", "will_send"} <= set(checked.columns)
    assert checked.loc["a", "email"] == "dana@x.co" and checked.loc["a", "mobile"] == "972541111111"
    assert checked.loc["b", "mobile"] == "972541111112"
    assert checked.loc["c", "email_reason"] == "no @" and not checked.loc["c", "will_send"]
    assert checked.loc["d", "error"] == "no email and no mobile" and not checked.loc["d", "has_identifier"]
    assert checked.loc["e", "duplicate_of"] == "a"
    # f: email noa@z.co is new, but the mobile is a's: same person by mobile
    assert checked.loc["f", "duplicate_of"] == "a" and checked.loc["f", "conflict_with"] is None


def test_conflict_with_names_both_rows():
    df = pd.DataFrame({"Email": ["a@x.co", "b@x.co", "a@x.co"], "Mobile": ["0541111111", "0542222222", "0542222222"]},
                      index=["r0", "r1", "r2"])
    checked = df.inwise.validate({"Email": "email", "Mobile": "mobile"})
    assert checked.loc["r2", "conflict_with"] == ["r0", "r1"] and not checked.loc["r2", "will_send"]
    assert checked["conflict_with"].iloc[:2].isna().all()


def test_chain_through_one_person_is_not_a_conflict():
    # a(x,1) f(x,2) g(y,2) h(y,1): one person whose mobile and email changed over time.
    df = pd.DataFrame({"Email": ["x@a.co", "x@a.co", "y@a.co", "y@a.co"],
                       "Mobile": ["0541111111", "0542222222", "0542222222", "0541111111"]})
    checked = df.inwise.validate({"Email": "email", "Mobile": "mobile"})
    assert checked["will_send"].all() and list(checked["duplicate_of"]) == [None, 0, 0, 0]


def test_clean_applies_rules_and_counts(messy):
    cleaned, report = messy.inwise.clean(M, country_code="972", trim_leading_zero=True, report=True)
    assert list(cleaned.index) == list(messy.index)
    assert list(cleaned["Email"].iloc[:3]) == ["dana@x.co", "yossi@y.co", "bad"]
    assert list(cleaned["Mobile"].dropna()) == ["972541111111", "972541111112", "972521234567", "972541111111"]
    assert cleaned.loc["a", "First"] == "Dana"
    assert report["email: invisible characters removed"] == 1
    assert report["email: spaces trimmed"] == 1
    assert report["email: lowercased"] == 1
    assert report["mobile: float turned into digits"] == 1
    assert report["mobile: formatting removed"] == 1
    assert report["mobile: leading zero trimmed"] == 3
    assert report["mobile: country code added"] == 4
    assert cleaned.attrs["inwise_changes"] == report.to_dict()
    assert messy.loc["a", "Email"] == " Dana@X.co "  # the input is untouched


def test_clean_without_options_keeps_local_numbers(messy):
    cleaned = messy.inwise.clean(M)
    assert cleaned.loc["a", "Mobile"] == "0541111111"


@pytest.mark.parametrize("keep,first,last", [("first", "Dana ", "Cohen"), ("last", "Noa", "Cohen"),
                                             ("most_complete", "Dana ", "Cohen")])
def test_dedupe(messy, keep, first, last):
    deduped = messy.inwise.dedupe(M, keep=keep)
    assert list(deduped.index) == ["a", "b", "c", "d"]
    assert deduped.loc["a", "First"] == first and deduped.loc["a", "Last"] == last
    assert deduped.attrs["inwise_merged_rows"] == 2


def test_dedupe_bad_keep(messy):
    with pytest.raises(ValueError):
        messy.inwise.dedupe(M, keep="best")


def test_strict_mode_flags_but_never_drops():
    # phonenumbers rejects some plausible Israeli mobiles (054-111-1111); strict mode only flags them.
    df = pd.DataFrame({"Email": ["dana@gmail.com", "x@exa_mple.com"], "Mobile": ["0545555555", "0541111111"]})
    loose = df.inwise.validate({"Email": "email", "Mobile": "mobile"}, country_code="972", trim_leading_zero=True)
    strict = df.inwise.validate({"Email": "email", "Mobile": "mobile"}, country_code="972", trim_leading_zero=True,
                                strict=True)
    assert loose["will_send"].all()
    assert len(strict) == 2 and strict.loc[0, "will_send"] and not strict.loc[1, "will_send"]
    assert "strict check" in strict.loc[1, "error"]


def test_push_runs_the_same_validation(messy, requests_mock):
    import inwise_pandas as inwise

    requests_mock.post("https://api.inwise.com/rest/v1/contacts", json={"id": 1})
    checked = messy.inwise.validate(M, country_code="972", trim_leading_zero=True)
    result = messy.inwise.push(M, client=inwise.Client("k"), progress=False, country_code="972", trim_leading_zero=True)
    assert list(result.rows["status"] != "invalid") == list(checked["will_send"])


def test_profile_table(messy):
    table = messy.inwise.profile(M, country_code="972", trim_leading_zero=True)
    assert table.loc[("rows", "total"), "count"] == 6
    assert table.loc[("email", "ok"), "count"] + table.loc[("email", "invalid"), "count"] + \
        table.loc[("email", "missing"), "count"] == 6
    assert table.loc[("duplicates", "rows of a person already in the list"), "count"] == 2
    assert table.loc[("mobile country codes", "972"), "count"] == 4
    assert table.loc[("email domains", "x.co"), "count"] == 2


def test_profile_of_read_back_frame_with_groups():
    frame = pd.DataFrame({"id": [1, 2, 3], "email": ["a@x.co", "b@y.co", None],
                          "mobile_number": ["972541111111", "14155550100", "972521111111"],
                          "confirmation_status": ["confirmed", "unconfirmed", "confirmed"],
                          "groups": [[1, 2], [2], []]})
    table = frame.inwise.profile()
    assert table.loc[("confirmation status", "confirmed"), "count"] == 2
    assert table.loc[("groups", "2"), "count"] == 2
    assert table.loc[("mobile country codes", "1"), "count"] == 1


@pytest.mark.parametrize("kind", ["quality", "domains"])
def test_plots_return_axes(messy, kind):
    ax = messy.inwise.plot(kind, M)
    assert ax.get_title() and len(ax.patches) > 0


def test_timeline_and_confirmation_plots():
    frame = pd.DataFrame({"email": ["a@x.co", "b@x.co", "c@x.co"],
                          "created_date": pd.to_datetime(["2026-11-01", "2026-11-01", "2026-11-02"]),
                          "updated_date": pd.to_datetime(["2026-11-02", "2026-11-02", "2026-11-02"]),
                          "confirmation_status": ["confirmed", None, "confirmed"]})
    ax = frame.inwise.plot("timeline")
    assert len(ax.get_lines()) == 2
    ax = frame.inwise.plot("confirmation")
    assert sorted(p.get_height() for p in ax.patches) == [1, 2]
    with pytest.raises(ValueError):
        frame.drop(columns=["created_date", "updated_date"]).inwise.plot("timeline")
    with pytest.raises(ValueError):
        frame.inwise.plot("pie")


def test_country_codes_prefix_rule():
    from inwise_pandas.analytics import country_codes

    codes = country_codes(pd.Series(["972541111111", "14155550100", "447911123456", "0541111111", None]))
    assert list(codes.fillna("-")) == ["972", "1", "44", "local", "-"]
    assert list(codes.index) == list(range(5))
