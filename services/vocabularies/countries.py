"""ISO 3166-1 alpha-2 country codes, as every cross-border rule keys on them."""

from __future__ import annotations

import pycountry

from puente import i18n
from puente.i18n import _
from puente.services.errors import InvalidInput

# The 35 member states of the Organization of American States: the community Puente serves.
OAS_MEMBER_STATES: tuple[str, ...] = (
    "AG", "AR", "BS", "BB", "BZ", "BO", "BR", "CA", "CL", "CO", "CR", "CU", "DM", "DO", "EC", "SV",
    "US", "GD", "GT", "GY", "HT", "HN", "JM", "MX", "NI", "PA", "PY", "PE", "KN", "LC", "VC", "SR",
    "TT", "UY", "VE",
)  # fmt: skip
# Territories of the Americas that are not member states (dependencies and overseas parts of other
# states): incidents there concern the region's CSIRTs all the same.
AMERICAS_TERRITORIES: tuple[str, ...] = (
    "AI", "AW", "BL", "BM", "BQ", "CW", "FK", "GF", "GL", "GP", "GS", "KY", "MF", "MQ", "MS", "PM",
    "PR", "SX", "TC", "VG", "VI",
)  # fmt: skip


def country_code(value: str) -> str:
    """Return the upper-case alpha-2 code, or explain which codes are expected."""
    code = value.strip().upper()
    if len(code) == 2 and pycountry.countries.get(alpha_2=code) is not None:
        return code
    raise InvalidInput(
        _("Unknown country {value!r}: use ISO 3166 codes such as BR, AR, MX.").format(value=value.strip())
    )


def country_codes(values: str | list[str]) -> list[str]:
    """Parse `BR,AR` (or a list) into distinct codes, in the order given."""
    items = values.split(",") if isinstance(values, str) else values
    codes: list[str] = []
    for item in items:
        if item.strip():
            code = country_code(item)
            if code not in codes:
                codes.append(code)
    return codes


def country_name(code: str) -> str:
    """The country's name in the reader's language (CLDR's), else ISO 3166's English one."""
    named = i18n.locale().territories.get(code.upper())
    if named:
        return str(named)
    country = pycountry.countries.get(alpha_2=code)
    return country.name if country is not None else code
