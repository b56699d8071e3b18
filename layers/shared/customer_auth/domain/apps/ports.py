"""What applications and provisioning need from storage."""

from typing import Protocol

from ..tenants.tenant import Tenant
from .records import AppClient, AppRefreshToken


class AppStore(Protocol):
    def get_client(self, client_id: str) -> AppClient | None: ...

    def get_tenant(self, tenant_id: int) -> Tenant | None: ...

    def get_client_and_refresh(
        self, client_id: str, refresh_digest: str
    ) -> tuple[AppClient | None, AppRefreshToken | None]: ...

    def get_app_refresh(self, refresh_digest: str) -> AppRefreshToken | None:
        """The app refresh token with this digest, read consistently (a just-minted one is found)."""

    def put_app_refresh(self, token: AppRefreshToken) -> None: ...

    def delete_app_refresh(self, refresh_digest: str) -> None:
        """The app refresh token with this digest gone, if there was one."""

    def rotate_app_refresh(self, old: AppRefreshToken, new: AppRefreshToken) -> bool:
        """Replace ``old`` by ``new`` if ``old`` is still unused; ``False`` otherwise, and
        ``ConcurrentUpdate`` when a conflicting write left the question open."""


class ProvisioningStore(Protocol):
    def get_tenant(self, tenant_id: int) -> Tenant | None: ...

    def put_tenant(self, tenant: Tenant) -> None: ...

    def put_client(self, client: AppClient) -> None: ...

    def add_tenant(self, tenant: Tenant) -> bool:
        """Store a tenant unless one with its id exists: whether it did."""

    def add_client(self, client: AppClient) -> bool:
        """Store an app client unless one with its id exists: whether it did."""
