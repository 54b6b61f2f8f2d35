"""The loaded model: a tokenizer (Hugging Face ``tokenizers``) and an ONNX Runtime session running the graph that
documents/embeddings/graph.py builds from the verified safetensors weights.

Imported only when the model loads: it imports NumPy, ``tokenizers``, ``onnx`` and
``onnxruntime``. Thread-safe once built: ``InferenceSession.run`` and ``Tokenizer.encode_batch`` may be called
from several threads at once (the tokenizer's settings are fixed here, before any use).
"""

from __future__ import annotations

import json
import struct
import threading
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import onnxruntime
from tokenizers import Tokenizer

from common.tasking import memory_give_back
from documents.embeddings import EmbeddingsUnavailable, graph

OUTPUT = "sentence_embedding"
WINDOW = 512  # texts tokenised and sorted together


def _session_options(threads: int) -> onnxruntime.SessionOptions:
    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.execution_mode = onnxruntime.ExecutionMode.ORT_SEQUENTIAL
    options.graph_optimization_level = onnxruntime.GraphOptimizationLevel.ORT_ENABLE_ALL
    # Shapes change with every batch (tokens per text): a memory pattern planned for one shape is of no use for
    # the next, and the arena would keep the largest batch's memory for the life of the process.
    options.enable_mem_pattern = False
    options.enable_cpu_mem_arena = False
    options.log_severity_level = 3  # errors only
    return options


def read_safetensors_header(path: Path) -> dict[str, graph.Stored]:
    """Where each float32 tensor of a ``.safetensors`` file lies: the format is an 8-byte little-endian header
    length, a JSON header (dtype, shape and byte range of each tensor, from the end of the header), then the raw
    little-endian data."""
    with path.open("rb") as stream:
        (length,) = struct.unpack("<Q", stream.read(8))
        header = json.loads(stream.read(length))
    return {
        name: graph.Stored(
            shape=tuple(entry["shape"]),
            offset=8 + length + entry["data_offsets"][0],
            length=entry["data_offsets"][1] - entry["data_offsets"][0],
        )
        for name, entry in header.items()
        if name != "__metadata__" and entry["dtype"] == "F32"
    }


class Session:
    """An ONNX Runtime session of the encoder."""

    def __init__(self, session: onnxruntime.InferenceSession) -> None:
        self.session = session

    def run(self, ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
        return self.session.run([OUTPUT], {"input_ids": ids, "attention_mask": mask})[0]


def build_session(weights_file: Path, shape: graph.BertShape, *, threads: int) -> Session:
    """An ONNX Runtime session of the encoder, from ``model.safetensors`` (already verified by the caller). The
    graph names the weights' byte ranges in that file and ONNX Runtime reads them from there: no copy of the
    weights is made in Python (see graph.build)."""
    weights_file = weights_file.resolve()  # ONNX Runtime refuses external data behind a link out of the folder
    model = graph.build(read_safetensors_header(weights_file), shape, weights_file.name)
    options = _session_options(threads)
    # A model given as bytes finds its external data in this folder.
    options.add_session_config_entry("session.model_external_initializers_file_folder_path", str(weights_file.parent))
    session = onnxruntime.InferenceSession(model.SerializeToString(), options, providers=["CPUExecutionProvider"])
    del model
    memory_give_back()
    return Session(session)


def load_tokenizer(tokenizer_file: Path, max_tokens: int) -> Tokenizer:
    tokenizer = Tokenizer.from_file(str(tokenizer_file))
    tokenizer.no_padding()  # batches are padded here, to their own longest text (tokenizer.json pads to 128)
    tokenizer.enable_truncation(max_length=max_tokens)  # [CLS] and [SEP] included, as sentence-transformers
    return tokenizer


class Encoder:
    def __init__(self, tokenizer: Tokenizer, session: Session, dimensions: int) -> None:
        self.tokenizer = tokenizer
        self.session = session
        self.dimensions = dimensions
        self._runs = threading.Condition()
        self._running = 0
        self._closed = False

    def close(self, timeout: float) -> None:
        """No run starts after this; waits up to ``timeout`` seconds for those under way. For the process's exit:
        a thread still inside ONNX Runtime while the interpreter finalises aborts the process (SIGABRT,
        "terminate called without an active exception"), e.g. a web process's background thread embedding a
        document when the process is told to stop."""
        with self._runs:
            self._closed = True
            if self._runs.wait_for(lambda: self._running == 0, timeout):
                # Destroyed here, at exit, while the interpreter is whole: left to the process's teardown, ONNX
                # Runtime's thread pools are destroyed unjoined once a session has run in a thread other than the
                # main one (a web process's background thread), and the process aborts the same way (seen in CI).
                self.session = None

    def _run(self, ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
        with self._runs:
            if self._closed:
                raise EmbeddingsUnavailable("the process is exiting")
            self._running += 1
        try:
            return self.session.run(ids, mask)
        finally:
            with self._runs:
                self._running -= 1
                self._runs.notify_all()

    def encode(self, texts: Sequence[str], batch_size: int) -> np.ndarray:
        """Unit vectors, one row per text, in order. Texts are tokenised a window at a time (memory stays bounded
        whatever the count) and grouped by length within it, so that a batch pads little."""
        result = np.empty((len(texts), self.dimensions), dtype=np.float32)
        window = max(WINDOW, batch_size)
        for offset in range(0, len(texts), window):
            pieces = [encoding.ids for encoding in self.tokenizer.encode_batch(list(texts[offset : offset + window]))]
            order = sorted(range(len(pieces)), key=lambda i: len(pieces[i]))
            for start in range(0, len(order), batch_size):
                rows = order[start : start + batch_size]
                width = max(len(pieces[i]) for i in rows)
                ids = np.zeros((len(rows), width), dtype=np.int64)
                mask = np.zeros((len(rows), width), dtype=np.int64)
                for row, i in enumerate(rows):
                    ids[row, : len(pieces[i])] = pieces[i]
                    mask[row, : len(pieces[i])] = 1
                result[[offset + i for i in rows]] = self._run(ids, mask)
        return result
