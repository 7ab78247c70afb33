"""Regenerates serializers.json: golden bytes made by Python itself, not by our code.

json     = json.dumps(data, separators=(",", ":"), ensure_ascii=False)   -> our `Json`
django   = json.dumps(data, separators=(",", ":"))                       -> our `DjangoJson`
msgpack  = msgpack.packb(data) (msgpack 1.x, use_bin_type=True)          -> our `MessagePack`

Run: python3 make_vectors.py > serializers.json   (needs `pip install msgpack`)
"""
import json

import msgpack

CASES = [
    ("empty", {}),
    ("hello", {"hello": "world"}),
    ("auth", {"_auth_user_id": "1", "_auth_user_backend": "django.contrib.auth.backends.ModelBackend"}),
    ("demo", {"member_id": 1, "has_commented": True, "cart": [1, 2, 3, 4, 5], "username": "alice",
              "_session_expiry": 300}),
    ("unicode", {"unicode": "Zoë ☃ 😀", "escapes": "\"\\/\n\r\t\b\f\u0000\u001f\u007f"}),
    ("numbers", {"ints": [0, -1, 127, 128, 255, 256, 65535, 65536, -32, -33, 2**32, 2**63 - 1, -(2**63)],
                 "floats": [1.0, 0.5, -2.25]}),
    ("nested", {"nested": {"a": [1, {"b": None}], "t": True, "f": False}, "z": "last", "a": "order kept"}),
    ("expiry_iso", {"_session_expiry": "2030-01-01T00:00:00+00:00"}),
]

out = []
for name, data in CASES:
    out.append({
        "name": name,
        "json": json.dumps(data, separators=(",", ":"), ensure_ascii=False),
        "django_json": json.dumps(data, separators=(",", ":")),
        "msgpack_hex": msgpack.packb(data).hex(),
    })
print(json.dumps(out, indent=1, ensure_ascii=False))
