"""HTTP/1.1 on asyncio streams, as much as the playground needs and no more: one request at
a time per connection, bodies by ``Content-Length`` only, every stage under a deadline.

A request is read in three stages, each bounded by a ``limits`` entry (seconds, bytes):

=========  ==================================================================  ==========
stage      what must arrive                                                     else
=========  ==================================================================  ==========
idle       the request's first byte, ``idle_seconds`` after connecting or the   close
           previous answer
head       request line and headers (at most ``max_head_bytes``), complete      408, close
           ``head_seconds`` after the first byte
body       exactly ``Content-Length`` bytes (at most ``max_body_bytes``),       408, close
           ``body_seconds`` after the head
=========  ==================================================================  ==========

The deadline of a stage is total, not per read: a client trickling a byte a second gets
no more time than one that sends nothing. The answer must be taken within
``write_seconds``. A connection closes *gently*: the answer goes out, then our side's
FIN, then what the client still sends is read and dropped for up to ``linger_seconds``
before the socket closes — closing with unread input would make the kernel send a reset,
and the client would lose the answer.
"""

import asyncio
import email.utils
import re
from http import HTTPStatus

__all__ = ["HTTPError", "Request", "Response", "close_gently", "read_request", "write_response"]

_TOKEN = re.compile(rb"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
_SINGLE = ("content-length", "host", "transfer-encoding")  # at most once each
MAX_HEADERS = 100


class HTTPError(Exception):
    """A request answered with ``status`` and a JSON ``{"error": message, "field": field}``."""

    def __init__(self, status, message, field=None, headers=()):
        super().__init__(message)
        self.status, self.field, self.headers = status, field, tuple(headers)


class Request:
    """``method``, ``target`` (path and query), ``version``, ``headers`` (lower-case names),
    ``body`` bytes and the ``client`` address."""

    __slots__ = ("method", "target", "version", "headers", "body", "client")

    def __init__(self, method, target, version, headers, body, client):
        self.method, self.target, self.version = method, target, version
        self.headers, self.body, self.client = headers, body, client

    @property
    def keep_alive(self):
        tokens = {t.strip().lower() for t in self.headers.get("connection", "").split(",")}
        return self.version == "HTTP/1.1" and "close" not in tokens


class Response:
    """``status``, ``body`` bytes, ``content_type``, extra ``headers`` [(name, value)];
    ``close``: end the connection after it."""

    __slots__ = ("status", "body", "content_type", "headers", "close")

    def __init__(self, status, body=b"", content_type="application/json", headers=(), close=False):
        self.status, self.body, self.content_type = int(status), body, content_type
        self.headers, self.close = list(headers), close


def parse_head(raw):
    """``(method, target, version, headers)`` of a request head ending in CRLF CRLF."""
    lines = raw[:-4].split(b"\r\n")
    try:
        method, target, version = lines[0].decode("ascii").split(" ")
    except (UnicodeDecodeError, ValueError):
        raise HTTPError(HTTPStatus.BAD_REQUEST, f"malformed request line {lines[0][:80]!r}") from None
    if version not in ("HTTP/1.0", "HTTP/1.1"):
        raise HTTPError(HTTPStatus.HTTP_VERSION_NOT_SUPPORTED, f"{version[:20]!r}: HTTP/1.1 only")
    if not _TOKEN.fullmatch(method.encode()) or not target.startswith("/"):
        raise HTTPError(HTTPStatus.BAD_REQUEST, f"malformed request line {lines[0][:80]!r}")
    if len(lines) - 1 > MAX_HEADERS:
        raise HTTPError(HTTPStatus.REQUEST_HEADER_FIELDS_TOO_LARGE, f"at most {MAX_HEADERS} headers")
    headers = {}
    for line in lines[1:]:
        name, colon, value = line.partition(b":")
        if not colon or not _TOKEN.fullmatch(name):  # also refuses obsolete line folding
            raise HTTPError(HTTPStatus.BAD_REQUEST, f"malformed header line {line[:80]!r}")
        key, value = name.decode().lower(), value.strip(b" \t").decode("latin-1")
        if key in headers and key in _SINGLE:
            raise HTTPError(HTTPStatus.BAD_REQUEST, f"the {key} header appears twice")
        headers[key] = f"{headers[key]}, {value}" if key in headers else value
    return method, target, version, headers


def body_length(headers, max_bytes):
    """The declared body length (0 without ``Content-Length``), refused above ``max_bytes``."""
    if "transfer-encoding" in headers:
        raise HTTPError(HTTPStatus.LENGTH_REQUIRED,
                        "send the body with a Content-Length header (no Transfer-Encoding)")
    text = headers.get("content-length", "0")
    if not (text.isascii() and text.isdigit()):
        raise HTTPError(HTTPStatus.BAD_REQUEST, f"Content-Length: expected a byte count, got {text[:40]!r}")
    if len(text) > 15 or int(text) > max_bytes:
        raise HTTPError(HTTPStatus.REQUEST_ENTITY_TOO_LARGE,
                        f"request body of {text[:40]} bytes; at most {max_bytes}")
    return int(text)


async def read_request(reader, writer, client, limits, on_first_byte=None):
    """The next request on a connection, or None when the client closed it or sent nothing
    within ``idle_seconds``. Raises :class:`HTTPError` (408, 413, 431, …) for a bad one;
    ``on_first_byte()`` is called when its first byte arrives."""
    try:
        first = await asyncio.wait_for(reader.readexactly(1), limits["idle_seconds"])
    except (asyncio.TimeoutError, asyncio.IncompleteReadError, ConnectionError):
        return None
    if on_first_byte is not None:
        on_first_byte()
    try:
        head = first + await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), limits["head_seconds"])
    except asyncio.TimeoutError:
        raise _late("head", limits["head_seconds"]) from None
    except asyncio.LimitOverrunError:
        raise HTTPError(HTTPStatus.REQUEST_HEADER_FIELDS_TOO_LARGE,
                        f"request head over {limits['max_head_bytes']} bytes") from None
    except (asyncio.IncompleteReadError, ConnectionError):
        return None
    method, target, version, headers = parse_head(head)
    length = body_length(headers, limits["max_body_bytes"])
    body = b""
    if length:
        if headers.get("expect", "").lower() == "100-continue":
            writer.write(b"HTTP/1.1 100 Continue\r\n\r\n")
        try:
            body = await asyncio.wait_for(reader.readexactly(length), limits["body_seconds"])
        except asyncio.TimeoutError:
            raise _late("body", limits["body_seconds"]) from None
        except (asyncio.IncompleteReadError, ConnectionError):
            return None
    return Request(method, target, version, headers, body, client)


def _late(stage, seconds):
    return HTTPError(HTTPStatus.REQUEST_TIMEOUT,
                     f"the request {stage} did not arrive within {seconds:g} s")


def encode_response(response, keep_alive, with_body=True):
    """The bytes of ``response``: status line, headers, and (unless HEAD) the body."""
    status = HTTPStatus(response.status)
    headers = [("Date", email.utils.formatdate(usegmt=True)), ("Server", "glassnet-playground"),
               ("Content-Type", response.content_type), ("Content-Length", str(len(response.body))),
               ("X-Content-Type-Options", "nosniff"),
               ("Content-Security-Policy", "default-src 'self'; img-src 'self' data: blob:")]
    if not any(name == "Cache-Control" for name, _ in response.headers):
        headers.append(("Cache-Control", "no-store"))
    headers += response.headers
    if not keep_alive:
        headers.append(("Connection", "close"))
    lines = [f"HTTP/1.1 {status.value} {status.phrase}"] + [f"{k}: {v}" for k, v in headers]
    head = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
    return head + response.body if with_body else head


async def write_response(writer, response, keep_alive, limits, with_body=True):
    """Send ``response``; False when the client did not take it within ``write_seconds``."""
    writer.write(encode_response(response, keep_alive, with_body))
    try:
        await asyncio.wait_for(writer.drain(), limits["write_seconds"])
    except (asyncio.TimeoutError, ConnectionError):
        return False
    return True


async def close_gently(reader, writer, linger_seconds, max_drain=1 << 20):
    """Half-close our side, drop what the client still sends (at most ``max_drain`` bytes,
    ``linger_seconds``), then close. See the module docstring for why."""
    try:
        if writer.can_write_eof():
            writer.write_eof()
        loop = asyncio.get_running_loop()
        end, dropped = loop.time() + linger_seconds, 0
        while dropped < max_drain and (left := end - loop.time()) > 0:
            chunk = await asyncio.wait_for(reader.read(65536), left)
            if not chunk:
                break
            dropped += len(chunk)
    except (asyncio.TimeoutError, ConnectionError, OSError):
        pass
    writer.close()
    try:
        await asyncio.wait_for(writer.wait_closed(), linger_seconds)
    except (asyncio.TimeoutError, ConnectionError, OSError):
        writer.transport.abort()
