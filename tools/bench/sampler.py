#!/usr/bin/env python3
"""A sampling profiler for a daemon's every thread (cProfile sees only the
main one, which in a daemon only waits).

    python tools/bench/sampler.py OUT.txt iaas-scheduler --config-file FILE

runs ``python -m iaas.cmd.daemons iaas-scheduler --config-file FILE`` with a
thread that, every 5 ms, looks at every other thread's stack; at exit it
writes to OUT.txt the functions seen most (cumulative: anywhere in a
stack; self: at its top), over the samples where the thread was running
Python code outside the standard library's waits (lock/queue/select/socket).
tools/bench/scale.py --profile DAEMON uses it.
"""
import atexit
import collections
import os
import runpy
import sys
import threading

IDLE_FILES = ('threading.py', 'selectors.py', 'queue.py', 'socket.py', 'ssl.py',
              'thread.py', 'connection.py', 'transport.py', 'httpserver.py')
IDLE_FUNCS = {'wait', 'select', 'poll', 'acquire', '_wait_for_tstate_lock', 'get',
              'recv_into', 'read', 'drain_events', '_read', 'accept', 'sleep'}


def where(code):
    return f'{os.path.relpath(code.co_filename, os.getcwd())}:{code.co_name}'


class Sampler:
    def __init__(self, out, interval=0.005):
        self.out, self.interval = out, interval
        self.cum, self.own = collections.Counter(), collections.Counter()
        self.samples = 0
        self._stop = threading.Event()
        self.me = None

    def run(self):
        self.me = threading.get_ident()
        while not self._stop.wait(self.interval):
            for ident, frame in sys._current_frames().items():
                if ident == self.me:
                    continue
                code = frame.f_code
                if code.co_name in IDLE_FUNCS or code.co_filename.endswith(IDLE_FILES):
                    continue
                self.samples += 1
                self.own[where(code)] += 1
                seen = set()
                while frame is not None:
                    w = where(frame.f_code)
                    if w not in seen:
                        seen.add(w)
                        self.cum[w] += 1
                    frame = frame.f_back

    def dump(self):
        self._stop.set()
        with open(self.out, 'w') as f:
            f.write(f'{self.samples} busy samples every {self.interval * 1000:g} ms\n\n')
            for title, counter in (('cumulative', self.cum), ('self', self.own)):
                f.write(f'-- {title}\n')
                for w, n in counter.most_common(60):
                    f.write(f'{100 * n / max(1, self.samples):6.1f} %  {w}\n')
                f.write('\n')


def main():
    out, name, *args = sys.argv[1:]
    sampler = Sampler(out)
    threading.Thread(target=sampler.run, daemon=True, name='sampler').start()
    atexit.register(sampler.dump)
    sys.argv = ['iaas.cmd.daemons', name, *args]
    runpy.run_module('iaas.cmd.daemons', run_name='__main__')


if __name__ == '__main__':
    main()
