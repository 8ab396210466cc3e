"""The Python examples of README.md and docs/*.md run as tests (as tokenizers runs its quicktour).

Every ```python fenced block is executed. The blocks of one file run in order in one shared
namespace, as a reader would paste them into one session; each block is its own test, with an
id naming the file and the line of its opening fence (``docs/clv.md:L170``). Blocks run with
the repository root as the working directory, because the docs refer to the bundled sample data
by repo-relative paths (``data/cdnow/...``). Tracebacks point at the Markdown file and line.

A block that can only be illustrative (it needs a package the test venv does not have, a file
only the user has, the network) is skipped by an HTML comment on the line right before its
fence, which readers of the rendered page do not see; the reason is required:

    <!-- no-test: needs lifetimes, which conflicts with the pinned numpy of this venv -->
    ```python
"""
from __future__ import annotations

import pathlib
import re
import traceback
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
DOC_FILES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]

_FENCE_OPEN = re.compile(r"^(?P<indent>[ \t]*)(?P<fence>`{3,}|~{3,})[ \t]*(?P<info>[^`]*?)[ \t]*$")
_NO_TEST = re.compile(r"^\s*<!--\s*no-test\b:?\s*(?P<reason>.*?)\s*-->\s*$")


@dataclass
class Block:
    path: pathlib.Path
    line: int  # 1-based line of the opening fence
    source: str
    skip: Optional[str]  # the no-test reason, or None

    @property
    def rel(self) -> str:
        return self.path.relative_to(ROOT).as_posix()

    @property
    def id(self) -> str:
        return f"{self.rel}:L{self.line}"


def extract_blocks(path: pathlib.Path) -> List[Block]:
    """The ```python blocks of a Markdown file, in order. Fences nested in other fences (a
    python block quoted inside a ```text block) are not blocks of their own."""
    lines = path.read_text(encoding="utf-8").splitlines()
    blocks: List[Block] = []
    i = 0
    while i < len(lines):
        m = _FENCE_OPEN.match(lines[i])
        if not m:
            i += 1
            continue
        fence, indent = m.group("fence"), m.group("indent")
        lang = m.group("info").split()[0].lower() if m.group("info") else ""
        start = i
        body: List[str] = []
        i += 1
        while i < len(lines):
            close = lines[i].strip()
            if close.startswith(fence[0] * len(fence)) and set(close) == {fence[0]}:
                break
            # a fence inside a list item is indented: drop that indentation from its body
            body.append(lines[i][len(indent):] if lines[i].startswith(indent) else lines[i].lstrip())
            i += 1
        else:
            raise AssertionError(f"{path.name}:{start + 1}: unclosed code fence")
        i += 1
        if lang not in ("python", "py", "python3"):
            continue
        skip = None
        if start > 0:
            marker = _NO_TEST.match(lines[start - 1])
            if marker:
                skip = marker.group("reason")
                if not skip:
                    raise AssertionError(f"{path.name}:{start}: a no-test marker needs a reason: "
                                         "<!-- no-test: why this block cannot run -->")
        blocks.append(Block(path, start + 1, "\n".join(body) + "\n", skip))
    return blocks


@dataclass
class FileSession:
    """The shared namespace of one file's blocks, run in order on demand."""

    blocks: List[Block]
    namespace: Dict[str, Any] = field(default_factory=dict)
    done: int = 0  # blocks run (or skipped) so far
    failed: Optional[Block] = None

    def run_through(self, index: int) -> None:
        """Run every block up to and including ``index`` that has not run yet; a failure of an
        earlier block skips the later ones (their namespace is incomplete)."""
        while self.done <= index:
            block = self.blocks[self.done]
            self.done += 1
            if self.failed is not None:
                pytest.skip(f"an earlier block of this file failed: {self.failed.id}")
            if block.skip is not None:
                if self.done - 1 == index:
                    pytest.skip(f"no-test: {block.skip}")
                continue
            # Pad with blank lines so tracebacks name the Markdown line of each statement.
            code = compile("\n" * block.line + block.source, str(block.path), "exec")
            detail = None
            try:
                exec(code, self.namespace)
            except Exception as e:
                # The traceback from the block's own frame on: the Markdown line that failed,
                # then any frames inside yutang (not this runner, nor the whole file as source).
                tb = e.__traceback__.tb_next if e.__traceback__ is not None else None
                detail = "".join(traceback.format_exception(type(e), e, tb))
            if detail is not None:
                self.failed = block
                if self.done - 1 != index:
                    pytest.skip(f"an earlier block of this file failed: {block.id}")
                pytest.fail(f"the Python block at {block.id} failed:\n{detail}", pytrace=False)


ALL_BLOCKS = [b for p in DOC_FILES for b in extract_blocks(p)]
_SESSIONS: Dict[pathlib.Path, FileSession] = {}


def _session(path: pathlib.Path) -> FileSession:
    if path not in _SESSIONS:
        _SESSIONS[path] = FileSession([b for b in ALL_BLOCKS if b.path == path])
    return _SESSIONS[path]


@pytest.mark.parametrize("block", ALL_BLOCKS, ids=[b.id for b in ALL_BLOCKS])
def test_doc_block(block: Block, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)  # the docs name the sample data by repo-relative paths
    session = _session(block.path)
    session.run_through(session.blocks.index(block))


def test_every_doc_file_was_scanned() -> None:
    """The scan finds the Python blocks (a changed fence style would silently find none)."""
    assert len(ALL_BLOCKS) >= 10, [b.id for b in ALL_BLOCKS]
    skipped = [b for b in ALL_BLOCKS if b.skip is not None]
    assert len(skipped) <= len(ALL_BLOCKS) // 4, f"too many no-test blocks: {[b.id for b in skipped]}"
