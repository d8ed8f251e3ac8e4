"""Classifier of metal-poor stars by neutron-capture process (r / s, extensible to i).

After Vassh et al.: neural networks trained on nucleosynthesis model
patterns (log eps of Ba..Er or Ba..Pb relative to Eu) are applied to
observed stars. Tables are pandas DataFrames. Quick use::

    from nnn.classifier import classify_stars
    result = classify_stars()          # JINAbase stars with [Fe/H] <= -2, shipped models

See docs/classifier.md for the data choices, the models and measured results.
This subpackage needs numpy, pandas, scipy, scikit-learn, torch, stumpy,
matplotlib and tqdm, and nothing else from ``nnn``.
"""

from .banks import BankConfig, build_banks
from .classify import classify_stars, default_stars
from .criteria import conventional_label, conventional_labels
from .data import DataTableError, StarTableError, load_patterns, load_solar, load_stars
from .features import FEATURE_SETS, eu_normalise, pattern_features, star_features
from .models import OneClassProcessModel, ProcessClassifier
from .suite import ModelSuite, TrainSettings, train_suite
from .thinning import thin_patterns
from .threshold import roc_threshold

__all__ = [
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
    "default_stars",
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
