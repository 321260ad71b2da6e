"""Evaluates CEL cases with cel-python (celpy), an implementation independent
of guardctl's, for tests/cel_differential.rs.

Input: JSON lines {"id": N, "cel": TEXT, "vars": {NAME: JSON}}; output: JSON
lines {"id": N, "result": true | false | "error" | "other"}. Guardrail
functions the emitted CEL calls are given plain Python meanings:
matches_pattern (a regex search), not_matches_pattern, contains_any (any
word, case-insensitive, as a substring).
"""

import json
import re
import sys

import celpy
from celpy import celtypes


def matches_pattern(text, pattern):
    return celtypes.BoolType(re.search(str(pattern), str(text)) is not None)


def not_matches_pattern(text, pattern):
    return celtypes.BoolType(re.search(str(pattern), str(text)) is None)


def contains_any(text, words):
    low = str(text).lower()
    return celtypes.BoolType(any(str(w).lower() in low for w in words))


FUNCTIONS = {
    "matches_pattern": matches_pattern,
    "not_matches_pattern": not_matches_pattern,
    "contains_any": contains_any,
}


def main():
    env = celpy.Environment()
    programs = {}
    out = sys.stdout
    for line in sys.stdin:
        case = json.loads(line)
        text = case["cel"]
        try:
            prg = programs.get(text)
            if prg is None:
                prg = env.program(env.compile(text), functions=FUNCTIONS)
                programs[text] = prg
            activation = {k: celpy.json_to_cel(v) for k, v in case["vars"].items()}
            value = prg.evaluate(activation)
            if isinstance(value, celpy.CELEvalError):
                result = "error"
            elif isinstance(value, celtypes.BoolType):
                result = bool(value)
            else:
                result = "other"
        except celpy.CELEvalError:
            result = "error"
        except celpy.CELParseError:
            result = "unparsable"
        out.write(json.dumps({"id": case["id"], "result": result}) + "\n")


if __name__ == "__main__":
    main()
