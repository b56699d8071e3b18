"""Test configuration shared by every suite: fake AWS, the table from template.yaml, a tenant."""

import os
import tempfile

# Set before any module reads its settings; no test may reach real AWS.
os.environ.update(
    {
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "TABLE_NAME": "customer-auth-test",
        "SIGNING_KEYS_SECRET_ID": "customer-auth-test-keys",
        "TOKEN_ISSUER": "https://customer-auth.test",
        "TOKEN_AUDIENCE": "customer-auth",
        "PASSWORD_HASH_PROFILE": "test",
        # Recovery answers are held to 150 ms in production; the timing test restores that floor.
        "RECOVERY_ANSWER_MS": "0",
        "CODE_EVENT_BUS_NAME": "customer-auth-test-2fa-codes",
        "POWERTOOLS_SERVICE_NAME": "customer-auth",
        "POWERTOOLS_METRICS_NAMESPACE": "CustomerAuth",
        "POWERTOOLS_TRACE_DISABLED": "true",
        "POWERTOOLS_LOG_LEVEL": "INFO",
        # The operator tool looks here for a running `make run`: never the developer's own.
        "LOCAL_SERVER_STATE": os.path.join(
            tempfile.gettempdir(), f"customer-auth-tests-{os.getpid()}", "local-server.json"
        ),
    }
)
for variable in (
    "AWS_PROFILE",
    "AWS_ENDPOINT_URL",
    "AWS_ENDPOINT_URL_DYNAMODB",
    "AWS_ENDPOINT_URL_SECRETS_MANAGER",
    "CODE_OUTBOX_FILE",
):
    os.environ.pop(variable, None)

# moto's TransactWriteItems copies the whole table per item; the suite runs the shim that
# snapshots only the items a transaction touches (tools/moto_transactions.py).
from tools import moto_transactions  # noqa: E402

moto_transactions.install()

# Property tests check properties, not timings: the suite runs two workers on two cores, and a
# loaded machine crossed hypothesis's default 200 ms deadline on an example that normally takes 20.
from hypothesis import settings as hypothesis_settings  # noqa: E402

hypothesis_settings.register_profile("suite", deadline=None)
hypothesis_settings.load_profile("suite")

pytest_plugins = ["tests.support.fixtures", "tests.support.races"]
