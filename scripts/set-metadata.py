#!/usr/bin/env python3
"""Set string metadata in a safetensors file's header; tensors are copied byte for byte.

    scripts/set-metadata.py IN.safetensors OUT.safetensors key=value [key=value ...]

OUT may equal IN (written to OUT.tmp, then renamed). Used to try sampling defaults such as
pictor.guidance_max_t or pictor.shift on copies of the shipped weights.
"""
import json
import os
import struct
import sys


def main(argv):
    if len(argv) < 4 or any("=" not in kv for kv in argv[3:]):
        sys.exit("usage: set-metadata.py IN.safetensors OUT.safetensors key=value [key=value ...]")
    src, dst = argv[1], argv[2]
    with open(src, "rb") as f:
        raw = f.read(8)
        if len(raw) != 8:
            sys.exit(f"{src}: not a safetensors file (shorter than 8 bytes)")
        (header_len,) = struct.unpack("<Q", raw)
        if header_len > 100_000_000:
            sys.exit(f"{src}: header length {header_len} is implausible")
        header = json.loads(f.read(header_len))
        data = f.read()
    meta = header.setdefault("__metadata__", {})
    for kv in argv[3:]:
        key, value = kv.split("=", 1)
        meta[key] = value
    encoded = json.dumps(header, separators=(",", ":")).encode()
    encoded += b" " * (-len(encoded) % 8)  # keep the data 8-byte aligned
    tmp = dst + ".tmp"
    with open(tmp, "wb") as f:
        f.write(struct.pack("<Q", len(encoded)))
        f.write(encoded)
        f.write(data)
    os.replace(tmp, dst)


if __name__ == "__main__":
    main(sys.argv)
