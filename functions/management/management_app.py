"""Management function: the Cloudflare-compatible API under /client/v4/, run through Mangum."""

from mangum import Mangum

from aigw.management.app import create_app

app = create_app()
handler = Mangum(app, lifespan="off")
