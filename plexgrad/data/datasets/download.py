"""Fetching dataset files from public mirrors, with MD5 verification."""

__all__ = ["download_file", "md5_of", "DownloadError"]

import hashlib
import os
import socket


class DownloadError(RuntimeError):
    """No mirror delivered the file (no network, or every copy failed its checksum)."""


def md5_of(path, chunk_size=1 << 20):
    digest = hashlib.md5()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(chunk_size), b""):
            digest.update(chunk)
    return digest.hexdigest()


def download_file(mirrors, filename, md5, folder, timeout=30):
    """Download ``filename`` into ``folder`` from the first mirror that works and whose copy has
    checksum ``md5``; returns the path. Raises DownloadError listing what each mirror answered."""
    import urllib.error  # imported here: urllib.request costs a third of a second at import
    import urllib.request
    os.makedirs(folder, exist_ok=True)
    target = os.path.join(folder, filename)
    failures = []
    unreachable = 0
    unresolved = 0
    for mirror in mirrors:
        url = mirror + filename
        partial = target + ".part"
        try:
            with urllib.request.urlopen(url, timeout=timeout) as response, open(partial, "wb") as handle:
                while True:
                    chunk = response.read(1 << 20)
                    if not chunk:
                        break
                    handle.write(chunk)
        except (urllib.error.URLError, OSError, ValueError) as error:
            failures.append(f"{url}: {getattr(error, 'reason', error)}")
            unreachable += 1
            if isinstance(getattr(error, "reason", error), socket.gaierror):
                unresolved += 1
            if os.path.exists(partial):
                os.remove(partial)
            continue
        found = md5_of(partial)
        if found != md5:
            failures.append(f"{url}: checksum mismatch (MD5 {found}, expected {md5})")
            os.remove(partial)
            continue
        os.replace(partial, target)
        return target
    if unresolved == len(mirrors):
        cause = "no network connection: the mirrors' host names do not resolve"
    elif unreachable == len(mirrors):
        cause = "none of the mirrors could be reached; is there a network connection?"
    else:
        cause = "every copy failed"
    raise DownloadError(f"could not download {filename} ({cause}). Tried:\n  " + "\n  ".join(failures))
