"""Neural-network emulators (NNN) of reaction-network burn steps.

Modules, one job each:

* :mod:`nnn.emulate.sampling` -- Sobol (log T, log rho) points and random compositions
  with a prescribed electron fraction;
* :mod:`nnn.emulate.dataset` -- resumable, chunked HDF5 storage of training sets;
* :mod:`nnn.emulate.burn` -- burning chunks of samples locally or on dask workers;
* :mod:`nnn.emulate.model` -- the torch model, TorchScript export and checked loading;
* :mod:`nnn.emulate.metrics` -- the error metrics of Grichener et al. (2025), eqs 3-8;
* :mod:`nnn.emulate.plots` -- figures (matplotlib, Agg backend).

Command-line entry points: ``python -m nnn.generate``, ``python -m nnn.train``,
``python -m nnn.evaluate`` and ``python -m nnn.pipeline``.
"""
