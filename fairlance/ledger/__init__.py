"""The double-entry ledger: where money moves (see docs/ledger.md).

Public interface: ``ledger.services`` (ledger_post, ledger_reverse, clearance_schedule,
clearance_release_due, payout_request), ``ledger.selectors`` (balance, balances_for_user,
ledger_check) and account names in ``ledger.accounts``.
"""
