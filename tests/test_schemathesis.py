"""schemathesis over GET /api/openapi.json, in-process (the Flask app through its WSGI test client).

For an admin and for a client, on every database of the run: every operation of the
document gets generated requests (fixed seed, bounded numbers):
- positive cases with generated path parameters (mostly unknown ids: 404 paths),
- positive cases on real objects of P1 (project code, deliverable, version, fault ids),
- negative cases (invalid bodies, queries) on the same real objects.
Every answer must be below 500 and match the document: a documented status code, the
documented content type and a body valid against the response schema.
HANDOVER_FUZZ_EXAMPLES=N multiplies the numbers for a longer local run.
"""
from __future__ import annotations

import os
import re
import time
from collections import Counter

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, seed, settings
from schemathesis import GenerationMode
from schemathesis.core.failures import FailureGroup
from schemathesis.specs.openapi.checks import (content_type_conformance, response_schema_conformance,
                                               status_code_conformance)

from world_objects import make_objects

SEED = 20261127
SCALE = int(os.environ.get("HANDOVER_FUZZ_EXAMPLES", "1"))
# (name, generation mode, use real P1 ids, examples per operation)
PASSES = (("generated ids", GenerationMode.POSITIVE, False, 10 * SCALE),
          ("P1 ids", GenerationMode.POSITIVE, True, 14 * SCALE),
          ("P1 ids, invalid input", GenerationMode.NEGATIVE, True, 10 * SCALE))
# Server errors (5xx) are counted on their own; these checks compare the answer with the document.
CHECKS = [status_code_conformance, content_type_conformance, response_schema_conformance]


def test_every_api_route_is_in_the_openapi_document(app, client):
    """The document the fuzzing reads covers the whole API, and nothing that is not routed."""
    routed = set()
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/api/"):
            path = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule)
            routed |= {(m.lower(), path) for m in rule.methods - {"HEAD", "OPTIONS"}}
    doc = client.get("/api/openapi.json").json
    documented = {(m, path) for path, ops in doc["paths"].items() for m in ops
                  if m in ("get", "put", "post", "patch", "delete")}
    assert not routed - documented, f"API routes missing from api/openapi/*.yaml: {sorted(routed - documented)}"
    assert not documented - routed, f"documented but not routed: {sorted(documented - routed)}"


def known_path_parameters(operation, obj: dict) -> dict:
    """Real ids for the operation's path parameters (`spare` for usernames, never the caller)."""
    values = {"code": obj["code"], "deliverable_id": obj["deliverable_id"], "fault_id": obj["fault_id"],
              "version_id": obj["sign_version_id"] if operation.path.endswith("/signoffs") else obj["version_id"],
              "username": "spare"}
    names = [p.name for p in operation.path_parameters]
    return {n: values[n] for n in names if n in values}


@pytest.mark.parametrize("role", ["admin", "client"])
def test_openapi_document_holds_for_generated_requests(app, client, world, role, backend, capsys):
    """0 server errors and 0 answers that contradict the document, as `role`, on real and made-up ids."""
    objects = make_objects(app, client, world)
    schema = schemathesis.openapi.from_wsgi("/api/openapi.json", app)
    headers = world.h(role)
    cases = Counter()
    statuses = Counter()
    server_errors: list[str] = []
    violations: dict[tuple, str] = {}
    started = time.monotonic()

    for result in schema.get_all_operations():
        operation = result.ok()
        for name, mode, real_ids, examples in PASSES:
            path_parameters = known_path_parameters(operation, objects["P1"]) if real_ids else None
            if real_ids and operation.path_parameters and not path_parameters:
                continue

            @seed(SEED)
            @settings(max_examples=examples, database=None, deadline=None, derandomize=False,
                      phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
            @given(case=operation.as_strategy(generation_mode=mode, path_parameters=path_parameters))
            def run(case):
                cases[name] += 1
                try:
                    response = case.call(headers=headers)
                except Exception as exc:  # the app raised: a server error
                    server_errors.append(f"{operation.label} [{name}]: {exc!r} ({case.as_curl_command()})")
                    return
                statuses[response.status_code] += 1
                if response.status_code >= 500:
                    server_errors.append(f"{operation.label} [{name}]: {response.status_code} "
                                         f"{response.text[:200]} ({case.as_curl_command(headers=headers)})")
                try:
                    case.validate_response(response, checks=CHECKS, headers=headers)
                except FailureGroup as group:
                    for failure in group.exceptions:
                        key = (operation.label, failure.title, response.status_code)
                        violations.setdefault(key, f"{operation.label} [{name}] {response.status_code}: "
                                                   f"{failure.title}: {str(failure.message)[:300]} "
                                                   f"({case.as_curl_command()})")

            run()

    total = sum(cases.values())
    with capsys.disabled():
        print(f"\n[schemathesis {backend} {role}] cases={total} ({dict(cases)}) "
              f"statuses={dict(sorted(statuses.items()))} server_errors={len(server_errors)} "
              f"schema_violations={len(violations)} wall={time.monotonic() - started:.1f}s")
    assert total > 0
    assert not server_errors, f"{len(server_errors)} server errors:\n" + "\n".join(server_errors[:30])
    assert not violations, f"{len(violations)} responses that contradict the OpenAPI document:\n" + \
        "\n".join(violations.values())
