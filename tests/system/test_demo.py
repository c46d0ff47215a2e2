"""The README's main job: `inwise-pandas demo` runs end to end against the embedded sandbox."""

import subprocess
import sys

from inwise_pandas.demo import load_sample


def test_sample_ships_with_the_package():
    sample = load_sample()
    assert len(sample) == 325 and list(sample.columns) == ["Email", "Mobile", "First Name", "Last Name", "Birthday"]
    assert sample["Mobile"].str.contains("e+", regex=False).any()  # mobiles in scientific notation
    assert sample["First Name"].str.contains("[א-ת]", regex=True).any()  # Hebrew names


def test_demo_command():
    done = subprocess.run([sys.executable, "-m", "inwise_pandas.cli", "demo"], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert "upsert: 60 rows" in out and "batch: 265 rows" in out
    assert "Rejected before sending" in out and "no @" in out
    assert "Read back with read_recent" in out
    assert "Every input row has a status: 284 delivered + 41 rejected = 325 rows." in out
