"""A code for the tenant's mailer to send, and the event it goes out as."""

from dataclasses import dataclass, field
from datetime import datetime

from ..kernel.outbox import OutboxEvent


@dataclass(frozen=True, slots=True)
class CodeDelivery:
    """A code (two-factor, password reset, passwordless) for the tenant's mailer to send."""

    tenant_id: int
    site_id: int | None
    account_id: int
    user_id: str
    username: str
    email_address: str | None
    code: str = field(repr=False)
    expires_at: datetime

    def event(self, detail_type: str, code_field: str = "otpCode") -> "OutboxEvent":
        """The event a mailer sends the code from (its ``detail`` is the local outbox's line too);
        only the user and account ids are logged."""
        return OutboxEvent(
            detail_type,
            {
                "tenantId": self.tenant_id,
                "siteId": self.site_id,
                "accountId": self.account_id,
                "userId": self.user_id,
                "userName": self.username,
                "emailAddress": self.email_address,
                code_field: self.code,
                "expiresAt": self.expires_at.isoformat(),
            },
            {"userId": self.user_id, "accountId": self.account_id},
        )
