"""One container of an image, published on a free port of 127.0.0.1, with the engine here (docker or
podman): the one helper the tests and the drills start containers with."""

from __future__ import annotations

import subprocess
import time
import uuid

from spamcheck.tooling.localserver import free_port, wait_until_up


class Container:
    """``ENGINE run -d -p 127.0.0.1:PORT:5000 [options] IMAGE``, ready once ``ready_path`` answers.

    Use it as a context manager, or call :meth:`remove`; a container that never gets ready is
    removed, and the error carries the end of its log.
    """

    def __init__(self, engine: str, image: str, *options: str, ready_path="/readyz", name_prefix="spamcheck", poll=0.2):
        self.engine, self.image = engine, image
        self.name, self.port = f"{name_prefix}-{uuid.uuid4().hex[:8]}", free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        started = time.monotonic()
        self.command("run", "-d", "--name", self.name, "-p", f"127.0.0.1:{self.port}:5000", *options, image)
        try:
            wait_until_up(self.url + ready_path, seconds=90, every=poll)
            self.seconds_to_ready = time.monotonic() - started  # from `run` to the first answer
        except Exception as exc:
            logs = self.logs()
            self.remove()
            raise RuntimeError(f"{image} did not answer {ready_path}: {exc}\n{logs[-2000:]}") from exc

    def command(self, *args: str, check=True, timeout: float = 120) -> subprocess.CompletedProcess:
        """One engine command, its output captured as text."""
        return subprocess.run([self.engine, *args], capture_output=True, text=True, timeout=timeout, check=check)

    def logs(self) -> str:
        done = self.command("logs", self.name, check=False)
        return done.stdout + done.stderr

    def stop(self, timeout: int) -> None:
        """``ENGINE stop -t TIMEOUT``: SIGTERM, then SIGKILL after ``timeout`` seconds."""
        self.command("stop", "-t", str(timeout), self.name, timeout=timeout + 60)

    def exit_code(self) -> int:
        return int(self.command("inspect", self.name, "--format", "{{.State.ExitCode}}").stdout.strip())

    def remove(self) -> None:
        self.command("rm", "-f", self.name, check=False)

    def __enter__(self) -> Container:
        return self

    def __exit__(self, *exc) -> None:
        self.remove()
