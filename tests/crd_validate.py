#!/usr/bin/python3
# Validate TrainJob documents against the openAPIV3Schema of a real
# TrainJob CRD, the way the API server's structural schema would:
#   crd_validate.py CRD.yaml [--expect-fail] DOC.json...
# x-kubernetes-* extensions are ignored (the CEL rules are checked by the C
# validation), but unknown fields are rejected: every object schema that lists
# properties gets additionalProperties: false unless it preserves unknown
# fields. Exit 0 when every document passes (or, with --expect-fail, when
# every document fails), 1 otherwise, 77 when a module is missing.
# SPDX-License-Identifier: Apache-2.0
import json
import sys

try:
    import jsonschema
    import yaml
except ImportError as e:  # pragma: no cover
    print("skip: python3 module missing: %s (install python3-jsonschema python3-yaml)" % e.name)
    sys.exit(77)


def strict(node):
    """Drop x-kubernetes-* keys; close objects that list their properties."""
    if isinstance(node, list):
        return [strict(x) for x in node]
    if not isinstance(node, dict):
        return node
    out = {}
    preserve = node.get("x-kubernetes-preserve-unknown-fields") is True
    int_or_string = node.get("x-kubernetes-int-or-string") is True
    for k, v in node.items():
        if k.startswith("x-kubernetes-") or k == "nullable":
            continue
        if k in ("properties", "patternProperties", "definitions"):
            out[k] = {name: strict(sub) for name, sub in v.items()}
        else:
            out[k] = strict(v)
    if "properties" in out and "additionalProperties" not in out and not preserve:
        out["additionalProperties"] = False
    if int_or_string and "type" not in out and "anyOf" not in out:
        out["anyOf"] = [{"type": "integer"}, {"type": "string"}]
    return out


def load_schema(crd_path):
    with open(crd_path) as f:
        crd = yaml.safe_load(f)
    for v in crd["spec"]["versions"]:
        if v["name"] == "v1alpha1":
            return strict(v["schema"]["openAPIV3Schema"])
    raise SystemExit("no v1alpha1 version in %s" % crd_path)


def main(argv):
    if len(argv) < 3:
        print(__doc__ or "usage: crd_validate.py CRD.yaml [--expect-fail] DOC.json...")
        return 2
    schema = load_schema(argv[1])
    expect_fail = False
    docs = argv[2:]
    if docs and docs[0] == "--expect-fail":
        expect_fail = True
        docs = docs[1:]
    validator = jsonschema.Draft7Validator(schema)
    bad = 0
    for path in docs:
        with open(path) as f:
            doc = json.load(f)
        errors = sorted(validator.iter_errors(doc), key=lambda e: list(e.absolute_path))
        if errors and not expect_fail:
            bad += 1
            for e in errors[:10]:
                where = ".".join(str(p) for p in e.absolute_path) or "(document)"
                print("%s: %s: %s" % (path, where, e.message[:300]))
        elif not errors and expect_fail:
            bad += 1
            print("%s: accepted, but it should have been rejected" % path)
        else:
            if errors:
                where = ".".join(str(p) for p in errors[0].absolute_path) or "(document)"
                print("%s: rejected as expected (%s: %s)" % (path, where, errors[0].message[:120]))
            else:
                print("%s: valid" % path)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
