"""Management function: the Cloudflare-compatible API under /client/v4/ and the web console at
/dashboard (its files sit beside this module, in `dashboard/`), run through Mangum."""

from pathlib import Path

from mangum import Mangum

from aigw.management.app import create_app

app = create_app(dashboard_dir=Path(__file__).resolve().parent / "dashboard")
handler = Mangum(app, lifespan="off")
