"""gunicorn for the load test: only what the command line does not say.

Given explicitly (`--config python:bench.gunicorn_config`) so that a server's own
gunicorn.conf.py, if the project grows one, does not change what is measured.
"""

accesslog = None
errorlog = "-"
loglevel = "warning"
timeout = 60
# Each worker keeps its database connection (CONN_MAX_AGE in bench.settings).
preload_app = False
