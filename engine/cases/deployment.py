"""Deploying flows as immutable, content-hashed versions, and the per-version cache of parsed specs."""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, func, select
from sqlalchemy.exc import IntegrityError

from engine.bpmn.parsing import parse_xml
from engine.bpmn.validation import Bundle, called_elsewhere, load_bundle
from engine.errors import Conflict, NotFound, PermissionDenied
from engine.people.identity import Actor
from engine.people.organisation import Organisation
from engine.people.tokens import confirm_revision, revision_column
from engine.store import prepared, revisions
from engine.store.history import add_history
from engine.store.models import ProcessFile, ProcessModel
from engine.store.uow import UnitOfWork

DEPLOY_ROLES = ("admin", "designer")
#: The revision that moves with every new version of any flow (engine/store/revisions.py): what each process's
#: :class:`LatestVersions` is confirmed by.
FLOWS = "flows"
# Where a version came from: the files on disk (`onestop deploy DIR`, `make run`) or the platform (the web
# designer, the API). The contract's "Deploying from disk": disk never supersedes a newer platform version.
SOURCES = ("disk", "platform")


@dataclass(frozen=True)
class Deployment:
    key: str
    version: int
    created: bool
    # From disk, not forced: the flow's newest version was deployed through the platform, so it was left alone.
    kept_platform_version: bool = False


def called_versions(files: Mapping[str, bytes], *, uow: UnitOfWork) -> dict[str, int]:
    """The flows these files call by callActivity that are deployed: process id -> its newest version's row id.
    A called flow that is not deployed is left out (validation names it)."""
    links: dict[str, int] = {}
    for process_id in sorted(called_elsewhere(files)):
        try:
            links[process_id] = latest_version(process_id, uow=uow)[0]
        except NotFound:
            continue
    return links


def content_hash(files: Mapping[str, bytes], links: Mapping[str, int] | None = None) -> str:
    """Identical files calling the same versions of other flows: identical content, no new version."""
    digest = hashlib.sha256()
    for name in sorted(files):
        digest.update(name.encode() + b"\0" + hashlib.sha256(files[name]).digest())
    for process_id, model_id in sorted((links or {}).items()):
        digest.update(f"\0link:{process_id}={model_id}".encode())
    return digest.hexdigest()


def deploy(files: Mapping[str, bytes], *, actor: Actor, uow: UnitOfWork, now: datetime,
           source: str = "platform", force: bool = False, organisation: Organisation | None = None) -> Deployment:
    """Validate every file, then store a new version — unless the latest version has identical content, or
    (deploying from disk without ``force``) the latest version was deployed through the platform: a designer's
    web edit is never replaced by the files a server started with. ``organisation`` checks the lanes against
    another city package's departments (`onestop deploy DIR` with DIR/organisation.yaml); by default the
    platform's own."""
    if actor.role not in DEPLOY_ROLES and actor.role != "system":
        raise PermissionDenied("only administrators and process designers deploy flows")
    if source not in SOURCES:
        raise ValueError(f"source must be one of {SOURCES}")
    links = called_versions(files, uow=uow)
    linked = {process_id: uow.platform.specs.get(model_id, uow=uow) for process_id, model_id in links.items()}
    bundle = load_bundle(files, organisation or uow.platform.organisation, linked=linked)
    digest = content_hash(files, links)
    latest = uow.session.scalar(select(ProcessModel).where(ProcessModel.key == bundle.key)
                                .order_by(ProcessModel.version.desc()).limit(1))
    if latest is not None and latest.content_hash == digest:
        return Deployment(bundle.key, latest.version, created=False)
    if source == "disk" and not force and latest is not None and latest.source != "disk":
        return Deployment(bundle.key, latest.version, created=False, kept_platform_version=True)
    version = latest.version + 1 if latest is not None else 1
    model = ProcessModel(key=bundle.key, version=version, name=bundle.name, content_hash=digest, deployed_at=now,
                         deployed_by=actor.username, links=links, source=source,
                         files=[ProcessFile(filename=name, content=bytes(content)) for name, content in
                                sorted(files.items())])
    uow.session.add(model)
    try:
        uow.flush()
    except IntegrityError as error:
        raise Conflict(f"{bundle.key} version {version} was deployed by someone else just now; try again") \
            from error
    revisions.bump(uow.session, FLOWS)  # every process's newest versions are now to be read again
    latest_versions = uow.platform.latest_versions
    uow.after_commit(latest_versions.clear)  # this process's at once
    add_history(uow, instance_id=None, model_key=bundle.key, action="deploy", actor=actor.username, now=now,
                details={"version": version, "files": sorted(files), "content_hash": digest, "source": source,
                         **({"forced": True} if force and source == "disk" else {})})
    uow.platform.specs.put(model.id, bundle)
    return Deployment(bundle.key, version, created=True)


def latest_models(*, uow: UnitOfWork) -> list[dict[str, Any]]:
    newest = select(ProcessModel.key, func.max(ProcessModel.version).label("version")) \
        .group_by(ProcessModel.key).subquery()
    rows = uow.session.scalars(select(ProcessModel).join(
        newest, (ProcessModel.key == newest.c.key) & (ProcessModel.version == newest.c.version))
        .order_by(ProcessModel.key)).all()
    return [model_view(m) for m in rows]


def model_view(model: ProcessModel) -> dict[str, Any]:
    return {"key": model.key, "version": model.version, "name": model.name,
            "deployed_at": model.deployed_at.isoformat(), "deployed_by": model.deployed_by, "source": model.source,
            "content_hash": model.content_hash, "files": [f.filename for f in model.files]}


# With the revision cached bearer tokens are checked by (engine/people/tokens.py), and the one the newest versions
# are cached by.
_LATEST = select(ProcessModel.id, ProcessModel.key, ProcessModel.version, revision_column(),
                 revisions.value_of(FLOWS).label("flows_revision")).where(
    ProcessModel.key == bindparam("key")).order_by(ProcessModel.version.desc()).limit(1)


class NewerVersion(Conflict):
    """A case was started on the version this process had cached as its flow's newest, and a newer one was deployed
    meanwhile (the ``flows`` revision moved): the unit writes nothing, and ui/api.py runs the request again, once,
    on the newest version."""


class LatestVersions:
    """Each flow's newest version (model id, key, version) as this process last read it, all valid at one ``flows``
    revision: a start through the API takes its flow's newest version from here instead of reading it, and the
    case's INSERT brings the revision back (engine/cases/runner.py) — moved, the case is not kept (NewerVersion)."""

    def __init__(self, size: int = 1_000) -> None:
        self.size = size
        self.revision = -1
        self._entries: dict[str, tuple[int, str, int]] = {}
        self._lock = threading.Lock()

    def get(self, key: str) -> tuple[tuple[int, str, int], int] | None:
        with self._lock:
            entry = self._entries.get(key)
            return None if entry is None else (entry, self.revision)

    def put(self, key: str, entry: tuple[int, str, int], revision: int) -> None:
        with self._lock:
            if revision < self.revision:  # read before a deployment another thread has seen already
                return
            if revision > self.revision or len(self._entries) >= self.size:
                self._entries.clear()
                self.revision = revision
            self._entries[key] = entry

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


def latest_version(key: str, *, uow: UnitOfWork, cached: bool = False) -> tuple[int, str, int]:
    """(model id, key, version) of the newest deployment of a flow: the one new cases start on. ``cached``: as this
    process last read it, if it has, without a read — the unit's new case's INSERT then confirms it (and the bearer
    token: ``uow.flows_revision``, engine/cases/runner.py)."""
    cache = uow.platform.latest_versions
    if cached:
        hit = cache.get(key)
        if hit is not None:
            uow.flows_revision = hit[1]
            return hit[0]
    found = prepared.first(uow, _LATEST, {"key": key})
    if found is None:
        raise NotFound(f"no process model {key!r}")
    confirm_revision(uow, found.auth_revision)
    entry = (found.id, found.key, found.version)
    cache.put(key, entry, int(found.flows_revision))
    return entry


def find_model(key: str, version: int | None = None, *, uow: UnitOfWork) -> ProcessModel:
    query = select(ProcessModel).where(ProcessModel.key == key)
    query = query.where(ProcessModel.version == version) if version is not None else \
        query.order_by(ProcessModel.version.desc()).limit(1)
    model = uow.session.scalar(query)
    if model is None:
        raise NotFound(f"no process model {key!r}" + (f" version {version}" if version is not None else ""))
    return model


def main_bpmn(model: ProcessModel) -> tuple[str, bytes]:
    """The .bpmn file that defines the model's top-level process."""
    candidates = [f for f in model.files if f.filename.endswith(".bpmn")]
    for file in candidates:
        root = parse_xml(file.content)
        ids = root.xpath("//*[local-name()='process']/@id")
        if model.key in ids:
            return file.filename, file.content
    return candidates[0].filename, candidates[0].content


class SpecCache:
    """Parsed specs per deployed version: parsed once per process, never stored inside an instance."""

    def __init__(self, organisation: Organisation, size: int = 256) -> None:
        self.organisation = organisation
        self.size = size
        self._bundles: OrderedDict[int, Bundle] = OrderedDict()
        self._lock = threading.Lock()

    def put(self, model_id: int, bundle: Bundle) -> None:
        with self._lock:
            self._bundles[model_id] = bundle
            self._bundles.move_to_end(model_id)
            while len(self._bundles) > self.size:
                self._bundles.popitem(last=False)

    def get(self, model_id: int, *, uow: UnitOfWork) -> Bundle:
        with self._lock:
            bundle = self._bundles.get(model_id)
            if bundle is not None:
                self._bundles.move_to_end(model_id)
                return bundle
        model = uow.session.get(ProcessModel, model_id)
        if model is None:
            raise NotFound(f"no deployed model with id {model_id}")
        linked = {process_id: self.get(model_id, uow=uow) for process_id, model_id in (model.links or {}).items()}
        bundle = load_bundle({f.filename: f.content for f in model.files}, self.organisation, check=False,
                             linked=linked)
        self.put(model_id, bundle)
        return bundle
