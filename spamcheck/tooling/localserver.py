"""Run a real server on a free port of 127.0.0.1: the service under gunicorn (tests, `make bench`), or
the article's app under `python3 -m flask run` in its folder (tests of the article's path)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import tenacity

from spamcheck.paths import ROOT


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def until(condition, seconds: float, every: float = 0.2) -> None:
    """Ask ``condition()`` every ``every`` seconds until it is true; TimeoutError after ``seconds``."""
    retrying = tenacity.Retrying(
        stop=tenacity.stop_after_delay(seconds),
        wait=tenacity.wait_fixed(every),
        retry=tenacity.retry_if_result(lambda met: not met),
    )
    try:
        retrying(condition)
    except tenacity.RetryError:
        raise TimeoutError(f"not met within {seconds} s") from None


def wait_until_up(url: str, seconds: float = 60, process=None, every: float = 0.2) -> None:
    """Until ``url`` answers 2xx or 3xx (asked every ``every`` seconds); a server ``process`` that
    exits first is an error at once."""

    def answers() -> None:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode} before answering {url}")
        urllib.request.urlopen(url, timeout=2).close()

    retrying = tenacity.Retrying(
        stop=tenacity.stop_after_delay(seconds),
        wait=tenacity.wait_fixed(every),
        retry=tenacity.retry_if_exception_type(OSError),  # URLError and ConnectionError are OSErrors
        reraise=True,
    )
    try:
        retrying(answers)
    except OSError as exc:
        raise TimeoutError(f"{url} did not answer within {seconds} s ({exc})") from None


class Server:
    """A server as a subprocess, its output in ``log_path``; started by the subclasses."""

    def __init__(self, command: list[str], cwd, environment: dict, log_path, port: int, ready_path: str):
        self.port = port
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = log_path
        self.log = open(log_path, "w")
        self.process = subprocess.Popen(command, cwd=cwd, env=environment, stdout=self.log, stderr=subprocess.STDOUT)
        try:
            wait_until_up(self.url + ready_path, process=self.process)
        except Exception:
            self.stop()
            raise

    def logs(self) -> str:
        if not self.log.closed:
            self.log.flush()
        return Path(self.log_path).read_text()

    def stop(self, timeout: float = 30) -> tuple[int, float]:
        """SIGTERM, as `docker stop` and Kubernetes send; return (exit code, seconds taken)."""
        started = time.monotonic()
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log.close()
        return self.process.returncode, time.monotonic() - started


class FlaskRun(Server):
    """The article's app: `python3 -m flask run` in its folder (``app.py`` and the two pickles)."""

    def __init__(self, folder, log_path, port: int | None = None):
        environment = {key: value for key, value in os.environ.items() if key != "ARTICLE_DIR"}
        port = port or free_port()
        command = [sys.executable, "-m", "flask", "run", "--port", str(port)]
        super().__init__(command, folder, environment, log_path, port, "/")


class Gunicorn(Server):
    """gunicorn with app/gunicorn.conf.py as a subprocess on a free port of 127.0.0.1."""

    def __init__(self, model_dir, log_path, port: int | None = None, **env):
        port = port or free_port()
        environment = {
            **os.environ,
            "MODEL_DIR": str(model_dir),
            "HOST": "127.0.0.1",
            "PORT": str(port),
            "WEB_CONCURRENCY": "2",
            **{k: str(v) for k, v in env.items()},
        }
        command = [sys.executable, "-m", "gunicorn", "-c", "app/gunicorn.conf.py", "app.app:create_app()"]
        super().__init__(command, ROOT, environment, log_path, port, "/healthz")
        try:
            self._wait_for_workers(int(environment["WEB_CONCURRENCY"]))
        except Exception:
            self.stop()
            raise

    def _wait_for_workers(self, count: int, seconds: float = 30) -> None:
        """The first worker answers before the others are forked: wait for all of them."""
        try:
            until(lambda: len(self.workers()) >= count, seconds, every=0.05)
        except TimeoutError:
            raise TimeoutError(f"gunicorn started {len(self.workers())} of {count} workers in {seconds} s") from None

    def pss_mb(self) -> float:
        """Memory of the master and its workers, in MB: PSS, which counts the pages they share once."""
        import psutil

        master = psutil.Process(self.process.pid)
        return sum(process.memory_full_info().pss for process in [master, *master.children()]) / 1e6

    def workers(self) -> list[int]:
        """The pids of the worker processes (the master's children)."""
        import psutil

        return sorted(child.pid for child in psutil.Process(self.process.pid).children())
