"""Finding 10 (part): the deliverable page showed a client the file name of the latest version,
which she may not see yet (deliverables.visibility decides, the page only asks)."""
from __future__ import annotations

from sqlalchemy import select

from web_support import login

SECRET = "内部方案-未审核-v2.txt"


def _doc(app, world):
    with app.app_context():
        from core import db
        from deliverables.models import Deliverable
        return db.session().scalar(select(Deliverable.id).where(Deliverable.project_id == world.ids["P1"])
                                   .order_by(Deliverable.position))


def _page(client, who, d_id) -> str:
    login(client, who)
    r = client.get(f"/deliverables/{d_id}")
    assert r.status_code == 200
    return r.get_data(as_text=True)


def test_client_does_not_see_the_name_of_an_unsigned_version(app, client, world, upload):
    d_id = _doc(app, world)
    first = upload(d_id, b"v1", "已签署-v1.txt")
    for who in ("pm", "client"):
        r = client.post(f"/api/versions/{first['id']}/signoffs", headers=world.h(who), json={"decision": "approve"})
        assert r.status_code == 201, r.json
    second = upload(d_id, b"v2 secret", SECRET)
    # the client may neither list nor download V2 through the API ...
    listed = client.get(f"/api/deliverables/{d_id}/versions", headers=world.h("client")).json
    assert SECRET not in str(listed)
    assert client.get(f"/api/versions/{second['id']}/file", headers=world.h("client")).status_code == 404
    # ... nor read its name on the page before the pm's approval, or after a rejection
    html = _page(client, "client", d_id)
    assert SECRET not in html and "已签署-v1.txt" in html
    assert "V2" in html and 'id="sign-form"' not in html  # she is told a V2 is under way
    client.post(f"/api/versions/{second['id']}/signoffs", headers=world.h("pm"), json={"decision": "approve"})
    # at her step (every vendor step approved) she reads what she confirms (issue 13)
    html = _page(client, "client", d_id)
    assert SECRET in html and 'id="sign-form"' in html
    # the vendor's people see it
    for who in ("pm", "engineer", "admin"):
        assert SECRET in _page(client, who, d_id), who
    third = upload(d_id, b"v3", "另一稿-v3.txt")
    client.post(f"/api/versions/{third['id']}/signoffs", headers=world.h("pm"),
                json={"decision": "reject", "comment": "重写"})
    html = _page(client, "client", d_id)
    assert "另一稿-v3.txt" not in html and SECRET not in html and "已签署-v1.txt" in html


def test_client_sees_the_name_once_signed_off(app, client, world, upload):
    d_id = _doc(app, world)
    v = upload(d_id, b"v1", SECRET)
    for who in ("pm", "client"):
        r = client.post(f"/api/versions/{v['id']}/signoffs", headers=world.h(who), json={"decision": "approve"})
        assert r.status_code == 201, r.json
    assert SECRET in _page(client, "client", d_id)
