"""The flowing-retail message catalogue: every message name of the shop, command or event.

The names are the companion code's (flowing-retail, 2019), where a command's name ends in
``Command`` and an event's in ``Event``; the one exception, ``CreditCardUpdated``, is the
customer's fact that payment's local flow waits for. Declared here once, they are what the
engines and pictures ask (see :class:`~eventlab.core.catalogue.MessageCatalogue`).
"""

from __future__ import annotations

from eventlab.core.catalogue import MessageCatalogue

RETAIL = MessageCatalogue(
    "flowing-retail",
    commands=[
        "RetrievePaymentCommand", "RefundPaymentCommand", "FetchGoodsCommand",
        "ReturnGoodsCommand", "ShipGoodsCommand", "UpdateCreditCardCommand",
        "SendNotificationCommand", "AddLoyaltyPointsCommand",
    ],
    events=[
        "OrderPlacedEvent", "PaymentReceivedEvent", "PaymentFailedEvent",
        "PaymentRefundedEvent", "CustomerCreditUsedEvent", "CreditCardChargedEvent",
        "CreditCardUpdated", "GoodsFetchedEvent", "GoodsReturnedEvent", "GoodsShippedEvent",
        "OrderCompletedEvent", "CustomerNotifiedEvent", "LoyaltyPointsAddedEvent",
    ],
)
