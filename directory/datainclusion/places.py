"""Places in the data·inclusion export: commune-level location, street addresses (never a
confidential one) and eligibility zones (``zone_eligibilite``)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

from directory.datainclusion.common import slugify
from directory.reference import ReferenceData
from directory.zones import NamedZone

_POSTCODE = re.compile(r"\b(\d{5})\b")


# --------------------------------------------------------------------------- places


def _commune_fields(insee: str | None, reference: ReferenceData, postcode_hint: str | None = None) -> dict:
    """Commune-level location: INSEE code, name and postcode when it is unambiguous."""
    commune = reference.gazetteer.get(insee) if insee else None
    if commune is None:
        return {}
    postcode = None
    if postcode_hint and postcode_hint in commune.postcodes:
        postcode = postcode_hint
    elif len(commune.postcodes) == 1:
        postcode = commune.postcodes[0]
    return {"code_insee": commune.insee, "commune": commune.name, "code_postal": postcode}


def _street(address: str, commune_name: str | None) -> str:
    """The address without its trailing ``, [postcode] commune [Cedex n]`` part."""
    parts = [part.strip() for part in address.split(",")]
    if len(parts) > 1 and commune_name:
        tail = _POSTCODE.sub("", parts[-1]).strip()
        tail = re.sub(r"\s+cedex(\s+\d+)?$", "", tail, flags=re.IGNORECASE).strip()
        if slugify(tail) == slugify(commune_name):
            parts = parts[:-1]
    return ", ".join(parts)


def _site_fields(site: Mapping, reference: ReferenceData) -> dict:
    """Location of a service; a confidential site is exported at commune level only."""
    address = None if site.get("address_confidential") else site.get("address")
    match = _POSTCODE.search(address) if address else None
    fields = _commune_fields(site.get("commune"), reference, match.group(1) if match else None)
    if address:
        fields["adresse"] = _street(address, fields.get("commune"))
    if not site.get("address_confidential") and site.get("lat") is not None:
        fields["latitude"], fields["longitude"] = site["lat"], site["lon"]
    return fields


def _zone_codes(zone: NamedZone, reference: ReferenceData) -> list[str]:
    """Codes of a named zone: its EPCI's SIREN when it is exactly one EPCI, else its communes."""
    if zone.status == "illustrative":  # an illustrative sector is not a real eligibility area
        return []
    communes = set(zone.communes)
    first = reference.gazetteer.get(zone.communes[0]) if zone.communes else None
    if first and first.epci and set(reference.gazetteer.communes_of_epci(first.epci)) == communes:
        return [first.epci]
    return sorted(communes)


def zone_eligibilite(tokens: Iterable[str], reference: ReferenceData) -> list[str] | None:
    """data·inclusion ``zone_eligibilite`` codes of our zone tokens.

    INSEE code → commune code; ``departement:NN`` → ``NN``; ``epci:SIREN`` → SIREN;
    ``zone:code`` → the EPCI SIREN when the named zone is exactly one EPCI, else its
    communes (illustrative zones are dropped). None when nothing is left.
    """
    codes: list[str] = []
    for token in tokens:
        token = str(token).strip()
        kind, _, value = token.partition(":")
        if not value:
            codes.append(token)
        elif kind in ("departement", "epci"):
            codes.append(value)
        elif kind == "zone" and value in reference.zones:
            codes.extend(_zone_codes(reference.zones[value], reference))
    return list(dict.fromkeys(codes)) or None
