"""A warm process that forks `partner-reports` runs on request (tests/test_crash_safety.py).

Importing Dagster and the code location takes about 2 s; forking this process instead
starts a run in milliseconds. One request per line on standard input (JSON: argv, env,
log); one answer per line on standard output (JSON: pid, then status when it ended).
A run is the forked child and everything it starts; the child never returns here.
"""

import gc
import json
import os
import sys

import weasyprint

import pipelines.reports.render  # noqa: F401  (WeasyPrint and the templates, for the child)
from pipelines.cli import main


def warm() -> None:
    """What every run would otherwise pay again: WeasyPrint's first render (fonts, Pango).
    Then freeze the heap, so that a child's garbage collector does not copy every page of it."""
    weasyprint.HTML(string="<p>warm</p>").write_pdf()
    gc.freeze()


def serve() -> None:
    warm()
    for line in sys.stdin:
        request = json.loads(line)
        pid = os.fork()
        if pid == 0:
            fd = os.open(request["log"], os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
            os.dup2(fd, 1)
            os.dup2(fd, 2)
            os.environ.update(request["env"])
            try:
                code = main(request["argv"])
            except BaseException:  # noqa: BLE001
                import traceback

                traceback.print_exc()
                code = 99
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(code)
        print(json.dumps({"pid": pid}), flush=True)
        _, status = os.waitpid(pid, 0)
        print(json.dumps({"pid": pid, "status": status}), flush=True)


if __name__ == "__main__":
    serve()
