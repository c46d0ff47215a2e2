"""push_csv and the command line against the sandbox."""

import json
import os
import signal
import socket
import subprocess
import sys

import pandas as pd
import pytest

import inwise_pandas as inwise

MAPPING = inwise.FieldMapping({"Email": "email", "Mobile": "mobile", "First": 1})


@pytest.fixture
def contacts_csv(tmp_path):
    n = 25_000
    frame = pd.DataFrame({"Email": [f"p{i}@example.com" for i in range(n)],
                          "Mobile": [f"05{i % 10}{i:07d}" for i in range(n)],
                          "First": [f"שם{i}" for i in range(n)]})
    frame.loc[[10, 20_010], "Email"] = "broken-email"
    path = tmp_path / "contacts.csv"
    frame.to_csv(path, index=False)
    return path


def cli(*args, env_extra=None, **kwargs):
    env = {**os.environ, **(env_extra or {})}
    return subprocess.run([sys.executable, "-m", "inwise_pandas.cli", *map(str, args)], capture_output=True,
                          text=True, env=env, timeout=300, **kwargs)


def test_push_csv_streams_chunks_into_one_result(sb, client, contacts_csv):
    result = inwise.push_csv(contacts_csv, MAPPING, client=client, chunksize=10_000, progress=False,
                             country_code="972", trim_leading_zero=True)
    assert len(result.rows) == 25_000 and result.rows.index.name == "row"
    assert list(result.rows.index[:2]) == [0, 1] and result.rows.index[-1] == 24_999
    assert result.summary["submitted"] == 24_998 and result.summary["invalid"] == 2
    assert list(result.failed.index) == [10, 20_010] and result.failed.loc[10, "Email"] == "broken-email"
    assert result.requests == 3
    stored = sb.contacts("key-a")
    assert len(stored) == 24_998 and stored.loc[stored["email"] == "p1@example.com", "mobile_number"].item() \
        == "972510000001"
    # leading zeros survived: every column was read as text
    assert stored["mobile_number"].str.startswith("9725").all()


def test_push_csv_checkpoint_resumes(sb, client, contacts_csv, tmp_path):
    checkpoint = tmp_path / "cp"
    inwise.push_csv(contacts_csv, MAPPING, client=client, chunksize=10_000, progress=False, checkpoint=checkpoint)
    before = sb.stats["requests"]
    again = inwise.push_csv(contacts_csv, MAPPING, client=client, chunksize=10_000, progress=False,
                            checkpoint=checkpoint)
    assert sb.stats["requests"] == before and again.summary["submitted"] == 24_998


def env_for(sb):
    return {"INWISE_API_KEY": "key-a", "INWISE_BASE_URL": sb.url}


def test_cli_push_with_mapping_file(sb, contacts_csv, tmp_path):
    mapping_file = tmp_path / "mapping.json"
    mapping_file.write_text(MAPPING.to_json(), encoding="utf-8")
    failed_out = tmp_path / "failed.csv"
    done = cli("push", contacts_csv, "--mapping", mapping_file, "--group-id", "715983", "--country-code", "972",
               "--trim-leading-zero", "--failed-out", failed_out, env_extra=env_for(sb))
    assert done.returncode == 1, done.stderr
    assert "submitted" in done.stdout and "24998" in done.stdout
    failed = pd.read_csv(failed_out)
    assert list(failed["row"]) == [10, 20_010] and "no @" in failed.loc[0, "error"]
    assert "key-a" not in done.stdout + done.stderr
    assert sb.contacts("key-a")["groups"].map(lambda g: g == [715983]).all()


def test_cli_push_all_good_exits_zero_and_suggest(sb, tmp_path):
    path = tmp_path / "ok.csv"
    pd.DataFrame({"E-mail": ["a@x.co", "b@x.co"], "Cell": ["0541111111", "0542222222"]}).to_csv(path, index=False)
    done = cli("push", path, "--suggest", "--mode", "upsert", env_extra=env_for(sb))
    assert done.returncode == 0, done.stderr
    assert '"target": "email"' in done.stdout and "created" in done.stdout


def test_cli_dry_run_sends_nothing(sb, contacts_csv, tmp_path):
    mapping_file = tmp_path / "mapping.json"
    mapping_file.write_text(MAPPING.to_json(), encoding="utf-8")
    before = sb.stats["requests"]
    done = cli("push", contacts_csv, "--mapping", mapping_file, "--dry-run", "--chunksize", "10000",
               env_extra=env_for(sb))
    assert done.returncode == 0, done.stderr
    first_body = json.loads(done.stdout[:done.stdout.rindex("}") + 1])
    assert first_body["fields_mapping"][0] == {"field_name": "[Email]", "file_column_name": "Email"}
    assert "3 request(s) would be sent (batch)" in done.stdout
    assert sb.stats["requests"] == before


def test_cli_without_key_is_clear(contacts_csv, tmp_path):
    mapping_file = tmp_path / "mapping.json"
    mapping_file.write_text(MAPPING.to_json(), encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if k != "INWISE_API_KEY"}
    done = subprocess.run([sys.executable, "-m", "inwise_pandas.cli", "push", str(contacts_csv), "--mapping",
                           str(mapping_file)], capture_output=True, text=True, env=env, timeout=120)
    assert done.returncode == 2 and "INWISE_API_KEY" in done.stderr


@pytest.mark.parametrize("suffix", [".parquet", ".csv"])
def test_cli_recent_writes_file_with_journal(sb, client, tmp_path, suffix):
    pd.DataFrame({"Email": [f"r{i}@x.co" for i in range(2_500)]}).inwise.push(
        {"Email": "email"}, client=client, mode="batch", progress=False)
    out, journal = tmp_path / f"recent{suffix}", tmp_path / "journal"
    done = cli("recent", "--out", out, "--all", "--journal", journal, env_extra=env_for(sb))
    assert done.returncode == 0, done.stderr
    frame = pd.read_parquet(out) if suffix == ".parquet" else pd.read_csv(out)
    assert len(frame) == 2_500 and frame["id"].is_unique
    assert len(inwise.read_journal(journal)) == 2_500


def test_cli_sandbox_serves_until_interrupted():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = subprocess.Popen([sys.executable, "-m", "inwise_pandas.cli", "sandbox", "--port", str(port),
                               "--api-key", "one", "--api-key", "two"], stdout=subprocess.PIPE, text=True)
    try:
        line = server.stdout.readline()
        assert f"http://127.0.0.1:{port}/rest/v1" in line
        client = inwise.Client("two", base_url=f"http://127.0.0.1:{port}/rest/v1")
        assert client.upsert_contact({"email": "cli@x.co"})["status"] == "created"
    finally:
        server.send_signal(signal.SIGINT)
        assert server.wait(timeout=10) == 0
