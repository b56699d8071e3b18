"""What an application may do, named in Kibo's ``domain:action`` style."""

from enum import StrEnum


class Behavior(StrEnum):
    ACCOUNT_CREATE = "customer:account:create"
    ACCOUNT_READ = "customer:account:read"
    ACCOUNT_UPDATE = "customer:account:update"
    ACCOUNT_DELETE = "customer:account:delete"
    LOGIN_CREATE = "customer-auth:login:create"
    TICKET_CREATE = "customer-auth:ticket:create"
    PASSWORD_RESET = "customer-auth:password:reset"
    CONFIGURE_TOKEN_DURATIONS = "customer-auth:configure-token-durations"
