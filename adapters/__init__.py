"""Platform adapters: each turns its platform's updates into neutral events and renders neutral replies.

One sub-package per platform with the same file names (`adapter.py`); all share the contract in `base.py`.
"""
