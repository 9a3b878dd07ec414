"""gunicorn settings for the spamcheck service (`gunicorn -c app/gunicorn.conf.py 'app.app:create_app()'`).

Every value can be changed from the environment; the defaults suit a 2-core machine or a pod
with a limit of about one CPU per worker.
"""

import multiprocessing
import os
import shutil
import tempfile

# Listen on loopback unless told otherwise; the container image sets HOST=0.0.0.0.
bind = f"{os.environ.get('HOST', '127.0.0.1')}:{os.environ.get('PORT', '5000')}"
# Prediction is CPU-bound and holds the GIL, so parallelism comes from processes: one per core.
# Sync workers beat threaded ones on /predict throughput and p99 latency (`make bench`; the figures
# are in docs/speed.md), because threads only contend for the GIL.
# Behind a slow network without a buffering proxy, set GUNICORN_THREADS=2 or more (gthread).
workers = int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count()))
threads = int(os.environ.get("GUNICORN_THREADS", "1"))
worker_class = "gthread" if threads > 1 else "sync"
# A worker silent for this long is killed and replaced; the largest batch takes far less.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
# On SIGTERM (docker stop, Kubernetes) finish in-flight requests for up to this long.
graceful_timeout = int(os.environ.get("GUNICORN_GRACEFUL_TIMEOUT", "20"))
keepalive = 5
# Recycle workers now and then so a slow leak can never grow without bound; jitter keeps them
# from restarting together.
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "100000"))
max_requests_jitter = max_requests // 2
# Load the app (and the model) once in the master, then fork: a recycled worker is ready at once
# instead of re-importing scikit-learn and re-reading the pickles, which stalled every connection
# when both workers recycled under load (`make bench`).
# Forked workers also share the model's memory pages.
preload_app = True
# The app writes one line per request itself (with its request id), so no gunicorn access log.
accesslog = None
errorlog = "-"
loglevel = os.environ.get("LOG_LEVEL", "info")
# Heartbeat files go to a tmpfs-friendly place, so the image runs with a read-only root.
worker_tmp_dir = os.environ.get("GUNICORN_TMP_DIR", "/tmp")
# Request lines: gunicorn's own limit (8,190 bytes) is below what GET /predict takes, so 0: gunicorn
# reads a line up to 1 MiB, and the app answers a request target over 64 KiB with its own JSON 414
# (spamcheck.serving.settings.MAX_REQUEST_TARGET_BYTES). Header fields: gunicorn's default, stated.
limit_request_line = 0
limit_request_fields = 100
# gunicorn 27's control socket (for `gunicornc`) would be created under $HOME, which does not
# exist in the image and is read-only in a hardened pod; nothing here uses it.
control_socket_disable = True

# Prometheus metrics across workers (prometheus_client's multiprocess mode): each worker writes its
# values to files in one folder, and /metrics adds them up. gunicorn makes that folder, fresh, inside
# the one PROMETHEUS_MULTIPROC_DIR names (default: /tmp, memory-backed in the image and the Pod, so a
# read-only root filesystem keeps working), and removes only that folder at exit: no earlier run's
# counts leak in, and nothing else in the named folder is touched. It must be set before the app
# (and prometheus_client) is imported.
_metrics_parent = os.environ.get("PROMETHEUS_MULTIPROC_DIR") or worker_tmp_dir
os.makedirs(_metrics_parent, exist_ok=True)
os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="spamcheck-metrics-", dir=_metrics_parent)


def when_ready(server):
    """After the master loaded the app, before it forks the workers: freeze every object it made, so
    that the workers' garbage collector never writes to them and their memory pages stay shared
    (what it saves: docs/speed.md)."""
    import gc

    gc.freeze()


def child_exit(server, worker):
    """A worker died or was recycled: its live gauges (in-flight requests) no longer count."""
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid, os.environ["PROMETHEUS_MULTIPROC_DIR"])


def on_exit(server):
    shutil.rmtree(os.environ["PROMETHEUS_MULTIPROC_DIR"], ignore_errors=True)
