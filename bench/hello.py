"""The hello-world baseline: a bare Flask app served under the connector's gunicorn
settings, so the ingest ratio measures the connector's own work only."""

from flask import Flask

app = Flask(__name__)


@app.post("/")
def accept() -> tuple[str, int]:
    """Take the body and answer 204, as a receiver that stores nothing would."""
    from flask import request

    request.get_data()
    return "", 204
