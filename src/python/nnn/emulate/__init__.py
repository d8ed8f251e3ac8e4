"""Neural-network emulators (NNN) of reaction-network burn steps: all of their Python.

Modules, one job each (the layers in order: data -> model -> training -> evaluation ->
runtime):

* :mod:`nnn.emulate.sampling` -- Sobol (log T, log rho) points, random compositions with a
  prescribed electron fraction, the test-set samplers; the training domain (``LOGT_RANGE``,
  ``LOGRHO_RANGE``, ``YE_RANGE``), defined here once;
* :mod:`nnn.emulate.dataset` -- resumable, chunked HDF5 storage of training sets
  (:class:`~nnn.emulate.dataset.DatasetSpec`: the generation defaults);
* :mod:`nnn.emulate.burn` -- burning chunks of samples locally or on dask workers;
* :mod:`nnn.emulate.generate` -- training-set generation (``python -m nnn.generate``);
* :mod:`nnn.emulate.model` -- the torch model (:class:`~nnn.emulate.model.BurnStepNet`),
  TorchScript export and checked loading (:class:`~nnn.emulate.model.LoadedModel`);
* :mod:`nnn.emulate.model_file` -- model files: shipped-model paths and the one reader of
  their metadata (``nnn_meta.json``), torch-free;
* :mod:`nnn.emulate.train` -- the trainer (``python -m nnn.train``);
* :mod:`nnn.emulate.metrics` -- the error metrics of Grichener et al. (2025), eqs 3-8, and
  nnn's additions;
* :mod:`nnn.emulate.plots` -- figures (matplotlib, Agg backend);
* :mod:`nnn.emulate.evaluate` -- test sets, baselines, tables (``python -m nnn.evaluate``);
* :mod:`nnn.emulate.regression` -- the shipped models' regression record;
* :mod:`nnn.emulate.pipeline` -- generate -> train -> evaluate (``python -m nnn.pipeline``);
* :mod:`nnn.emulate.runtime` -- ``nnn.Emulator``, the Python face of libnnn's emulator path
  (``nnn::emulator::Runtime``, bound as ``nnn._emulator.Runtime``).

The command names (``python -m nnn.generate``, ``nnn.train``, ``nnn.evaluate``,
``nnn.pipeline``) and ``nnn.Emulator`` are thin entry points into these modules.
"""
