"""Spec: the simulator's flags build its config and it binds to loopback only."""

from __future__ import annotations

import argparse
import subprocess
import sys

import pytest

from connector.simulator import (
    SimulatorConfig,
    Workspace,
    add_arguments,
    config_from_args,
    serve,
)
from connector.simulator.app import is_loopback


def parse(*argv: str) -> SimulatorConfig:
    parser = argparse.ArgumentParser()
    add_arguments(parser)
    return config_from_args(parser.parse_args(argv))


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        pytest.param(
            ["--api-key", "K"],
            SimulatorConfig(workspaces=[Workspace(api_keys=["K"])]),
            id="defaults",
        ),
        pytest.param(
            [
                "--api-key", "K", "--api-key", "K2", "--webhook-key", "K2",
                "--webhook-url", "http://127.0.0.1:9/hook",
                "--speed", "2", "--cps", "1", "--webhook-timeout", "3",
            ],
            SimulatorConfig(
                workspaces=[
                    Workspace(
                        api_keys=["K", "K2"],
                        webhook_key="K2",
                        webhook_url="http://127.0.0.1:9/hook",
                    )
                ],
                speed=2.0,
                cps=1.0,
                webhook_timeout=3.0,
            ),
            id="one-workspace-two-keys",
        ),
        pytest.param(
            ["--api-key", "K", "--api-key", "K2", "--workspace-per-key"],
            SimulatorConfig(
                workspaces=[Workspace(api_keys=["K"]), Workspace(api_keys=["K2"])]
            ),
            id="workspace-per-key",
        ),
    ],
)  # fmt: skip
def test_config_from_args(argv, expected):
    """Flags map onto SimulatorConfig; the first key signs unless told."""
    assert parse(*argv) == expected


@pytest.mark.parametrize(
    ("workspaces", "fields"),
    [
        pytest.param([], {}, id="no-workspace"),
        pytest.param([Workspace(["K"]), Workspace(["K"])], {}, id="shared-key"),
        pytest.param([Workspace(["K"])], {"speed": 0}, id="zero-speed"),
        pytest.param([Workspace(["K"])], {"cps": -1}, id="negative-cps"),
    ],
)
def test_config_rejects_nonsense(workspaces, fields):
    """A config that cannot work fails at construction."""
    with pytest.raises(ValueError):
        SimulatorConfig(workspaces=workspaces, **fields)


@pytest.mark.parametrize(
    ("host", "expected"),
    [
        pytest.param("127.0.0.1", True, id="ipv4-loopback"),
        pytest.param("127.8.9.10", True, id="ipv4-loopback-range"),
        pytest.param("::1", True, id="ipv6-loopback"),
        pytest.param("localhost", True, id="localhost"),
        pytest.param("0.0.0.0", False, id="all-interfaces"),
        pytest.param("10.0.0.5", False, id="private"),
        pytest.param("example.invalid", False, id="hostname"),
    ],
)
def test_is_loopback(host, expected):
    """Only loopback literals and localhost count as loopback."""
    assert is_loopback(host) is expected


def test_serve_refuses_non_loopback_before_binding():
    """serve() raises instead of listening on 0.0.0.0."""
    config = SimulatorConfig(workspaces=[Workspace(api_keys=["K"])])
    with pytest.raises(ValueError, match="loopback"):
        serve("0.0.0.0", 0, config)


@pytest.mark.parametrize(
    ("argv", "returncode", "text"),
    [
        pytest.param(["--help"], 0, "--api-key", id="help"),
        pytest.param(["--host", "0.0.0.0", "--api-key", "K"], 2, "loopback", id="host"),
        pytest.param([], 2, "--api-key", id="key-required"),
    ],
)
def test_module_entry_point(argv, returncode, text):
    """python -m connector.simulator parses flags and refuses non-loopback hosts."""
    result = subprocess.run(
        [sys.executable, "-m", "connector.simulator", *argv],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == returncode
    assert text in result.stdout + result.stderr
