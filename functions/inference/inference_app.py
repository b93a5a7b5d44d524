"""Inference function. Deployed under uvicorn behind the Lambda Web Adapter (run.sh) so responses
stream; `handler` runs the same app through Mangum for replayed API Gateway events."""

from mangum import Mangum

from aigw.inference.app import create_app

app = create_app()
handler = Mangum(app, lifespan="off")
