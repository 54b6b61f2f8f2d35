"""A local stand-in for Azure Blob Storage, served by pytest-httpserver: just the REST calls that django-storages'
AzureStorage makes through the real Azure SDK (blob properties, put blob, put block, put block list, list blobs
with or without a delimiter, ranged get, delete), so that tests exercise the production code path without the
network.

Like Azure, a blob uploaded in blocks exists only once its block list is committed; staged blocks stay invisible.
"""

from __future__ import annotations

import base64
import re
import threading
import time
from collections.abc import Callable
from email.utils import formatdate
from xml.etree import ElementTree
from xml.sax.saxutils import escape

from werkzeug import Request, Response

ACCOUNT = "devstoreaccount1"
# Any base64 string is a well-formed account key; the fake does not check signatures.
ACCOUNT_KEY = base64.b64encode(b"fake-blob-service-key-" * 3).decode()


class FakeBlobService:
    """Serve it with ``httpserver.expect_request(re.compile(f"^/{ACCOUNT}/")).respond_with_handler(service)``.

    ``blobs`` holds the committed blobs by name, ``requests`` every call as (method, comp, container, blob name,
    body size); ``on_block(name)`` is called as each block arrives; with ``refuse = (status, error code)`` every call
    is refused, as Azure refuses a wrong key or a missing container."""

    def __init__(self, on_block: Callable[[str], None] | None = None) -> None:
        self.blobs: dict[str, bytes] = {}
        self.modified: dict[str, float] = {}  # blob name -> its Last-Modified (epoch seconds); tests may age a blob
        self.staged: dict[str, dict[str, bytes]] = {}
        self.requests: list[tuple[str, str | None, str, str, int]] = []
        self.on_block = on_block
        self.refuse: tuple[int, str] | None = None
        self._lock = threading.Lock()

    @staticmethod
    def connection_string(endpoint: str) -> str:
        return (
            f"DefaultEndpointsProtocol=http;AccountName={ACCOUNT};AccountKey={ACCOUNT_KEY};"
            f"BlobEndpoint={endpoint.rstrip('/')}/{ACCOUNT};"
        )

    def __call__(self, request: Request) -> Response:
        _, _account, container, *rest = request.path.split("/", 3)
        name = rest[0] if rest else ""
        comp = request.args.get("comp")
        body = request.get_data()
        headers = {
            "ETag": '"0x8D000000000000"',
            "Last-Modified": formatdate(self.modified.get(name), usegmt=True),
            "x-ms-request-id": "fake",
        }
        with self._lock:
            self.requests.append((request.method, comp, container, name, len(body)))
            if self.refuse is not None:
                status, code = self.refuse
                return Response(status=status, headers={**headers, "x-ms-error-code": code})
            if request.method == "GET" and comp == "list":
                return self._list(container, request.args.get("prefix", ""), request.args.get("delimiter"), headers)
            if request.method == "PUT" and comp == "block":
                if self.on_block is not None:
                    self.on_block(name)
                self.staged.setdefault(name, {})[request.args["blockid"]] = body
                return Response(status=201, headers=headers)
            if request.method == "PUT" and comp == "blocklist":
                if name in self.blobs and request.headers.get("If-None-Match") == "*":
                    return Response(status=409, headers={**headers, "x-ms-error-code": "BlobAlreadyExists"})
                staged = self.staged.pop(name, {})
                # The block list comes from the Azure SDK under test, not from a stranger.
                block_ids = [block.text for block in ElementTree.fromstring(body)]  # noqa: S314
                self.blobs[name] = b"".join(staged[block_id] for block_id in block_ids)
                self.modified[name] = time.time()
                return Response(status=201, headers=headers)
            if request.method == "PUT":
                self.blobs[name] = body
                self.modified[name] = time.time()
                return Response(status=201, headers=headers)
            if name not in self.blobs:
                return Response(status=404, headers={**headers, "x-ms-error-code": "BlobNotFound"})
            data = self.blobs[name]
            if request.method == "HEAD":
                return Response(
                    status=200,
                    headers={**headers, "Content-Length": str(len(data)), "x-ms-blob-type": "BlockBlob"},
                )
            if request.method == "GET":
                return self._get(data, request, headers)
            if request.method == "DELETE":
                del self.blobs[name]
                self.modified.pop(name, None)
                return Response(status=202, headers=headers)
        return Response(status=400)

    def _list(self, container: str, prefix: str, delimiter: str | None, headers: dict[str, str]) -> Response:
        # With a delimiter, Azure lists the "folders" under the prefix as BlobPrefix entries, once each.
        items, folders = [], []
        for name, data in sorted(self.blobs.items()):
            if not name.startswith(prefix):
                continue
            rest = name[len(prefix) :]
            if delimiter and delimiter in rest:
                folder = prefix + rest.split(delimiter, 1)[0] + delimiter
                if folder not in folders:
                    folders.append(folder)
                    items.append(f"<BlobPrefix><Name>{escape(folder)}</Name></BlobPrefix>")
                continue
            items.append(
                f"<Blob><Name>{escape(name)}</Name><Properties><Last-Modified>"
                f"{formatdate(self.modified.get(name), usegmt=True)}</Last-Modified>"
                f"<Etag>0x8D000000000000</Etag><Content-Length>{len(data)}</Content-Length>"
                "<BlobType>BlockBlob</BlobType></Properties></Blob>"
            )
        items = "".join(items)
        body = (
            '<?xml version="1.0" encoding="utf-8"?>'
            f'<EnumerationResults ContainerName="{escape(container)}"><Blobs>{items}</Blobs><NextMarker />'
            "</EnumerationResults>"
        )
        return Response(body, status=200, headers=headers, content_type="application/xml")

    @staticmethod
    def _get(data: bytes, request: Request, headers: dict[str, str]) -> Response:
        start, end = 0, len(data) - 1
        requested = request.headers.get("x-ms-range") or request.headers.get("Range") or ""
        if match := re.match(r"bytes=(\d+)-(\d+)?", requested):
            start, end = int(match[1]), min(int(match[2]) if match[2] else end, end)
        return Response(
            data[start : end + 1],
            status=206,
            headers={**headers, "Content-Range": f"bytes {start}-{end}/{len(data)}", "x-ms-blob-type": "BlockBlob"},
            content_type="application/octet-stream",
        )
