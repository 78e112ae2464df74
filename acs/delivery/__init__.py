"""How a one-time code reaches the cardholder: pluggable adapters per channel, chosen by
``config/delivery.yaml``, every attempt recorded in the simulator outbox."""

from acs.delivery.base import Adapter, Channel, DeliveryReceipt, OtpMessage, VerifyResult
from acs.delivery.config import DeliveryConfig, load_delivery_config
from acs.delivery.router import Delivery

__all__ = [
    "Adapter",
    "Channel",
    "Delivery",
    "DeliveryConfig",
    "DeliveryReceipt",
    "OtpMessage",
    "VerifyResult",
    "load_delivery_config",
]
