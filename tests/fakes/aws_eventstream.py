"""A small encoder for the AWS event-stream binary framing (`application/vnd.amazon.eventstream`).

One message on the wire:

    prelude   total length (uint32 BE) | headers length (uint32 BE) | CRC32 of those 8 bytes
    headers   repeated: name length (uint8) | name | type (uint8, 7 = string)
              | value length (uint16 BE) | value
    payload   raw bytes (JSON for Bedrock)
    trailer   CRC32 of everything before it (uint32 BE)

The fake Bedrock upstream frames its streams with this; the tests decode the output with
botocore's own `EventStreamBuffer` to prove the framing is what AWS clients expect.
"""

from __future__ import annotations

import json
import struct
import zlib
from collections.abc import Mapping
from typing import Any

__all__ = [
    "CONTENT_TYPE",
    "encode_event",
    "encode_exception",
    "encode_json_event",
    "encode_message",
]

CONTENT_TYPE = "application/vnd.amazon.eventstream"

_STRING_HEADER_TYPE = 7
_PRELUDE_LENGTH = 8
_CRC_LENGTH = 4


def _crc32(data: bytes, start: int = 0) -> int:
    return zlib.crc32(data, start) & 0xFFFFFFFF


def _encode_headers(headers: Mapping[str, str]) -> bytes:
    out = bytearray()
    for name, value in headers.items():
        raw_name = name.encode("utf-8")
        raw_value = value.encode("utf-8")
        if len(raw_name) > 0xFF or len(raw_value) > 0xFFFF:
            raise ValueError(f"event-stream header too long: {name}")
        out += struct.pack(">B", len(raw_name)) + raw_name
        out += struct.pack(">BH", _STRING_HEADER_TYPE, len(raw_value)) + raw_value
    return bytes(out)


def encode_message(headers: Mapping[str, str], payload: bytes) -> bytes:
    """Encode one event-stream message with string headers and a raw payload."""
    raw_headers = _encode_headers(headers)
    total = _PRELUDE_LENGTH + _CRC_LENGTH + len(raw_headers) + len(payload) + _CRC_LENGTH
    prelude = struct.pack(">II", total, len(raw_headers))
    prelude_crc = struct.pack(">I", _crc32(prelude))
    body = prelude + prelude_crc + raw_headers + payload
    return body + struct.pack(">I", _crc32(body))


def _json_bytes(value: Any) -> bytes:
    return json.dumps(value, separators=(",", ":")).encode("utf-8")


def encode_event(event_type: str, payload: bytes,
                 content_type: str = "application/json") -> bytes:
    """An `event` message, e.g. a ConverseStream `contentBlockDelta` or an invoke `chunk`."""
    return encode_message(
        {":event-type": event_type, ":content-type": content_type, ":message-type": "event"},
        payload,
    )


def encode_json_event(event_type: str, body: Mapping[str, Any]) -> bytes:
    return encode_event(event_type, _json_bytes(body))


def encode_exception(exception_type: str, message: str) -> bytes:
    """An `exception` message, e.g. `modelStreamErrorException`, as Bedrock sends mid-stream."""
    return encode_message(
        {":exception-type": exception_type, ":content-type": "application/json",
         ":message-type": "exception"},
        _json_bytes({"message": message}),
    )
