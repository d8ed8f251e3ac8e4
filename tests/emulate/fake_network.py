"""A stand-in with the ``nnn.Network`` batch API (toy relaxation kinetics), used only to
test the storage/training plumbing independently of the engine."""

from types import SimpleNamespace

import numpy as np

ISO = ["n", "p", "he4", "o16", "si28", "s32", "ca40", "fe54", "fe56", "ni56", "cr56"]
A = np.array([1, 1, 4, 16, 28, 32, 40, 54, 56, 56, 56])
Z = np.array([0, 1, 2, 8, 14, 16, 20, 26, 26, 28, 24])


class FakeNetwork:
    name = "fake_11"
    file_hash = "f" * 64
    isotopes = ISO
    A = A
    Z = Z

    def burn_batch(self, T, rho, X, dt=None, times=None, rtol=1e-8, atol=1e-12, n_threads=0):
        T = np.asarray(T, float)
        rho = np.asarray(rho, float)
        X = np.asarray(X, float)
        ts = np.atleast_1d(times if times is not None else dt).astype(float)
        lt = np.log10(T)[:, None]
        w = -((np.log(A)[None, :] - (lt - 9.0) * 6.0) ** 2) / 2.0
        xeq = np.exp(w - w.max(1, keepdims=True))
        xeq /= xeq.sum(1, keepdims=True)
        k = 10.0 ** (3 * (lt - 9.5) + 0.3 * (np.log10(rho)[:, None] - 8)) * (1 + A[None] / 56)
        q = (A - 28.0) * 1e17
        out = np.empty((len(T), len(ts), X.shape[1]))
        for j, t in enumerate(ts):
            out[:, j] = xeq + (X - xeq) * np.exp(-k * t)
        eps = ((X[:, None, :] - out) * q).sum(-1)
        nu = 1e12 * (out * (A[None, None, :] / 56.0)).sum(-1) * (T[:, None] / 3e9) ** 3
        ye = out @ (Z / A)
        if times is None:
            out, eps, nu, ye = out[:, 0], eps[:, 0], nu[:, 0], ye[:, 0]
        return SimpleNamespace(X=out, eps_nuc=eps, eps_nu=nu, Ye=ye,
                               n_steps=np.full(len(T), 10), status=np.zeros(len(T), int))


class FakeSmall(FakeNetwork):
    """A 'small net' on a subset of the isotopes (no cr56, o16 kept)."""

    name = "fake_small"
    file_hash = "e" * 64
    _keep = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]
    isotopes = [ISO[i] for i in _keep]
    A = A[_keep]
    Z = Z[_keep]

    def burn_batch(self, T, rho, X, dt=None, times=None, **kw):
        Xf = np.zeros((len(T), len(ISO)))
        Xf[:, self._keep] = X
        r = FakeNetwork.burn_batch(self, T, np.asarray(rho) * 1.5, Xf, dt=dt, times=times)
        r.X = r.X[..., self._keep]
        r.X /= r.X.sum(-1, keepdims=True)
        return r
