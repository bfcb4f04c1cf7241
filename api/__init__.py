"""HTTP API v1: booking platforms create appointments and report events; each appointment
runs as one Temporal workflow. Entry point: api.main (uvicorn factory) -> api.app.create_app.
"""
