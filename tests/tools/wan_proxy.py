#!/usr/bin/env python3
"""wan_proxy.py - a userspace TCP proxy that emulates a wide-area link on loopback.

The kernel here has no netem qdisc, so benchmarks and failure tests put this between the shim
and the agent: a fixed one-way delay in each direction, a bandwidth cap per direction, and a
switch that cuts the link (every connection reset, new ones refused) when a file appears.

usage: wan_proxy.py --listen PORT --target HOST:PORT [--delay-ms D] [--mbit M]
                    [--cut-file PATH] [--ready-file PATH] [--max-seconds S]
Prints the listening port on stdout ("PORT\n") once ready; --listen 0 picks one. Stops by
itself after --max-seconds (default 600) so a forgotten proxy never outlives its test.
"""
import argparse
import asyncio
import os
import sys
import time


class Pipe:
    """One direction of one connection: delays each chunk and paces it to the bandwidth cap."""

    def __init__(self, reader, writer, delay, bytes_per_second):
        self.reader, self.writer = reader, writer
        self.delay, self.rate = delay, bytes_per_second
        self.queue = asyncio.Queue()
        self.link_free_at = 0.0

    async def receive(self):
        while True:
            data = await self.reader.read(65536)
            now = time.monotonic()
            if self.rate:
                start = max(now, self.link_free_at)
                self.link_free_at = start + len(data) / self.rate
                now = self.link_free_at
            await self.queue.put((now + self.delay, data))
            if not data:
                return

    async def deliver(self):
        while True:
            due, data = await self.queue.get()
            wait = due - time.monotonic()
            if wait > 0:
                await asyncio.sleep(wait)
            if not data:
                self.writer.write_eof() if self.writer.can_write_eof() else self.writer.close()
                return
            self.writer.write(data)
            await self.writer.drain()


async def serve(args):
    host, port = args.target.rsplit(":", 1)
    delay = args.delay_ms / 1000.0
    rate = args.mbit * 125000.0 if args.mbit else 0.0
    connections = set()

    def cut():
        return args.cut_file and os.path.exists(args.cut_file)

    async def handle(client_reader, client_writer):
        if cut():
            client_writer.transport.abort()
            return
        try:
            agent_reader, agent_writer = await asyncio.open_connection(host, int(port))
        except OSError:
            client_writer.transport.abort()
            return
        pipes = [Pipe(client_reader, agent_writer, delay, rate),
                 Pipe(agent_reader, client_writer, delay, rate)]
        tasks = [asyncio.ensure_future(c) for p in pipes for c in (p.receive(), p.deliver())]
        entry = (client_writer, agent_writer, tuple(tasks))
        connections.add(entry)
        try:
            await asyncio.gather(*tasks)
        except (OSError, asyncio.CancelledError):
            pass
        finally:
            connections.discard(entry)
            for t in tasks:
                t.cancel()
            for w in (client_writer, agent_writer):
                w.transport.abort()

    server = await asyncio.start_server(handle, "127.0.0.1", args.listen)
    chosen = server.sockets[0].getsockname()[1]
    print(chosen, flush=True)
    if args.ready_file:
        with open(args.ready_file, "w") as f:
            f.write(f"{chosen}\n")
    deadline = time.monotonic() + args.max_seconds
    while time.monotonic() < deadline:
        await asyncio.sleep(0.05)
        if cut():
            for client_writer, agent_writer, tasks in list(connections):
                for w in (client_writer, agent_writer):
                    w.transport.abort()
                for t in tasks:
                    t.cancel()
    server.close()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--listen", type=int, default=0)
    parser.add_argument("--target", required=True)
    parser.add_argument("--delay-ms", type=float, default=0.0, help="one-way delay")
    parser.add_argument("--mbit", type=float, default=0.0, help="bandwidth cap per direction")
    parser.add_argument("--cut-file")
    parser.add_argument("--ready-file")
    parser.add_argument("--max-seconds", type=float, default=600.0)
    asyncio.run(serve(parser.parse_args()))


if __name__ == "__main__":
    sys.exit(main())
