"""Export of the directory in the data·inclusion format (schema v1).

data·inclusion (https://data.inclusion.gouv.fr) aggregates the French social-inclusion
offer. Its schema, published on PyPI as ``data-inclusion-schema`` (Licence Ouverte 2.0),
describes *structures* (who operates) and *services* (what is offered, where, for whom).

``to_data_inclusion(entries, reference)`` turns directory entries, in the
``ServiceEntry.to_data()`` / ``directory.storage.row_to_data()`` shape, into
``{"structures": [...], "services": [...]}``: plain JSON-ready dicts whose keys follow the
package's ``Structure`` and ``Service`` models. ``validate_export(payload)`` checks such a
payload with the package's own models; ``export_warnings(payload)`` lists the package's
non-blocking warnings ("avertissements"). No Flask and no database are needed.

Honesty rules of the directory carry over to the export:

- placeholder phone numbers (``02 43 00 00 xx``, ``placeholder: true``) are never exported;
- a confidential address is never exported (nor its coordinates): commune level only;
- illustrative entries (demonstration records) and closed entries are left out by default,
  and illustrative named zones (CMP sectors, circonscriptions) are never exported as an
  eligibility area.

The mapping tables use the referential enums of the package itself; the mapping is
documented in ``docs/DATA-INCLUSION.md``.

Modules of the package:

- ``mapping``: tables from our problem codes, service types and costs to data·inclusion
  thématiques, publics, réseaux porteurs, frais and modes d'accueil;
- ``common``: shared helpers (publishable texts, names, phone numbers, dates, enum values);
- ``places``: addresses, communes and eligibility zones;
- ``records``: service and structure records, and the export itself (``to_data_inclusion``);
- ``validation``: checks of an export with the package's models.
"""

from directory.datainclusion.common import export_phone, public_text
from directory.datainclusion.mapping import PROBLEM_THEMATIQUES, PROBLEMS_WITHOUT_THEMATIQUE, TYPE_THEMATIQUES
from directory.datainclusion.places import zone_eligibilite
from directory.datainclusion.records import EXPORTED_STATUSES, operator_name, to_data_inclusion
from directory.datainclusion.validation import export_warnings, validate_export

__all__ = [
    "EXPORTED_STATUSES",
    "PROBLEMS_WITHOUT_THEMATIQUE",
    "PROBLEM_THEMATIQUES",
    "TYPE_THEMATIQUES",
    "export_phone",
    "export_warnings",
    "operator_name",
    "public_text",
    "to_data_inclusion",
    "validate_export",
    "zone_eligibilite",
]
