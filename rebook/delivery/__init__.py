"""Channel senders: provider SDK adapters (SendGrid, Twilio) and the embedded ones (outbox,
in-app). Worker-side only; workflow code must never import this package, since the
provider SDKs do network I/O and are not replay-safe.
"""
