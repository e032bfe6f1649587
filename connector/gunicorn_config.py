"""gunicorn settings: ``gunicorn -c python:connector.gunicorn_config
'connector.app:create_app()'``. Environment variables can still override them."""

import multiprocessing
import os
import shutil
import tempfile
from pathlib import Path

from connector.logs import formatter_config

# /metrics adds up the counters of every worker from files in this folder
# (prometheus_client's multiprocess mode, connector/metrics.py). It must be in the
# environment before a worker imports prometheus_client, so it is set here, in the
# master, and inherited. An operator's own folder is kept; ours is removed at exit.
_OWN_METRICS_DIR = "PROMETHEUS_MULTIPROC_DIR" not in os.environ
if _OWN_METRICS_DIR:
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="metrics")

bind = os.environ.get("CONNECTOR_BIND", "127.0.0.1:8080")
workers = int(os.environ.get("CONNECTOR_WORKERS", min(4, multiprocessing.cpu_count())))
worker_class = "connector.serving.ProblemWorker"
# Threads, because a create may sleep up to 10 s for its pacing slot: with sync
# workers, a few paced creates of one account would hold every worker and delay
# everyone else, health checks included.
threads = int(os.environ.get("CONNECTOR_THREADS", 8))

# With threaded workers this only restarts a worker whose main loop has stopped
# checking in (a request runs in a thread and is not timed by it). Requests are
# bounded by the pacing wait and the Retell client's own 45 s budget instead.
timeout = 75
graceful_timeout = 30

# gunicorn's defaults, said out loud: they are part of the bounded-input promise.
limit_request_line = 4094
limit_request_fields = 100
limit_request_field_size = 8190

# The connector writes its own one line per request.
accesslog = None

# gunicorn 27 opens a control socket at one fixed path per user; several services,
# tests or demos on a host would share it. The connector does not use it.
control_socket_disable = True

# One stream for everything: gunicorn's own lines and the connector's, at the level
# asked for. This replaces gunicorn's whole logging setup, its loggers included.
logconfig_dict = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": formatter_config()},
    "handlers": {
        "stderr": {
            "class": "logging.StreamHandler",
            "formatter": "plain",
            "stream": "ext://sys.stderr",
        }
    },
    "loggers": {
        "gunicorn.error": {"handlers": [], "propagate": True},
        "gunicorn.access": {"handlers": [], "propagate": True},
    },
    "root": {
        "level": os.environ.get("CONNECTOR_LOG_LEVEL", "INFO"),
        "handlers": ["stderr"],
    },
}


def on_starting(server) -> None:
    # Files left by an earlier run would add its counts to this one's.
    folder = Path(os.environ["PROMETHEUS_MULTIPROC_DIR"])
    folder.mkdir(parents=True, exist_ok=True)
    for stale in folder.glob("*.db"):
        stale.unlink()


def on_exit(server) -> None:
    if _OWN_METRICS_DIR:
        shutil.rmtree(os.environ["PROMETHEUS_MULTIPROC_DIR"], ignore_errors=True)
