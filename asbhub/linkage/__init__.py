"""Person linkage: which incident, contact and partner records are the same person.

Built on Splink (DuckDB backend); pure library, no Django, no database.

- :func:`link_people`: link a frame of person records (standard columns, any may be missing);
  returns per-record clusters and best match weights, scored pairs with each comparison's
  share of the weight, and the review queue of uncertain pairs.
- :func:`link_csv`: the same for any CSV file (``asbhub link PEOPLE.csv --out CLUSTERS.csv``).
- :class:`PersonIndex` / :func:`link_incremental`: link new records against an existing,
  clustered population with a saved model, without re-linking the population.
- :func:`normalise_people` and the ``normalise_*`` helpers: UK phones (``+44...``), postcodes,
  names and nicknames, dates of birth, email and address.

Standard column names: ``first_name``, ``surname``, ``date_of_birth``, ``address``,
``postcode``, ``phone``, ``email`` (and ``full_name`` when there is no first name or surname).
"""

from .csvlink import OUTPUT_COLUMNS, link_csv, parse_columns
from .incremental import IncrementalResult, PersonIndex, link_incremental, population_from
from .model import (
    DEFAULT_EXACT_KEYS,
    HouseholdModel,
    LinkageModel,
    LinkParameters,
    LinkResult,
    Thresholds,
    link_normalised,
    link_people,
)
from .normalise import (
    MODEL_COLUMNS,
    STANDARD_COLUMNS,
    canonical_first_name,
    is_valid_uk_postcode,
    nickname_table,
    normalise_address,
    normalise_date_of_birth,
    normalise_email,
    normalise_first_name,
    normalise_people,
    normalise_phone,
    normalise_postcode,
    normalise_surname,
)

__all__ = [
    "DEFAULT_EXACT_KEYS",
    "MODEL_COLUMNS",
    "OUTPUT_COLUMNS",
    "STANDARD_COLUMNS",
    "HouseholdModel",
    "IncrementalResult",
    "LinkParameters",
    "LinkResult",
    "LinkageModel",
    "PersonIndex",
    "Thresholds",
    "canonical_first_name",
    "is_valid_uk_postcode",
    "link_csv",
    "link_incremental",
    "link_normalised",
    "link_people",
    "nickname_table",
    "normalise_address",
    "normalise_date_of_birth",
    "normalise_email",
    "normalise_first_name",
    "normalise_people",
    "normalise_phone",
    "normalise_postcode",
    "normalise_surname",
    "parse_columns",
    "population_from",
]
