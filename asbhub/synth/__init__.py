"""Synthetic data with ground truth, for tests, benchmarks and demos.

- :func:`generate_people`: person records across incidents, records of contact and partner
  records, with realistic variation and the true ``person_id`` of each record.
- :func:`generate_calls`: 999/101/triage/online calls calibrated on seed 003;
  :func:`write_calls_csv` writes them as a call log.
"""

from .calls import CallSynthConfig, generate_calls, write_calls_csv
from .people import SynthConfig, generate_people, repeat_count_distribution

__all__ = [
    "CallSynthConfig",
    "SynthConfig",
    "generate_calls",
    "generate_people",
    "repeat_count_distribution",
    "write_calls_csv",
]
