"""API tokens in the pages (issue 16): one's own (/tokens) and, for an admin, anyone's
(/admin/users/<username>/tokens): created, last used, revoked; revoke one.

Same operations as the command line (core.users.tokens_of, revoke_token); who may is
core.decision.may_manage_tokens (the ACTIONS row manage_tokens)."""
from __future__ import annotations

from flask import flash, g, redirect, render_template, request, url_for

from core import users as user_ops
from core.cleaning import check_id
from projects import permissions
from web.blueprint import bp
from web.form_errors import returns_to
from web.i18n import gettext as _


def _page(owner, own: bool):
    permissions.require(permissions.may_manage_tokens(g.user, owner))
    return render_template("tokens.html", owner=owner, own=own, tokens=user_ops.tokens_of(owner),
                           action=url_for("web.my_tokens_revoke") if own
                           else url_for("web.user_tokens_revoke", username=owner.username))


def _revoke(owner, back: str):
    permissions.require(permissions.may_manage_tokens(g.user, owner))
    returns_to(back)
    user_ops.revoke_token(owner, check_id(request.form.get("token_id") or "", "token_id"), g.user)
    flash(_("令牌已作废：使用它的脚本将收到 401。"), "ok")
    return redirect(back)


@bp.get("/tokens")
def my_tokens():
    return _page(g.user, own=True)


@bp.post("/tokens")
def my_tokens_revoke():
    return _revoke(g.user, url_for("web.my_tokens"))


@bp.get("/admin/users/<username>/tokens")
def user_tokens(username):
    permissions.require(permissions.may_manage_users(g.user))  # a non-admin learns nothing of others
    return _page(user_ops.get_user(username), own=False)


@bp.post("/admin/users/<username>/tokens")
def user_tokens_revoke(username):
    permissions.require(permissions.may_manage_users(g.user))
    owner = user_ops.get_user(username)
    return _revoke(owner, url_for("web.user_tokens", username=owner.username))
