"""Which connections the playground serves: at most ``max_connections`` at once and at most
``max_connections_per_client`` from one client address.

A connection over a bound is not queued: it takes the place of one that is only *waiting*
— idle since its last answer for ``evict_idle_seconds``, or part-way through a request
head for ``evict_slow_seconds`` (a browser sends its head in one packet; a head still
incomplete after a quarter second is a slow client) — the longest-waiting one of the same
client first, else of anyone when the server is full. With no such connection the newcomer
is refused at once (503). Connections being answered or computed for are never evicted.

So sixty-four sockets trickling a byte every few seconds hold sixty-four slots only until
someone else needs one; a client address cannot take more than its share; and a burst of
two hundred clients is answered (200 or 503), not reset.
"""

import time

__all__ = ["Connection", "ConnectionTable"]


class Connection:
    """One admitted connection: its ``client`` address, the task serving it, and since when
    it has been waiting for a request (``waiting_since``; None while busy) or receiving a
    head (``head_since``)."""

    __slots__ = ("client", "task", "waiting_since", "head_since", "evicted")

    def __init__(self, client, task, now):
        self.client, self.task = client, task
        self.waiting_since, self.head_since, self.evicted = now, None, False

    def waiting(self, now):
        """Between requests: the idle stage begins."""
        self.waiting_since, self.head_since = now, None

    def head_started(self, now):
        self.head_since = now

    def busy(self):
        self.waiting_since = self.head_since = None

    def evictable_since(self, now, idle_s, slow_s):
        """Since when this connection may be evicted (None: not evictable now)."""
        if self.waiting_since is None:
            return None
        if self.head_since is not None:
            return self.head_since if now - self.head_since >= slow_s else None
        return self.waiting_since if now - self.waiting_since >= idle_s else None


class ConnectionTable:
    """Admits, evicts and releases connections (all from the event loop's thread)."""

    def __init__(self, limits):
        self.limits = limits
        self.by_client = {}  # client -> {Connection}
        self.count = 0

    def admit(self, client, task, now=None):
        """A :class:`Connection` for ``client``, evicting a waiting one if a bound is reached;
        None when there is nothing to evict (refuse the newcomer). ``now``: time.monotonic()."""
        now = time.monotonic() if now is None else now
        mine = self.by_client.get(client, ())
        if len(mine) >= self.limits["max_connections_per_client"]:
            if not self._evict(mine, now):
                return None
        elif self.count >= self.limits["max_connections"]:
            if not self._evict([c for group in self.by_client.values() for c in group], now):
                return None
        conn = Connection(client, task, now)
        self.by_client.setdefault(client, set()).add(conn)
        self.count += 1
        return conn

    def release(self, conn):
        group = self.by_client.get(conn.client)
        if group is None or conn not in group:
            return  # already released when it was evicted
        group.discard(conn)
        self.count -= 1
        if not group:
            del self.by_client[conn.client]

    def _evict(self, candidates, now):
        idle_s, slow_s = self.limits["evict_idle_seconds"], self.limits["evict_slow_seconds"]
        ranked = [(since, id(c), c) for c in candidates
                  if (since := c.evictable_since(now, idle_s, slow_s)) is not None]
        if not ranked:
            return False
        victim = min(ranked)[2]
        self.release(victim)
        victim.evicted = True
        victim.task.cancel()
        return True
