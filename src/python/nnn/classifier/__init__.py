"""Classifier of metal-poor stars by neutron-capture process: r / s (i once i patterns exist).

After Vassh et al.: neural networks trained on nucleosynthesis model
patterns (log eps of Ba..Er or Ba..Pb relative to Eu) are applied to
observed stars. Tables are pandas DataFrames. Quick use::

    from nnn.classifier import classify_stars
    result = classify_stars()          # JINAbase stars with [Fe/H] <= -2, one entry per star

See docs/classifier.md for the data choices, the models and measured results.
This subpackage needs numpy, pandas, scipy, scikit-learn, torch, stumpy,
matplotlib and tqdm, and nothing else from ``nnn``.
"""

from .banks import BankConfig, build_banks
from .classify import DEFAULT_RULE, RULES, classify_stars, default_entries, default_stars, one_entry_per_star
from .criteria import conventional_label, conventional_labels
from .data import DataTableError, StarTableError, load_patterns, load_solar, load_stars
from .features import BASE_SETS, FEATURE_SETS, eu_normalise, pattern_features, star_features
from .models import OneClassProcessModel, ProcessClassifier
from .suite import ModelSuite, TrainSettings, train_suite
from .thinning import thin_patterns
from .threshold import roc_threshold

__all__ = [
    "BASE_SETS",
    "DEFAULT_RULE",
    "RULES",
    "BankConfig",
    "DataTableError",
    "FEATURE_SETS",
    "ModelSuite",
    "OneClassProcessModel",
    "ProcessClassifier",
    "StarTableError",
    "TrainSettings",
    "build_banks",
    "classify_stars",
    "conventional_label",
    "conventional_labels",
    "default_entries",
    "default_stars",
    "one_entry_per_star",
    "eu_normalise",
    "load_patterns",
    "load_solar",
    "load_stars",
    "pattern_features",
    "roc_threshold",
    "star_features",
    "thin_patterns",
    "train_suite",
]
