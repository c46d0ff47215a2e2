import json

import pandas as pd
import pytest

import inwise_pandas as inwise
from inwise_pandas.widgets import IGNORE, Mapper


@pytest.fixture
def frame():
    return pd.DataFrame({
        "אימייל": ["dana@x.co", "bad", "yossi@y.co", "dana@x.co"],
        "Cell": ["054-1111111", "0522222222", None, None],
        "First Name": ["דנה", "x", "יוסי", "D"],
        "Notes": ["a", "b", "c", "d"],
    })


def test_suggestions_prefilled_and_mapping_follows_dropdowns(frame):
    w = frame.inwise.mapper(country_code="972", trim_leading_zero=True)
    assert isinstance(w, Mapper)
    assert w.mapping.to_dict() == {"אימייל": "email", "Cell": "mobile", "First Name": "field1"}
    assert w.dropdowns["Notes"].value == IGNORE
    w.dropdowns["Notes"].value = "field4"
    assert w.mapping["Notes"] == "field4"
    labels = dict(w.dropdowns["Notes"].options)
    assert "1 · first name" in labels and "21 · birthday" in labels and "external id" in labels


def test_live_check_counts(frame):
    w = frame.inwise.mapper(country_code="972", trim_leading_zero=True)
    assert "<b>3</b> of 4 rows will be sent" in w.check.value
    assert "1 duplicates merged" in w.check.value and "no @" in w.check.value
    w.dropdowns["אימייל"].value = IGNORE
    assert "<b>2</b> of 4 rows will be sent" in w.check.value


def test_same_target_twice_blocks_push(frame):
    w = frame.inwise.mapper()
    w.dropdowns["Notes"].value = "field1"
    assert "Two columns are mapped to 1 · first name" in w.check.value and w.push_button.disabled
    w.dropdowns["Notes"].value = IGNORE
    assert not w.push_button.disabled


def test_preview_shows_exact_first_body(frame):
    w = frame.inwise.mapper(country_code="972", trim_leading_zero=True, group_id="715983")
    expected = frame.inwise.to_upserts(w.mapping, country_code="972", trim_leading_zero=True, group_id="715983")[0]
    assert json.dumps(expected, ensure_ascii=False, indent=2).replace('"', "&quot;") in w.preview.value
    w.mode.value = "batch"
    assert "POST /contacts/batchInsert" in w.preview.value and "[MobileNumber]" in w.preview.value


def test_options_controls_drive_the_push_options(frame):
    w = frame.inwise.mapper()
    w.group_id.value = "715983"
    w.country_code.value = "972"
    w.trim_leading_zero.value = True
    w.update_existing.value = False
    w.mode.value = "batch"
    assert w.options == {"mode": "batch", "group_id": "715983", "country_code": "972", "trim_leading_zero": True,
                         "update_existing_contacts": False}
    assert "update_existing_contacts=False" in w.code.value and "mode='batch'" in w.code.value


def test_add_personal_field_number(frame):
    w = frame.inwise.mapper()
    w.field_number.value = 42
    w.add_field.click()
    w.dropdowns["Notes"].value = "field42"
    assert w.mapping["Notes"] == "field42"
    assert w.dropdowns["Cell"].value == "mobile"  # existing choices survive the new option list


def test_show_code_reproduces_the_push(frame, requests_mock):
    w = frame.inwise.mapper(country_code="972", trim_leading_zero=True)
    w.show_code.click()
    assert w.code.layout.display == "block"
    namespace = {"df": frame}
    requests_mock.post("https://api.inwise.com/rest/v1/contacts", json={"id": 1})
    code = w.code.value.replace("inwise.Client()", "inwise.Client('k')")
    exec(code.replace("result.summary", "summary = result.summary"), namespace)
    assert int(namespace["summary"].sum()) == 4 and requests_mock.call_count == 2


def test_push_button_with_given_client(frame, requests_mock):
    requests_mock.post("https://api.inwise.com/rest/v1/contacts", json={"id": 1})
    w = frame.inwise.mapper(client=inwise.Client("k"), country_code="972", trim_leading_zero=True)
    assert w.key_box.layout.display == "none"
    w.dropdowns["Cell"].value = IGNORE
    w.push_button.click()
    assert w.result is not None and int(w.result.summary.sum()) == 4
    assert w.result.summary["created"] >= 1 and "Push failed" not in w.status.value


def test_key_prompt_when_no_key_and_password_not_kept(frame, requests_mock):
    w = frame.inwise.mapper()
    assert w.key_box.layout.display == "flex"
    w.push_button.click()
    assert w.result is None and "API key" in w.status.value and requests_mock.call_count == 0
    w.api_key.value = "typed-secret"
    w.connect.click()
    assert w.api_key.value == "" and "typed-secret" not in repr(w._client)
    requests_mock.post("https://api.inwise.com/rest/v1/contacts", json={"id": 1})
    w.push_button.click()
    assert requests_mock.last_request.headers["X-API-Key"] == "typed-secret"


@pytest.mark.system
def test_use_local_sandbox_button(frame):
    w = frame.inwise.mapper(country_code="972", trim_leading_zero=True)
    w.use_sandbox.click()
    try:
        w.push_button.click()
        assert w.result.ok is False and w.result.summary["invalid"] == 1
        assert len(w._sandbox.contacts()) == 2
    finally:
        w.close()
