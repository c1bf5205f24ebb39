"""Compliance and deliverability: legal footer, lawful basis, sending limits, the send-time
check, one-click unsubscribe, data-subject rights (export/erase) and data minimisation.

Import from the submodules (``agents.compliance.sendcheck`` …); this package file stays
empty so importing one rule does not pull in the others.
"""
