"""Settings from CONNECTOR_* variables: a value that cannot work stops the start."""

from __future__ import annotations

import subprocess
import sys

import pytest

from connector.config import Settings, SettingsError


@pytest.mark.parametrize(
    ("variable", "raw", "message"),
    [
        ("CONNECTOR_PACING_MAX_WAIT", "60", "from 0 to 30 seconds, not 60"),
        ("CONNECTOR_UPSTREAM_TIMEOUT", "0", "from 1 to 45 seconds, not 0"),
        ("CONNECTOR_DEFAULT_CPS", "0", "from 0.01 to 1000 calls per second"),
        ("CONNECTOR_DEFAULT_CPS", "fast", "must be a number, not 'fast'"),
        ("CONNECTOR_PACING_MAX_WAIT", "nan", "must be a number, not 'nan'"),
        ("CONNECTOR_UPSTREAM_TIMEOUT", "inf", "must be a number, not 'inf'"),
        ("CONNECTOR_DELIVERY_LEASE", "1", "from 2 to 3600 seconds, not 1"),
        ("CONNECTOR_ALLOW_PRIVATE_TARGETS", "maybe", "must be true or false"),
    ],
)
def test_unusable_values_are_refused_by_name(variable, raw, message):
    with pytest.raises(SettingsError, match=variable) as refused:
        Settings.from_env({variable: raw})
    assert message in str(refused.value)


def test_values_in_range_are_taken():
    settings = Settings.from_env(
        {"CONNECTOR_PACING_MAX_WAIT": "30", "CONNECTOR_DEFAULT_CPS": "16"}
    )
    assert (settings.pacing_max_wait, settings.default_cps) == (30.0, 16.0)


def test_the_command_says_what_is_wrong_without_a_traceback(tmp_path):
    done = subprocess.run(
        [sys.executable, "-m", "connector", "replay", "--key", "k"],
        env={"CONNECTOR_PACING_MAX_WAIT": "99", "PATH": ""},
        capture_output=True,
        text=True,
        timeout=30,
        cwd=tmp_path,
    )
    assert done.returncode == 2
    assert done.stderr.strip() == (
        "connector replay: CONNECTOR_PACING_MAX_WAIT must be from 0 to 30 seconds, "
        "not 99"
    )
