"""PyTorch models with scikit-learn estimator conventions.

* :class:`ProcessClassifier` - binary classifier (BC-L: one hidden layer of
  25, BC-S: 5; tanh), sigmoid output, class-balanced binary cross-entropy,
  Adam, full-batch. Two parameter states are kept: ``"min"`` (minimal
  separation: the first epoch after the last one whose training-set score
  ranges of the two classes overlap) and ``"max"`` (maximal separation: global minimum of
  the validation loss). Each state has its own ROC threshold
  (:func:`threshold.roc_threshold` on the validation scores).
* :class:`OneClassProcessModel` - autoencoder (OCC-L 64-32-2, OCC-S
  32-16-2, mirrored decoder), MSE, Adam, full-batch; the parameters of the
  epoch with the lowest validation loss are kept (as in the paper; the
  epoch is ``best_epoch_``), then a OneClassSVM (RBF) in the 2-D latent
  space decides inside / outside. ReLU, not tanh:
  a ReLU encoder extrapolates linearly, so patterns unlike the bank land
  away from the bank's latent cloud, whereas saturating tanh units fold
  them into it (measured on held-out s patterns: the r-trained OCC-L
  accepted 32 % of them with tanh, 0-15 % with ReLU across seeds and sizes).

Inputs are the Eu-normalised features in dex, standardised with the
training mean and spread. Fitted attributes end in ``_``. ``save`` writes
tensors and plain values only and ``load`` reads them with
``torch.load(weights_only=True)``, so no pickled code is executed and the
files do not depend on the scikit-learn version (the SVM decision function
is evaluated here from its support vectors).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from sklearn.base import BaseEstimator, ClassifierMixin, OutlierMixin, TransformerMixin
from sklearn.exceptions import NotFittedError
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import validate_data
from sklearn.svm import OneClassSVM
from tqdm.auto import tqdm

from .threshold import histograms_overlap, roc_threshold

FORMAT = "nnn.classifier.model/1"

# scikit-learn's check_estimator checks the estimators cannot pass, and why (tested in
# tests/classifier/test_sklearn_conventions.py, which also fails if a listed check starts passing).
EXPECTED_FAILED_CHECKS: dict[str, dict[str, str]] = {
    "ProcessClassifier": {
        "check_classifiers_train": (
            "predict uses the ROC threshold of the validation scores (the paper's decision rule), "
            "not P = 0.5, so argmax(predict_proba) differs from predict for probabilities between "
            "0.5 and the threshold; predict_proba stays the network's uncalibrated sigmoid"),
    },
    "OneClassProcessModel": {},
}
ACTIVATIONS = {"tanh": torch.nn.Tanh, "relu": torch.nn.ReLU}


def _mlp(sizes: list[int], activation: str) -> torch.nn.Sequential:
    """Linear layers with ``activation`` between them (none after the last layer)."""
    if activation not in ACTIVATIONS:
        raise ValueError(f"activation must be one of {sorted(ACTIVATIONS)}")
    layers: list[torch.nn.Module] = []
    for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:])):
        layers.append(torch.nn.Linear(a, b))
        if i < len(sizes) - 2:
            layers.append(ACTIVATIONS[activation]())
    return torch.nn.Sequential(*layers)


def _adam(params, lr: float) -> torch.optim.Adam:
    # The fused CPU kernel is ~20% faster on these tiny nets; fall back where a build lacks it.
    try:
        return torch.optim.Adam(params, lr=lr, fused=True)
    except (RuntimeError, TypeError):
        return torch.optim.Adam(params, lr=lr)


def _adam_step(opt: torch.optim.Optimizer, loss: torch.Tensor, epoch: int, bar) -> None:
    """One full-batch step on loss; the progress bar advances in blocks of 100 epochs."""
    opt.zero_grad(set_to_none=True)
    loss.backward()
    opt.step()
    if epoch % 100 == 99:
        bar.update(100)


def _standardiser(X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    mean = X.mean(axis=0)
    scale = X.std(axis=0)
    # Eu is identically 0 after normalisation: leave constant columns unscaled.
    scale[scale < 1e-12] = 1.0
    return mean, scale


def _check_X(X, n_features: int | None = None) -> np.ndarray:
    X = np.asarray(X, dtype=float)
    if X.ndim != 2:
        raise ValueError(f"expected a 2-D feature array, got shape {X.shape}")
    if not np.isfinite(X).all():
        raise ValueError("features contain NaN or infinite values")
    if n_features is not None and X.shape[1] != n_features:
        raise ValueError(f"expected {n_features} features, got {X.shape[1]}")
    return X


def _require_fitted(est, attr: str) -> None:
    """NotFittedError (a ValueError and AttributeError) before ``fit`` or ``load``."""
    if not hasattr(est, attr):
        raise NotFittedError(f"this {type(est).__name__} is not fitted yet; call fit (or load) first")


def _clone_state(module: torch.nn.Module) -> dict[str, torch.Tensor]:
    return {k: v.detach().clone() for k, v in module.state_dict().items()}


def _plain(value):
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, np.generic):
        return value.item()
    return value


class _Persistent:
    """save / load of estimators as tensors + plain values (safe ``weights_only`` loading)."""

    _array_attrs: tuple[str, ...] = ()
    _state_attrs: tuple[str, ...] = ()
    _plain_attrs: tuple[str, ...] = ()

    def save(self, path: str | Path) -> None:
        """Write the parameters and fitted state to ``path`` (one file)."""
        _require_fitted(self, self._plain_attrs[-1])
        payload = {
            "format": FORMAT,
            "class": type(self).__name__,
            "params": self.get_params(),
            "arrays": {a: torch.from_numpy(np.ascontiguousarray(getattr(self, a))) for a in self._array_attrs},
            "states": {a: getattr(self, a) for a in self._state_attrs},
            # numpy arrays of labels (classes_) are stored as plain lists: weights_only loading accepts them.
            "plain": {a: _plain(getattr(self, a)) for a in self._plain_attrs},
        }
        torch.save(payload, path)

    @classmethod
    def load(cls, path: str | Path):
        """Read an estimator written by :meth:`save`."""
        payload = torch.load(path, weights_only=True)
        if payload.get("format") != FORMAT or payload.get("class") != cls.__name__:
            raise ValueError(f"{str(path)!r} is not a saved {cls.__name__}")
        est = cls(**payload["params"])
        for name, tensor in payload["arrays"].items():
            setattr(est, name, tensor.numpy())
        for name, value in payload["states"].items():
            setattr(est, name, value)
        for name, value in payload["plain"].items():
            setattr(est, name, np.asarray(value) if name == "classes_" else value)
        return est


class ProcessClassifier(_Persistent, ClassifierMixin, BaseEstimator):
    """Binary r-vs-s (in general: positive-vs-negative bank) pattern classifier.

    Parameters: ``hidden`` units of the single hidden layer (25 for BC-L,
    5 for BC-S); ``epochs`` full-batch Adam steps at learning rate ``lr``;
    ``state`` the parameter state used by predict (``"max"`` or ``"min"``);
    ``activation`` of the hidden layer (``"tanh"`` or ``"relu"``);
    ``positive`` the class whose probability the sigmoid gives (None: the
    second of the sorted classes, scikit-learn's convention);
    ``validation_fraction`` of the data held out when ``fit`` gets no
    ``eval_set``; ``record_every`` epochs between stored loss values;
    ``random_state`` seeds the initial weights and that split.

    ``decision_function`` is the logit of P(positive) minus the logit of the
    state's ROC threshold, signed so that > 0 means ``classes_[1]`` (as in
    scikit-learn); ``predict`` is consistent with it.
    """

    _array_attrs = ("mean_", "scale_", "train_loss_", "val_loss_", "loss_epochs_")
    _state_attrs = ("states_",)
    _plain_attrs = ("classes_", "thresholds_", "state_epochs_", "separated_", "n_features_in_")

    def __init__(self, hidden=25, epochs=10000, lr=1e-3, state="max", positive=None, activation="tanh",
                 validation_fraction=0.25, record_every=10, random_state=0, progress=False):
        self.hidden = hidden
        self.activation = activation
        self.epochs = epochs
        self.lr = lr
        self.state = state
        self.positive = positive
        self.validation_fraction = validation_fraction
        self.record_every = record_every
        self.random_state = random_state
        self.progress = progress

    def _net(self, state: str) -> torch.nn.Module:
        net = _mlp([self.n_features_in_, self.hidden, 1], self.activation)
        net.load_state_dict(self.states_[state])
        return net.eval()

    @property
    def positive_class_(self):
        """The class label whose probability the network outputs."""
        _require_fitted(self, "classes_")
        return self._positive_label(self.classes_)

    def _positive_label(self, classes):
        if self.positive is None:
            return classes[1]
        match = [c for c in classes if str(c) == str(self.positive)]
        if not match:
            raise ValueError(f"positive class {self.positive!r} is not among the classes {list(classes)!r}")
        return match[0]

    def fit(self, X, y, eval_set=None):
        """Train on (X, y); ``eval_set=(X_val, y_val)`` or an internal stratified hold-out."""
        # scikit-learn's own checks: dense finite 2-D float X, 1-D y, classification labels.
        X, y = validate_data(self, X, y, dtype=np.float64, reset=True)
        check_classification_targets(y)
        classes = np.unique(y)
        if len(classes) != 2:
            raise ValueError(f"Only binary classification is supported: need exactly two classes, "
                             f"got {len(classes)} class(es): {classes.tolist()!r}")
        positive = self._positive_label(classes)
        if self.state not in ("min", "max"):
            raise ValueError(f"state must be 'min' or 'max', got {self.state!r}")
        if int(self.epochs) < 1:
            raise ValueError(f"epochs must be >= 1, got {self.epochs!r}")
        rng = np.random.default_rng(self.random_state)
        if eval_set is None:
            val = np.zeros(len(y), dtype=bool)
            for c in classes:
                idx = rng.permutation(np.nonzero(y == c)[0])
                # Hold out only where a class keeps at least one training row.
                n_val = min(len(idx) - 1, max(1, int(round(self.validation_fraction * len(idx)))))
                val[idx[:n_val]] = True
            if not val.any():  # too few rows to hold any out: validate on the training rows
                val_idx = np.arange(len(y))
                X_tr, y_tr, X_va, y_va = X, y, X[val_idx], y[val_idx]
            else:
                X_tr, y_tr, X_va, y_va = X[~val], y[~val], X[val], y[val]
        else:
            X_tr, y_tr = X, y
            X_va, y_va = _check_X(eval_set[0], X.shape[1]), np.asarray(eval_set[1])
        self.classes_ = classes
        self.n_features_in_ = X.shape[1]
        self.mean_, self.scale_ = _standardiser(X_tr)

        torch.manual_seed(self.random_state)
        net = _mlp([self.n_features_in_, self.hidden, 1], self.activation)
        opt = _adam(net.parameters(), self.lr)
        xt = torch.tensor((X_tr - self.mean_) / self.scale_, dtype=torch.float32)
        xv = torch.tensor((X_va - self.mean_) / self.scale_, dtype=torch.float32)
        tt = torch.tensor((y_tr == positive).astype(np.float32))
        tv = torch.tensor((y_va == positive).astype(np.float32))
        pos = tt == 1
        # Class-balanced BCE: the banks have unequal sizes and neither class should dominate.
        pos_weight = torch.tensor([(~pos).sum().item() / max(1, pos.sum().item())])
        loss_fn = torch.nn.BCEWithLogitsLoss(pos_weight=pos_weight)

        epochs_rec, train_rec, val_rec = [], [], []
        min_state, min_epoch = None, None
        best, max_state, max_epoch = np.inf, None, 0
        bar = tqdm(total=self.epochs, desc=f"BC hidden={self.hidden}", disable=not self.progress, leave=False)
        # Epoch e evaluates the parameters after e Adam steps, so both states index real parameter sets.
        for epoch in range(self.epochs + 1):
            net.train()
            logits = net(xt).squeeze(1)
            loss = loss_fn(logits, tt)
            with torch.no_grad():
                scores = torch.sigmoid(logits)
                vloss = loss_fn(net(xv).squeeze(1), tv).item()
                if not pos.any() or pos.all() or histograms_overlap(scores[pos].numpy(), scores[~pos].numpy()):
                    min_state, min_epoch = None, None
                elif min_state is None:
                    min_state, min_epoch = _clone_state(net), epoch
                if vloss < best:
                    best, max_state, max_epoch = vloss, _clone_state(net), epoch
            if epoch % self.record_every == 0 or epoch == self.epochs:
                epochs_rec.append(epoch)
                train_rec.append(loss.item())
                val_rec.append(vloss)
            if epoch < self.epochs:
                _adam_step(opt, loss, epoch, bar)
        bar.close()
        self.separated_ = min_state is not None
        if min_state is None:  # still overlapping at the end: fall back to the final state (separated_ says so)
            min_state, min_epoch = _clone_state(net), self.epochs
        if max_state is None:  # validation loss never finite
            max_state, max_epoch = _clone_state(net), self.epochs
        self.states_ = {"min": min_state, "max": max_state}
        self.state_epochs_ = {"min": int(min_epoch), "max": int(max_epoch)}
        self.loss_epochs_ = np.array(epochs_rec, dtype=np.int64)
        self.train_loss_ = np.array(train_rec, dtype=np.float32)
        self.val_loss_ = np.array(val_rec, dtype=np.float32)
        y_val_pos = y_va == positive
        self.thresholds_ = {}
        for s in ("min", "max"):
            if y_val_pos.all() or not y_val_pos.any():
                self.thresholds_[s] = 0.5  # no ROC curve without both classes in the validation rows
            else:
                self.thresholds_[s] = roc_threshold(y_val_pos, self.positive_proba(X_va, s))
        return self

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_class = False  # binary only: r against s
        return tags

    def positive_margin(self, X, state: str | None = None) -> np.ndarray:
        """logit P(positive) - logit(threshold) of parameter ``state`` (>= 0: the positive class); no side effects.

        Evaluated in float64 from the logits, so saturated probabilities do
        not tie with the threshold and a row's value does not depend on the
        other rows of X.
        """
        state = self.state if state is None else state
        logit = self._logit(X, state)
        t = float(np.clip(self.thresholds_[state], 1e-15, 1 - 1e-15))
        return logit - (np.log(t) - np.log1p(-t))

    def _logit(self, X, state: str) -> np.ndarray:
        _require_fitted(self, "states_")
        if state not in self.states_:
            raise ValueError(f"state must be one of {sorted(self.states_)}, got {state!r}")
        X = validate_data(self, X, dtype=np.float64, reset=False)
        net = self._net(state).double()
        with torch.no_grad():
            x = torch.from_numpy(np.ascontiguousarray((X - self.mean_) / self.scale_, dtype=np.float64))
            return net(x).squeeze(1).numpy().astype(float)

    def positive_proba(self, X, state: str | None = None) -> np.ndarray:
        """P(positive class) of each row from parameter ``state`` (default: ``self.state``); no side effects."""
        state = self.state if state is None else state
        return 1.0 / (1.0 + np.exp(-self._logit(X, state)))

    # Kept for the name used before; identical to positive_proba.
    _positive_proba = positive_proba

    def predict_proba(self, X) -> np.ndarray:
        """Probabilities (n, 2), columns ordered as ``classes_``, from the current ``state``."""
        p = self.positive_proba(X)
        first_is_positive = self.classes_[0] == self.positive_class_
        return np.column_stack([p, 1 - p]) if first_is_positive else np.column_stack([1 - p, p])

    def decision_function(self, X, state: str | None = None) -> np.ndarray:
        """:meth:`positive_margin`, signed so that > 0 means ``classes_[1]`` (scikit-learn's binary convention)."""
        d = self.positive_margin(X, state)
        return d if self.classes_[1] == self.positive_class_ else -d

    def predict_state(self, X, state: str | None = None) -> np.ndarray:
        """Class labels from parameter ``state``: the positive class where P >= that state's ROC threshold."""
        margin = self.positive_margin(X, state)
        positive = self.positive_class_
        negative = self.classes_[0] if self.classes_[1] == positive else self.classes_[1]
        return np.where(margin >= 0, positive, negative)

    def predict(self, X) -> np.ndarray:
        """Class labels from the current ``state`` (see :meth:`predict_state`)."""
        return self.predict_state(X)


class OneClassProcessModel(_Persistent, TransformerMixin, OutlierMixin, BaseEstimator):
    """Autoencoder + latent-space OneClassSVM: is a pattern like the training bank?

    Parameters: ``hidden`` encoder widths ((64, 32) for OCC-L, (32, 16) for
    OCC-S), ``latent`` dimension (2), ``epochs`` full-batch Adam steps at
    ``lr``; ``activation`` of the hidden layers; ``nu`` and ``gamma`` of the
    RBF OneClassSVM (``nu`` bounds the fraction of training patterns left
    outside); ``record_every`` epochs between stored loss values;
    ``random_state`` seeds the weights.

    With an ``eval_set`` the autoencoder keeps the parameters of the epoch
    with the lowest validation MSE (``best_epoch_``), as the paper does;
    without one, the last epoch. ``predict`` gives +1 (inside, accepted) or
    -1 (outside); ``decision_function`` is the SVM's signed score (>= 0
    inside) and ``score_samples`` = ``decision_function`` + ``offset_``
    (scikit-learn's outlier convention); ``boundary_distance`` is the
    Euclidean distance in latent units to the decision boundary (> 0
    inside). ``score`` is the accepted fraction. There is no
    ``predict_proba``: the SVM gives a signed score, not a probability.
    """

    _array_attrs = ("mean_", "scale_", "support_vectors_", "dual_coef_", "train_loss_", "val_loss_", "loss_epochs_")
    _state_attrs = ("state_",)
    _plain_attrs = ("intercept_", "gamma_", "n_features_in_", "best_epoch_")

    def __init__(self, hidden=(64, 32), latent=2, epochs=30000, lr=1e-3, nu=0.05, gamma="scale",
                 activation="relu", record_every=10, random_state=0, progress=False):
        self.hidden = hidden
        self.activation = activation
        self.latent = latent
        self.epochs = epochs
        self.lr = lr
        self.nu = nu
        self.gamma = gamma
        self.record_every = record_every
        self.random_state = random_state
        self.progress = progress

    def _nets(self) -> tuple[torch.nn.Module, torch.nn.Module]:
        sizes = [self.n_features_in_, *self.hidden, self.latent]
        encoder, decoder = _mlp(sizes, self.activation), _mlp(sizes[::-1], self.activation)
        return encoder, decoder

    def fit(self, X, y=None, eval_set=None):
        """Train the autoencoder on X (one bank), then the SVM on its latent codes.

        ``eval_set`` (an array, or a tuple whose first item is the array) is
        the validation set: its MSE picks the kept epoch.
        """
        X = validate_data(self, X, dtype=np.float64, reset=True)
        if len(X) < 2:
            raise ValueError(f"need at least 2 training patterns, got n_samples = {len(X)}")
        if int(self.epochs) < 1:
            raise ValueError(f"epochs must be >= 1, got {self.epochs!r}")
        self.n_features_in_ = X.shape[1]
        self.mean_, self.scale_ = _standardiser(X)
        torch.manual_seed(self.random_state)
        encoder, decoder = self._nets()
        model = torch.nn.Sequential(encoder, decoder)
        opt = _adam(model.parameters(), self.lr)
        xt = torch.tensor((X - self.mean_) / self.scale_, dtype=torch.float32)
        xv = None
        if eval_set is not None:
            X_val = eval_set[0] if isinstance(eval_set, tuple) else eval_set
            X_val = np.asarray(X_val, dtype=float)
            if len(X_val):
                xv = torch.tensor((_check_X(X_val, self.n_features_in_) - self.mean_) / self.scale_,
                                  dtype=torch.float32)
        mse = torch.nn.MSELoss()
        epochs_rec, train_rec, val_rec = [], [], []
        best, best_state, best_epoch = np.inf, None, self.epochs
        bar = tqdm(total=self.epochs, desc=f"AE {self.hidden}", disable=not self.progress, leave=False)
        for epoch in range(self.epochs + 1):
            loss = mse(model(xt), xt)
            vloss = np.nan
            if xv is not None:
                with torch.no_grad():
                    vloss = mse(model(xv), xv).item()
                if vloss < best:  # the paper keeps the lowest validation loss
                    best, best_epoch = vloss, epoch
                    best_state = {"encoder": _clone_state(encoder), "decoder": _clone_state(decoder)}
            if epoch % self.record_every == 0 or epoch == self.epochs:
                epochs_rec.append(epoch)
                train_rec.append(loss.item())
                val_rec.append(vloss)
            if epoch < self.epochs:
                _adam_step(opt, loss, epoch, bar)
        bar.close()
        if best_state is None:
            best_state, best_epoch = {"encoder": _clone_state(encoder), "decoder": _clone_state(decoder)}, self.epochs
        self.state_ = best_state
        self.best_epoch_ = int(best_epoch)
        self.loss_epochs_ = np.array(epochs_rec, dtype=np.int64)
        self.train_loss_ = np.array(train_rec, dtype=np.float32)
        self.val_loss_ = np.array(val_rec, dtype=np.float32)
        Z = self.transform(X)
        svm = OneClassSVM(kernel="rbf", nu=self.nu, gamma=self.gamma).fit(Z)
        # Keep only the SVM's numbers: the decision function is rebuilt in decision_function.
        self.support_vectors_ = svm.support_vectors_.astype(float)
        self.dual_coef_ = svm.dual_coef_.ravel().astype(float)
        self.intercept_ = float(svm.intercept_[0])
        self.gamma_ = float(svm._gamma)
        return self

    @property
    def offset_(self) -> float:
        """decision_function = score_samples - offset_ (scikit-learn's outlier convention)."""
        _require_fitted(self, "intercept_")
        return -self.intercept_

    def transform(self, X) -> np.ndarray:
        """Latent coordinates (n, latent) of the patterns X."""
        _require_fitted(self, "state_")
        X = validate_data(self, X, dtype=np.float64, reset=False)
        encoder, _ = self._nets()
        encoder.load_state_dict(self.state_["encoder"])
        # float64 inference: a row's code does not depend on the other rows of X.
        with torch.no_grad():
            x = torch.from_numpy(np.ascontiguousarray((X - self.mean_) / self.scale_, dtype=np.float64))
            return encoder.double().eval()(x).numpy().astype(float)

    def reconstruction_error(self, X) -> np.ndarray:
        """Mean squared reconstruction error per pattern (standardised units)."""
        _require_fitted(self, "state_")
        X = _check_X(X, self.n_features_in_)
        encoder, decoder = self._nets()
        encoder.load_state_dict(self.state_["encoder"])
        decoder.load_state_dict(self.state_["decoder"])
        with torch.no_grad():
            x = torch.tensor((X - self.mean_) / self.scale_, dtype=torch.float32)
            return ((decoder(encoder(x)) - x) ** 2).mean(dim=1).numpy().astype(float)

    def latent_decision_function(self, Z) -> np.ndarray:
        """Signed SVM score of latent points Z (>= 0 inside), sum_i a_i exp(-gamma |z - sv_i|^2) + b."""
        _require_fitted(self, "support_vectors_")
        Z = np.asarray(Z, dtype=float)
        d2 = ((Z[:, None, :] - self.support_vectors_[None, :, :]) ** 2).sum(axis=2)
        return np.exp(-self.gamma_ * d2) @ self.dual_coef_ + self.intercept_

    def decision_function(self, X) -> np.ndarray:
        """Signed SVM score of patterns X (>= 0 inside the trained bank's region)."""
        return self.latent_decision_function(self.transform(X))

    def score_samples(self, X) -> np.ndarray:
        """Raw SVM score (higher = more like the bank): decision_function + offset_."""
        return self.decision_function(X) + self.offset_

    def boundary(self, n_grid: int = 240, pad: float = 0.6) -> list[np.ndarray]:
        """Vertices (k, 2) of each piece of the latent decision boundary (decision = 0), from a grid.

        The grid spans the support vectors plus ``pad`` times their extent on
        every side; the boundary of an RBF one-class SVM lies near them.
        """
        _require_fitted(self, "support_vectors_")
        import contourpy  # matplotlib's contouring library (already a dependency via matplotlib)

        if self.latent != 2:
            raise ValueError(f"boundary() needs a 2-D latent space, this model has {self.latent}")
        lo, hi = self.support_vectors_.min(axis=0), self.support_vectors_.max(axis=0)
        span = np.maximum(hi - lo, 1e-3)
        gx = np.linspace(lo[0] - pad * span[0], hi[0] + pad * span[0], n_grid)
        gy = np.linspace(lo[1] - pad * span[1], hi[1] + pad * span[1], n_grid)
        mx, my = np.meshgrid(gx, gy)
        dec = self.latent_decision_function(np.column_stack([mx.ravel(), my.ravel()])).reshape(mx.shape)
        lines = contourpy.contour_generator(mx, my, dec).lines(0.0)
        return [np.asarray(line, dtype=float) for line in lines if len(line)]

    def boundary_distance(self, X, boundary: list[np.ndarray] | None = None) -> np.ndarray:
        """Euclidean distance (latent units) from each pattern's latent point to the boundary; > 0 inside."""
        Z = self.transform(X)
        pieces = self.boundary() if boundary is None else boundary
        if not pieces:
            return np.full(len(Z), np.nan)
        verts = np.vstack(pieces)
        d = np.sqrt(((Z[:, None, :] - verts[None, :, :]) ** 2).sum(axis=2)).min(axis=1)
        return np.where(self.latent_decision_function(Z) >= 0.0, d, -d)

    def predict(self, X) -> np.ndarray:
        """+1 where the pattern is accepted (inside), -1 where rejected."""
        return np.where(self.decision_function(X) >= 0.0, 1, -1)

    def score(self, X, y=None) -> float:
        """Fraction of patterns accepted."""
        return float(np.mean(self.predict(X) == 1))
