"""Source kinds as connectors: one small interface and one registry (see docs/sources.md).

Every polled kind (``feed``, ``web``, ``sitemap``, …) is a :class:`Connector` subclass registered with
:func:`register`; the collector, the worker poll task, the CLI, the web form, the API and reports all
read the kinds from here.
"""

from kiemchung.sources.connectors.base import Batch, Connector
from kiemchung.sources.connectors.registry import BUILTIN, connector_class, kinds, labels, register

__all__ = ["BUILTIN", "Batch", "Connector", "connector_class", "kinds", "labels", "register"]
