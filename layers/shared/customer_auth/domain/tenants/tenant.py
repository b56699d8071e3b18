"""Tenants and their sites: the policies they set are in ``policies``."""

from dataclasses import dataclass, field

from ..kernel.errors import Forbidden
from .mail import MailSettings
from .policies import SignInPolicy, TokenPolicy, TwoFactorPolicy


@dataclass(frozen=True, slots=True)
class Site:
    id: int
    name: str
    domain: str | None = None


@dataclass(frozen=True, slots=True)
class Tenant:
    id: int
    name: str
    domain: str | None = None
    sites: tuple[Site, ...] = ()
    token_policy: TokenPolicy = field(default_factory=TokenPolicy)
    sign_in_policy: SignInPolicy = field(default_factory=SignInPolicy)
    two_factor_policy: TwoFactorPolicy = field(default_factory=TwoFactorPolicy)
    mail: MailSettings | None = None
    """None: every mail setting takes its default."""

    def has_site(self, site_id: int) -> bool:
        return any(site.id == site_id for site in self.sites)


def usable_tenant(tenant: Tenant | None, site_id: int | None) -> Tenant:
    """The caller's tenant, provisioned and owning the request's site; 403 otherwise."""
    if tenant is None:
        raise Forbidden("The caller's tenant is not provisioned.")
    if site_id is not None and not tenant.has_site(site_id):
        raise Forbidden(f"Site {site_id} does not belong to the tenant.")
    return tenant
