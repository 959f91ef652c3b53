"""Writing the files: the sheets, the key beside them and the JSON, all or nothing."""

from __future__ import annotations

import errno
import json
import os
import shutil
import tempfile
from pathlib import Path

from .problems import to_json
from .render import render_pdf


def outputs(out):
    """(sheets.pdf, key.pdf, .json) paths for --out."""
    out = Path(out)
    return out, out.with_name(out.stem + "-key" + out.suffix), out.with_suffix(".json")


def _move_new(tmp, target):
    """Rename tmp to target, which must not exist, not even since a moment ago.

    A hard link fails if target exists (FileExistsError); where hard links are not supported,
    an exclusive create and a copy do the same, less atomically.
    """
    try:
        os.link(tmp, target)
    except FileExistsError:
        raise FileExistsError(errno.EEXIST, "already exists", str(target)) from None
    except OSError:  # no hard links on this file system (e.g. FAT, some network shares)
        with open(tmp, "rb") as src, open(target, "xb") as dst:
            try:
                shutil.copyfileobj(src, dst)
            except BaseException:
                dst.close()
                os.unlink(target)
                raise
    os.unlink(tmp)


def write_worksheets(problems, out="worksheet.pdf", paper="a4", with_json=False, force=False):
    """Write the sheets, the key and (with_json) the JSON; all or nothing. Returns the paths.

    Each is written to a temporary file, moved into place once all are done. Without `force`
    no file is replaced, even one that appears while they are written: FileExistsError names
    it, and what was moved into place is removed again.
    """
    sheets, key, js = outputs(out)
    targets = [sheets, key] + ([js] if with_json else [])
    temps, moved = [], []
    try:
        for target in targets:
            fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".part")
            os.close(fd)
            temps.append(tmp)
        render_pdf(problems, temps[0], paper, key=False)
        render_pdf(problems, temps[1], paper, key=True)
        if with_json:
            with open(temps[2], "w", encoding="utf-8") as f:
                json.dump(to_json(problems, paper), f, indent=1, ensure_ascii=False)
                f.write("\n")
        umask = os.umask(0)
        os.umask(umask)
        for tmp, target in zip(temps, targets):
            os.chmod(tmp, 0o666 & ~umask)  # as a plain open() would have made it
            if force:
                os.replace(tmp, target)
            else:
                _move_new(tmp, target)
                moved.append(target)
    except BaseException:
        for target in moved:
            target.unlink()
        raise
    finally:
        for tmp in temps:
            if os.path.exists(tmp):
                os.unlink(tmp)
    return targets
