"""Kibo's ``CustomerAccount`` and the shapes nested in it."""

from typing import Annotated, Any

from pydantic import Field, StrictBool, StrictFloat, StrictInt

from .base import OMIT_NONE, Name, Text, Timestamp, WireModel

MAX_CONTACTS = 20
MAX_NOTES = 50
MAX_ATTRIBUTES = 50
MAX_SEGMENTS = 50
MAX_ATTRIBUTE_VALUES = 20

AttributeValue = Annotated[str, Field(max_length=1_000)] | StrictBool | StrictInt | StrictFloat | None


class AuditInfo(WireModel):
    update_date: Timestamp | None = None
    create_date: Timestamp | None = None
    update_by: Name | None = None
    create_by: Name | None = None


class Address(WireModel):
    address1: Name | None = None
    address2: Name | None = None
    address3: Name | None = None
    address4: Name | None = None
    city_or_town: Name | None = None
    state_or_province: Name | None = None
    postal_or_zip_code: Name | None = None
    country_code: Name | None = None
    address_type: Name | None = None
    is_validated: StrictBool | None = None


class Phone(WireModel):
    home: Name | None = None
    mobile: Name | None = None
    work: Name | None = None


class ContactType(WireModel):
    name: Name | None = None
    is_primary: StrictBool = False


class CustomerContact(WireModel):
    id: StrictInt | None = None
    account_id: StrictInt | None = None
    types: Annotated[list[ContactType], Field(max_length=10)] | None = None
    audit_info: Annotated[AuditInfo | None, OMIT_NONE] = None
    fax_number: Name | None = None
    label: Name | None = None
    email: Name | None = None
    first_name: Name | None = None
    middle_name_or_initial: Name | None = None
    last_name_or_surname: Name | None = None
    company_or_organization: Name | None = None
    phone_numbers: Annotated[Phone | None, OMIT_NONE] = None
    address: Annotated[Address | None, OMIT_NONE] = None


class CustomerAttribute(WireModel):
    audit_info: Annotated[AuditInfo | None, OMIT_NONE] = None
    fully_qualified_name: Name | None = None
    attribute_definition_id: StrictInt | None = None
    values: Annotated[list[AttributeValue], Field(max_length=MAX_ATTRIBUTE_VALUES)] | None = None


class CustomerNote(WireModel):
    id: StrictInt | None = None
    content: Text | None = None
    audit_info: Annotated[AuditInfo | None, OMIT_NONE] = None


class CustomerSegment(WireModel):
    """Kibo's ``CustomerCustomerSegment``: a segment the account belongs to."""

    id: StrictInt | None = None
    code: Name | None = None
    name: Name | None = None
    description: Text | None = None
    audit_info: Annotated[AuditInfo | None, OMIT_NONE] = None


class CurrencyAmount(WireModel):
    currency_code: Name | None = None
    amount: StrictFloat | StrictInt = 0


class CommerceSummary(WireModel):
    total_order_amount: Annotated[CurrencyAmount | None, OMIT_NONE] = None
    order_count: StrictInt = 0
    last_order_date: Timestamp | None = None
    wishlist_count: StrictInt = 0
    visits_count: StrictInt = 0


class CustomerAccount(WireModel):
    """Kibo's ``CustomerAccount``; what we store, read and return for an account."""

    id: StrictInt = 0
    customer_set: Name | None = None
    commerce_summary: CommerceSummary = Field(default_factory=CommerceSummary)
    contacts: Annotated[list[CustomerContact], Field(max_length=MAX_CONTACTS)] | None = None
    company_or_organization: Name | None = None
    notes: Annotated[list[CustomerNote], Field(max_length=MAX_NOTES)] | None = None
    attributes: Annotated[list[CustomerAttribute], Field(max_length=MAX_ATTRIBUTES)] | None = None
    segments: Annotated[list[CustomerSegment], Field(max_length=MAX_SEGMENTS)] | None = None
    tax_exempt: StrictBool = False
    tax_id: Name | None = None
    external_id: Name | None = None
    audit_info: AuditInfo = Field(default_factory=AuditInfo)
    customer_since_date: Timestamp | None = None
    account_type: Name | None = None
    migration_required: StrictBool = False
    email_address: Name | None = None
    user_name: Name | None = None
    first_name: Name | None = None
    last_name: Name | None = None
    locale_code: Name | None = None
    user_id: Name | None = None
    is_anonymous: StrictBool = True
    is_locked: StrictBool = False
    is_active: StrictBool = True
    accepts_marketing: StrictBool = False
    has_external_password: StrictBool = False
    last_2fa_date: Timestamp | None = Field(default=None, alias="last2FaDate")

    def to_wire(self) -> dict[str, Any]:
        return self.model_dump(mode="json", by_alias=True)
