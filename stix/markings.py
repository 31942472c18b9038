"""TLP 2.0 as STIX marking definitions, with the fixed ids and content the standard publishes.

The stix2 library knows only TLP 1.0; these constants are the official objects of
oasis-open/cti-stix-common-objects `extension-definition-specifications/tlp-2.0/`.
"""

from __future__ import annotations

from typing import Any

TLP_EXTENSION_ID = "extension-definition--60a3c5c5-0d10-413e-aab3-9e08dde9e88d"

# TLP 2.0 levels (services.vocabularies.taxonomy.TLP values), most open first, and their official ids.
MARKING_IDS: dict[str, str] = {
    "clear": "marking-definition--94868c89-83c2-464b-929b-a1a8aa3c8487",
    "green": "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb",
    "amber": "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421",
    "amber+strict": "marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003",
    "red": "marking-definition--e828b379-4e03-4974-9ac4-e53a884c97c1",
}
LEVELS = tuple(MARKING_IDS)

# TLP 1.0 ids (stix2.TLP_WHITE … TLP_RED): other tools still mark with them, so import reads them too.
TLP1_MARKING_IDS: dict[str, str] = {
    "marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9": "clear",
    "marking-definition--34098fce-860f-48ae-8e50-ebd3cc5e41da": "green",
    "marking-definition--f88d31f6-486f-44da-b317-01333bde0b82": "amber",
    "marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed": "red",
}

TLP_BY_MARKING_ID: dict[str, str] = {marking_id: level for level, marking_id in MARKING_IDS.items()} | TLP1_MARKING_IDS

TLP_EXTENSION_DEFINITION: dict[str, Any] = {
    "id": TLP_EXTENSION_ID,
    "type": "extension-definition",
    "spec_version": "2.1",
    "name": "TLP 2.0",
    "description": "This defines TLP 2.0 as a STIX extension",
    "created": "2022-10-01T00:00:00.000Z",
    "modified": "2022-10-01T00:00:00.000Z",
    "created_by_ref": "identity--b3bca3c2-1f3d-4b54-b44f-dac42c3a8f01",
    "schema": "https://github.com/oasis-open/cti-stix-common-objects/tree/master/extension-definition-specifications/tlp-2.0",
    "version": "1.0.0",
    "extension_types": ["property-extension"],
}


def marking_definition(level: str) -> dict[str, Any]:
    """The official marking-definition object of one TLP 2.0 level (`clear` … `red`)."""
    return {
        "type": "marking-definition",
        "spec_version": "2.1",
        "id": MARKING_IDS[level],
        "created": "2022-10-01T00:00:00.000Z",
        "name": f"TLP:{level.upper()}",
        "extensions": {TLP_EXTENSION_ID: {"extension_type": "property-extension", "tlp_2_0": level}},
    }


def tlp_of(marking_refs: list[str]) -> str | None:
    """The most restrictive TLP level (2.0, or 1.0 read as its 2.0 twin) among markings, if any."""
    levels = [TLP_BY_MARKING_ID[ref] for ref in marking_refs if ref in TLP_BY_MARKING_ID]
    return max(levels, key=LEVELS.index) if levels else None
