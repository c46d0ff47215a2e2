"""The sandbox survives malformed bodies, headers and query strings: always a JSON 4xx, never a 5xx or a
dropped connection (no faults injected)."""

import json
import socket

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import inwise_pandas as inwise

ROUTES = [("POST", "/rest/v1/contacts"), ("POST", "/rest/v1/contacts/batchInsert"),
          ("GET", "/rest/v1/contacts/recently_updated"), ("PUT", "/rest/v1/contacts"), ("GET", "/rest/v1/x")]

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=30),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4),
    max_leaves=12,
)
upsert_like = st.fixed_dictionaries({}, optional={
    "id": json_values, "email": json_values, "mobile_number": json_values, "fields": json_values,
    "add_to_groups_ids": json_values, "remove_from_groups_ids": json_values,
    "clear_existing_fields": json_values, "mobile_number_default_country_code": json_values,
    "trim_mobile_number_leading_zero": json_values, "confirmation_status": json_values,
    "csv_file": st.text(max_size=80) | json_values, "fields_mapping": json_values, "group_id": json_values,
    "updateExistingContacts": json_values, "country_code": json_values,
})
bodies = (upsert_like.map(lambda d: json.dumps(d).encode()) | json_values.map(lambda v: json.dumps(v).encode())
          | st.binary(max_size=200))
queries = st.lists(st.tuples(st.sampled_from(["limit", "reset", "search_by_updated_or_added_date", "x", ""]),
                             st.text(max_size=8)), max_size=4)
header_values = st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=126), max_size=20)


@pytest.fixture(scope="module")
def running():
    with inwise.sandbox(api_key="fuzz-key") as sb:
        yield sb


def _exchange(sb, raw: bytes) -> bytes:
    with socket.create_connection((sb.host, sb.port), timeout=10) as conn:
        conn.sendall(raw)
        conn.shutdown(socket.SHUT_WR)
        chunks = []
        while True:
            data = conn.recv(65536)
            if not data:
                break
            chunks.append(data)
    return b"".join(chunks)


def _status_and_body(answer: bytes) -> tuple[int, bytes]:
    assert answer, "the connection was dropped without an answer"
    head, _, body = answer.partition(b"\r\n\r\n")
    return int(head.split(b" ", 2)[1]), body


@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(route=st.sampled_from(ROUTES), body=bodies, query=queries, key=st.sampled_from(["fuzz-key", "nope", ""]),
       extra=st.dictionaries(st.sampled_from(["X-Thing", "Content-Type", "Accept", "Connection"]), header_values,
                             max_size=3))
def test_every_route_answers_json_without_5xx(running, route, body, query, key, extra):
    from urllib.parse import urlencode

    method, path = route
    target = path + ("?" + urlencode(query) if query else "")
    headers = {"Host": "x", "X-API-Key": key, "Content-Length": str(len(body)), **extra, "Connection": "close"}
    raw = (f"{method} {target} HTTP/1.1\r\n" + "".join(f"{k}: {v}\r\n" for k, v in headers.items()) + "\r\n").encode()
    status, payload = _status_and_body(_exchange(running, raw + body))
    assert status < 500
    if status >= 400:
        assert "message" in json.loads(payload)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(raw=st.binary(min_size=1, max_size=300))
def test_garbage_requests_get_json_4xx(running, raw):
    answer = _exchange(running, raw + b"\r\n\r\n")
    status, payload = _status_and_body(answer)
    assert 400 <= status < 500
    assert "message" in json.loads(payload)


@pytest.mark.parametrize("raw", [
    b"POST /rest/v1/contacts HTTP/1.1\r\nX-API-Key: fuzz-key\r\nContent-Length: -5\r\n\r\n",
    b"POST /rest/v1/contacts HTTP/1.1\r\nX-API-Key: fuzz-key\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
    b"GET /rest/v1/contacts/recently_updated HTTP/1.1\r\n" + b"X-A: b\r\n" * 200 + b"\r\n",
    b"GET /" + b"a" * 70000 + b" HTTP/1.1\r\n\r\n",
    b"GET /rest/v1/contacts/recently_updated HTTP/1.1\r\nBad Header Line\r\n\r\n",
    b"POST /rest/v1/contacts HTTP/1.1\r\nX-API-Key: fuzz-key\r\nContent-Length: 5\r\n\r\n[[[[",
    b"POST /rest/v1/contacts HTTP/1.1\r\nX-API-Key: fuzz-key\r\nContent-Length: 4000\r\n\r\n" + b"[" * 4000,
])
def test_named_malformed_requests(running, raw):
    status, payload = _status_and_body(_exchange(running, raw))
    assert 400 <= status < 500 and "message" in json.loads(payload)
