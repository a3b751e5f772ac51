"""python3 validate.py SCHEMA DOCUMENT...: each document against the schema
with Python's jsonschema (the validator the schema's `$schema` names, default
settings). Exits 1 on any error."""
import json
import sys

import jsonschema

schema = json.load(open(sys.argv[1]))
cls = jsonschema.validators.validator_for(schema)
cls.check_schema(schema)
validator = cls(schema)
bad = 0
for doc in sys.argv[2:]:
    errors = list(validator.iter_errors(json.load(open(doc))))
    for e in errors[:3]:
        print(f"{doc}: {e.message}", file=sys.stderr)
    bad += bool(errors)
print(f"jsonschema ({cls.__name__}): {len(sys.argv) - 2 - bad} of {len(sys.argv) - 2} documents valid against {sys.argv[1]}")
sys.exit(1 if bad else 0)
