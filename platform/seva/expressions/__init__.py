"""The rules' expression language: CEL (the Common Expression Language), through the CEL
project's own runtime (`cel-expr-python`). Safe by construction: no statements, no loops but
bounded comprehensions, no access to anything but the values handed in. ADR 0017."""
