"""The course's datasets, found offline first and downloaded (with a checksum) only as a last resort.

Where a file is looked for, in order:
1. the course cache, ``$LLMCOURSE_CACHE`` or ``~/.cache/llmcourse``;
2. the directory named by ``$LLMCOURSE_DATA_DIR`` (CI and graders point it at a shared copy);
3. its public source, downloaded into the cache and checked against its sha256, unless
   ``$LLMCOURSE_OFFLINE`` is set (the grader sets it in graded kernels, which have no network).
"""
import hashlib
import os
import shutil
import urllib.request
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class RemoteFile:
    filename: str
    url: str
    sha256: str
    size: int


TINY_SHAKESPEARE = RemoteFile(
    filename="tinyshakespeare.txt",
    url="https://raw.githubusercontent.com/karpathy/char-rnn/master/data/tinyshakespeare/input.txt",
    sha256="86c4e6aa9db7c042ec79f339dcb96d42b0075e16b8fc2e86bf0ca57e2dc565ed",
    size=1_115_394,
)


class DataError(RuntimeError):
    """A dataset could not be found locally nor downloaded and verified; ``reason`` says why, in short."""

    def __init__(self, message: str, reason: str = ""):
        super().__init__(message)
        self.reason = reason or message


def _advice() -> str:
    return f"Put a copy in {cache_dir()} or set $LLMCOURSE_DATA_DIR to a folder that holds it."


def cache_dir() -> Path:
    return Path(os.environ.get("LLMCOURSE_CACHE", Path.home() / ".cache" / "llmcourse"))


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _verified(path: Path, remote: RemoteFile) -> bool:
    return path.is_file() and path.stat().st_size == remote.size and sha256_of(path) == remote.sha256


def fetch(remote: RemoteFile, download: bool = True) -> Path:
    """Return a local, verified path to ``remote``, downloading it only if no local copy is found."""
    cached = cache_dir() / remote.filename
    if _verified(cached, remote):
        return cached
    data_dir = os.environ.get("LLMCOURSE_DATA_DIR")
    if data_dir:
        candidate = Path(data_dir) / remote.filename
        if _verified(candidate, remote):
            return candidate
    if not download or os.environ.get("LLMCOURSE_OFFLINE"):
        why = "downloading was not allowed" if not download else "$LLMCOURSE_OFFLINE is set"
        raise DataError(f"{remote.filename} is not in {cached.parent} nor in $LLMCOURSE_DATA_DIR ({data_dir!r}), "
                        f"and {why}. {_advice()}", reason=why)
    cached.parent.mkdir(parents=True, exist_ok=True)
    partial = cached.with_suffix(cached.suffix + ".part")
    try:
        with urllib.request.urlopen(remote.url, timeout=60) as response, open(partial, "wb") as out:
            shutil.copyfileobj(response, out)
    except OSError as err:
        partial.unlink(missing_ok=True)
        raise DataError(f"could not download {remote.filename} from {remote.url}: {err}. {_advice()}",
                        reason=f"the download from {remote.url} failed: {err}") from err
    if not _verified(partial, remote):
        got = sha256_of(partial)
        partial.unlink(missing_ok=True)
        raise DataError(f"{remote.url} gave a file with sha256 {got}, expected {remote.sha256}; nothing was kept")
    partial.replace(cached)
    return cached


def load_tiny_shakespeare(download: bool = True) -> str:
    """The tiny Shakespeare corpus (1,115,394 characters of public-domain plays) as one string."""
    return fetch(TINY_SHAKESPEARE, download=download).read_text(encoding="utf-8")


# Each loader of a file that does not ship with the package, by name. The grader reads a source
# notebook's code for these names to learn what its kernels need before any of them starts.
LOADERS = {"load_tiny_shakespeare": TINY_SHAKESPEARE}
