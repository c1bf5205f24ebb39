"""Versioned prompt files: YAML front matter, role sections, Jinja2 bodies.

A prompt lives in ``prompts/<id>/v<version>.md`` (several versions side by side) or,
when it has a single version, in ``prompts/<id>.md``::

    ---
    id: writer
    version: "2"
    description: Drafts a grounded first mail.
    model:
      temperature: 0.4
      max_tokens: 900
    ---
    === system ===
    You write B2B emails for {{ sender.name }} ...
    === user ===
    {{ facts_block }}

The body is cut into chat messages at marker lines ``=== system ===``, ``=== user ===``
and ``=== assistant ===`` *before* rendering, so a variable's value (website text, a
rep's edit) can never open a new message. Each section is rendered with Jinja2 and
``StrictUndefined``: a missing variable is an error, not an empty string.

Select a version with ``load_prompt("writer", version="2")`` or the variant syntax
``load_prompt("writer@2")``; without a version the highest one is used.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

import yaml
from jinja2 import StrictUndefined, Template, TemplateError
from jinja2.sandbox import SandboxedEnvironment
from pydantic import BaseModel, ConfigDict, Field, ValidationError

PROMPTS_DIR = Path(__file__).resolve().parent

Role = Literal["system", "user", "assistant"]

_FRONT_MATTER = re.compile(r"\A---[ \t]*\n(?P<meta>.*?)\n---[ \t]*\n(?P<body>.*)\Z", re.DOTALL)
_MARKER = re.compile(r"^===[ \t]*(system|user|assistant)[ \t]*===[ \t]*$", re.MULTILINE)
_ID = re.compile(r"^[a-z][a-z0-9_]{0,62}$")
_VERSION = re.compile(r"^[0-9]+(?:\.[0-9]+)*$")
_VERSION_FILE = re.compile(r"^v([0-9]+(?:\.[0-9]+)*)\.md$")


class PromptError(ValueError):
    """Base class of prompt problems."""


class PromptNotFound(PromptError):
    """No prompt file for the requested id or version."""


class PromptFormatError(PromptError):
    """A prompt file is malformed (front matter, markers, template syntax)."""


class PromptRenderError(PromptError):
    """Rendering failed, e.g. a variable the template uses was not given."""


class PromptParams(BaseModel):
    """Model parameters a prompt was written and evaluated for."""

    model_config = ConfigDict(extra="forbid")

    temperature: float = Field(default=0.0, ge=0.0, le=2.0)
    max_tokens: int | None = Field(default=None, ge=1)


class _FrontMatter(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str
    version: str
    description: str = ""
    model: PromptParams = Field(default_factory=PromptParams)


class RenderedMessage(BaseModel):
    """One chat message; structurally the ``agents.llm.Message`` TypedDict."""

    role: Role
    content: str


class RenderedPrompt(BaseModel):
    """A prompt ready to send: messages plus what produced them."""

    id: str
    version: str
    params: PromptParams
    messages: list[RenderedMessage]
    template_hash: str = Field(description="sha256 prefix of the prompt file's text.")

    @property
    def label(self) -> str:
        """``id@version``, the form used by ``--variant`` and traces."""
        return f"{self.id}@{self.version}"

    def chat(self) -> list[dict[str, str]]:
        """The messages as plain dicts (OpenAI chat format)."""
        return [{"role": m.role, "content": m.content} for m in self.messages]


_ENV = SandboxedEnvironment(
    undefined=StrictUndefined,
    autoescape=False,
    keep_trailing_newline=False,
    trim_blocks=True,
    lstrip_blocks=True,
)


@dataclass(frozen=True)
class PromptTemplate:
    """A parsed prompt file; ``render`` fills its sections."""

    id: str
    version: str
    description: str
    params: PromptParams
    sections: tuple[tuple[Role, str], ...]
    path: Path
    template_hash: str
    compiled: tuple[Template, ...] = field(default=(), compare=False, repr=False)

    @property
    def label(self) -> str:
        """``id@version``."""
        return f"{self.id}@{self.version}"

    def render(self, variables: Mapping[str, Any] | None = None, /, **kwargs: Any) -> RenderedPrompt:
        """Render every section with ``variables`` (StrictUndefined: missing names fail)."""
        values = {**(variables or {}), **kwargs}
        messages: list[RenderedMessage] = []
        templates = self.compiled or tuple(_ENV.from_string(source) for _, source in self.sections)
        for (role, _source), template in zip(self.sections, templates, strict=True):
            try:
                text = template.render(values)
            except TemplateError as exc:
                raise PromptRenderError(f"{self.label} ({self.path.name}): {exc}") from exc
            messages.append(RenderedMessage(role=role, content=text.strip()))
        return RenderedPrompt(
            id=self.id,
            version=self.version,
            params=self.params,
            messages=messages,
            template_hash=self.template_hash,
        )


def parse_variant(variant: str) -> tuple[str, str | None]:
    """Split ``"writer@2"`` into ``("writer", "2")``; ``"writer"`` gives ``("writer", None)``."""
    name, sep, version = variant.strip().partition("@")
    if not _ID.match(name):
        raise PromptNotFound(f"not a prompt id: {name!r} (lowercase letters, digits and '_')")
    if sep and not _VERSION.match(version):
        raise PromptNotFound(f"not a prompt version: {version!r} in {variant!r} (e.g. writer@2)")
    return name, (version if sep else None)


def _version_key(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in version.split("."))


def available_versions(prompt_id: str, *, root: Path | None = None) -> list[str]:
    """Versions of ``prompt_id`` present on disk, lowest first."""
    base = root or PROMPTS_DIR
    versions: list[str] = []
    folder = base / prompt_id
    if folder.is_dir():
        for file in folder.iterdir():
            match = _VERSION_FILE.match(file.name)
            if match:
                versions.append(match.group(1))
    single = base / f"{prompt_id}.md"
    if single.is_file():
        versions.append(_read_front_matter(single).version)
    return sorted(set(versions), key=_version_key)


def list_prompts(*, root: Path | None = None) -> dict[str, list[str]]:
    """Every prompt id with its versions."""
    base = root or PROMPTS_DIR
    ids = {p.name for p in base.iterdir() if p.is_dir() and _ID.match(p.name)}
    ids |= {p.stem for p in base.glob("*.md") if _ID.match(p.stem)}
    found = {pid: available_versions(pid, root=base) for pid in sorted(ids)}
    return {pid: versions for pid, versions in found.items() if versions}


def load_prompt(name: str, version: str | None = None, *, root: Path | None = None) -> PromptTemplate:
    """Load prompt ``name`` (or ``"name@version"``) at ``version``, default the highest."""
    prompt_id, variant_version = parse_variant(name)
    if version is not None and variant_version is not None and version != variant_version:
        raise PromptNotFound(f"conflicting versions: {name!r} and version={version!r}")
    wanted = version if version is not None else variant_version
    if wanted is not None and not _VERSION.match(wanted):
        raise PromptNotFound(f"not a prompt version: {wanted!r}")
    base = root or PROMPTS_DIR
    versions = available_versions(prompt_id, root=base)
    if not versions:
        raise PromptNotFound(f"no prompt {prompt_id!r} in {base}")
    chosen = wanted if wanted is not None else versions[-1]
    if chosen not in versions:
        raise PromptNotFound(
            f"prompt {prompt_id!r} has no version {chosen!r}; available: {', '.join(versions)}"
        )
    path = base / prompt_id / f"v{chosen}.md"
    if not path.is_file():
        path = base / f"{prompt_id}.md"
    stat = path.stat()
    template = _parse_cached(path, stat.st_mtime_ns, stat.st_size)
    if template.id != prompt_id:
        raise PromptFormatError(f"{path}: front matter id {template.id!r} does not match {prompt_id!r}")
    if template.version != chosen:
        raise PromptFormatError(
            f"{path}: front matter version {template.version!r} does not match the file name ({chosen!r})"
        )
    return template


def render_prompt(name: str, variables: Mapping[str, Any], *, version: str | None = None) -> RenderedPrompt:
    """Load and render in one step."""
    return load_prompt(name, version).render(variables)


def _split(path: Path, text: str) -> tuple[_FrontMatter, str]:
    match = _FRONT_MATTER.match(text.replace("\r\n", "\n"))
    if not match:
        raise PromptFormatError(f"{path}: must start with '---' YAML front matter closed by '---'")
    try:
        meta = yaml.safe_load(match.group("meta"))
    except yaml.YAMLError as exc:
        raise PromptFormatError(f"{path}: front matter is not valid YAML: {exc}") from exc
    if not isinstance(meta, dict):
        raise PromptFormatError(f"{path}: front matter must be a mapping")
    if isinstance(meta.get("version"), int | float):
        meta["version"] = str(meta["version"])
    try:
        front = _FrontMatter.model_validate(meta)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc']) or '(front matter)'}: {err['msg']}" for err in exc.errors()
        )
        raise PromptFormatError(f"{path}: {problems}") from exc
    if not _ID.match(front.id):
        raise PromptFormatError(f"{path}: id {front.id!r} must be lowercase letters, digits and '_'")
    if not _VERSION.match(front.version):
        raise PromptFormatError(f"{path}: version {front.version!r} must look like 1 or 2.1")
    return front, match.group("body")


def _read_front_matter(path: Path) -> _FrontMatter:
    return _split(path, path.read_text(encoding="utf-8"))[0]


@lru_cache(maxsize=64)
def _parse_cached(path: Path, _mtime_ns: int, _size: int) -> PromptTemplate:
    # keyed by modification time and size, so an edited prompt file is read again
    return parse_prompt_file(path)


def parse_prompt_file(path: Path) -> PromptTemplate:
    """Parse one prompt file; syntax errors in any section are reported with the file name."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise PromptNotFound(f"{path}: cannot read prompt file: {exc.strerror}") from exc
    front, body = _split(path, text)
    parts = _MARKER.split(body)
    if parts[0].strip():
        raise PromptFormatError(f"{path}: text before the first '=== system|user|assistant ===' marker")
    sections: list[tuple[Role, str]] = []
    compiled: list[Template] = []
    for index in range(1, len(parts), 2):
        role: Role = parts[index]  # type: ignore[assignment]  # the regex admits only the three roles
        source = parts[index + 1].strip("\n")
        try:
            compiled.append(_ENV.from_string(source))
        except TemplateError as exc:
            raise PromptFormatError(f"{path} ({role} section): {exc}") from exc
        sections.append((role, source))
    if not sections:
        raise PromptFormatError(f"{path}: no '=== system ===' / '=== user ===' sections")
    if not any(role == "user" for role, _ in sections):
        raise PromptFormatError(f"{path}: needs at least one '=== user ===' section")
    return PromptTemplate(
        id=front.id,
        version=front.version,
        description=front.description,
        params=front.model,
        sections=tuple(sections),
        path=path,
        template_hash=hashlib.sha256(text.encode("utf-8")).hexdigest()[:12],
        compiled=tuple(compiled),
    )
