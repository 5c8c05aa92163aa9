"""Sign-off workflows of a project, and the caller's tasks (issue 13)."""
from __future__ import annotations

from flask import jsonify

from api import inputs
from api.blueprint import bp
from core.auth import api_user
from deliverables import workflow
from projects import access, permissions
from todo.tasks import task_json, tasks_for


@bp.get("/projects/<code>/workflow")
def get_workflow(code):
    """The project's chain of steps and its per-document overrides."""
    project = access.get_project(api_user(), code)
    return jsonify(workflow.workflow_json(project.id))


@bp.put("/projects/<code>/workflow")
def put_workflow(code):
    """Replace the project's workflow (admin, or a pm of the project); versions already
    uploaded keep the chain they started with."""
    user = api_user()
    project = access.get_project(user, code)
    permissions.require(permissions.may_manage_workflow(user, project))
    steps, documents = workflow.parse_workflow(inputs.json_body(), project.id)
    workflow.set_workflow(user, project, steps, documents)
    return jsonify(workflow.workflow_json(project.id))


@bp.get("/me/tasks")
def my_tasks():
    """What waits for the caller across every project: sign, revise, record, fault."""
    return jsonify({"tasks": [task_json(t) for t in tasks_for(api_user())]})
