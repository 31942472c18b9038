"""The property extensions Puente writes (`definitions`, TLP 2.0 in `markings`), registered with stix2 so that
bad values are refused.

Registering is what makes `stix2.parse` (and `stix2.v21.Incident(...)`) check an extension's
content; passed as a plain dict it would be accepted unchecked.
"""

from __future__ import annotations

import stix2
from stix2.properties import (
    EnumProperty,
    IntegerProperty,
    ListProperty,
    ReferenceProperty,
    StringProperty,
    TimestampProperty,
)

from puente.stix.definitions import (
    DETERMINATIONS,
    INCIDENT_CORE_ID,
    INVESTIGATION_STATUSES,
    PAP_LEVELS,
    PUENTE_TICKET_ID,
    TICKET_STATUSES,
)
from puente.stix.markings import TLP_EXTENSION_ID


@stix2.v21.CustomExtension(
    INCIDENT_CORE_ID,
    [
        ("determination", EnumProperty(list(DETERMINATIONS), required=True)),
        ("investigation_status", EnumProperty(list(INVESTIGATION_STATUSES), required=True)),
        ("criticality", IntegerProperty(min=0, max=100)),
        ("detection_methods", ListProperty(StringProperty)),
        ("incident_types", ListProperty(StringProperty)),
        ("recoverability", StringProperty()),
        ("impact_refs", ListProperty(ReferenceProperty(valid_types=["impact"], spec_version="2.1"))),
        ("event_refs", ListProperty(ReferenceProperty(valid_types=["event"], spec_version="2.1"))),
        ("task_refs", ListProperty(ReferenceProperty(valid_types=["task"], spec_version="2.1"))),
        ("scores", ListProperty(stix2.properties.DictionaryProperty(spec_version="2.1"))),
        ("impacted_entity_counts", stix2.properties.DictionaryProperty(spec_version="2.1")),
    ],
)
class IncidentCore:
    extension_type = "property-extension"


@stix2.v21.CustomExtension(
    TLP_EXTENSION_ID,
    [("tlp_2_0", EnumProperty(["clear", "green", "amber", "amber+strict", "red"], required=True))],
)
class TLP2:
    extension_type = "property-extension"


@stix2.v21.CustomExtension(
    PUENTE_TICKET_ID,
    [
        ("status", EnumProperty(list(TICKET_STATUSES), required=True)),
        ("pap", EnumProperty(list(PAP_LEVELS), required=True)),
        ("aware_at", TimestampProperty(required=True, precision="millisecond")),
        ("participants", ListProperty(ReferenceProperty(valid_types=["identity"], spec_version="2.1"))),
        ("legal_basis", StringProperty()),
    ],
)
class PuenteTicket:
    extension_type = "property-extension"
