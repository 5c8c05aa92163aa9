"""GET /api/catalog."""
from flask import jsonify

from api.blueprint import bp
from catalog import get_catalog


@bp.get("/catalog")
def catalog():
    cat = get_catalog()
    return jsonify({
        "phases": [{"key": p.key, "name_zh": p.name_zh, "name_en": p.name_en,
                    "documents": [{"key": d.key, "name_zh": d.name_zh, "name_en": d.name_en,
                                   "stage_zh": d.stage_zh, "seed_no": d.seed_no} for d in cat.documents_in(p.key)]}
                   for p in cat.phases],
        "records": [{"key": r.key, "name_zh": r.name_zh, "name_en": r.name_en, "rhythm": r.rhythm,
                     "due_weekday": r.due_weekday, "due_time": r.due_time} for r in cat.records],
    })
