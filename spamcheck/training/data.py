"""Download, verify and parse the UCI SMS Spam Collection.

The real download comes from UCI. ``SPAMCHECK_DATA_URL`` overrides it (``http(s)://`` or
``file://``), which is how CI points it at an offline mirror. Whatever zip the file came out of,
the extracted ``SMSSpamCollection`` must match :data:`DATA_SHA256`.
"""

from __future__ import annotations

import io
import os
import urllib.error
import urllib.request
import zipfile
from pathlib import Path

import pandas as pd
import tenacity
from tqdm import tqdm  # text bars: a notebook stores them fully drawn (a widget stores its first frame)

from spamcheck.paths import (
    DEFAULT_DATA_DIR,
    sha256_bytes,
    sha256_file,
    write_atomically,
)
from spamcheck.serving.labels import LABELS, SPAM_NAME  # ham (0) and spam (1)

UCI_URL = "https://archive.ics.uci.edu/static/public/228/sms+spam+collection.zip"
DATA_SHA256 = "7d039a24a6083ed9ef0f806ebad56bbb976e3aeb8de05669173bfdc4996c239d"
DATA_FILENAME = "SMSSpamCollection"


class DataError(RuntimeError):
    """The data could not be downloaded, verified or parsed; the message says what to do."""


def data_url() -> str:
    return os.environ.get("SPAMCHECK_DATA_URL") or UCI_URL


def data_dir() -> Path:
    return Path(os.environ.get("SPAMCHECK_DATA_DIR") or DEFAULT_DATA_DIR)


def _read(url: str, timeout: float, progress: bool) -> bytes:
    """Read ``url`` into memory with a progress bar."""
    with urllib.request.urlopen(url, timeout=timeout) as response:
        total = int(response.headers.get("Content-Length") or 0) or None
        buffer = io.BytesIO()
        with tqdm(total=total, unit="B", unit_scale=True, desc="download", disable=not progress, leave=False) as bar:
            for block in iter(lambda: response.read(1 << 16), b""):
                buffer.write(block)
                bar.update(len(block))
        return buffer.getvalue()


def _transient(error: BaseException, url: str) -> bool:
    """Worth another try: not a 4xx, which will not get better, nor a missing local file."""
    if isinstance(error, urllib.error.HTTPError):
        return error.code >= 500
    return isinstance(error, (urllib.error.URLError, OSError, TimeoutError)) and not url.startswith("file:")


def _fetch(url: str, timeout: float, retries: int, progress: bool) -> bytes:
    """Read ``url``, retrying transient failures with backoff (2, 4, 8, then 10 s)."""
    retrying = tenacity.Retrying(
        stop=tenacity.stop_after_attempt(retries),
        wait=tenacity.wait_exponential(multiplier=2, max=10),
        retry=tenacity.retry_if_exception(lambda error: _transient(error, url)),
        reraise=True,
    )
    try:
        return retrying(_read, url, timeout, progress)
    except (urllib.error.URLError, OSError, TimeoutError) as last_error:
        raise DataError(
            f"Could not download the SMS Spam Collection from {url}: {last_error}.\n"
            f"What to do: check your network, or download {UCI_URL} by hand and either unzip "
            f"{DATA_FILENAME} into {data_dir()} or set SPAMCHECK_DATA_URL=file:///path/to/the.zip."
        ) from None


def _extract(archive: bytes, url: str) -> bytes:
    try:
        with zipfile.ZipFile(io.BytesIO(archive)) as zipped:
            return zipped.read(DATA_FILENAME)
    except (zipfile.BadZipFile, KeyError) as exc:
        raise DataError(
            f"{url} is not the SMS Spam Collection zip ({exc}); expected a zip holding {DATA_FILENAME} at its root."
        ) from exc


def download(
    dest_dir: Path | str | None = None,
    url: str | None = None,
    *,
    timeout: float = 30,
    retries: int = 3,
    progress: bool = True,
    force: bool = False,
) -> Path:
    """Make sure ``dest_dir/SMSSpamCollection`` exists and is the verified file; return its path.

    A cached file that already matches the checksum is reused. The file is written atomically
    (temporary file + rename), and only after its checksum matched, so a bad download leaves
    nothing behind.
    """
    dest_dir = Path(dest_dir) if dest_dir is not None else data_dir()
    url = url or data_url()
    target = dest_dir / DATA_FILENAME
    if target.exists() and not force:
        verify(target)
        return target
    content = _extract(_fetch(url, timeout, retries, progress), url)
    actual = sha256_bytes(content)
    if actual != DATA_SHA256:
        raise DataError(
            f"{DATA_FILENAME} from {url} has sha256 {actual}, expected {DATA_SHA256}; "
            "the file was not kept. Download it again from UCI."
        )
    dest_dir.mkdir(parents=True, exist_ok=True)
    write_atomically(target, content)
    return target


def verify(path: Path | str) -> None:
    """Raise :class:`DataError` naming ``path`` unless its sha256 is the published one."""
    path = Path(path)
    actual = sha256_file(path)
    if actual != DATA_SHA256:
        raise DataError(
            f"{path} has sha256 {actual}, expected {DATA_SHA256}. The file is damaged "
            f"or not the SMS Spam Collection: delete it and run `make data` again."
        )


def parse(path: Path | str) -> pd.DataFrame:
    """Parse ``label<TAB>message`` lines into a DataFrame with columns ``label``, ``text``, ``y``.

    Deliberately not ``pd.read_csv(sep="\\t")``: messages contain unbalanced ``"`` characters and
    the default quoting silently merges lines (5,572 rows instead of 5,574).
    """
    path = Path(path)
    labels, texts = [], []
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except UnicodeDecodeError as exc:
        raise DataError(f"{path} is not valid UTF-8 ({exc}).") from exc
    for number, line in enumerate(lines, start=1):
        label, sep, text = line.partition("\t")
        if not sep or label not in LABELS:
            raise DataError(
                f"{path}, line {number}: expected 'ham' or 'spam', a TAB, then the message; got {line[:60]!r}."
            )
        labels.append(label)
        texts.append(text)
    if not labels:
        raise DataError(f"{path} holds no messages.")
    frame = pd.DataFrame({"label": labels, "text": texts})
    frame["y"] = (frame["label"] == SPAM_NAME).astype(int)
    return frame


def load(dest_dir: Path | str | None = None, **download_args) -> pd.DataFrame:
    """Download (or reuse the cache), verify and parse: the one call the notebooks make."""
    return parse(download(dest_dir, **download_args))


def main() -> None:
    """``python -m spamcheck.training.data``: download and verify the data (what ``make data`` runs)."""
    try:
        frame = load()
    except DataError as exc:
        raise SystemExit(f"error: {exc}") from None
    counts = frame["label"].value_counts()
    print(
        f"{data_dir() / DATA_FILENAME}: sha256 verified, {len(frame):,} messages "
        f"({counts['ham']:,} ham, {counts['spam']:,} spam)"
    )


if __name__ == "__main__":
    main()
