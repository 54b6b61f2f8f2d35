"""Download the embedding model's files into ``EMBEDDINGS_MODEL_DIR`` (or ``--dir``), checked against the sha256
pinned in documents/embeddings, for machines that do not install requirements-model.txt.

    manage.py embeddings_fetch [--dir DIR] [--base-url https://huggingface.co]

Files already there with the pinned hash are kept; a download is written beside its target and renamed into place
only once its hash is right, so a process never sees a half-written or wrong file. Exits non-zero when a file
cannot be had or does not match. Run it where the serving processes will read the folder: at build time, or on
a mounted share (a Procfile host's release phase runs on a machine of its own, whose disk is thrown away).
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path

import httpx
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from documents import embeddings

HUB = "https://huggingface.co"


class Command(BaseCommand):
    help = "Download the embedding model's weights and tokenizer (sha256-checked) into EMBEDDINGS_MODEL_DIR."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--dir", default="", help="Where to put the files (default: EMBEDDINGS_MODEL_DIR).")
        parser.add_argument("--base-url", default=HUB, help=f"The model hub (default {HUB}).")
        parser.add_argument("--timeout", type=float, default=60.0, help="Seconds without data before giving up.")

    def handle(self, *args, dir: str, base_url: str, timeout: float, **options) -> None:
        spec = embeddings.MODELS.get(settings.EMBEDDINGS_MODEL)
        if spec is None:
            raise CommandError(f"EMBEDDINGS_MODEL {settings.EMBEDDINGS_MODEL!r} is not a model this app knows.")
        target = Path(dir or settings.EMBEDDINGS_MODEL_DIR)
        if not str(target) or str(target) == ".":
            raise CommandError("Set EMBEDDINGS_MODEL_DIR (or pass --dir): the folder the processes will read.")
        target.mkdir(parents=True, exist_ok=True)
        wanted = {embeddings.WEIGHTS_FILE: spec.weights_sha256, embeddings.TOKENIZER_FILE: spec.tokenizer_sha256}
        with httpx.Client(timeout=timeout, follow_redirects=True) as client:
            for name, sha256 in wanted.items():
                path = target / name
                if path.is_file() and embeddings.file_sha256(path) == sha256:
                    self.stdout.write(f"{name}: already there.")
                    continue
                url = f"{base_url.rstrip('/')}/{spec.hub_repo}/resolve/{spec.hub_revision}/{name}"
                self._download(client, url, path, sha256)
                self.stdout.write(f"{name}: downloaded and verified.")
        model_id = f"{spec.name}@{spec.weights_sha256[:12]}"
        self.stdout.write(self.style.SUCCESS(f"{spec.name} is ready in {target} (model id {model_id})."))

    def _download(self, client: httpx.Client, url: str, path: Path, sha256: str) -> None:
        digest = hashlib.sha256()
        descriptor, partial = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
        try:
            with os.fdopen(descriptor, "wb") as out, client.stream("GET", url) as response:
                if response.status_code != 200:
                    raise CommandError(f"{url} answered {response.status_code}.")
                for block in response.iter_bytes(1 << 20):
                    digest.update(block)
                    out.write(block)
            if digest.hexdigest() != sha256:
                raise CommandError(f"{url} has sha256 {digest.hexdigest()}, not the pinned {sha256}: not installed.")
            os.replace(partial, path)
        except httpx.HTTPError as exc:
            raise CommandError(f"{url} could not be downloaded ({type(exc).__name__}).") from exc
        finally:
            if os.path.exists(partial):
                os.unlink(partial)
