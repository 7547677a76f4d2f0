"""Mail: a sender interface with SMTP and outbox implementations, one template folder
and one function per message, and a dispatcher that keeps sending off the request path."""
