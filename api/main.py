"""Process entrypoint: the only place in the API that loads Settings.

uvicorn api.main:app_factory --factory
python -m api.main              # same, on settings.api_host:api_port
"""

from __future__ import annotations

import logging

import uvicorn
from fastapi import FastAPI

from api.app import create_app
from rebook.settings import Settings


def app_factory() -> FastAPI:
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    return create_app(Settings())


def main() -> None:
    settings = Settings()
    uvicorn.run(
        "api.main:app_factory", factory=True, host=settings.api_host, port=settings.api_port
    )


if __name__ == "__main__":
    main()
