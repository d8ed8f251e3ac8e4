"""PyTorch models with scikit-learn estimator conventions.

* :class:`ProcessClassifier` - binary classifier (BC-L: one hidden layer of
  25, BC-S: 5; tanh), sigmoid output, class-balanced binary cross-entropy,
  Adam, full-batch. Two parameter states are kept: ``"min"`` (minimal
  separation: the first epoch after the last one whose training-set score
  ranges of the two classes overlap) and ``"max"`` (maximal separation: global minimum of
  the validation loss). Each state has its own ROC threshold
  (:func:`threshold.roc_threshold` on the validation scores).
* :class:`OneClassProcessModel` - autoencoder (OCC-L 64-32-2, OCC-S
  32-16-2, mirrored decoder), MSE, Adam, full-batch, then a OneClassSVM
  (RBF) in the 2-D latent space decides inside / outside. ReLU, not tanh:
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
from sklearn.base import BaseEstimator, ClassifierMixin, OutlierMixin
from sklearn.svm import OneClassSVM
from tqdm.auto import tqdm

from .threshold import histograms_overlap, roc_threshold

FORMAT = "nnn.classifier.model/1"
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


def _clone_state(module: torch.nn.Module) -> dict[str, torch.Tensor]:
    return {k: v.detach().clone() for k, v in module.state_dict().items()}


class _Persistent:
    """save / load of estimators as tensors + plain values (safe ``weights_only`` loading)."""

    _array_attrs: tuple[str, ...] = ()
    _state_attrs: tuple[str, ...] = ()
    _plain_attrs: tuple[str, ...] = ()

    def save(self, path: str | Path) -> None:
        """Write the parameters and fitted state to ``path`` (one file)."""
        payload = {
            "format": FORMAT,
            "class": type(self).__name__,
            "params": self.get_params(),
            "arrays": {a: torch.from_numpy(np.ascontiguousarray(getattr(self, a))) for a in self._array_attrs},
            "states": {a: getattr(self, a) for a in self._state_attrs},
            "plain": {a: getattr(self, a) for a in self._plain_attrs},
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
            setattr(est, name, value)
        return est


class ProcessClassifier(_Persistent, ClassifierMixin, BaseEstimator):
    """Binary r-vs-s (in general: positive-vs-negative bank) pattern classifier.

    Parameters: ``hidden`` units of the single hidden layer (25 for BC-L,
    5 for BC-S); ``epochs`` full-batch Adam steps at learning rate ``lr``;
    ``state`` the parameter state used by predict (``"max"`` or ``"min"``);
    ``activation`` of the hidden layer (``"tanh"`` or ``"relu"``);
    ``positive`` the class whose probability the sigmoid gives;
    ``validation_fraction`` of the data held out when ``fit`` gets no
    ``eval_set``; ``random_state`` seeds the initial weights and that split.
    """

    _array_attrs = ("mean_", "scale_", "train_loss_", "val_loss_")
    _state_attrs = ("states_",)
    _plain_attrs = ("classes_", "thresholds_", "state_epochs_", "separated_", "n_features_in_")

    def __init__(self, hidden=25, epochs=10000, lr=1e-3, state="max", positive="r", activation="tanh",
                 validation_fraction=0.25, random_state=0, progress=False):
        self.hidden = hidden
        self.activation = activation
        self.epochs = epochs
        self.lr = lr
        self.state = state
        self.positive = positive
        self.validation_fraction = validation_fraction
        self.random_state = random_state
        self.progress = progress

    def _net(self, state: str) -> torch.nn.Module:
        net = _mlp([self.n_features_in_, self.hidden, 1], self.activation)
        net.load_state_dict(self.states_[state])
        return net.eval()

    def _targets(self, y) -> np.ndarray:
        return (np.asarray(y).astype(str) == str(self.positive)).astype(np.float32)

    def fit(self, X, y, eval_set=None):
        """Train on (X, y); ``eval_set=(X_val, y_val)`` or an internal stratified hold-out."""
        X = _check_X(X)
        y = np.asarray(y).astype(str)
        classes = sorted(set(y.tolist()))
        if len(classes) != 2 or str(self.positive) not in classes:
            raise ValueError(f"need exactly two classes including {self.positive!r}, got {classes}")
        if self.state not in ("min", "max"):
            raise ValueError("state must be 'min' or 'max'")
        rng = np.random.default_rng(self.random_state)
        if eval_set is None:
            val = np.zeros(len(y), dtype=bool)
            for c in classes:
                idx = rng.permutation(np.nonzero(y == c)[0])
                val[idx[: max(1, int(round(self.validation_fraction * len(idx))))]] = True
            X_tr, y_tr, X_va, y_va = X[~val], y[~val], X[val], y[val]
        else:
            X_tr, y_tr = X, y
            X_va, y_va = _check_X(eval_set[0], X.shape[1]), np.asarray(eval_set[1]).astype(str)
        self.classes_ = classes
        self.n_features_in_ = X.shape[1]
        self.mean_, self.scale_ = _standardiser(X_tr)

        torch.manual_seed(self.random_state)
        net = _mlp([self.n_features_in_, self.hidden, 1], self.activation)
        opt = _adam(net.parameters(), self.lr)
        xt = torch.tensor((X_tr - self.mean_) / self.scale_, dtype=torch.float32)
        xv = torch.tensor((X_va - self.mean_) / self.scale_, dtype=torch.float32)
        tt, tv = torch.tensor(self._targets(y_tr)), torch.tensor(self._targets(y_va))
        pos = tt == 1
        # Class-balanced BCE: the banks have unequal sizes and neither class should dominate.
        pos_weight = torch.tensor([(~pos).sum().item() / max(1, pos.sum().item())])
        loss_fn = torch.nn.BCEWithLogitsLoss(pos_weight=pos_weight)

        train_loss = np.empty(self.epochs + 1, dtype=np.float32)
        val_loss = np.empty(self.epochs + 1, dtype=np.float32)
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
                if histograms_overlap(scores[pos].numpy(), scores[~pos].numpy()):
                    min_state, min_epoch = None, None
                elif min_state is None:
                    min_state, min_epoch = _clone_state(net), epoch
                if vloss < best:
                    best, max_state, max_epoch = vloss, _clone_state(net), epoch
            train_loss[epoch], val_loss[epoch] = loss.item(), vloss
            if epoch < self.epochs:
                _adam_step(opt, loss, epoch, bar)
        bar.close()
        self.separated_ = min_state is not None
        if min_state is None:  # still overlapping at the end: fall back to the final state (separated_ says so)
            min_state, min_epoch = _clone_state(net), self.epochs
        self.states_ = {"min": min_state, "max": max_state}
        self.state_epochs_ = {"min": int(min_epoch), "max": int(max_epoch)}
        self.train_loss_, self.val_loss_ = train_loss, val_loss
        y_val_pos = self._targets(y_va).astype(bool)
        self.thresholds_ = {
            s: roc_threshold(y_val_pos, self._positive_proba(X_va, s)) for s in ("min", "max")
        }
        return self

    def _positive_proba(self, X, state: str) -> np.ndarray:
        X = _check_X(X, self.n_features_in_)
        with torch.no_grad():
            x = torch.tensor((X - self.mean_) / self.scale_, dtype=torch.float32)
            return torch.sigmoid(self._net(state)(x).squeeze(1)).numpy().astype(float)

    def predict_proba(self, X) -> np.ndarray:
        """Probabilities (n, 2), columns ordered as ``classes_``, from the current ``state``."""
        p = self._positive_proba(X, self.state)
        return np.column_stack([p, 1 - p]) if self.classes_[0] == str(self.positive) else np.column_stack([1 - p, p])

    def predict(self, X) -> np.ndarray:
        """Class labels: the positive class where P(positive) >= the ROC threshold of ``state``."""
        p = self._positive_proba(X, self.state)
        negative = [c for c in self.classes_ if c != str(self.positive)][0]
        return np.where(p >= self.thresholds_[self.state], str(self.positive), negative).astype(object)


class OneClassProcessModel(_Persistent, OutlierMixin, BaseEstimator):
    """Autoencoder + latent-space OneClassSVM: is a pattern like the training bank?

    Parameters: ``hidden`` encoder widths ((64, 32) for OCC-L, (32, 16) for
    OCC-S), ``latent`` dimension (2), ``epochs`` full-batch Adam steps at
    ``lr``; ``activation`` of the hidden layers; ``nu`` and ``gamma`` of the
    RBF OneClassSVM (``nu`` bounds the fraction of training patterns left
    outside); ``record_every`` epochs
    between stored loss values; ``random_state`` seeds the weights.
    ``predict`` gives +1 (inside, accepted) or -1 (outside); ``score`` is the
    accepted fraction. There is no ``predict_proba``: the SVM gives a
    signed distance (``decision_function``), not a probability.
    """

    _array_attrs = ("mean_", "scale_", "support_vectors_", "dual_coef_", "train_loss_", "val_loss_", "loss_epochs_")
    _state_attrs = ("state_",)
    _plain_attrs = ("intercept_", "gamma_", "n_features_in_")

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

        ``eval_set`` (an array, or a tuple whose first item is the array) only
        feeds the validation-loss curve.
        """
        X = _check_X(X)
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
            xv = torch.tensor((_check_X(X_val, self.n_features_in_) - self.mean_) / self.scale_, dtype=torch.float32)
        mse = torch.nn.MSELoss()
        epochs_rec, train_rec, val_rec = [], [], []
        bar = tqdm(total=self.epochs, desc=f"AE {self.hidden}", disable=not self.progress, leave=False)
        for epoch in range(self.epochs + 1):
            loss = mse(model(xt), xt)
            if epoch % self.record_every == 0 or epoch == self.epochs:
                epochs_rec.append(epoch)
                train_rec.append(loss.item())
                with torch.no_grad():
                    val_rec.append(mse(model(xv), xv).item() if xv is not None and len(xv) else np.nan)
            if epoch < self.epochs:
                _adam_step(opt, loss, epoch, bar)
        bar.close()
        self.state_ = {"encoder": _clone_state(encoder), "decoder": _clone_state(decoder)}
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

    def transform(self, X) -> np.ndarray:
        """Latent coordinates (n, latent) of the patterns X."""
        X = _check_X(X, self.n_features_in_)
        encoder, _ = self._nets()
        encoder.load_state_dict(self.state_["encoder"])
        with torch.no_grad():
            x = torch.tensor((X - self.mean_) / self.scale_, dtype=torch.float32)
            return encoder.eval()(x).numpy().astype(float)

    def reconstruction_error(self, X) -> np.ndarray:
        """Mean squared reconstruction error per pattern (standardised units)."""
        X = _check_X(X, self.n_features_in_)
        encoder, decoder = self._nets()
        encoder.load_state_dict(self.state_["encoder"])
        decoder.load_state_dict(self.state_["decoder"])
        with torch.no_grad():
            x = torch.tensor((X - self.mean_) / self.scale_, dtype=torch.float32)
            return ((decoder(encoder(x)) - x) ** 2).mean(dim=1).numpy().astype(float)

    def latent_decision_function(self, Z) -> np.ndarray:
        """Signed SVM score of latent points Z (>= 0 inside), sum_i a_i exp(-gamma |z - sv_i|^2) + b."""
        Z = np.asarray(Z, dtype=float)
        d2 = ((Z[:, None, :] - self.support_vectors_[None, :, :]) ** 2).sum(axis=2)
        return np.exp(-self.gamma_ * d2) @ self.dual_coef_ + self.intercept_

    def decision_function(self, X) -> np.ndarray:
        """Signed SVM score of patterns X (>= 0 inside the trained bank's region)."""
        return self.latent_decision_function(self.transform(X))

    def predict(self, X) -> np.ndarray:
        """+1 where the pattern is accepted (inside), -1 where rejected."""
        return np.where(self.decision_function(X) >= 0.0, 1, -1)

    def score(self, X, y=None) -> float:
        """Fraction of patterns accepted."""
        return float(np.mean(self.predict(X) == 1))

