"""The customer on-boarding message catalogue (the talk's InfoWorld example).

Here names carry no suffix: ``CheckAddress`` is a command because Onboarding asks one service
to do something and waits for its answer; ``AddressChecked`` is that service's fact.
"""

from __future__ import annotations

from eventlab.core.catalogue import MessageCatalogue

ONBOARDING = MessageCatalogue(
    "on-boarding",
    commands=["CheckAddress", "CheckCredit", "CheckCriminalRecord"],
    events=["RegistrationRequested", "AddressChecked", "CreditChecked",
            "CriminalRecordChecked", "CustomerCreated"],
)
