"""Emulator model files: where they are and the metadata they carry, read in one place.

A model file (format ``nnn-emulator-2``) is a TorchScript zip archive.  libnnn (C++) reads
the scripted module's attributes (``nnn_format``, ``network``, ``network_hash``,
``isotopes``, ``domain``); Python reads the whole record, ``nnn_meta.json`` (network,
domain, training, metrics, regression record), with :func:`read_metadata` -- the training
tools (:mod:`nnn.emulate.model`), the evaluation and the runtime wrapper
(:mod:`nnn.emulate.runtime`) all call it, and :func:`parse_metadata` is the one place the
JSON is decoded and its format checked.

No torch here: the metadata is read straight from the zip archive, without loading the
model (milliseconds, and usable where libtorch is not).
"""

from __future__ import annotations

import json
import os
import zipfile
import zlib
from pathlib import Path

#: The model-file format this nnn writes and reads (libnnn's ``kFormat``; a test checks that
#: the two agree).
FORMAT = "nnn-emulator-2"
#: The metadata record inside a model file (libnnn's ``kMetaName``).
META_NAME = "nnn_meta.json"
#: What to tell the owner of an older file.
RETRAIN = "retrain it with python -m nnn.train"


class ModelFileError(ValueError):
    """A model file is missing, not a TorchScript archive, has no or unreadable metadata, or
    is of another format."""


def model_filename(network: str) -> str:
    """The file name of a network's model (``<network>.pt``)."""
    return f"{network}.pt"


#: Name suffix of the shipped bfloat16 copy of a network's model (``mesa_80_bf16``): the
#: same weights with trunk and heads in bfloat16, for CPUs with bf16 units (AVX512_BF16,
#: AMX); load it by name like the model itself (docs/emulators.md, "Cost")
BF16_SUFFIX = "_bf16"


def bf16_name(network: str) -> str:
    """The name the bfloat16 copy of ``network``'s shipped model loads by."""
    return f"{network}{BF16_SUFFIX}"


def shipped_model_path(network: str) -> Path:
    """The trained model shipped for ``network`` (a name like "mesa_80"): the first
    ``emulators/<network>.pt`` of the network-data folders ($NNN_NETWORK_DATA, the installed
    and the source ``network_data/``).  FileNotFoundError names the folders searched."""
    from nnn.network.paths import data_dirs

    for d in data_dirs():
        p = d / "emulators" / model_filename(network)
        if p.is_file():
            return p
    searched = ", ".join(str(d / "emulators") for d in data_dirs())
    raise FileNotFoundError(f"no shipped emulator for network {network!r} (searched {searched})")


def resolve_model_path(model) -> Path:
    """A model file (anything that exists, ends in ``.pt`` or contains a path separator),
    else the shipped model of the network name ``model``."""
    if not str(model):  # Path("") is ".", the current folder
        raise ValueError("model = '' is empty: give a model file or a network name")
    p = Path(model)
    if p.exists() or p.suffix == ".pt" or os.sep in str(model):
        return p
    return shipped_model_path(str(model))


def parse_metadata(text, source="model") -> dict:
    """Decode a model's ``nnn_meta.json`` (str or bytes) and check its format.

    ModelFileError (naming ``source``) if it is empty, not a JSON object, an
    ``nnn-emulator-1`` record (one model per dt) or of any format but :data:`FORMAT`."""
    if isinstance(text, bytes):
        text = text.decode("utf-8", errors="replace")
    if not text:
        raise ModelFileError(f"{source} has no {META_NAME}: not an nnn emulator file")
    try:
        meta = json.loads(text)
    except ValueError as e:
        raise ModelFileError(f"{source}: {META_NAME} is not valid JSON ({e})") from None
    if not isinstance(meta, dict):
        raise ModelFileError(f"{source}: {META_NAME} is not a JSON object")
    fmt = meta.get("format")
    if fmt == "nnn-emulator-1":
        raise ModelFileError(f"{source} is an nnn-emulator-1 model (one model per dt); this nnn "
                             f"reads {FORMAT} (one model for every dt): {RETRAIN}")
    if fmt != FORMAT:
        raise ModelFileError(f"{source} has format {fmt!r}, expected {FORMAT!r}")
    return meta


def read_metadata(path) -> dict:
    """The metadata record of model file ``path``, format checked (:func:`parse_metadata`).

    FileNotFoundError if ``path`` does not exist; ModelFileError if it is a directory, not
    a TorchScript (zip) archive, or its record is missing or unreadable."""
    path = Path(path)
    source = repr(str(path))
    if path.is_dir():
        raise ModelFileError(f"model {source} is a directory: give the model file "
                             f"({model_filename('<network>')})")
    if not path.is_file():
        raise FileNotFoundError(f"model file {source} does not exist")
    try:
        with zipfile.ZipFile(path) as z:
            names = [n for n in z.namelist() if n.endswith(f"/extra/{META_NAME}")]
            text = z.read(names[0]) if names else b""
    except (zipfile.BadZipFile, OSError, EOFError, zlib.error) as e:
        raise ModelFileError(f"{source} is not a TorchScript model file: {e}") from None
    return parse_metadata(text, source)


__all__ = ["FORMAT", "META_NAME", "ModelFileError", "model_filename", "shipped_model_path",
           "resolve_model_path", "parse_metadata", "read_metadata"]
