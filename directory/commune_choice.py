"""Which commune the user means, never guessed silently.

- Several communes bear the name (« Saint-Georges »: 40 of them): the user chooses, each
  shown with its département, those of the directory's territory first. When one of
  them is plainly the directory's own (« Allonnes »: the Sarthe's, with 80 services, not
  the Eure-et-Loir's, with none), it is taken, and the others are named beside it.
- No commune bears it (« le mnas »): the closest names are offered (« Le Mans »), those of
  the territory first.
- The commune exists but no service of the directory serves its département (« Paris »):
  it is accepted, and the caller says the results are the nearest services, far away.

The territory is the set of départements the directory's services serve (the search
index's partitions): passed in, so that this module needs no index nor web request.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from rapidfuzz import fuzz, process

from directory.gazetteer import Commune, Gazetteer, name_key
from directory.invalid import InvalidInput

MAX_OPTIONS = 8
SUGGESTION_CUTOFF = 75.0
# A homonym is taken when its département holds at least this many times the services of
# the next homonym's département (and at least one).
PLAIN_MAJORITY = 2


@dataclass(frozen=True)
class CommuneOption:
    """A commune offered to choose from."""

    insee: str
    name: str
    departement: str

    @property
    def label(self) -> str:
        """« Saint-Georges (15) »."""
        return f"{self.name} ({self.departement})"

    def as_dict(self) -> dict:
        """JSON form (API errors)."""
        return {"insee": self.insee, "name": self.name, "departement": self.departement, "label": self.label}


def unresolved_commune(text: str, ambiguous: bool, options: list[CommuneOption],
                       field: str = "commune") -> InvalidInput:
    """The text names no single commune: the error on ``field``, with the ``options`` to
    offer (homonyms with their département, or the closest names)."""
    if ambiguous:
        message = (f"plusieurs communes s'appellent « {text} » : choisissez la vôtre "
                   "(le département est indiqué entre parenthèses)")
    elif options:
        message = f"commune inconnue « {text} » : vouliez-vous dire {_either(options)} ?"
    else:
        message = f"commune inconnue « {text} » (nom, code postal ou code INSEE)"
    return InvalidInput.on(field, message, options)


@dataclass(frozen=True)
class CommuneChoice:
    """The commune taken, and the other communes of the same name (said beside it)."""

    commune: Commune
    homonyms: tuple[CommuneOption, ...] = ()
    # « postcode » when the others share the postcode typed (neighbours), not the name.
    shared: str = "name"


def choose_commune(gazetteer: Gazetteer, text: str, territory: frozenset[str] = frozenset(),
                   services_by_departement: Callable[[], dict[str, int]] | None = None,
                   field: str = "commune") -> CommuneChoice:
    """The one commune ``text`` means (INSEE code, postcode, name, « Nom (72000) »), or
    ``InvalidInput`` on ``field`` with homonyms or close names to choose from.

    ``services_by_departement`` (asked only when there are homonyms) tells how many
    services each département has: a homonym plainly in the directory's own
    département is taken (``PLAIN_MAJORITY``)."""
    text = (text or "").strip()
    found = gazetteer.resolve(text)
    if len(found) == 1 or (found and gazetteer.get(text) is found[0]):
        return CommuneChoice(found[0])  # an INSEE code is exact even when it is also some postcode
    if found and re.fullmatch(r"\d{5}", text):
        # A postcode of several communes: neighbours, a few km apart; the first is the
        # postcode's main commune (most populated), the others are named beside it.
        return CommuneChoice(found[0], tuple(_options(found[1:], territory)), "postcode")
    if found:
        counts = services_by_departement() if services_by_departement else {}
        ranked = sorted(found, key=lambda c: -counts.get(c.departement, 0))
        first, second = (counts.get(c.departement, 0) for c in ranked[:2])
        if first > 0 and first >= PLAIN_MAJORITY * second and ranked[0].departement != ranked[1].departement:
            return CommuneChoice(ranked[0], tuple(_options(ranked[1:], territory)))
        raise unresolved_commune(text, True, _options(found, territory), field)
    raise unresolved_commune(text, False, _options(suggestions(gazetteer, text), territory)[:5], field)


def suggestions(gazetteer: Gazetteer, text: str) -> list[Commune]:
    """Communes whose name is close to ``text`` (a typo, a missing hyphen), closest first."""
    key = name_key(text)
    if len(key) < 3:
        return []
    close = process.extract(key, gazetteer.name_keys, scorer=fuzz.ratio, limit=20, score_cutoff=SUGGESTION_CUTOFF)
    return [commune for name, _score, _index in close for commune in gazetteer.by_name(name)]


def choice_facts(choice: CommuneChoice, territory: frozenset[str]) -> dict:
    """What an answer says of the commune it took (API ``commune``, beside its identity)."""
    return {"departement": choice.commune.departement, "in_territory": in_territory(choice.commune, territory),
            "homonyms": [option.as_dict() for option in choice.homonyms], "homonyms_share": choice.shared}


def in_territory(commune: Commune, territory: frozenset[str]) -> bool:
    """Whether a service of the directory serves the commune's département (an empty
    territory, a directory not loaded yet, counts as everywhere)."""
    return not territory or commune.departement in territory


def _options(communes: list[Commune], territory: frozenset[str]) -> list[CommuneOption]:
    # Stable sort: the territory's communes first, each group in the order found
    # (closest name, then most populated).
    ordered = sorted(communes, key=lambda c: not in_territory(c, territory))
    return [CommuneOption(c.insee, c.name, c.departement) for c in ordered[:MAX_OPTIONS]]


def _either(options: list[CommuneOption]) -> str:
    labels = [f"« {o.label} »" for o in options]
    return labels[0] if len(labels) == 1 else ", ".join(labels[:-1]) + " ou " + labels[-1]
