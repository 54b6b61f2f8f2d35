"""The loaded model: a tokenizer (Hugging Face ``tokenizers``) and an ONNX Runtime session running the graph that
documents/embeddings/graph.py builds from the verified safetensors weights.

Imported only when the model loads: it imports NumPy, ``tokenizers``, ``onnx`` and
``onnxruntime``. Thread-safe once built: ``InferenceSession.run`` and ``Tokenizer.encode_batch`` may be called
from several threads at once (the tokenizer's settings are fixed here, before any use).
"""

from __future__ import annotations

import json
import struct
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import onnxruntime
from tokenizers import Tokenizer

from common.tasking import memory_give_back
from documents.embeddings import graph

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


def read_safetensors(path: Path) -> dict[str, np.ndarray]:
    """The tensors of a ``.safetensors`` file as read-only arrays mapped from the file (not read into memory):
    the format is an 8-byte little-endian header length, a JSON header (dtype, shape, byte range of each tensor),
    then the raw little-endian data. Mapped pages are shared by every process that maps the file."""
    dtypes = {"F32": np.float32, "F16": np.float16, "F64": np.float64, "I64": np.int64, "I32": np.int32}
    with path.open("rb") as stream:
        (length,) = struct.unpack("<Q", stream.read(8))
        header = json.loads(stream.read(length))
    data = np.memmap(path, dtype=np.uint8, mode="r", offset=8 + length)
    tensors = {}
    for name, entry in header.items():
        if name == "__metadata__":
            continue
        begin, end = entry["data_offsets"]
        tensors[name] = data[begin:end].view(dtypes[entry["dtype"]]).reshape(entry["shape"])
    return tensors


class Session:
    """An ONNX Runtime session of the encoder."""

    def __init__(self, session: onnxruntime.InferenceSession) -> None:
        self.session = session

    def run(self, ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
        return self.session.run([OUTPUT], {"input_ids": ids, "attention_mask": mask})[0]


def build_session(weights_file: Path, shape: graph.BertShape, *, threads: int) -> Session:
    """An ONNX Runtime session of the encoder, from ``model.safetensors`` (already verified by the caller).

    ONNX Runtime (1.32) copies the external initializers it is handed into memory of its own while the session is
    made (checked: the session gives the same vectors once our arrays are freed and their memory reused), so the
    arrays, the file's mapping and the transposed copies are dropped here and their memory given back: the
    process keeps one copy of the weights, ONNX Runtime's."""
    model, weights = graph.build(read_safetensors(weights_file), shape)
    options = _session_options(threads)
    names = list(weights)
    options.add_external_initializers(names, [onnxruntime.OrtValue.ortvalue_from_numpy(weights[n]) for n in names])
    session = onnxruntime.InferenceSession(model.SerializeToString(), options, providers=["CPUExecutionProvider"])
    del model, weights, options
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
                result[[offset + i for i in rows]] = self.session.run(ids, mask)
        return result
