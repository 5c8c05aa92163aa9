"""Who am I, and user administration (admin only)."""
from __future__ import annotations

from flask import jsonify
from sqlalchemy import select

from api import inputs
from api.blueprint import bp
from api.shapes import user_json
from core import db
from core.auth import api_user
from core.decision import may_manage_users, require
from core.models import User
from core.roles import ROLES
from core import users as ops


def _admin() -> User:
    user = api_user()
    require(may_manage_users(user))  # listing users too; the operations check again
    return user


@bp.get("/me")
def me():
    return jsonify(user_json(api_user()))


@bp.get("/users")
def list_users():
    _admin()
    return jsonify([user_json(u) for u in db.session().scalars(select(User).order_by(User.username))])


@bp.post("/users")
def create_user():
    actor = _admin()
    body = inputs.json_body()
    user, token = ops.create_user(
        inputs.text(body, "username", max_len=64), inputs.choice(body, "role", ROLES),
        password=inputs.text(body, "password", required=False, max_len=200) or None,
        display_name=inputs.text(body, "display_name", required=False, max_len=100),
        organisation=inputs.text(body, "organisation", required=False), email=inputs.text(body, "email", required=False),
        phone=inputs.text(body, "phone", required=False, max_len=50), actor=actor)
    return jsonify(user_json(user) | {"token": token}), 201


@bp.post("/users/<username>/token")
def reset_token(username):
    actor = _admin()
    return jsonify({"token": ops.reset_token(ops.get_user(username), actor)}), 201
