"""Sync transports, each an implementation of :class:`safehold.client.transport.Transport`."""
