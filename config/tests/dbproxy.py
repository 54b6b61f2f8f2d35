"""A TCP proxy in front of the test PostgreSQL server that a test can take down and bring back, to play a database
outage (a restart, a failover, a network partition) without touching the server the rest of the suite uses."""

from __future__ import annotations

import asyncio
import threading

from config.tests.processes import free_port


class DatabaseProxy:
    """Forwards ``127.0.0.1:<port>`` to ``upstream``. ``stop()`` closes the listening socket and cuts every open
    connection, as a server that went away does (clients then see their connection closed, and new ones refused);
    ``listen()`` serves again on the same port. Runs an asyncio loop in a daemon thread; use it as a context
    manager so that the loop and every socket are closed."""

    def __init__(self, upstream_host: str, upstream_port: int, *, port: int | None = None) -> None:
        self.upstream = (upstream_host, upstream_port)
        self.port = port or free_port()
        self._server: asyncio.Server | None = None
        self._transports: set[asyncio.Transport] = set()
        self._forwarding: set[asyncio.Task] = set()
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="database-proxy", daemon=True)
        self._thread.start()

    @property
    def listening(self) -> bool:
        return self._server is not None

    def listen(self) -> None:
        self._run(self._listen())

    def stop(self) -> None:
        self._run(self._stop())

    def close(self) -> None:
        self.stop()
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=5)
        self._loop.close()

    def __enter__(self) -> DatabaseProxy:
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    def _run(self, coroutine) -> None:
        asyncio.run_coroutine_threadsafe(coroutine, self._loop).result(timeout=10)

    async def _listen(self) -> None:
        if self._server is None:
            # SO_REUSEADDR: the port is bound again at once, whatever connections of the last run linger in TIME_WAIT.
            self._server = await asyncio.start_server(self._forward, "127.0.0.1", self.port, reuse_address=True)

    async def _stop(self) -> None:
        if self._server is not None:
            self._server.close()
            self._server = None
        for transport in list(self._transports):
            transport.abort()  # no goodbye: the peer learns it on its next read or write
        if self._forwarding:
            await asyncio.wait(self._forwarding, timeout=5)

    async def _forward(self, client_reader: asyncio.StreamReader, client_writer: asyncio.StreamWriter) -> None:
        try:
            upstream_reader, upstream_writer = await asyncio.open_connection(*self.upstream)
        except OSError:
            client_writer.transport.abort()
            return
        if self._server is None:  # stopped while this connection was being made
            client_writer.transport.abort()
            upstream_writer.transport.abort()
            return
        pair = {client_writer.transport, upstream_writer.transport}
        self._transports |= pair
        task = asyncio.current_task()
        self._forwarding.add(task)
        try:
            await asyncio.gather(self._pipe(client_reader, upstream_writer), self._pipe(upstream_reader, client_writer))
        finally:
            for transport in pair:
                transport.abort()
            self._transports -= pair
            self._forwarding.discard(task)

    @staticmethod
    async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()
        except OSError:
            pass
        finally:
            writer.transport.abort()  # one side gone: so is the other (PostgreSQL has no half-closed sessions)
