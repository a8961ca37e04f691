"""Imported first in the fork server (fork_server.py) and nowhere else: the server inherits the driver's
stdout, which in `verify.py --stdin` is the stream of verdicts kforge parses, so anything an import
prints there (a library's notice) goes to stderr instead. Each forked worker points both at its log.
Then the worker module, torch with it: what every fork starts with. (Preloaded through this module only,
so that the server's command line does not name the worker: `ps` shows workers as workers.)"""
import os

os.dup2(2, 1)

from . import worker  # noqa: E402,F401
