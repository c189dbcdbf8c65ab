#!/usr/bin/env python3
"""A real SMTP server for the tests (aiosmtpd, from PyPI): keeps every message
it accepts as a file NNNN.eml in a folder (written whole: a temporary name,
then renamed), and can refuse the first messages (451, "try again later") or
wait before it acknowledges one (to be stopped mid-send). Prints "ready PORT"
once it listens."""
import argparse
import asyncio
import itertools
import os
import signal

from aiosmtpd.controller import Controller


class Sink:
    def __init__(self, folder, refuse_first, delay):
        self.folder = folder
        self.refuse_left = refuse_first
        self.delay = delay
        self.counter = itertools.count(1)

    async def handle_DATA(self, server, session, envelope):
        if self.refuse_left > 0:
            self.refuse_left -= 1
            return "451 4.3.0 Try again later"
        path = os.path.join(self.folder, "%04d.eml" % next(self.counter))
        with open(path + ".part", "wb") as out:
            out.write(envelope.original_content or envelope.content)
        os.rename(path + ".part", path)
        if self.delay:
            await asyncio.sleep(self.delay)
        return "250 2.0.0 OK"


def main():
    args = argparse.ArgumentParser()
    args.add_argument("--port", type=int, required=True)
    args.add_argument("--folder", required=True)
    args.add_argument("--refuse-first", type=int, default=0)
    args.add_argument("--delay", type=float, default=0.0)
    a = args.parse_args()
    stop = {signal.SIGTERM, signal.SIGINT}
    signal.pthread_sigmask(signal.SIG_BLOCK, stop)
    controller = Controller(Sink(a.folder, a.refuse_first, a.delay), hostname="127.0.0.1", port=a.port)
    controller.start()
    print("ready %d" % a.port, flush=True)
    signal.sigwait(stop)
    controller.stop()


if __name__ == "__main__":
    main()
