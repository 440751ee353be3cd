"""The styles and scripts in static/, under names that carry a digest of their bytes.

At app start every file in static/ is read once and named after its digest (`site.css` ->
`site.3f2a9c1e.css`); pages link to that name (`{{ static_url('site.css') }}`), served with
`Cache-Control: public, max-age=31536000, immutable`: a browser or proxy keeps it for a year and
never asks again, and a changed file gets a new name, so nobody sees an old one. The plain name
still answers (an old page in a cache, a bookmark), kept only a few minutes. Files are served from
memory (they are a few kilobytes); nothing outside static/, no folder, no hidden file.
"""

from __future__ import annotations

import hashlib
import mimetypes
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from flask import Flask, Response, abort, current_app, request, url_for

from .language import BASE_KEY

KEY = "helpdesk.static_files"
IMMUTABLE = "public, max-age=31536000, immutable"  # a year: the name changes with the bytes
PLAIN_NAME = "public, max-age=300"  # the unhashed name: its bytes change with a deployment


@dataclass(frozen=True)
class StaticFile:
    name: str  # as in static/: "site.css", "vendor/x.js"
    hashed: str  # "site.3f2a9c1e.css"
    body: bytes
    mimetype: str
    digest: str
    modified: datetime


class StaticFiles:
    """What static/ held when the app started, by plain and by hashed name."""

    def __init__(self, folder: Path) -> None:
        self.by_name: dict[str, StaticFile] = {}
        self.by_hashed: dict[str, StaticFile] = {}
        self.urls: dict[tuple[str, str], str] = {}  # (name, script root): the address pages link to
        if not folder.is_dir():
            return
        for path in sorted(folder.rglob("*")):
            relative = path.relative_to(folder)
            if not path.is_file() or any(part.startswith(".") for part in relative.parts):
                continue
            body = path.read_bytes()
            digest = hashlib.sha256(body).hexdigest()
            name = relative.as_posix()
            hashed = relative.with_name(f"{relative.stem}.{digest[:8]}{relative.suffix}").as_posix()
            found = StaticFile(
                name=name,
                hashed=hashed,
                body=body,
                mimetype=mimetypes.guess_type(name)[0] or "application/octet-stream",
                digest=digest,
                modified=datetime.fromtimestamp(int(path.stat().st_mtime), UTC),
            )
            self.by_name[name] = found
            self.by_hashed[hashed] = found

    def digests(self) -> list[str]:
        return [f"{f.name}:{f.digest}" for f in self.by_name.values()]

    def url_name(self, name: str) -> str:
        """The hashed name pages link to (the plain one for a file static/ does not hold)."""
        found = self.by_name.get(name)
        return found.hashed if found else name


def static_url(name: str) -> str:
    """`{{ static_url('site.css') }}`: the address of a static file under its hashed name."""
    files: StaticFiles = current_app.extensions[KEY]
    root = request.script_root
    base = request.environ.get(BASE_KEY, root)  # /es/…: the same files, the same addresses
    key = (name, base)
    found = files.urls.get(key)
    if found is None:  # the same for every request: built once
        found = url_for("static", filename=files.url_name(name))
        found = files.urls[key] = base + found[len(root) :]
    return found


def cache_control_for(files: StaticFiles, name: str) -> str:
    return IMMUTABLE if name in files.by_hashed else PLAIN_NAME


def serve(filename: str) -> Response:
    """The static route (web/fast_paths.py answers the same before Flask is asked)."""
    files: StaticFiles = current_app.extensions[KEY]
    found = files.by_hashed.get(filename) or files.by_name.get(filename)
    if found is None:
        abort(404)
    response = Response(found.body, mimetype=found.mimetype)
    response.headers["Cache-Control"] = cache_control_for(files, filename)
    response.set_etag(found.digest[:32])
    response.last_modified = found.modified
    response.make_conditional(request)  # in place (it returns itself, typed as werkzeug's)
    return response


def register(app: Flask, folder: Path) -> StaticFiles:
    """Serve *folder* at /static/ (the endpoint keeps Flask's name, "static")."""
    files = StaticFiles(folder)
    app.extensions[KEY] = files
    app.add_url_rule("/static/<path:filename>", endpoint="static", view_func=serve)
    app.jinja_env.globals["static_url"] = static_url
    return files
