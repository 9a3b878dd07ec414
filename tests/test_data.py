"""The loader: real parsing, checksum, atomic cache, offline errors, HTTP and file:// downloads."""

from __future__ import annotations

import io
import os
import shutil
import urllib.parse
import zipfile
from pathlib import Path

import pytest

from spamcheck.tooling.localserver import free_port  # a port nothing listens on
from spamcheck.training import data


def make_zip(path, content: bytes, name: str = data.DATA_FILENAME):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zipped:
        zipped.writestr(name, content)
        zipped.writestr("readme", b"test readme")
    path.write_bytes(buffer.getvalue())
    return path


@pytest.fixture
def good_zip(data_file, tmp_path):
    """The zip SPAMCHECK_DATA_URL names when it is a local file (in CI, the mirror of UCI's
    download, byte for byte); otherwise one made from the verified cache."""
    url = os.environ.get("SPAMCHECK_DATA_URL", "")
    if url.startswith("file://"):
        mirror = Path(urllib.parse.unquote(urllib.parse.urlsplit(url).path))
        return Path(shutil.copy(mirror, tmp_path / "good.zip"))
    return make_zip(tmp_path / "good.zip", data_file.read_bytes())


def test_parse_returns_every_message(messages):
    assert len(messages) == 5574
    assert messages["label"].value_counts().to_dict() == {"ham": 4827, "spam": 747}
    assert messages["y"].sum() == 747
    assert list(messages.columns) == ["label", "text", "y"]


def test_parse_keeps_messages_with_quotes(messages):
    # the two lines a default read_csv merges away
    assert messages["text"].str.contains('"').sum() > 0
    assert not messages["text"].str.contains("\n").any()


def test_duplicates_are_there(messages):
    assert messages["text"].duplicated().sum() == 403


def test_download_over_http_from_a_local_server(good_zip, httpserver, tmp_path):
    httpserver.expect_request("/sms.zip").respond_with_data(good_zip.read_bytes(), content_type="application/zip")
    path = data.download(tmp_path / "cache", url=httpserver.url_for("/sms.zip"), progress=False)
    assert data.sha256_file(path) == data.DATA_SHA256
    assert not list((tmp_path / "cache").glob("*.partial"))


def test_url_override_from_environment(good_zip, tmp_path, monkeypatch):
    monkeypatch.setenv("SPAMCHECK_DATA_URL", good_zip.as_uri())
    assert data.data_url() == good_zip.as_uri()
    path = data.download(tmp_path / "cache", progress=False)
    assert len(data.parse(path)) == 5574


def test_checksum_mismatch_is_refused_and_not_kept(data_file, tmp_path):
    tampered = data_file.read_bytes().replace(b"Free entry", b"Free entri", 1)
    bad = make_zip(tmp_path / "bad.zip", tampered)
    with pytest.raises(data.DataError, match="sha256.*not kept"):
        data.download(tmp_path / "cache", url=bad.as_uri(), progress=False)
    assert not (tmp_path / "cache" / data.DATA_FILENAME).exists()
    assert not list(tmp_path.rglob("*.partial"))


def test_offline_without_cache_says_what_to_do(tmp_path):
    url = f"http://127.0.0.1:{free_port()}/sms.zip"
    with pytest.raises(data.DataError, match="What to do") as error:
        data.download(tmp_path / "cache", url=url, retries=2, timeout=2, progress=False)
    assert url in str(error.value) and "SPAMCHECK_DATA_URL" in str(error.value)


def test_http_404_is_not_retried_and_is_explained(httpserver, tmp_path):
    httpserver.expect_request("/missing.zip").respond_with_data("not found", status=404)
    with pytest.raises(data.DataError, match="404"):
        data.download(tmp_path / "cache", url=httpserver.url_for("/missing.zip"), progress=False)
    assert len(httpserver.log) == 1, "a 404 will not get better: asked once"


def test_cached_file_is_reused_without_network(data_file, tmp_path):
    cache = tmp_path / "cache"
    cache.mkdir()
    (cache / data.DATA_FILENAME).write_bytes(data_file.read_bytes())
    url = f"http://127.0.0.1:{free_port()}/unreachable.zip"
    assert data.download(cache, url=url, progress=False) == cache / data.DATA_FILENAME


def test_damaged_cache_names_the_file(tmp_path):
    cache = tmp_path / "cache"
    cache.mkdir()
    (cache / data.DATA_FILENAME).write_text("ham\thello\n")
    with pytest.raises(data.DataError, match=str(cache / data.DATA_FILENAME)):
        data.download(cache, progress=False)


def test_zip_without_the_data_file_is_explained(tmp_path):
    wrong = make_zip(tmp_path / "wrong.zip", b"x", name="something_else.txt")
    with pytest.raises(data.DataError, match="expected a zip holding SMSSpamCollection"):
        data.download(tmp_path / "cache", url=wrong.as_uri(), progress=False)


def test_not_a_zip_is_explained(tmp_path):
    (tmp_path / "page.zip").write_text("<html>rate limited</html>")
    with pytest.raises(data.DataError, match="not the SMS Spam Collection zip"):
        data.download(tmp_path / "cache", url=(tmp_path / "page.zip").as_uri(), progress=False)


@pytest.mark.parametrize("line", ["spam no tab here", "maybe\tnot a label", ""])
def test_malformed_line_names_file_and_line(tmp_path, line):
    path = tmp_path / "SMSSpamCollection"
    path.write_text(f"ham\tfine\n{line}\nspam\talso fine\n" if line else "", encoding="utf-8")
    with pytest.raises(data.DataError, match=str(path)):
        data.parse(path)


def test_invalid_utf8_names_the_file(tmp_path):
    path = tmp_path / "SMSSpamCollection"
    path.write_bytes(b"ham\t\xff\xfe broken\n")
    with pytest.raises(data.DataError, match="not valid UTF-8"):
        data.parse(path)
