#!/usr/bin/env python3
"""Check every response a test recorded against docs/openapi.yaml (the
description itself is validated by tests/fleet/openapi-validate.mjs, and
here too by openapi-spec-validator when it is installed): the status must be documented for the route and
method, and a JSON body must match the response's schema (JSON Schema
2020-12, as OpenAPI 3.1 says).

usage: openapi_check.py SPEC RESPONSES.tsv BODYDIR
RESPONSES.tsv lines: METHOD PATH STATUS CONTENT-TYPE N (body in BODYDIR/N).
Exit 0 when everything matches, 1 otherwise (each mismatch printed, or a
missing validator named: Debian's python3-yaml and python3-jsonschema,
which bash .ci/setup installs)."""
import json
import re
import sys

try:
    import yaml
    import jsonschema
except ImportError as e:
    print("missing validator: %s (bash .ci/setup installs python3-yaml "
          "and python3-jsonschema)" % e)
    sys.exit(1)

spec_file, tsv, bodies = sys.argv[1:4]
spec = yaml.safe_load(open(spec_file))
try:  # a second opinion on the description, where installed
    from openapi_spec_validator import validate
    validate(spec)
except ImportError:
    pass


def resolve(node):
    """Inline every local $ref (the spec has no recursive schema)."""
    if isinstance(node, dict):
        if "$ref" in node and len(node) == 1:
            target = spec
            for part in node["$ref"].lstrip("#/").split("/"):
                target = target[part]
            return resolve(target)
        return {k: resolve(v) for k, v in node.items()}
    if isinstance(node, list):
        return [resolve(v) for v in node]
    return node


paths = resolve(spec["paths"])
templates = []
for tpl, item in paths.items():
    rx = "^" + re.sub(r"\{[^}]+\}", "[^/]+", tpl) + "$"
    templates.append((re.compile(rx), tpl, item))

errors = 0
checked = 0
for line in open(tsv):
    method, path, status, ctype, n = line.rstrip("\n").split("\t")
    path = path.split("?")[0]
    hit = [(tpl, item) for rx, tpl, item in templates if rx.match(path)]
    if not hit:
        if status != "404":
            print("FAIL %s %s: %s for an undocumented route" % (method, path, status))
            errors += 1
        continue
    tpl, item = hit[0]
    op = item.get(method.lower())
    if op is None:
        if status != "405":
            print("FAIL %s %s: %s, but the method is not documented" % (method, tpl, status))
            errors += 1
        continue
    resp = op["responses"].get(status)
    if resp is None:
        print("FAIL %s %s: status %s not documented" % (method, tpl, status))
        errors += 1
        continue
    content = resp.get("content", {})
    media = ctype.split(";")[0].strip()
    if content and media not in content:
        print("FAIL %s %s %s: content type %s, documented %s" % (method, tpl, status, media, list(content)))
        errors += 1
        continue
    schema = content.get(media, {}).get("schema")
    if media == "application/json" and schema is not None:
        body = json.load(open("%s/%s" % (bodies, n)))
        try:
            jsonschema.Draft202012Validator(schema).validate(body)
        except jsonschema.ValidationError as e:
            print("FAIL %s %s %s: %s at %s" % (method, tpl, status, e.message, list(e.absolute_path)))
            errors += 1
            continue
    checked += 1
print("openapi: %d responses match docs/openapi.yaml, %d do not" % (checked, errors))
sys.exit(1 if errors else 0)
