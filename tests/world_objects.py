"""Objects in both projects of the `world` fixture, for tests that probe every route with real ids."""
from __future__ import annotations

import io


def make_objects(app, client, world) -> dict[str, dict]:
    """Per project (P1, P2): a signed-off version, a version approved by the pm and waiting for the
    client, a fault; and a user `spare` (engineer) who is a member of both projects.

    Returns {"P1": {"code", "deliverable_id", "version_id", "sign_version_id", "fault_id"}, "P2": {...}}."""
    from core import db
    from core.users import create_user
    with app.app_context():
        create_user("spare", "engineer", display_name="SPARE")
        db.session().commit()
    admin = world.h("admin")
    out = {}
    for code, pm, cl in (("P1", "pm", "client"), ("P2", "pm2", "client2")):
        r = client.post(f"/api/projects/{code}/members", json={"username": "spare"}, headers=admin)
        assert r.status_code == 201, r.json
        ds = [d["id"] for d in client.get(f"/api/projects/{code}/deliverables", headers=admin).json]
        versions = []
        for d_id in ds[:2]:
            r = client.post(f"/api/deliverables/{d_id}/versions", headers=admin, content_type="multipart/form-data",
                            data={"file": (io.BytesIO(f"{code} plan {d_id}".encode()), "plan.txt")})
            assert r.status_code == 201, r.json
            versions.append(r.json["id"])
        for v_id in versions:
            r = client.post(f"/api/versions/{v_id}/signoffs", json={"decision": "approve"}, headers=world.h(pm))
            assert r.status_code == 201, r.json
        r = client.post(f"/api/versions/{versions[0]}/signoffs", json={"decision": "approve"}, headers=world.h(cl))
        assert r.status_code == 201, r.json
        r = client.post(f"/api/projects/{code}/faults", json={"level": 3, "title": "网络中断", "channel": "phone"},
                        headers=world.h(cl))
        assert r.status_code == 201, r.json
        out[code] = {"code": code, "deliverable_id": ds[0], "version_id": versions[0],
                     "sign_version_id": versions[1], "fault_id": r.json["id"]}
    return out
