import logging

import pytest

from pipelines.reports.fetcher import RefusedURL, TemplateOnlyURLFetcher
from pipelines.settings import TEMPLATES_DIR


@pytest.fixture
def fetcher():
    return TemplateOnlyURLFetcher(TEMPLATES_DIR)


@pytest.mark.parametrize(
    "url",
    [
        "file:///etc/passwd",
        "http://127.0.0.1/",
        "https://example.org/logo.png",
        "ftp://127.0.0.1/x",
        TEMPLATES_DIR.as_uri() + "/../pyproject.toml",
        TEMPLATES_DIR.as_uri() + "/%2e%2e/pyproject.toml",
        "file://otherhost" + str(TEMPLATES_DIR / "style.css"),
    ],
)
def test_everything_outside_the_templates_is_refused_and_logged(fetcher, caplog, url):
    with caplog.at_level(logging.WARNING, logger="pipelines.reports.fetcher"), pytest.raises(RefusedURL):
        fetcher.fetch(url)
    assert fetcher.refused == [url]
    assert fetcher.served == []
    assert "refused to fetch" in caplog.text and url in caplog.text


def test_a_symlink_inside_the_templates_to_a_file_outside_is_refused(tmp_path):
    templates = tmp_path / "templates"
    templates.mkdir()
    (tmp_path / "secret.txt").write_text("secret")
    (templates / "innocent.css").symlink_to(tmp_path / "secret.txt")
    with pytest.raises(RefusedURL, match="outside the template folder"):
        TemplateOnlyURLFetcher(templates).fetch((templates / "innocent.css").as_uri())


def test_template_files_and_data_urls_are_served(fetcher):
    css = fetcher.fetch((TEMPLATES_DIR / "style.css").as_uri())
    assert css.content_type == "text/css"
    assert b"@page" in css.read()
    data = fetcher.fetch("data:text/plain;base64,aGVsbG8=")
    assert data.read() == b"hello"
    assert fetcher.refused == []
