"""Lambda SnapStart's runtime hooks (opt-in: the template's SnapStart parameter).

With SnapStart, Lambda runs a published version's init once, snapshots the environment, and starts
new environments from the snapshot. What the snapshot holds then costs nothing at a cold start, so
the hook before it builds what a cold start and the first request would: the settings, the AWS
clients, the route's validators and the wire models it uses. What must not be shared by every
environment restored from one snapshot, or outlive a key rotation, is dropped after restore: the
signing keys read from Secrets Manager (and powertools' cache of the secret). Random values are
drawn from ``secrets`` (the OS), never from a generator seeded at init, so nothing needs reseeding.

Lambda sets ``AWS_LAMBDA_INITIALIZATION_TYPE=snap-start`` only for SnapStart versions; elsewhere
(on-demand, tests, ``make run``) ``register`` does nothing and nothing is imported.
"""

import os
from typing import TYPE_CHECKING

from . import runtime
from .settings import settings

if TYPE_CHECKING:
    from aws_lambda_powertools.event_handler import APIGatewayHttpResolver

    from ..models.base import WireModel

SNAP_START = "snap-start"
_registered: set[int] = set()


def enabled() -> bool:
    return os.environ.get("AWS_LAMBDA_INITIALIZATION_TYPE") == SNAP_START


def register(app: "APIGatewayHttpResolver") -> bool:
    """Register the hooks for ``app`` when this environment will be snapshotted (once per app)."""
    if not enabled() or id(app) in _registered:
        return False
    from snapshot_restore_py import register_after_restore, register_before_snapshot

    if not _registered:
        register_after_restore(after_restore)
    register_before_snapshot(before_snapshot, app)
    _registered.add(id(app))
    return True


def before_snapshot(app: "APIGatewayHttpResolver") -> None:
    """Build now what the first request would build."""
    settings()
    runtime.store()
    runtime.secrets_provider()
    # powertools builds a route's parameter and body validators on its first request.
    for route in [*app._static_routes, *app._dynamic_routes]:
        _ = route.dependant
        _ = route.body_field
    for model in _wire_models():
        model.model_rebuild()


def after_restore() -> None:
    """Forget what one environment read for itself: the signing keys are read again on first use."""
    runtime.forget_signing_keys()


def _wire_models() -> "list[type[WireModel]]":
    """Every wire model this function has imported (built on first use, see ``WireModel``)."""
    from ..models.base import WireModel

    found: list[type[WireModel]] = []
    pending = list(WireModel.__subclasses__())
    while pending:
        model = pending.pop()
        found.append(model)
        pending.extend(model.__subclasses__())
    return found
