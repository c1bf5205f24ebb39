"""Email: build and send through the outbox, receive, parse, strip quotes, match threads.

Modules: ``message`` (build), ``transport`` (SMTP / file), ``outbox`` (the only way a mail
leaves), ``parsing`` + ``html_text`` + ``quotes`` (read inbound mail), ``matching``
(thread matching), ``ingest`` (store inbound mail), ``imap`` (poll a mailbox).
"""
