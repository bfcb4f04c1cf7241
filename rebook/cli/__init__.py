"""The `rebook` command line: operators manage workspaces, their settings and API keys.

An entrypoint like the API and the worker: it loads Settings from the environment
(DATABASE_URL, CREDENTIALS_KEY) and calls the same services the API does. Its writes are
recorded in each workspace's audit log (actor "cli").
"""
