"""The only way WeasyPrint may read anything while rendering a report.

Partner names and titles are untrusted. They are autoescaped, so they cannot become
markup; this fetcher is the second wall in case something slips through: it serves
files under the template folder (stylesheet, fonts) and `data:` URLs (the embedded
charts) and refuses everything else — other files, http(s), ftp — with a log line.
"""

from __future__ import annotations

import logging
import mimetypes
from pathlib import Path
from urllib.parse import unquote, urlsplit
from urllib.request import url2pathname

from weasyprint.urls import URLFetcher, URLFetcherResponse

log = logging.getLogger(__name__)


class RefusedURL(ValueError):
    """A URL the report renderer is not allowed to read."""


class TemplateOnlyURLFetcher(URLFetcher):
    """Serves `file:` URLs inside `allowed_dir` and `data:` URLs; refuses the rest.

    `served` and `refused` list the URLs asked for, so a caller (or a test) can see
    exactly what a rendering tried to read.
    """

    def __init__(self, allowed_dir: Path, **kwargs):
        super().__init__(allow_redirects=False, **kwargs)
        self.allowed_dir = Path(allowed_dir).resolve()
        self.served: list[str] = []
        self.refused: list[str] = []

    def fetch(self, url, headers=None):
        scheme = urlsplit(url).scheme.lower()
        if scheme == "data":
            response = super().fetch(url, headers)
        elif scheme == "file":
            response = self._fetch_template_file(url)
        else:
            self._refuse(url, f"scheme {scheme or '(none)'!r} is not allowed")
        self.served.append(url if scheme != "data" else url[:40] + "...")
        return response

    def _fetch_template_file(self, url: str) -> URLFetcherResponse:
        parts = urlsplit(url)
        if parts.netloc not in ("", "localhost"):
            self._refuse(url, "file URLs on other hosts are not allowed")
        # resolve() follows symlinks and removes '..', so the check sees the real file.
        path = Path(url2pathname(unquote(parts.path))).resolve()
        if not path.is_relative_to(self.allowed_dir):
            self._refuse(url, f"outside the template folder {self.allowed_dir}")
        if not path.is_file():
            self._refuse(url, "no such file in the template folder")
        content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        return URLFetcherResponse(path.as_uri(), body=path.read_bytes(), headers={"Content-Type": content_type})

    def _refuse(self, url: str, reason: str):
        self.refused.append(url)
        log.warning("refused to fetch %s while rendering a report: %s", url, reason)
        raise RefusedURL(f"refused {url}: {reason}")
