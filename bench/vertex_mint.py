"""Cost of minting a Vertex access token's assertion with google-auth (import once, then per
mint: parse the stored PEM key and sign). Run: .venv/bin/python bench/vertex_mint.py

Measured when google-auth replaced the hand-rolled JWT signer (same machine, same key): import
136 ms vs 50 ms of `cryptography`; per mint 36.3 ms vs 36.4 ms (median of 200)."""

from __future__ import annotations

import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

IMPORT = ("import time; t = time.perf_counter(); import google.oauth2.service_account, "
          "google.auth.transport.urllib3; print((time.perf_counter() - t) * 1000)")


def main() -> None:
    imports = sorted(float(subprocess.check_output([sys.executable, "-c", IMPORT], text=True))
                     for _ in range(5))
    from google.oauth2 import service_account

    from aigw.google_auth import SCOPE
    from tests.fakes import credentials as keys

    sa = keys.vertex_service_account()
    samples = []
    for _ in range(200):
        started = time.perf_counter()
        credentials = service_account.Credentials.from_service_account_info(sa, scopes=[SCOPE])
        credentials._make_authorization_grant_assertion()  # noqa: SLF001 - what refresh() signs
        samples.append((time.perf_counter() - started) * 1000)
    print(f"import google-auth: {imports[2]:.0f} ms (median of 5 fresh interpreters)")
    print(f"per mint (parse key + sign): {statistics.median(samples):.1f} ms (median of 200)")


if __name__ == "__main__":
    main()
