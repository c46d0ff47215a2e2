"""inwise-pandas benchmarks: each figure beside its baseline, measured in the same run.

    python benchmarks/run.py                 # everything (several minutes)
    python benchmarks/run.py --only V1,P1    # some figures
    python benchmarks/run.py --quick         # smaller sizes, for a smoke run

Figures:
  V1  validate + clean of 1,000,000 rows        vs df.to_csv()                 target <= 1.5x
  P1  df.inwise.to_batch() of 1,000,000 rows     vs df.to_csv(index=False)      target <= 1.5x
  P2  upsert push of 2,000 rows, 20 ms latency   vs sequential requests.post    target >= 10x faster
  P3  sandbox upserts/s, one keep-alive client                                  target >= 1,000/s
  P4  read_recent(all_pages=True) of 100,000                                    target >= 50,000 rows/s
  P5  batch push of a 1,000,000-row frame: peak RSS growth vs memory_usage(deep=True)  target <= 1.5x
      streaming push_csv of a 5,000,000-row file: peak RSS                      target <= 600 MB
The sandbox runs in its own process (as a real server would); memory is measured in child processes.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import socket
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager

import numpy as np
import pandas as pd

import inwise_pandas as inwise

MAPPING = {"Email": "email", "Mobile": "mobile", "First": 1, "Last": 2, "Birthday": 21}
OPTIONS = {"country_code": "972", "trim_leading_zero": True}
RESULTS: list[dict] = []


def contact_list(n: int, seed: int = 0) -> pd.DataFrame:
    """A realistic export: messy emails and mobiles in every common form, plus unmapped columns."""
    rng = np.random.default_rng(seed)
    i = np.arange(n)
    local = pd.Series([f"05{d}{k:07d}" for d, k in zip(i % 10, i)])
    kind = rng.integers(0, 10, n)
    mobile = local.copy()
    mobile[kind == 1] = "+972-" + local[kind == 1].str[1:3] + "-" + local[kind == 1].str[3:]
    mobile[kind == 2] = local[kind == 2].str[:3] + "-" + local[kind == 2].str[3:]
    mobile[kind == 3] = "(" + local[kind == 3].str[:3] + ") " + local[kind == 3].str[3:6] + " " + local[kind == 3].str[6:]
    mobile[kind == 4] = local[kind == 4].str[1:] + ".0"
    mobile[kind == 5] = None
    email = pd.Series([f"person{k}@example.com" for k in i])
    email[kind == 6] = "  " + email[kind == 6].str.upper() + " "
    email[kind == 7] = email[kind == 7].str.replace("@", "", regex=False)
    return pd.DataFrame({
        "Email": email.astype("str"),
        "Mobile": mobile.astype("str"),
        "First": pd.Series([f"שם{k % 500}" for k in i], dtype="str"),
        "Last": pd.Series([f"Family{k % 700}" for k in i], dtype="str"),
        "Birthday": pd.Timestamp("1950-01-01") + pd.to_timedelta(i % 20000, unit="D"),
        "City": pd.Series(rng.choice(["Tel Aviv", "Haifa", "ירושלים", "Beer Sheva"], n), dtype="str"),
        "Signed up": pd.Timestamp("2024-01-01") + pd.to_timedelta(i % 700, unit="D"),
        "Score": rng.integers(0, 100, n),
    })


def report(key: str, what: str, value: float, baseline: float | None, unit: str, target: str, met: bool) -> None:
    RESULTS.append({"figure": key, "what": what, "value": value, "baseline": baseline, "unit": unit,
                    "target": target, "met": met})
    base = f"   baseline {baseline:.3f}{unit}" if baseline is not None else ""
    print(f"{key:3} {what:58} {value:10.3f}{unit}{base}   target {target:>14}   {'MET' if met else 'NOT MET'}",
          flush=True)


def timed(fn, repeat: int = 1) -> float:
    best = float("inf")
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - started)
    return best


@contextmanager
def sandbox_process(latency: float = 0.0):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = subprocess.Popen([sys.executable, "-m", "inwise_pandas.cli", "sandbox", "--port", str(port),
                               "--api-key", "bench", "--latency", str(latency)], stdout=subprocess.PIPE, text=True)
    server.stdout.readline()
    try:
        yield f"http://127.0.0.1:{port}/rest/v1"
    finally:
        server.terminate()
        server.wait(timeout=30)


def v1(n: int) -> None:
    frame = contact_list(n)
    baseline = timed(lambda: frame.to_csv(), repeat=2)
    ours = timed(lambda: (frame.inwise.validate(MAPPING, **OPTIONS), frame.inwise.clean(MAPPING, **OPTIONS)),
                 repeat=2)
    report("V1", f"validate + clean, {n:,} rows ({ours:.2f}s vs to_csv {baseline:.2f}s)", ours / baseline, None, "x",
           "<= 1.5x", ours / baseline <= 1.5)


def p1(n: int) -> None:
    frame = contact_list(n)
    baseline = timed(lambda: frame.to_csv(index=False), repeat=2)
    ours = timed(lambda: frame.inwise.to_batch(MAPPING, **OPTIONS), repeat=2)
    report("P1", f"to_batch, {n:,} rows ({ours:.2f}s vs to_csv {baseline:.2f}s)", ours / baseline, None, "x",
           "<= 1.5x", ours / baseline <= 1.5)


def p2(n: int) -> None:
    import requests

    frame = contact_list(n, seed=2)
    frame["Email"] = [f"upsert{k}@example.com" for k in range(n)]  # every row one request
    bodies = frame.inwise.to_upserts(MAPPING, **OPTIONS)
    with sandbox_process(latency=0.020) as url:
        session = requests.Session()
        started = time.perf_counter()
        for body in bodies:
            session.post(f"{url}/contacts", json=body, headers={"X-API-Key": "bench"}).raise_for_status()
        naive = time.perf_counter() - started
    with sandbox_process(latency=0.020) as url:
        client = inwise.Client("bench", base_url=url)
        started = time.perf_counter()
        result = frame.inwise.push(MAPPING, client=client, mode="upsert", progress=False, workers=32, **OPTIONS)
        ours = time.perf_counter() - started
    assert result.summary["created"] + result.summary["updated"] == len(bodies)
    report("P2", f"upsert push of {len(bodies):,} rows at 20 ms ({ours:.2f}s vs loop {naive:.2f}s)", naive / ours,
           None, "x faster", ">= 10x", naive / ours >= 10)


def _raw_keep_alive(host: str, port: int, count: int) -> float:
    """A minimal HTTP/1.1 keep-alive client: measures the server, not a client library."""
    conn = socket.create_connection((host, port))
    conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    reader = conn.makefile("rb")
    started = time.perf_counter()
    for k in range(count):
        body = json.dumps({"email": f"raw{k}@example.com", "mobile_number": f"9725{k:08d}"}).encode()
        conn.sendall(b"POST /rest/v1/contacts HTTP/1.1\r\nHost: bench\r\nX-API-Key: bench\r\n"
                     b"Content-Type: application/json\r\nContent-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body)
        status = reader.readline()
        length = 0
        while (line := reader.readline()) not in (b"\r\n", b""):
            if line.lower().startswith(b"content-length"):
                length = int(line.split(b":")[1])
        reader.read(length)
        assert b" 200 " in status, status
    elapsed = time.perf_counter() - started
    conn.close()
    return count / elapsed


def p3(n: int) -> None:
    with sandbox_process() as url:
        host, port = url.split("//")[1].split("/")[0].split(":")
        rate = _raw_keep_alive(host, int(port), n)
        client = inwise.Client("bench", base_url=url)
        started = time.perf_counter()
        for k in range(n // 2):
            client.upsert_contact({"email": f"client{k}@example.com"})
        client_rate = (n // 2) / (time.perf_counter() - started)
    report("P3", f"sandbox upserts/s, one keep-alive connection ({n:,} requests)", rate, None, "/s", ">= 1000/s",
           rate >= 1000)
    print(f"    (for reference: inwise.Client, sequential over requests, {client_rate:,.0f} upserts/s; "
          "pushes use a pool of such connections, see P2)", flush=True)


def p4(n: int) -> None:
    frame = contact_list(n, seed=4)
    frame["Email"] = [f"reader{k}@example.com" for k in range(n)]  # every row a contact
    with sandbox_process() as url:
        client = inwise.Client("bench", base_url=url)
        frame.inwise.push(MAPPING, client=client, mode="batch", progress=False, **OPTIONS)
        started = time.perf_counter()
        recent = inwise.read_recent(client=client, all_pages=True, progress=False)
        elapsed = time.perf_counter() - started
    rate = len(recent) / elapsed
    report("P4", f"read_recent all pages, {len(recent):,} contacts into the typed frame", rate, None, " rows/s",
           ">= 50000/s", rate >= 50_000)


MEMORY_CHILD = """
import json, os, resource, sys, gc
sys.path.insert(0, {bench_dir!r})
import pandas as pd, inwise_pandas as inwise
from run import contact_list, MAPPING, OPTIONS

def rss(field):
    for line in open("/proc/self/status"):
        if line.startswith(field):
            return int(line.split()[1]) * 1024

mode, url, arg = sys.argv[1], sys.argv[2], sys.argv[3]
client = inwise.Client("bench", base_url=url)
if mode == "frame":
    frame = contact_list(int(arg), seed=5)
    size = int(frame.memory_usage(deep=True).sum())
    gc.collect()
    with open("/proc/self/clear_refs", "w") as handle:
        handle.write("5")  # reset the peak (VmHWM) to the current size
    before = rss("VmRSS")
    result = frame.inwise.push(MAPPING, client=client, mode="batch", progress=False, **OPTIONS)
    print(json.dumps({{"frame": size, "growth": rss("VmHWM") - before, "rows": len(result.rows),
                       "ok": int(result.summary.sum())}}))
else:
    result = inwise.push_csv(arg, MAPPING, client=client, chunksize=100_000, progress=False, **OPTIONS)
    print(json.dumps({{"peak": rss("VmHWM"), "rows": len(result.rows), "ok": int(result.summary.sum())}}))
"""


def _memory_child(mode: str, url: str, arg: str) -> dict:
    script = MEMORY_CHILD.format(bench_dir=os.path.dirname(os.path.abspath(__file__)))
    done = subprocess.run([sys.executable, "-c", script, mode, url, arg], capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def p5(n_frame: int, n_file: int) -> None:
    with sandbox_process() as url:
        measured = _memory_child("frame", url, str(n_frame))
    ratio = measured["growth"] / measured["frame"]
    report("P5", f"batch push of a {n_frame:,}-row frame: peak RSS growth / frame size "
           f"({measured['growth'] / 2**20:.0f} MB / {measured['frame'] / 2**20:.0f} MB)", ratio, None, "x",
           "<= 1.5x", ratio <= 1.5)
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "contacts.csv")
        for start in range(0, n_file, 500_000):
            part = contact_list(min(500_000, n_file - start), seed=start)
            part["Email"] = part["Email"].str.replace("person", f"p{start}-", regex=False)
            part.to_csv(path, mode="a", header=start == 0, index=False)
        with sandbox_process() as url:
            measured = _memory_child("file", url, path)
    assert measured["rows"] == n_file and measured["ok"] == n_file
    peak = measured["peak"] / 2**20
    report("P5", f"streaming push_csv of a {n_file:,}-row file: peak RSS", peak, None, " MB", "<= 600 MB",
           peak <= 600)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", default="V1,P1,P2,P3,P4,P5")
    parser.add_argument("--quick", action="store_true", help="a tenth of the sizes")
    parser.add_argument("--json", help="also write the figures to this file")
    args = parser.parse_args()
    scale = 10 if args.quick else 1
    import pyarrow
    import requests

    print(f"inwise-pandas {inwise.__version__} · Python {platform.python_version()} · pandas {pd.__version__} · "
          f"pyarrow {pyarrow.__version__} · requests {requests.__version__} · numpy {np.__version__}")
    print(f"{platform.machine()} · {os.cpu_count()} CPUs · {platform.platform()} · "
          f"{time.strftime('%Y-%m-%d')}\n", flush=True)
    chosen = set(args.only.upper().split(","))
    runs = {"V1": lambda: v1(1_000_000 // scale), "P1": lambda: p1(1_000_000 // scale),
            "P2": lambda: p2(2_000 // (2 if args.quick else 1)), "P3": lambda: p3(5_000 // (5 if args.quick else 1)),
            "P4": lambda: p4(100_000 // scale), "P5": lambda: p5(1_000_000 // scale, 5_000_000 // scale)}
    for key, run in runs.items():
        if key in chosen:
            run()
    if args.json:
        with open(args.json, "w") as handle:
            json.dump(RESULTS, handle, indent=2)
    missed = [r["figure"] for r in RESULTS if not r["met"]]
    print(f"\n{len(RESULTS) - len(missed)} of {len(RESULTS)} targets met" + (f"; missed: {missed}" if missed else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
