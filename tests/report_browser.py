"""Open a local HTML page in headless Chromium, as a person would in a browser: the DOM it shows, and a screenshot.

Chromium comes from Debian's ``chromium`` package (`make integration` installs it when missing). The browser runs
with a profile of its own in a temporary directory and with every background network feature off, so a page that
reached for anything outside itself would show it missing rather than fetch it.
"""

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

CANDIDATES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage", "--hide-scrollbars",
         "--mute-audio", "--no-default-browser-check"]


def find_chromium():
    """Path of the Chromium executable, or None. CHROMIUM overrides the search."""
    if os.environ.get("CHROMIUM"):
        return shutil.which(os.environ["CHROMIUM"]) or os.environ["CHROMIUM"]
    for name in CANDIDATES:
        found = shutil.which(name)
        if found:
            return found
    return None


class BrowserError(RuntimeError):
    pass


def _run(page, extra, timeout):
    chromium = find_chromium()
    if not chromium:
        raise BrowserError("Chromium is not installed: apt-get install chromium (Debian), or set CHROMIUM.")
    url = Path(page).resolve().as_uri()
    with tempfile.TemporaryDirectory(prefix="report-browser-") as profile:
        cmd = [chromium] + FLAGS + ["--user-data-dir=%s" % profile] + extra + [url]
        env = dict(os.environ, HOME=profile)  # nothing from the user's own browser profile or config
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=env, check=False)
    if done.returncode != 0:
        raise BrowserError("%s exited %d: %s" % (" ".join(cmd), done.returncode, done.stderr[-3000:]))
    return done


def dump_dom(page, timeout=60):
    """The DOM Chromium built from the page (after parsing and layout), as HTML text."""
    return _run(page, ["--dump-dom"], timeout).stdout


def screenshot(page, png, width=1400, height=1000, timeout=60):
    """A PNG of the page as Chromium draws it; returns its path."""
    _run(page, ["--screenshot=%s" % Path(png).resolve(), "--window-size=%d,%d" % (width, height)], timeout)
    if not Path(png).exists():
        raise BrowserError("Chromium wrote no screenshot to %s." % png)
    return Path(png)
