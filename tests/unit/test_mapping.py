import pandas as pd
import pytest

from inwise_pandas import FieldMapping, MappingError


def test_targets_are_normalised():
    m = FieldMapping({"E": "email", "M": "Mobile", "F": 1, "L": "2", "B": "field21", "X": "external_id"})
    assert m.to_dict() == {"E": "email", "M": "mobile", "F": "field1", "L": "field2", "B": "field21", "X": "external_id"}


@pytest.mark.parametrize("bad", ["name", 0, -3, "field0", 2.5, True])
def test_unknown_target(bad):
    with pytest.raises(MappingError):
        FieldMapping({"c": bad})


def test_ignore_targets_are_dropped():
    assert FieldMapping({"a": "email", "b": None, "c": "ignore", "d": ""}).to_dict() == {"a": "email"}


def test_two_columns_for_one_target():
    with pytest.raises(MappingError, match="both mapped"):
        FieldMapping({"a": 1, "b": "field1"})


def test_missing_column_named():
    with pytest.raises(MappingError, match="Mobile"):
        FieldMapping({"Email": "email", "Mobile": "mobile"}).check(pd.DataFrame({"Email": []}))


def test_duplicate_frame_columns():
    frame = pd.DataFrame([["a@b.co", "x@y.co"]], columns=["Email", "Email"])
    with pytest.raises(MappingError, match="more than one column"):
        FieldMapping({"Email": "email"}).check(frame)


def test_no_identifier():
    with pytest.raises(MappingError, match="neither"):
        FieldMapping({"First": 1}).check(pd.DataFrame({"First": ["a"]}))


def test_json_round_trip_keeps_int_columns():
    m = FieldMapping({0: "email", "טלפון": "mobile", "First": 1})
    assert FieldMapping.from_json(m.to_json()) == m
    assert FieldMapping.from_dict(m.to_dict()) == m
    assert FieldMapping.from_json('{"Email": "email"}').to_dict() == {"Email": "email"}
    with pytest.raises(MappingError):
        FieldMapping.from_json("{not json")


def test_suggest_by_name_english_and_hebrew():
    frame = pd.DataFrame(columns=["E-mail", "Cell", "First Name", "surname", "DOB", "אימייל2"])
    assert FieldMapping.suggest(frame).to_dict() == {
        "E-mail": "email", "Cell": "mobile", "First Name": "field1", "surname": "field2", "DOB": "field21"}
    hebrew = pd.DataFrame(columns=['דוא"ל', "טלפון נייד", "שם פרטי", "שם משפחה", "תאריך לידה"])
    assert list(FieldMapping.suggest(hebrew).to_dict().values()) == ["email", "mobile", "field1", "field2", "field21"]


def test_suggest_by_content_and_never_twice():
    frame = pd.DataFrame({
        "a": ["dana@x.co", "yossi@y.co", "z@w.co"],
        "b": ["054-1111111", "+972 52 222 2222", "0533333333"],
        "c": ["12/06/1980", "01/01/1990", "03/04/1975"],
        "Email": ["x@y.co", "q@w.co", "r@t.co"],
    })
    assert FieldMapping.suggest(frame).to_dict() == {"Email": "email", "b": "mobile", "c": "field21"}
    floats = pd.DataFrame({"n": [972541111111.0, 541111112.0, None]})
    assert FieldMapping.suggest(floats).to_dict() == {"n": "mobile"}
