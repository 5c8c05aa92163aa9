"""Several files as new versions in one request (an import over HTTP, issue 12)."""
from __future__ import annotations

from flask import jsonify, request

import search
from api import inputs
from api.blueprint import bp
from api.shapes import upload_json
from core import cleaning
from core.auth import api_user
from core.errors import UserValueError
from deliverables import same_content, versions, visibility
from deliverables.filenames import clean_filename
from projects import access, permissions

MAX_FILES = 100  # files in one request (each within HANDOVER_MAX_UPLOAD_MB, the body within the request cap)


def _paired_fields() -> tuple[list[int], list, list[str]]:
    """The request's (deliverable ids, file parts, notes), paired by order, or a 400: 1 to
    MAX_FILES files, one `deliverable_id` per file, and no `note`, one for all or one per file."""
    if not (request.mimetype or "").startswith("multipart/form-data"):
        raise UserValueError("Send the files as multipart/form-data: 'deliverable_id' and 'file' pairs.",
                             "missing_file")
    files = request.files.getlist("file")
    raw_ids = request.form.getlist("deliverable_id")
    notes = request.form.getlist("note")
    if not files or any(not f.filename for f in files):
        raise UserValueError("Each 'file' part needs a file with a name; at least one is required.", "missing_file")
    if len(files) > MAX_FILES:
        raise UserValueError(f"At most {MAX_FILES} files per request (got {len(files)}).", "too_many_files",
                             max_files=MAX_FILES)
    if len(raw_ids) != len(files) or len(notes) not in (0, 1, len(files)):
        raise UserValueError(f"Send one 'deliverable_id' per 'file', in the same order, and no 'note', one for all "
                             f"or one per file (got {len(raw_ids)} ids, {len(files)} files, {len(notes)} notes).",
                             "unpaired_files")
    ids = [cleaning.check_id(raw, "deliverable_id") for raw in raw_ids]
    notes = [inputs.text({"note": n}, "note", required=False, max_len=2000, multiline=True) for n in notes]
    notes = (notes * len(files)) if len(notes) == 1 else (notes or [""] * len(files))
    return ids, files, notes


@bp.post("/projects/<code>/versions")
def upload_versions(code):
    """Store every file as the next version of its deliverable, all or nothing: each file is
    checked as a single upload is (the same rule, permissions.may_upload), every check before
    the first byte becomes a blob; then one transaction (deliverables.versions.add_versions)."""
    user = api_user()
    project = access.get_project(user, code)
    ids, files, notes = _paired_fields()
    found = visibility.get_deliverables_of(project, ids)  # another project's deliverable: 404
    for did in ids:
        permissions.require(permissions.may_upload(user, found[did]))
    names = [clean_filename(f.filename) for f in files]  # 400s before any blob exists
    for f in files:
        if f.stream.size == 0:
            raise UserValueError("The file is empty.", "empty_file")
    blobs = [f.stream.commit_blob() for f in files]
    earlier = same_content.earlier_versions_with_bytes((did, b.sha256) for did, b in zip(ids, blobs))
    items = [versions.NewVersion(found[did], blob, name, note, content_type=f.mimetype)
             for did, blob, name, note, f in zip(ids, blobs, names, notes, files)]
    new = versions.add_versions(user, items)
    states = search.text_states(v.id for v in new)
    out = []
    for v in new:  # as if uploaded one by one: an earlier file of this request may be the same
        key = (v.deliverable_id, v.sha256)
        out.append(upload_json(v, earlier.get(key), states))
        earlier[key] = v
    return jsonify({"versions": out}), 201
