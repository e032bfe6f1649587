"""``GET /v1/jobs/<id>``: the progress of a bulk job, for the account that made it."""

from __future__ import annotations

from flask import Blueprint

from .context import caller
from .problems import problem

bp = Blueprint("jobs", __name__, url_prefix="/v1/jobs")


@bp.get("/<job_id>")
def show(job_id: str):
    view = caller().job(job_id)
    if view is None:
        return problem(
            404, "not_found", "No such job", f"This account has no job '{job_id}'."
        )
    return view
