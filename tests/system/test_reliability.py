"""Nothing lost under faults, resumable pushes, crash-safe reads, secrets kept — over real HTTP."""

import logging
import os
import signal
import subprocess
import sys
import textwrap
import time

import pandas as pd
import pytest

import inwise_pandas as inwise

MAP = {"Email": "email", "Mobile": "mobile", "First": 1}
FAULTS = {"error_rate": 0.15, "drop_rate": 0.05, "rate_limit_rate": 0.05, "retry_after": 0, "seed": 7}


def people(n, start=0):
    return pd.DataFrame({
        "Email": [f"person{i}@example.com" for i in range(start, start + n)],
        "Mobile": [f"05{i % 10}{i:07d}" for i in range(start, start + n)],
        "First": [f"name{i}" for i in range(start, start + n)],
    })


def assert_exactly_once(sb, frame):
    stored = sb.contacts()
    expected = set(frame["Email"])
    duplicates = int(stored["email"].duplicated().sum())
    missing = len(expected - set(stored["email"]))
    extra = len(set(stored["email"]) - expected)
    return duplicates, missing, extra


def push_under_faults(frame, **push_options):
    """Push into a faulty sandbox; return the result, the sandbox's fault counts and the delivery check."""
    with inwise.sandbox(**FAULTS) as sb:
        client = sb.client(max_retries=12, backoff_factor=0.001)
        result = frame.inwise.push(MAP, client=client, progress=False, country_code="972", trim_leading_zero=True,
                                   **push_options)
        delivery = assert_exactly_once(sb, frame)
        stats = sb.stats
    faults = stats["faults_5xx"] + stats["faults_dropped"] + stats["faults_429"]
    return result, stats, faults, delivery


@pytest.mark.slow
def test_upsert_push_under_faults_delivers_each_row_once():
    frame = people(10_000)
    result, stats, faults, (duplicates, missing, extra) = push_under_faults(frame, mode="upsert", workers=16)
    print(f"\nupsert under faults: rows={len(frame)} requests_seen={stats['requests']} faults={faults} "
          f"(5xx={stats['faults_5xx']}, dropped={stats['faults_dropped']}, 429={stats['faults_429']}) "
          f"retries={result.retries} duplicates={duplicates} missing={missing}")
    assert result.summary["created"] + result.summary["updated"] == 10_000
    assert int(result.summary.sum()) == 10_000 and result.ok
    assert (duplicates, missing, extra) == (0, 0, 0)
    assert faults > 1000 and result.retries >= faults - stats["faults_dropped"]


@pytest.mark.slow
def test_batch_push_under_faults_delivers_each_row_once():
    frame = people(100_000)
    result, stats, faults, (duplicates, missing, extra) = push_under_faults(frame, mode="batch", chunk_size=5_000)
    print(f"\nbatch under faults: rows={len(frame)} requests={result.requests} requests_seen={stats['requests']} "
          f"faults={faults} retries={result.retries} duplicates={duplicates} missing={missing}")
    assert result.summary["submitted"] == 100_000 and int(result.summary.sum()) == 100_000
    assert (duplicates, missing, extra) == (0, 0, 0)
    assert faults > 0 and result.retries > 0


def test_no_retry_on_plain_4xx(sb):
    client = sb.client(max_retries=5, backoff_factor=0.001)
    before = sb.stats["requests"]
    with pytest.raises(inwise.ApiError) as info:
        client.send("POST", "contacts", body={"email": 5})
    assert info.value.status == 400 and info.value.retries == 0
    assert sb.stats["requests"] - before == 1


def test_retry_after_is_honoured_then_gives_up(sb):
    sb.set_faults(rate_limit_rate=1.0, retry_after=1)
    client = sb.client(max_retries=2, backoff_factor=0.001)
    started = time.perf_counter()
    with pytest.raises(inwise.RateLimitError) as info:
        client.upsert_contact({"email": "a@x.co"})
    assert time.perf_counter() - started >= 2.0  # two waits of Retry-After: 1
    assert info.value.retries == 2


def test_connection_refused_is_transport_error_after_retries():
    client = inwise.Client("k", base_url="http://127.0.0.1:9/rest/v1", max_retries=2, backoff_factor=0.001)
    with pytest.raises(inwise.TransportError, match="no answer after 2 retries"):
        client.upsert_contact({"email": "a@x.co"})


def _child(script: str, *args: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", textwrap.dedent(script), *args],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


PUSH_CHILD = """
import sys, pandas as pd, inwise_pandas as inwise
url, checkpoint = sys.argv[1], sys.argv[2]
frame = pd.DataFrame({"Email": [f"person{i}@example.com" for i in range(20_000)],
                      "Mobile": [f"05{i % 10}{i:07d}" for i in range(20_000)]})
client = inwise.Client("key-a", base_url=url)
frame.inwise.push({"Email": "email", "Mobile": "mobile"}, client=client, mode="upsert", workers=8,
                  progress=False, checkpoint=checkpoint, country_code="972", trim_leading_zero=True)
"""


@pytest.mark.slow
def test_push_killed_midway_resumes_without_duplicates(sb, client, tmp_path):
    checkpoint = tmp_path / "push.checkpoint"
    sb.set_faults(latency=0.002)
    child = _child(PUSH_CHILD, sb.url, str(checkpoint))
    deadline = time.time() + 120
    while time.time() < deadline:
        done = checkpoint.read_bytes().count(b"\n") if checkpoint.exists() else 0
        if done >= 3000:
            break
        time.sleep(0.05)
    os.kill(child.pid, signal.SIGKILL)
    child.wait()
    recorded = checkpoint.read_bytes().count(b"\n")
    assert 3000 <= recorded < 20_000, "the child must die part-way"
    sb.set_faults(latency=0.0)
    before = sb.stats["requests"]
    frame = pd.DataFrame({"Email": [f"person{i}@example.com" for i in range(20_000)],
                          "Mobile": [f"05{i % 10}{i:07d}" for i in range(20_000)]})
    result = frame.inwise.push({"Email": "email", "Mobile": "mobile"}, client=client, mode="upsert",
                               progress=False, checkpoint=checkpoint, country_code="972", trim_leading_zero=True)
    sent_again = sb.stats["requests"] - before
    stored = sb.contacts()
    print(f"\nkilled after {recorded} recorded requests; the rerun sent {sent_again}; "
          f"stored={len(stored)} duplicates={int(stored['email'].duplicated().sum())}")
    assert result.ok and int(result.summary.sum()) == 20_000
    assert sent_again <= 20_000 - recorded
    assert len(stored) == 20_000 and stored["email"].is_unique and stored["mobile_number"].is_unique


def test_checkpoint_rerun_sends_nothing(sb, client, tmp_path):
    frame = people(300)
    path = tmp_path / "cp"
    first = frame.inwise.push(MAP, client=client, mode="batch", chunk_size=100, progress=False, checkpoint=path)
    before = sb.stats["requests"]
    second = frame.inwise.push(MAP, client=client, mode="batch", chunk_size=100, progress=False, checkpoint=path)
    assert sb.stats["requests"] == before and second.requests == 0
    pd.testing.assert_series_equal(first.rows["status"], second.rows["status"])


def test_since_sends_only_new_or_changed_rows(sb, client, tmp_path):
    frame = people(200)
    first = frame.inwise.push(MAP, client=client, progress=False, checkpoint=tmp_path / "cp")
    changed = pd.concat([frame, people(5, start=500)], ignore_index=True)
    changed.loc[[3, 7], "First"] = "renamed"
    before = sb.stats["requests"]
    second = changed.inwise.push(MAP, client=client, progress=False, since=first)
    assert sb.stats["requests"] - before == 7
    assert second.summary["unchanged"] == 198 and second.summary["created"] == 5 and second.summary["updated"] == 2
    third = changed.inwise.push(MAP, client=client, progress=False, since=tmp_path / "cp")
    assert third.summary["unchanged"] == 198


READ_CHILD = """
import os, signal, sys, inwise_pandas as inwise
from inwise_pandas import read
url, journal, pages = sys.argv[1], sys.argv[2], int(sys.argv[3])
original = read._Journal.append
count = 0
def append_then_die(self, page):
    global count
    original(self, page)
    count += 1
    if count == pages:
        os.kill(os.getpid(), signal.SIGKILL)
read._Journal.append = append_then_die
inwise.read_recent(client=inwise.Client("key-a", base_url=url), limit=100, all_pages=True, journal=journal,
                   progress=False)
"""


def test_reader_killed_after_n_pages_loses_nothing(sb, client, tmp_path):
    people(1_000).inwise.push(MAP, client=client, mode="batch", progress=False)
    journal = tmp_path / "read.journal"
    child = _child(READ_CHILD, sb.url, str(journal), "4")
    child.wait(timeout=60)
    assert child.returncode == -signal.SIGKILL
    saved = inwise.read_journal(journal)
    rest = inwise.read_recent(client=client, all_pages=True, progress=False)
    print(f"\nreader killed after 4 pages: journal={len(saved)} further read={len(rest)}")
    assert len(saved) == 400
    ids = pd.concat([saved["id"], rest["id"]])
    assert ids.is_unique and len(ids) == 1_000


def test_verify_reports_differences(sb, client):
    frame = people(50)
    result = frame.inwise.push(MAP, client=client, progress=False, verify=True)
    assert result.verification.empty
    client.upsert_contact({"email": "person7@example.com", "fields": [{"name": "field1", "content": "changed"}]})
    differences = result.verify(client)
    assert differences.to_dict("records") == [{"row": 7, "column": "field1", "sent": "name7", "in_account": "changed"}]


def test_key_never_leaks(sb, capsys, caplog):
    secret = "key-a"
    client = sb.client(secret)
    caplog.set_level(logging.DEBUG)
    frame = pd.DataFrame({"Email": ["a@x.co", "bad", "c@x.co"]})
    result = frame.inwise.push({"Email": "email"}, client=client, progress=True)
    recent = inwise.read_recent(client=client, progress=True, all_pages=True)
    try:
        sb.client("wrong-key").upsert_contact({"email": "a@x.co"})
    except inwise.AuthError as exc:
        error_text = str(exc) + repr(exc)
    out = capsys.readouterr()
    texts = [repr(client), str(client), repr(sb), repr(result), result._repr_html_(), result.rows.to_string(),
             recent.to_string(), out.out, out.err, caplog.text, error_text]
    assert "inwise" in out.err  # the progress bar did draw
    for text in texts:
        assert secret not in text and "wrong-key" not in text
    assert "X-API-Key" not in caplog.text


def test_tls_verification_stays_on():
    client = inwise.Client("k")
    assert client._session.verify is True or os.path.exists(client._session.verify)
