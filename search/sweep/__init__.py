"""The nightly sweep: one TOML config, many datasets, one study each per night, a lock in the storage, a
shared wall-clock budget, and what changed since the earlier nights.

Public names are listed here and load lazily (see :mod:`search._exports`); modules outside this package
import only these.
"""

from search._exports import lazy_exports

__all__, __getattr__, __dir__ = lazy_exports(
    __name__,
    {
        "config": ["DatasetEntry", "RunSettings", "SweepConfig", "load_config", "run_defaults"],
        "lock": ["SweepLock", "holder_is_dead"],
        "nightly": ["compare_nights", "noise"],
        "runner": ["DatasetResult", "SweepOutcome", "dataset_share", "parse_date", "run_config", "run_datasets",
                   "study_name"],
        "night": ["earlier_nights", "nightly_files", "run_sweep"],
    },
)
