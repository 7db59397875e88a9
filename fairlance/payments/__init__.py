"""Payments: the provider interface, the sandbox card processor and the attempts log.

Use ``fairlance.payments.provider.get_provider()``.
"""
