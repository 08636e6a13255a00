"""Simulated outside systems for the demo: the finance system (财政), the e-licence system (电子证照) and the public
security identity check (公安身份核验), answering the demo flows' jobs the way the real systems' connectors would.

Every answer says ``"simulated": true`` and names the simulated system, and the case history records it under
the demo worker account; a real deployment runs connectors to the real systems instead (e.g. HttpConnector)."""

from __future__ import annotations

from typing import Any

from .client import Job

__all__ = ["SIMULATED", "check_digit", "elicence_issue", "finance_payment", "identity_check"]

FINANCE = "模拟财政国库支付系统（演示）"
ELICENCE = "模拟电子证照系统（演示）"
IDENTITY = "模拟公安人口信息核验（演示）"
_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


def check_digit(first17: str) -> str:
    """The last character of a resident identity card number (GB 11643-1999, ISO 7064 MOD 11-2)."""
    total = sum(int(digit) * weight for digit, weight in zip(first17, _WEIGHTS, strict=True))
    return "10X98765432"[total % 11]


def finance_payment(job: Job) -> dict[str, Any]:
    """The payment instruction is accepted; the voucher number is what the finance system would give back."""
    return {"accepted": True, "voucher": f"SIM-CZ-{job.instance_id:06d}-{job.id:06d}",
            "amount": job.parameters.get("amount"), "simulated": True, "system": FINANCE}


def elicence_issue(job: Job) -> dict[str, Any]:
    """The card is recorded in the e-licence system under a licence number."""
    return {"issued": True, "licence_number": f"SIM-DZZZ-{job.instance_id:06d}-{job.id:06d}",
            "simulated": True, "system": ELICENCE}


def identity_check(job: Job) -> dict[str, Any]:
    """The name and ID number are checked; here only the number's own check digit can be, so a number whose
    check digit is wrong (a typing error) is not verified."""
    number = str(job.parameters.get("id_number") or "").upper()
    valid = len(number) == 18 and number[:17].isdigit() and check_digit(number[:17]) == number[17]
    return {"verified": valid, "reason": "" if valid else "身份证号码校验位不符，请核对后重新登记",
            "simulated": True, "system": IDENTITY}


SIMULATED = {"finance.payment": finance_payment, "elicence.issue": elicence_issue,
             "identity.check": identity_check}
