"""Which JSON Schema keywords a Seva form may use, and the UI hints that ride along.

A form schema is a JSON Schema (draft 2020-12) the portal renders into HTML and the API
validates against. A keyword outside this list is refused by name: the renderer could not
draw it, and a silently ignored keyword (draft-07's `dependencies` under 2020-12, say)
would let bad data through.
"""

DRAFT_2020_12 = "https://json-schema.org/draft/2020-12/schema"

# Structure and validation keywords the renderer draws and the validator enforces.
SUPPORTED_KEYWORDS = frozenset(
    {
        # identity and annotations
        "$schema",
        "$id",
        "$defs",
        "$ref",
        "$comment",
        "title",
        "description",
        "default",
        "examples",
        "readOnly",
        # any instance
        "type",
        "enum",
        "const",
        # objects
        "properties",
        "required",
        "additionalProperties",
        "dependentRequired",
        "minProperties",
        "maxProperties",
        # arrays (repeatable groups and multi-choice)
        "items",
        "minItems",
        "maxItems",
        "uniqueItems",
        # strings
        "minLength",
        "maxLength",
        "pattern",
        "format",
        # numbers
        "minimum",
        "maximum",
        "exclusiveMinimum",
        "exclusiveMaximum",
        "multipleOf",
        # conditions: show a field when another answer is ...
        "if",
        "then",
        "else",
        "allOf",
    }
)

# UI hints: annotations the validator ignores and the renderer reads.
UI_KEYWORDS = frozenset(
    {
        "x-label",  # {lang: text}, every field
        "x-help",  # {lang: text}
        "x-widget",  # a registered widget name
        "x-enum-labels",  # {value: {lang: text}} for every enum value
        "x-file",  # {"accept": [media types], "max_bytes": n} for file fields
        "x-jurisdiction-level",  # the level a jurisdiction field picks, e.g. tehsil
        "x-item-label",  # {lang: text} naming one row of a repeatable group
        "x-error",  # {lang: text} shown instead of the generic message
        "x-steps",  # top level: [{id, title: {lang: text}, fields: [names]}]
        "x-title",  # top level: {lang: text}
        "x-declaration",  # top level: {lang: text}, agreed to on the check-answers page
        "x-autocomplete",  # the HTML autocomplete token, e.g. "tel-national"
        # rules as expressions (seva.formschemas.rules, docs/definitions/expressions.md)
        "x-compute",  # an expression: the answer computed on the server, shown read-only
        "x-rules",  # top level: [{id, field, expression, message: {lang: text}}]
    }
)

# Keywords that come up in real schemas, with the advice a department admin needs.
REFUSED_HINTS = {
    "dependencies": "draft-07's `dependencies` is ignored by draft 2020-12; use "
    "`dependentRequired` (or `if`/`then`)",
    "definitions": "draft-07's `definitions` is `$defs` in draft 2020-12",
    "additionalItems": "draft-07's `additionalItems` is not part of draft 2020-12",
    "oneOf": "the form renderer cannot draw alternatives; use an `enum` field and "
    "`if`/`then` to show the fields of each choice",
    "anyOf": "the form renderer cannot draw alternatives; use an `enum` field and "
    "`if`/`then` to show the fields of each choice",
    "not": "the form renderer cannot explain a `not` to a citizen; state the rule positively",
    "patternProperties": "every field needs a fixed name so it can have a label",
    "propertyNames": "every field needs a fixed name so it can have a label",
    "prefixItems": "use a repeatable group (`items` with one schema) or separate fields",
    "dependentSchemas": "use `if`/`then` on the answer that controls the other fields",
    "unevaluatedProperties": "use `additionalProperties: false` on each object",
    "unevaluatedItems": "use `items` with one schema",
    "$dynamicRef": "only `$ref` to a definition in the same file is supported",
    "$dynamicAnchor": "only `$ref` to a definition in the same file is supported",
    "$anchor": "refer to definitions by `#/$defs/name`",
}

# Constructs in `pattern` that Python and the browser read differently, or that one of
# them does not accept at all. The form is rendered with the same pattern for the browser.
PATTERN_PITFALLS = {
    r"\d": r"Python's \d also matches Devanagari and other digits; write [0-9]",
    r"\D": r"Python's \D differs from the browser's for non-Latin digits; write [^0-9]",
    r"\w": r"Python's \w also matches Hindi letters, the browser's does not; list the "
    "characters, e.g. [A-Za-z0-9_]",
    r"\W": r"Python's \W differs from the browser's; list the characters",
    r"\b": r"word boundaries differ between Python and the browser for Hindi text",
    r"\B": r"word boundaries differ between Python and the browser for Hindi text",
    r"\Z": r"\Z is Python-only; use $",
    r"\A": r"\A is Python-only; use ^",
    "(?P<": "named groups written (?P<name>...) are Python-only; use (...)",
    "(?i": "inline flags are not supported by the browser",
    "(?m": "inline flags are not supported by the browser",
    "(?s": "inline flags are not supported by the browser",
    "(?x": "inline flags are not supported by the browser",
    "(?a": "inline flags are not supported by the browser",
    "(?u": "inline flags are not supported by the browser",
}
