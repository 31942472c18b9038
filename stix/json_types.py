"""JSON types as STIX 2.1 requires them, checked from stix2's own property definitions.

stix2 coerces what it reads (`7` becomes the string "7", a lone string a one-item list, `null` an
absent property) where the standard (and the OASIS validator's JSON schemas) refuse it: a string
must be a JSON string, a list a non-empty JSON array, no property null. This pass adds those
refusals to `stix2.parse`'s without stix2's cost: it walks the object against the property
definitions of the stix2 class for its type, embedded objects (external references, kill chain
phases, granular markings) included.
"""

from __future__ import annotations

from typing import Any

from stix2 import properties as p

from puente.stix.properties import InvalidStix

_STRINGS = (
    p.StringProperty,
    p.TypeProperty,
    p.IDProperty,
    p.TimestampProperty,
    p.ReferenceProperty,
    p.BinaryProperty,
    p.HexProperty,
    p.SelectorProperty,
)
_SCALARS: tuple[tuple[tuple[type, ...], tuple[type, ...], str], ...] = (
    (_STRINGS, (str,), "a string"),
    ((p.BooleanProperty,), (bool,), "true or false"),
    ((p.IntegerProperty,), (int,), "an integer"),
    ((p.FloatProperty,), (int, float), "a number"),
    ((p.DictionaryProperty, p.ObservableProperty, p.STIXObjectProperty), (dict,), "a JSON object"),
)


def check_json_types(obj: dict[str, Any], definitions: dict[str, p.Property], object_id: str) -> None:
    """Refuse a known property whose JSON type is not the one STIX 2.1 gives it, or which is null."""
    for prop, value in obj.items():
        definition = definitions.get(prop)
        if value is None:
            raise InvalidStix(object_id, prop, "must not be null: leave a property out instead.")
        if definition is not None:
            _value(object_id, prop, value, definition)


def _value(object_id: str, prop: str, value: Any, definition: Any) -> None:
    if isinstance(definition, p.ListProperty):
        if not isinstance(value, list) or not value:
            raise InvalidStix(object_id, prop, "must be a non-empty list.")
        for item in value:
            _value(object_id, prop, item, definition.contained)
        return
    if isinstance(definition, type):  # a list of embedded objects names their class
        _embedded(object_id, prop, value, definition)
        return
    if isinstance(definition, p.EmbeddedObjectProperty):
        _embedded(object_id, prop, value, definition.type)
        return
    for kinds, types, word in _SCALARS:
        if isinstance(definition, kinds):
            if not isinstance(value, types) or (isinstance(value, bool) and bool not in types):
                raise InvalidStix(object_id, prop, f"must be {word}, not {type(value).__name__}.")
            return


def _embedded(object_id: str, prop: str, value: Any, cls: Any) -> None:
    if not isinstance(value, dict):
        raise InvalidStix(object_id, prop, "each entry must be a JSON object.")
    definitions = getattr(cls, "_properties", {})
    for key, item in value.items():
        if item is None:
            raise InvalidStix(object_id, prop, f"{key!r} must not be null.")
        if key in definitions:
            _value(object_id, prop, item, definitions[key])
