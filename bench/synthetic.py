"""A synthetic directory of N services spread over every département, for measurements.

Entries are valid ``ServiceEntry`` data: realistic types (weighted like a real
département), sectorised types serving nearby communes, département-wide services,
French texts drawn from the taxonomy, placeholder phones, status ``illustrative``.
Deterministic for a given seed.
"""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Iterator

from directory.reference import ReferenceData

# Rough share of each type in a département's directory (the rest spread evenly).
WEIGHTS = {"ccas": 12, "service_social_departemental": 6, "cmp": 5, "medecin_traitant": 1,
           "csapa": 2, "caarud": 1, "pension_de_famille": 3, "residence_sociale": 3, "chrs": 2,
           "hebergement_urgence": 3, "plateforme_maintien": 2, "mediation": 2, "equipe_mobile": 2,
           "mission_locale": 2, "centre_social": 4, "aide_a_domicile": 4, "clic": 2, "savs": 2,
           "samsah": 1, "gem": 1, "accompagnement_vif": 1, "cidff": 1, "aide_aux_victimes": 1}
DEPARTEMENT_WIDE = {"mdph", "caf", "fsl", "masp", "crip", "ase", "siao", "ccapex", "banque_de_france",
                    "dalo_comed", "etat_ddets", "adil", "act", "lhss", "avdl", "spip", "pass",
                    "hopital_psychiatrique", "urgences", "empp"}
OPERATORS = ["Association Horizon", "Ville", "Conseil départemental", "Association Le Relais",
             "Fondation Solidarité", "Centre hospitalier", "Association Entraide", "Union locale"]


def generate(reference: ReferenceData, count: int, seed: int = 72) -> Iterator[dict]:
    """``count`` valid entries spread over all départements of mainland France, one at a
    time (a national directory never sits whole in memory)."""
    rng = random.Random(seed)
    taxonomy = reference.taxonomy
    gazetteer = reference.gazetteer
    by_departement: dict[str, list] = defaultdict(list)
    for dep in gazetteer.departements():
        if len(dep) == 2:  # mainland and Corsica (overseas codes have three characters)
            for code in gazetteer.communes_of_departement(dep):
                commune = gazetteer.get(code)
                if commune and commune.has_coordinates:
                    by_departement[dep].append(commune)
    departements = [d for d in sorted(by_departement) if len(by_departement[d]) > 20]
    type_codes = list(taxonomy.service_types)
    weights = [WEIGHTS.get(code, 0.5) for code in type_codes]
    for index in range(count):
        dep = departements[index % len(departements)]
        communes = by_departement[dep]
        site = rng.choice(communes)
        code = rng.choices(type_codes, weights)[0]
        service_type = taxonomy.service_types[code]
        if code in DEPARTEMENT_WIDE:
            zone = [f"departement:{dep}"]
        elif code == "ccas":
            zone = [site.insee]
        else:
            nearest = sorted(communes, key=lambda c: (c.lat - site.lat) ** 2 + (c.lon - site.lon) ** 2)
            zone = [c.insee for c in nearest[: rng.randint(5, 60)]]
        problems = [p.code for p in taxonomy.problems.values() if code in p.service_types][:6]
        yield {
            "id": f"synth-{dep.lower()}-{index:06d}",
            "name": f"{service_type.short_label} {site.name}",
            "operator": rng.choice(OPERATORS),
            "types": [code],
            "description": f"{service_type.description} Accueil à {site.name}.",
            "site": {"commune": site.insee},
            "zone": zone,
            "zone_label": f"Secteur {site.name}",
            "wait": {"days_min": 0, "days_max": rng.choice([7, 15, 30, 60, 120, 180]),
                     "saturation": rng.choice(["faible", "moyenne", "forte"]), "stated_at": "2026-01-15"},
            "contacts": {"phone": {"number": f"02 43 00 00 {index % 100:02d}", "placeholder": True}},
            "problems": problems,
            "status": "illustrative",
            "source": "Données synthétiques (benchmark)",
            "confidence": "ILL",
            "last_verified_at": "2026-01-15",
        }
